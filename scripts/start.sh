#!/usr/bin/env bash
# npm start [-- options]: set-up, then trunkwise. With the checked-in carriers.yaml (five carriers on
# loopback) the carrier simulator is started alongside so calls have somewhere to go; --carriers FILE,
# TRUNKWISE_CARRIERS or DRACHTIO_HOST mean real carriers, and then no simulator is started.
#
# Signals: Ctrl-C or SIGTERM/SIGINT to npm (package.json execs this script, so the signal reaches it)
# drain trunkwise first — new calls get 503, calls up may finish for up to 30 s, then both legs get
# BYE — and only then is the simulator stopped, so the carriers never vanish under calls still up.
# The simulator runs in its own session: a Ctrl-C at the terminal reaches trunkwise, not the carriers.
#
# Environment: TRUNKWISE_SKIP_SETUP=1 skips scripts/setup.sh (CI and tests that ran it already);
# SIM_HTTP (default 127.0.0.1:8090) is the simulator's control API; SIM_ARGS adds simulator options.
set -euo pipefail
cd "$(dirname "$0")/.."

# Help comes before any set-up (and needs only the node modules).
for a in "$@"; do
  case "$a" in
    -h|--help)
      if [ ! -e node_modules/.bin/tsx ]; then
        echo "[start] node modules are not installed yet: npm ci first" >&2
        npm ci --no-audit --no-fund --loglevel=error >&2
      fi
      exec node --import tsx src/main.ts --help ;;
  esac
done

# --workers N > 1 without --redis: trunkwise starts its own redis-server (src/workers/local-redis.ts).
groups=(media)
workers=${TRUNKWISE_WORKERS:-1}
prev=""
for a in "$@"; do
  case "$a" in --workers=*) workers=${a#--workers=} ;; esac
  [ "$prev" = "--workers" ] && workers=$a
  prev=$a
done
[[ "$workers" =~ ^[0-9]+$ ]] && [ "$workers" -gt 1 ] && groups+=(redis)
if [ "${TRUNKWISE_SKIP_SETUP:-}" != "1" ]; then bash scripts/setup.sh "${groups[@]}"; fi

# Real carriers when the user names a carriers file (option or environment) or an external engine.
real_carriers=""
for a in "$@"; do
  case "$a" in --carriers|--carriers=*) real_carriers="--carriers" ;; esac
done
[ -n "${TRUNKWISE_CARRIERS:-}" ] && real_carriers="TRUNKWISE_CARRIERS"
[ -n "${DRACHTIO_HOST:-}" ] && real_carriers="DRACHTIO_HOST"

sim_pid=""
sim_log=""
tw_pid=""
if [ -z "$real_carriers" ] && [ -f src/sim/main.ts ]; then
  SIM_HTTP=${SIM_HTTP:-127.0.0.1:8090}
  export TRUNKWISE_SIM_CONTROL="http://$SIM_HTTP"
  sim_log=$(mktemp "${TMPDIR:-/tmp}/trunkwise-sim.XXXXXX")
  echo_rtp=()
  for c in carrier-a carrier-b carrier-c carrier-d carrier-e; do echo_rtp+=(--set "$c:rtp=echo"); done
  # Its own session (setsid): a terminal Ctrl-C must not kill the carriers under calls still up.
  # Its output goes to a file: shown only if it stops on its own (trunkwise reports config errors).
  # shellcheck disable=SC2086
  setsid node --import tsx src/sim/main.ts --carriers carriers.yaml --http "$SIM_HTTP" --log-level warn "${echo_rtp[@]}" ${SIM_ARGS:-} >"$sim_log" 2>&1 &
  sim_pid=$!
elif [ -n "$real_carriers" ]; then
  echo "[start] carriers from ${real_carriers}: no simulator started" >&2
fi

stop_sim() {
  [ -n "$sim_pid" ] || return 0
  kill -TERM "$sim_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=""
}

finish() { # exit code: stop the simulator after trunkwise, tidy up, leave
  stop_sim
  [ -n "$sim_log" ] && rm -f "$sim_log"
  exit "$1"
}

# SIGTERM / SIGINT: trunkwise drains (it got the signal too when it came from the terminal; a second
# one is harmless), and this script waits for it before stopping the simulator.
on_signal() {
  trap '' INT TERM
  if [ -n "$tw_pid" ]; then
    kill -TERM "$tw_pid" 2>/dev/null || true
    while kill -0 "$tw_pid" 2>/dev/null; do wait "$tw_pid" 2>/dev/null || true; done
  fi
  finish 0
}
trap on_signal INT TERM

# --max-semi-space-size=16 (the same in docker/Dockerfile and the benchmarks): 64 gave 3× fewer but
# 3–4× longer scavenges (max 97–120 ms vs 18–49 ms), no less CPU, and ~80–100 MiB more PSS (bench/tail.bench.ts).
node --max-semi-space-size=16 --import tsx src/main.ts "$@" &
tw_pid=$!

# Whichever stops first: trunkwise (its exit code is ours) or the simulator. A simulator that stops
# within trunkwise's first seconds most likely read the same broken carriers.yaml: trunkwise's own
# report (file, line, fix) is the one shown, not the simulator's copy.
while :; do
  done_pid=""
  set +e
  wait -n -p done_pid "$tw_pid" ${sim_pid:+"$sim_pid"}
  rc=$?
  set -e
  if [ "$done_pid" = "$tw_pid" ]; then finish "$rc"; fi
  if [ -n "$sim_pid" ] && [ "$done_pid" = "$sim_pid" ]; then
    sim_pid=""
    for _ in $(seq 50); do kill -0 "$tw_pid" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$tw_pid" 2>/dev/null; then
      set +e; wait "$tw_pid"; rc=$?; set -e
      finish "$rc"
    fi
    echo "[start] the carrier simulator stopped on its own (exit $rc); stopping trunkwise:" >&2
    sed 's/^/[sim] /' "$sim_log" | tail -n 20 >&2
    kill -TERM "$tw_pid" 2>/dev/null || true
  fi
done
