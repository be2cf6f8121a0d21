#!/usr/bin/env bash
# scripts/build-release.sh [OUT.tar.gz]: a self-contained trunkwise tree for hosts without containers
# (deploy/trunkwise.service expects it in /opt/trunkwise). It is the npm package (npm pack, whose
# prepack runs `npm run build`) plus its production dependencies, installed from package-lock.json:
#
#   scripts/build-release.sh /tmp/trunkwise.tar.gz
#   mkdir -p /opt/trunkwise && tar -xzf /tmp/trunkwise.tar.gz -C /opt/trunkwise
#
# Needs the npm registry (or a warm npm cache) and the same Node major version as the target host:
# the dependencies are pure JavaScript today, but a native one would be built for this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p 'require("./package.json").version')
out=$(realpath -m "${1:-trunkwise-$version.tar.gz}")
work=$(mktemp -d -t tw-release-XXXXXX)
trap 'rm -rf "$work"' EXIT

npm pack --loglevel=warn --pack-destination "$work"
mkdir "$work/trunkwise"
tar -xzf "$work/trunkwise-$version.tgz" -C "$work/trunkwise" --strip-components=1
cp package-lock.json "$work/trunkwise/"
(cd "$work/trunkwise" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
tar -czf "$out" -C "$work/trunkwise" .
echo "[release] $out ($(du -h "$out" | cut -f1)): run with node $(node -v | cut -d. -f1) — /usr/bin/node /opt/trunkwise/dist/bin/trunkwise.js"
