#!/usr/bin/env bash
# npm run demo: `npm start` with the five simulated carriers echoing RTP, their control API on
# 127.0.0.1:8090 (SIM_HTTP) and an admin token (demo-token unless TRUNKWISE_ADMIN_TOKEN is set) that
# the next-steps banner prints, so its drain command works when pasted. Ctrl-C drains, then stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRUNKWISE_ADMIN_TOKEN=${TRUNKWISE_ADMIN_TOKEN:-demo-token}
export TRUNKWISE_DEMO=1
exec bash scripts/start.sh "$@"
