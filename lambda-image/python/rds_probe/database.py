"""Open, reuse and replace the TLS connection to PostgreSQL, and classify its failures."""

import logging
import math
import socket
import ssl
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import botocore.exceptions
import pg8000.exceptions
import pg8000.native

from .config import CA_BUNDLE_PATH_VARIABLE, DatabaseConfig
from .errors import (
    ConfigurationError,
    ConfigurationProblem,
    DatabaseAuthenticationError,
    DatabaseTimeoutError,
    DatabaseTlsError,
    DatabaseUnreachableError,
    HandlerError,
)

# Caps for one connect attempt (TCP, TLS handshake and login) and for the probe statement.
# Every invocation also ends before its deadline: the Lambda context's remaining time minus
# DEADLINE_SAFETY_MARGIN_SECONDS, which leaves time to log and return the error response.
CONNECT_TIMEOUT_SECONDS = 5.0
STATEMENT_TIMEOUT_SECONDS = 5.0
DEADLINE_SAFETY_MARGIN_SECONDS = 1.0
# A broken warm connection is replaced only when at least this much time is left before the
# deadline, because a shorter connect attempt would most likely time out anyway.
MIN_REPLACEMENT_BUDGET_SECONDS = 1.0

APPLICATION_NAME = "rds-proxy-probe"

# NOTE: behind an RDS Proxy, pg_stat_ssl describes the proxy's own session to the database,
# not the function's session to the proxy. The function's session always uses verified TLS,
# because the connection is opened only with the TLS context below.
PROBE_QUERY = (
    "SELECT current_user, current_database(), current_setting('server_version'), "
    "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())"
)

# SQLSTATE codes, from the PostgreSQL 15 manual, appendix A "Error Codes".
# Class 28 (invalid authorization), insufficient_privilege (for example no CONNECT privilege)
# and invalid_catalog_name (no such database) are login problems that retrying cannot fix.
AUTHENTICATION_SQLSTATE_CLASS = "28"
AUTHENTICATION_SQLSTATES = frozenset({"42501", "3D000"})
STATEMENT_TIMEOUT_SQLSTATES = frozenset({"57014"})  # query_canceled, raised by statement_timeout
# Class 53 (insufficient resources, such as too_many_connections) and admin shutdown, crash
# shutdown and cannot_connect_now: the server may accept the connection later.
INSUFFICIENT_RESOURCES_SQLSTATE_CLASS = "53"
SERVER_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timeouts:
    """Client and server time limits, in seconds."""

    connect_seconds: float = CONNECT_TIMEOUT_SECONDS
    statement_seconds: float = STATEMENT_TIMEOUT_SECONDS
    safety_margin_seconds: float = DEADLINE_SAFETY_MARGIN_SECONDS
    min_replacement_seconds: float = MIN_REPLACEMENT_BUDGET_SECONDS


@dataclass(frozen=True)
class ProbeResult:
    """Row returned by PROBE_QUERY."""

    current_user: str
    database: str
    server_version: str
    tls: bool | None


class DeadlineSSLSocket(ssl.SSLSocket):
    """SSLSocket whose every blocking call ends by its context's ``deadline`` (time.monotonic() seconds).

    pg8000's ``timeout`` applies to each socket read separately, so a server that responds
    slowly but steadily could otherwise keep connecting or querying past the function timeout.
    """

    def _limit_to_deadline(self) -> None:
        deadline = getattr(self.context, "deadline", None)
        if deadline is None:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the invocation deadline passed")
        self.settimeout(remaining)

    def do_handshake(self, *args, **kwargs):
        self._limit_to_deadline()
        return super().do_handshake(*args, **kwargs)

    def recv(self, *args, **kwargs):
        self._limit_to_deadline()
        return super().recv(*args, **kwargs)

    def recv_into(self, *args, **kwargs):
        self._limit_to_deadline()
        return super().recv_into(*args, **kwargs)

    def send(self, *args, **kwargs):
        self._limit_to_deadline()
        return super().send(*args, **kwargs)

    def sendall(self, *args, **kwargs):
        self._limit_to_deadline()
        return super().sendall(*args, **kwargs)


class DeadlineSSLContext(ssl.SSLContext):
    """SSLContext whose sockets end every blocking call by ``deadline``; None means no deadline."""

    sslsocket_class = DeadlineSSLSocket
    deadline: float | None = None


def create_tls_context(ca_bundle_path: str) -> DeadlineSSLContext:
    """Create a TLS client context that trusts only the CA file and verifies host names.

    Raises ConfigurationError naming DB_CA_BUNDLE_PATH when the file cannot be loaded.
    """
    # PROTOCOL_TLS_CLIENT requires a verified certificate and a matching host name. Loading
    # only the CA file, and never load_default_certs(), keeps the system CAs out.
    context = DeadlineSSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=ca_bundle_path)
    except (OSError, ssl.SSLError) as error:
        problem = ConfigurationProblem(
            CA_BUNDLE_PATH_VARIABLE,
            f"is invalid: cannot load a PEM CA certificate from {ca_bundle_path!r}",
        )
        raise ConfigurationError([problem]) from error
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def sqlstate_of(error: BaseException) -> str | None:
    """Return the SQLSTATE of a pg8000 server error, or None for any other error."""
    if isinstance(error, pg8000.exceptions.DatabaseError) and error.args and isinstance(error.args[0], dict):
        return error.args[0].get("C")
    return None


def classify_sqlstate(sqlstate: str | None, description: str) -> HandlerError | None:
    """Map a server error's SQLSTATE to the handler's failure class, or None when unknown."""
    if sqlstate is None:
        return None
    if sqlstate.startswith(AUTHENTICATION_SQLSTATE_CLASS) or sqlstate in AUTHENTICATION_SQLSTATES:
        classified: HandlerError = DatabaseAuthenticationError(description)
    elif sqlstate in STATEMENT_TIMEOUT_SQLSTATES:
        classified = DatabaseTimeoutError(description)
    elif sqlstate.startswith(INSUFFICIENT_RESOURCES_SQLSTATE_CLASS) or sqlstate in SERVER_UNAVAILABLE_SQLSTATES:
        classified = DatabaseUnreachableError(description)
    else:
        return None
    classified.sqlstate = sqlstate
    return classified


def classify_database_error(error: BaseException) -> HandlerError | None:
    """Map a driver or socket error to the handler's failure class, or None when unknown.

    The description never contains the server's message text, only the SQLSTATE, because
    the message can repeat values from the login.
    """
    if isinstance(error, ssl.SSLError):
        # Every certificate verification failure (SSLCertVerificationError) and every other
        # handshake or protocol failure that OpenSSL reports.
        reason = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)
        return DatabaseTlsError(f"TLS handshake failed: {error.__class__.__name__}: {reason}")
    if isinstance(error, TimeoutError):
        return DatabaseTimeoutError(f"timed out: {error}")
    if isinstance(error, pg8000.exceptions.DatabaseError):
        sqlstate = sqlstate_of(error)
        return classify_sqlstate(sqlstate, f"server error {sqlstate}")
    if isinstance(error, pg8000.exceptions.InterfaceError):
        if "refuses SSL" in str(error):
            return DatabaseTlsError(f"the server does not accept TLS: {error}")
        if isinstance(error.__cause__, TimeoutError):
            return DatabaseTimeoutError(f"timed out: {error}")
        return DatabaseUnreachableError(f"connection failed: {error}")
    if isinstance(error, OSError):
        return DatabaseUnreachableError(f"connection failed: {error.__class__.__name__}: {error}")
    return None


class IamTokenGenerator:
    """Sign RDS IAM auth tokens with the function's AWS credentials.

    A token is valid for 15 minutes and only for opening a connection, so the caller asks
    for a new one for every connection.
    """

    def __init__(self, config: DatabaseConfig, rds_client) -> None:
        self._config = config
        self._rds_client = rds_client

    def __call__(self) -> str:
        try:
            return self._rds_client.generate_db_auth_token(
                DBHostname=self._config.proxy_endpoint,
                Port=self._config.port,
                DBUsername=self._config.user,
                Region=self._config.region,
            )
        except botocore.exceptions.NoCredentialsError as error:
            raise DatabaseAuthenticationError("no AWS credentials to sign the IAM auth token") from error


class ConnectionManager:
    """Keep one connection for warm invocations and replace it when it breaks."""

    def __init__(
        self,
        config: DatabaseConfig,
        tls_context: DeadlineSSLContext,
        generate_token: Callable[[], str],
        timeouts: Timeouts = Timeouts(),
    ) -> None:
        self._config = config
        self._tls_context = tls_context
        self._generate_token = generate_token
        self._timeouts = timeouts
        self._connection: pg8000.native.Connection | None = None

    @property
    def has_connection(self) -> bool:
        return self._connection is not None

    @property
    def connection(self) -> pg8000.native.Connection | None:
        """The open connection, for benchmarks that compare a raw query on it."""
        return self._connection

    def run_probe(self, remaining_ms: float | None = None) -> tuple[ProbeResult, bool]:
        """Run PROBE_QUERY and return the result and whether a warm connection served it.

        ``remaining_ms`` is the Lambda context's remaining time. Connecting and the query end
        before that time minus the safety margin, or raise DatabaseTimeoutError. A warm
        connection that fails as unreachable or timed out is closed and replaced once, and
        only when at least ``min_replacement_seconds`` are left. A failure on a new
        connection is raised at once.
        """
        invocation_deadline = math.inf
        if remaining_ms is not None:
            invocation_deadline = time.monotonic() + remaining_ms / 1000 - self._timeouts.safety_margin_seconds

        if self._connection is not None:
            try:
                return self._query(self._connection, invocation_deadline), True
            except (DatabaseUnreachableError, DatabaseTimeoutError) as error:
                budget_seconds = invocation_deadline - time.monotonic()
                fields = {"failureClass": error.failure_class, "error": type(error).__name__, "sqlstate": error.sqlstate, "detail": str(error)}
                if budget_seconds < self._timeouts.min_replacement_seconds:
                    logger.warning("not replacing broken connection: too little time left", extra={"fields": fields})
                    raise
                logger.warning("replacing broken connection", extra={"fields": fields})

        self._connection = self._open(invocation_deadline)
        return self._query(self._connection, invocation_deadline), False

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # The socket may already be gone, and nothing is left to do with it then.
            with suppress(pg8000.exceptions.Error, OSError):
                connection.close()

    def _open(self, invocation_deadline: float) -> pg8000.native.Connection:
        deadline = min(invocation_deadline, time.monotonic() + self._timeouts.connect_seconds)
        token = self._generate_token()
        statement_timeout_ms = str(int(self._timeouts.statement_seconds * 1000))
        raw_socket = None
        self._tls_context.deadline = deadline
        try:
            # pg8000's own timeout applies to each read separately, so this code opens the
            # TCP socket and the TLS context limits every later call to the deadline.
            raw_socket = socket.create_connection(
                (self._config.proxy_endpoint, self._config.port), timeout=_seconds_until(deadline)
            )
            raw_socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            # Limits the plain-text SSLRequest exchange before the TLS handshake.
            raw_socket.settimeout(_seconds_until(deadline))
            return pg8000.native.Connection(
                user=self._config.user,
                password=token,
                host=self._config.proxy_endpoint,
                port=self._config.port,
                database=self._config.database_name,
                sock=raw_socket,
                ssl_context=self._tls_context,
                application_name=APPLICATION_NAME,
                startup_params={"statement_timeout": statement_timeout_ms},
            )
        except (pg8000.exceptions.Error, OSError) as error:
            if raw_socket is not None:
                raw_socket.close()
            classified = classify_database_error(error)
            if classified is None:
                raise
            raise classified from error

    def _query(self, connection: pg8000.native.Connection, invocation_deadline: float) -> ProbeResult:
        self._tls_context.deadline = min(invocation_deadline, time.monotonic() + self._timeouts.statement_seconds)
        try:
            rows = connection.run(PROBE_QUERY)
        except (pg8000.exceptions.Error, OSError) as error:
            # A connection that failed mid-query is in an unknown state and is never reused.
            self.close()
            classified = classify_database_error(error)
            if classified is None:
                raise
            raise classified from error
        current_user, database, server_version, tls = rows[0]
        return ProbeResult(current_user=current_user, database=database, server_version=server_version, tls=tls)


def _seconds_until(deadline: float) -> float:
    """Return the seconds left before ``deadline``, or raise TimeoutError when none are left."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the invocation deadline passed")
    return remaining
