import contextlib
import importlib
import json
import logging
import ssl
import sys

import pg8000.exceptions
import pytest

from rds_probe.config import load_config
from conftest import load_fixture

from rds_probe.database import ConnectionManager, ProbeResult, classify_database_error, create_tls_context
from rds_probe.errors import (
    ConfigurationError,
    DatabaseAuthenticationError,
    DatabaseTimeoutError,
    DatabaseTlsError,
    DatabaseUnreachableError,
)
from rds_probe.json_log import JsonLogFormatter
from rds_probe.probe_handler import ProbeHandler, build_handler

SECRET_TOKEN = "proxy.example.com:5432/?Action=connect&DBUser=app&X-Amz-Signature=SECRET0123456789abcdef"

# Status codes of the API contract: failures that retrying can fix are 503, the others 500.
EXPECTED_STATUS_BY_ERROR = [
    (DatabaseTlsError, "tls", 500),
    (DatabaseAuthenticationError, "authentication", 500),
    (DatabaseUnreachableError, "unreachable", 503),
    (DatabaseTimeoutError, "timeout", 503),
]


class StubConnections:
    """Stands in for ConnectionManager: returns a fixed result or raises a fixed error."""

    def __init__(self, result=None, error=None, has_connection=False):
        self.result = result
        self.error = error
        self.has_connection = has_connection

    def run_probe(self, remaining_ms=None):
        if self.error is not None:
            raise self.error
        return self.result, self.has_connection


class RecordCollector(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def json_lines(self):
        formatter = JsonLogFormatter()
        return [json.loads(formatter.format(record)) for record in self.records]


@pytest.fixture
def log_lines():
    collector = RecordCollector()
    package_logger = logging.getLogger("rds_probe")
    package_logger.addHandler(collector)
    try:
        yield collector
    finally:
        package_logger.removeHandler(collector)


def assert_json_proxy_response(response, status_code):
    assert response["statusCode"] == status_code
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["isBase64Encoded"] is False
    assert isinstance(response["body"], str)
    return json.loads(response["body"])


def test_configuration_error_returns_500(get_event, lambda_context, log_lines):
    handler = build_handler({"DB_REGION": "eu-west-1", "DB_PROXY_ENDPOINT": "proxy.example.com", "DB_PORT": "99999"})

    response = handler(get_event, lambda_context)

    body = assert_json_proxy_response(response, 500)
    assert body["error"]["failureClass"] == "configuration"
    assert body["error"]["requestId"] == lambda_context.aws_request_id
    for variable in ("DB_PORT", "DB_NAME", "DB_USER"):
        assert variable in body["error"]["message"]
    assert "DB_REGION" not in body["error"]["message"]


def test_configuration_error_log_names_variables(get_event, lambda_context, log_lines):
    handler = build_handler({"DB_REGION": "eu-west-1", "DB_PROXY_ENDPOINT": "proxy.example.com", "DB_NAME": "app", "DB_USER": "app"})
    log_lines.records.clear()

    handler(get_event, lambda_context)
    handler(get_event, lambda_context)

    lines = log_lines.json_lines()
    assert len(lines) == 2
    for line in lines:
        assert line["outcome"] == "configuration"
        assert line["invalidVariables"] == ["DB_PORT"]
        assert line["requestId"] == lambda_context.aws_request_id
        assert line["apiRequestId"] == get_event["requestContext"]["requestId"]
        assert line["connectionReused"] is False
        assert line["durationMs"] >= 0
        assert line["level"] == "ERROR"


def test_configuration_checked_once_per_environment(get_event, lambda_context, monkeypatch):
    calls = []

    def counting_load_config(environ):
        calls.append(environ)
        return load_config(environ)

    monkeypatch.setattr("rds_probe.probe_handler.load_config", counting_load_config)
    handler = build_handler({})

    for _ in range(3):
        handler(get_event, lambda_context)

    assert len(calls) == 1


def test_success_returns_200_json(post_event, lambda_context, log_lines):
    result = ProbeResult(current_user="app_iam", database="app", server_version="15.8", tls=True)
    handler = ProbeHandler(connections=StubConnections(result=result, has_connection=True))

    response = handler(post_event, lambda_context)

    body = assert_json_proxy_response(response, 200)
    assert body == {"currentUser": "app_iam", "database": "app", "serverVersion": "15.8", "tls": True, "connectionReused": True}
    [line] = log_lines.json_lines()
    assert line["outcome"] == "success"
    assert line["statusCode"] == 200
    assert line["connectionReused"] is True
    assert line["apiRequestId"] == post_event["requestContext"]["requestId"]


@pytest.mark.parametrize(("error_type", "failure_class", "status_code"), EXPECTED_STATUS_BY_ERROR)
def test_database_error_response_hides_details(error_type, failure_class, status_code, get_event, lambda_context, log_lines):
    error = error_type(f"driver detail with {SECRET_TOKEN}")
    try:
        raise RuntimeError(f"password={SECRET_TOKEN}")
    except RuntimeError as cause:
        error.__cause__ = cause
    handler = ProbeHandler(connections=StubConnections(error=error))

    response = handler(get_event, lambda_context)

    body = assert_json_proxy_response(response, status_code)
    assert body["error"]["failureClass"] == failure_class
    assert body["error"]["message"]
    assert SECRET_TOKEN not in response["body"]
    assert "password" not in response["body"]
    assert "Traceback" not in response["body"]
    [line] = log_lines.json_lines()
    assert line["outcome"] == failure_class
    assert line["statusCode"] == status_code


def test_unexpected_error_logged_and_raised(get_event, lambda_context, log_lines):
    handler = ProbeHandler(connections=StubConnections(error=KeyError("surprise")))

    with pytest.raises(KeyError):
        handler(get_event, lambda_context)

    [line] = log_lines.json_lines()
    assert line["outcome"] == "unexpected_error"
    assert line["error"] == "KeyError"


def test_handler_accepts_event_without_request_context(lambda_context, log_lines):
    handler = build_handler({})

    response = handler({}, lambda_context)

    assert response["statusCode"] == 500
    assert log_lines.json_lines()[-1]["apiRequestId"] is None


def test_handler_requires_exactly_one_state():
    with pytest.raises(ValueError):
        ProbeHandler()
    with pytest.raises(ValueError):
        ProbeHandler(connections=StubConnections(), configuration_error=ConfigurationError([]))


@pytest.mark.parametrize(
    ("error", "expected_type"),
    [
        (ssl.SSLCertVerificationError("certificate verify failed"), DatabaseTlsError),
        (pg8000.exceptions.InterfaceError("Server refuses SSL"), DatabaseTlsError),
        (pg8000.exceptions.DatabaseError({"C": "28P01", "M": "password authentication failed"}), DatabaseAuthenticationError),
        (pg8000.exceptions.DatabaseError({"C": "28000", "M": "no pg_hba.conf entry"}), DatabaseAuthenticationError),
        (pg8000.exceptions.DatabaseError({"C": "3D000", "M": "database does not exist"}), DatabaseAuthenticationError),
        (pg8000.exceptions.DatabaseError({"C": "57014", "M": "canceling statement due to statement timeout"}), DatabaseTimeoutError),
        (pg8000.exceptions.DatabaseError({"C": "57P01", "M": "terminating connection"}), DatabaseUnreachableError),
        (pg8000.exceptions.InterfaceError("network error"), DatabaseUnreachableError),
        (ConnectionRefusedError(111, "Connection refused"), DatabaseUnreachableError),
        (TimeoutError("timed out"), DatabaseTimeoutError),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else type(value).__name__,
)
def test_classify_maps_driver_errors(error, expected_type):
    assert type(classify_database_error(error)) is expected_type


def test_classify_wrapped_socket_timeout():
    wrapped = pg8000.exceptions.InterfaceError("network error")
    wrapped.__cause__ = TimeoutError("timed out")

    assert type(classify_database_error(wrapped)) is DatabaseTimeoutError


def test_classify_leaves_unknown_errors():
    assert classify_database_error(pg8000.exceptions.DatabaseError({"C": "42P01", "M": "no such table"})) is None
    assert classify_database_error(ValueError("bug")) is None


def test_entry_point_reads_environment(monkeypatch, get_event, lambda_context):
    for variable in ("DB_REGION", "DB_PROXY_ENDPOINT", "DB_PORT", "DB_NAME", "DB_USER", "DB_CA_BUNDLE_PATH"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DB_REGION", "not a region")
    sys.modules.pop("handler", None)

    entry_point = importlib.import_module("handler")
    response = entry_point.lambda_handler(get_event, lambda_context)

    body = json.loads(response["body"])
    assert response["statusCode"] == 500
    assert body["error"]["failureClass"] == "configuration"
    assert "DB_REGION" in body["error"]["message"]
    sys.modules.pop("handler", None)


def test_configuration_error_body_hides_values(get_event, lambda_context, log_lines, tmp_path):
    missing_ca_path = str(tmp_path / "secret-dir" / "absent-ca.pem")
    handler = build_handler(
        {
            "DB_REGION": "eu-west-1",
            "DB_PROXY_ENDPOINT": "proxy.example.com",
            "DB_PORT": "5432",
            "DB_NAME": "app",
            "DB_USER": "app",
            "DB_CA_BUNDLE_PATH": missing_ca_path,
        }
    )
    bad_port_handler = build_handler({"DB_REGION": "eu-west-1", "DB_PROXY_ENDPOINT": "proxy.example.com", "DB_PORT": "99999", "DB_NAME": "app", "DB_USER": "app"})
    log_lines.records.clear()

    response = handler(get_event, lambda_context)
    bad_port_response = bad_port_handler(get_event, lambda_context)

    body = assert_json_proxy_response(response, 500)
    assert body["error"]["message"] == "invalid function configuration: DB_CA_BUNDLE_PATH"
    assert "secret-dir" not in response["body"]
    assert "99999" not in bad_port_response["body"]
    assert json.loads(bad_port_response["body"])["error"]["message"] == "invalid function configuration: DB_PORT"
    lines = log_lines.json_lines()
    assert missing_ca_path in lines[0]["detail"]
    assert "99999" in lines[1]["detail"]


def test_ca_error_text_matches_nodejs(tmp_path):
    with pytest.raises(ConfigurationError) as raised:
        create_tls_context(str(tmp_path / "absent.pem"))

    # The Node.js handler's test asserts the same text.
    assert str(raised.value) == f"invalid function configuration: DB_CA_BUNDLE_PATH is invalid: cannot load a PEM CA certificate from '{tmp_path / 'absent.pem'}'"


LOG_LINE_FIELDS = load_fixture("log-line-fields.json")


@pytest.mark.parametrize(
    ("connections", "message", "expected_fields"),
    [
        (StubConnections(result=ProbeResult("app_iam", "app", "15.8", True)), "invocation succeeded", "invocationSucceeded"),
        (StubConnections(error=DatabaseTlsError("bad certificate")), "invocation failed", "invocationFailed"),
        (StubConnections(error=pg8000.exceptions.DatabaseError({"C": "42P01", "M": "no such table"})), "invocation failed", "invocationFailed"),
    ],
    ids=["success", "handler error", "unexpected error"],
)
def test_log_line_fields_match_fixture(get_event, lambda_context, log_lines, connections, message, expected_fields):
    handler = ProbeHandler(connections=connections)

    with contextlib.suppress(pg8000.exceptions.DatabaseError):
        handler(get_event, lambda_context)

    [line] = log_lines.json_lines()
    assert line["message"] == message
    assert sorted(line) == sorted(LOG_LINE_FIELDS[expected_fields])


def test_configuration_log_line_fields_match_fixture(get_event, lambda_context, log_lines):
    handler = build_handler({})
    log_lines.records.clear()

    handler(get_event, lambda_context)

    [line] = log_lines.json_lines()
    assert sorted(line) == sorted(LOG_LINE_FIELDS["invocationFailed"])


def test_log_level_names_match_lambda():
    formatter = JsonLogFormatter()
    record = logging.LogRecord("rds_probe", logging.WARNING, __file__, 1, "replacing broken connection", None, None)

    assert json.loads(formatter.format(record))["level"] == "WARN"


def test_tls_context_trusts_only_ca_file(tls_ca_path):
    context = create_tls_context(tls_ca_path)

    assert context.cert_store_stats()["x509_ca"] == 1
    assert len(context.get_ca_certs()) == 1
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


@pytest.mark.parametrize("warm_error", [DatabaseTlsError("bad certificate"), DatabaseAuthenticationError("rejected")], ids=["tls", "authentication"])
def test_warm_failure_not_replaced_for_class(warm_error, tls_ca_path):
    manager = ConnectionManager(config=None, tls_context=create_tls_context(tls_ca_path), generate_token=lambda: "token")
    manager._connection = object()
    opened = []
    manager._query = lambda connection, deadline: (_ for _ in ()).throw(warm_error)
    manager._open = lambda deadline: opened.append(deadline)

    with pytest.raises(type(warm_error)):
        manager.run_probe(25_000)

    assert opened == []


def test_warm_failure_replaced_exactly_once(tls_ca_path):
    manager = ConnectionManager(config=None, tls_context=create_tls_context(tls_ca_path), generate_token=lambda: "token")
    manager._connection = object()
    opened = []

    def fail_query(connection, deadline):
        raise DatabaseUnreachableError("connection failed")

    def open_connection(deadline):
        opened.append(deadline)
        return object()

    manager._query = fail_query
    manager._open = open_connection

    with pytest.raises(DatabaseUnreachableError):
        manager.run_probe(25_000)

    assert len(opened) == 1
