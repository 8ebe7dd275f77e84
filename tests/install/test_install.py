"""nexus install run from a real nexus.pyz into a temporary root."""

import stat

import pytest
from installsupport import records, snapshot

from nexuslite.agent.servicefile import parse_services
from nexuslite.install.artefact import read_pyz_version
from nexuslite.install.envfile import parse_env

ROLE_ARGS = {
    "manager": ["--role", "manager"],
    "worker": ["--role", "worker", "--join", "10.0.0.1"],
    "both": ["--role", "both"],
}


def install(run_pyz, root, role="both", *extra, **env):
    args = ["install", *ROLE_ARGS[role], "--root", str(root), "--bind-addr", "10.0.0.5"]
    return run_pyz(*args, "--yes", *extra, **env)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def uncomment(example: str) -> str:
    """What an operator gets by removing "# " from the example's YAML lines."""
    lines = [line[2:] for line in example.splitlines() if line.startswith("# ")]
    return "\n".join(line for line in lines if not line[:1].isupper())


@pytest.mark.parametrize("role", ["manager", "worker", "both"])
def test_each_role_writes_its_files(run_pyz, root, pyz, stand_ins, role):
    result = install(run_pyz, root, role)

    assert result.returncode == 0, result.stderr
    is_manager, is_worker = role != "worker", role != "manager"
    units = root / "etc/systemd/system"
    assert (root / "opt/nexus/nexus.pyz").read_bytes() == pyz.read_bytes()
    assert (units / "nexus-dashboard.service").exists() == is_manager
    assert (units / "nexus-agent.service").exists()
    assert (units / "consul.service").exists()
    assert (root / "etc/nexus/services.yml").exists() == is_worker
    assert ("nexus:" in (root / "etc/passwd").read_text()) if is_manager else True

    env_file = root / "etc/nexus/nexus.env"
    assert mode(env_file) == 0o600 and env_file.stat().st_uid == 0
    env = parse_env(env_file.read_text())
    assert len(env["NEXUS_SECRET_KEY"]) >= 40
    assert env["NEXUS_CONSUL_URL"] == "http://127.0.0.1:8500"
    assert mode(units / "nexus-agent.service") == 0o644

    hcl = (root / "etc/consul.d/nexus.hcl").read_text()
    assert f'"nexus-role" = "{role}"' in hcl
    assert ("bootstrap_expect = 1" in hcl) == is_manager
    assert "0.0.0.0" not in hcl

    enabled = records(stand_ins, "systemctl.log")
    expected = "consul.service nexus-agent.service"
    expected += " nexus-dashboard.service" if is_manager else ""
    assert enabled == [f"--root={root} enable {expected}"]
    assert ("Dashboard: http://127.0.0.1:9000/" in result.stdout) == is_manager


def test_consul_config_uses_explicit_addresses(run_pyz, root, stand_ins):
    result = install(
        run_pyz,
        root,
        "manager",
        "--advertise-addr",
        "203.0.113.7",
        "--join",
        "10.0.0.2",
        "--join",
        "10.0.0.3",
        "--bootstrap-expect",
        "3",
    )

    assert result.returncode == 0, result.stderr
    hcl = (root / "etc/consul.d/nexus.hcl").read_text()
    assert 'bind_addr      = "10.0.0.5"' in hcl
    assert 'advertise_addr = "203.0.113.7"' in hcl
    assert 'client_addr    = "127.0.0.1"' in hcl
    assert 'retry_join     = ["10.0.0.2", "10.0.0.3"]' in hcl
    assert "server           = true\nbootstrap_expect = 3" in hcl
    # Validated as a whole directory by the consul on PATH, before it was written.
    assert records(stand_ins, "consul-validated.hcl") == hcl.splitlines()


def test_second_run_changes_nothing_and_says_so(run_pyz, root, stand_ins):
    assert install(run_pyz, root).returncode == 0
    before = snapshot(root)
    calls = records(stand_ins, "systemctl.log")

    again = install(run_pyz, root)

    assert again.returncode == 0, again.stderr
    assert "Nothing to change" in again.stdout
    assert snapshot(root) == before
    assert records(stand_ins, "systemctl.log") == calls


def test_dry_run_writes_nothing_and_shows_diffs(run_pyz, root, stand_ins):
    fresh = install(run_pyz, root, "both", "--dry-run")

    assert fresh.returncode == 0, fresh.stderr
    assert not any(root.iterdir())
    assert "create  /etc/consul.d/nexus.hcl" in fresh.stdout
    assert "run     systemctl --root=" in fresh.stdout
    assert records(stand_ins, "systemctl.log") == []

    assert install(run_pyz, root).returncode == 0
    before = snapshot(root)
    changed = install(run_pyz, root, "both", "--dashboard-host", "0.0.0.0", "--dry-run")

    assert snapshot(root) == before
    assert "update  /etc/nexus/nexus.env (mode 0600)" in changed.stdout
    assert "    +NEXUS_HOST=0.0.0.0" in changed.stdout
    assert "    NEXUS_SECRET_KEY=********" in changed.stdout
    secret = parse_env((root / "etc/nexus/nexus.env").read_text())["NEXUS_SECRET_KEY"]
    assert secret not in changed.stdout


def test_existing_settings_are_kept(run_pyz, root):
    env_file = root / "etc/nexus/nexus.env"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("NEXUS_SECRET_KEY=operator-key\nNEXUS_LOG_LEVEL=DEBUG\n")

    result = install(run_pyz, root, "both", "--dashboard-host", "10.0.0.5")

    assert result.returncode == 0, result.stderr
    env = parse_env(env_file.read_text())
    assert env["NEXUS_SECRET_KEY"] == "operator-key"
    assert env["NEXUS_LOG_LEVEL"] == "DEBUG"
    assert env["NEXUS_HOST"] == "10.0.0.5"
    assert "Dashboard: http://10.0.0.5:9000/" in result.stdout


def test_upgrade_keeps_the_previous_file(run_pyz, root, pyz, new_pyz, stand_ins):
    assert install(run_pyz, root).returncode == 0
    services = root / "etc/nexus/services.yml"
    services.write_text("hello: [/bin/sleep, '100']\n")

    upgrade = install(run_pyz, root, file=new_pyz)

    assert upgrade.returncode == 0, upgrade.stderr
    assert (root / "opt/nexus/nexus.pyz").read_bytes() == new_pyz.read_bytes()
    assert (root / "opt/nexus/nexus.pyz.previous").read_bytes() == pyz.read_bytes()
    assert services.read_text() == "hello: [/bin/sleep, '100']\n"
    assert "update  /opt/nexus/nexus.pyz" in upgrade.stdout
    assert read_pyz_version(root / "opt/nexus/nexus.pyz") != "unknown"


def test_existing_consul_config_is_backed_up(run_pyz, root):
    hcl = root / "etc/consul.d/nexus.hcl"
    hcl.parent.mkdir(parents=True)
    hcl.write_text('datacenter = "old"\n')

    assert install(run_pyz, root).returncode == 0

    assert (root / "etc/consul.d/nexus.hcl.bak").read_text() == 'datacenter = "old"\n'
    assert "bind_addr" in hcl.read_text()


def test_a_packaged_consul_unit_gets_a_drop_in(run_pyz, root):
    packaged = root / "usr/lib/systemd/system/consul.service"
    packaged.parent.mkdir(parents=True)
    packaged.write_text("[Service]\nExecStart=/usr/bin/consul agent\n")

    assert install(run_pyz, root).returncode == 0

    assert not (root / "etc/systemd/system/consul.service").exists()
    dropin = root / "etc/systemd/system/consul.service.d/nexus.conf"
    assert "StateDirectory=consul" in dropin.read_text()


def test_example_services_file_is_valid_when_uncommented(run_pyz, root):
    assert install(run_pyz, root, "worker").returncode == 0

    services = parse_services(uncomment((root / "etc/nexus/services.yml").read_text()))

    assert services["hello"].argv[0] == "/usr/bin/python3"
    assert services["api"].restart == "on-failure"
    assert services["api"].consul.check.kind == "http"
