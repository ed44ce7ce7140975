"""Open, reuse and replace the TLS connection to PostgreSQL, and classify its failures."""

import logging
import ssl
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

# Both stay well below the 25 s function timeout, even when a broken warm connection costs
# one statement timeout before the replacement connects and runs the probe:
# 5 + 5 + 5 = 15 s at most.
CONNECT_TIMEOUT_SECONDS = 5.0
STATEMENT_TIMEOUT_SECONDS = 5.0

APPLICATION_NAME = "rds-proxy-probe"

# NOTE: behind an RDS Proxy, pg_stat_ssl describes the proxy's own session to the database,
# not the function's session to the proxy. The function's session always uses verified TLS,
# because the connection is opened only with the TLS context below.
PROBE_QUERY = (
    "SELECT current_user, current_database(), current_setting('server_version'), "
    "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())"
)

# SQLSTATE codes, from the PostgreSQL 15 manual, appendix A "Error Codes".
AUTHENTICATION_SQLSTATES = frozenset({"28000", "28P01", "3D000"})  # authorization, password, no such database
STATEMENT_TIMEOUT_SQLSTATES = frozenset({"57014"})  # query_canceled, raised by statement_timeout
SERVER_SHUTDOWN_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, cannot connect now

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timeouts:
    """Client and server time limits, in seconds."""

    connect_seconds: float = CONNECT_TIMEOUT_SECONDS
    statement_seconds: float = STATEMENT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class ProbeResult:
    """Row returned by PROBE_QUERY."""

    current_user: str
    database: str
    server_version: str
    tls: bool | None


def create_tls_context(ca_bundle_path: str) -> ssl.SSLContext:
    """Create a TLS client context that trusts only the CA file and verifies host names.

    Raises ConfigurationError naming DB_CA_BUNDLE_PATH when the file cannot be loaded.
    """
    try:
        context = ssl.create_default_context(cafile=ca_bundle_path)
    except (OSError, ssl.SSLError) as error:
        problem = ConfigurationProblem(
            CA_BUNDLE_PATH_VARIABLE,
            f"is invalid: cannot load a PEM CA certificate from {ca_bundle_path!r} ({error.__class__.__name__})",
        )
        raise ConfigurationError([problem]) from error
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def classify_database_error(error: BaseException) -> HandlerError | None:
    """Map a driver or socket error to the handler's failure class, or None when unknown."""
    if isinstance(error, ssl.SSLError):
        return DatabaseTlsError(f"TLS handshake failed: {error}")
    if isinstance(error, TimeoutError):
        return DatabaseTimeoutError(f"timed out: {error}")
    if isinstance(error, pg8000.exceptions.DatabaseError):
        details = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
        sqlstate = details.get("C")
        server_message = f"server error {sqlstate}: {details.get('M', '')}"
        if sqlstate in AUTHENTICATION_SQLSTATES:
            return DatabaseAuthenticationError(server_message)
        if sqlstate in STATEMENT_TIMEOUT_SQLSTATES:
            return DatabaseTimeoutError(server_message)
        if sqlstate in SERVER_SHUTDOWN_SQLSTATES:
            return DatabaseUnreachableError(server_message)
        return None
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
        tls_context: ssl.SSLContext,
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

    def run_probe(self) -> tuple[ProbeResult, bool]:
        """Run PROBE_QUERY and return the result and whether a warm connection served it.

        A warm connection that fails as unreachable or timed out is closed and replaced
        once; a failure on a new connection is raised at once.
        """
        if self._connection is not None:
            try:
                return self._query(self._connection), True
            except (DatabaseUnreachableError, DatabaseTimeoutError) as error:
                logger.warning(
                    "replacing broken connection",
                    extra={"fields": {"failureClass": error.failure_class, "error": str(error)}},
                )

        self._connection = self._open()
        return self._query(self._connection), False

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # The socket may already be gone, and nothing is left to do with it then.
            with suppress(pg8000.exceptions.Error, OSError):
                connection.close()

    def _open(self) -> pg8000.native.Connection:
        token = self._generate_token()
        statement_timeout_ms = str(int(self._timeouts.statement_seconds * 1000))
        try:
            return pg8000.native.Connection(
                user=self._config.user,
                password=token,
                host=self._config.proxy_endpoint,
                port=self._config.port,
                database=self._config.database_name,
                ssl_context=self._tls_context,
                # pg8000 applies this socket timeout to connecting and to every later read,
                # so it also stops a query whose server went silent.
                timeout=self._timeouts.connect_seconds,
                application_name=APPLICATION_NAME,
                startup_params={"statement_timeout": statement_timeout_ms},
            )
        except (pg8000.exceptions.Error, OSError) as error:
            classified = classify_database_error(error)
            if classified is None:
                raise
            raise classified from error

    def _query(self, connection: pg8000.native.Connection) -> ProbeResult:
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

