import importlib
import json
import logging
import ssl
import sys

import pg8000.exceptions
import pytest

from rds_probe.config import load_config
from rds_probe.database import ProbeResult, classify_database_error
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
