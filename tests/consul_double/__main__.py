"""Run the double as a process: ``python -m consul_double --nodes 1000 --print-url``.

The first stdout line is the Consul URL, the second ``control <url>``; it serves until
SIGTERM or SIGINT.
"""

import argparse
import signal
import sys
import threading

from consul_double.double import ConsulDouble
from consul_double.seed import refresh_metrics, seed_cluster


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m consul_double")
    parser.add_argument("--port", type=int, default=0, help="main agent port (0: free)")
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--services-per-node", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1, help="random seed of the demo")
    parser.add_argument("--max-wait", type=float, default=30.0, help="blocking cap, s")
    parser.add_argument(
        "--metrics-every",
        type=float,
        default=5.0,
        help="rewrite node metrics with fresh timestamps every N s (0: never)",
    )
    parser.add_argument("--print-url", action="store_true", help="(always printed)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    double = ConsulDouble(max_wait=args.max_wait, port=args.port)
    try:
        seed_cluster(double, max(args.nodes, 1), args.services_per_node, args.seed)
        print(double.url, flush=True)
        print(f"control {double.control_url}", flush=True)
        every = args.metrics_every or None
        while not stop.wait(every):
            refresh_metrics(double, args.seed)
    finally:
        double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
