#!/usr/bin/env bash
# `npm run drill -- --lab …`: the outage lab (src/drills/lab/main.ts) with its namespaces removed on
# any exit — success, failure, Ctrl-C or SIGTERM.
set -uo pipefail
cd "$(dirname "$0")/.."
trap 'bash lab/netns.sh down' EXIT
trap 'exit 130' INT TERM
# Kamailio and iptables (idempotent; npm test has run it already).
[ -n "${TRUNKWISE_SKIP_SETUP:-}" ] || bash scripts/setup.sh lab >&2 || exit 1
node --import tsx src/drills/lab/main.ts "$@"
