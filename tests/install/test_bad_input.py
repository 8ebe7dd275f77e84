"""Bad option values and bad operator files: a line naming them, non-zero, no change.

Each case is an input an operator typed or left on the node; nothing is written and
an existing file stays byte for byte as it was. A bad option exits 2; a bad
nexus.env is a preflight FAIL (exit 1), so 'nexus preflight' finds it first.
"""

import pytest
from installsupport import FakeHost, records, snapshot

from nexuslite.install.envfile import parse_env

BIND = ["--bind-addr", "10.0.0.5"]


def install_args(root, pyz, *flags):
    return ["install", "--root", str(root), "--pyz", str(pyz), "--yes", *BIND, *flags]


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--role", "manager", "--bootstrap-expect", "0"], "--bootstrap-expect=0"),
        (["--role", "manager", "--bootstrap-expect", "-1"], "--bootstrap-expect=-1"),
        (["--role", "manager", "--bootstrap-expect", "8"], "--bootstrap-expect=8"),
        (
            ["--role", "manager", "--bootstrap-expect", "99999999999999999999"],
            "--bootstrap-expect=99999999999999999999",
        ),
        (
            ["--role", "worker", "--join", "10.0.0.1", "--bootstrap-expect", "3"],
            "--bootstrap-expect is for managers",
        ),
        (
            ["--role", "worker", "--join", "10.0.0.1", "--dashboard-host", "10.0.0.5"],
            "--dashboard-host is for managers",
        ),
        (["--role", "worker", "--join", ""], "invalid --join=''"),
        (["--role", "worker", "--join", "a b"], "invalid --join='a b'"),
        (["--role", "worker", "--join", '"; rm -rf /'], "invalid --join="),
        (["--role", "worker", "--join", "0.0.0.0"], "invalid --join='0.0.0.0'"),
        (["--role", "worker", "--join", "127.0.0.1"], "invalid --join='127.0.0.1'"),
        (["--role", "worker", "--join", "::1"], "invalid --join='::1'"),
        (["--role", "worker", "--join", "10.0.0.1:99999"], "the port must be"),
        (["--role", "worker", "--join", "999.1.1.1"], "invalid --join='999.1.1.1'"),
        (["--role", "manager", "--dashboard-host", ""], "invalid --dashboard-host=''"),
        (["--role", "manager", "--dashboard-host", "a b"], "--dashboard-host='a b'"),
        (
            ["--role", "manager", "--dashboard-host", "x\nNEXUS_ADMIN_TOKEN=pwn"],
            "invalid --dashboard-host='x\\nNEXUS_ADMIN_TOKEN=pwn'",
        ),
        (["--role", "manager", "--dashboard-host", "host:80"], "--dashboard-host="),
    ],
)
def test_bad_option_values_are_refused(invoke, root, pyz, flags, message):
    result = invoke(*install_args(root, pyz, *flags))

    assert result.exit_code == 2, result.output
    assert len(error_lines(result.output)) == 1
    assert message in error_lines(result.output)[0]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not any(root.iterdir())


@pytest.mark.parametrize(
    "join",
    [
        "mgr1.example.com",
        "mgr1:8301",
        "[fd00::11]:8301",
        "fd00::11",
        "provider=aws tag_key=consul tag_value=prod",
    ],
)
def test_every_form_consul_joins_is_accepted(invoke, root, pyz, join):
    result = invoke(*install_args(root, pyz, "--role", "worker", "--join", join))

    assert result.exit_code == 0, result.output
    hcl = (root / "etc/consul.d/nexus.hcl").read_text()
    assert f'retry_join     = ["{join}"]' in hcl


def test_an_ipv6_dashboard_host_gets_a_usable_url(invoke, root, pyz):
    flags = ["--role", "manager", "--dashboard-host", "fd00::5"]

    result = invoke(*install_args(root, pyz, *flags))

    assert result.exit_code == 0, result.output
    assert "Dashboard: http://[fd00::5]:9000/" in result.output


def test_a_relative_root_is_used_as_the_same_directory(run_pyz, root, stand_ins):
    # run_pyz runs in root's parent, so "root" names the same directory.
    result = run_pyz("install", "--role", "both", "--root", "root", *BIND, "--yes")

    assert result.returncode == 0, result.stderr
    assert "nexus:" in (root / "etc/passwd").read_text()
    enable = records(stand_ins, "systemctl.log")[-1]
    assert enable.startswith(f"--root={root} enable ")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"NEXUS_FOO=1\n", "unknown setting NEXUS_FOO in /etc/nexus/nexus.env line 1"),
        (b"# ok\nFOO=bar\n", "unknown setting FOO in /etc/nexus/nexus.env line 2"),
        (b"NEXUS_PORT=abc\n", "invalid NEXUS_PORT='abc' in /etc/nexus/nexus.env"),
        (b"NEXUS_SERVER=apache\n", "invalid NEXUS_SERVER='apache'"),
        (
            b"NEXUS_CONSUL_CA_FILE=/etc/ssl/none.pem\n",
            "invalid NEXUS_CONSUL_CA_FILE='/etc/ssl/none.pem'",
        ),
        (
            b"\nthis is not a setting\n",
            "invalid /etc/nexus/nexus.env line 2: 'this is not a setting'",
        ),
        (b"export NEXUS_PORT=9100\n", "invalid /etc/nexus/nexus.env line 1"),
        (b"\xff\xfeN\x00\n", "cannot read /etc/nexus/nexus.env: not UTF-8 text"),
    ],
    ids=[
        "unknown",
        "no-prefix",
        "not-a-number",
        "not-a-choice",
        "missing-ca-file",
        "not-an-assignment",
        "export",
        "not-utf8",
    ],
)
def test_an_env_file_the_services_could_not_read_is_refused(
    invoke, root, pyz, content, message
):
    env_file = root / "etc/nexus/nexus.env"
    env_file.parent.mkdir(parents=True)
    env_file.write_bytes(content)
    before = snapshot(root)

    checked = invoke("preflight", "--root", str(root), *BIND)
    result = invoke(*install_args(root, pyz, "--role", "both"))

    assert checked.exit_code == 1, checked.output
    assert f"FAIL  settings: {message}" in checked.output
    assert result.exit_code == 1, result.output
    assert f"FAIL  settings: {message}" in result.output
    assert error_lines(result.output) == [
        "Error: preflight failed: fix the FAIL lines above, then run again"
    ]
    assert snapshot(root) == before


@pytest.mark.parametrize(
    "where", ["etc/nexus/nexus.env", "etc/systemd/system/consul.service"]
)
def test_an_operator_file_that_is_not_text_is_refused(invoke, root, pyz, where):
    blocker = root / where
    blocker.mkdir(parents=True)
    (blocker / "kept").write_text("operator data\n")
    before = snapshot(root)

    result = invoke(*install_args(root, pyz, "--role", "both"))

    assert result.exit_code in (1, 2), result.output
    assert f"cannot read /{where}: Is a directory" in result.output
    assert "Traceback" not in result.output
    assert snapshot(root) == before


def test_a_valid_env_file_keeps_its_lines_and_gets_mode_0600(invoke, root, pyz):
    env_file = root / "etc/nexus/nexus.env"
    env_file.parent.mkdir(parents=True)
    operator = '# mine\nNEXUS_PORT="9100"\nNEXUS_LOG_LEVEL=debug\n'
    env_file.write_text(operator)
    env_file.chmod(0o644)

    result = invoke(*install_args(root, pyz, "--role", "both"))

    assert result.exit_code == 0, result.output
    assert env_file.read_text().startswith(operator)
    assert "NEXUS_SECRET_KEY" in parse_env(env_file.read_text())
    assert env_file.stat().st_mode & 0o777 == 0o600


def test_the_operators_consul_config_is_never_overwritten(invoke, root, pyz):
    hcl = root / "etc/consul.d/nexus.hcl"
    hcl.parent.mkdir(parents=True)
    hcl.write_text('encrypt = "operator-key"\n')
    hcl.chmod(0o640)
    args = install_args(root, pyz, "--role", "both")

    assert invoke(*args).exit_code == 0
    assert invoke(*args, "--dashboard-host", "10.0.0.5").exit_code == 0
    hcl.write_text('datacenter = "second"\n')
    assert invoke(*args, "--join", "10.0.0.9", "--bootstrap-expect", "3").exit_code == 0

    backups = root / "etc/consul.d"
    assert (backups / "nexus.hcl.bak").read_text() == 'encrypt = "operator-key"\n'
    assert (backups / "nexus.hcl.bak").stat().st_mode & 0o777 == 0o640
    assert (backups / "nexus.hcl.bak.2").read_text() == 'datacenter = "second"\n'

    purged = invoke("uninstall", "--root", str(root), "--purge", "--yes")

    assert purged.exit_code == 0, purged.output
    assert not hcl.exists()
    assert (backups / "nexus.hcl.bak").read_text() == 'encrypt = "operator-key"\n'


@pytest.mark.parametrize("name", ["weird.hcl", "dangling.json"])
def test_an_unreadable_consul_config_beside_ours_is_refused(
    invoke, root, pyz, tmp_path, name
):
    configs = root / "etc/consul.d"
    configs.mkdir(parents=True)
    if name == "weird.hcl":
        (configs / name).mkdir()  # Consul skips directories, and so does install
    else:
        (configs / name).symlink_to(root / "nowhere.json")
    # Validation copies every config beside ours for the consul stand-in to read.
    host = FakeHost(consul=str(tmp_path / "bin" / "consul"))

    result = invoke(*install_args(root, pyz, "--role", "both"), host=host)

    if name == "weird.hcl":
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2, result.output
        assert "Error: cannot read /etc/consul.d/dangling.json" in result.output
        assert not (configs / "nexus.hcl").exists()


def test_a_dashboard_node_is_not_turned_into_a_worker_in_place(invoke, root, pyz):
    assert invoke(*install_args(root, pyz, "--role", "both")).exit_code == 0
    before = snapshot(root)
    worker = ["--role", "worker", "--join", "10.0.0.1"]

    refused = invoke(*install_args(root, pyz, *worker))

    assert refused.exit_code == 2, refused.output
    assert error_lines(refused.output) == [
        "Error: this node runs the dashboard (nexus-dashboard.service), which "
        "--role worker does not: run 'nexus uninstall' first (it keeps the config), "
        "then this install"
    ]
    assert snapshot(root) == before

    assert invoke("uninstall", "--root", str(root), "--yes").exit_code == 0
    assert invoke(*install_args(root, pyz, *worker)).exit_code == 0
    assert not (root / "etc/systemd/system/nexus-dashboard.service").exists()
