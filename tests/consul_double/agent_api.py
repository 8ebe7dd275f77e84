"""/v1/agent/* handlers: the local agent of one node (``Call.node``).

The double syncs agent writes to the catalog at once (real anti-entropy lags a little).
serfHealth and the servers' ``consul`` service live in the catalog only, so the agent's
own listings leave them out, as a real agent's local state does.
"""

from consul_double import decoding, messages
from consul_double.decoding import DecodeError, decode_body
from consul_double.definitions import check_from_body, service_from_body
from consul_double.exchange import (
    Call,
    Reply,
    empty_reply,
    json_reply,
    require_enable,
)
from consul_double.messages import ApiError
from consul_double.records import (
    CHECK_STATUSES,
    CRITICAL,
    NODE_MAINTENANCE_ID,
    PASSING,
    SERF_CHECK_ID,
    WARNING,
    render_agent_self,
    render_agent_service,
    render_check,
    render_member,
)

_AGGREGATE_CODES = {PASSING: 200, WARNING: 429, CRITICAL: 503}
_TEXT = {"Content-Type": "text/plain"}


def decode(call: Call, schema: decoding.Schema, optional: bool = False) -> dict:
    try:
        return decode_body(call.body, schema, optional)
    except DecodeError as exc:
        raise ApiError(400, messages.DECODE_FAILED.format(exc)) from exc


def get_self(call: Call) -> Reply:
    with call.state.lock:
        return json_reply(render_agent_self(call.state.require_node(call.node)))


def get_members(call: Call) -> Reply:
    if call.anonymous:
        return json_reply([])
    with call.state.lock:
        nodes = sorted(call.state.nodes.values(), key=lambda n: n.name)
        return json_reply([render_member(n) for n in nodes if n.is_member])


def local_services(call: Call) -> dict:
    state = call.state
    services = state.services.get(call.node, {})
    node = state.nodes[call.node]
    return {
        sid: render_agent_service(services[sid], node.datacenter)
        for sid in sorted(services)
        if not (node.server and sid == "consul")
    }


def local_checks(call: Call) -> dict:
    state = call.state
    checks = state.checks.get(call.node, {})
    return {
        cid: render_check(
            checks[cid],
            state.service_tags(call.node, checks[cid].service_id),
            agent_view=True,
        )
        for cid in sorted(checks)
        if cid != SERF_CHECK_ID
    }


def get_services(call: Call) -> Reply:
    if call.anonymous:
        return json_reply({})
    with call.state.lock:
        return json_reply(local_services(call))


def get_checks(call: Call) -> Reply:
    if call.anonymous:
        return json_reply({})
    with call.state.lock:
        return json_reply(local_checks(call))


def get_service(call: Call) -> Reply:
    with call.state.lock:
        service = local_services(call).get(call.rest)
    if service is None:
        raise ApiError(404, f"unknown service ID: {call.rest}")
    service["ContentHash"] = f"{abs(hash(str(service))):016x}"
    reply = json_reply(service)
    reply.headers["X-Consul-ContentHash"] = service["ContentHash"]
    return reply


def get_health_by_id(call: Call) -> Reply:
    with call.state.lock:
        service = local_services(call).get(call.rest)
        if service is None:
            raise ApiError(404, f"ServiceId {call.rest} not found")
        checks = _service_health_checks(call, call.rest)
    status = _aggregate(checks)
    if _wants_text(call):
        return Reply(_AGGREGATE_CODES[status], status.encode(), _TEXT)
    body = {"AggregatedStatus": status, "Service": service, "Checks": checks}
    return json_reply(body, _AGGREGATE_CODES[status])


def get_health_by_name(call: Call) -> Reply:
    with call.state.lock:
        services = [
            s for s in local_services(call).values() if s["Service"] == call.rest
        ]
        entries = []
        for service in services:
            checks = _service_health_checks(call, service["ID"])
            entries.append(
                {
                    "AggregatedStatus": _aggregate(checks),
                    "Service": service,
                    "Checks": checks,
                }
            )
    if not entries:
        raise ApiError(404, f"ServiceName {call.rest} Not Found")
    status = _aggregate([{"Status": e["AggregatedStatus"]} for e in entries])
    if _wants_text(call):
        return Reply(_AGGREGATE_CODES[status], status.encode(), _TEXT)
    return json_reply(entries, _AGGREGATE_CODES[status])


def _wants_text(call: Call) -> bool:
    accept = call.headers.get("Accept", "")
    return call.arg("format") == "text" or accept.startswith("text/plain")


def _service_health_checks(call: Call, service_id: str) -> list:
    checks = local_checks(call)
    return [
        c
        for c in checks.values()
        if c["ServiceID"] == service_id or c["CheckID"] == NODE_MAINTENANCE_ID
    ]


def _aggregate(checks: list) -> str:
    statuses = {c["Status"] for c in checks}
    for status in (CRITICAL, WARNING):
        if status in statuses:
            return status
    return PASSING


def put_maintenance(call: Call) -> Reply:
    enable = require_enable(call)
    call.state.set_node_maintenance(call.node, enable, call.arg("reason", ""))
    return empty_reply()


def put_service_maintenance(call: Call) -> Reply:
    if not call.rest:
        raise ApiError(400, messages.MISSING_SERVICE_ID)
    enable = require_enable(call)
    call.state.set_service_maintenance(
        call.node, call.rest, enable, call.arg("reason", "")
    )
    return empty_reply()


def put_service_register(call: Call) -> Reply:
    body = decode(call, decoding.SERVICE)
    service, checks = service_from_body(call.node, body)
    replace = call.has("replace-existing-checks") and call.arg(
        "replace-existing-checks"
    ) in ("", "true", "1", "True")
    state = call.state
    with state.lock:
        state.put_service(service)
        if replace:
            keep = {c.check_id for c in checks}
            for check in list(state.checks[call.node].values()):
                is_own = check.service_id == service.service_id
                if is_own and check.check_id not in keep and not _is_maintenance(check):
                    state.remove_check(call.node, check.check_id)
        for check in checks:
            state.put_check(check)
    return empty_reply()


def _is_maintenance(check) -> bool:
    return check.check_id.startswith("_service_maintenance:")


def put_service_deregister(call: Call) -> Reply:
    if not call.state.remove_service(call.node, call.rest):
        raise ApiError(404, messages.UNKNOWN_SERVICE.format(call.rest))
    return empty_reply()


def put_check_register(call: Call) -> Reply:
    body = decode(call, decoding.CHECK)
    check = check_from_body(call.node, body)
    state = call.state
    with state.lock:
        if check.service_id:
            service = state.services[call.node].get(check.service_id)
            if service is None:
                raise ApiError(
                    404, messages.MISSING_CHECK_SERVICE.format(check.service_id)
                )
            check.service_name = service.name
        state.put_check(check)
    return empty_reply()


def put_check_deregister(call: Call) -> Reply:
    if call.rest == SERF_CHECK_ID or not call.state.remove_check(call.node, call.rest):
        raise ApiError(404, messages.UNKNOWN_CHECK.format(call.rest))
    return empty_reply()


def _ttl_handler(status: str):
    def put_ttl(call: Call) -> Reply:
        call.state.update_ttl_check(call.node, call.rest, status, call.arg("note", ""))
        return empty_reply()

    put_ttl.__name__ = f"put_ttl_{status}"
    return put_ttl


put_check_pass = _ttl_handler(PASSING)
put_check_warn = _ttl_handler(WARNING)
put_check_fail = _ttl_handler(CRITICAL)


def put_check_update(call: Call) -> Reply:
    body = decode(call, decoding.CHECK_UPDATE)
    status = body.get("Status") or ""
    if status not in CHECK_STATUSES:
        raise ApiError(400, messages.BAD_UPDATE_STATUS.format(status))
    call.state.update_ttl_check(call.node, call.rest, status, body.get("Output") or "")
    return empty_reply()


def put_nothing(call: Call) -> Reply:
    """reload, join, leave: accepted and ignored."""
    return empty_reply()
