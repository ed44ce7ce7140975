"""One JSON object per log line, through the standard logging module."""

import json
import logging
import sys
from datetime import datetime, timezone

LOGGER_NAME = "rds_probe"

# Python's level names that differ from the level names of Lambda's JSON log format.
LAMBDA_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "FATAL"}


class JsonLogFormatter(logging.Formatter):
    """Format a record as one JSON line; keys passed as ``extra={"fields": {...}}`` are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": LAMBDA_LEVEL_NAMES.get(record.levelname, record.levelname),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):
    """Write to the current sys.stdout, so that a replaced stdout (as in tests) still receives lines."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(level: int = logging.INFO) -> logging.Logger:
    """Send the package's log records to stdout as JSON lines, once per process.

    The records do not propagate to the root logger, because the Lambda runtime's root
    handler would print them a second time in its own format.
    """
    package_logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(handler, _StdoutHandler) for handler in package_logger.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonLogFormatter())
        package_logger.addHandler(handler)
    package_logger.setLevel(level)
    package_logger.propagate = False
    return package_logger
