#!/usr/bin/env bash
# Idempotent set-up for trunkwise: node modules and the Debian packages the project needs.
#   scripts/setup.sh            base: npm ci, sip-tester (SIPp), iproute2
#   scripts/setup.sh bench      + kamailio, tshark
#   scripts/setup.sh media      + rtpengine-daemon, baresip (a real SIP UA for the tests)
#   scripts/setup.sh fuzz       + g++ (builds the shim that lets Jazzer.js's prebuilt addon load: fuzz/parser/jazzer.sh)
#   scripts/setup.sh ui         + chromium (the dashboard's browser tests), prometheus + prometheus-alertmanager (alert rules, Grafana queries)
#   scripts/setup.sh redis      + redis-server (shared state between edges and workers: --redis, --workers)
#   scripts/setup.sh lab        + kamailio, iptables (the outage lab: lab/outage-lab.sh, its short run in npm test)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# --- node modules ------------------------------------------------------------
# Re-install when package-lock.json's content changed since the last install (a hash, not mtimes:
# a fresh checkout has new mtimes but the same lock). A node_modules that is a symlink (a git
# worktree sharing another checkout's modules) is never re-installed from here: npm ci would empty
# the shared folder under everyone using it.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -L node_modules ]; then
  :
elif [ ! -d node_modules ] || [ "$(cat node_modules/.trunkwise-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.trunkwise-lock-sum
fi

# --- Debian packages -----------------------------------------------------------
declare -A BIN=( [sip-tester]=sipp [iproute2]=ip [kamailio]=kamailio [tshark]=tshark [rtpengine-daemon]=rtpengine [baresip]=baresip [chromium]=chromium [prometheus]=promtool [prometheus-alertmanager]=amtool [redis-server]=redis-server [g++]=g++ [iptables]=iptables )
pkgs=(sip-tester iproute2)
for group in "$@"; do
  case "$group" in
    bench) pkgs+=(kamailio tshark) ;;
    media) pkgs+=(rtpengine-daemon baresip) ;;
    ui) pkgs+=(chromium prometheus prometheus-alertmanager) ;;
    redis) pkgs+=(redis-server) ;;
    lab) pkgs+=(kamailio iptables) ;;
    fuzz) pkgs+=(g++) ;;
    *) echo "setup.sh: unknown group '$group' (known: bench, fuzz, lab, media, ui, redis)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  command -v "${BIN[$p]}" >/dev/null 2>&1 || dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
say "ready"
