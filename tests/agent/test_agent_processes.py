"""A real agent supervising real programs: crashes, stops, reloads, status."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from agent_process import CHATTY, CRASHER, ESCAPER, FORKER, SLEEPER

from nexuslite.agent.control import ask_agent, read_agent_status

pytestmark = pytest.mark.slow


def sleeper_services(agent_dir, *names, extra="") -> str:
    program = agent_dir / "sleeper.py"
    program.write_text(SLEEPER)
    lines = []
    for name in names:
        lines.append(f"{name}:\n  command: [{sys.executable}, {program}]")
        lines.append(f"  start_seconds: 0.2\n  stop_timeout: 5\n{extra}")
    return "\n".join(lines) + "\n"


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_kill_9_is_noticed_and_restarted(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "web"))
    agent.wait_for("state: web starting -> running")
    first = agent.service("web")["pid"]

    os.kill(first, signal.SIGKILL)

    agent.wait_for(
        r"state: web running -> backoff \(terminated by SIGKILL; not expected"
    )
    agent.wait_for("state: web starting -> running", count=2)
    service = agent.service("web")
    assert service["pid"] != first
    assert service["restarts"] == 1


def test_crash_loop_goes_to_backoff_then_fatal(make_agent, tmp_path):
    program = tmp_path / "crasher.py"
    program.write_text(CRASHER)
    agent = make_agent(
        f"bad:\n  command: [{sys.executable}, {program}]\n"
        "  start_seconds: 5\n  start_retries: 2\n  backoff_seconds: 0.05\n"
    )

    agent.wait_for(r"state: bad starting -> backoff \(exit status 1")
    agent.wait_for(r"state: bad starting -> fatal \(exit status 1.*gave up")
    assert agent.service("bad")["state"] == "fatal"

    assert agent.ask("start", "bad")["ok"]
    agent.wait_for(r"state: bad fatal -> starting")


def test_stop_leaves_no_grandchild_behind(make_agent, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    program = tmp_path / "forker.py"
    program.write_text(FORKER)
    agent = make_agent(
        f"forker:\n  command: [{sys.executable}, {program}, {pid_file}]\n"
        "  start_seconds: 0.2\n  stop_timeout: 2\n"
    )
    agent.wait_for("state: forker starting -> running")
    assert wait_until(lambda: pid_file.exists() and pid_file.read_text())
    grandchild = int(pid_file.read_text())
    assert psutil.pid_exists(grandchild)

    assert agent.ask("stop", "forker")["ok"]

    agent.wait_for(r"state: forker stopping -> stopped")
    assert wait_until(lambda: not psutil.pid_exists(grandchild))


def escaper_services(tmp_path, extra: str = "") -> tuple[str, Path]:
    pids = tmp_path / "escapees"
    pids.mkdir()
    program = tmp_path / "escaper.py"
    program.write_text(ESCAPER)
    body = (
        f"escaper:\n  command: [{sys.executable}, {program}, {pids}]\n"
        f"  start_seconds: 0.2\n  stop_timeout: 2\n{extra}"
    )
    return body, pids


def escapee_pids(pids: Path) -> list[int]:
    assert wait_until(lambda: len(list(pids.iterdir())) == 2)
    assert wait_until(lambda: all(p.read_text() for p in pids.iterdir()))
    return [int(p.read_text()) for p in pids.iterdir()]


def test_stop_leaves_no_setsid_or_daemonized_descendant(make_agent, tmp_path):
    body, pids = escaper_services(tmp_path)
    agent = make_agent(body)
    agent.wait_for("state: escaper starting -> running")
    escapees = escapee_pids(pids)
    assert all(psutil.pid_exists(pid) for pid in escapees)

    assert agent.ask("stop", "escaper")["ok"]

    agent.wait_for(r"state: escaper stopping -> stopped")
    assert wait_until(lambda: not any(psutil.pid_exists(p) for p in escapees))


def test_exit_of_main_process_takes_its_escapees_along(make_agent, tmp_path):
    body, pids = escaper_services(tmp_path, "  restart: never\n")
    agent = make_agent(body)
    agent.wait_for("state: escaper starting -> running")
    escapees = escapee_pids(pids)

    os.kill(agent.service("escaper")["pid"], signal.SIGKILL)

    agent.wait_for(r"state: escaper running -> stopped .*killed the processes it left")
    assert wait_until(lambda: not any(psutil.pid_exists(p) for p in escapees))


def test_unwritable_log_is_a_spawn_error_not_a_stuck_service(make_agent, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    agent = make_agent(
        f"web:\n  command: [sleep, '30']\n  log: {{file: {blocker}/web.log}}\n"
        "  start_retries: 0\n"
    )

    line = agent.wait_for(r"state: web starting -> fatal")
    assert "spawn error: cannot open log" in line


def test_many_restarts_leave_no_zombie(make_agent, tmp_path):
    agent = make_agent(
        "flap:\n  command: [sleep, '0.02']\n  start_seconds: 0\n"
        + sleeper_services(tmp_path, "steady")
    )
    assert wait_until(lambda: agent.service("flap")["restarts"] >= 20)
    for restarts in range(1, 6):
        assert agent.ask("restart", "steady")["ok"]
        agent.wait_for("state: steady starting -> running", count=restarts + 1)
    agent.ask("stop", "flap")
    agent.wait_for("state: flap .* -> stopped")

    children = psutil.Process(agent.process.pid).children(recursive=True)
    zombies = [c.pid for c in children if c.status() == psutil.STATUS_ZOMBIE]
    assert zombies == []
    assert len(children) == 1  # only steady's current process


def test_sighup_applies_the_difference(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "keep", "change", "drop"))
    agent.wait_for("state: drop starting -> running")
    before = {row["name"]: row["pid"] for row in agent.ask("status")["services"]}

    changed = sleeper_services(tmp_path, "keep", "change", "add")
    changed = changed.replace(
        "change:\n  command:", "change:\n  environment: {V: '2'}\n  command:"
    )
    agent.services_file.write_text(changed)
    agent.signal(signal.SIGHUP)

    agent.wait_for("state: add starting -> running")
    agent.wait_for(r"state: drop running -> stopping \(removed from services file")
    agent.wait_for("state: change starting -> running", count=2)
    after = {row["name"]: row["pid"] for row in agent.ask("status")["services"]}
    assert set(after) == {"keep", "change", "add"}
    assert after["keep"] == before["keep"]
    assert after["change"] != before["change"]
    assert not psutil.pid_exists(before["drop"])


@pytest.mark.parametrize(
    ("bad_file", "named"),
    [
        (
            "web:\n  command: [x]\n  restart: no\n",
            "web.restart: unquoted 'no' reads as a boolean",
        ),
        (
            "web: [no-such-program-x]\n",
            "web.command: no executable 'no-such-program-x' on PATH",
        ),
    ],
)
def test_sighup_with_invalid_file_keeps_running_set(
    make_agent, tmp_path, bad_file, named
):
    agent = make_agent(sleeper_services(tmp_path, "web"))
    agent.wait_for("state: web starting -> running")
    pid = agent.service("web")["pid"]

    agent.services_file.write_text(bad_file)
    agent.signal(signal.SIGHUP)

    line = agent.wait_for("reload: refused")
    assert named in line
    assert agent.service("web")["pid"] == pid


def test_sigterm_stops_everything_and_exits_0(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "a", "b"))
    agent.wait_for("state: b starting -> running")
    pids = [row["pid"] for row in agent.ask("status")["services"]]

    assert agent.stop() == 0
    assert not any(psutil.pid_exists(pid) for pid in pids)
    assert not agent.socket.exists()


def test_status_command_shows_each_service(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "web", "worker"))
    agent.wait_for("state: worker starting -> running")

    result = subprocess.run(
        [sys.executable, "-m", "nexuslite", "status"],
        capture_output=True,
        text=True,
        env=agent.env,
        timeout=30,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATE", "PID", "UPTIME", "RESTARTS"]
    assert lines[1].split()[:2] == ["web", "running"]
    assert lines[2].split()[:2] == ["worker", "running"]
    assert [row["name"] for row in read_agent_status(agent.socket)] == ["web", "worker"]
    assert read_agent_status(tmp_path / "no-agent.sock") is None


def ask_as_user(agent, uid: int, request: dict) -> dict:
    """Send ``request`` from a forked child that runs as ``uid``."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            os.setuid(uid)
            reply = ask_agent(agent.socket, request)
            os.write(write_fd, json.dumps(reply).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(answer)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_other_users_may_read_status_but_not_control(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "web"))
    agent.wait_for("state: web starting -> running")
    os.chmod(agent.socket.parent, 0o755)

    status = ask_as_user(agent, 65534, {"command": "status"})
    refused = ask_as_user(agent, 65534, {"command": "stop", "name": "web"})

    assert status["ok"] and status["services"][0]["name"] == "web"
    assert refused == {"ok": False, "message": "uid 65534 may not stop services"}
    assert agent.service("web")["state"] == "running"


def test_service_log_is_capped_and_rotated(make_agent, tmp_path):
    program = tmp_path / "chatty.py"
    program.write_text(CHATTY)
    log_file = tmp_path / "logs" / "chatty.log"
    agent = make_agent(
        f"chatty:\n  command: [{sys.executable}, {program}]\n"
        f"  log: {{file: {log_file}, max_bytes: 20000, keep: 2}}\n"
    )
    agent.wait_for("state: chatty starting -> running")

    assert wait_until(lambda: b"   199x" in log_file.read_bytes())
    kept = sorted(p.name for p in log_file.parent.iterdir())
    assert kept == ["chatty.log", "chatty.log.1", "chatty.log.2"]
    assert all(p.stat().st_size <= 20000 for p in log_file.parent.iterdir())


def test_unusable_socket_place_is_one_line(tmp_path):
    services = tmp_path / "services.yml"
    services.write_text("web: [sleep, '5']\n")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")

    result = subprocess.run(
        [sys.executable, "-m", "nexuslite", "agent", "--config", services],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "NEXUS_AGENT_SOCKET": str(blocker / "a.sock")},
    )

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot create the control socket {blocker}/")
    assert line.endswith("; set NEXUS_AGENT_SOCKET or --socket to a writable place")


WHOAMI = """#!/bin/sh
printf '{"uid": %s, "gid": %s, "groups": [%s], "home": "%s", "user": "%s"}' \\
    "$(id -u)" "$(id -g)" "$(id -G | tr ' ' ',')" "$HOME" "$USER" > "$1.part"
mv "$1.part" "$1"
exec sleep 60
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="running as another user needs root")
def test_a_service_runs_as_its_user_with_that_users_groups_and_home(make_agent):
    import pwd
    import shutil
    import tempfile
    from pathlib import Path

    # Somewhere user nobody may reach (pytest's tmp_path is root's alone).
    shared = Path(tempfile.mkdtemp(prefix="nx-who-", dir="/tmp"))
    try:
        shared.chmod(0o777)
        program, report = shared / "whoami.sh", shared / "identity.json"
        program.write_text(WHOAMI)
        program.chmod(0o755)
        agent = make_agent(
            f"who:\n  command: [/bin/sh, {program}, {report}]\n"
            "  user: nobody\n  start_seconds: 0.2\n"
        )
        agent.wait_for("state: who starting -> running")
        assert wait_until(report.exists)
        identity = json.loads(report.read_text())
        agent.stop()
    finally:
        shutil.rmtree(shared)

    nobody = pwd.getpwnam("nobody")
    assert (identity["uid"], identity["gid"]) == (nobody.pw_uid, nobody.pw_gid)
    assert 0 not in identity["groups"], "the agent's root group must not leak"
    assert (identity["home"], identity["user"]) == (nobody.pw_dir, "nobody")
