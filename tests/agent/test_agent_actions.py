"""Requests in KV: submitting, reading results, and executing each exactly once."""

import pytest
from consul_double import ConsulDouble

from nexuslite.agent.executor import RequestExecutor
from nexuslite.cluster import actions, kvlayout
from nexuslite.cluster.consul_client import make_client
from nexuslite.errors import NexusError
from nexuslite.settings import load_settings

NODE = "node-b"


@pytest.fixture
def double():
    with ConsulDouble() as running:
        yield running


@pytest.fixture
def client(double):
    return make_client(load_settings({"consul_url": double.agent_url(NODE)}))


def test_submit_writes_a_request_in_the_layout(client, double):
    request_id = actions.submit_request(
        client, NODE, "drain", reason="disk swap", by="alice"
    )

    raw = double.kv_get(kvlayout.request_key(NODE, request_id))
    stored = actions.decode_request(raw)
    assert (stored["action"], stored["reason"], stored["by"]) == (
        "drain",
        "disk swap",
        "alice",
    )
    assert actions.read_result(client, NODE, request_id) is None


@pytest.mark.parametrize(
    ("action", "service", "message"),
    [("reboot", None, "unknown action 'reboot'"), ("restart", None, "needs the name")],
)
def test_submit_refuses_bad_requests(client, action, service, message):
    with pytest.raises(NexusError, match=message):
        actions.submit_request(client, NODE, action, service)


def pending(client) -> list[dict]:
    prefix = f"{kvlayout.REQUESTS_PREFIX}{NODE}/"
    _, entries = client.kv.get(prefix, recurse=True)
    return entries or []


def test_two_executors_run_a_request_once(client):
    restarted = []
    executors = [
        RequestExecutor(client, lambda: NODE, lambda name: restarted.append(name) or "")
        for _ in range(2)
    ]
    request_id = actions.submit_request(client, NODE, "restart", "web", by="bob")
    entry = pending(client)[0]

    for executor in executors:  # both read the same version of the request
        executor.handle(NODE, entry)

    assert restarted == ["web"]
    assert actions.read_result(client, NODE, request_id)["ok"] is True
    assert pending(client) == []


def test_request_with_a_result_is_cleared_not_repeated(client, double):
    restarted = []
    executor = RequestExecutor(client, lambda: NODE, restarted.append)
    request_id = actions.submit_request(client, NODE, "restart", "web")
    result = actions.encode_result(True, "")
    double.kv_put(kvlayout.result_key(NODE, request_id), result)

    executor.handle(NODE, pending(client)[0])

    assert restarted == []
    assert pending(client) == []


def test_unreadable_request_gets_a_failed_result(client, double):
    double.kv_put(kvlayout.request_key(NODE, "junk"), b"not json")
    executor = RequestExecutor(client, lambda: NODE, lambda name: "")

    executor.handle(NODE, pending(client)[0])

    result = actions.read_result(client, NODE, "junk")
    assert result["ok"] is False
    assert result["detail"].startswith("bad request")


def test_watch_wakes_on_a_new_request(client):
    done = []
    executor = RequestExecutor(client, lambda: NODE, lambda name: done.append(name))
    index = executor.watch_once(NODE, None)

    actions.submit_request(client, NODE, "restart", "api")
    executor.watch_once(NODE, index)

    assert done == ["api"]
