#!/usr/bin/env bash
# The project's test command (npm test): set-up, type check, unit tests, integration tests
# (serially: they use real SIPp processes and loopback ports). Extra arguments name test files.
# Ends with one line "N passed, N failed" (assertions) and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh media ui redis || exit 1

echo "== type check (tsc --noEmit)"
npx tsc -p tsconfig.json --noEmit || { echo "0 passed, 1 failed"; exit 1; }

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
  echo "== $1"; shift
  npx tap -R terse "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
if [ $# -gt 0 ]; then
  run "selected tests" --jobs=1 "$@"
else
  run "unit tests" test/unit
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
  elif ls test/integration/*.test.ts >/dev/null 2>&1; then run "integration tests" --jobs=1 test/integration; fi
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
  bash scripts/coverage.sh "$covdir/v8" || status=1
  rm -rf "$covdir"
fi
echo "${pass} passed, ${fail} failed"
exit $status
