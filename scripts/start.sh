#!/usr/bin/env bash
# npm start: set-up, then trunkwise. With the checked-in carriers.yaml (five carriers on loopback)
# and no TRUNKWISE_CARRIERS given, the carrier simulator is started alongside so calls have
# somewhere to go. Arguments are passed to trunkwise (see README: --sip, --http, --carriers, …).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh media
sim_pid=""
if [ -z "${TRUNKWISE_CARRIERS:-}" ] && [ -z "${DRACHTIO_HOST:-}" ] && [ -f src/sim/main.ts ]; then
  echo "[start] starting the carrier simulator for carriers.yaml (set TRUNKWISE_CARRIERS to use real carriers)"
  node --import tsx src/sim/main.ts --carriers carriers.yaml &
  sim_pid=$!
fi
node --import tsx src/main.ts "$@" &
tw_pid=$!
trap 'kill "$tw_pid" $sim_pid 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
wait "$tw_pid"
