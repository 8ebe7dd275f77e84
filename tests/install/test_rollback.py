"""A failure part-way through an install leaves the previous state as it was."""

from installsupport import records, snapshot

ARGS = ["--role", "both", "--bind-addr", "10.0.0.5", "--yes"]


def install(run_pyz, root, **kwargs):
    return run_pyz("install", "--root", str(root), *ARGS, **kwargs)


def leftovers(root):
    return [
        p.name for p in root.rglob("*") if ".nexus-new" in p.name or "undo" in p.name
    ]


def test_failed_upgrade_restores_every_file(run_pyz, root, new_pyz, stand_ins):
    assert install(run_pyz, root).returncode == 0
    before = snapshot(root)

    failed = install(run_pyz, root, file=new_pyz, NEXUS_FAIL_SYSTEMCTL="enable")

    assert failed.returncode == 1
    assert "Error: systemctl --root=" in failed.stderr
    assert "injected failure" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert snapshot(root) == before
    assert leftovers(root) == []
    assert records(stand_ins, "systemctl.log")[-1].endswith("nexus-dashboard.service")


def test_failed_first_install_leaves_nothing(run_pyz, root):
    # A directory where a unit file should go: the rename onto it fails mid-way,
    # after the pyz, the env file and the first units were already renamed.
    blocker = root / "etc/systemd/system/nexus-agent.service"
    blocker.mkdir(parents=True)
    before = snapshot(root)

    failed = install(run_pyz, root)

    assert failed.returncode == 1
    assert "Error: install stopped, files restored:" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert snapshot(root) == before


def test_consul_rejecting_the_config_writes_nothing(run_pyz, root, stand_ins):
    failed = install(run_pyz, root, NEXUS_FAIL_VALIDATE="bind_addr must be an ip")

    assert failed.returncode == 2
    assert "Error: consul rejects /etc/consul.d/nexus.hcl:" in failed.stderr
    assert "bind_addr must be an ip" in failed.stderr
    assert not any(root.iterdir())
    assert records(stand_ins, "systemctl.log") == []
