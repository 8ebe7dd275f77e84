"""Memory and CPU limits of the cgroup this process runs in (v2 or v1).

Inside a container psutil reports the host: all of its memory and all of its CPUs.
When the cgroup sets a limit, the figures that matter are the limit and the usage
charged to the cgroup; this module reads both. Page cache the kernel can drop
(``inactive_file``) is not counted as used, as container runtimes do.
"""

import math
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")

# cgroup v1 writes a huge number (about 2**63, rounded to pages) for "no limit".
_V1_UNLIMITED = 1 << 60


@dataclass(frozen=True)
class CgroupLimits:
    memory_limit: int | None = None
    """Bytes the cgroup may use, or None when unlimited."""

    memory_used: int | None = None
    """Bytes charged to the cgroup, less reclaimable page cache."""

    cpu_limit: float | None = None
    """CPUs' worth of time the cgroup may use, or None when unlimited."""

    cpu_usage_seconds: float | None = None
    """CPU time used by the cgroup so far; rates come from two readings."""

    @property
    def cpu_count(self) -> int | None:
        return math.ceil(self.cpu_limit) if self.cpu_limit else None


def read_limits(root: Path = CGROUP_ROOT) -> CgroupLimits:
    """The limits that apply here; all None when not limited or not readable."""
    if (root / "cgroup.controllers").exists():
        return _read_v2(root)
    if (root / "memory").is_dir() or (root / "cpu").is_dir():
        return _read_v1(root)
    return CgroupLimits()


def _read_v2(root: Path) -> CgroupLimits:
    limit = _read_int(root / "memory.max")
    current = _read_int(root / "memory.current")
    inactive = _read_stat(root / "memory.stat", "inactive_file")
    cpu_limit = None
    quota_period = _read_text(root / "cpu.max").split()
    if len(quota_period) == 2 and quota_period[0] != "max":
        cpu_limit = int(quota_period[0]) / int(quota_period[1])
    usage_usec = _read_stat(root / "cpu.stat", "usage_usec")
    return CgroupLimits(
        memory_limit=limit,
        memory_used=_used(current, inactive),
        cpu_limit=cpu_limit,
        cpu_usage_seconds=usage_usec / 1e6 if usage_usec is not None else None,
    )


def _read_v1(root: Path) -> CgroupLimits:
    memory, cpu = root / "memory", root / "cpu"
    limit = _read_int(memory / "memory.limit_in_bytes")
    if limit is not None and limit >= _V1_UNLIMITED:
        limit = None
    usage = _read_int(memory / "memory.usage_in_bytes")
    inactive = _read_stat(memory / "memory.stat", "total_inactive_file")

    quota = _read_int(cpu / "cpu.cfs_quota_us")
    period = _read_int(cpu / "cpu.cfs_period_us")
    cpu_limit = quota / period if quota and quota > 0 and period else None
    usage_ns = _read_int(root / "cpuacct" / "cpuacct.usage")
    return CgroupLimits(
        memory_limit=limit,
        memory_used=_used(usage, inactive),
        cpu_limit=cpu_limit,
        cpu_usage_seconds=usage_ns / 1e9 if usage_ns is not None else None,
    )


def _used(charged: int | None, reclaimable: int | None) -> int | None:
    if charged is None:
        return None
    return max(0, charged - (reclaimable or 0))


def _read_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _read_int(path: Path) -> int | None:
    text = _read_text(path)
    return int(text) if text.isdigit() else None


def _read_stat(path: Path, key: str) -> int | None:
    for line in _read_text(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return None
