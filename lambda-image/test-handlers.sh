#!/usr/bin/env bash
# Set up and run both handler test suites (Python: pytest, Node.js: node --test).
#
# Run from the repository root: bash lambda-image/test-handlers.sh
# Creates lambda-image/python/.venv from requirements-dev.txt (hash-checked, from the
# configured pip index) and runs `npm ci` in lambda-image/nodejs. The integration tests start
# a throwaway TLS PostgreSQL 15 on 127.0.0.1 (see testing/tls-postgres.sh).
# A missing tool fails the run when CI=true and skips that part otherwise, with the reason.
# Exits non-zero when any suite fails.
set -uo pipefail

LAMBDA_IMAGE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly LAMBDA_IMAGE_DIR
readonly PYTHON_DIR="$LAMBDA_IMAGE_DIR/python"
readonly NODEJS_DIR="$LAMBDA_IMAGE_DIR/nodejs"
# Debian installs each PostgreSQL major under /usr/lib/postgresql/<major>/bin; the newest one is used
# unless PG_BIN_DIR names another folder.
newest_pg_bin_dir() {
  find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1
}
PG_BIN_DIR="${PG_BIN_DIR:-$(newest_pg_bin_dir)}"
PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
readonly PG_BIN_DIR
export PG_BIN_DIR

# Fake credentials and no metadata service: no test may reach AWS.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
# pip retries an unreachable index several times with back-off; a package index that cannot
# be reached is not retried here unless PIP_RETRIES sets a count.
export PIP_RETRIES="${PIP_RETRIES:-0}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

status=0

# The test helpers create each server's work directory under HANDLER_TEST_TMPDIR. If a run is
# interrupted or killed before its own cleanup runs, this trap stops every server left there.
HANDLER_TEST_TMPDIR="$(mktemp -d -t handler-tests-XXXXXX)"
# The server runs as the postgres OS user, which must be able to enter this directory.
chmod 755 "$HANDLER_TEST_TMPDIR"
export HANDLER_TEST_TMPDIR
stop_leftover_servers() {
  local work_dir
  for work_dir in "$HANDLER_TEST_TMPDIR"/*/; do
    [[ -f "$work_dir/data/postmaster.pid" ]] && bash "$LAMBDA_IMAGE_DIR/testing/tls-postgres.sh" stop "$work_dir" 0
  done
  rm -rf "$HANDLER_TEST_TMPDIR"
}
trap stop_leftover_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Print the tools from the list that are missing.
missing_tools() {
  local tool
  for tool in "$@"; do
    if [[ "$tool" == /* ]]; then
      [[ -x "$tool" ]] || echo "$tool"
    else
      command -v "$tool" >/dev/null 2>&1 || echo "$tool"
    fi
  done
}

# Return 0 when the suite can run; otherwise fail (CI=true) or skip with the reason.
require_tools() {
  local suite="$1"
  shift
  local missing
  missing="$(missing_tools "$@" | tr '\n' ' ')"
  if [[ -z "$missing" ]]; then
    return 0
  fi
  if [[ -n "${CI:-}" && "${CI}" != "false" ]]; then
    echo "$suite: FAILED: required tools are missing: $missing" >&2
    status=1
  else
    echo "$suite: SKIPPED: required tools are missing: $missing(set up these tools to run it)"
  fi
  return 1
}

readonly POSTGRES_TOOLS=(openssl "$PG_BIN_DIR/initdb" "$PG_BIN_DIR/pg_ctl" "$PG_BIN_DIR/postgres" "$PG_BIN_DIR/psql")

# Node.js dependencies come first: the Python suite's Dockerfile test also imports the Node.js entry point.
# Upper bound for any single Node.js test, in milliseconds; the integration tests set tighter ones.
readonly NODE_TEST_TIMEOUT_MS=60000
nodejs_ready=false
if require_tools "nodejs handler tests" node npm "${POSTGRES_TOOLS[@]}"; then
  if (cd "$NODEJS_DIR" && npm ci --no-audit --no-fund --loglevel=error); then
    nodejs_ready=true
  else
    echo "nodejs handler tests: FAILED: npm ci failed" >&2
    status=1
  fi
fi

echo "== Python handler tests (pytest)"
if require_tools "python handler tests" python3 "${POSTGRES_TOOLS[@]}"; then
  if python3 -m venv "$PYTHON_DIR/.venv" \
    && "$PYTHON_DIR/.venv/bin/python" -m pip install --quiet --require-hashes -r "$PYTHON_DIR/requirements-dev.txt"; then
    (cd "$PYTHON_DIR" && .venv/bin/python -m pytest -p no:cacheprovider) || status=1
  else
    echo "python handler tests: FAILED: could not create .venv or install requirements-dev.txt" >&2
    status=1
  fi
fi

echo "== Node.js handler tests (node --test)"
if [[ "$nodejs_ready" == true ]]; then
  # --test-force-exit: a failed connection test can leave a socket open, which would keep the
  # test process alive after its last test and hang the run.
  (cd "$NODEJS_DIR" && node --test --test-force-exit --test-timeout="$NODE_TEST_TIMEOUT_MS" --test-reporter=spec test/*.test.mjs) ||
    status=1
fi

exit "$status"
