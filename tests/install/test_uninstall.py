"""nexus uninstall: units and the installed file go; config stays unless --purge.

Run in this process (the zipapp path is covered by the install tests) to stay fast.
"""

from installsupport import records, snapshot

ARGS = ["--role", "both", "--bind-addr", "10.0.0.5", "--yes"]


def install(invoke, root, pyz):
    return invoke("install", "--root", str(root), "--pyz", str(pyz), *ARGS)


def test_uninstall_keeps_config_then_purge_removes_it(invoke, root, pyz, on_path):
    assert install(invoke, root, pyz).exit_code == 0

    dry = invoke("uninstall", "--root", str(root), "--dry-run")
    before = snapshot(root)
    removed = invoke("uninstall", "--root", str(root), "--yes")

    assert dry.exit_code == 0 and "remove  /opt/nexus/nexus.pyz" in dry.output
    assert removed.exit_code == 0, removed.output
    assert before != snapshot(root)
    assert not (root / "opt/nexus").exists()
    assert not (root / "etc/systemd/system/nexus-agent.service").exists()
    assert not (root / "etc/systemd/system/nexus-dashboard.service").exists()
    assert (root / "etc/nexus/nexus.env").exists()
    assert (root / "etc/consul.d/nexus.hcl").exists()
    assert (root / "etc/systemd/system/consul.service").exists()
    disable = f"--root={root} disable nexus-dashboard.service nexus-agent.service"
    assert records(on_path, "systemctl.log")[-1] == disable

    purged = invoke("uninstall", "--root", str(root), "--purge", "--yes")

    assert purged.exit_code == 0, purged.output
    assert not (root / "etc/nexus").exists()
    assert not (root / "etc/consul.d/nexus.hcl").exists()
    assert not (root / "etc/systemd/system/consul.service").exists()
    assert (
        records(on_path, "systemctl.log")[-1] == f"--root={root} disable consul.service"
    )

    nothing = invoke("uninstall", "--root", str(root), "--yes")
    assert "Nothing to remove" in nothing.output


def test_reinstall_after_uninstall_keeps_the_secret(invoke, root, pyz):
    assert install(invoke, root, pyz).exit_code == 0
    secret = (root / "etc/nexus/nexus.env").read_text()

    assert invoke("uninstall", "--root", str(root), "--yes").exit_code == 0
    assert install(invoke, root, pyz).exit_code == 0

    assert (root / "etc/nexus/nexus.env").read_text() == secret
