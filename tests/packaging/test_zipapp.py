"""The built nexus.pyz, run as a node runs it: isolated, offline, from any directory."""

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from nexuslite import __version__
from nexuslite.packaging.builder import SHIPPED_DIRS, BuildRequest, build
from nexuslite.packaging.buildinfo import read_pyz_metadata
from nexuslite.packaging.targets import current_target

pytestmark = pytest.mark.slow

SOURCE_DATE_EPOCH = 1_700_000_000
PROJECT_ROOT = Path(__file__).resolve().parents[2]
REPAIR_NOTE = "rebuilt damaged cache"
PEX_VENV_HOP = "Executing venv PEX"  # logged by pex when it, not the pointer, starts


def test_isolated_interpreter_cannot_import_the_dependencies():
    # The precondition of every test here: only the file itself can supply flask.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import flask"], capture_output=True
    )

    assert result.returncode != 0


def test_version_prints_build_details(run_pyz, pyz):
    result = run_pyz("version")

    pex_info, _ = read_pyz_metadata(pyz)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"nexuslite {__version__}"
    assert f"build id: {pex_info['pex_hash']}" in lines
    assert "built at: 2023-11-14T22:13:20Z" in lines
    assert any(line.startswith("git commit: ") for line in lines)
    target = current_target()
    expected = f"CPython {target.python} on {target.machine} Linux with glibc"
    assert f"targets: {expected}" in lines
    assert any(line.strip().startswith("pydantic_core ") for line in lines)


def test_help_matches_the_checkout(run_pyz):
    from_pyz = run_pyz("--help")
    from_checkout = subprocess.run(
        [sys.executable, "-m", "nexuslite", "--help"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )

    assert from_pyz.returncode == 0, from_pyz.stderr
    # The first line names the program (nexus.pyz or python -m nexuslite).
    assert from_pyz.stdout.splitlines()[1:] == from_checkout.stdout.splitlines()[1:]


def test_runs_offline_from_a_cold_cache(run_pyz):
    if not _can_unshare_network():
        pytest.skip("cannot make a network namespace here")

    result = run_pyz("version", prefix=("unshare", "--net"))

    assert result.returncode == 0, result.stderr


def test_serve_answers_root_and_healthz(pyz, cache_dir, tmp_path, free_port):
    command = [sys.executable, "-I", "-S", str(pyz), "serve", "--port", str(free_port)]
    env = {"NEXUS_CACHE_DIR": str(cache_dir)}
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{free_port}"
        health = _wait_for(f"{base}/healthz", server, deadline=time.monotonic() + 120)
        with urllib.request.urlopen(f"{base}/", timeout=10) as page:
            body = page.read().decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()

    assert health == 200, output
    assert page.status == 200
    assert "<html" in body.lower()


def test_read_only_home_works_for_an_unprivileged_user(pyz):
    python = f"/usr/bin/python{current_target().python}"
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists(python):
        pytest.skip("needs root, setpriv and a system Python of the built version")

    # pytest's own tmp dirs are private to root; this one the other user can read.
    shared = Path(tempfile.mkdtemp(prefix="nexus-pyz-test-"))
    try:
        result, home, temp = _run_as_nobody(python, pyz, shared)
    finally:
        shutil.rmtree(shared)

    assert result.returncode == 0, result.stderr
    assert f"cache: {temp}/nexus-cache-65534" in result.stdout
    assert home == []


def _run_as_nobody(python: str, pyz: Path, shared: Path, env: dict | None = None):
    """Run ``version`` as nobody with a home it cannot write; (result, home, tmp)."""
    home = shared / "home"
    temp = shared / "tmp"
    home.mkdir()
    temp.mkdir()
    shared.chmod(0o755)
    temp.chmod(0o1777)
    shutil.copy(pyz, shared / "nexus.pyz")
    (shared / "nexus.pyz").chmod(0o644)

    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    result = subprocess.run(
        [*as_nobody, python, "-I", "-S", str(shared / "nexus.pyz"), "version"],
        cwd=shared,
        env={"HOME": str(home), "TMPDIR": str(temp), **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )
    return result, list(home.iterdir()), temp


def test_two_cold_starts_at_once_leave_one_good_cache(pyz, cache_dir, tmp_path):
    command = [sys.executable, "-I", "-S", str(pyz), "version"]
    env = {"NEXUS_CACHE_DIR": str(cache_dir)}
    starts = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(start.communicate(timeout=300), start.returncode) for start in starts]

    for (stdout, stderr), returncode in results:
        assert returncode == 0, stderr
        assert stdout.startswith(f"nexuslite {__version__}")

    pex_hash = read_pyz_metadata(pyz)[0]["pex_hash"]
    assert len(list(cache_dir.glob(f"venvs/*/{pex_hash}/*/pex"))) == 1
    leftovers = [p for p in cache_dir.rglob("*") if p.name.endswith(".work")]
    assert leftovers == []

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True)
    assert again.returncode == 0 and REPAIR_NOTE not in again.stderr.decode()


def test_next_start_goes_straight_to_the_checked_venv(run_pyz, cache_dir):
    assert run_pyz("version").returncode == 0
    (pointer,) = (cache_dir / "nexus-boot").iterdir()
    assert Path(pointer.read_text()).is_file()

    warm = run_pyz("version", env={"PEX_VERBOSE": "1"})
    assert warm.returncode == 0, warm.stderr
    assert PEX_VENV_HOP not in warm.stderr

    pointer.write_text(str(cache_dir / "gone" / "pex"))
    stale = run_pyz("version", env={"PEX_VERBOSE": "1"})
    assert stale.returncode == 0, stale.stderr
    assert PEX_VENV_HOP in stale.stderr
    assert Path(pointer.read_text()).is_file()


def test_removed_dependency_file_is_detected_and_rebuilt(run_pyz, cache_dir):
    assert run_pyz("version").returncode == 0
    victim = next(cache_dir.glob("installed_wheels/*/*/flask-*/flask/app.py"))
    victim.unlink()

    result = run_pyz("version")

    assert result.returncode == 0, result.stderr
    assert REPAIR_NOTE in result.stderr and "flask/app.py (missing)" in result.stderr
    assert len(list(cache_dir.glob("installed_wheels/*/*/flask-*/flask/app.py"))) == 1


def test_truncated_own_file_is_detected_and_rebuilt(run_pyz, cache_dir):
    assert run_pyz("version").returncode == 0
    victim = next(
        cache_dir.glob("venvs/*/s/*/venv/lib/*/site-packages/nexuslite/cli.py")
    )
    victim.write_bytes(victim.read_bytes()[:10])

    result = run_pyz("--help")

    assert result.returncode == 0, result.stderr
    assert "nexuslite/cli.py (10 bytes instead of" in result.stderr
    assert run_pyz("--help").stderr == ""


def test_other_python_version_is_refused_with_one_line(pyz, find_python, tmp_path):
    built = current_target().python
    others = [v for v in ("3.9", "3.10", "3.12", "2.7") if v != built]
    pythons = [p for p in map(find_python, others) if p]
    if not pythons:
        pytest.skip("no other Python version on this machine")

    for python in pythons:
        result = subprocess.run(
            [python, str(pyz), "version"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"NEXUS_CACHE_DIR": str(tmp_path / "cache")},
        )

        assert result.returncode == 3, (python, result.stderr)
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"nexus.pyz needs CPython {built} on ")
        assert "found CPython" in result.stderr


def test_two_builds_are_identical(tmp_path):
    # A snapshot, so edits to the working tree between the builds cannot matter.
    snapshot = tmp_path / "checkout"
    for name in SHIPPED_DIRS:
        shutil.copytree(PROJECT_ROOT / name, snapshot / name)
    shutil.copy(PROJECT_ROOT / "pyproject.toml", snapshot)

    first = _build_snapshot(snapshot, tmp_path / "one")
    for path in snapshot.rglob("*"):
        os.utime(path, (SOURCE_DATE_EPOCH + 1, SOURCE_DATE_EPOCH + 1))  # a fresh clone
    # A hardened umask must change neither the bytes nor the file's mode.
    previous_umask = os.umask(0o077)
    try:
        second = _build_snapshot(snapshot, tmp_path / "two")
    finally:
        os.umask(previous_umask)

    assert filecmp.cmp(first, second, shallow=False)
    assert first.stat().st_mode & 0o777 == second.stat().st_mode & 0o777 == 0o755


def _build_snapshot(snapshot: Path, output_dir: Path) -> Path:
    request = BuildRequest(
        output_dir / "nexus.pyz",
        (current_target(),),
        SOURCE_DATE_EPOCH,
        project_root=snapshot,
    )
    return build(request)


def test_target_without_wheels_fails_the_build_naming_it(tmp_path):
    # A CPython no compiled dependency will ever publish wheels for: a real future
    # version (3.15) stops failing once its wheels appear on the index.
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "build_zipapp.py"),
            "--python=3.99",
            "--platform=x86_64",
            f"--output={tmp_path / 'nexus.pyz'}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: no wheel of ")
    assert "for manylinux2014_x86_64-cp-399-cp399" in error
    assert not (tmp_path / "nexus.pyz").exists()


def _wait_for(url: str, server: subprocess.Popen, deadline: float) -> int:
    """Poll ``url`` until it answers, the server exits, or the deadline passes."""
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    return -1


def _can_unshare_network() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.parametrize("junk", [b"/etc/passwd\n", b"\xd0\xcf\x11\xe0 binary", b""])
def test_damaged_pointer_is_ignored_and_rewritten(run_pyz, cache_dir, junk):
    assert run_pyz("version").returncode == 0
    (pointer,) = (cache_dir / "nexus-boot").iterdir()
    pointer.write_bytes(junk)

    result = run_pyz("version")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert Path(pointer.read_text()).is_file()


def test_venv_without_its_interpreter_is_rebuilt(run_pyz, cache_dir):
    assert run_pyz("version").returncode == 0
    (pointer,) = (cache_dir / "nexus-boot").iterdir()
    venv_bin = Path(pointer.read_text()).parent / "bin"
    for python in venv_bin.glob("python*"):
        python.unlink()

    result = run_pyz("version")

    assert result.returncode == 0, result.stderr
    assert run_pyz("version").returncode == 0


def test_cold_start_from_a_deleted_directory(pyz, cache_dir, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    command = [sys.executable, "-I", "-S", str(pyz), "version"]
    # The shell removes its own working directory, then runs the file from it.
    script = f'cd {gone} && rmdir {gone} && exec "$@"'

    result = subprocess.run(
        ["sh", "-c", script, "sh", *command],
        env={"NEXUS_CACHE_DIR": str(cache_dir)},
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"nexuslite {__version__}")


def test_damaged_file_is_refused_with_one_line(pyz, cache_dir, tmp_path):
    damaged = tmp_path / "nexus.pyz"
    shutil.copy(pyz, damaged)
    with zipfile.ZipFile(damaged) as archive:
        biggest = max(archive.infolist(), key=lambda member: member.compress_size)
    with damaged.open("r+b") as stream:
        stream.seek(biggest.header_offset + biggest.compress_size // 2)
        stream.write(b"X" * 64)

    result = subprocess.run(
        [sys.executable, "-I", "-S", str(damaged), "version"],
        cwd=tmp_path,
        env={"NEXUS_CACHE_DIR": str(cache_dir)},
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"Error: {damaged} is damaged (")
    assert result.stderr.endswith("; copy the file again\n")


def test_relative_cache_dir_is_made_absolute(run_pyz, tmp_path):
    result = run_pyz("version", env={"NEXUS_CACHE_DIR": "relative-cache"})

    assert result.returncode == 0, result.stderr
    assert f"cache: {tmp_path / 'relative-cache'}" in result.stdout.splitlines()


def test_cache_partly_owned_by_another_user_is_one_line(pyz):
    python = f"/usr/bin/python{current_target().python}"
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists(python):
        pytest.skip("needs root, setpriv and a system Python of the built version")

    shared = Path(tempfile.mkdtemp(prefix="nexus-pyz-test-"))
    try:
        cache = shared / "cache"
        (cache / "venvs").mkdir(parents=True)  # root's, as after a run with sudo
        os.chown(cache, 65534, 65534)
        result = _run_as_nobody(python, pyz, shared, {"NEXUS_CACHE_DIR": str(cache)})[0]
    finally:
        shutil.rmtree(shared)

    assert result.returncode == 2
    assert result.stderr == (
        f"Error: NEXUS_CACHE_DIR={cache} cannot be used: {cache / 'venvs'} "
        "is not writable; point it at another directory\n"
    )


def test_file_where_the_cache_keeps_a_directory_is_one_line(run_pyz, cache_dir):
    cache_dir.mkdir()
    (cache_dir / "venvs").write_text("junk")

    result = run_pyz("version")

    assert result.returncode == 2
    assert result.stderr == (
        f"Error: NEXUS_CACHE_DIR={cache_dir} cannot be used: {cache_dir / 'venvs'} "
        "is not a directory; point it at another directory\n"
    )
