"""Fixtures for the install tests: a real zipapp, recording stand-ins, a target root."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from installsupport import build_zipapp, make_stand_ins


@pytest.fixture(scope="session")
def pyz(tmp_path_factory) -> Path:
    return build_zipapp(tmp_path_factory.mktemp("build") / "nexus.pyz")


@pytest.fixture(scope="session")
def new_pyz(tmp_path_factory) -> Path:
    """A second build with different bytes: the upgrade."""
    return build_zipapp(tmp_path_factory.mktemp("build2") / "nexus.pyz", "build 2")


@pytest.fixture
def stand_ins(tmp_path) -> Path:
    """The recording systemctl and consul in tmp_path/bin; returns the records dir."""
    return make_stand_ins(tmp_path)[1]


@pytest.fixture
def root(tmp_path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def run_pyz(pyz, stand_ins, tmp_path):
    """Run a nexus.pyz as an operator would, with the stand-ins first on PATH."""

    def run(*args: str, file: Path = pyz, **env: str) -> subprocess.CompletedProcess:
        environ = {
            **os.environ,
            "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "NEXUS_RECORD_DIR": str(stand_ins),
            **env,
        }
        return subprocess.run(
            [sys.executable, str(file), *args],
            capture_output=True,
            text=True,
            env=environ,
            cwd=tmp_path,
            timeout=120,
        )

    return run


@pytest.fixture
def on_path(stand_ins, tmp_path, monkeypatch) -> Path:
    """Put the stand-ins on this process's PATH (for in-process CliRunner tests)."""
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("NEXUS_RECORD_DIR", str(stand_ins))
    return stand_ins


@pytest.fixture
def invoke(on_path):
    """Run a nexus command in this process, on a host a test describes."""
    from click.testing import CliRunner
    from installsupport import FakeHost

    from nexuslite.cli import main

    def run(*args: str, host=None):
        runner = CliRunner()
        return runner.invoke(main, list(args), obj=host or FakeHost())

    return run
