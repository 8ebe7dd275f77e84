"""nexus.pyz against the installed checkout: file size, start-up and first /healthz.

Builds a single-target file (this interpreter and machine) and, unless
``--no-universal``, the default universal file; then times, best of ``--runs``:
``version`` from a cold (empty) cache, ``version`` from a warm cache, and the time
from launching ``serve`` to the first ``/healthz`` answer, each beside the same
command run from the checkout (``python -m nexuslite``) and printed as a ratio.
Targets from the issue: warm start within 1.5x of the checkout, universal file under
30 MB. Not a test: it prints figures. Needs pex and PyPI for the builds.

    python benchmarks/zipapp_bench.py [--runs 5] [--no-universal]
"""

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nexuslite.packaging.builder import BuildRequest, build  # noqa: E402
from nexuslite.packaging.targets import current_target, select_targets  # noqa: E402

WARM_LIMIT = 1.5
SIZE_LIMIT_MB = 30


def time_command(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def best_of(runs: int, measure) -> float:
    return min(measure() for _ in range(runs))


def best_of_pair(runs: int, first, second) -> tuple[float, float]:
    """Best of ``runs`` for two measurements taken in turn, so load hits both alike."""
    pairs = [(first(), second()) for _ in range(runs)]
    return min(p[0] for p in pairs), min(p[1] for p in pairs)


def time_to_healthz(command: list[str], env: dict | None) -> float:
    """Seconds from launching ``serve`` until ``/healthz`` answers."""
    port = find_free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_healthz(port, server, deadline=time.monotonic() + 120)
        return time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for_healthz(port: int, server: subprocess.Popen, deadline: float) -> None:
    url = f"http://127.0.0.1:{port}/healthz"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise RuntimeError("no /healthz answer before the deadline")


def find_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure_starts(pyz: Path, work: Path, runs: int) -> None:
    checkout = [sys.executable, "-m", "nexuslite"]
    packed = [sys.executable, "-I", str(pyz)]
    cache = work / "cache"
    env = {"NEXUS_CACHE_DIR": str(cache)}

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return time_command([*packed, "version"], env)

    cold_seconds = best_of(runs, cold)  # leaves a warm cache behind
    warm = best_of_pair(
        runs,
        lambda: time_command([*packed, "version"], env),
        lambda: time_command([*checkout, "version"]),
    )
    healthz = best_of_pair(
        runs,
        lambda: time_to_healthz(packed, env),
        lambda: time_to_healthz(checkout, None),
    )
    rows = [
        ("cold start, version", cold_seconds, None),
        ("warm start, version", *warm),
        ("first /healthz (warm)", *healthz),
    ]
    checkout_warm = rows[1][2]
    for label, pyz_seconds, checkout_seconds in rows:
        base = checkout_seconds or checkout_warm
        print(
            f"{label:24} pyz {pyz_seconds:6.3f}s  checkout {base:6.3f}s  "
            f"ratio {pyz_seconds / base:4.2f}"
        )

    ratio = rows[1][1] / checkout_warm
    verdict = "meets" if ratio <= WARM_LIMIT else "misses"
    print(f"warm start ratio {ratio:.2f} {verdict} the {WARM_LIMIT}x target")


def report_size(label: str, path: Path, limit_mb: float | None = None) -> None:
    size_mb = path.stat().st_size / 1e6
    verdict = ""
    if limit_mb is not None:
        verdict = f" ({'meets' if size_mb < limit_mb else 'misses'} < {limit_mb} MB)"
    print(f"{label:24} {size_mb:6.1f} MB{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-universal", action="store_true")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as work:
        work_dir = Path(work)
        single = build(BuildRequest(work_dir / "single.pyz", (current_target(),)))
        report_size(f"single-target ({current_target()})", single)

        if not options.no_universal:
            started = time.perf_counter()
            universal = build(
                BuildRequest(work_dir / "universal.pyz", tuple(select_targets((), ())))
            )
            report_size("universal (10 targets)", universal, SIZE_LIMIT_MB)
            print(f"universal build took {time.perf_counter() - started:.0f}s")

        measure_starts(single, work_dir, options.runs)


if __name__ == "__main__":
    main()
