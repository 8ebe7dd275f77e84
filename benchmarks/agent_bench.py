"""nexus agent against supervisord, supervising the same 10 services in one run.

Measures, for each supervisor: idle CPU (% of one core over --seconds), resident
memory of the supervisor process, and crash-to-restart latency (kill -9 one service,
time until its replacement process exists; median of --crashes). Prints the figures
and the ratios nexus / supervisord (below 1 means nexus is better).

    python benchmarks/agent_bench.py [--seconds 60] [--crashes 20]

Needs ``pip install supervisor``. Runs on Linux only.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SERVICES = 10
# Each service sleeps with its own argument so its process can be told apart.
BASE_ARG = 1_000_000


def service_argv(number: int) -> list[str]:
    return ["sleep", str(BASE_ARG + number)]


def write_nexus_config(workdir: Path) -> list[str]:
    lines = []
    for number in range(SERVICES):
        argv = ", ".join(f"'{arg}'" for arg in service_argv(number))
        lines.append(f"svc{number}:\n  command: [{argv}]\n  start_seconds: 1\n")
    path = workdir / "services.yml"
    path.write_text("".join(lines))
    socket = workdir / "agent.sock"
    return [
        sys.executable,
        "-m",
        "nexuslite",
        "agent",
        "--config",
        str(path),
        "--socket",
        str(socket),
        "--log-level",
        "WARNING",
    ]


def write_supervisord_config(workdir: Path) -> list[str]:
    sections = [
        "[supervisord]\nnodaemon=true\nloglevel=warn\n"
        f"logfile={workdir}/supervisord.log\npidfile={workdir}/supervisord.pid\n"
        f"childlogdir={workdir}\n"
    ]
    for number in range(SERVICES):
        sections.append(
            f"[program:svc{number}]\ncommand={' '.join(service_argv(number))}\n"
            "startsecs=1\nautorestart=true\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
        )
    path = workdir / "supervisord.conf"
    path.write_text("\n".join(sections))
    return [shutil.which("supervisord") or "supervisord", "-c", str(path)]


def find_service(supervisor: psutil.Process, number: int) -> psutil.Process | None:
    wanted = service_argv(number)
    for child in supervisor.children():
        try:
            if child.cmdline() == wanted and child.status() != psutil.STATUS_ZOMBIE:
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def wait_for_services(supervisor: psutil.Process, deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if all(find_service(supervisor, n) for n in range(SERVICES)):
            return
        time.sleep(0.05)
    raise SystemExit("services did not all start in time")


def measure_idle(supervisor: psutil.Process, seconds: float) -> tuple[float, int]:
    """CPU % of one core used by the supervisor while nothing happens, and its RSS."""
    before, start = supervisor.cpu_times(), time.monotonic()
    time.sleep(seconds)
    after, elapsed = supervisor.cpu_times(), time.monotonic() - start
    used = (after.user + after.system) - (before.user + before.system)
    return 100.0 * used / elapsed, supervisor.memory_info().rss


def measure_restarts(supervisor: psutil.Process, crashes: int) -> list[float]:
    """Seconds from kill -9 of svc0 until its new process exists, each crash."""
    latencies = []
    for _ in range(crashes):
        victim = find_service(supervisor, 0)
        while victim is None:
            time.sleep(0.01)
            victim = find_service(supervisor, 0)

        killed_at = time.monotonic()
        os.kill(victim.pid, signal.SIGKILL)
        while True:
            replacement = find_service(supervisor, 0)
            if replacement is not None and replacement.pid != victim.pid:
                break
            if time.monotonic() - killed_at > 30:
                raise SystemExit("service was not restarted within 30 s")
        latencies.append(time.monotonic() - killed_at)
        time.sleep(1.3)  # let the new process pass its start seconds
    return latencies


def run_one(name: str, argv: list[str], args) -> dict:
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        supervisor = psutil.Process(process.pid)
        wait_for_services(supervisor, 30)
        time.sleep(2)  # past start seconds and start-up work
        cpu, rss = measure_idle(supervisor, args.seconds)
        latencies = measure_restarts(supervisor, args.crashes)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    return {
        "name": name,
        "cpu": cpu,
        "rss": rss,
        "restart": statistics.median(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--crashes", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nxbench") as tmp:
        workdir = Path(tmp)
        nexus = run_one("nexus agent", write_nexus_config(workdir), args)
        supervisord = run_one("supervisord", write_supervisord_config(workdir), args)

    print(f"{SERVICES} services, idle {args.seconds:g}s, {args.crashes} crashes")
    print(f"{'':<14}{'idle CPU %':>12}{'RSS MiB':>10}{'restart ms':>12}")
    for row in (nexus, supervisord):
        print(
            f"{row['name']:<14}{row['cpu']:>12.3f}{row['rss'] / 2**20:>10.1f}"
            f"{row['restart'] * 1000:>12.1f}"
        )
    print(
        "ratio nexus/supervisord: "
        f"cpu {nexus['cpu'] / max(supervisord['cpu'], 1e-9):.2f}, "
        f"rss {nexus['rss'] / supervisord['rss']:.2f}, "
        f"restart {nexus['restart'] / supervisord['restart']:.2f}"
    )


if __name__ == "__main__":
    main()
