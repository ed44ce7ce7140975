#!/usr/bin/env bash
# Run a throwaway PostgreSQL 15 server with TLS for the handler tests and benchmark.
#
# Usage: tls-postgres.sh init|start|stop WORK_DIR PORT
#   init   makes a throwaway CA, a server certificate for localhost (SAN DNS:localhost only,
#          so connecting by IP address fails hostname verification), a second unrelated CA,
#          and a data directory that accepts TCP clients only with hostssl + scram-sha-256.
#   start  starts the server on 127.0.0.1:PORT and waits until it accepts connections.
#   stop   stops the server (fast shutdown); stopping a stopped server is not an error.
#
# Files in WORK_DIR after init:
#   ca.pem             CA that signed the server certificate (the handler's trust anchor)
#   other-ca.pem       CA that signed nothing (a wrong trust anchor)
#   client-auth-only.crt, client-auth-only.key
#                      certificate for localhost from ca.pem with extendedKeyUsage=clientAuth
#                      only, for a test TLS server whose certificate must fail verification
#   socket/            Unix socket directory; the superuser "pgadmin" connects there without
#                      a password, and no TCP client can use that role without TLS.
#   data/, server.log  data directory and server log
#
# As root, the server runs as the "postgres" OS user, because postgres refuses to run as root.
set -euo pipefail

# The newest PostgreSQL major that Debian installed, unless PG_BIN_DIR names another folder.
PG_BIN_DIR="${PG_BIN_DIR:-$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)}"
readonly PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
readonly ADMIN_ROLE="pgadmin"
readonly TEST_DATABASE="appdb"
readonly SERVER_START_TIMEOUT_SECONDS=30
readonly CERT_VALIDITY_DAYS=2

usage() {
  echo "usage: $0 init|start|stop WORK_DIR PORT" >&2
  exit 2
}

[[ $# -eq 3 ]] || usage
readonly COMMAND="$1"
readonly WORK_DIR="$2"
readonly PORT="$3"
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "tls-postgres.sh: PORT must be a number, got '$PORT'" >&2; exit 2; }

# Run a command as the OS user that owns the data directory.
run_as_server_user() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

make_certificates() {
  local tls_dir="$WORK_DIR/tls"
  mkdir -p "$tls_dir"

  openssl req -x509 -newkey rsa:2048 -nodes -days "$CERT_VALIDITY_DAYS" \
    -subj "/CN=Handler Test CA" -keyout "$tls_dir/ca.key" -out "$WORK_DIR/ca.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days "$CERT_VALIDITY_DAYS" \
    -subj "/CN=Unrelated Test CA" -keyout "$tls_dir/other-ca.key" -out "$WORK_DIR/other-ca.pem" 2>/dev/null

  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tls_dir/server.ext"
  openssl x509 -req -in "$tls_dir/server.csr" -days "$CERT_VALIDITY_DAYS" \
    -CA "$WORK_DIR/ca.pem" -CAkey "$tls_dir/ca.key" -CAcreateserial -CAserial "$tls_dir/ca.srl" \
    -extfile "$tls_dir/server.ext" -out "$tls_dir/server.crt" 2>/dev/null
  # Same CA and host name, but extendedKeyUsage=clientAuth, which a TLS client must reject
  # as a server certificate (OpenSSL verify error "unsuitable certificate purpose").
  printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=clientAuth\n' >"$tls_dir/client-auth-only.ext"
  openssl x509 -req -in "$tls_dir/server.csr" -days "$CERT_VALIDITY_DAYS" \
    -CA "$WORK_DIR/ca.pem" -CAkey "$tls_dir/ca.key" -CAserial "$tls_dir/ca.srl" \
    -extfile "$tls_dir/client-auth-only.ext" -out "$WORK_DIR/client-auth-only.crt" 2>/dev/null
  cp "$tls_dir/server.key" "$WORK_DIR/client-auth-only.key"
  chmod 600 "$tls_dir/server.key" "$WORK_DIR/client-auth-only.key"
}

write_server_config() {
  local data_dir="$1"
  cat >>"$data_dir/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK_DIR/socket'
ssl = on
ssl_cert_file = '$WORK_DIR/tls/server.crt'
ssl_key_file = '$WORK_DIR/tls/server.key'
password_encryption = 'scram-sha-256'
fsync = off
max_connections = 40
EOF
  cat >"$data_dir/pg_hba.conf" <<EOF
# TYPE   DATABASE  USER         ADDRESS        METHOD
local    all       $ADMIN_ROLE                 trust
hostssl  all       all          127.0.0.1/32   scram-sha-256
EOF
}

init_server() {
  if [[ -n "$(ls -A "$WORK_DIR" 2>/dev/null)" ]]; then
    echo "tls-postgres.sh: WORK_DIR '$WORK_DIR' is not empty; pass a new or empty directory" >&2
    exit 2
  fi
  mkdir -p "$WORK_DIR/socket"
  make_certificates
  if [[ "$(id -u)" -eq 0 ]]; then
    chown -R postgres:postgres "$WORK_DIR"
  fi

  run_as_server_user "$PG_BIN_DIR/initdb" --pgdata="$WORK_DIR/data" --username="$ADMIN_ROLE" \
    --auth=reject --encoding=UTF8 --no-instructions >"$WORK_DIR/initdb.log"
  write_server_config "$WORK_DIR/data"
}

start_server() {
  run_as_server_user "$PG_BIN_DIR/pg_ctl" --pgdata="$WORK_DIR/data" --log="$WORK_DIR/server.log" \
    --wait --timeout="$SERVER_START_TIMEOUT_SECONDS" start >/dev/null
  if ! run_as_server_user "$PG_BIN_DIR/psql" --host="$WORK_DIR/socket" --port="$PORT" \
    --username="$ADMIN_ROLE" --dbname=postgres --quiet --tuples-only \
    --command="SELECT 1 FROM pg_database WHERE datname = '$TEST_DATABASE'" | grep -q 1; then
    run_as_server_user "$PG_BIN_DIR/createdb" --host="$WORK_DIR/socket" --port="$PORT" \
      --username="$ADMIN_ROLE" "$TEST_DATABASE"
  fi
}

stop_server() {
  if [[ -f "$WORK_DIR/data/postmaster.pid" ]]; then
    run_as_server_user "$PG_BIN_DIR/pg_ctl" --pgdata="$WORK_DIR/data" --mode=fast --wait stop >/dev/null
  fi
}

case "$COMMAND" in
  init) init_server ;;
  start) start_server ;;
  stop) stop_server ;;
  *) usage ;;
esac
