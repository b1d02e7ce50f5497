#!/usr/bin/env bash
# `npm test`: dependencies, type check, lint, then every vitest project that can run here.
# Ends with one line "N passed, N failed, N skipped" (CI reads it).
set -u
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
fail_pre=0
echo "== tsc -b"; if ! npx tsc -b; then echo "type check failed"; fail_pre=1; fi
echo "== eslint"; if ! npx eslint .; then echo "lint failed"; fail_pre=1; fi
out=$(mktemp -d)/vitest.json
echo "== vitest"
npx vitest run --reporter=default --reporter=json --outputFile.json="$out" "$@"
rc=$?
node -e '
const fs = require("fs"); let r = {}; try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")) } catch {}
const pre = Number(process.argv[2]); const rc = Number(process.argv[3])
const passed = (r.numPassedTests ?? 0); let failed = (r.numFailedTests ?? 0) + pre
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
// A failing suite (e.g. an import error) has no failed tests but must still count.
failed += (r.testResults ?? []).filter(f => f.status === "failed" && (f.assertionResults ?? []).every(a => a.status !== "failed")).length
if (rc !== 0 && failed === 0) failed = 1
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 ? 1 : 0)
' "$out" "$fail_pre" "$rc"
