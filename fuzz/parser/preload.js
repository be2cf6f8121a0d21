// Loaded with `node -r` in the parser-fuzz process only: @jazzer.js/fuzzer's prebuilt addon is
// replaced by the patched copy named in TW_JAZZER_ADDON (see fuzz/parser/jazzer.sh).
const Module = require('node:module');
const patched = process.env.TW_JAZZER_ADDON;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const file = resolve.call(this, request, ...rest);
  return patched && /[\\/]fuzzer-linux-x64\.node$/.test(file) ? patched : file;
};
