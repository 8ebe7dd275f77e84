"""Injected faults, ACLs, the request log, the control path and the process entry."""

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import consul
import pytest
import requests
from double_helpers import call, eventually

TESTS_DIR = Path(__file__).resolve().parents[1]


def test_down_refuses_connections_and_recovers_on_the_same_port(double, client):
    url = double.url
    client.kv.put("k", "v")
    double.set_fault("down")
    with pytest.raises(requests.exceptions.ConnectionError):
        client.kv.get("k")

    double.set_fault(None)
    assert double.url == url
    assert client.kv.get("k")[1]["Value"] == b"v"


def test_down_cuts_a_waiting_blocking_query(double, client):
    index, _ = client.catalog.nodes()
    outcome = []

    def block():
        try:
            client.catalog.nodes(index=index, wait="5s")
            outcome.append("answered")
        except requests.exceptions.ConnectionError:
            outcome.append("cut")

    waiter = threading.Thread(target=block)
    waiter.start()
    eventually(lambda: double.count_requests("/v1/catalog/nodes") == 2, "the query")
    double.set_fault("down")
    waiter.join(timeout=10)
    assert outcome == ["cut"]


def test_hang_holds_requests_until_cleared(double, client_factory):
    slow = client_factory(double.url, connections_timeout=0.3)
    double.set_fault("hang")
    with pytest.raises(requests.exceptions.ReadTimeout):
        slow.status.leader()

    answers = []
    waiter = threading.Thread(
        target=lambda: answers.append(call(double.url + "/v1/status/leader"))
    )
    waiter.start()
    double.set_fault(None)
    waiter.join(timeout=10)
    assert answers[0][0] == 200


def test_no_leader_fails_raft_reads_but_not_agent_or_status(double, client):
    double.set_fault("no-leader")
    with pytest.raises(consul.ConsulException) as error:
        client.catalog.nodes()
    assert str(error.value) == "500 No cluster leader"
    with pytest.raises(consul.ConsulException):
        client.kv.put("k", "v")

    assert client.status.leader() == ""
    assert client.agent.self()["Config"]["NodeName"] == "consul-1"
    status, headers, _ = call(double.url + "/v1/catalog/nodes?stale")
    assert (status, headers["X-Consul-KnownLeader"]) == (200, "false")

    double.set_fault(None)
    assert client.status.leader() == "127.0.0.1:8300"


def test_set_leader_none_empties_status_leader(double, client):
    double.set_leader(None)
    assert client.status.leader() == ""
    double.set_leader("consul-1")
    assert client.status.leader() == "127.0.0.1:8300"


def test_forbidden_answers_403_with_acl_text(double, client):
    double.set_fault("forbidden")
    with pytest.raises(consul.ACLPermissionDenied) as error:
        client.kv.get("secret/key")
    assert str(error.value).startswith(
        "Permission denied: anonymous token lacks permission 'key:read' "
        'on "secret/key"'
    )
    double.set_fault(None)
    assert client.kv.get("secret/key")[1] is None


def test_fault_on_one_agent_only(double, client, client_factory):
    web = client_factory(double.agent_url("web-1"))
    double.set_fault("down", node="web-1")
    with pytest.raises(requests.exceptions.ConnectionError):
        web.agent.self()
    assert client.agent.self()["Config"]["NodeName"] == "consul-1"


def test_required_token_precedence_and_filtering(double, client_factory):
    double.require_token("secret")
    anonymous = client_factory(double.url)
    assert anonymous.catalog.services()[1] == {}
    assert anonymous.catalog.nodes()[1] == []
    with pytest.raises(consul.ACLPermissionDenied) as error:
        anonymous.kv.get("k")
    assert str(error.value).endswith(
        "The anonymous token is used implicitly "
        "when a request does not specify a token."
    )

    wrong = client_factory(double.url, token="guess")
    with pytest.raises(consul.ACLPermissionDenied) as error:
        wrong.catalog.nodes()
    assert str(error.value) == "token does not exist: ACL not found"

    right = client_factory(double.url, token="secret")
    assert right.catalog.services()[1] == {"consul": []}

    nodes = double.url + "/v1/catalog/nodes"
    assert call(nodes, headers={"Authorization": "Bearer secret"})[0] == 200
    assert call(nodes + "?token=secret", headers={"X-Consul-Token": "bad"})[0] == 200
    assert call(nodes + "?token=bad", headers={"X-Consul-Token": "secret"})[0] == 403
    assert call(double.url + "/v1/status/leader")[0] == 200


def test_pyconsul_catalog_register_with_token_hits_strict_decoding(
    double, client_factory
):
    double.require_token("secret")
    with_token = client_factory(double.url, token="secret")
    with pytest.raises(consul.ConsulException) as error:
        with_token.catalog.register("ext-1", "10.9.9.9")
    assert 'unknown field "WriteRequest"' in str(error.value)


def test_request_log_counts_and_resets(double, client):
    client.catalog.nodes()
    client.catalog.nodes()
    client.kv.put("k", "v")
    assert double.count_requests("/v1/catalog/nodes") == 2
    assert double.count_requests("/v1/kv/", method="PUT") == 1
    record = double.requests[-1]
    assert (record.method, record.path, record.node) == ("PUT", "/v1/kv/k", "consul-1")

    double.reset_request_log()
    assert double.requests == []


def test_control_path_changes_state_and_faults(double, client):
    double.add_node("web-1")
    control = double.control_url
    status, _, _ = call(
        control + "/_double/check?node=web-1&check=serfHealth&status=critical", "PUT"
    )
    assert status == 200
    assert double.checks_on("web-1")["serfHealth"]["Status"] == "critical"

    assert call(control + "/_double/fault?mode=down", "PUT")[0] == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        client.status.leader()
    assert call(control + "/_double/fault?mode=none", "PUT")[0] == 200
    assert client.status.leader() == "127.0.0.1:8300"

    status, _, body = call(
        control + "/_double/check?node=web-1&check=x&status=bad", "PUT"
    )
    assert status == 400
    status, _, body = call(double.url + "/_double/state")
    assert json.loads(body)["nodes"] == 2


def test_runs_as_a_process_with_a_seeded_cluster(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(TESTS_DIR)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "consul_double",
            "--nodes",
            "12",
            "--services-per-node",
            "2",
        ],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert process.stdout.readline().startswith("control http://127.0.0.1:")
        with urllib.request.urlopen(url + "/v1/catalog/nodes", timeout=10) as response:
            nodes = json.load(response)
        roles = [n["Meta"]["nexus-role"] for n in nodes]
        assert (len(nodes), roles.count("manager")) == (12, 3)
        with urllib.request.urlopen(
            url + "/v1/kv/nexus/v1/metrics/?keys", timeout=10
        ) as r:
            assert len(json.load(r)) == 12
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close()
