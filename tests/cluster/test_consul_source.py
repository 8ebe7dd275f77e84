"""The Consul source against the Consul double, through the real py-consul client."""

import contextlib
import http.server
import json
import threading
import time

import pytest

from nexuslite.cluster import kvlayout
from nexuslite.cluster.consul_source import ConsulSource
from nexuslite.cluster.model import DiskUsage, NodeMetrics
from nexuslite.cluster.source import SourceUnavailable


def sample_metrics(cpu=12.5, sampled_at=None):
    return NodeMetrics(
        sampled_at=time.time() if sampled_at is None else sampled_at,
        cpu_percent=cpu,
        cpu_count=4,
        mem_total=8 * 2**30,
        mem_used=2 * 2**30,
        mem_percent=25.0,
        swap_total=0,
        swap_used=0,
        disks=(DiskUsage("/", 100 * 2**30, 40 * 2**30, 40.0),),
        load=(0.5, 0.4, 0.3),
        net_rx_rate=1000.0,
        net_tx_rate=2000.0,
        uptime=3600.0,
        process_count=120,
        agent_version="0.1.0",
    )


def publish(double, node, metrics):
    double.kv_put(kvlayout.metrics_key(node), kvlayout.encode_metrics(metrics))


@pytest.fixture
def cluster(double):
    """Two servers (one leader), a manager by meta, workers in pools."""
    double.add_node("consul-1", address="10.0.0.1", server=True)
    double.add_node("consul-2", address="10.0.0.2", server=True)
    double.add_node("web-1", address="10.0.1.1", meta={"nexus-pool": "blue"})
    double.add_node("web-2", address="10.0.1.2", meta={"nexus-pool": "green"})
    double.add_node("ops", address="10.0.1.3", meta={"nexus-role": "both"})
    double.set_leader("consul-1")
    return double


def fetch(double, settings_for, **overrides):
    source = ConsulSource(settings_for(double.url, **overrides))
    try:
        return source.fetch()
    finally:
        source.close()


def test_managers_workers_pools_and_leader(cluster, settings_for):
    snap = fetch(cluster, settings_for)
    nodes = {n.name: n for n in snap.nodes}

    assert nodes["consul-1"].roles == ("manager",)
    assert nodes["consul-1"].is_leader
    assert not nodes["consul-2"].is_leader
    assert nodes["web-1"].roles == ("worker",)
    assert nodes["web-1"].pool == "blue"
    assert nodes["web-2"].pool == "green"
    assert nodes["ops"].roles == ("manager", "worker")


def test_every_status_is_derived_from_consul_health(cluster, settings_for):
    cluster.add_service("web-1", "api", service_id="api-1", port=8080)
    cluster.add_check("web-1", "api-http", status="passing", service_id="api-1")
    cluster.add_service("web-2", "api", service_id="api-2", port=8080)
    cluster.add_check("web-2", "api-http", status="critical", service_id="api-2")
    cluster.set_node_alive("consul-2", False)
    cluster.set_maintenance("ops", True, reason="kernel upgrade")
    cluster.add_check("consul-1", "disk", status="warning", output="91% full")

    nodes = {n.name: n for n in fetch(cluster, settings_for).nodes}

    assert nodes["web-1"].status == "healthy"
    assert nodes["web-2"].status == "degraded"
    assert nodes["consul-2"].status == "failed"
    assert nodes["ops"].status == "draining"
    assert nodes["ops"].maintenance_reason == "kernel upgrade"
    assert nodes["consul-1"].status == "degraded"


def test_agent_liveness_check_critical_means_failed(cluster, settings_for):
    cluster.add_check("web-1", kvlayout.AGENT_CHECK_ID, status="critical")

    node = fetch(cluster, settings_for).node("web-1")

    assert node.status == "failed"


def test_node_without_any_check_is_unknown(cluster, settings_for):
    import consul

    client = consul.Consul(host="127.0.0.1", port=int(cluster.url.rsplit(":", 1)[1]))
    assert client.catalog.register("external-db", "10.9.9.9")

    assert fetch(cluster, settings_for).node("external-db").status == "unknown"


def test_service_without_checks_is_no_checks(cluster, settings_for):
    cluster.add_service("web-1", "cron", service_id="cron")

    snap = fetch(cluster, settings_for)

    assert snap.service("cron").instances[0].health == "no checks"
    assert snap.node("web-1").status == "healthy"


def test_metrics_come_from_kv_and_missing_means_no_agent(cluster, settings_for):
    publish(cluster, "web-1", sample_metrics(cpu=42.0))
    publish(cluster, "web-2", sample_metrics(sampled_at=time.time() - 3600))
    cluster.kv_put(kvlayout.metrics_key("ops"), b'{"v": 99}')

    nodes = {n.name: n for n in fetch(cluster, settings_for).nodes}

    assert nodes["web-1"].metrics.cpu_percent == 42.0
    assert nodes["web-1"].metrics_problem == ""
    assert nodes["consul-1"].metrics is None
    assert nodes["consul-1"].metrics_problem == "no agent"
    assert nodes["web-2"].metrics_problem.startswith("stale")
    assert nodes["ops"].metrics is None
    assert "version 99" in nodes["ops"].metrics_problem


def test_request_count_does_not_grow_with_nodes(double, settings_for):
    double.add_node("consul-1", server=True)
    counts = []
    for total in (10, 100):
        for i in range(total):
            name = f"n{i:03d}"
            double.add_node(name)
            double.add_service(name, "api", service_id=f"api-{name}", port=80)
        double.reset_request_log()

        snap = fetch(double, settings_for)

        assert len(snap.nodes) >= total
        counts.append(len(double.requests))

    assert counts[0] == counts[1]


def test_hostile_names_survive_the_round_trip(cluster, settings_for):
    name = 'db.eu west "α" <b>'
    cluster.add_node(name, address="10.0.2.1")
    publish(cluster, name, sample_metrics(cpu=7.0))

    node = fetch(cluster, settings_for).node(name)

    assert node is not None
    assert node.metrics.cpu_percent == 7.0


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("down", "unreachable"),
        ("no-leader", "no-leader"),
        ("forbidden", "forbidden"),
        ("hang", "timeout"),
    ],
)
def test_each_fault_is_named(cluster, settings_for, fault, kind):
    cluster.set_fault(fault)
    try:
        with pytest.raises(SourceUnavailable) as raised:
            fetch(cluster, settings_for, consul_timeout=1)
    finally:
        cluster.set_fault(None)

    assert raised.value.kind == kind
    assert raised.value.message


def test_token_is_sent_and_a_bad_one_is_forbidden(cluster, settings_for, monkeypatch):
    cluster.require_token("s3cret")
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", "not-the-setting")

    assert fetch(cluster, settings_for, consul_token="s3cret").node("web-1")

    with pytest.raises(SourceUnavailable) as raised:
        fetch(cluster, settings_for, consul_token="wrong")
    assert raised.value.kind == "forbidden"
    assert "NEXUS_CONSUL_TOKEN" in raised.value.message


@pytest.mark.parametrize("name", ["..", ".", "a/../b", "rack/3", "x%2Fy", "q?x#f"])
def test_a_service_named_like_a_path_is_read_as_one_name(cluster, settings_for, name):
    cluster.add_service("web-1", name, service_id="odd-1", port=8080)
    cluster.add_service("web-2", "api", service_id="api-1", port=80)

    snap = fetch(cluster, settings_for)

    assert snap.service(name) is not None
    assert [i.node for i in snap.service(name).instances] == ["web-1"]
    assert snap.service("api") is not None


@pytest.mark.parametrize(
    "value",
    [
        b"{not json",
        b'{"v": 2, "cpu": 10}',
        b'{"v": 0}',
        b"[1, 2]",
        b"",
        b"\xff\xfe",
    ],
)
def test_unreadable_metrics_cost_only_that_node(cluster, settings_for, value):
    cluster.kv_put(kvlayout.metrics_key("web-1"), value)
    publish(cluster, "web-2", sample_metrics(cpu=9.0))

    nodes = {n.name: n for n in fetch(cluster, settings_for).nodes}

    assert nodes["web-1"].metrics is None
    assert nodes["web-1"].metrics_problem.startswith("unreadable metrics")
    assert nodes["web-2"].metrics.cpu_percent == 9.0


@pytest.mark.parametrize(
    ("field", "figure"),
    [
        ("cpu", "NaN"),
        ("cpu", "Infinity"),
        ("up", "-Infinity"),
        ("mem", "[1e400, 1, 50]"),
        ("load", "[NaN, 1, 1]"),
        ("disks", '[["/", 10, 5, NaN]]'),
        ("t", "NaN"),
    ],
)
def test_metrics_that_are_not_finite_numbers_are_unreadable(
    cluster, settings_for, field, figure
):
    text = kvlayout.encode_metrics(sample_metrics()).decode()
    value = json.loads(text)
    value[field] = "@@"
    raw = json.dumps(value).replace('"@@"', figure)
    cluster.kv_put(kvlayout.metrics_key("web-1"), raw)

    node = fetch(cluster, settings_for).node("web-1")

    assert node.metrics is None
    assert "unreadable metrics" in node.metrics_problem


@pytest.mark.parametrize("status", [200, 404])
def test_a_server_that_is_not_consul_is_named_as_such(settings_for, status):
    with _not_consul(status) as url, pytest.raises(SourceUnavailable) as raised:
        fetch_url(url, settings_for)

    assert raised.value.kind == "error"
    assert raised.value.message == (
        f"{url} does not answer like a Consul agent; check NEXUS_CONSUL_URL"
    )


def fetch_url(url, settings_for):
    source = ConsulSource(settings_for(url, consul_timeout=2))
    try:
        return source.fetch()
    finally:
        source.close()


@contextlib.contextmanager
def _not_consul(status):
    """A web server answering every path with an HTML page, like a wrong URL."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>hello</body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_metrics_from_a_clock_far_ahead_say_so(cluster, settings_for):
    publish(cluster, "web-1", sample_metrics(sampled_at=time.time() + 3600))

    node = fetch(cluster, settings_for).node("web-1")

    assert node.metrics is not None
    assert node.metrics_problem.startswith("sampled 3")
    assert node.metrics_problem.endswith("s in the future (check the node's clock)")


@pytest.mark.parametrize("name", ["..", ".", "a/../b", "db.eu"])
def test_metrics_and_requests_of_dotted_names_stay_under_their_prefix(
    cluster, settings_for, name
):
    cluster.add_node(name, address="10.0.3.1")
    publish(cluster, name, sample_metrics(cpu=3.0))

    assert fetch(cluster, settings_for).node(name).metrics.cpu_percent == 3.0
    assert kvlayout.metrics_key(name).count("/") == 3
    assert kvlayout.request_key(name, "1-a").startswith(kvlayout.REQUESTS_PREFIX)
    assert kvlayout.request_key(name, "1-a").count("/") == 4
