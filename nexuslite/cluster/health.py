"""Node status derived from Consul health checks. Pure functions, no I/O.

Order of precedence, worst first: a node whose Serf health or NexusLite agent
liveness check is critical has *failed*; a node in maintenance is *draining*; any
warning check or critical service makes it *degraded*; all checks passing make it
*healthy*; with nothing to judge it is *unknown*.
"""

from collections.abc import Iterable

from nexuslite.cluster.kvlayout import AGENT_CHECK_ID
from nexuslite.cluster.model import (
    CRITICAL,
    DEGRADED,
    DRAINING,
    FAILED,
    HEALTHY,
    PASSING,
    UNKNOWN,
    WARNING,
    Check,
    ServiceInstance,
)

SERF_CHECK_ID = "serfHealth"
NODE_MAINTENANCE_CHECK_ID = "_node_maintenance"
LIVENESS_CHECK_IDS = (SERF_CHECK_ID, AGENT_CHECK_ID)


def node_status(
    node_checks: Iterable[Check], services: Iterable[ServiceInstance]
) -> tuple[str, str]:
    """(status, human reason) for a node from its node-level checks and services."""
    node_checks, services = tuple(node_checks), tuple(services)
    by_id = {check.check_id: check for check in node_checks}

    for check_id in LIVENESS_CHECK_IDS:
        check = by_id.get(check_id)
        if check is not None and check.status == CRITICAL:
            return FAILED, f"{check.name}: {check.output or check.notes or 'critical'}"

    maintenance = by_id.get(NODE_MAINTENANCE_CHECK_ID)
    if maintenance is not None:
        return DRAINING, maintenance.notes or "in maintenance"

    problems = _problems(node_checks, services)
    if problems:
        return DEGRADED, "; ".join(problems[:3])

    if not node_checks and not any(s.checks for s in services):
        return UNKNOWN, "no health checks registered"

    return HEALTHY, "all checks passing"


def _problems(node_checks: tuple[Check, ...], services: tuple[ServiceInstance, ...]):
    """Human descriptions of every warning node check and unhealthy service."""
    problems = [
        f"{check.name} is {check.status}"
        for check in node_checks
        if check.status != PASSING
    ]
    problems += [
        f"service {service.name} is {service.health}"
        for service in services
        if service.health in (WARNING, CRITICAL)
    ]
    return problems


def maintenance_reason(node_checks: Iterable[Check]) -> str:
    for check in node_checks:
        if check.check_id == NODE_MAINTENANCE_CHECK_ID:
            return check.notes
    return ""
