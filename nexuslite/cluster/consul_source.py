"""The cluster as Consul sees it, read with a fixed number of requests.

One refresh makes the same requests whatever the number of nodes: the leader, the
LAN members, the catalog nodes, every health check (``/health/state/any``), the
service names, one catalog read per service name, and the metrics prefix in KV.
Nothing is asked per node.
"""

import json
import logging
import math
import time
from collections import defaultdict
from urllib.parse import quote

import consul
import requests
from consul.callback import CB

from nexuslite.cluster import kvlayout
from nexuslite.cluster.consul_client import make_client
from nexuslite.cluster.health import maintenance_reason, node_status
from nexuslite.cluster.model import (
    MANAGER,
    WORKER,
    Check,
    Node,
    NodeMetrics,
    Service,
    ServiceInstance,
    Snapshot,
)
from nexuslite.cluster.source import (
    ERROR,
    FORBIDDEN,
    NO_LEADER,
    TIMEOUT,
    UNREACHABLE,
    SourceUnavailable,
)
from nexuslite.settings import Settings

log = logging.getLogger(__name__)

# Metrics older than this many seconds are shown as stale, not as current figures.
STALE_AFTER = 120.0

SERVER_MEMBER_ROLE = "consul"
_ROLE_META_VALUES = {
    "manager": (MANAGER,),
    "worker": (WORKER,),
    "both": (MANAGER, WORKER),
    "manager+worker": (MANAGER, WORKER),
}


# py-consul's words for an answer that no Consul agent gives.
_NOT_CONSUL_MARKERS = ("Missing index header", "Failed to decode JSON")

# What a request to Consul raises when Consul (or what answers in its place) fails.
CONSUL_ERRORS = (
    requests.exceptions.RequestException,
    consul.ConsulException,
    json.JSONDecodeError,
)


def explain_consul_error(exc: Exception, url: str, timeout: float) -> SourceUnavailable:
    """Name a failed Consul request in one line an operator can act on."""
    if isinstance(exc, requests.exceptions.Timeout):
        return SourceUnavailable(
            TIMEOUT, f"Consul at {url} did not answer within {timeout:g} s"
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        return SourceUnavailable(
            UNREACHABLE, f"cannot reach Consul at {url}: {_reason(exc)}"
        )
    if isinstance(exc, consul.ACLPermissionDenied):
        return SourceUnavailable(
            FORBIDDEN,
            f"Consul refused the ACL token (403: {_first_line(exc)}); "
            "check NEXUS_CONSUL_TOKEN",
        )

    text = _first_line(exc)
    if "No cluster leader" in text:
        return SourceUnavailable(NO_LEADER, "Consul has no cluster leader")
    if isinstance(exc, json.JSONDecodeError) or text.startswith(_NOT_CONSUL_MARKERS):
        return SourceUnavailable(ERROR, _not_consul(url))
    if isinstance(exc, requests.exceptions.RequestException):
        return SourceUnavailable(
            ERROR, f"request to Consul at {url} failed: {exc.__class__.__name__}"
        )
    return SourceUnavailable(ERROR, f"Consul answered an error: {text[:300]}")


def _not_consul(url: str) -> str:
    return f"{url} does not answer like a Consul agent; check NEXUS_CONSUL_URL"


class ConsulSource:
    """Reads nodes, services, checks and published metrics from one Consul agent."""

    def __init__(self, settings: Settings):
        self.url = settings.consul_url
        self.label = f"Consul at {self.url}"
        self.timeout = settings.consul_timeout
        self.client = make_client(settings)

    def close(self) -> None:
        self.client.http.session.close()

    def fetch(self) -> Snapshot:
        try:
            return self._fetch()
        except CONSUL_ERRORS as exc:
            raise explain_consul_error(exc, self.url, self.timeout) from exc

    def _fetch(self) -> Snapshot:
        c = self.client
        leader = c.status.leader()
        if leader is None:  # py-consul's answer to a 404: this is no Consul agent
            raise SourceUnavailable(ERROR, _not_consul(self.url))
        if not leader:
            raise SourceUnavailable(NO_LEADER, "Consul has no cluster leader")

        members = c.agent.members()
        _, catalog_nodes = c.catalog.nodes()
        _, checks = c.health.state("any")
        _, service_names = c.catalog.services()
        instances = [row for name in service_names for row in _read_service(c, name)]
        _, metric_rows = c.kv.get(kvlayout.METRICS_PREFIX, recurse=True)
        requests_made = 6 + len(service_names)

        return build_snapshot(
            label=self.url,
            leader=leader,
            members=members or [],
            catalog_nodes=catalog_nodes or [],
            checks=checks or [],
            instances=instances,
            metric_rows=metric_rows or [],
            requests_made=requests_made,
        )


def _read_service(client: consul.Consul, name: str) -> list[dict]:
    """The catalog rows of one service, whatever its name.

    py-consul leaves ``/`` and dots unencoded, so a service named ``..`` or
    ``a/../b`` would read another endpoint (or fail the whole refresh). The name is
    sent as one fully encoded path segment instead; Consul decodes it back.
    """
    http = client.http
    segment = quote(name, safe="").replace(".", "%2E")
    response = http.session.get(
        f"{http.base_uri}/v1/catalog/service/{segment}",
        headers=client.prepare_headers(None),
        verify=http.verify,
        cert=http.cert,
        timeout=http.timeout(None),
    )
    _, rows = CB.json(index=True)(http.response(response))
    return rows or []


def build_snapshot(
    label: str,
    leader: str,
    members: list[dict],
    catalog_nodes: list[dict],
    checks: list[dict],
    instances: list[dict],
    metric_rows: list[dict],
    requests_made: int = 0,
    now: float | None = None,
) -> Snapshot:
    """Join Consul's answers into a Snapshot. Pure: no I/O."""
    now = time.time() if now is None else now
    members_by_name = {m.get("Name"): m for m in members}
    node_checks, service_checks = _group_checks(checks)
    services_by_node = _group_instances(instances, service_checks)
    metrics = _read_metrics(metric_rows, now)
    leader_addr = leader.rsplit(":", 1)[0]

    nodes = []
    for raw in sorted(catalog_nodes, key=lambda n: n.get("Node", "")):
        name = raw.get("Node", "")
        member = members_by_name.get(name, {})
        own_checks = tuple(node_checks.get(name, ()))
        services = tuple(services_by_node.get(name, ()))
        status, reason = node_status(own_checks, services)
        meta = raw.get("Meta") or {}
        node_metrics, problem = metrics.get(name, (None, "no agent"))

        nodes.append(
            Node(
                name=name,
                address=raw.get("Address", ""),
                roles=_roles(meta, member),
                status=status,
                status_reason=reason,
                is_leader=_is_leader(member, raw, leader_addr),
                pool=meta.get(kvlayout.POOL_META, ""),
                datacenter=raw.get("Datacenter", ""),
                meta=tuple(sorted(meta.items())),
                checks=own_checks,
                services=services,
                metrics=node_metrics,
                metrics_problem=problem,
                maintenance_reason=maintenance_reason(own_checks),
            )
        )

    return Snapshot(
        source=label,
        taken_at=now,
        nodes=tuple(nodes),
        services=_services(services_by_node),
        leader=leader,
        requests_made=requests_made,
    )


def _to_check(raw: dict) -> Check:
    return Check(
        check_id=raw.get("CheckID", ""),
        name=raw.get("Name", ""),
        status=raw.get("Status", ""),
        output=raw.get("Output") or "",
        notes=raw.get("Notes") or "",
        service_id=raw.get("ServiceID") or "",
        service_name=raw.get("ServiceName") or "",
        check_type=raw.get("Type") or "",
    )


def _group_checks(checks: list[dict]):
    """Node-level checks by node, and service checks by (node, service id)."""
    node_checks, service_checks = defaultdict(list), defaultdict(list)
    for raw in checks:
        check = _to_check(raw)
        node = raw.get("Node", "")
        if check.service_id:
            service_checks[(node, check.service_id)].append(check)
        else:
            node_checks[node].append(check)
    return node_checks, service_checks


def _group_instances(instances: list[dict], service_checks) -> dict:
    by_node = defaultdict(list)
    for raw in instances:
        node, service_id = raw.get("Node", ""), raw.get("ServiceID", "")
        by_node[node].append(
            ServiceInstance(
                service_id=service_id,
                name=raw.get("ServiceName", ""),
                node=node,
                address=raw.get("ServiceAddress") or raw.get("Address", ""),
                port=int(raw.get("ServicePort") or 0),
                tags=tuple(raw.get("ServiceTags") or ()),
                checks=tuple(service_checks.get((node, service_id), ())),
            )
        )
    for services in by_node.values():
        services.sort(key=lambda s: (s.name, s.service_id))
    return by_node


def _services(services_by_node: dict) -> tuple[Service, ...]:
    by_name = defaultdict(list)
    for instances in services_by_node.values():
        for instance in instances:
            by_name[instance.name].append(instance)
    return tuple(
        Service(name, tuple(sorted(found, key=lambda s: (s.node, s.service_id))))
        for name, found in sorted(by_name.items())
    )


def _read_metrics(rows: list[dict], now: float) -> dict[str, tuple]:
    """node -> (NodeMetrics or None, problem text) from the metrics prefix."""
    found: dict[str, tuple[NodeMetrics | None, str]] = {}
    for row in rows:
        segment = row.get("Key", "")[len(kvlayout.METRICS_PREFIX) :]
        if not segment or "/" in segment:
            continue

        node = kvlayout.node_from_segment(segment)
        try:
            metrics = _decode_metrics(row.get("Value"))
        except kvlayout.LayoutError as exc:
            found[node] = (None, f"unreadable metrics: {exc}")
            continue

        found[node] = (metrics, _age_problem(now - metrics.sampled_at))
    return found


def _age_problem(age: float) -> str:
    """Why figures sampled ``age`` seconds ago are not current, or ""."""
    if age > STALE_AFTER:
        return f"stale ({age:.0f} s old)"
    if age < -STALE_AFTER:
        return f"sampled {-age:.0f} s in the future (check the node's clock)"
    return ""


def _decode_metrics(raw: bytes | None) -> NodeMetrics:
    """Version-1 metrics whose every figure is a finite number, else LayoutError.

    JSON may carry NaN, Infinity or 1e400: one node publishing them must cost that
    node its figures, not stop the refresh or break every page drawing a bar.
    """
    try:
        metrics = kvlayout.decode_metrics(raw)
    except OverflowError as exc:
        raise kvlayout.LayoutError(f"metrics value is malformed: {exc}") from exc

    figures = [
        metrics.sampled_at,
        metrics.cpu_percent,
        metrics.mem_percent,
        metrics.net_rx_rate,
        metrics.net_tx_rate,
        metrics.uptime,
        *metrics.load,
        *(disk.percent for disk in metrics.disks),
    ]
    if not all(math.isfinite(figure) for figure in figures):
        raise kvlayout.LayoutError("metrics value holds a number that is not finite")
    return metrics


def _roles(meta: dict, member: dict) -> tuple[str, ...]:
    declared = _ROLE_META_VALUES.get(str(meta.get(kvlayout.ROLE_META, "")).lower())
    if declared:
        return declared
    if (member.get("Tags") or {}).get("role") == SERVER_MEMBER_ROLE:
        return (MANAGER,)
    return (WORKER,)


def _is_leader(member: dict, raw_node: dict, leader_addr: str) -> bool:
    if not leader_addr:
        return False
    is_server = (member.get("Tags") or {}).get("role") == SERVER_MEMBER_ROLE
    address = member.get("Addr") or raw_node.get("Address")
    return is_server and address == leader_addr


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "SSL",
        "timed out",
    ):
        if marker in text:
            return marker.lower() if marker != "SSL" else "TLS handshake failed"
    return exc.__class__.__name__
