"""The units an install writes pass ``systemd-analyze verify``.

verify loads each unit file and checks every key and that ExecStart's program is
executable. The program paths are those of the installed system: the python running
the install (present here) and /usr/local/bin/consul (not here), so the consul unit is
verified from a copy that points at the stand-in consul instead.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from installsupport import make_stand_ins

ARGS = ["--role", "both", "--bind-addr", "10.0.0.5", "--yes"]
UNITS = ("nexus-dashboard.service", "nexus-agent.service", "consul.service")

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is missing: apt-get install systemd",
)


def verify(unit: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def installed_units(pyz, tmp_path_factory) -> Path:
    """Units from one real install (module-scoped: verify is the slow part)."""
    base = tmp_path_factory.mktemp("units")
    root = base / "root"
    root.mkdir()
    bin_dir, records = make_stand_ins(base)

    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "NEXUS_RECORD_DIR": str(records)}
    command = ["install", "--root", str(root), *ARGS]
    done = subprocess.run(
        [sys.executable, str(pyz), *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

    checked = base / "checked"
    checked.mkdir()
    for unit in UNITS:
        text = (root / "etc/systemd/system" / unit).read_text()
        text = text.replace("/usr/local/bin/consul", str(bin_dir / "consul"))
        (checked / unit).write_text(text)
    return checked


@pytest.mark.parametrize("unit", UNITS)
def test_unit_passes_verify(installed_units, unit):
    result = verify(installed_units / unit)

    assert result.returncode == 0, result.stderr
    # verify reports unknown keys and bad values as warnings; there must be none.
    assert result.stderr == ""


def test_verify_does_catch_a_bad_unit(installed_units, tmp_path):
    broken = tmp_path / "nexus-agent.service"
    text = (installed_units / "nexus-agent.service").read_text()
    broken.write_text(text.replace("Restart=always", "Restart=sometimes"))

    result = verify(broken)

    assert "Failed to parse service restart specifier" in result.stderr


def test_dashboard_is_hardened_but_can_read_proc(installed_units):
    text = (installed_units / "nexus-dashboard.service").read_text()

    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert option in text
    assert "User=nexus" in text
    assert "ProtectProc=" not in text.replace("No ProtectProc=", "")
    assert "ProcSubset=" not in text.replace("or ProcSubset=", "")
    assert "StartLimitIntervalSec=0" in text and "RestartSec=5" in text
