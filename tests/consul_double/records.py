"""The double's stored objects and how each renders as Consul JSON.

Records are plain mutable dataclasses owned by ``ClusterState``; they are only read or
changed while its lock is held. Render functions return fresh dicts, safe to serialize
after the lock is released.
"""

import base64
import json
import uuid
from dataclasses import dataclass, field

from consul_double.durations import format_duration

PASSING = "passing"
WARNING = "warning"
CRITICAL = "critical"
CHECK_STATUSES = (PASSING, WARNING, CRITICAL)

SERF_CHECK_ID = "serfHealth"
SERF_CHECK_NAME = "Serf Health Status"
NODE_MAINTENANCE_ID = "_node_maintenance"
NODE_MAINTENANCE_NAME = "Node Maintenance Mode"
SERVICE_MAINTENANCE_PREFIX = "_service_maintenance:"
SERVICE_MAINTENANCE_NAME = "Service Maintenance Mode"

MEMBER_ALIVE = 1
MEMBER_FAILED = 4
SERF_LAN_PORT = 8301
SERVER_RPC_PORT = 8300
CONSUL_VERSION = "1.20.1"


def make_node_id(name: str) -> str:
    """Stable UUID per node name, so repeated runs render the same IDs."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.node.consul-double"))


@dataclass
class NodeRecord:
    name: str
    address: str
    datacenter: str
    meta: dict
    tagged_addresses: dict
    server: bool
    node_id: str = ""
    alive: bool = True
    is_member: bool = True  # False: an external node registered via the catalog
    create_index: int = 0
    modify_index: int = 0
    json_cache: tuple = ()


@dataclass
class ServiceRecord:
    node: str
    service_id: str
    name: str
    tags: list = field(default_factory=list)
    address: str = ""
    port: int = 0
    meta: dict = field(default_factory=dict)
    tagged_addresses: dict = field(default_factory=dict)
    weights: dict = field(default_factory=lambda: {"Passing": 1, "Warning": 1})
    enable_tag_override: bool = False
    kind: str = ""
    create_index: int = 0
    modify_index: int = 0
    json_cache: tuple = ()


@dataclass
class Probe:
    """What an agent-run check does; all times in seconds."""

    http: str = ""
    method: str = ""
    header: dict = field(default_factory=dict)
    body: str = ""
    tls_skip_verify: bool = False
    tcp: str = ""
    ttl: float = 0.0
    interval: float = 0.0
    timeout: float = 10.0
    deregister_after: float = 0.0


@dataclass
class CheckRecord:
    node: str
    check_id: str
    name: str
    status: str = CRITICAL
    notes: str = ""
    output: str = ""
    service_id: str = ""
    service_name: str = ""
    check_type: str = ""
    probe: Probe = field(default_factory=Probe)
    create_index: int = 0
    modify_index: int = 0
    # Runtime, monotonic clock: when the TTL runs out, since when critical, next run.
    ttl_deadline: float | None = None
    critical_since: float | None = None
    next_run: float | None = None
    running: bool = False
    json_cache: tuple = ()


@dataclass
class KVEntry:
    key: str
    value: bytes
    flags: int = 0
    session: str = ""
    lock_index: int = 0
    create_index: int = 0
    modify_index: int = 0


@dataclass
class SessionRecord:
    session_id: str
    name: str
    node: str
    lock_delay: float
    behavior: str
    ttl: str
    node_checks: list
    service_checks: list | None
    ttl_seconds: float = 0.0
    create_index: int = 0
    modify_index: int = 0
    expires_at: float | None = None


class JsonText(bytes):
    """Already-encoded JSON: large reads are assembled from cached fragments."""


def _cached(record, key: tuple, render) -> bytes:
    """Encoded JSON of ``record``, re-rendered only when ``key`` changed."""
    if record.json_cache and record.json_cache[0] == key:
        return record.json_cache[1]
    encoded = json.dumps(render(), separators=(",", ":")).encode()
    record.json_cache = (key, encoded)
    return encoded


def node_json(node: NodeRecord) -> bytes:
    return _cached(node, (node.modify_index,), lambda: render_node(node))


def service_json(service: ServiceRecord) -> bytes:
    return _cached(service, (service.modify_index,), lambda: render_service(service))


def check_json(check: CheckRecord, service: ServiceRecord | None) -> bytes:
    tags = service.tags if service else []
    key = (check.modify_index, service.modify_index if service else 0)
    return _cached(check, key, lambda: render_check(check, tags))


def json_list(fragments: list) -> JsonText:
    return JsonText(b"[" + b",".join(fragments) + b"]")


def render_tagged_addresses(node: NodeRecord) -> dict:
    addresses = {
        "lan": node.address,
        "lan_ipv4": node.address,
        "wan": node.address,
        "wan_ipv4": node.address,
    }
    addresses.update(node.tagged_addresses)
    return addresses


def render_node(node: NodeRecord) -> dict:
    return {
        "ID": node.node_id,
        "Node": node.name,
        "Address": node.address,
        "Datacenter": node.datacenter,
        "TaggedAddresses": render_tagged_addresses(node),
        "Meta": dict(node.meta),
        "CreateIndex": node.create_index,
        "ModifyIndex": node.modify_index,
    }


def render_service(service: ServiceRecord, with_indexes: bool = True) -> dict:
    """A service as the agent, catalog node and health service endpoints show it."""
    rendered = {
        "ID": service.service_id,
        "Service": service.name,
        "Tags": list(service.tags),
        "Address": service.address,
        "Meta": dict(service.meta),
        "Port": service.port,
        "Weights": dict(service.weights),
        "EnableTagOverride": service.enable_tag_override,
    }
    if service.tagged_addresses:
        rendered["TaggedAddresses"] = service.tagged_addresses
    if service.kind:
        rendered["Kind"] = service.kind
    if with_indexes:
        rendered["CreateIndex"] = service.create_index
        rendered["ModifyIndex"] = service.modify_index
    return rendered


def render_agent_service(service: ServiceRecord, datacenter: str) -> dict:
    rendered = render_service(service, with_indexes=False)
    rendered["Datacenter"] = datacenter
    return rendered


def render_catalog_row(node: NodeRecord, service: ServiceRecord) -> dict:
    """One flat ServiceNode row of /v1/catalog/service/<name>."""
    return {
        "ID": node.node_id,
        "Node": node.name,
        "Address": node.address,
        "Datacenter": node.datacenter,
        "TaggedAddresses": render_tagged_addresses(node),
        "NodeMeta": dict(node.meta),
        "ServiceKind": service.kind,
        "ServiceID": service.service_id,
        "ServiceName": service.name,
        "ServiceTags": list(service.tags),
        "ServiceAddress": service.address,
        "ServiceTaggedAddresses": service.tagged_addresses or {},
        "ServiceWeights": dict(service.weights),
        "ServiceMeta": dict(service.meta),
        "ServicePort": service.port,
        "ServiceEnableTagOverride": service.enable_tag_override,
        "CreateIndex": service.create_index,
        "ModifyIndex": service.modify_index,
    }


def render_check(
    check: CheckRecord, service_tags: list, agent_view: bool = False
) -> dict:
    probe = check.probe
    return {
        "Node": check.node,
        "CheckID": check.check_id,
        "Name": check.name,
        "Status": check.status,
        "Notes": check.notes,
        "Output": check.output,
        "ServiceID": check.service_id,
        "ServiceName": check.service_name,
        "ServiceTags": list(service_tags),
        "Type": check.check_type,
        "Interval": format_duration(probe.interval) if probe.interval else "",
        "Timeout": format_duration(probe.timeout) if probe.interval else "",
        "ExposedPort": 0,
        "Definition": {},
        "CreateIndex": 0 if agent_view else check.create_index,
        "ModifyIndex": 0 if agent_view else check.modify_index,
    }


def render_kv(entry: KVEntry) -> dict:
    rendered = {
        "LockIndex": entry.lock_index,
        "Key": entry.key,
        "Flags": entry.flags,
        "Value": base64.b64encode(entry.value).decode() if entry.value else None,
    }
    if entry.session:
        rendered["Session"] = entry.session
    rendered["CreateIndex"] = entry.create_index
    rendered["ModifyIndex"] = entry.modify_index
    return rendered


def render_session(session: SessionRecord) -> dict:
    return {
        "ID": session.session_id,
        "Name": session.name,
        "Node": session.node,
        "LockDelay": round(session.lock_delay * 1e9),
        "Behavior": session.behavior,
        "TTL": session.ttl,
        "NodeChecks": list(session.node_checks),
        "ServiceChecks": session.service_checks,
        "CreateIndex": session.create_index,
        "ModifyIndex": session.modify_index,
    }


def render_member(node: NodeRecord) -> dict:
    tags = {
        "dc": node.datacenter,
        "id": node.node_id,
        "role": "consul" if node.server else "node",
        "vsn": "2",
        "vsn_max": "3",
        "vsn_min": "2",
        "build": f"{CONSUL_VERSION}:deadbeef",
    }
    if node.server:
        tags["port"] = str(SERVER_RPC_PORT)
    return {
        "Name": node.name,
        "Addr": node.address,
        "Port": SERF_LAN_PORT,
        "Tags": tags,
        "Status": MEMBER_ALIVE if node.alive else MEMBER_FAILED,
        "ProtocolMin": 1,
        "ProtocolMax": 5,
        "ProtocolCur": 2,
        "DelegateMin": 2,
        "DelegateMax": 5,
        "DelegateCur": 4,
    }


def render_agent_self(node: NodeRecord) -> dict:
    return {
        "Config": {
            "Datacenter": node.datacenter,
            "PrimaryDatacenter": node.datacenter,
            "NodeName": node.name,
            "NodeID": node.node_id,
            "Revision": "deadbeef",
            "Server": node.server,
            "Version": CONSUL_VERSION,
            "BuildDate": "2024-11-01T00:00:00Z",
        },
        "DebugConfig": {},
        "Coord": {"Adjustment": 0, "Error": 1.5, "Height": 1e-05, "Vec": [0.0] * 8},
        "Member": render_member(node),
        "Stats": {"agent": {"checks": "0", "services": "0"}},
        "Meta": dict(node.meta),
    }
