#!/usr/bin/env bash
# Runs every test: the type-check, the infrastructure tests (jest) and both handlers' tests, with
# fake AWS credentials and no metadata service, then prints one summary line per runner.
set -uo pipefail
cd "$(dirname "$0")/.."

export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export CHECKPOINT_DISABLE=1

status=0
echo "== type-check (tsc --noEmit)"
npx tsc --noEmit -p . || status=1

echo "== infrastructure tests (jest)"
results=$(mktemp)
npx jest --ci --json --outputFile="$results" || status=1
jest_summary=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$results" 2>/dev/null || echo "jest: 0 passed, 1 failed")
rm -f "$results"

echo "== handler tests"
bash lambda-image/test-handlers.sh || status=1

echo "$jest_summary"
exit $status
