#!/usr/bin/env bash
# npm run build [-- --outDir DIR]: the production tree. Compiles src/ (tsconfig.build.json: sources
# only, no tests or benchmarks) into DIR (default dist/), copies every non-TypeScript file under src/
# (the dashboard's static files) to the same place beside the compiled code, and makes the `bin`
# targets of package.json executable. DIR is emptied first: a file left from an older build
# (renamed module, old layout) must never end up in the package.
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --outDir|--out-dir) out="${2:?$1 needs a directory}"; shift 2 ;;
    --outDir=*|--out-dir=*) out="${1#*=}"; shift ;;
    *) echo "build.sh: unknown argument '$1' (usage: npm run build [-- --outDir DIR])" >&2; exit 2 ;;
  esac
done
abs=$(realpath -m "$out")
case "$abs" in
  /|"$PWD"|"$PWD"/src|"$PWD"/src/*|"$PWD"/test*|"$HOME") echo "build.sh: refusing to empty '$out' (give a build directory)" >&2; exit 2 ;;
esac

rm -rf "$abs"
npx tsc -p tsconfig.build.json --outDir "$abs"

# Static assets, found rather than listed, so a new dashboard file ships without touching this script.
(cd src && find . -type f ! -name '*.ts' -print0) | while IFS= read -r -d '' f; do
  mkdir -p "$abs/$(dirname "$f")"
  cp "src/$f" "$abs/$f"
done

# bin targets: executable, and present (a bin pointing at nothing is a broken package).
node -e '
  const path = require("node:path"), fs = require("node:fs");
  const [out] = process.argv.slice(1);
  const bin = require(path.resolve("package.json")).bin ?? {};
  for (const [name, target] of Object.entries(typeof bin === "string" ? { main: bin } : bin)) {
    const rel = path.relative("dist", path.normalize(target));
    if (rel.startsWith("..")) { console.error(`build.sh: bin ${name} → ${target} is outside dist/`); process.exit(1); }
    const file = path.join(out, rel);
    if (!fs.existsSync(file)) { console.error(`build.sh: bin ${name} → ${target}: the build produced no ${file}`); process.exit(1); }
    fs.chmodSync(file, 0o755);
  }' "$abs"
echo "[build] $out: $(find "$abs" -name '*.js' | wc -l) modules, $( (cd src && find . -type f ! -name '*.ts') | wc -l) static files"
