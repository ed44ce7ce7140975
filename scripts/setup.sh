#!/usr/bin/env bash
# Installs everything synth and the tests need on a fresh Debian machine: the system packages the
# handler tests use (when missing and when run as root), then the Node.js dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v openssl >/dev/null || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3 python3-venv)
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing ${missing[*]}; install them (for example: sudo apt-get install ${missing[*]})" >&2
  fi
fi

if ! command -v terraform >/dev/null; then
  echo "setup: terraform (1.10 or later) is not on PATH; install it from HashiCorp before synth or tests" >&2
  exit 1
fi

npm ci --no-audit --no-fund
