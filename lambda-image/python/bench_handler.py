"""Measure the Python handler's cold and warm invocation latency against a running TLS
PostgreSQL made by ../testing/tls-postgres.sh. Run by ../bench-handlers.sh; not a test.

Usage: bench_handler.py WORK_DIR PORT INVOCATIONS
"""

import json
import math
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pg8000.native
from freezegun import freeze_time

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rds_probe.probe_handler import build_handler  # noqa: E402

ROLE = "app_iam"
REGION = "ap-northeast-1"
HOST = "localhost"
# The role's password must be the token for one fixed time, so only the cold invocation,
# which signs a token, runs under a frozen clock. Warm invocations sign nothing.
SIGNED_AT = datetime(2025, 1, 22, 8, 15, 42, tzinfo=timezone.utc)
EVENT_PATH = Path(__file__).resolve().parents[1] / "test-fixtures" / "apigateway-rest-get.json"


def monotonic_seconds() -> float:
    """Read the monotonic clock directly, because freezegun stops time.perf_counter."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class BenchContext:
    aws_request_id = "bench-request"


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def set_role_password(work_dir: str, port: int, password: str) -> None:
    admin = pg8000.native.Connection(user="pgadmin", unix_sock=f"{work_dir}/socket/.s.PGSQL.{port}", database="appdb", ssl_context=False)
    try:
        if not admin.run("SELECT 1 FROM pg_roles WHERE rolname = :role", role=ROLE):
            admin.run(f"CREATE ROLE {pg8000.native.identifier(ROLE)} LOGIN")
        admin.run(f"ALTER ROLE {pg8000.native.identifier(ROLE)} PASSWORD {pg8000.native.literal(password)}")
    finally:
        admin.close()


def main() -> int:
    work_dir, port, invocations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    event = json.loads(EVENT_PATH.read_text())
    with freeze_time(SIGNED_AT):
        token = boto3.session.Session().client("rds", region_name=REGION).generate_db_auth_token(
            DBHostname=HOST, Port=port, DBUsername=ROLE, Region=REGION
        )
    set_role_password(work_dir, port, token)

    environment = {
        "DB_REGION": REGION,
        "DB_PROXY_ENDPOINT": HOST,
        "DB_PORT": str(port),
        "DB_NAME": "appdb",
        "DB_USER": ROLE,
        "DB_CA_BUNDLE_PATH": f"{work_dir}/ca.pem",
    }
    real_stdout = sys.stdout
    # The handler's JSON log lines go to /dev/null: they are written, as in Lambda, but not shown.
    sys.stdout = open(os.devnull, "w")
    try:
        started = monotonic_seconds()
        handler = build_handler(environment)
        built = monotonic_seconds()
        with freeze_time(SIGNED_AT):
            first_started = monotonic_seconds()
            cold_response = handler(event, BenchContext())
            first_finished = monotonic_seconds()
        if cold_response["statusCode"] != 200:
            raise SystemExit(f"cold invocation failed: {cold_response['body']}")

        warm_ms = []
        for _ in range(invocations):
            invocation_started = monotonic_seconds()
            response = handler(event, BenchContext())
            warm_ms.append((monotonic_seconds() - invocation_started) * 1000)
            if response["statusCode"] != 200:
                raise SystemExit(f"warm invocation failed: {response['body']}")

        connection = handler.connections.connection
        select_ms = []
        for _ in range(invocations):
            query_started = monotonic_seconds()
            connection.run("SELECT 1")
            select_ms.append((monotonic_seconds() - query_started) * 1000)
    finally:
        sys.stdout.close()
        sys.stdout = real_stdout

    print(f"python  build (config + TLS context + boto3 client): {(built - started) * 1000:8.2f} ms")
    print(f"python  cold first invocation (token + TCP + TLS + SCRAM + query): {(first_finished - first_started) * 1000:8.2f} ms")
    print(f"python  warm invocation, n={invocations}:  median {statistics.median(warm_ms):6.3f} ms  p99 {percentile(warm_ms, 0.99):6.3f} ms")
    print(f"python  raw SELECT 1 on same TLS connection, n={invocations}:  median {statistics.median(select_ms):6.3f} ms  p99 {percentile(select_ms, 0.99):6.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
