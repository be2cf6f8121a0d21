#!/usr/bin/env bash
# npm run demo: on a fresh machine, the carrier simulator (five carriers from carriers.yaml, control
# API on 127.0.0.1:8090) and trunkwise (SIP 127.0.0.1:5060, admin 127.0.0.1:8080) together, then
# the commands to send calls with SIPp and to make a carrier sick. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh media
SIP=${TRUNKWISE_SIP:-127.0.0.1:5060}
HTTP=${TRUNKWISE_HTTP:-127.0.0.1:8080}
SIM_HTTP=${SIM_HTTP:-127.0.0.1:8090}
export TRUNKWISE_ADMIN_TOKEN=${TRUNKWISE_ADMIN_TOKEN:-demo-token}

echo_rtp=()
for c in carrier-a carrier-b carrier-c carrier-d carrier-e; do echo_rtp+=(--set "$c:rtp=echo"); done
node --import tsx src/sim/main.ts --carriers carriers.yaml --http "$SIM_HTTP" --log-level warn "${echo_rtp[@]}" &
sim_pid=$!
node --import tsx src/main.ts --carriers carriers.yaml --routes routes --sip "$SIP" --http "$HTTP" --log-level "${LOG_LEVEL:-warn}" &
tw_pid=$!
trap 'kill "$tw_pid" "$sim_pid" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

node -e '
  const url = process.argv[1]; const until = Date.now() + 60000;
  (async () => { while (Date.now() < until) { try { if ((await fetch(url)).ok) return; } catch {} await new Promise((r) => setTimeout(r, 500)); } process.exit(1); })();
' "http://$HTTP/health" || { echo "[demo] trunkwise did not come up" >&2; exit 1; }
cat <<TXT

trunkwise demo is up.
  SIP (the IVR sends INVITEs here)  $SIP
  admin API / metrics               http://$HTTP/carriers   http://$HTTP/events   http://$HTTP/metrics
  carrier simulator control         http://$SIM_HTTP/carriers

Send 500 alarm calls at 20 calls/s (SIPp's built-in UAC scenario):
  sipp -sn uac -s 15550001 -r 20 -m 500 -d 2000 -i 127.0.0.1 -p 5090 $SIP
Or 20 calls with real RTP through trunkwise's relay (the carriers echo it back):
  npm run ivr -- --target $SIP --calls 20 --concurrent 20 --hold-ms 10000

Dashboard for the NOC: http://$HTTP/dashboard/

Make a carrier sick while calls run, and watch GET /carriers and /events react:
  curl -X PATCH -d '{"mode":"silent","optionsCode":0}' http://$SIM_HTTP/carriers/carrier-a     # dead
  curl -X PATCH -d '{"dropPercent":10}'                http://$SIM_HTTP/carriers/carrier-b     # 10 % SIP packet loss
  curl -X PATCH -d '{"rtpDropPercent":10}'             http://$SIM_HTTP/carriers/carrier-e     # 10 % RTP loss (while calls are up)
  curl -X PATCH -d '{"mode":"reject","rejectCode":503}' http://$SIM_HTTP/carriers/carrier-c    # rejects calls
  curl -X PATCH -d '{"mode":"answer","optionsCode":200,"dropPercent":0}' http://$SIM_HTTP/carriers/carrier-a  # healthy again
Drain a carrier by hand:
  curl -X POST -H "Authorization: Bearer \$TRUNKWISE_ADMIN_TOKEN" http://$HTTP/carriers/carrier-d/drain

Ctrl-C stops the demo.
TXT
wait "$tw_pid"
