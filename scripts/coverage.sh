#!/usr/bin/env bash
# Coverage report and floors for `npm test` (called by scripts/test.sh after the suites ran with
# NODE_V8_COVERAGE set, so every Node process a test started — trunkwise, the simulator, the engine
# CLI — wrote its V8 coverage too). One c8 pass over src/ (source-mapped TypeScript), then lines and
# branches per area; exits 1 when an area is below its floor in .ci/coverage-floors.
#   usage: scripts/coverage.sh <v8-coverage-dir>
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$1
[ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] || { echo "coverage: no data in $dir"; exit 0; }
out="$dir/../c8-report"
# Each process's src/ scripts only, and per file only the processes that ran the same JavaScript
# (scripts/coverage-prepare.cjs says why and prints what it left out).
node scripts/coverage-prepare.cjs "$dir" "$dir/../v8-src" || { echo "coverage: preparing the data failed"; exit 1; }
# Every process loads src/*.ts itself (tsx), so a script's URL already is its source file: --include
# filters before the merge (no --exclude-after-remap needed).
npx c8 report --temp-directory "$dir/../v8-src" --reports-dir "$out" --reporter json-summary \
  --all --src src --include 'src/**' --merge-async >/dev/null 2>&1
[ -f "$out/coverage-summary.json" ] || { echo "coverage: c8 produced no summary"; exit 1; }
echo "== coverage (lines / branches per area; floors in .ci/coverage-floors)"
node -e '
  const fs = require("fs"), path = require("path");
  const sum = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const floors = fs.readFileSync(".ci/coverage-floors", "utf8").split("\n")
    .map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/));
  let bad = 0;
  for (const [area, floor] of floors) {
    const acc = { lines: [0, 0], branches: [0, 0] };
    for (const [file, s] of Object.entries(sum)) {
      if (file === "total") continue;
      const rel = path.relative(process.cwd(), file);
      if (!rel.startsWith(area + "/")) continue;
      for (const k of ["lines", "branches"]) { acc[k][0] += s[k].covered; acc[k][1] += s[k].total; }
    }
    const pct = (k) => (acc[k][1] ? (100 * acc[k][0] / acc[k][1]) : 100);
    const below = floor !== "-" && pct("lines") < Number(floor);
    if (below) bad++;
    console.log(`  ${area.padEnd(16)} lines ${pct("lines").toFixed(1).padStart(5)}%  branches ${pct("branches").toFixed(1).padStart(5)}%` +
      (floor === "-" ? "" : below ? `  BELOW FLOOR ${floor}%` : `  (floor ${floor}%)`));
  }
  process.exit(bad ? 1 : 0);
' "$out/coverage-summary.json"
