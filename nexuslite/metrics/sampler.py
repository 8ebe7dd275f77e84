"""Background psutil sampling, so no request ever waits on a CPU measurement.

CPU use is the share of busy time between two readings of the machine's CPU times,
so the sampler takes one reading before its first published figure (a first figure
with nothing to compare against would be a meaningless 0).
Network figures are rates over the sampling interval, per interface, and a counter that
went backwards (interface reset, driver reload) counts as no traffic, never negative.
In a container whose cgroup limits memory or CPU, memory and CPU figures are those of
the cgroup against its limits (see ``metrics.cgroup``), not the host's.
"""

import logging
import threading
import time

import psutil

from nexuslite import __version__
from nexuslite.cluster.model import DiskUsage, NodeMetrics
from nexuslite.metrics.cgroup import CGROUP_ROOT, CgroupLimits, read_limits

log = logging.getLogger(__name__)

PRIME_SECONDS = 0.25

# File systems that are not real storage an operator cares about.
_PSEUDO_FS = {"squashfs", "tmpfs", "devtmpfs", "overlay", "proc", "sysfs", "iso9660"}


def read_disks() -> tuple[DiskUsage, ...]:
    """Usage of each real mounted file system, one entry per device."""
    disks, seen_devices = [], set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in _PSEUDO_FS and part.mountpoint != "/":
            continue
        if part.device.startswith("/dev/loop") or part.device in seen_devices:
            continue

        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue  # vanished or unreadable mount: skip, it is not ours to judge

        seen_devices.add(part.device)
        disks.append(DiskUsage(part.mountpoint, usage.total, usage.used, usage.percent))

    return tuple(sorted(disks, key=lambda d: d.mount))


def _net_totals() -> dict[str, tuple[int, int]]:
    counters = psutil.net_io_counters(pernic=True) or {}
    return {nic: (c.bytes_recv, c.bytes_sent) for nic, c in counters.items()}


def _cpu_busy_total() -> tuple[float, float]:
    """(busy, total) CPU seconds of the machine since boot.

    Kept per sampler rather than through psutil.cpu_percent, whose one module-wide
    "previous call" any other caller in the process would move.
    """
    times = psutil.cpu_times()
    # guest time is already counted in user time on Linux, as psutil also assumes
    total = (
        sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    )
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def _busy_percent(before: tuple[float, float], after: tuple[float, float]) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    if total <= 0:
        return 0.0
    return max(0.0, min(100.0, 100.0 * busy / total))


def _rate(before: dict, after: dict, seconds: float) -> tuple[float, float]:
    rx = tx = 0
    for nic, (new_rx, new_tx) in after.items():
        old_rx, old_tx = before.get(nic, (new_rx, new_tx))
        rx += max(0, new_rx - old_rx)
        tx += max(0, new_tx - old_tx)
    seconds = max(seconds, 1e-3)
    return rx / seconds, tx / seconds


class MetricsSampler:
    """Samples this machine every ``interval`` seconds on a daemon thread."""

    def __init__(
        self,
        interval: float = 5.0,
        agent_version: str = __version__,
        cgroup_root=CGROUP_ROOT,
    ):
        self.interval = interval
        self.agent_version = agent_version
        self.cgroup_root = cgroup_root
        self._cgroup_cpu: tuple[float, float] | None = None
        self._cpu_before = (0.0, 0.0)
        self._latest: NodeMetrics | None = None
        self._net_before: dict = {}
        self._net_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "MetricsSampler":
        """Prime the counters, publish a first real sample, then keep sampling."""
        if self._thread is not None:
            return self

        self._prime()
        self._latest = self.sample()

        self._thread = threading.Thread(
            target=self._run, name="nexus-metrics", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def latest(self) -> NodeMetrics | None:
        return self._latest

    def _prime(self) -> None:
        self._cpu_before = _cpu_busy_total()
        self._cgroup_cpu_percent(read_limits(self.cgroup_root), time.monotonic())
        self._net_before, self._net_at = _net_totals(), time.monotonic()
        time.sleep(PRIME_SECONDS)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._latest = self.sample()
            except (OSError, psutil.Error) as exc:
                log.warning("metrics sample failed: %s", exc)

    def sample(self) -> NodeMetrics:
        """Take one sample now; cpu and network cover the time since the last one."""
        now = time.monotonic()
        net_now = _net_totals()
        rx, tx = _rate(self._net_before, net_now, now - self._net_at)
        self._net_before, self._net_at = net_now, now

        memory, swap = psutil.virtual_memory(), psutil.swap_memory()
        mem_total, mem_used = memory.total, memory.total - memory.available
        cpu_now = _cpu_busy_total()
        cpu_percent = _busy_percent(self._cpu_before, cpu_now)
        self._cpu_before = cpu_now
        cpu_count = psutil.cpu_count() or 1

        limits = read_limits(self.cgroup_root)
        if limits.memory_limit and limits.memory_used is not None:
            mem_total = min(mem_total, limits.memory_limit)
            mem_used = min(limits.memory_used, mem_total)
        if limits.cpu_limit:
            cpu_count = min(cpu_count, limits.cpu_count)
            cgroup_percent = self._cgroup_cpu_percent(limits, now)
            cpu_percent = cpu_percent if cgroup_percent is None else cgroup_percent

        return NodeMetrics(
            sampled_at=time.time(),
            cpu_percent=cpu_percent,
            cpu_count=cpu_count,
            mem_total=mem_total,
            mem_used=mem_used,
            mem_percent=100.0 * mem_used / mem_total if mem_total else 0.0,
            swap_total=swap.total,
            swap_used=swap.used,
            disks=read_disks(),
            load=psutil.getloadavg(),
            net_rx_rate=rx,
            net_tx_rate=tx,
            uptime=time.time() - psutil.boot_time(),
            process_count=len(psutil.pids()),
            agent_version=self.agent_version,
        )

    def _cgroup_cpu_percent(self, limits: CgroupLimits, now: float) -> float | None:
        """Share of the cgroup's CPU limit used since the previous reading."""
        if limits.cpu_usage_seconds is None or not limits.cpu_limit:
            return None

        before, self._cgroup_cpu = self._cgroup_cpu, (limits.cpu_usage_seconds, now)
        if before is None or now <= before[1]:
            return None
        used = limits.cpu_usage_seconds - before[0]
        return max(
            0.0, min(100.0, 100.0 * used / ((now - before[1]) * limits.cpu_limit))
        )
