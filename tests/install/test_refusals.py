"""Operator mistakes an install refuses in one line, before writing anything."""

import pytest
from installsupport import FakeHost

from nexuslite.install.addresses import MULTIPLE_PRIVATE

TWO_PRIVATE = {"lo": ["127.0.0.1"], "eth0": ["10.0.0.5"], "docker0": ["172.17.0.1"]}


def install_args(root, pyz, *flags):
    return ["install", "--root", str(root), "--pyz", str(pyz), "--yes", *flags]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--bind-addr", "0.0.0.0"], "invalid --bind-addr='0.0.0.0'"),
        (
            ["--bind-addr", "10.0.0.5", "--advertise-addr", "::"],
            "--advertise-addr='::'",
        ),
        (["--bind-addr", "10.0.0.5", "--join", "10.0.0.2"], "needs --bootstrap-expect"),
        (["--bind-addr", "eth0"], "expected one IPv4 address"),
    ],
)
def test_bad_addresses_are_refused(invoke, root, pyz, flags, message):
    result = invoke(*install_args(root, pyz, "--role", "manager", *flags))

    assert result.exit_code in (1, 2)
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not any(root.iterdir())


def test_worker_without_join_is_refused(invoke, root, pyz):
    result = invoke(*install_args(root, pyz, "--role", "worker"))

    assert result.exit_code == 2
    assert "Error: a worker needs --join ADDR" in result.output
    assert not any(root.iterdir())


def test_several_private_addresses_need_bind_addr(invoke, root, pyz):
    host = FakeHost(interfaces=TWO_PRIVATE)

    refused = invoke(*install_args(root, pyz, "--role", "both"), host=host)

    assert refused.exit_code == 1
    assert MULTIPLE_PRIVATE in refused.output
    assert "(private IPv4: 172.17.0.1, 10.0.0.5)" in refused.output
    assert not any(root.iterdir())

    chosen = invoke(
        *install_args(root, pyz, "--role", "both", "--bind-addr", "172.17.0.1")
    )

    assert chosen.exit_code == 0, chosen.output
    hcl = (root / "etc/consul.d/nexus.hcl").read_text()
    assert 'bind_addr      = "172.17.0.1"' in hcl
    assert "0.0.0.0" not in hcl


def test_the_one_private_address_is_chosen(invoke, root, pyz):
    host = FakeHost(interfaces={"lo": ["127.0.0.1"], "tailscale0": ["100.101.1.2"]})

    result = invoke(*install_args(root, pyz, "--role", "both"), host=host)

    assert result.exit_code == 0, result.output
    hcl = (root / "etc/consul.d/nexus.hcl").read_text()
    assert 'bind_addr      = "100.101.1.2"' in hcl
    assert 'advertise_addr = "100.101.1.2"' in hcl


def test_a_checkout_refuses_to_copy_without_pyz(invoke, root):
    args = ["install", "--role", "both", "--root", str(root), "--bind-addr", "10.0.0.5"]

    result = invoke(*args, "--yes")

    assert result.exit_code == 2
    assert "there is no nexus.pyz to copy" in result.output
    assert "--pyz PATH" in result.output


def test_a_pyz_that_is_not_a_zipapp_is_refused(invoke, root, tmp_path):
    fake = tmp_path / "nexus.pyz"
    fake.write_text("not a zip")

    result = invoke(
        *install_args(root, fake, "--role", "both", "--bind-addr", "10.0.0.5")
    )

    assert result.exit_code == 2
    assert f"invalid --pyz='{fake}': not a nexus.pyz zipapp" in result.output
