"""The Amazon Root CA 1 pin in both Dockerfiles and the verification script they run."""

import hashlib
import re
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from conftest import LAMBDA_IMAGE_DIR

RUNTIME_DIRS = [LAMBDA_IMAGE_DIR / "python", LAMBDA_IMAGE_DIR / "nodejs"]
SCRIPT_NAME = "verify-ca-fingerprint.sh"
PIN_PATTERN = re.compile(r"^ARG AMAZON_ROOT_CA_1_SHA256=(\S+)$", re.MULTILINE)
URL_PATTERN = re.compile(r"^ARG AMAZON_ROOT_CA_1_URL=(\S+)$", re.MULTILINE)
# The published SHA-256 fingerprint of Amazon Root CA 1, from Amazon Trust Services' repository.
AMAZON_ROOT_CA_1_SHA256 = "8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E"


def pinned_fingerprint(runtime_dir: Path) -> str:
    matches = PIN_PATTERN.findall((runtime_dir / "Dockerfile").read_text())
    assert len(matches) == 1, f"expected one AMAZON_ROOT_CA_1_SHA256 pin in {runtime_dir / 'Dockerfile'}"
    return matches[0]


def fingerprint_of(pem_path: Path) -> str:
    """Compute the SHA-256 fingerprint from the DER bytes, without the openssl CLI that the script uses."""
    der = ssl.PEM_cert_to_DER_cert(pem_path.read_text())
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def run_script(runtime_dir: Path, cert_path: Path, fingerprint: str, normalized_path: Path | None = None) -> subprocess.CompletedProcess:
    normalized_path = normalized_path or cert_path.with_name(cert_path.name + ".normalized")
    return subprocess.run(
        ["sh", str(runtime_dir / SCRIPT_NAME), str(cert_path), fingerprint, str(normalized_path)],
        capture_output=True,
        text=True,
    )


def relabel(pem_text: str, label: str) -> str:
    """Change the PEM label of every block, e.g. to "TRUSTED CERTIFICATE", which OpenSSL also loads as a CA."""
    return pem_text.replace("BEGIN CERTIFICATE", f"BEGIN {label}").replace("END CERTIFICATE", f"END {label}")


def make_certificate(directory: Path, common_name: str) -> Path:
    cert_path = directory / f"{common_name.replace(' ', '-')}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={common_name}",
         "-keyout", str(directory / f"{cert_path.stem}.key"), "-out", str(cert_path)],
        check=True,
        capture_output=True,
    )
    return cert_path


@pytest.fixture(scope="module")
def test_certificate(tmp_path_factory) -> Path:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is required: the verification script runs it")
    return make_certificate(tmp_path_factory.mktemp("ca-pin"), "Pin Test CA")


@pytest.fixture(scope="module")
def second_certificate(tmp_path_factory) -> Path:
    return make_certificate(tmp_path_factory.mktemp("ca-pin-second"), "Second Test CA")


def test_both_runtimes_pin_published_fingerprint():
    for runtime_dir in RUNTIME_DIRS:
        assert pinned_fingerprint(runtime_dir) == AMAZON_ROOT_CA_1_SHA256, runtime_dir.name


def test_both_runtimes_ship_same_script():
    python_script, nodejs_script = [(runtime_dir / SCRIPT_NAME).read_bytes() for runtime_dir in RUNTIME_DIRS]

    assert python_script == nodejs_script


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
def test_dockerfile_verifies_download_with_pin(runtime_dir):
    dockerfile = (runtime_dir / "Dockerfile").read_text()
    run_lines = " ".join(re.findall(r"^RUN (?:.*\\\n)*.*", dockerfile, re.MULTILINE))

    assert URL_PATTERN.findall(dockerfile) == ["https://www.amazontrust.com/repository/AmazonRootCA1.pem"]
    assert "wget" in run_lines
    assert "--output-document=/tmp/AmazonRootCA1-download.pem" in run_lines
    assert re.search(
        rf'{SCRIPT_NAME} /tmp/AmazonRootCA1-download.pem\s+\\?\s*"\$\{{AMAZON_ROOT_CA_1_SHA256\}}" /tmp/AmazonRootCA1.pem',
        run_lines,
    )
    assert f"COPY {SCRIPT_NAME} " in dockerfile
    assert "COPY --from=amazon-root-ca /tmp/AmazonRootCA1.pem /etc/pki/amazon/AmazonRootCA1.pem" in dockerfile


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
def test_script_accepts_matching_fingerprint(runtime_dir, test_certificate):
    fingerprint = fingerprint_of(test_certificate)

    result = run_script(runtime_dir, test_certificate, fingerprint)
    lowercase_result = run_script(runtime_dir, test_certificate, fingerprint.lower())

    assert result.returncode == 0, result.stderr
    assert lowercase_result.returncode == 0, lowercase_result.stderr


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
def test_script_rejects_pinned_value_for_other_cert(runtime_dir, test_certificate):
    result = run_script(runtime_dir, test_certificate, pinned_fingerprint(runtime_dir))

    assert result.returncode != 0
    assert "mismatch" in result.stderr


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
def test_script_rejects_one_changed_byte(runtime_dir, test_certificate):
    fingerprint = fingerprint_of(test_certificate)
    last_byte = fingerprint[-2:]
    changed = fingerprint[:-2] + ("00" if last_byte != "00" else "01")

    result = run_script(runtime_dir, test_certificate, changed)

    assert result.returncode != 0


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
def test_script_writes_normalized_copy(runtime_dir, test_certificate, tmp_path):
    downloaded = tmp_path / "downloaded.pem"
    downloaded.write_text("text before the block\n" + relabel(test_certificate.read_text(), "X509 CERTIFICATE"))
    normalized = tmp_path / "normalized.pem"

    result = run_script(runtime_dir, downloaded, fingerprint_of(test_certificate), normalized)

    assert result.returncode == 0, result.stderr
    assert normalized.read_text() == test_certificate.read_text()


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
@pytest.mark.parametrize("second_label", ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"])
def test_script_rejects_second_pem_block(runtime_dir, test_certificate, second_certificate, tmp_path, second_label):
    bundle = tmp_path / "two.pem"
    bundle.write_text(test_certificate.read_text() + relabel(second_certificate.read_text(), second_label))
    normalized = tmp_path / "normalized.pem"

    result = run_script(runtime_dir, bundle, fingerprint_of(test_certificate), normalized)

    assert result.returncode != 0
    assert "2 PEM blocks" in result.stderr
    assert not normalized.exists()


def test_relabelled_block_is_trusted_by_openssl(test_certificate, second_certificate, tmp_path):
    """Guards the test above: Python's ssl module (OpenSSL) loads a TRUSTED CERTIFICATE block as a second CA."""
    bundle = tmp_path / "two.pem"
    bundle.write_text(test_certificate.read_text() + relabel(second_certificate.read_text(), "TRUSTED CERTIFICATE"))

    context = ssl.create_default_context(cafile=str(bundle))

    assert len(context.get_ca_certs()) == 2


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
def test_script_rejects_wrong_fingerprint(runtime_dir, test_certificate, second_certificate, tmp_path):
    normalized = tmp_path / "normalized.pem"

    result = run_script(runtime_dir, test_certificate, fingerprint_of(second_certificate), normalized)

    assert result.returncode != 0
    assert "mismatch" in result.stderr
    assert not normalized.exists()


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
@pytest.mark.parametrize("argument", ["", "8E:CD", "not a fingerprint"])
def test_script_rejects_malformed_pin(runtime_dir, test_certificate, argument):
    result = run_script(runtime_dir, test_certificate, argument)

    assert result.returncode == 2
    assert "invalid expected fingerprint" in result.stderr


@pytest.mark.parametrize("runtime_dir", RUNTIME_DIRS, ids=lambda path: path.name)
def test_script_rejects_missing_file(runtime_dir, tmp_path):
    result = run_script(runtime_dir, tmp_path / "absent.pem", AMAZON_ROOT_CA_1_SHA256, tmp_path / "normalized.pem")

    assert result.returncode != 0
    assert "missing" in result.stderr
