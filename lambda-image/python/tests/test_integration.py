"""The handler against a real PostgreSQL 15 with TLS and scram-sha-256, where the role's
password is the IAM auth token for the expected host, port, user, Region and time."""

import contextlib
import json
import logging
import socket
import ssl
import threading
import time
from datetime import datetime, timedelta, timezone

import boto3
import pg8000.exceptions
import pg8000.native
import pytest
from freezegun import freeze_time

from rds_probe.database import Timeouts, create_tls_context
from rds_probe.probe_handler import build_handler

ROLE = "app_iam"
REGION = "ap-northeast-1"
HOST = "localhost"
SIGNED_AT = datetime(2025, 1, 22, 8, 15, 42, tzinfo=timezone.utc)
# RDS IAM auth tokens expire 15 minutes after signing.
TOKEN_LIFETIME = timedelta(minutes=15)


def expected_token(port: int, at: datetime, user: str = ROLE, region: str = REGION) -> str:
    """Compute the token that RDS would accept, independently of the handler's code path."""
    with freeze_time(at):
        client = boto3.session.Session().client("rds", region_name=region)
        return client.generate_db_auth_token(DBHostname=HOST, Port=port, DBUsername=user, Region=region)


def handler_environment(server, **overrides) -> dict:
    environment = {
        "DB_REGION": REGION,
        "DB_PROXY_ENDPOINT": HOST,
        "DB_PORT": str(server.port),
        "DB_NAME": "appdb",
        "DB_USER": ROLE,
        "DB_CA_BUNDLE_PATH": server.ca_path,
    }
    environment.update(overrides)
    return environment


@pytest.fixture
def signed_role(tls_postgres):
    """Set the role's password to the token for SIGNED_AT and drop its sessions afterwards."""
    token = expected_token(tls_postgres.port, SIGNED_AT)
    tls_postgres.set_role_password(ROLE, token)
    yield token
    tls_postgres.terminate_sessions(ROLE)


@pytest.fixture
def log_messages():
    lines = []

    class Collector(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    from rds_probe.json_log import JsonLogFormatter

    collector = Collector()
    collector.setFormatter(JsonLogFormatter())
    package_logger = logging.getLogger("rds_probe")
    package_logger.addHandler(collector)
    yield lines
    package_logger.removeHandler(collector)


def response_body(response) -> dict:
    return json.loads(response["body"])


def test_success_reports_tls_session(tls_postgres, signed_role, get_event, lambda_context, log_messages):
    handler = build_handler(handler_environment(tls_postgres))

    with freeze_time(SIGNED_AT):
        first = handler(get_event, lambda_context)
        second = handler(get_event, lambda_context)

    assert first["statusCode"] == 200, first["body"]
    first_body = response_body(first)
    assert first_body["tls"] is True
    assert first_body["currentUser"] == ROLE
    assert first_body["database"] == "appdb"
    assert first_body["serverVersion"].startswith("15")
    assert first_body["connectionReused"] is False
    assert second["statusCode"] == 200
    assert response_body(second)["connectionReused"] is True
    assert len(log_messages) == 2
    assert all(signed_role not in line for line in log_messages)
    assert [json.loads(line)["connectionReused"] for line in log_messages] == [False, True]


def test_wrong_ca_fails_tls(tls_postgres, signed_role, get_event, lambda_context):
    handler = build_handler(handler_environment(tls_postgres, DB_CA_BUNDLE_PATH=tls_postgres.other_ca_path))

    with freeze_time(SIGNED_AT):
        response = handler(get_event, lambda_context)

    assert response["statusCode"] == 500
    assert response_body(response)["error"]["failureClass"] == "tls"


def test_host_name_mismatch_fails_tls(tls_postgres, signed_role, get_event, lambda_context):
    # The server certificate names only DNS:localhost, so 127.0.0.1 must fail verification.
    handler = build_handler(handler_environment(tls_postgres, DB_PROXY_ENDPOINT="127.0.0.1"))

    with freeze_time(SIGNED_AT):
        response = handler(get_event, lambda_context)

    assert response["statusCode"] == 500
    assert response_body(response)["error"]["failureClass"] == "tls"


def test_server_down_then_back(tls_postgres, signed_role, get_event, lambda_context):
    handler = build_handler(handler_environment(tls_postgres))

    tls_postgres.stop()
    try:
        with freeze_time(SIGNED_AT):
            down = handler(get_event, lambda_context)
    finally:
        tls_postgres.start()
    with freeze_time(SIGNED_AT):
        back = handler(get_event, lambda_context)

    assert down["statusCode"] == 503
    assert response_body(down)["error"]["failureClass"] == "unreachable"
    assert back["statusCode"] == 200, back["body"]
    assert response_body(back)["tls"] is True


def test_killed_connection_replaced(tls_postgres, signed_role, get_event, lambda_context, log_messages):
    handler = build_handler(handler_environment(tls_postgres))

    with freeze_time(SIGNED_AT):
        first = handler(get_event, lambda_context)
        terminated = tls_postgres.terminate_sessions(ROLE)
        second = handler(get_event, lambda_context)

    assert first["statusCode"] == 200, first["body"]
    assert terminated == 1
    assert second["statusCode"] == 200, second["body"]
    assert response_body(second)["connectionReused"] is False
    assert any(json.loads(line)["message"] == "replacing broken connection" for line in log_messages)


def test_new_connection_gets_fresh_token(tls_postgres, signed_role, get_event, lambda_context):
    handler = build_handler(handler_environment(tls_postgres))
    later = SIGNED_AT + TOKEN_LIFETIME + timedelta(minutes=1)
    later_token = expected_token(tls_postgres.port, later)

    with freeze_time(SIGNED_AT) as clock:
        first = handler(get_event, lambda_context)
        clock.move_to(later)
        tls_postgres.set_role_password(ROLE, later_token)
        tls_postgres.terminate_sessions(ROLE)
        second = handler(get_event, lambda_context)

    assert first["statusCode"] == 200, first["body"]
    assert later_token != signed_role
    assert second["statusCode"] == 200, second["body"]
    assert response_body(second)["connectionReused"] is False


def test_expired_token_rejected_by_server(tls_postgres, signed_role):
    """Guards the test above: after the password change, the first token no longer logs in."""
    tls_postgres.set_role_password(ROLE, expected_token(tls_postgres.port, SIGNED_AT + timedelta(minutes=16)))

    with pytest.raises(pg8000.exceptions.DatabaseError) as raised:
        pg8000.native.Connection(
            user=ROLE,
            password=signed_role,
            host=HOST,
            port=tls_postgres.port,
            database="appdb",
            ssl_context=create_tls_context(tls_postgres.ca_path),
        )

    assert raised.value.args[0]["C"] == "28P01"


@pytest.mark.parametrize(
    "overrides",
    [{"DB_USER": "someone_else"}, {"DB_REGION": "us-east-1"}],
    ids=["wrong user", "wrong region"],
)
def test_wrong_identity_fails_authentication(tls_postgres, signed_role, get_event, lambda_context, log_messages, overrides):
    handler = build_handler(handler_environment(tls_postgres, **overrides))

    with freeze_time(SIGNED_AT):
        response = handler(get_event, lambda_context)

    assert response["statusCode"] == 500
    assert response_body(response)["error"]["failureClass"] == "authentication"
    assert signed_role not in response["body"]
    assert "Traceback" not in response["body"]
    assert all("X-Amz-Signature" not in line for line in log_messages)


def test_silent_server_times_out(get_event, lambda_context, tls_postgres):
    """A listener that accepts TCP connections and never replies plays the part of a stalled proxy."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop_accepting = threading.Event()

    def accept_and_hold():
        listener.settimeout(0.1)
        while not stop_accepting.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    acceptor = threading.Thread(target=accept_and_hold, daemon=True)
    acceptor.start()
    environment = handler_environment(tls_postgres, DB_PORT=str(listener.getsockname()[1]))
    handler = build_handler(environment, timeouts=Timeouts(connect_seconds=0.5, statement_seconds=0.5))
    try:
        response = handler(get_event, lambda_context)
    finally:
        stop_accepting.set()
        acceptor.join()
        for connection in accepted:
            connection.close()
        listener.close()

    assert response["statusCode"] == 503
    assert response_body(response)["error"]["failureClass"] == "timeout"


class DelayingProxy:
    """Loopback TCP proxy that forwards each chunk from the server after ``delay_seconds``.

    Every single read on the client side finishes well within a per-read timeout, but the
    whole connect (TLS handshake and SCRAM login take several round trips) takes seconds.
    """

    def __init__(self, server_port: int, delay_seconds: float) -> None:
        self._server_port = server_port
        self._delay_seconds = delay_seconds
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self._server_port))
            self._sockets += [client, upstream]
            for source, target, delay in ((client, upstream, 0.0), (upstream, client, self._delay_seconds)):
                pump = threading.Thread(target=self._pump, args=(source, target, delay), daemon=True)
                self._threads.append(pump)
                pump.start()

    def _pump(self, source: socket.socket, target: socket.socket, delay: float) -> None:
        try:
            while not self._stopping.is_set():
                chunk = source.recv(65536)
                if not chunk:
                    break
                if self._stopping.wait(delay):
                    break
                target.sendall(chunk)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stopping.set()
        for open_socket in self._sockets:
            with contextlib.suppress(OSError):
                open_socket.shutdown(socket.SHUT_RDWR)
            open_socket.close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()


class ShortLivedContext:
    """Lambda context whose remaining time is fixed, standing in for an invocation near its timeout."""

    def __init__(self, template, remaining_ms: int) -> None:
        self._template = template
        self._remaining_ms = remaining_ms

    def __getattr__(self, name):
        return getattr(self._template, name)

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


@pytest.mark.parametrize(
    ("timeouts", "remaining_ms", "budget_seconds"),
    [
        (Timeouts(connect_seconds=1.0, statement_seconds=1.0, safety_margin_seconds=0.1), 25_000, 1.0),
        (Timeouts(connect_seconds=5.0, statement_seconds=5.0, safety_margin_seconds=0.5), 1_500, 1.0),
    ],
    ids=["connect timeout caps", "remaining time caps"],
)
def test_slow_proxy_stops_at_deadline(tls_postgres, signed_role, get_event, lambda_context, timeouts, remaining_ms, budget_seconds):
    # 0.4 s per reply: each read ends well within the timeout, the whole connect takes > 2 s.
    proxy = DelayingProxy(tls_postgres.port, delay_seconds=0.4)
    handler = build_handler(handler_environment(tls_postgres, DB_PORT=str(proxy.port)), timeouts=timeouts)
    try:
        with freeze_time(SIGNED_AT, tick=True):
            started = time.monotonic()
            response = handler(get_event, ShortLivedContext(lambda_context, remaining_ms))
            elapsed = time.monotonic() - started
    finally:
        handler.connections.close()
        proxy.close()

    assert response["statusCode"] == 503, response["body"]
    assert response_body(response)["error"]["failureClass"] == "timeout"
    assert elapsed < budget_seconds + 0.3


def test_slow_proxy_without_deadline_succeeds(tls_postgres, signed_role, get_event, lambda_context):
    """Guards the test above: with enough time the same proxy lets the probe succeed."""
    proxy = DelayingProxy(tls_postgres.port, delay_seconds=0.4)
    # The token is signed for the port that the handler connects to, which is the proxy's.
    tls_postgres.set_role_password(ROLE, expected_token(proxy.port, SIGNED_AT))
    handler = build_handler(handler_environment(tls_postgres, DB_PORT=str(proxy.port)))
    try:
        with freeze_time(SIGNED_AT, tick=True):
            started = time.monotonic()
            response = handler(get_event, lambda_context)
            elapsed = time.monotonic() - started
    finally:
        handler.connections.close()
        proxy.close()

    assert response["statusCode"] == 200, response["body"]
    assert elapsed > 1.3


def test_no_replacement_without_budget(tls_postgres, signed_role, get_event, lambda_context, log_messages):
    handler = build_handler(handler_environment(tls_postgres), timeouts=Timeouts(safety_margin_seconds=0.1, min_replacement_seconds=1.0))

    with freeze_time(SIGNED_AT):
        first = handler(get_event, lambda_context)
        tls_postgres.terminate_sessions(ROLE)
        second = handler(get_event, ShortLivedContext(lambda_context, 600))
        third = handler(get_event, lambda_context)

    assert first["statusCode"] == 200, first["body"]
    assert second["statusCode"] == 503
    assert response_body(second)["error"]["failureClass"] == "unreachable"
    assert any(json.loads(line)["message"] == "not replacing broken connection: too little time left" for line in log_messages)
    assert third["statusCode"] == 200, third["body"]
    assert response_body(third)["connectionReused"] is False


def test_session_has_statement_timeout(tls_postgres, signed_role, get_event, lambda_context):
    handler = build_handler(handler_environment(tls_postgres), timeouts=Timeouts(statement_seconds=4.5))

    with freeze_time(SIGNED_AT):
        response = handler(get_event, lambda_context)
    try:
        [[statement_timeout]] = handler.connections.connection.run("SHOW statement_timeout")
    finally:
        handler.connections.close()

    assert response["statusCode"] == 200, response["body"]
    assert statement_timeout == "4500ms"


def test_client_auth_certificate_fails_tls(tls_postgres, signed_role, get_event, lambda_context):
    """A TLS server whose certificate is for clientAuth only, signed by the trusted CA."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tls_postgres.work_dir / "client-auth-only.crt", tls_postgres.work_dir / "client-auth-only.key")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def answer_ssl_request():
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(5)
            connection.recv(8)
            connection.sendall(b"S")
            with contextlib.suppress(OSError):
                server_context.wrap_socket(connection, server_side=True).close()

    server_thread = threading.Thread(target=answer_ssl_request, daemon=True)
    server_thread.start()
    handler = build_handler(handler_environment(tls_postgres, DB_PORT=str(listener.getsockname()[1])))
    try:
        with freeze_time(SIGNED_AT):
            response = handler(get_event, lambda_context)
    finally:
        server_thread.join(timeout=5)
        listener.close()

    assert response["statusCode"] == 500, response["body"]
    assert response_body(response)["error"]["failureClass"] == "tls"


@pytest.mark.parametrize(
    ("grant_change", "undo", "failure_class", "status_code", "sqlstate"),
    [
        (f"ALTER ROLE {ROLE} CONNECTION LIMIT 0", f"ALTER ROLE {ROLE} CONNECTION LIMIT -1", "unreachable", 503, "53300"),
        (f"REVOKE CONNECT ON DATABASE appdb FROM PUBLIC", f"GRANT CONNECT ON DATABASE appdb TO PUBLIC", "authentication", 500, "42501"),
    ],
    ids=["too many connections", "no connect privilege"],
)
def test_login_sqlstate_classified(tls_postgres, signed_role, get_event, lambda_context, log_messages, grant_change, undo, failure_class, status_code, sqlstate):
    handler = build_handler(handler_environment(tls_postgres))
    tls_postgres.admin_run(grant_change)
    try:
        with freeze_time(SIGNED_AT):
            response = handler(get_event, lambda_context)
    finally:
        tls_postgres.admin_run(undo)

    assert response["statusCode"] == status_code, response["body"]
    assert response_body(response)["error"]["failureClass"] == failure_class
    [line] = [json.loads(line) for line in log_messages if json.loads(line)["message"] == "invocation failed"]
    assert line["sqlstate"] == sqlstate
    assert ROLE not in line["detail"]
