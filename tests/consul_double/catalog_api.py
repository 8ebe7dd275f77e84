"""/v1/status, /v1/catalog and /v1/health handlers.

Unknown nodes and services never 404 here: ``null`` for one catalog node, ``[]`` for
lists, as Consul keeps them for compatibility (catalog.md, health.md).
"""

from consul_double import decoding, messages
from consul_double.agent_api import decode
from consul_double.exchange import Call, Read, Reply, json_reply, parse_go_bool
from consul_double.messages import ApiError
from consul_double.records import CRITICAL, CheckRecord, ServiceRecord
from consul_double.state import Selector


def get_leader(call: Call) -> Reply:
    return json_reply("" if call.leaderless else call.state.leader_address())


def get_peers(call: Call) -> Reply:
    return json_reply(call.state.peer_addresses())


def _tables(call: Call, *tables: str):
    def index() -> int:
        return max(call.state.table_index[t] for t in tables)

    return index


def get_datacenters(call: Call) -> Reply:
    return json_reply([call.state.datacenter])


def selector_of(call: Call) -> Selector:
    """Parse the deprecated ``tag`` and ``node-meta`` query filters."""
    pairs = []
    for item in call.query.get("node-meta", []):
        key, _, value = item.partition(":")
        pairs.append((key, value))
    return Selector(tuple(call.query.get("tag", [])), tuple(pairs))


def get_nodes(call: Call) -> Read:
    selector = selector_of(call)
    return Read(
        _tables(call, "nodes"),
        lambda: call.state.catalog_nodes(selector),
        filtered=[],
    )


def get_services(call: Call) -> Read:
    return Read(_tables(call, "services"), call.state.catalog_services, filtered={})


def get_service(call: Call) -> Read:
    name = call.rest
    return Read(
        _tables(call, "nodes", "services"),
        lambda: call.state.catalog_service(name, selector_of(call)),
        filtered=[],
    )


def get_node(call: Call) -> Read:
    name = call.rest
    return Read(
        _tables(call, "nodes", "services"), lambda: call.state.catalog_node(name)
    )


def get_node_services(call: Call) -> Read:
    def render():
        listing = call.state.catalog_node(call.rest)
        if listing is None:
            return None
        return {"Node": listing["Node"], "Services": list(listing["Services"].values())}

    return Read(_tables(call, "nodes", "services"), render)


def put_register(call: Call) -> Reply:
    body = decode(call, decoding.CATALOG_REGISTER)
    if not body.get("Node"):
        raise ApiError(400, "Must provide node")
    if not body.get("Address") and not body.get("SkipNodeUpdate"):
        raise ApiError(400, "Must provide address")

    state = call.state
    node_name = body["Node"]
    with state.lock:
        existing = state.nodes.get(node_name)
        if existing is None or not body.get("SkipNodeUpdate"):
            state.upsert_node(
                node_name,
                body.get("Address") or existing.address,
                meta=body.get("NodeMeta"),
                server=existing.server if existing else False,
                tagged_addresses=body.get("TaggedAddresses"),
                is_member=existing.is_member if existing else False,
            )
        if body.get("Service"):
            state.put_service(_catalog_service(node_name, body["Service"]))
        checks = ([body["Check"]] if body.get("Check") else []) + (
            body.get("Checks") or []
        )
        for check in checks:
            state.put_check(_catalog_check(call, node_name, check))
    return json_reply(True)


def _catalog_service(node: str, body: dict) -> ServiceRecord:
    name = body.get("Service") or ""
    if not name:
        raise ApiError(400, messages.MISSING_SERVICE_NAME)
    return ServiceRecord(
        node=node,
        service_id=body.get("ID") or name,
        name=name,
        tags=list(body.get("Tags") or []),
        address=body.get("Address") or "",
        port=body.get("Port") or 0,
        meta=dict(body.get("Meta") or {}),
        tagged_addresses=body.get("TaggedAddresses") or {},
        weights=body.get("Weights") or {"Passing": 1, "Warning": 1},
        enable_tag_override=bool(body.get("EnableTagOverride")),
    )


def _catalog_check(call: Call, node: str, body: dict) -> CheckRecord:
    status = body.get("Status") or CRITICAL
    if status not in ("passing", "warning", "critical"):
        raise ApiError(400, messages.INVALID_CHECK_STATUS)
    service_id = body.get("ServiceID") or ""
    service = call.state.services[node].get(service_id)
    name = body.get("Name") or body.get("CheckID") or ""
    return CheckRecord(
        node=node,
        check_id=body.get("CheckID") or name,
        name=name,
        status=status,
        notes=body.get("Notes") or "",
        output=body.get("Output") or "",
        service_id=service_id,
        service_name=service.name if service else "",
        check_type=body.get("Type") or "",
    )


def put_deregister(call: Call) -> Reply:
    body = decode(call, decoding.CATALOG_DEREGISTER)
    node = body.get("Node")
    if not node:
        raise ApiError(400, "Must provide node")

    state = call.state
    with state.lock:
        if node not in state.nodes:
            return json_reply(True)
        if body.get("ServiceID"):
            state.remove_service(node, body["ServiceID"])
        elif body.get("CheckID"):
            state.remove_check(node, body["CheckID"])
        else:
            state.remove_node(node)
    return json_reply(True)


def get_health_node(call: Call) -> Read:
    if not call.rest:
        raise ApiError(400, messages.MISSING_NODE_NAME)
    return Read(
        _tables(call, "checks"), lambda: call.state.health_node(call.rest), filtered=[]
    )


def get_health_checks(call: Call) -> Read:
    if not call.rest:
        raise ApiError(400, messages.MISSING_SERVICE_NAME)
    return Read(
        _tables(call, "services", "checks"),
        lambda: call.state.health_checks(call.rest),
        filtered=[],
    )


def get_health_service(call: Call) -> Read:
    if not call.rest:
        raise ApiError(400, messages.MISSING_SERVICE_NAME)
    passing = False
    if call.has("passing"):
        raw = call.arg("passing")
        passing = True if raw == "" else parse_go_bool(raw)
        if passing is None:
            raise ApiError(400, messages.INVALID_PASSING)
    return Read(
        _tables(call, "nodes", "services", "checks"),
        lambda: call.state.health_service(call.rest, passing, selector_of(call)),
        filtered=[],
    )


def get_health_state(call: Call) -> Read:
    if not call.rest:
        raise ApiError(400, messages.MISSING_CHECK_STATE)
    return Read(
        _tables(call, "checks"), lambda: call.state.health_state(call.rest), filtered=[]
    )
