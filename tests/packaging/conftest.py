"""Build nexus.pyz once per session and run the built file as an operator would."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nexuslite.packaging.builder import BuildRequest, build
from nexuslite.packaging.targets import current_target

SOURCE_DATE_EPOCH = 1_700_000_000
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pyz(tmp_path_factory) -> Path:
    """A nexus.pyz for this interpreter and machine, built from this checkout."""
    output = tmp_path_factory.mktemp("dist") / "nexus.pyz"
    return build(BuildRequest(output, (current_target(),), SOURCE_DATE_EPOCH))


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def run_pyz(pyz, cache_dir, tmp_path):
    """run_pyz(*args, env={...}, python=...) -> CompletedProcess.

    The file runs isolated (-I -S) from an empty environment and an empty working
    directory, so nothing of the checkout or its installed packages can help it.
    """

    def run(*args, env=None, python=sys.executable, prefix=(), timeout=180):
        return subprocess.run(
            [*prefix, python, "-I", "-S", str(pyz), *args],
            cwd=tmp_path,
            env={"NEXUS_CACHE_DIR": str(cache_dir), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def find_python():
    """find_python("3.9") -> path of that interpreter, or None."""
    return locate_python


def locate_python(version: str) -> str | None:
    """An interpreter of ``version`` (e.g. "3.9"), on PATH or under pyenv."""
    found = shutil.which(f"python{version}")
    if found and _reports_version(found, version):
        return found

    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{version}.*/bin/python{version}")):
        return str(candidate)
    return None


def _reports_version(python: str, version: str) -> bool:
    """False for a pyenv shim whose version is not installed."""
    result = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == version
