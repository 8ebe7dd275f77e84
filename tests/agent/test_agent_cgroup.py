"""Metrics honour cgroup limits, read from fake v2 and v1 cgroup trees."""

from nexuslite.metrics.cgroup import read_limits
from nexuslite.metrics.sampler import MetricsSampler

GIB = 1 << 30


def make_v2(root, memory_max="1073741824", cpu_max="150000 100000", usage=0):
    root.mkdir(exist_ok=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    (root / "memory.max").write_text(f"{memory_max}\n")
    (root / "memory.current").write_text(f"{GIB // 2}\n")
    (root / "memory.stat").write_text(f"anon 1\ninactive_file {GIB // 4}\n")
    (root / "cpu.max").write_text(f"{cpu_max}\n")
    (root / "cpu.stat").write_text(f"usage_usec {usage}\nuser_usec 1\n")
    return root


def test_v2_limits(tmp_path):
    limits = read_limits(make_v2(tmp_path))
    assert limits.memory_limit == GIB
    assert limits.memory_used == GIB // 4
    assert limits.cpu_limit == 1.5
    assert limits.cpu_count == 2


def test_v2_without_limits(tmp_path):
    limits = read_limits(make_v2(tmp_path, memory_max="max", cpu_max="max 100000"))
    assert limits.memory_limit is None
    assert limits.cpu_limit is None


def test_v1_limits(tmp_path):
    for name in ("memory", "cpu", "cpuacct"):
        (tmp_path / name).mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text(f"{2 * GIB}\n")
    (tmp_path / "memory" / "memory.usage_in_bytes").write_text(f"{GIB}\n")
    (tmp_path / "memory" / "memory.stat").write_text("total_inactive_file 0\n")
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    (tmp_path / "cpuacct" / "cpuacct.usage").write_text("5000000000\n")

    limits = read_limits(tmp_path)
    assert (limits.memory_limit, limits.memory_used) == (2 * GIB, GIB)
    assert (limits.cpu_limit, limits.cpu_count, limits.cpu_usage_seconds) == (
        0.5,
        1,
        5.0,
    )


def test_v1_unlimited_memory_reads_as_none(tmp_path):
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert read_limits(tmp_path).memory_limit is None


def test_no_cgroup_files_means_no_limits(tmp_path):
    assert read_limits(tmp_path) == read_limits(tmp_path / "absent")


def test_sampler_reports_the_cgroup_not_the_host(tmp_path):
    root = make_v2(tmp_path)
    sampler = MetricsSampler(interval=60, cgroup_root=root).start()
    sampler.stop()

    make_v2(root, usage=10_000_000)  # 10 s of CPU: far past the limit, so capped
    metrics = sampler.sample()

    assert metrics.mem_total == GIB
    assert metrics.mem_used == GIB // 4
    assert metrics.mem_percent == 25.0
    assert metrics.cpu_count <= 2
    assert metrics.cpu_percent == 100.0
