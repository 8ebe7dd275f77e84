"""nexus uninstall: units and the installed file go; config stays unless --purge."""

from installsupport import records, snapshot

ARGS = ["--role", "both", "--bind-addr", "10.0.0.5", "--yes"]


def test_uninstall_keeps_config_then_purge_removes_it(run_pyz, root, stand_ins):
    assert run_pyz("install", "--root", str(root), *ARGS).returncode == 0

    dry = run_pyz("uninstall", "--root", str(root), "--dry-run")
    before = snapshot(root)
    removed = run_pyz("uninstall", "--root", str(root), "--yes")

    assert dry.returncode == 0 and "remove  /opt/nexus/nexus.pyz" in dry.stdout
    assert removed.returncode == 0, removed.stderr
    assert before != snapshot(root)
    assert not (root / "opt/nexus").exists()
    assert not (root / "etc/systemd/system/nexus-agent.service").exists()
    assert not (root / "etc/systemd/system/nexus-dashboard.service").exists()
    assert (root / "etc/nexus/nexus.env").exists()
    assert (root / "etc/consul.d/nexus.hcl").exists()
    assert (root / "etc/systemd/system/consul.service").exists()
    disable = f"--root={root} disable nexus-dashboard.service nexus-agent.service"
    assert records(stand_ins, "systemctl.log")[-1] == disable

    purged = run_pyz("uninstall", "--root", str(root), "--purge", "--yes")

    assert purged.returncode == 0, purged.stderr
    assert not (root / "etc/nexus").exists()
    assert not (root / "etc/consul.d/nexus.hcl").exists()
    assert not (root / "etc/systemd/system/consul.service").exists()
    assert (
        records(stand_ins, "systemctl.log")[-1]
        == f"--root={root} disable consul.service"
    )

    nothing = run_pyz("uninstall", "--root", str(root), "--yes")
    assert "Nothing to remove" in nothing.stdout


def test_reinstall_after_uninstall_keeps_the_secret(run_pyz, root):
    assert run_pyz("install", "--root", str(root), *ARGS).returncode == 0
    secret = (root / "etc/nexus/nexus.env").read_text()

    assert run_pyz("uninstall", "--root", str(root), "--yes").returncode == 0
    assert run_pyz("install", "--root", str(root), *ARGS).returncode == 0

    assert (root / "etc/nexus/nexus.env").read_text() == secret
