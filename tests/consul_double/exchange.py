"""One HTTP exchange as handlers see it: the call, the reply, and deferred reads.

Handlers receive a ``Call`` and return either a ``Reply`` (writes, agent and status
reads) or a ``Read`` (catalog/health/kv/session reads), which the gateway evaluates
after any blocking wait and decorates with the index headers.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from consul_double import messages
from consul_double.messages import ApiError

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


@dataclass
class Call:
    method: str
    path: str
    rest: str  # the path after the route's prefix, percent-decoded
    query: dict  # name -> list of values
    headers: dict
    body: bytes
    node: str  # the node whose agent endpoint received the call
    state: object  # ClusterState
    anonymous: bool = False  # ACLs on and no token: list reads are filtered
    leaderless: bool = False  # the no-leader fault is on for this endpoint

    def has(self, name: str) -> bool:
        return name in self.query

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)


@dataclass
class Read:
    """A blocking-capable read: ``index()`` and ``render()`` run under the state lock.

    ``render`` returns the JSON value, or ``MISSING`` for a 404 that keeps the index
    headers (KV). ``filtered`` is the value shown to an anonymous token under ACLs.
    """

    index: Callable[[], int]
    render: Callable[[], object]
    filtered: object = None
    effective_consistency: bool = True


MISSING = object()


def json_reply(value: object, status: int = 200, pretty: bool = False) -> Reply:
    return Reply(
        status, encode_json(value, pretty), {"Content-Type": "application/json"}
    )


def encode_json(value: object, pretty: bool = False) -> bytes:
    if pretty:
        return (json.dumps(value, indent=4) + "\n").encode()
    return json.dumps(value, separators=(",", ":")).encode()


def empty_reply() -> Reply:
    return Reply(200, b"", {})


def parse_go_bool(raw: str) -> bool | None:
    """strconv.ParseBool: True/False, or None when Go would reject the text."""
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    return None


def require_enable(call: Call) -> bool:
    """The ``enable`` query of the maintenance endpoints."""
    raw = call.arg("enable")
    if raw is None:
        raise ApiError(400, messages.MISSING_ENABLE)
    value = parse_go_bool(raw)
    if value is None:
        raise ApiError(400, messages.INVALID_ENABLE.format(raw))
    return value
