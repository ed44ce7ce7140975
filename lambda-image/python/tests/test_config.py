import ssl

import pytest
from conftest import load_fixture

from rds_probe.config import DEFAULT_CA_BUNDLE_PATH, load_config
from rds_probe.database import create_tls_context
from rds_probe.errors import ConfigurationError

VALID_ENVIRONMENT = {
    "DB_REGION": "ap-northeast-1",
    "DB_PROXY_ENDPOINT": "app-proxy.proxy-c1a2b3c4d5e6.ap-northeast-1.rds.amazonaws.com",
    "DB_PORT": "5432",
    "DB_NAME": "app",
    "DB_USER": "app_iam",
}
REQUIRED_VARIABLES = ["DB_REGION", "DB_PROXY_ENDPOINT", "DB_PORT", "DB_NAME", "DB_USER"]
INVALID_VALUE_CASES = load_fixture("invalid-environment-values.json")["cases"]


def test_config_reads_every_variable():
    config = load_config({**VALID_ENVIRONMENT, "DB_CA_BUNDLE_PATH": "/opt/ca.pem"})

    assert config.region == "ap-northeast-1"
    assert config.proxy_endpoint == VALID_ENVIRONMENT["DB_PROXY_ENDPOINT"]
    assert config.port == 5432
    assert config.database_name == "app"
    assert config.user == "app_iam"
    assert config.ca_bundle_path == "/opt/ca.pem"


def test_config_defaults_ca_path_to_image_file():
    config = load_config(VALID_ENVIRONMENT)

    assert config.ca_bundle_path == "/etc/pki/amazon/AmazonRootCA1.pem"
    assert DEFAULT_CA_BUNDLE_PATH == config.ca_bundle_path


@pytest.mark.parametrize("port", ["1", "65535"])
def test_config_accepts_port_bounds(port):
    assert load_config({**VALID_ENVIRONMENT, "DB_PORT": port}).port == int(port)


@pytest.mark.parametrize("variable", REQUIRED_VARIABLES)
def test_config_rejects_missing_variable(variable):
    environment = {name: value for name, value in VALID_ENVIRONMENT.items() if name != variable}

    with pytest.raises(ConfigurationError) as raised:
        load_config(environment)

    assert raised.value.variables == [variable]
    assert variable in str(raised.value)
    assert "missing" in str(raised.value)


@pytest.mark.parametrize("variable", REQUIRED_VARIABLES)
@pytest.mark.parametrize("blank", ["", "   "])
def test_config_rejects_blank_variable(variable, blank):
    with pytest.raises(ConfigurationError) as raised:
        load_config({**VALID_ENVIRONMENT, variable: blank})

    assert raised.value.variables == [variable]


@pytest.mark.parametrize("case", INVALID_VALUE_CASES, ids=lambda case: f"{case['variable']}={case['value'][:20]!r}")
def test_config_rejects_malformed_value(case):
    with pytest.raises(ConfigurationError) as raised:
        load_config({**VALID_ENVIRONMENT, case["variable"]: case["value"]})

    assert raised.value.variables == [case["variable"]]
    assert case["variable"] in str(raised.value)


def test_config_reports_all_problems_at_once():
    with pytest.raises(ConfigurationError) as raised:
        load_config({"DB_PORT": "70000", "DB_NAME": "app"})

    assert raised.value.variables == ["DB_REGION", "DB_PROXY_ENDPOINT", "DB_PORT", "DB_USER"]
    assert raised.value.failure_class == "configuration"
    assert raised.value.status_code == 500


def test_tls_context_rejects_missing_ca_file(tmp_path):
    missing_path = str(tmp_path / "absent.pem")

    with pytest.raises(ConfigurationError) as raised:
        create_tls_context(missing_path)

    assert raised.value.variables == ["DB_CA_BUNDLE_PATH"]
    assert missing_path in str(raised.value)
    assert isinstance(raised.value.__cause__, OSError)


def test_tls_context_rejects_non_pem_file(tmp_path):
    not_a_certificate = tmp_path / "ca.pem"
    not_a_certificate.write_text("this is not a certificate\n")

    with pytest.raises(ConfigurationError) as raised:
        create_tls_context(str(not_a_certificate))

    assert raised.value.variables == ["DB_CA_BUNDLE_PATH"]


def test_tls_context_verifies_certificate_and_host(tls_postgres):
    context = create_tls_context(tls_postgres.ca_path)

    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
