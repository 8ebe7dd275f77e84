"""Figures for the overview cards, computed once per render from a snapshot."""

from collections import Counter
from dataclasses import dataclass

from nexuslite.cluster.model import (
    CRITICAL,
    DEGRADED,
    FAILED,
    HEALTHY,
    NO_CHECKS,
    NODE_STATUSES,
    PASSING,
    UNKNOWN,
    WARNING,
    Snapshot,
)


@dataclass(frozen=True)
class ClusterSummary:
    managers: int
    workers: int
    leader: str
    service_count: int
    instance_health: dict[str, int]
    node_status: dict[str, int]
    pools: tuple[str, ...]

    @property
    def instance_count(self) -> int:
        return sum(self.instance_health.values())

    @property
    def health(self) -> str:
        """Failed or degraded if any node is; draining is intended, not trouble."""
        for status in (FAILED, DEGRADED, HEALTHY):
            if self.node_status[status]:
                return status
        return UNKNOWN


def summarize(snapshot: Snapshot) -> ClusterSummary:
    statuses = Counter(node.status for node in snapshot.nodes)
    instances = [i for service in snapshot.services for i in service.instances]
    health = Counter(instance.health for instance in instances)
    return ClusterSummary(
        managers=sum(1 for node in snapshot.nodes if node.is_manager),
        workers=sum(1 for node in snapshot.nodes if node.is_worker),
        leader=next((node.name for node in snapshot.nodes if node.is_leader), ""),
        service_count=len(snapshot.services),
        instance_health={h: health[h] for h in (CRITICAL, WARNING, PASSING, NO_CHECKS)},
        node_status={status: statuses[status] for status in NODE_STATUSES},
        pools=tuple(sorted({node.pool for node in snapshot.nodes if node.pool})),
    )
