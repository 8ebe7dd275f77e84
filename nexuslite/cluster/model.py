"""The dashboard's picture of a cluster: immutable values, no I/O.

A source builds a ``Snapshot`` in the background; pages only ever read one.
"""

from dataclasses import dataclass
from functools import cached_property

# Node statuses, worst first. Derived from Consul health in ``cluster.health``.
FAILED = "failed"
DRAINING = "draining"
DEGRADED = "degraded"
HEALTHY = "healthy"
UNKNOWN = "unknown"
NODE_STATUSES = (FAILED, DRAINING, DEGRADED, HEALTHY, UNKNOWN)

# Check and service-instance health. "no checks" is not "passing".
PASSING = "passing"
WARNING = "warning"
CRITICAL = "critical"
NO_CHECKS = "no checks"

MANAGER = "manager"
WORKER = "worker"
ROLES = (MANAGER, WORKER)


@dataclass(frozen=True)
class Check:
    check_id: str
    name: str
    status: str
    output: str = ""
    notes: str = ""
    service_id: str = ""
    service_name: str = ""
    check_type: str = ""


@dataclass(frozen=True)
class ServiceInstance:
    service_id: str
    name: str
    node: str
    address: str = ""
    port: int = 0
    tags: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()

    @cached_property  # the snapshot is immutable; pages ask this many times per render
    def health(self) -> str:
        """Worst check status of this instance, or "no checks"."""
        statuses = {check.status for check in self.checks}
        for status in (CRITICAL, WARNING, PASSING):
            if status in statuses:
                return status
        return NO_CHECKS if not statuses else WARNING


@dataclass(frozen=True)
class DiskUsage:
    mount: str
    total: int
    used: int
    percent: float


@dataclass(frozen=True)
class NodeMetrics:
    """One node's figures as sampled by psutil (locally or by its agent)."""

    sampled_at: float
    cpu_percent: float
    cpu_count: int
    mem_total: int
    mem_used: int
    mem_percent: float
    swap_total: int
    swap_used: int
    disks: tuple[DiskUsage, ...]
    load: tuple[float, float, float]
    net_rx_rate: float
    net_tx_rate: float
    uptime: float
    process_count: int
    agent_version: str = ""

    @property
    def root_disk(self) -> DiskUsage | None:
        """The disk shown on the node grid: / when mounted, else the fullest."""
        for disk in self.disks:
            if disk.mount == "/":
                return disk
        return max(self.disks, key=lambda d: d.percent, default=None)


@dataclass(frozen=True)
class Node:
    name: str
    address: str
    roles: tuple[str, ...]
    status: str
    status_reason: str = ""
    is_leader: bool = False
    pool: str = ""
    datacenter: str = ""
    meta: tuple[tuple[str, str], ...] = ()
    checks: tuple[Check, ...] = ()
    services: tuple[ServiceInstance, ...] = ()
    metrics: NodeMetrics | None = None
    metrics_problem: str = ""
    maintenance_reason: str = ""

    @property
    def role_label(self) -> str:
        return "+".join(self.roles) if self.roles else "unknown"

    @property
    def is_manager(self) -> bool:
        return MANAGER in self.roles

    @property
    def is_worker(self) -> bool:
        return WORKER in self.roles


@dataclass(frozen=True)
class Service:
    """A service name with its instances across the cluster."""

    name: str
    instances: tuple[ServiceInstance, ...]

    def count(self, health: str) -> int:
        return sum(1 for instance in self.instances if instance.health == health)


@dataclass(frozen=True)
class SourceProblem:
    """Why the latest refresh failed, as shown in the page banner."""

    kind: str  # unreachable | timeout | no-leader | forbidden | error
    message: str
    since: float


@dataclass(frozen=True)
class Snapshot:
    source: str  # "local" or the Consul URL
    taken_at: float
    nodes: tuple[Node, ...] = ()
    services: tuple[Service, ...] = ()
    leader: str = ""
    problem: SourceProblem | None = None
    requests_made: int = 0

    def node(self, name: str) -> Node | None:
        for node in self.nodes:
            if node.name == name:
                return node
        return None

    def service(self, name: str) -> Service | None:
        for service in self.services:
            if service.name == name:
                return service
        return None
