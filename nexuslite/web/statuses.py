"""How status words look and sort, so colours and order agree on every page."""

from nexuslite.cluster.model import (
    CRITICAL,
    NO_CHECKS,
    NODE_STATUSES,
    PASSING,
    WARNING,
    ServiceInstance,
)

_KNOWN = set(NODE_STATUSES) | {PASSING, WARNING, CRITICAL, "maintenance"}
_HEALTH_ORDER = {CRITICAL: 0, WARNING: 1, NO_CHECKS: 2, PASSING: 3}


def status_class(status: str) -> str:
    """``st-<status>`` for a known word; anything else Consul sends is ``st-other``."""
    if status == NO_CHECKS:
        return "st-no-checks"
    return f"st-{status}" if status in _KNOWN else "st-other"


def sort_worst_first(instances: tuple[ServiceInstance, ...]) -> list[ServiceInstance]:
    """Instances with trouble first, then by node name."""
    return sorted(instances, key=lambda i: (_HEALTH_ORDER.get(i.health, 0), i.node))
