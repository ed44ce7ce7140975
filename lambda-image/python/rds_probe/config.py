"""Read and check the handler's environment variables once per execution environment."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ConfigurationError, ConfigurationProblem

REGION_VARIABLE = "DB_REGION"
PROXY_ENDPOINT_VARIABLE = "DB_PROXY_ENDPOINT"
PORT_VARIABLE = "DB_PORT"
DATABASE_NAME_VARIABLE = "DB_NAME"
USER_VARIABLE = "DB_USER"
CA_BUNDLE_PATH_VARIABLE = "DB_CA_BUNDLE_PATH"

# Path at which both images install the verified Amazon Root CA 1 certificate.
DEFAULT_CA_BUNDLE_PATH = "/etc/pki/amazon/AmazonRootCA1.pem"

# PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes, so a longer name would
# log in as a different role or database than configured.
MAX_IDENTIFIER_BYTES = 63

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
HOST_NAME_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME_PATTERN = re.compile(rf"^{HOST_NAME_LABEL}(?:\.{HOST_NAME_LABEL})*$")
MAX_HOST_NAME_LENGTH = 253


@dataclass(frozen=True)
class DatabaseConfig:
    """Connection settings taken from the environment."""

    region: str
    proxy_endpoint: str
    port: int
    database_name: str
    user: str
    ca_bundle_path: str


def load_config(environ: Mapping[str, str]) -> DatabaseConfig:
    """Build the configuration from ``environ``.

    Raises ConfigurationError that lists every missing or malformed variable at once.
    """
    problems: list[ConfigurationProblem] = []

    def required(variable: str) -> str:
        value = environ.get(variable)
        if value is None or value.strip() == "":
            problems.append(ConfigurationProblem(variable, "is missing or empty"))
            return ""
        return value

    region = required(REGION_VARIABLE)
    if region and not REGION_PATTERN.fullmatch(region):
        problems.append(
            ConfigurationProblem(REGION_VARIABLE, f"is invalid: {region!r} is not an AWS Region code such as 'eu-west-1'")
        )

    proxy_endpoint = required(PROXY_ENDPOINT_VARIABLE)
    if proxy_endpoint and (len(proxy_endpoint) > MAX_HOST_NAME_LENGTH or not HOST_NAME_PATTERN.fullmatch(proxy_endpoint)):
        problems.append(
            ConfigurationProblem(
                PROXY_ENDPOINT_VARIABLE,
                f"is invalid: {proxy_endpoint!r} is not a host name; use the proxy endpoint without scheme or port",
            )
        )

    port = 0
    port_text = required(PORT_VARIABLE)
    if port_text:
        if re.fullmatch(r"[0-9]{1,5}", port_text) and 1 <= int(port_text) <= 65535:
            port = int(port_text)
        else:
            problems.append(ConfigurationProblem(PORT_VARIABLE, f"is invalid: {port_text!r} is not an integer from 1 to 65535"))

    database_name = required(DATABASE_NAME_VARIABLE)
    user = required(USER_VARIABLE)
    for variable, identifier in ((DATABASE_NAME_VARIABLE, database_name), (USER_VARIABLE, user)):
        if len(identifier.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
            problems.append(
                ConfigurationProblem(variable, f"is invalid: longer than {MAX_IDENTIFIER_BYTES} bytes, which PostgreSQL would truncate")
            )

    ca_bundle_path = environ.get(CA_BUNDLE_PATH_VARIABLE, DEFAULT_CA_BUNDLE_PATH)
    if ca_bundle_path.strip() == "":
        problems.append(
            ConfigurationProblem(CA_BUNDLE_PATH_VARIABLE, f"is empty; unset it to use {DEFAULT_CA_BUNDLE_PATH}")
        )

    if problems:
        raise ConfigurationError(problems)
    return DatabaseConfig(
        region=region,
        proxy_endpoint=proxy_endpoint,
        port=port,
        database_name=database_name,
        user=user,
        ca_bundle_path=ca_bundle_path,
    )
