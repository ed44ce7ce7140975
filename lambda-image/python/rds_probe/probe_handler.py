"""The Lambda handler: check the database connection and report it as an API response."""

import logging
import time
from collections.abc import Mapping
from typing import Any

import boto3

from .config import load_config
from .database import ConnectionManager, IamTokenGenerator, Timeouts, create_tls_context, sqlstate_of
from .errors import ConfigurationError, HandlerError
from .json_log import LOGGER_NAME, configure_logging
from .responses import error_response, success_response

logger = logging.getLogger(f"{LOGGER_NAME}.handler")


class ProbeHandler:
    """Callable Lambda handler holding the state of one execution environment.

    Exactly one of ``connections`` and ``configuration_error`` is set.
    """

    def __init__(
        self,
        connections: ConnectionManager | None = None,
        configuration_error: ConfigurationError | None = None,
    ) -> None:
        if (connections is None) == (configuration_error is None):
            raise ValueError("pass exactly one of connections and configuration_error")
        self.connections = connections
        self.configuration_error = configuration_error

    def __call__(self, event: Mapping[str, Any] | None, context: Any) -> dict:
        started = time.perf_counter()
        request_id = getattr(context, "aws_request_id", None)
        log_fields = {"requestId": request_id, "apiRequestId": _api_request_id(event)}

        if self.configuration_error is not None:
            return self._failed(self.configuration_error, started, log_fields, connection_reused=False)

        warm = self.connections.has_connection
        try:
            result, connection_reused = self.connections.run_probe(_remaining_ms(context))
        except HandlerError as error:
            return self._failed(error, started, log_fields, connection_reused=warm)
        except Exception as error:
            # Unknown failures go to the Lambda runtime, which records them with the stack
            # trace; API Gateway then returns 502 without details.
            log_fields.update(
                outcome="unexpected_error",
                statusCode=None,
                durationMs=_elapsed_ms(started),
                connectionReused=warm,
                error=error.__class__.__name__,
                sqlstate=sqlstate_of(error),
                invalidVariables=[],
                detail=None,
            )
            logger.error("invocation failed", extra={"fields": log_fields})
            raise

        log_fields.update(outcome="success", statusCode=200, durationMs=_elapsed_ms(started), connectionReused=connection_reused)
        logger.info("invocation succeeded", extra={"fields": log_fields})
        return success_response(result, connection_reused)

    def _failed(self, error: HandlerError, started: float, log_fields: dict, connection_reused: bool) -> dict:
        log_fields.update(
            outcome=error.failure_class,
            statusCode=error.status_code,
            durationMs=_elapsed_ms(started),
            connectionReused=connection_reused,
            error=error.__class__.__name__,
            sqlstate=error.sqlstate,
            invalidVariables=error.variables if isinstance(error, ConfigurationError) else [],
            detail=str(error),
        )
        logger.error("invocation failed", extra={"fields": log_fields})
        return error_response(error, log_fields["requestId"])


def build_handler(environ: Mapping[str, str], timeouts: Timeouts = Timeouts()) -> ProbeHandler:
    """Read and check the configuration once and build the handler for one execution environment."""
    configure_logging()
    try:
        config = load_config(environ)
        tls_context = create_tls_context(config.ca_bundle_path)
    except ConfigurationError as error:
        logger.error(
            "invalid configuration",
            extra={"fields": {"invalidVariables": error.variables, "error": error.__class__.__name__, "detail": str(error)}},
        )
        return ProbeHandler(configuration_error=error)

    rds_client = boto3.session.Session().client("rds", region_name=config.region)
    connections = ConnectionManager(config, tls_context, IamTokenGenerator(config, rds_client), timeouts)
    return ProbeHandler(connections=connections)


def _api_request_id(event: Mapping[str, Any] | None) -> str | None:
    if not isinstance(event, Mapping):
        return None
    request_context = event.get("requestContext")
    return request_context.get("requestId") if isinstance(request_context, Mapping) else None


def _remaining_ms(context: Any) -> float | None:
    """Return the Lambda context's remaining time, or None for a context without it (benchmarks)."""
    get_remaining_time = getattr(context, "get_remaining_time_in_millis", None)
    return None if get_remaining_time is None else get_remaining_time()


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
