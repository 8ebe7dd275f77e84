"""An install stopped part-way (a signal, kill -9, a write that fails) changes nothing.

The install runs as a real process from the real nexus.pyz; the systemctl stand-in
holds it at ``systemctl enable``, after every file was renamed into place, until the
test has signalled it.
"""

import os
import resource
import signal
import subprocess
import sys
import time

import pytest
from installsupport import snapshot

ARGS = ["--role", "both", "--bind-addr", "10.0.0.5", "--yes"]


def leftovers(root):
    names = (".nexus-new", ".nexus-undo", ".install-journal")
    return [p.name for p in root.rglob("*") if any(n in p.name for n in names)]


def wait_for(path, limit=600):
    """Wait until ``path`` exists, polling at most ``limit`` times (one minute)."""
    for _ in range(limit):
        if path.exists():
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


@pytest.fixture
def start_install(pyz, stand_ins, tmp_path):
    """Start ``nexus.pyz install`` held at systemctl enable; returns the process."""

    def start(root, *flags, file=pyz, **popen):
        environ = {
            **os.environ,
            "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "NEXUS_RECORD_DIR": str(stand_ins),
            "NEXUS_BLOCK_SYSTEMCTL": "enable",
        }
        argv = [sys.executable, str(file), "install", "--root", str(root), *ARGS]
        return subprocess.Popen(
            [*argv, *flags],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **popen,
        )

    return start


@pytest.mark.parametrize(
    "signum",
    [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
    ids=lambda signum: signal.Signals(signum).name,
)
def test_a_stop_signal_puts_every_file_back(
    run_pyz, root, new_pyz, stand_ins, start_install, signum
):
    assert run_pyz("install", "--root", str(root), *ARGS).returncode == 0
    before = snapshot(root)

    process = start_install(root, "--dashboard-host", "10.0.0.5", file=new_pyz)
    wait_for(stand_ins / "blocked")
    process.send_signal(signum)
    (stand_ins / "release").touch()
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 1
    name = signal.Signals(signum).name
    assert f"Error: stopped by {name}; every file was put back as it was" in stderr
    assert "Traceback" not in stderr
    assert snapshot(root) == before
    assert leftovers(root) == []


def test_after_kill_9_the_next_run_puts_the_files_back(
    run_pyz, root, new_pyz, stand_ins, start_install
):
    assert run_pyz("install", "--root", str(root), *ARGS).returncode == 0
    before = snapshot(root)

    process = start_install(root, "--dashboard-host", "10.0.0.5", file=new_pyz)
    wait_for(stand_ins / "blocked")
    process.kill()
    process.communicate(timeout=120)
    (stand_ins / "release").touch()

    assert snapshot(root) != before  # the new files are in place, half installed
    dry = run_pyz("install", "--root", str(root), *ARGS, "--dry-run")
    assert "an earlier run was killed part-way" in dry.stdout

    again = run_pyz("install", "--root", str(root), *ARGS)

    assert again.returncode == 0, again.stderr
    assert "Recovered: an earlier run was killed part-way" in again.stdout
    assert "Nothing to change" in again.stdout
    assert snapshot(root) == before
    assert leftovers(root) == []


def limit_file_size():
    # Writes past 100 KiB fail with EFBIG, as they would on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, 100 * 1024))


def test_a_write_that_fails_part_way_leaves_no_partial_file(
    run_pyz, root, pyz, new_pyz, stand_ins, tmp_path
):
    assert pyz.stat().st_size > 100 * 1024
    assert run_pyz("install", "--root", str(root), *ARGS).returncode == 0
    before = snapshot(root)

    environ = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "NEXUS_RECORD_DIR": str(stand_ins),
    }
    failed = subprocess.run(
        [sys.executable, str(new_pyz), "install", "--root", str(root), *ARGS],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_file_size,
    )

    assert failed.returncode == 1
    assert "Error: install stopped, files restored: [Errno 27] File too large" in (
        failed.stderr
    )
    assert snapshot(root) == before
    assert leftovers(root) == []


def test_a_second_run_waits_for_no_one_and_touches_nothing(
    run_pyz, root, new_pyz, stand_ins, start_install
):
    assert run_pyz("install", "--root", str(root), *ARGS).returncode == 0
    first = start_install(root, "--dashboard-host", "10.0.0.5", file=new_pyz)
    wait_for(stand_ins / "blocked")
    during = snapshot(root)

    second = run_pyz("install", "--root", str(root), *ARGS)
    removal = run_pyz("uninstall", "--root", str(root), "--yes")

    assert second.returncode == 1
    assert f"Error: another nexus install is running on {root}" in second.stderr
    assert removal.returncode == 1
    assert "another nexus install is running" in removal.stderr
    assert snapshot(root) == during

    (stand_ins / "release").touch()
    first.communicate(timeout=120)
    assert first.returncode == 0
    assert leftovers(root) == []
