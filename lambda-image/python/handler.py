"""Lambda entry point ``handler.lambda_handler``.

The configuration is read and checked once, when the runtime imports this module at cold
start. The database connection is opened on the first invocation and reused after that.
"""

import os

from rds_probe.probe_handler import build_handler

_handler = build_handler(os.environ)


def lambda_handler(event, context):
    return _handler(event, context)
