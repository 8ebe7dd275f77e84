"""Time-driven and per-node agent behaviour: TTL expiry, real HTTP/TCP checks,
DeregisterCriticalServiceAfter reaping, one agent endpoint per node, sessions."""

import http.server
import threading

import consul
import pytest
import requests
from consul import Check
from double_helpers import eventually


@pytest.fixture
def health_server():
    """A tiny real HTTP server answering /health with 200 and /busy with 429."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            code = 429 if self.path == "/busy" else 200
            body = b"ok"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def check_of(client, check_id):
    return client.agent.checks().get(check_id)


def test_ttl_expiry_turns_critical_with_documented_output(double, client):
    client.agent.check.register("beat", check=Check.ttl("300ms"), check_id="beat")
    client.agent.check.ttl_pass("beat", notes="fine")
    assert check_of(client, "beat")["Status"] == "passing"

    expired = eventually(
        lambda: (
            check_of(client, "beat")["Status"] == "critical"
            and check_of(client, "beat")
        ),
        "the TTL check to expire",
    )
    assert expired["Output"] == "TTL expired (last output before timeout follows): fine"


def test_http_check_follows_a_real_server(double, client, health_server):
    port = health_server.server_address[1]
    url = f"http://127.0.0.1:{port}/health"
    client.agent.service.register(
        "web", service_id="web-1", port=port, check=Check.http(url, "100ms")
    )

    check = eventually(
        lambda: (
            check_of(client, "service:web-1")["Status"] == "passing"
            and check_of(client, "service:web-1")
        ),
        "the HTTP check to pass",
    )
    assert check["Output"] == f"HTTP GET {url}: 200 OK Output: ok"
    assert check["Type"] == "http"

    health_server.shutdown()
    health_server.server_close()
    down = eventually(
        lambda: (
            "connection refused" in check_of(client, "service:web-1")["Output"]
            and check_of(client, "service:web-1")
        ),
        "the HTTP check to see the port closed",
    )
    assert down["Status"] == "critical"
    assert (
        down["Output"]
        == f'Get "{url}": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )


def test_http_check_429_is_warning(double, client, health_server):
    port = health_server.server_address[1]
    client.agent.check.register(
        "busy", check=Check.http(f"http://127.0.0.1:{port}/busy", "100ms")
    )
    eventually(lambda: check_of(client, "busy")["Status"] == "warning", "a warning")


def test_tcp_check_against_a_listening_port(double, client, health_server):
    port = health_server.server_address[1]
    client.agent.check.register("port", check=Check.tcp("127.0.0.1", port, "100ms"))
    check = eventually(
        lambda: (
            check_of(client, "port")["Status"] == "passing" and check_of(client, "port")
        ),
        "the TCP check to pass",
    )
    assert check["Output"] == f"TCP connect 127.0.0.1:{port}: Success"


def test_deregister_critical_service_after_reaps_the_service(double, client):
    client.agent.service.register(
        "doomed", check={"TTL": "10s", "DeregisterCriticalServiceAfter": "200ms"}
    )
    client.agent.service.register("kept", check=Check.ttl("10s"))
    assert "doomed" in client.agent.services()

    eventually(lambda: "doomed" not in client.agent.services(), "the reaper")
    assert "service:doomed" not in client.agent.checks()
    assert client.catalog.service("doomed")[1] == []
    assert "kept" in client.agent.services()


def test_each_node_has_its_own_agent_endpoint(double, client, client_factory):
    double.add_node("web-1", address="10.0.0.5")
    web = client_factory(double.agent_url("web-1"))
    assert double.agent_url("web-1") == double.agent_url("web-1")
    assert double.agent_url("web-1") != double.url

    web.agent.service.register("api", service_id="api-1", port=80)
    assert web.agent.self()["Config"]["NodeName"] == "web-1"
    assert list(web.agent.services()) == ["api-1"]
    assert client.agent.services() == {}
    assert client.catalog.service("api")[1][0]["Node"] == "web-1"
    assert double.services_on("web-1")["api-1"]["Port"] == 80


def test_forget_agent_state_keeps_serf_and_maintenance(double, client_factory):
    double.add_node("web-1")
    web = client_factory(double.agent_url("web-1"))
    web.agent.service.register("api", check=Check.ttl("10s"))
    web.agent.maintenance(True, reason="patching")

    double.forget_agent_state("web-1")
    assert web.agent.services() == {}
    assert set(double.checks_on("web-1")) == {"serfHealth", "_node_maintenance"}


def test_remove_node_stops_its_agent_endpoint(double, client, client_factory):
    double.add_node("web-1")
    web = client_factory(double.agent_url("web-1"))
    web.agent.self()
    double.remove_node("web-1")
    assert [n["Node"] for n in client.catalog.nodes()[1]] == ["consul-1"]
    with pytest.raises(requests.exceptions.ConnectionError):
        web.agent.self()


def test_session_lock_and_release_on_destroy(double, client):
    session = client.session.create(name="leader", lock_delay=0, ttl=30)
    assert client.kv.put("lock", "me", acquire=session)
    entry = client.kv.get("lock")[1]
    assert (entry["Session"], entry["LockIndex"]) == (session, 1)

    other = client.session.create(lock_delay=0)
    assert client.kv.put("lock", "them", acquire=other) is False

    assert client.session.destroy(session)
    entry = client.kv.get("lock")[1]
    assert "Session" not in entry
    assert entry["Value"] == b"me"
    assert client.kv.put("lock", "them", acquire=other)

    _, info = client.session.info(other)
    assert (info["LockDelay"], info["Behavior"]) == (0, "release")
    with pytest.raises(consul.NotFound):
        client.session.renew(session)


def test_session_dies_with_its_node_serf_check(double, client):
    double.add_node("web-1")
    session = client.session.create(node="web-1", behavior="delete", lock_delay=0)
    client.kv.put("job", "x", acquire=session)

    double.set_node_alive("web-1", False)
    assert client.session.info(session)[1] is None
    assert client.kv.get("job")[1] is None
