// Symbols @jazzer.js/fuzzer's prebuilt addon needs from glibc 2.38 / libstdc++ 13 that Debian 12
// (glibc 2.36, libstdc++ 12) lacks; preloaded only into the parser-fuzz process (fuzz/parser/jazzer.sh).
#include <cstdlib>
#include <ios>
extern "C" long __isoc23_strtol(const char* s, char** e, int b) { return strtol(s, e, b); }
extern "C" unsigned long __isoc23_strtoul(const char* s, char** e, int b) { return strtoul(s, e, b); }
namespace std {
void ios_base_library_init() { static ios_base::Init init; }
}
