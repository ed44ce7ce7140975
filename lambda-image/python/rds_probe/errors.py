"""Failures that the handler reports to the caller, one class per failure class."""

from dataclasses import dataclass


class HandlerError(Exception):
    """Failure reported as an API Gateway error response.

    ``public_message`` goes into the response body, so it never contains the auth token,
    the password or driver details. The log line gets the class name, ``sqlstate`` and
    ``str(error)``, which never contains the server's message text.
    """

    failure_class = "internal"
    status_code = 500
    public_message = "The request failed."
    # SQLSTATE of the server error behind this failure, or None when the server sent none.
    sqlstate: str | None = None


@dataclass(frozen=True)
class ConfigurationProblem:
    """One missing or malformed environment variable."""

    variable: str
    reason: str

    def __str__(self) -> str:
        return f"{self.variable} {self.reason}"


class ConfigurationError(HandlerError):
    """Environment variables are missing or malformed; fixing them needs a redeploy."""

    failure_class = "configuration"
    status_code = 500

    def __init__(self, problems: list[ConfigurationProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid function configuration: " + "; ".join(map(str, problems)))

    @property
    def variables(self) -> list[str]:
        return [problem.variable for problem in self.problems]

    @property
    def public_message(self) -> str:  # type: ignore[override]
        """Name only the variables, because their values and the CA path are for the log line."""
        return "invalid function configuration: " + ", ".join(self.variables)


class DatabaseTlsError(HandlerError):
    """TLS negotiation failed: the server refused TLS, or its certificate or host name did not verify."""

    failure_class = "tls"
    status_code = 500
    public_message = "The TLS connection to the database could not be verified."


class DatabaseAuthenticationError(HandlerError):
    """The database rejected the login (IAM token, user or database name)."""

    failure_class = "authentication"
    status_code = 500
    public_message = "The database rejected the IAM authentication."


class DatabaseUnreachableError(HandlerError):
    """The database endpoint refused, reset or closed the connection."""

    failure_class = "unreachable"
    status_code = 503
    public_message = "The database is unreachable."


class DatabaseTimeoutError(HandlerError):
    """Connecting or the probe statement took longer than its timeout."""

    failure_class = "timeout"
    status_code = 503
    public_message = "The database did not respond in time."
