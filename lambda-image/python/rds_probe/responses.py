"""API Gateway proxy integration responses with JSON bodies."""

import json

from .database import ProbeResult
from .errors import HandlerError

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _proxy_response(status_code: int, body: dict) -> dict:
    return {
        "statusCode": status_code,
        "headers": dict(JSON_HEADERS),
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def success_response(result: ProbeResult, connection_reused: bool) -> dict:
    return _proxy_response(
        200,
        {
            "currentUser": result.current_user,
            "database": result.database,
            "serverVersion": result.server_version,
            "tls": result.tls,
            "connectionReused": connection_reused,
        },
    )


def error_response(error: HandlerError, request_id: str | None) -> dict:
    """Build the error response from the error's public message only, never its cause."""
    return _proxy_response(
        error.status_code,
        {
            "error": {
                "failureClass": error.failure_class,
                "message": error.public_message,
                "requestId": request_id,
            }
        },
    )
