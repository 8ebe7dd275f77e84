"""The agent process itself: killed with -9, started twice, or not running at all."""

import os
import signal
import socket
import subprocess
import sys

import psutil
import pytest
from test_agent_processes import sleeper_services, wait_until

pytestmark = pytest.mark.slow


def test_agent_killed_with_9_then_restarted_runs_one_copy(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "web"))
    agent.wait_for("state: web starting -> running")
    orphan = agent.service("web")["pid"]

    agent.process.kill()
    agent.process.wait(10)
    assert agent.socket.exists()  # stale: nobody listens on it any more
    assert psutil.pid_exists(orphan)

    agent.start()

    agent.wait_for(rf"leftover: web \(pid {orphan} left by an earlier agent; stopped\)")
    agent.wait_for("state: web starting -> running")
    assert wait_until(lambda: not psutil.pid_exists(orphan))
    assert agent.service("web")["pid"] != orphan


def test_second_agent_on_the_same_socket_is_refused(make_agent, tmp_path):
    first = make_agent(sleeper_services(tmp_path, "web"))
    first.wait_for("state: web starting -> running")
    second_file = tmp_path / "second.yml"
    second_file.write_text(sleeper_services(tmp_path, "web"))

    result = subprocess.run(
        [sys.executable, "-m", "nexuslite", "agent", "--config", second_file],
        capture_output=True,
        text=True,
        timeout=30,
        env=first.env,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: another agent is already running on {first.socket}"
    ]
    assert first.service("web")["state"] == "running"


def test_status_without_an_agent_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env["NEXUS_AGENT_SOCKET"] = str(tmp_path / "agent.sock")

    result = subprocess.run(
        [sys.executable, "-m", "nexuslite", "status"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: no agent answers on {tmp_path / 'agent.sock'}; "
        "is 'nexus agent' running?"
    ]


def test_control_of_an_unknown_service_is_refused(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "web"))

    for command in ("start", "stop", "restart"):
        reply = agent.ask(command, "nope")
        assert reply == {"ok": False, "message": "no service named 'nope'"}
    assert agent.stop() == 0


def test_sighup_storm_leaves_unchanged_services_alone(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "web"))
    agent.wait_for("state: web starting -> running")
    pid = agent.service("web")["pid"]

    for _ in range(50):
        agent.signal(signal.SIGHUP)
    agent.ask("status")  # answered by the main loop, so every signal was seen

    assert agent.service("web")["pid"] == pid
    assert agent.service("web")["restarts"] == 0
    assert "state: web running" not in agent.log_text()


def test_socket_path_holding_a_file_is_refused_not_deleted(tmp_path):
    services = tmp_path / "services.yml"
    services.write_text("")
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}

    result = subprocess.run(
        [sys.executable, "-m", "nexuslite", "agent", "--config", services],
        capture_output=True,
        text=True,
        timeout=30,
        env={**env, "NEXUS_AGENT_SOCKET": str(precious)},
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {precious} exists and is not a socket; "
        "set NEXUS_AGENT_SOCKET or --socket to another path"
    ]
    assert precious.read_text() == "keep me"


def test_silent_clients_do_not_hold_up_status(make_agent, tmp_path):
    agent = make_agent(sleeper_services(tmp_path, "web"))
    silent = []
    for _ in range(5):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(str(agent.socket))
        silent.append(client)
    try:
        # Answered one after the other, five silent clients took 5 s each:
        # longer than the 15 s a client waits for its answer.
        assert agent.ask("status")["ok"]
    finally:
        for client in silent:
            client.close()
