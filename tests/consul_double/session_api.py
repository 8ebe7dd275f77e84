"""/v1/session/* handlers: create (defaults applied by the agent), renew, destroy,
info/list/node. Sessions expire after 2 x TTL, as Consul's server timer does."""

from consul_double import decoding, messages
from consul_double.agent_api import decode
from consul_double.durations import DurationError, parse_duration
from consul_double.exchange import Call, Read, Reply, json_reply
from consul_double.messages import ApiError
from consul_double.records import SERF_CHECK_ID, render_session

DEFAULT_LOCK_DELAY = 15.0
MAX_LOCK_DELAY = 60.0
TTL_MIN = 10.0
TTL_MAX = 24 * 3600.0


def put_create(call: Call) -> Reply:
    body = decode(call, decoding.SESSION_CREATE, optional=True)
    behavior = body.get("Behavior") or "release"
    if behavior not in ("release", "delete"):
        raise ApiError(500, messages.SESSION_BAD_BEHAVIOR.format(behavior))

    ttl = body.get("TTL") or ""
    ttl_seconds = _parse_ttl(ttl)
    lock_delay = body.get("LockDelay")
    lock_delay = (
        DEFAULT_LOCK_DELAY if lock_delay is None else min(lock_delay, MAX_LOCK_DELAY)
    )
    if "NodeChecks" in body:
        checks = body["NodeChecks"] or []
    elif "Checks" in body:
        checks = body["Checks"] or []
    else:
        checks = [SERF_CHECK_ID]

    session_id = call.state.create_session(
        node=body.get("Node") or call.node,
        name=body.get("Name") or "",
        lock_delay=lock_delay,
        behavior=behavior,
        ttl=ttl,
        ttl_seconds=ttl_seconds,
        node_checks=checks,
        service_checks=body.get("ServiceChecks"),
    )
    return json_reply({"ID": session_id})


def _parse_ttl(ttl: str) -> float:
    if not ttl:
        return 0.0
    try:
        seconds = parse_duration(ttl)
    except DurationError as exc:
        raise ApiError(500, messages.SESSION_TTL_UNPARSABLE.format(ttl, exc)) from exc
    if seconds != 0 and not TTL_MIN <= seconds <= TTL_MAX:
        raise ApiError(500, messages.SESSION_BAD_TTL.format(round(seconds * 1e9)))
    return seconds


def put_renew(call: Call) -> Reply:
    if not call.rest:
        raise ApiError(400, messages.MISSING_SESSION_ID)
    with call.state.lock:
        session = call.state.renew_session(call.rest)
        if session is None:
            raise ApiError(404, messages.SESSION_NOT_FOUND.format(call.rest))
        return json_reply([render_session(session)])


def put_destroy(call: Call) -> Reply:
    if not call.rest:
        raise ApiError(400, messages.MISSING_SESSION_ID)
    call.state.invalidate_session(call.rest)
    return json_reply(True)


def _sessions_read(call: Call, keep) -> Read:
    state = call.state

    def render():
        sessions = sorted(state.sessions.values(), key=lambda s: s.create_index)
        return [render_session(s) for s in sessions if keep(s)]

    return Read(
        lambda: state.table_index["sessions"],
        render,
        filtered=[],
        effective_consistency=False,
    )


def get_info(call: Call) -> Read:
    return _sessions_read(call, lambda s: s.session_id == call.rest)


def get_list(call: Call) -> Read:
    return _sessions_read(call, lambda s: True)


def get_node(call: Call) -> Read:
    return _sessions_read(call, lambda s: s.node == call.rest)
