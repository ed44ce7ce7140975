#!/usr/bin/env bash
# Runs every test: the type-check, the infrastructure tests (jest) and both handlers' tests, with
# fake AWS credentials and no metadata service. Ends with one summary line per runner.
set -uo pipefail
cd "$(dirname "$0")/.."

export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export CHECKPOINT_DISABLE=1

status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== type-check (tsc --noEmit)"
if npx tsc --noEmit -p .; then
  typecheck_summary="tsc: passed"
else
  typecheck_summary="tsc: FAILED"
  status=1
fi

echo "== infrastructure tests (jest)"
npx jest --ci --json --outputFile="$work/jest.json" || status=1
jest_summary=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$work/jest.json" 2>/dev/null || echo "jest: 0 passed, 1 failed (no results; see the output above)")

echo "== handler tests"
bash lambda-image/test-handlers.sh 2>&1 | tee "$work/handlers.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1

# pytest closes with a line such as "==== 1 failed, 95 passed in 8.1s ====".
pytest_line=$(grep -E '^=+ .*(passed|failed|skipped|error).* in [0-9.]+s' "$work/handlers.log" | tail -n 1)
count_in() { grep -Eo "[0-9]+ $2" <<<"$1" | grep -Eo '^[0-9]+' || echo 0; }
if [[ -n "$pytest_line" ]]; then
  pytest_summary="pytest: $(count_in "$pytest_line" passed) passed, $(count_in "$pytest_line" failed) failed"
  skipped=$(count_in "$pytest_line" skipped)
  [[ "$skipped" == 0 ]] || pytest_summary+=", $skipped skipped"
else
  pytest_summary="pytest: did not run ($(grep -Eo 'python handler tests: [A-Z]+.*' "$work/handlers.log" | head -n 1))"
fi
node_pass=$(grep -Eo '^ℹ pass [0-9]+' "$work/handlers.log" | grep -Eo '[0-9]+$' | tail -n 1)
node_fail=$(grep -Eo '^ℹ fail [0-9]+' "$work/handlers.log" | grep -Eo '[0-9]+$' | tail -n 1)
node_skip=$(grep -Eo '^ℹ skipped [0-9]+' "$work/handlers.log" | grep -Eo '[0-9]+$' | tail -n 1)
if [[ -n "$node_pass" ]]; then
  node_summary="node: $node_pass passed, ${node_fail:-0} failed"
  [[ "${node_skip:-0}" == 0 ]] || node_summary+=", $node_skip skipped"
else
  node_summary="node: did not run ($(grep -Eo 'nodejs handler tests: [A-Z]+.*' "$work/handlers.log" | head -n 1))"
fi

echo
echo "== summary"
echo "$typecheck_summary"
echo "$pytest_summary"
echo "$node_summary"
echo "$jest_summary"
exit $status
