"""Node status from checks: each rule of cluster.health, worst first."""

import pytest

from nexuslite.cluster.health import node_status
from nexuslite.cluster.kvlayout import AGENT_CHECK_ID
from nexuslite.cluster.model import Check, ServiceInstance


def check(check_id, status, service_id="", notes=""):
    return Check(check_id, check_id, status, notes=notes, service_id=service_id)


def service(*checks):
    return ServiceInstance("web-1", "web", "n1", checks=checks)


SERF_OK = check("serfHealth", "passing")


@pytest.mark.parametrize(
    ("node_checks", "services", "expected"),
    [
        ([check("serfHealth", "critical")], [], "failed"),
        ([SERF_OK, check(AGENT_CHECK_ID, "critical")], [], "failed"),
        ([SERF_OK, check("_node_maintenance", "critical")], [], "draining"),
        ([SERF_OK, check("disk", "warning")], [], "degraded"),
        ([SERF_OK, check("custom", "critical")], [], "degraded"),
        ([SERF_OK], [service(check("http", "critical", "web-1"))], "degraded"),
        ([SERF_OK], [service(check("http", "warning", "web-1"))], "degraded"),
        ([SERF_OK], [service(check("http", "passing", "web-1"))], "healthy"),
        ([SERF_OK], [service()], "healthy"),
        ([], [service()], "unknown"),
        ([], [], "unknown"),
    ],
)
def test_status_follows_the_worst_rule_that_applies(node_checks, services, expected):
    status, reason = node_status(node_checks, services)

    assert status == expected
    assert reason


def test_failed_wins_over_maintenance():
    checks = [check("serfHealth", "critical"), check("_node_maintenance", "critical")]

    assert node_status(checks, [])[0] == "failed"


def test_maintenance_reason_is_the_check_notes():
    checks = [SERF_OK, check("_node_maintenance", "critical", notes="kernel upgrade")]

    assert node_status(checks, []) == ("draining", "kernel upgrade")


def test_service_without_checks_is_no_checks_not_passing():
    assert service().health == "no checks"
    assert service(check("a", "passing", "web-1")).health == "passing"
    assert service(check("a", "passing", "web-1"), check("b", "warning")).health == (
        "warning"
    )
