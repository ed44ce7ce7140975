"""Structure of both Dockerfiles: stages, the verified CA, pinned dependencies and the entry point."""

import importlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import LAMBDA_IMAGE_DIR

CA_STAGE = "amazon-root-ca"
CA_SOURCE = "/tmp/AmazonRootCA1.pem"
CA_DESTINATION = "/etc/pki/amazon/AmazonRootCA1.pem"
PINNED_BASE_IMAGES = {
    "python": "public.ecr.aws/lambda/python:3.14",
    "nodejs": "public.ecr.aws/lambda/nodejs:24",
}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]

    def all_instructions(self) -> list[tuple[str, str]]:
        return [instruction for stage in self.stages for instruction in stage.instructions]


def parse_dockerfile(path: Path) -> Dockerfile:
    """Split a Dockerfile into instructions (continuation lines joined, comments dropped) and stages."""
    logical_lines = []
    current = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (stripped == "" or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical_lines.append(current + stripped)
        current = ""

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", arguments.strip(), re.IGNORECASE)
            assert match, f"cannot parse FROM {arguments!r}"
            stages.append(Stage(base=match.group(1), name=match.group(2)))
        elif not stages:
            if keyword == "ARG":
                name, _, default = arguments.partition("=")
                global_args[name.strip()] = default.strip()
        else:
            stages[-1].instructions.append((keyword, arguments.strip()))
    return Dockerfile(global_args=global_args, stages=stages)


def resolve(dockerfile: Dockerfile, value: str) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda match: dockerfile.global_args.get(match.group(1), match.group(0)), value)


@pytest.fixture(params=["python", "nodejs"])
def runtime(request) -> str:
    return request.param


@pytest.fixture
def dockerfile(runtime) -> Dockerfile:
    return parse_dockerfile(LAMBDA_IMAGE_DIR / runtime / "Dockerfile")


def test_final_stage_uses_pinned_base(runtime, dockerfile):
    final = dockerfile.stages[-1]
    stage_names = {stage.name for stage in dockerfile.stages[:-1]}

    assert final.base not in stage_names
    assert resolve(dockerfile, final.base) == PINNED_BASE_IMAGES[runtime]


def test_ca_copied_only_from_verifying_stage(dockerfile):
    final = dockerfile.stages[-1]
    writes_to_ca = [(keyword, arguments) for keyword, arguments in final.instructions if CA_DESTINATION in arguments]

    assert writes_to_ca == [("COPY", f"--from={CA_STAGE} {CA_SOURCE} {CA_DESTINATION}")]


def test_no_add_from_url(dockerfile):
    adds = [arguments for keyword, arguments in dockerfile.all_instructions() if keyword == "ADD"]

    assert [arguments for arguments in adds if re.search(r"\w+://", arguments)] == []


def test_ca_verification_cannot_be_skipped(dockerfile):
    [ca_stage] = [stage for stage in dockerfile.stages if stage.name == CA_STAGE]
    verification_runs = [arguments for keyword, arguments in ca_stage.instructions if keyword == "RUN" and "verify-ca-fingerprint.sh" in arguments]

    assert len(verification_runs) == 1
    assert "||" not in verification_runs[0]
    assert f'"${{AMAZON_ROOT_CA_1_SHA256}}" {CA_SOURCE}' in verification_runs[0]


def test_dependencies_installed_from_lock(runtime, dockerfile):
    runs = [arguments for keyword, arguments in dockerfile.all_instructions() if keyword == "RUN"]
    if runtime == "python":
        [pip_install] = [run for run in runs if "pip install" in run]
        assert "--require-hashes" in pip_install
        assert "--only-binary=:all:" in pip_install
    else:
        [npm_ci] = [run for run in runs if "npm ci" in run]
        assert "--omit=dev" in npm_ci
        assert [run for run in runs if "npm install" in run] == []


def test_cmd_names_existing_handler(runtime, dockerfile):
    [cmd] = [arguments for keyword, arguments in dockerfile.stages[-1].instructions if keyword == "CMD"]
    [entry_point] = json.loads(cmd)
    module_name, function_name = entry_point.rsplit(".", 1)

    if runtime == "python":
        module = importlib.import_module(module_name)
        assert callable(getattr(module, function_name))
    else:
        if shutil.which("node") is None:
            pytest.fail("node is required to import the Node.js entry point")
        check = (
            f"const module = await import('./{module_name}.mjs');"
            f"process.exit(typeof module.{function_name} === 'function' ? 0 : 1);"
        )
        result = subprocess.run(
            ["node", "--input-type=module", "-e", check], cwd=LAMBDA_IMAGE_DIR / "nodejs", capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
