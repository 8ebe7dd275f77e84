"""nexus preflight: one line (or JSON object) per check, exit 1 on any FAIL."""

import json
import socket

import pytest
from consul_double import ConsulDouble
from installsupport import FakeHost

from nexuslite import __version__
from nexuslite.install.addresses import (
    MULTIPLE_PRIVATE,
    NO_PRIVATE,
    list_private_ipv4,
)
from nexuslite.install.host import Host
from nexuslite.install.options import InstallOptions
from nexuslite.install.paths import InstallRoot
from nexuslite.install.preflight import check_consul_agent, run_checks


def lines_by_check(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        status, _, rest = line.partition("  ")
        found[rest.split(":", 1)[0]] = f"{status} {rest.split(':', 1)[1].strip()}"
    return found


def test_a_ready_machine_passes(invoke):
    result = invoke("preflight")

    assert result.exit_code == 0, result.output
    checks = lines_by_check(result.output)
    assert checks["root"] == "PASS running as root"
    assert checks["init"] == "PASS systemd is running"
    assert checks["bind address"] == "PASS private IPv4: 10.0.0.5"
    assert checks["ports"] == "PASS free or ours: 9000, 8300, 8301, 8302, 8500, 8600"
    assert checks["consul binary"].startswith(
        "WARN no consul on PATH -> copy the consul"
    )
    assert checks["consul agent"].startswith("WARN no Consul agent answers")
    assert checks["existing install"] == "PASS none"
    assert len(checks) == 12


@pytest.mark.parametrize(
    "host, check, expected",
    [
        (
            FakeHost(root=False),
            "root",
            "FAIL not running as root -> run install with sudo",
        ),
        (FakeHost(booted=False), "init", "FAIL systemd is not the init system"),
        (
            FakeHost(holders={9000: "nginx (pid 42)"}),
            "ports",
            "FAIL 9000 held by nginx (pid 42) -> stop that process",
        ),
        (
            FakeHost(interfaces={"eth0": ["10.0.0.5"], "wg0": ["192.168.7.1"]}),
            "bind address",
            f"FAIL {MULTIPLE_PRIVATE}",
        ),
        (
            FakeHost(interfaces={"lo": ["127.0.0.1"], "eth0": ["169.254.3.3"]}),
            "bind address",
            f"FAIL {NO_PRIVATE}",
        ),
    ],
)
def test_each_failing_check_exits_1(invoke, host, check, expected):
    result = invoke("preflight", host=host)

    assert result.exit_code == 1
    assert lines_by_check(result.output)[check].startswith(expected)


def test_consul_port_held_by_consul_is_ours(invoke):
    host = FakeHost(holders={8500: "consul (pid 7)", 9000: "python3 (pid 8)"})

    result = invoke("preflight", host=host)

    assert result.exit_code == 0, result.output
    assert lines_by_check(result.output)["ports"].startswith("PASS")


def test_a_worker_does_not_need_the_dashboard_port(invoke):
    host = FakeHost(holders={9000: "nginx (pid 42)"})

    assert invoke("preflight", "--role", "worker", host=host).exit_code == 0
    assert invoke("preflight", "--role", "manager", host=host).exit_code == 1


def test_consul_binary_version_is_reported(invoke, tmp_path):
    host = FakeHost(consul=str(tmp_path / "bin" / "consul"))

    result = invoke("preflight", host=host)

    expected = f"PASS {tmp_path / 'bin' / 'consul'} v1.18.1"
    assert lines_by_check(result.output)["consul binary"] == expected


def test_json_has_the_same_checks(invoke):
    host = FakeHost(root=False)

    text = invoke("preflight", host=host)
    result = invoke("preflight", "--json", host=host)

    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert [c["name"] for c in report["checks"]] == list(lines_by_check(text.output))
    root = report["checks"][0]
    assert root == {
        "name": "root",
        "status": "FAIL",
        "found": "not running as root",
        "fix": "run install with sudo",
    }


def test_an_image_root_only_warns_about_this_machine(invoke, root):
    host = FakeHost(booted=False, holders={8500: "nginx (pid 3)"})

    result = invoke(
        "preflight", "--root", str(root), "--bind-addr", "10.9.9.9", host=host
    )

    assert result.exit_code == 0, result.output
    checks = lines_by_check(result.output)
    assert checks["init"].startswith("WARN")
    assert checks["ports"].startswith("WARN 8500 held by nginx (pid 3)")
    assert checks["bind address"].startswith("WARN --bind-addr 10.9.9.9 is not on")


def test_real_host_names_the_process_holding_a_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        holders = Host().port_holders([port])

    assert holders[port].startswith("python")
    assert holders[port].endswith(")")


def test_consul_agent_check_reads_the_leader():
    host = Host()
    with ConsulDouble() as double:
        host.consul_http = double.url
        double.set_leader("consul-1")
        reachable = check_consul_agent(host)

    unreachable = check_consul_agent(host)

    assert reachable.status == "PASS"
    assert reachable.found.startswith("reachable, leader ")
    assert unreachable.status == "WARN"


def test_existing_install_version_is_reported(pyz, root):
    installed = root / "opt/nexus/nexus.pyz"
    installed.parent.mkdir(parents=True)
    installed.write_bytes(pyz.read_bytes())
    options = InstallOptions(target=InstallRoot(root), bind_addr="10.0.0.5")

    checks = {c.name: c for c in run_checks(FakeHost(), options)}

    found = checks["existing install"].found
    assert found.startswith(f"NexusLite {__version__} at /opt/nexus/nexus.pyz")


def test_private_addresses_follow_rfc1918_and_cgnat():
    interfaces = {
        "lo": ["127.0.0.1"],
        "eth0": ["192.0.2.2", "10.1.2.3"],
        "eth1": ["169.254.1.1", "172.31.0.9", "172.32.0.1"],
        "ts0": ["100.64.0.1", "100.128.0.1"],
        "wlan0": ["192.168.1.20", "8.8.8.8"],
    }

    assert list_private_ipv4(interfaces) == [
        "10.1.2.3",
        "172.31.0.9",
        "100.64.0.1",
        "192.168.1.20",
    ]
