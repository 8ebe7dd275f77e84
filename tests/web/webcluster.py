"""A known cluster in the Consul double, and small helpers to read pages.

The cluster has two managers (Consul servers, the first one leads), workers in two
pools, and one node in every status the dashboard derives. Metrics are published in
KV exactly as node agents do, through ``kvlayout``.
"""

import time
from dataclasses import dataclass
from html.parser import HTMLParser

from nexuslite.cluster import kvlayout
from nexuslite.cluster.model import DiskUsage, NodeMetrics

FIRST_SNAPSHOT_DEADLINE = 15.0
GiB = 2**30

# Node name -> the status the dashboard must derive for it.
EXPECTED_STATUS = {
    "mgr-1": "healthy",
    "mgr-2": "healthy",
    "web-1": "healthy",
    "web-2": "degraded",
    "db-1": "degraded",
    "batch-1": "failed",
    "batch-2": "draining",
    "edge-1": "unknown",
}


@dataclass(frozen=True)
class Cluster:
    url: str
    double: object


def sample_metrics(cpu: float, sampled_at: float | None = None) -> NodeMetrics:
    return NodeMetrics(
        sampled_at=time.time() if sampled_at is None else sampled_at,
        cpu_percent=cpu,
        cpu_count=8,
        mem_total=32 * GiB,
        mem_used=12 * GiB,
        mem_percent=37.5,
        swap_total=2 * GiB,
        swap_used=0,
        disks=(DiskUsage("/", 100 * GiB, 61 * GiB, 61.0),),
        load=(0.42, 0.3, 0.2),
        net_rx_rate=2048.0,
        net_tx_rate=1024.0,
        uptime=3 * 86400 + 4 * 3600 + 120,
        process_count=321,
        agent_version="0.1.0",
    )


def publish_metrics(double, node: str, metrics: NodeMetrics) -> None:
    double.kv_put(kvlayout.metrics_key(node), kvlayout.encode_metrics(metrics))


def build_cluster(double) -> Cluster:
    manager = {kvlayout.ROLE_META: "manager"}
    double.add_node("mgr-1", address="10.0.0.1", meta=manager, server=True)
    double.add_node("mgr-2", address="10.0.0.2", meta=manager, server=True)
    double.set_leader("mgr-1")

    for name, pool, address in (
        ("web-1", "blue", "10.0.1.1"),
        ("web-2", "blue", "10.0.1.2"),
        ("db-1", "green", "10.0.2.1"),
        ("batch-1", "green", "10.0.3.1"),
        ("batch-2", "green", "10.0.3.2"),
        ("edge-1", "", "10.0.4.1"),
    ):
        meta = {kvlayout.ROLE_META: "worker"}
        if pool:
            meta[kvlayout.POOL_META] = pool
        double.add_node(name, address=address, meta=meta)

    for name in ("web-1", "web-2"):
        double.add_service(
            name, "api", service_id=f"api-{name}", port=8080, tags=["v2"]
        )
        status = "passing" if name == "web-1" else "critical"
        double.add_check(
            name,
            f"api-http-{name}",
            name="api http",
            status=status,
            service_id=f"api-{name}",
            output=f"HTTP GET http://{name}:8080/health: {status}",
        )

    double.add_service("db-1", "postgres", service_id="pg-1", port=5432)
    double.add_check("db-1", "disk", name="disk space", status="warning", output="91%")
    double.set_node_alive("batch-1", False)
    double.set_maintenance("batch-2", True, reason="kernel upgrade")

    # edge-1: a service with no checks, and no node check at all, so nothing to judge.
    double.add_service("edge-1", "proxy", service_id="proxy-1", port=443)
    remove_node_check(double, "edge-1", "serfHealth")

    now = time.time()
    for i, name in enumerate(("mgr-1", "mgr-2", "web-1", "web-2", "db-1", "batch-2")):
        publish_metrics(double, name, sample_metrics(10.0 + i, now))
    publish_metrics(double, "batch-1", sample_metrics(5.0, now - 900))

    return Cluster(url=double.url, double=double)


def remove_node_check(double, node: str, check_id: str) -> None:
    """Deregister one node check through the catalog API, as an operator would."""
    import consul

    client = consul.Consul(host="127.0.0.1", port=int(double.url.rsplit(":", 1)[1]))
    client.catalog.deregister(node, check_id=check_id)
    client.http.session.close()


def wait_for_first_snapshot(app) -> None:
    """Wait (bounded) until the background refresher has finished its first refresh."""
    refresher = app.extensions["nexus"]
    deadline = time.monotonic() + FIRST_SNAPSHOT_DEADLINE
    while (
        refresher.snapshot().problem and refresher.snapshot().problem.kind == "starting"
    ):
        if time.monotonic() > deadline:
            raise AssertionError("the refresher made no first snapshot in time")
        time.sleep(0.02)


def refresh(app):
    return app.extensions["nexus"].refresh_now()


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str, name: str | None = None) -> list[dict]:
    """Attributes of every start tag (of one kind), values unescaped."""
    collector = _TagCollector()
    collector.feed(html)
    return [attrs for tag, attrs in collector.tags if name is None or tag == name]


def hrefs(html: str) -> list[str]:
    return [a["href"] for a in tags(html, "a") if "href" in a]


def tile_of(html: str, node: str) -> str:
    """The HTML of one node's tile on the overview grid."""
    grid = html.index('class="node-grid"')
    start = html.rindex("<article", 0, html.index(f">{node}</a>", grid))
    return html[start : html.index("</article>", start)]
