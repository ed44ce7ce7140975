#!/usr/bin/env bash
# Benchmark both handlers against a throwaway TLS PostgreSQL on 127.0.0.1 (not a test).
#
# Run from the repository root after `bash lambda-image/test-handlers.sh` has set up
# python/.venv and nodejs/node_modules: bash lambda-image/bench-handlers.sh [INVOCATIONS]
# For each runtime it prints the cold (first) invocation time, and the median and p99 of
# INVOCATIONS warm invocations (default 500, minimum 200) next to a raw `SELECT 1` on the
# same TLS connection. Figures are for this machine and loopback: no RDS Proxy, no network.
set -euo pipefail

LAMBDA_IMAGE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly LAMBDA_IMAGE_DIR
readonly MIN_INVOCATIONS=200
readonly INVOCATIONS="${1:-500}"

if ! [[ "$INVOCATIONS" =~ ^[0-9]+$ ]] || ((INVOCATIONS < MIN_INVOCATIONS)); then
  echo "bench-handlers.sh: INVOCATIONS must be an integer of at least $MIN_INVOCATIONS, got '$INVOCATIONS'" >&2
  exit 2
fi
for required in "$LAMBDA_IMAGE_DIR/python/.venv/bin/python" "$LAMBDA_IMAGE_DIR/nodejs/node_modules"; do
  if [[ ! -e "$required" ]]; then
    echo "bench-handlers.sh: $required not found; run bash lambda-image/test-handlers.sh first" >&2
    exit 1
  fi
done

# Fake credentials and no metadata service: nothing may reach AWS.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI

work_dir="$(mktemp -d -t handler-bench-XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cleanup() {
  bash "$LAMBDA_IMAGE_DIR/testing/tls-postgres.sh" stop "$work_dir" "$port" || true
  rm -rf "$work_dir"
}
trap cleanup EXIT

bash "$LAMBDA_IMAGE_DIR/testing/tls-postgres.sh" init "$work_dir" "$port"
bash "$LAMBDA_IMAGE_DIR/testing/tls-postgres.sh" start "$work_dir" "$port"

echo "machine: $(nproc) cores, $(uname -m), $(python3 --version), Node.js $(node --version), PostgreSQL 15 on 127.0.0.1 with TLS"
"$LAMBDA_IMAGE_DIR/python/.venv/bin/python" "$LAMBDA_IMAGE_DIR/python/bench_handler.py" "$work_dir" "$port" "$INVOCATIONS"
(cd "$LAMBDA_IMAGE_DIR/nodejs" && node --no-warnings bench/bench-handler.mjs "$work_dir" "$port" "$INVOCATIONS")
