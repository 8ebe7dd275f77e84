"""The agent against the Consul test double: registration, metrics, requests."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from agent_process import SLEEPER
from consul_double import ConsulDouble

from nexuslite.agent.registrar import MANAGED_META
from nexuslite.cluster import actions, kvlayout
from nexuslite.cluster.consul_client import make_client
from nexuslite.cluster.consul_source import ConsulSource
from nexuslite.cluster.model import DRAINING
from nexuslite.settings import load_settings

pytestmark = pytest.mark.slow

NODE = "node-a"


@pytest.fixture
def double():
    with ConsulDouble() as running:
        yield running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def services_yml(tmp_path, port: int) -> str:
    sleeper = tmp_path / "sleeper.py"
    sleeper.write_text(SLEEPER)
    return (
        f"web:\n  command: [{sys.executable}, -m, http.server, '{port}',"
        " --bind, 127.0.0.1]\n"
        f"  directory: {tmp_path}\n  start_seconds: 0.2\n"
        f"  consul:\n    port: {port}\n    tags: [v1]\n"
        f"    check: {{http: 'http://127.0.0.1:{port}/', interval: 1s}}\n"
        f"worker: [{sys.executable}, {sleeper}]\n"
    )


def consul_env(double) -> dict:
    return {
        "NEXUS_CONSUL_URL": double.agent_url(NODE),
        "NEXUS_METRICS_INTERVAL": "0.5",
    }


def fetch_node(double):
    source = ConsulSource(load_settings({"consul_url": double.url}))
    try:
        return source.fetch().node(NODE)
    finally:
        source.close()


def test_registers_renews_and_publishes_metrics(double, make_agent, tmp_path):
    port = free_port()
    agent = make_agent(services_yml(tmp_path, port), consul_env(double))
    agent.wait_for("consul: in sync")

    services = wait_until(
        lambda: len(double.services_on(NODE)) == 2 and double.services_on(NODE)
    )
    assert services["web"]["Port"] == port
    assert services["web"]["Meta"][MANAGED_META] == "true"
    wait_until(
        lambda: double.checks_on(NODE).get("service:web", {}).get("Status") == "passing"
    )
    assert double.checks_on(NODE)[kvlayout.AGENT_CHECK_ID]["Status"] == "passing"

    renewals = double.count_requests(f"/v1/agent/check/pass/{kvlayout.AGENT_CHECK_ID}")
    wait_until(
        lambda: (
            double.count_requests(f"/v1/agent/check/pass/{kvlayout.AGENT_CHECK_ID}")
            >= renewals + 2
        )
    )

    node = wait_until(lambda: (n := fetch_node(double)) and n.metrics and n)
    assert node.metrics.cpu_count >= 1
    assert node.metrics.mem_total > 0
    assert {s.name for s in node.services} >= {"web", "worker"}


def test_reregisters_what_consul_forgot_sending_the_token(double, make_agent, tmp_path):
    double.require_token("s3cret")
    env = {**consul_env(double), "NEXUS_CONSUL_TOKEN": "s3cret"}
    agent = make_agent(services_yml(tmp_path, free_port()), env)
    wait_until(lambda: "web" in double.services_on(NODE))

    double.forget_agent_state(NODE)
    assert "web" not in double.services_on(NODE)

    wait_until(lambda: {"web", "worker"} <= set(double.services_on(NODE)))
    wait_until(lambda: kvlayout.AGENT_CHECK_ID in double.checks_on(NODE))
    assert agent.process.poll() is None

    sent = [r for r in double.requests if r.node == NODE]
    tokens = {
        value
        for r in sent
        for key, value in r.headers.items()
        if key.lower() == "x-consul-token"
    }
    assert sent and tokens == {"s3cret"}
    assert all(any(k.lower() == "x-consul-token" for k in r.headers) for r in sent)


def test_reload_deregisters_removed_and_stop_deregisters_all(
    double, make_agent, tmp_path
):
    agent = make_agent(services_yml(tmp_path, free_port()), consul_env(double))
    wait_until(lambda: {"web", "worker"} <= set(double.services_on(NODE)))

    text = agent.services_file.read_text()
    agent.services_file.write_text(text[: text.index("worker:")])
    agent.signal(signal.SIGHUP)
    wait_until(lambda: "worker" not in double.services_on(NODE))
    assert "web" in double.services_on(NODE)

    assert agent.stop() == 0
    assert double.services_on(NODE) == {}
    assert double.checks_on(NODE)[kvlayout.AGENT_CHECK_ID]["Status"] == "critical"


def test_supervision_goes_on_while_consul_is_down(double, make_agent, tmp_path):
    agent = make_agent(services_yml(tmp_path, free_port()), consul_env(double))
    agent.wait_for("consul: in sync")
    agent.wait_for("state: worker starting -> running")

    double.set_fault("down")
    agent.wait_for("consul: unavailable")
    os.kill(agent.service("worker")["pid"], signal.SIGKILL)
    agent.wait_for("state: worker starting -> running", count=2)

    double.forget_agent_state(NODE)
    double.set_fault(None)
    agent.wait_for("consul: in sync", count=2, timeout=15)
    wait_until(lambda: "worker" in double.services_on(NODE))


def test_a_foreign_check_with_the_agent_check_id_is_replaced(
    double, make_agent, tmp_path
):
    # Something else registered "nexus-agent" without a TTL: renewals would fail.
    double.add_node(NODE)
    double.add_check(NODE, kvlayout.AGENT_CHECK_ID, status="passing")
    agent = make_agent(services_yml(tmp_path, free_port()), consul_env(double))

    agent.wait_for("consul: registered check nexus-agent")
    agent.wait_for("consul: in sync")
    assert "consul: unavailable" not in agent.log_text()


def nexus(*args, double, env=None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    return subprocess.run(
        [sys.executable, "-m", "nexuslite", *args, "--consul", double.url],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
    )


def test_request_for_an_unknown_node_is_refused_unsent(double):
    result = nexus("drain", "no-such-node", "--wait", "1", double=double)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: no node named 'no-such-node' in Consul's catalog"
    ]
    assert double.kv_keys(kvlayout.REQUESTS_PREFIX) == []


def test_request_to_a_node_without_agent_says_why_after_wait(double):
    double.add_node("node-b")

    result = nexus("drain", "node-b", "--wait", "1", double=double)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: no answer from node-b's agent within 1s (")
    assert "node-b has no NexusLite agent check" in line
    assert line.endswith("stays queued")


@pytest.mark.parametrize(
    "fault, message",
    [
        ("down", "cannot reach Consul at"),
        ("hang", "did not answer in time"),
        ("no-leader", "answered an error: 500 No cluster leader"),
        ("forbidden", "refused the ACL token"),
    ],
)
def test_request_with_consul_in_trouble_is_one_line(double, fault, message):
    double.add_node(NODE)
    double.set_fault(fault)

    # A hanging Consul with a long client timeout must still end at --wait.
    slow = {"NEXUS_CONSUL_TIMEOUT": "100"}
    try:
        result = nexus("drain", NODE, "--wait", "2", double=double, env=slow)
    finally:
        double.set_fault(None)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and message in line


def test_node_requests_from_the_command_line(double, make_agent, tmp_path):
    agent = make_agent(services_yml(tmp_path, free_port()), consul_env(double))
    agent.wait_for("consul: in sync")

    drained = nexus("drain", NODE, "--reason", "kernel upgrade", double=double)
    assert drained.returncode == 0, drained.stderr
    assert "ok: node in maintenance: kernel upgrade" in drained.stdout
    node = fetch_node(double)
    assert node.status == DRAINING
    assert "kernel upgrade" in node.maintenance_reason

    undrained = nexus("undrain", NODE, double=double)
    assert undrained.returncode == 0, undrained.stderr
    assert "_node_maintenance" not in double.checks_on(NODE)

    missing = nexus("restart-service", NODE, "nope", double=double)
    assert missing.returncode == 1
    assert "no service named 'nope' on this node" in missing.stderr

    done = nexus("restart-service", NODE, "web", double=double)
    assert done.returncode == 0, done.stderr
    agent.wait_for("state: web starting -> running", count=2)
    assert double.kv_keys(kvlayout.REQUESTS_PREFIX) == []


def test_restart_request_runs_once_across_agent_restarts(double, make_agent, tmp_path):
    client = make_client(load_settings({"consul_url": double.url}))
    env = consul_env(double)
    agent = make_agent(services_yml(tmp_path, free_port()), env, launch=False)

    # Asked while no agent runs; plus one an earlier agent claimed, then died on.
    request_id = actions.submit_request(client, NODE, "restart", "worker", by="test")
    claimed_id = actions.new_request_id()
    claimed = {
        "v": 1,
        "action": "restart",
        "service": "worker",
        "reason": "",
        "by": "test",
        "at": time.time(),
        "claimed": time.time(),
    }
    double.kv_put(kvlayout.request_key(NODE, claimed_id), json.dumps(claimed))

    agent.start()
    result = wait_until(lambda: actions.read_result(client, NODE, request_id))
    interrupted = wait_until(lambda: actions.read_result(client, NODE, claimed_id))
    assert result["ok"] and result["detail"] == "worker restarting"
    assert interrupted == {**interrupted, "ok": False}
    assert "not repeated" in interrupted["detail"]
    agent.wait_for("request: restart worker by test", count=2)
    assert agent.service("worker")["restarts"] == 1

    agent.stop()
    agent.start()
    agent.wait_for("consul: in sync")
    agent.wait_for("state: worker starting -> running")
    time.sleep(1.0)  # give a wrongly repeated request the time to show
    assert agent.service("worker")["restarts"] == 0
    assert agent.log_text().count("request: restart") == 0
    assert double.kv_keys(kvlayout.REQUESTS_PREFIX) == []


class _NoMetrics:
    def latest(self):
        return None


def test_a_registration_consul_refuses_does_not_stop_the_rest(double, agent_log):
    from nexuslite.agent.registrar import Registrar
    from nexuslite.agent.servicefile import (
        ConsulCheck,
        ConsulRegistration,
        ServiceSpec,
    )

    # servicefile refuses a 0s interval; Consul refuses it too (400) if one slips by.
    check = ConsulCheck(kind="http", target="http://127.0.0.1:1/", interval="0s")
    refused = ServiceSpec("bad", ("x",), consul=ConsulRegistration("bad", check=check))
    fine = ServiceSpec("good", ("x",), consul=ConsulRegistration("good"))
    client = make_client(load_settings({"consul_url": double.agent_url(NODE)}))
    registrar = Registrar(client, NODE, 1.0, _NoMetrics())
    registrar.set_services({"bad": refused, "good": fine})

    registrar.sync_once()
    registrar.sync_once()

    assert "good" in double.services_on(NODE)
    assert "bad" not in double.services_on(NODE)
    assert double.checks_on(NODE)[kvlayout.AGENT_CHECK_ID]["Status"] == "passing"
    # The same record may reach caplog twice (its handler and the root's).
    refusals = {id(r) for r in agent_log.records if "consul: refused bad" in r.message}
    assert len(refusals) == 1
