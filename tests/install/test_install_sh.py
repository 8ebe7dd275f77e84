"""install.sh finds a python3 >= 3.10 and runs nexus.pyz install, or says what's wrong.

Each PATH holds real interpreters (pyenv builds where present): one with only an old
python3, one with none, one with a usable python3 named python3.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nexuslite.install.host import Host

CHECKOUT = Path(__file__).resolve().parents[2]
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def find_old_python() -> Path | None:
    for version in ("3.9", "3.8", "3.7"):
        for candidate in sorted(PYENV.glob(f"{version}.*/bin/python{version}")):
            return candidate
    return None


@pytest.fixture
def kit(tmp_path, pyz) -> Path:
    """install.sh and nexus.pyz side by side, as an operator copies them."""
    kit = tmp_path / "kit"
    kit.mkdir()
    shutil.copy(CHECKOUT / "install.sh", kit / "install.sh")
    shutil.copy(pyz, kit / "nexus.pyz")
    return kit


def run_install_sh(
    kit: Path, path_dir: Path, *args: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/sh", str(kit / "install.sh"), *args],
        capture_output=True,
        text=True,
        env={"PATH": str(path_dir), "NEXUS_RECORD_DIR": str(path_dir)},
        timeout=120,
    )


def test_no_python_on_path_is_explained(kit, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    result = run_install_sh(kit, empty, "--role", "both")

    assert result.returncode == 3
    assert "needs Python 3.10 or newer; found: no python3 on PATH" in result.stderr


@pytest.mark.skipif(find_old_python() is None, reason="no Python < 3.10 here")
def test_an_old_python_is_named_and_refused(kit, tmp_path):
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    old = find_old_python()
    (old_dir / "python3").symlink_to(old)

    result = run_install_sh(kit, old_dir, "--role", "both")

    assert result.returncode == 3
    version = old.name.removeprefix("python")
    assert f"found: python3 {version};" in result.stderr


def test_a_usable_python_runs_the_pyz_install(kit, tmp_path, stand_ins):
    usable = tmp_path / "bin"  # holds the stand-ins too
    (usable / "python3").symlink_to(Host().python_executable())
    root = tmp_path / "root"
    root.mkdir()

    result = subprocess.run(
        ["/bin/sh", str(kit / "install.sh"), "--role", "both", "--root", str(root)]
        + ["--bind-addr", "10.0.0.5", "--yes"],
        capture_output=True,
        text=True,
        env={"PATH": f"{usable}:/usr/bin:/bin", "NEXUS_RECORD_DIR": str(stand_ins)},
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    installed = root / "opt/nexus/nexus.pyz"
    assert installed.read_bytes() == (kit / "nexus.pyz").read_bytes()
    unit = (root / "etc/systemd/system/nexus-agent.service").read_text()
    assert f"ExecStart={Host().python_executable()} /opt/nexus/nexus.pyz agent" in unit


def test_a_python_that_cannot_name_itself_fails_preflight(pyz, tmp_path):
    # Started by bare name with no PATH (what install.sh did under env -i), Python
    # leaves sys.executable empty, and the units would have named no interpreter.
    root = tmp_path / "root"
    root.mkdir()

    result = subprocess.run(
        ["python3", str(pyz), "preflight", "--root", str(root)]
        + ["--bind-addr", "10.0.0.5"],
        executable=Host().python_executable(),
        capture_output=True,
        text=True,
        env={},
        timeout=120,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  python: Python" in result.stdout
    assert "cannot tell its own path" in result.stdout
    assert not any(root.iterdir())
