"""From a parsed HTTP request to a reply: routing, 404/405, faults, ACLs, consistency
flags, blocking queries and the index headers, in the order Consul's ``wrap()`` applies
them. Handlers only see a ``Call`` and never deal with any of this.
"""

import json
import uuid
from dataclasses import dataclass

from consul_double import faults, messages
from consul_double.durations import DurationError, parse_duration
from consul_double.exchange import MISSING, Call, Read, Reply, encode_json
from consul_double.messages import ApiError
from consul_double.records import JsonText
from consul_double.routes import CATALOG, HEALTH, KV, RAFT_FAMILIES, Route, find_route

DEFAULT_WAIT = 300.0
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
_ROOT_TEXT = (
    b"Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the "
    b"agent configuration and restart."
)
_ACCESSOR = str(uuid.uuid5(uuid.NAMESPACE_DNS, "forbidden.consul-double"))


@dataclass
class Incoming:
    method: str
    path: str  # percent-decoded, without the query
    query: dict
    headers: dict
    body: bytes
    node: str


class Gateway:
    """Consul's HTTP layer over one ``ClusterState``; shared by every listener."""

    def __init__(self, state, fault_board, max_wait: float):
        self.state = state
        self.faults = fault_board
        self.max_wait = max_wait
        self.required_token: str | None = None
        self.stopping = False

    def handle(self, incoming: Incoming) -> Reply:
        try:
            reply = self._dispatch(incoming)
        except ApiError as exc:
            reply = Reply(exc.status, exc.text.encode(), {**_TEXT, **exc.headers})
        policy = "deny" if self.required_token is not None else "allow"
        reply.headers.setdefault("X-Consul-Default-ACL-Policy", policy)
        return reply

    def _dispatch(self, incoming: Incoming) -> Reply:
        if not incoming.path.startswith("/v1/"):
            if incoming.path == "/" and incoming.method == "GET":
                return Reply(200, _ROOT_TEXT, dict(_TEXT))
            raise ApiError(404, messages.UNKNOWN_PATH)

        found = find_route(incoming.path)
        if found is None:
            raise ApiError(404, messages.UNKNOWN_V1_PATH)
        route, rest = found

        if incoming.method == "OPTIONS":
            return Reply(200, b"", {"Allow": route.allow})
        handler = route.handlers.get(incoming.method)
        if handler is None:
            allow = {"Allow": route.allow}
            raise ApiError(405, f"method {incoming.method} not allowed", allow)

        call = Call(
            method=incoming.method,
            path=incoming.path,
            rest=rest,
            query=incoming.query,
            headers=incoming.headers,
            body=incoming.body,
            node=incoming.node,
            state=self.state,
            leaderless=self._is_leaderless(incoming.node),
        )
        self._authorize(route, call)
        stale = self._check_consistency(route, call)
        if route.family in RAFT_FAMILIES and call.leaderless and not stale:
            raise ApiError(500, messages.NO_LEADER)

        result = handler(call)
        if isinstance(result, Read):
            return self._serve_read(route, call, result)
        return result

    # -- ACLs ----------------------------------------------------------------------

    def _authorize(self, route: Route, call: Call) -> None:
        token = _token_of(call)
        if self.faults.mode_for(call.node) == faults.FORBIDDEN:
            raise ApiError(403, _denial(route, call, token))

        if self.required_token is None or not route.resource:
            return
        if token == self.required_token:
            return
        if token:
            raise ApiError(403, messages.ACL_NOT_FOUND)

        if route.filters_anonymous or _is_kv_listing(route, call):
            call.anonymous = True
            return
        raise ApiError(403, _denial(route, call, None))

    # -- reads ---------------------------------------------------------------------

    def _check_consistency(self, route: Route, call: Call) -> bool:
        if route.family not in RAFT_FAMILIES or call.method != "GET":
            return False
        if call.has("consistent") and (call.has("stale") or call.has("cached")):
            raise ApiError(400, messages.CONFLICTING_CONSISTENCY)
        return call.has("stale")

    def _is_leaderless(self, node: str) -> bool:
        return self.faults.mode_for(node) == faults.NO_LEADER

    def _serve_read(self, route: Route, call: Call, read: Read) -> Reply:
        min_index, wait = _blocking_params(call)
        if min_index:
            timeout = min(wait or DEFAULT_WAIT, self.max_wait)
            self.state.wait_for_change(
                read.index, min_index, timeout, lambda: self._is_interrupted(call.node)
            )

        with self.state.lock:
            index = max(read.index(), 1)
            value = read.filtered if call.anonymous else read.render()
            has_leader = self.state.leader is not None

        headers = {
            "X-Consul-Index": str(index),
            "X-Consul-KnownLeader": _bool_text(
                has_leader and not self._is_leaderless(call.node)
            ),
            "X-Consul-LastContact": "0",
        }
        if route.family in (CATALOG, HEALTH) and read.effective_consistency:
            headers["X-Consul-Effective-Consistency"] = _consistency(call)

        if value is MISSING:
            return Reply(404, b"", headers)
        if isinstance(value, Reply):
            value.headers.update(headers)
            return value
        headers["Content-Type"] = "application/json"
        if isinstance(value, JsonText):
            body = encode_json(json.loads(value), True) if call.has("pretty") else value
            return Reply(200, bytes(body), headers)
        return Reply(200, encode_json(value, call.has("pretty")), headers)

    def _is_interrupted(self, node: str) -> bool:
        return self.stopping or self.faults.mode_for(node) == faults.DOWN


def _blocking_params(call: Call) -> tuple[int, float]:
    raw_index = call.arg("index")
    min_index = 0
    if raw_index is not None:
        if not raw_index.isdigit():
            raise ApiError(400, messages.INVALID_INDEX)
        min_index = int(raw_index)

    wait = 0.0
    raw_wait = call.arg("wait")
    if raw_wait:
        try:
            wait = parse_duration(raw_wait)
        except DurationError as exc:
            raise ApiError(400, messages.INVALID_WAIT) from exc
    return min_index, wait


def _consistency(call: Call) -> str:
    if call.has("stale"):
        return "stale"
    if call.has("consistent"):
        return "consistent"
    return "leader"


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _token_of(call: Call) -> str | None:
    """Token precedence of Consul's parseTokenInternal: ?token=, header, Bearer."""
    token = call.arg("token")
    if token:
        return token
    token = call.headers.get("X-Consul-Token")
    if token:
        return token
    scheme, _, value = call.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip().split()[0]
    return None


def _is_kv_listing(route: Route, call: Call) -> bool:
    return (
        route.family == KV
        and call.method == "GET"
        and (call.has("recurse") or call.has("keys"))
    )


def _denial(route: Route, call: Call, token: str | None) -> str:
    level = "read" if call.method == "GET" else "write"
    resource = route.resource or "operator"
    target = call.rest or (call.node if resource in ("agent", "node") else "")
    on_target = f' on "{target}"' if target else ""
    permission = f"{resource}:{level}"
    if token:
        return messages.TOKEN_DENIED.format(
            accessor=_ACCESSOR, permission=permission, target=on_target
        )
    return messages.ANONYMOUS_DENIED.format(permission=permission, target=on_target)
