#!/usr/bin/env bash
# The project's test command (npm test): set-up, type check, unit tests, integration tests in two
# lanes (PARALLEL_LANE below two at a time, every other file alone: they use real SIPp processes and
# loopback ports). Extra arguments name test files (run one at a time). Prints each phase's seconds;
# ends with one line "N passed, N failed" (assertions) and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh media ui redis lab || exit 1

echo "== type check (tsc --noEmit)"
t0=$SECONDS
npx tsc -p tsconfig.json --noEmit || { echo "0 passed, 1 failed"; exit 1; }
echo "== type check: $((SECONDS - t0)) s"

log=$(mktemp)
status=0
# Full runs measure coverage: every Node process (tests and the trunkwise/simulator/engine children
# they start) writes V8 coverage here; scripts/coverage.sh reports it and enforces .ci/coverage-floors.
covdir=""
# Parity mode (DRACHTIO_HOST set) runs fewer suites, so the coverage floors would not mean anything.
if [ $# -eq 0 ] && [ -z "${DRACHTIO_HOST:-}" ]; then
  covdir=$(mktemp -d -t tw-coverage-XXXXXX)
  export NODE_V8_COVERAGE="$covdir/v8"
fi
run() { # label, tap args…
  local label=$1 t0=$SECONDS; shift
  echo "== $label"
  npx tap -R terse "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  echo "== $label: $((SECONDS - t0)) s"
}
# Integration files that may run two at a time: every port they use is allocated on the fly (no
# fixed port, network namespace, iptables rule or shared /tmp path), nothing they assert is a
# latency, rate or jitter bound that a busy second core would move, and most of their time is
# spent waiting (RFC 3261 timer D/J windows, rings, holds). Longest first, so the two lanes end
# together. fuzz-parser is CPU-bound for a fixed 20 s but asserts no time: it shares the lane with
# files that mostly wait. Everything else — load, health and failover timing, floods, fuzzing, Redis outages,
# the 30 s drain limit, RTP jitter — runs alone. A file added to test/integration runs alone
# until someone checks it against the list above and adds it here.
PARALLEL_LANE=(
  baresip-carrier baresip-sim engine-session-timers engine-b2bua engine-thread prometheus-grafana call-cancel
  engine-carrier-failures engine-uac-dialogs build-smoke sim first-run-cleanup first-run-help
  engine-local-link first-run-demo engine-malformed call-max-forwards first-run-ivr engine-100rel
  engine-uas-dialogs call-error-catalogue config-reload-signal engine-cli fuzz-replay srf-port
  media-rtcp-mux prometheus-rules coverage-transpiler drill-schedule sites-peers drill-site fuzz-parser
  call-last-attempt socket-filter udp-direct-send
)
# Files that run in turn in one shared test process, a group per line ("lane: files"): a test
# process costs ~3–4 s to start and exit, and these files share nothing a process holds — no
# root-level before/teardown owning a resource (killAll is fine: their SIPp runs are awaited), no
# process.exit at load time (engine-hardening and engine-hardening-tcp exit only when DRACHTIO_HOST
# is set, and parity mode runs no groups), ports from freePorts, every engine, browser and child
# stopped by the test that started it. A group runs its files one at a time, after every file has
# loaded (as the unit batches do), in its files' lane ("two": PARALLEL_LANE files, the group beside
# one other file; "alone": the rest, the group alone), and stays far below tap's 600 s
# per-process timeout. A file belongs here only once checked against that list; anything else
# runs in its own process — engine-overload-shed too (it measures its own main thread's lag),
# coverage-transpiler (it checks the test process's own TypeScript hook) and first-run-signals (in
# a group its drain-limit test once saw its 3 calls rejected; not understood, so it stays out).
SHARED_GROUPS=(
  "alone: call-local-fault call-overload dashboard-views dashboard engine-hardening-wiring media-relay rtpengine sim-rtp upstream-health workers-scale"
  "two: first-run-help sites-peers call-last-attempt call-max-forwards first-run-demo call-error-catalogue first-run-ivr config-reload-signal srf-port prometheus-rules media-rtcp-mux"
  "alone: call-crank lab-outage routing-b2bua"
  "alone: engine-hardening engine-hardening-tcp"
)
if [ $# -gt 0 ]; then
  run "selected tests" --jobs=1 "$@"
else
  # A tap test process spends ~3 s of CPU starting (its TypeScript, mock and process-info loaders),
  # more than most unit files take to run; so the unit files run in one process per core, each
  # requiring its share of them in turn (a failure's stack names the file). `npm test -- file` and
  # `npx tap test/unit/x.test.ts` still run a file on its own.
  batches=.tap/unit-batches
  rm -rf "$batches" && mkdir -p "$batches"
  n=$(nproc 2>/dev/null || echo 2)
  units=(test/unit/*.test.ts)
  for ((b = 1; b <= n; b++)); do
    # The first file's first test would start while the rest are still being required (seconds of
    # blocked event loop under its timers): a first test waits until every file is loaded.
    printf '%s\n' "const t = require('tap');" "let loaded; const ready = new Promise((r) => (loaded = r));" \
      "t.test('unit batch $b of $n: files loaded before any test runs', async (t) => { await ready; t.pass('loaded'); });" > "$batches/unit-$b-of-$n.test.js"
  done
  for i in "${!units[@]}"; do echo "require('../../${units[$i]}');" >> "$batches/unit-$((i % n + 1))-of-$n.test.js"; done
  for ((b = 1; b <= n; b++)); do echo "loaded();" >> "$batches/unit-$b-of-$n.test.js"; done
  run "unit tests (${#units[@]} files in $n processes)" --jobs="$n" "$batches"/*.test.js
  if [ -n "${DRACHTIO_HOST:-}" ]; then
    # Parity mode: suites written against test/helpers/engine-under-test.ts (or that check
    # DRACHTIO_HOST themselves) aim at the external drachtio-server; suites that start no trunkwise
    # (simulator, media, rules) run as usual; suites that start trunkwise (its embedded engine, which
    # the external server never sees) are skipped, each named with the reason.
    parity=()
    for f in test/integration/*.test.ts; do
      if grep -qE "engine-under-test|process\.env\.DRACHTIO_HOST" "$f" \
        || ! grep -qE "trunkwise-process|startTrunkwise|src/main|--sip|spawn\('(npm|script)'" "$f"; then parity+=("$f")
      else echo "== skipped in parity mode: $f (starts trunkwise with its embedded engine; no traffic reaches $DRACHTIO_HOST)"; fi
    done
    run "integration tests against drachtio-server at $DRACHTIO_HOST" --jobs=1 "${parity[@]}"
  elif ls test/integration/*.test.ts >/dev/null 2>&1; then
    two=() grouped=() twoRun=() aloneRun=()
    for name in "${PARALLEL_LANE[@]}"; do [ -f "test/integration/$name.test.ts" ] && two+=("test/integration/$name.test.ts"); done
    groups=.tap/integration-groups
    rm -rf "$groups" && mkdir -p "$groups"
    for g in "${!SHARED_GROUPS[@]}"; do
      lane=${SHARED_GROUPS[$g]%%:*} files=()
      for name in ${SHARED_GROUPS[$g]#*:}; do
        f="test/integration/$name.test.ts"
        [ -f "$f" ] || continue
        # A group keeps to its lane: a file listed in the other lane's group runs on its own.
        if [[ " ${two[*]} " == *" $f "* ]]; then [ "$lane" = two ] && files+=("$f"); else [ "$lane" = alone ] && files+=("$f"); fi
      done
      [ ${#files[@]} -gt 0 ] || continue
      out="$groups/$lane-$((g + 1)).test.js"
      printf '%s\n' "const t = require('tap');" "let loaded; const ready = new Promise((r) => (loaded = r));" \
        "t.test('$lane group $((g + 1)) (${#files[@]} files): files loaded before any test runs', async (t) => { await ready; t.pass('loaded'); });" > "$out"
      for f in "${files[@]}"; do echo "require('../../$f');" >> "$out"; done
      echo "loaded();" >> "$out"
      grouped+=("${files[@]}")
      if [ "$lane" = two ]; then twoRun+=("$out"); else aloneRun+=("$out"); fi
    done
    for f in "${two[@]}"; do [[ " ${grouped[*]} " == *" $f "* ]] || twoRun+=("$f"); done
    nAlone=0
    for f in test/integration/*.test.ts; do
      [[ " ${two[*]} " == *" $f "* ]] && continue
      nAlone=$((nAlone + 1))
      [[ " ${grouped[*]} " == *" $f "* ]] || aloneRun+=("$f")
    done
    [ ${#twoRun[@]} -eq 0 ] || run "integration tests, two at a time (${#two[@]} files in ${#twoRun[@]} processes)" --jobs=2 "${twoRun[@]}"
    [ ${#aloneRun[@]} -eq 0 ] || run "integration tests, one at a time (${nAlone} files in ${#aloneRun[@]} processes)" --jobs=1 "${aloneRun[@]}"
  fi
fi
pass=0; fail=0
while read -r line; do
  p=$(sed -n 's/.*pass: \([0-9]*\).*/\1/p' <<<"$line"); f=$(sed -n 's/.*fail: \([0-9]*\).*/\1/p' <<<"$line")
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
done < <(grep -E '^# \{ total: ' "$log")
rm -f "$log"
[ "$fail" -gt 0 ] && status=1
if [ -n "$covdir" ]; then
  unset NODE_V8_COVERAGE
  t0=$SECONDS
  echo "== coverage data: $(find "$covdir/v8" -type f 2>/dev/null | wc -l) process files, $(du -sm "$covdir/v8" 2>/dev/null | cut -f1) MB"
  bash scripts/coverage.sh "$covdir/v8" || status=1
  echo "== coverage report: $((SECONDS - t0)) s"
  rm -rf "$covdir"
fi
echo "${pass} passed, ${fail} failed"
exit $status
