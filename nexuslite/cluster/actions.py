"""Actions asked of a node's agent through Consul KV: drain, undrain, restart.

A requester (the dashboard, or ``nexus drain``) writes a request under the node's
request prefix and later reads the result the agent writes back; the formats and
keys are those of ``kvlayout``. Request ids sort by submission time.
"""

import json
import secrets
import time

import consul
import requests

from nexuslite.cluster import kvlayout
from nexuslite.errors import NexusError


def submit_request(
    client: consul.Consul,
    node: str,
    action: str,
    service: str | None = None,
    reason: str = "",
    by: str = "",
) -> str:
    """Write a request for ``node``'s agent and return its id."""
    if action not in kvlayout.ACTIONS:
        choices = ", ".join(kvlayout.ACTIONS)
        raise NexusError(f"unknown action {action!r}; expected one of {choices}")
    if action == "restart" and not service:
        raise NexusError("restart needs the name of the service to restart")

    request_id = new_request_id()
    value = {
        "v": kvlayout.VERSION,
        "action": action,
        "service": service or None,
        "reason": reason,
        "by": by,
        "at": round(time.time(), 3),
    }
    body = json.dumps(value, separators=(",", ":"))
    if not client.kv.put(kvlayout.request_key(node, request_id), body, cas=0):
        raise NexusError(f"request {request_id} for {node} already exists; retry")
    return request_id


def read_result(client: consul.Consul, node: str, request_id: str) -> dict | None:
    """The agent's result for a request, or None while it has not answered."""
    _, entry = client.kv.get(kvlayout.result_key(node, request_id))
    if not entry or not entry.get("Value"):
        return None
    return decode_result(entry["Value"])


def node_exists(client: consul.Consul, node: str) -> bool:
    """Whether Consul's catalog knows ``node`` (a request for it could be answered)."""
    _, entry = client.catalog.node(node)
    return entry is not None


def agent_trouble(client: consul.Consul, node: str) -> str:
    """Why ``node``'s agent may not be answering, from its liveness check; or ""."""
    _, checks = client.health.node(node)
    check = next(
        (c for c in checks or [] if c.get("CheckID") == kvlayout.AGENT_CHECK_ID), None
    )
    if check is None:
        return f"{node} has no NexusLite agent check; is 'nexus agent' running there?"
    if check.get("Status") == "critical":
        output = (check.get("Output") or "").strip().splitlines()
        detail = f" ({output[0]})" if output else ""
        return f"{node}'s NexusLite agent check is critical{detail}"
    return ""


def describe_consul_error(exc: Exception, url: str) -> str:
    """One short sentence for a failed Consul call, without the HTTP library's noise."""
    if isinstance(exc, requests.exceptions.Timeout):
        return f"Consul at {url} did not answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot reach Consul at {url} (connection refused or no route)"
    text = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
    if isinstance(exc, consul.ACLPermissionDenied):
        return (
            f"Consul at {url} refused the ACL token: {text}; check NEXUS_CONSUL_TOKEN"
        )
    return f"Consul at {url} answered an error: {text}"


def new_request_id() -> str:
    return f"{int(time.time() * 1000):013d}-{secrets.token_hex(4)}"


def decode_request(raw: bytes | None) -> dict:
    """Parse a request value; raise kvlayout.LayoutError when it is not one."""
    value = _decode(raw, "request")
    if value.get("action") not in kvlayout.ACTIONS:
        raise kvlayout.LayoutError(f"unknown action {value.get('action')!r}")
    if value["action"] == "restart" and not value.get("service"):
        raise kvlayout.LayoutError("restart request names no service")
    return value


def encode_result(ok: bool, detail: str) -> bytes:
    value = {"v": kvlayout.VERSION, "ok": ok, "detail": detail, "at": time.time()}
    return json.dumps(value, separators=(",", ":")).encode()


def decode_result(raw: bytes | None) -> dict:
    value = _decode(raw, "result")
    if not isinstance(value.get("ok"), bool):
        raise kvlayout.LayoutError("result value has no ok flag")
    return value


def _decode(raw: bytes | None, kind: str) -> dict:
    try:
        value = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise kvlayout.LayoutError(f"{kind} value is not JSON") from exc

    if not isinstance(value, dict) or value.get("v") != kvlayout.VERSION:
        raise kvlayout.LayoutError(f"{kind} value is not version {kvlayout.VERSION}")
    return value
