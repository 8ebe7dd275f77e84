"""Render cost of the overview from the Consul double at 10 to 5,000 nodes.

For each size: Consul requests per refresh (counted by the double); the node-grid
partial's render time p50/p95 through Flask's test client, "cold" (the first poll
after a refresh; the refresher draws the tiles when the snapshot arrives, and that
time is in the "refresh" column) and "warm" (later renders of the same snapshot:
other viewers, polls, filters); the full page; the ratio of the cold p50 to a trivial
route timed in the same run; and this process's RSS. Not a test: it prints figures.
Run from the checkout: ``python benchmarks/render_bench.py``.
"""

import statistics
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from consul_double import ConsulDouble  # noqa: E402

from nexuslite.cluster import kvlayout  # noqa: E402
from nexuslite.cluster.model import DiskUsage, NodeMetrics  # noqa: E402
from nexuslite.settings import load_settings  # noqa: E402
from nexuslite.web.app import create_app  # noqa: E402

SIZES = (10, 100, 1_000, 5_000)
SERVICES_PER_NODE = 5
GiB = 2**30
HX = {"HX-Request": "true"}


def fill(double: ConsulDouble, nodes: int) -> None:
    """Three managers, the rest workers in four pools, metrics for every node."""
    now = time.time()
    for i in range(nodes):
        name = f"node-{i:05d}"
        role = "manager" if i < 3 else "worker"
        meta = {kvlayout.ROLE_META: role, kvlayout.POOL_META: f"pool-{i % 4}"}
        double.add_node(
            name,
            address=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
            meta=meta,
            server=i < 3,
        )
        for s in range(SERVICES_PER_NODE):
            service_id = double.add_service(
                name, f"svc-{s}", service_id=f"svc-{s}-{i}", port=8000 + s
            )
            status = "critical" if (i + s) % 97 == 0 else "passing"
            double.add_check(
                name,
                f"chk-{s}-{i}",
                name=f"svc-{s} http",
                status=status,
                service_id=service_id,
                output="HTTP 200",
            )
        double.kv_put(
            kvlayout.metrics_key(name), kvlayout.encode_metrics(metrics(i, now))
        )


def metrics(i: int, now: float) -> NodeMetrics:
    return NodeMetrics(
        sampled_at=now,
        cpu_percent=i * 7 % 100,
        cpu_count=8,
        mem_total=32 * GiB,
        mem_used=8 * GiB,
        mem_percent=25.0,
        swap_total=0,
        swap_used=0,
        disks=(DiskUsage("/", 100 * GiB, 40 * GiB, 40.0),),
        load=(0.5, 0.4, 0.3),
        net_rx_rate=1000.0,
        net_tx_rate=500.0,
        uptime=86400.0 + i,
        process_count=200,
    )


def time_route(client, url: str, headers: dict, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def p(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(nodes: int) -> dict:
    with ConsulDouble(default_server=None) as double:
        fill(double, nodes)
        settings = load_settings(
            {"consul_url": double.url, "refresh_interval": 3600, "consul_timeout": 60},
            env_files=(),
        )
        app = create_app(settings)
        app.add_url_rule("/bench-trivial", "bench_trivial", lambda: "ok")
        refresher = app.extensions["nexus"]
        try:
            refresher.refresh_now()  # settle: the background start-up refresh is done
            double.reset_request_log()
            start = time.perf_counter()
            snapshot = refresher.refresh_now()
            refresh_seconds = time.perf_counter() - start
            requests = len(double.requests)
            assert snapshot.problem is None and len(snapshot.nodes) == nodes

            client = app.test_client()
            rounds = max(10, min(200, 20_000 // nodes))
            time_route(client, "/", HX, 3)  # compile the templates
            trivial = time_route(client, "/bench-trivial", {}, rounds * 5)
            cold = []
            for _ in range(max(5, rounds // 4)):
                refresher.refresh_now()
                cold += time_route(client, "/", HX, 1)
            warm = time_route(client, "/", HX, rounds)
            full = time_route(client, "/", {}, rounds)
            size = len(client.get("/", headers=HX).data)
        finally:
            refresher.stop()

    base = statistics.median(trivial)
    return {
        "nodes": nodes,
        "requests": requests,
        "refresh_ms": refresh_seconds * 1000,
        "cold_p50": statistics.median(cold) * 1000,
        "cold_p95": p(cold, 0.95) * 1000,
        "warm_p50": statistics.median(warm) * 1000,
        "warm_p95": p(warm, 0.95) * 1000,
        "full_p50": statistics.median(full) * 1000,
        "ratio": statistics.median(cold) / base,
        "trivial_ms": base * 1000,
        "kib": size / 1024,
        "rss_mib": psutil.Process().memory_info().rss / 2**20,
    }


def main() -> None:
    print("partial = node-grid fragment (HX-Request); times in ms")
    print(
        f"{'nodes':>6} {'consul req':>10} {'refresh':>8} {'cold p50':>8} {'p95':>6} "
        f"{'warm p50':>8} {'p95':>6} {'full p50':>8} {'cold/trivial':>12} "
        f"{'trivial':>7} {'KiB':>6} {'RSS MiB':>7}"
    )
    for nodes in SIZES:
        r = measure(nodes)
        print(
            f"{r['nodes']:>6} {r['requests']:>10} {r['refresh_ms']:>8.0f} "
            f"{r['cold_p50']:>8.1f} {r['cold_p95']:>6.1f} {r['warm_p50']:>8.1f} "
            f"{r['warm_p95']:>6.1f} {r['full_p50']:>8.1f} {r['ratio']:>11.0f}x "
            f"{r['trivial_ms']:>7.2f} {r['kib']:>6.0f} {r['rss_mib']:>7.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
