"""The handler against a real PostgreSQL 15 with TLS and scram-sha-256, where the role's
password is the IAM auth token for the expected host, port, user, Region and time."""

import json
import logging
import socket
import threading
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
    """A listener that accepts TCP connections and never answers stands in for a stalled proxy."""
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
