"""What an install on the running system (root /) would run, without running it.

These tests only build plans and talk to the recording systemctl; nothing is written
under / (a plan reads the machine and changes nothing).
"""

from pathlib import Path

import pytest
from installsupport import FakeHost, records

from nexuslite.errors import NexusError
from nexuslite.install.installer import wait_until_active
from nexuslite.install.options import InstallOptions
from nexuslite.install.paths import InstallRoot
from nexuslite.install.plan import build_plan

UNITS = ["consul.service", "nexus-agent.service", "nexus-dashboard.service"]


@pytest.fixture
def live_plan(pyz):
    if Path("/opt/nexus/nexus.pyz").exists() or Path("/etc/nexus").exists():
        pytest.skip("NexusLite is installed on this machine; the fresh plan differs")

    options = InstallOptions(role="both", bind_addr="10.0.0.5", pyz=pyz)
    assert options.target == InstallRoot(Path("/"))
    return build_plan(options, FakeHost())


def test_live_install_reloads_enables_and_starts(live_plan):
    commands = [" ".join(argv) for argv in live_plan.commands]

    assert commands == [
        "systemd-sysusers /etc/sysusers.d/nexus.conf",
        "systemctl daemon-reload",
        "systemctl try-restart " + " ".join(UNITS),
        "systemctl enable --now " + " ".join(UNITS),
    ]
    assert live_plan.dashboard_url == "http://127.0.0.1:9000/"


def test_final_check_waits_for_active_units(on_path):
    wait_until_active(UNITS, deadline=5)

    assert records(on_path, "systemctl.log") == ["is-active " + " ".join(UNITS)]


def test_final_check_names_a_failed_unit(on_path, monkeypatch):
    monkeypatch.setenv("NEXUS_UNIT_STATE", "failed")

    with pytest.raises(NexusError) as caught:
        wait_until_active(UNITS, deadline=5)

    message = caught.value.format_message()
    assert message == (
        "consul.service is failed, not active: see journalctl -u consul.service"
    )
