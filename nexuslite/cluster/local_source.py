"""The embedded default: this machine as a one-node cluster, no Consul needed.

The node is both manager and worker. Its figures come from the background psutil
sampler. Its services are those a local ``nexus agent`` supervises, judged by their
supervision state, and the other processes listening on TCP ports, each with a check
that records what was observed (the socket is in LISTEN state).
"""

import socket
import time
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import psutil

from nexuslite.cluster.health import node_status
from nexuslite.cluster.model import (
    CRITICAL,
    MANAGER,
    PASSING,
    WARNING,
    Check,
    Node,
    NodeMetrics,
    Service,
    ServiceInstance,
    Snapshot,
)
from nexuslite.metrics.sampler import MetricsSampler

LABEL = "embedded default (this machine)"

# Usage at or above these percentages turns the node's resource checks to warning.
DISK_WARN_PERCENT = 90.0
MEMORY_WARN_PERCENT = 95.0

# Check status of a supervised service in each agent state.
_STATE_HEALTH = {
    "running": PASSING,
    "starting": WARNING,
    "stopping": WARNING,
    "backoff": CRITICAL,
    "fatal": CRITICAL,
    "stopped": CRITICAL,
}


class LocalSource:
    """Builds a snapshot of this machine alone."""

    label = LABEL

    def __init__(self, sample_interval: float = 5.0, agent_socket: Path | None = None):
        # The dashboard samples this machine itself: no agent version to report.
        self.sampler = MetricsSampler(sample_interval, agent_version="").start()
        self.hostname = socket.gethostname()
        self.agent_socket = agent_socket

    def close(self) -> None:
        self.sampler.stop()

    def fetch(self) -> Snapshot:
        metrics = self.sampler.latest()
        supervised = self._supervised()
        owned = {row.pid for row in supervised if row.pid}
        services = tuple(
            [row.instance for row in supervised]
            + listening_services(self.hostname, skip_pids=owned)
        )
        checks = tuple(resource_checks(metrics)) if metrics else ()
        status, reason = node_status(checks, services)

        node = Node(
            name=self.hostname,
            address=primary_address(),
            roles=(MANAGER, "worker"),
            status=status,
            status_reason=reason,
            is_leader=True,
            checks=checks,
            services=services,
            metrics=metrics,
            metrics_problem="" if metrics else "no agent",
        )
        by_name = defaultdict(list)
        for instance in services:
            by_name[instance.name].append(instance)

        return Snapshot(
            source=LABEL,
            taken_at=time.time(),
            nodes=(node,),
            services=tuple(Service(n, tuple(i)) for n, i in sorted(by_name.items())),
            leader=self.hostname,
        )

    def _supervised(self) -> list["Supervised"]:
        if self.agent_socket is None:
            return []

        from nexuslite.agent.control import read_agent_status

        rows = read_agent_status(self.agent_socket) or []
        return [
            Supervised(supervised_instance(self.hostname, row), row.get("pid"))
            for row in rows
        ]


class Supervised(NamedTuple):
    instance: ServiceInstance
    pid: int | None


def supervised_instance(node: str, row: dict) -> ServiceInstance:
    """A service of the local agent, with a check that is its supervision state."""
    name, state = row["name"], row["state"]
    detail = f"{state} (pid {row['pid']})" if row.get("pid") else state
    if row.get("detail"):
        detail = f"{detail}: {row['detail']}"

    check = Check(
        f"nexus-agent:{name}",
        "Supervised by nexus agent",
        _STATE_HEALTH.get(state, WARNING),
        output=detail,
        service_id=name,
        service_name=name,
    )
    return ServiceInstance(service_id=name, name=name, node=node, checks=(check,))


def resource_checks(metrics: NodeMetrics) -> list[Check]:
    """Memory and disk checks judged from the latest sample."""
    memory_status = PASSING if metrics.mem_percent < MEMORY_WARN_PERCENT else WARNING
    checks = [
        Check(
            "memory",
            "Memory usage",
            memory_status,
            output=f"{metrics.mem_percent:.0f}% of memory in use",
        )
    ]
    for disk in metrics.disks:
        status = PASSING if disk.percent < DISK_WARN_PERCENT else WARNING
        checks.append(
            Check(
                f"disk:{disk.mount}",
                f"Disk {disk.mount}",
                status,
                output=f"{disk.percent:.0f}% full",
            )
        )
    return checks


def listening_services(node: str, skip_pids=frozenset()) -> list[ServiceInstance]:
    """One service per listening process, with a check per observed port.

    Processes in ``skip_pids`` (and their children) are already shown as supervised
    services and are left out.
    """
    skip = _with_children(skip_pids)
    ports_by_process: dict[str, set] = defaultdict(set)
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return []

    for conn in connections:
        if conn.status != psutil.CONN_LISTEN or not conn.laddr or conn.pid in skip:
            continue
        ports_by_process[_process_name(conn.pid, conn.laddr.port)].add(
            (conn.laddr.ip, conn.laddr.port)
        )

    return [
        _listening_instance(node, name, sorted(addresses))
        for name, addresses in sorted(ports_by_process.items())
    ]


def _listening_instance(node: str, name: str, addresses: list) -> ServiceInstance:
    ports = sorted({port for _, port in addresses})
    checks = tuple(
        Check(
            f"listen:{ip}:{port}",
            f"TCP {port}",
            PASSING,
            output=f"listening on {ip}:{port}",
            service_id=name,
            service_name=name,
            check_type="tcp",
        )
        for ip, port in addresses
    )
    return ServiceInstance(
        service_id=name, name=name, node=node, port=ports[0], checks=checks
    )


def _with_children(pids) -> set[int]:
    found = set(pids)
    for pid in pids:
        try:
            found.update(child.pid for child in psutil.Process(pid).children(True))
        except psutil.Error:
            continue
    return found


def _process_name(pid: int | None, port: int) -> str:
    if pid is None:
        return f"port-{port}"
    try:
        return psutil.Process(pid).name()
    except psutil.Error:
        return f"port-{port}"


def primary_address() -> str:
    """The first non-loopback IPv4 address, or 127.0.0.1."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith(
                "127."
            ):
                return address.address
    return "127.0.0.1"
