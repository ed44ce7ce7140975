"""Shared fixtures: safe AWS settings, API Gateway REST proxy events, a fake Lambda context and
one TLS PostgreSQL server per test session."""

import atexit
import json
import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Set before any test imports boto3: fixed fake credentials, no metadata service, and no
# shared config files, so that no request can leave this machine.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
os.environ.update(FAKE_AWS_ENVIRONMENT)
for variable in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
    os.environ.pop(variable, None)

PYTHON_DIR = Path(__file__).resolve().parents[1]
LAMBDA_IMAGE_DIR = PYTHON_DIR.parent
FIXTURES_DIR = LAMBDA_IMAGE_DIR / "test-fixtures"
TLS_POSTGRES_SCRIPT = LAMBDA_IMAGE_DIR / "testing" / "tls-postgres.sh"
def newest_pg_bin_dir() -> Path:
    """Return the newest /usr/lib/postgresql/<major>/bin, where Debian installs each major."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)
    return candidates[-1] if candidates else Path("/usr/lib/postgresql/15/bin")


PG_BIN_DIR = Path(os.environ["PG_BIN_DIR"]) if os.environ.get("PG_BIN_DIR") else newest_pg_bin_dir()
RUNNING_IN_CI = os.environ.get("CI", "") not in ("", "false")

sys.path.insert(0, str(PYTHON_DIR))


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES_DIR / name).read_text())


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of the Python Lambda context object that the handler reads."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    recorded = load_fixture("lambda-context.json")
    return FakeLambdaContext(
        function_name=recorded["functionName"],
        function_version=recorded["functionVersion"],
        invoked_function_arn=recorded["invokedFunctionArn"],
        memory_limit_in_mb=int(recorded["memoryLimitInMB"]),
        aws_request_id=recorded["awsRequestId"],
        log_group_name=recorded["logGroupName"],
        log_stream_name=recorded["logStreamName"],
    )


@pytest.fixture
def get_event() -> dict:
    return load_fixture("apigateway-rest-get.json")


@pytest.fixture
def post_event() -> dict:
    return load_fixture("apigateway-rest-post.json")


def missing_tools() -> list[str]:
    missing = [tool for tool in ("openssl", "bash") if shutil.which(tool) is None]
    missing += [str(PG_BIN_DIR / binary) for binary in ("initdb", "pg_ctl", "postgres", "psql") if not (PG_BIN_DIR / binary).exists()]
    return missing


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TlsPostgres:
    """A running throwaway server made by testing/tls-postgres.sh."""

    work_dir: Path
    port: int

    @property
    def ca_path(self) -> str:
        return str(self.work_dir / "ca.pem")

    @property
    def other_ca_path(self) -> str:
        return str(self.work_dir / "other-ca.pem")

    @property
    def admin_socket(self) -> str:
        return str(self.work_dir / "socket" / f".s.PGSQL.{self.port}")

    def run_script(self, command: str) -> None:
        subprocess.run(["bash", str(TLS_POSTGRES_SCRIPT), command, str(self.work_dir), str(self.port)], check=True)

    def start(self) -> None:
        self.run_script("start")

    def stop(self) -> None:
        self.run_script("stop")

    def admin_run(self, sql: str, **params):
        """Run one statement as the superuser over the Unix socket, which needs no password."""
        import pg8000.native

        connection = pg8000.native.Connection(user="pgadmin", unix_sock=self.admin_socket, database="appdb", ssl_context=False)
        try:
            return connection.run(sql, **params)
        finally:
            connection.close()

    def set_role_password(self, role: str, password: str) -> None:
        import pg8000.native

        self.admin_run(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {pg8000.native.literal(role)}) "
            f"THEN CREATE ROLE {pg8000.native.identifier(role)} LOGIN; END IF; END$$"
        )
        self.admin_run(f"ALTER ROLE {pg8000.native.identifier(role)} PASSWORD {pg8000.native.literal(password)}")

    def terminate_sessions(self, role: str) -> int:
        rows = self.admin_run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role", role=role)
        return len(rows)


@pytest.fixture(scope="session")
def tls_postgres():
    missing = missing_tools()
    if missing:
        message = f"integration tests need these tools, which are missing: {', '.join(missing)}"
        if RUNNING_IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    work_dir = Path(tempfile.mkdtemp(prefix="handler-pg-", dir=os.environ.get("HANDLER_TEST_TMPDIR")))
    server = TlsPostgres(work_dir=work_dir, port=find_free_port())

    def stop_server() -> None:
        server.stop()
        shutil.rmtree(work_dir, ignore_errors=True)

    # SIGTERM would end pytest without running finally blocks or atexit handlers, so it is
    # turned into SystemExit. The atexit handler covers an exit that skips the fixture's teardown.
    previous_sigterm_handler = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    atexit.register(stop_server)
    server.run_script("init")
    server.start()
    try:
        yield server
    finally:
        stop_server()
        atexit.unregister(stop_server)
        signal.signal(signal.SIGTERM, previous_sigterm_handler)


@pytest.fixture(scope="session")
def tls_ca_path(tmp_path_factory) -> str:
    """A self-signed CA certificate file, made with openssl, for TLS context tests."""
    directory = tmp_path_factory.mktemp("tls-ca")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Context Test CA",
         "-keyout", str(directory / "ca.key"), "-out", str(directory / "ca.pem")],
        check=True,
        capture_output=True,
    )
    return str(directory / "ca.pem")
