"""Benchmark of the Consul double at dashboard scale; run it, it prints ratios.

    python tests/double/bench_double.py [--nodes 5000]

Baselines are measured in the same run: seeding and reads at one tenth of the size show
whether costs grow linearly (ratio ~10) rather than quadratically (~100), and the HTTP
read of /v1/health/state/any is compared with json.dumps of the same answer.
"""

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consul_double import ConsulDouble  # noqa: E402
from consul_double.seed import seed_cluster  # noqa: E402

READS = ("/v1/health/state/any", "/v1/catalog/nodes", "/v1/health/service/api")


def measure_seed(nodes: int, services: int) -> tuple[ConsulDouble, float]:
    double = ConsulDouble(start=False)
    started = time.perf_counter()
    seed_cluster(double, nodes, services)
    return double, time.perf_counter() - started


def measure_read(url: str, rounds: int = 3) -> tuple[float, int]:
    """Best of ``rounds`` after one warm-up read (which fills the JSON caches)."""
    urllib.request.urlopen(url).read()
    best, size = float("inf"), 0
    for _ in range(rounds):
        started = time.perf_counter()
        size = len(urllib.request.urlopen(url).read())
        best = min(best, time.perf_counter() - started)
    return best, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--services-per-node", type=int, default=5)
    args = parser.parse_args()
    small_nodes = max(args.nodes // 10, 10)

    small, small_seed = measure_seed(small_nodes, args.services_per_node)
    large, large_seed = measure_seed(args.nodes, args.services_per_node)
    print(f"seed {args.nodes} nodes: {large_seed:.2f} s")
    print(f"seed ratio {args.nodes}/{small_nodes} nodes: {large_seed / small_seed:.1f}")

    try:
        small.start()
        large.start()
        for path in READS:
            small_time, _ = measure_read(small.url + path)
            large_time, size = measure_read(large.url + path)
            print(
                f"{path}: {large_time * 1000:.0f} ms for {size / 1e6:.1f} MB; "
                f"ratio to {small_nodes} nodes {large_time / small_time:.1f}"
            )

        with large.state.lock:
            plain = json.loads(large.state.health_state("any"))
        started = time.perf_counter()
        json.dumps(plain, separators=(",", ":"))
        baseline = time.perf_counter() - started
        served, _ = measure_read(large.url + READS[0])
        print(
            f"health/state/any over HTTP vs json.dumps alone: {served / baseline:.2f}x"
        )
    finally:
        small.stop()
        large.stop()


if __name__ == "__main__":
    main()
