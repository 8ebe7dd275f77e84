"""A plausible demo cluster: managers and pooled workers, mixed health, metrics in KV.

Deterministic for a given ``seed`` so screenshots and benchmarks are repeatable.
"""

import gc
import random
import time

from nexuslite.cluster import kvlayout
from nexuslite.cluster.model import DiskUsage, NodeMetrics

SERVER_COUNT = 3
POOLS = ("blue", "green", "amber")
SERVICE_NAMES = ("api", "web", "cache", "queue", "search", "billing", "auth", "reports")
GIB = 1024**3


def seed_cluster(double, nodes: int, services_per_node: int, seed: int = 1) -> None:
    """Fill ``double`` with ``nodes`` nodes (the first three are servers)."""
    rng = random.Random(seed)
    names = [_node_name(i) for i in range(1, nodes + 1)]
    # Seeding creates ~10^5 long-lived objects; cyclic GC passes over them are waste.
    gc.disable()
    try:
        for position, name in enumerate(names):
            _add_node(double, rng, position, name)
            for slot in range(services_per_node):
                _add_service(double, rng, name, slot)
    finally:
        gc.enable()

    if nodes > SERVER_COUNT:
        workers = names[SERVER_COUNT:]
        for name in rng.sample(workers, max(1, len(workers) // 200)):
            double.set_node_alive(name, False)
            double.set_check(name, kvlayout.AGENT_CHECK_ID, "critical", "TTL expired")
        double.set_maintenance(workers[-1], True, reason="kernel upgrade")


def refresh_metrics(double, seed: int = 1) -> None:
    """Rewrite every live node's metrics with a fresh sample time, as agents would."""
    rng = random.Random(f"{seed}-{time.time()}")
    with double.state.lock:
        alive = [n.name for n in double.state.nodes.values() if n.alive]
    for name in alive:
        double.kv_put(
            kvlayout.metrics_key(name), kvlayout.encode_metrics(_metrics(rng))
        )


def _node_name(number: int) -> str:
    return f"consul-{number}" if number <= SERVER_COUNT else f"node-{number:04d}"


def _add_node(double, rng: random.Random, position: int, name: str) -> None:
    is_server = position < SERVER_COUNT
    meta = {kvlayout.ROLE_META: "manager" if is_server else "worker"}
    if not is_server:
        meta[kvlayout.POOL_META] = POOLS[position % len(POOLS)]
    address = f"10.{position // 65536}.{position // 256 % 256}.{position % 256 + 1}"
    double.add_node(name, address=address, meta=meta, server=is_server)
    double.add_check(
        name,
        kvlayout.AGENT_CHECK_ID,
        name=kvlayout.AGENT_CHECK_NAME,
        status="passing",
        output="agent alive",
    )
    double.kv_put(kvlayout.metrics_key(name), kvlayout.encode_metrics(_metrics(rng)))


def _add_service(double, rng: random.Random, node: str, slot: int) -> None:
    name = SERVICE_NAMES[(slot + sum(map(ord, node)) % 3) % len(SERVICE_NAMES)]
    service_id = f"{name}-{slot + 1}"
    port = 8000 + slot
    double.add_service(node, name, service_id=service_id, port=port, tags=["v1"])

    roll = rng.random()
    status = "passing" if roll < 0.9 else "warning" if roll < 0.96 else "critical"
    code = {"passing": "200 OK", "warning": "429 Too Many Requests"}.get(
        status, "503 Service Unavailable"
    )
    url = f"http://127.0.0.1:{port}/health"
    double.add_check(
        node,
        f"service:{service_id}",
        name=f"Service '{name}' check",
        status=status,
        service_id=service_id,
        output=f"HTTP GET {url}: {code} Output: {status}",
        check_type="http",
    )


def _metrics(rng: random.Random) -> NodeMetrics:
    mem_total = rng.choice((8, 16, 32, 64)) * GIB
    mem_percent = rng.uniform(15, 92)
    disk_total = rng.choice((100, 250, 500)) * GIB
    disk_percent = rng.uniform(10, 95)
    load = rng.uniform(0.1, 6.0)
    return NodeMetrics(
        sampled_at=time.time() - rng.uniform(0, 10),
        cpu_percent=rng.uniform(1, 98),
        cpu_count=rng.choice((2, 4, 8, 16)),
        mem_total=mem_total,
        mem_used=int(mem_total * mem_percent / 100),
        mem_percent=mem_percent,
        swap_total=2 * GIB,
        swap_used=int(rng.uniform(0, 0.3) * 2 * GIB),
        disks=(
            DiskUsage(
                "/", disk_total, int(disk_total * disk_percent / 100), disk_percent
            ),
        ),
        load=(load, load * 0.9, load * 0.8),
        net_rx_rate=rng.uniform(1e3, 5e7),
        net_tx_rate=rng.uniform(1e3, 2e7),
        uptime=rng.uniform(3600, 90 * 86400),
        process_count=rng.randint(90, 600),
        agent_version="0.1.0",
    )
