#!/usr/bin/env bash
# Coverage-guided fuzzing of the SIP parser and stream framer with Jazzer.js (issue 9).
#   fuzz/parser/jazzer.sh [SECONDS] [SEED]      (default 30 s, seed 1; libFuzzer output on stderr)
# @jazzer.js/fuzzer ships a prebuilt addon linked against glibc 2.38 / libstdc++ 13; Debian 12 has
# 2.36 / 12. So, without touching node_modules: (1) a copy of the addon gets its GLIBC_2.38 and
# GLIBCXX_3.4.32 version needs marked weak (patch-addon.ts), (2) shim.cc provides the three symbols
# those versions brought (__isoc23_strtol, __isoc23_strtoul, std::ios_base_library_init) and is
# preloaded into this process only, (3) preload.js points the addon's require at the copy.
# Both are cached in $TMPDIR/trunkwise-jazzer, keyed by content. Needs g++ (scripts/setup.sh fuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh fuzz >&2
secs=${1:-30}
seed=${2:-1}
cache="${TMPDIR:-/tmp}/trunkwise-jazzer"
mkdir -p "$cache"
addon=node_modules/@jazzer.js/fuzzer/prebuilds/fuzzer-linux-x64.node
shim="$cache/libtwshim-$(sha256sum fuzz/parser/shim.cc | cut -c1-16).so"
patched="$cache/fuzzer-$(cat "$addon" fuzz/parser/patch-addon.ts | sha256sum | cut -c1-16).node"
[ -f "$shim" ] || g++ -shared -fPIC -O2 -o "$shim" fuzz/parser/shim.cc
[ -f "$patched" ] || npx tsx fuzz/parser/patch-addon.ts "$addon" "$patched" >&2
work=$(mktemp -d -t tw-jazzer-XXXXXX)
trap 'rm -rf "$work"' EXIT
# Jazzer.js always hands libFuzzer -timeout (default 5 s), and libFuzzer then arms a SIGALRM every
# timeout/2+1 s. Under Jazzer.js that signal sometimes finds no handler and kills the run (exit 142)
# mid-way, before the final stats (seen in CI, 2 Dec). A per-input timeout longer than the whole run
# means no SIGALRM fires before -max_total_time ends it; a hung input is still caught (the alarm
# then, and the test's own kill).
timeout_ms=$(( (2 * secs + 60) * 1000 ))
# Jazzer instruments JavaScript: compile the target and src/sip to plain CommonJS first.
npx tsc --outDir "$work/js" --rootDir . --module commonjs --target es2022 --strict --skipLibCheck --types node fuzz/parser/target.ts
mkdir -p "$work/corpus"
cp fuzz/parser/corpus/* "$work/corpus/"
LD_PRELOAD="$shim" TW_JAZZER_ADDON="$patched" node -r ./fuzz/parser/preload.js node_modules/@jazzer.js/core/dist/cli.js \
  "$work/js/fuzz/parser/target" "$work/corpus" --sync -i "$work/js/src/sip/" -e node_modules --disable_bug_detectors '.*' --timeout="$timeout_ms" \
  -- -max_total_time="$secs" -seed="$seed" -max_len=4096 -artifact_prefix="$work/" -print_final_stats=1
