"""The /_double/ HTTP control path, for tests driving the double from another process.

Each route mirrors one ConsulDouble method (README.md lists them). Answers are JSON on
success, plain text with 400/404 on a bad request.
"""

from consul_double.exchange import Reply, json_reply, parse_go_bool
from consul_double.gateway import Incoming
from consul_double.messages import ApiError

PREFIX = "/_double/"


class ControlApi:
    def __init__(self, double):
        self.double = double
        self._routes = {
            ("GET", "state"): self.get_state,
            ("PUT", "check"): self.put_check,
            ("PUT", "fault"): self.put_fault,
            ("PUT", "alive"): self.put_alive,
            ("PUT", "maintenance"): self.put_maintenance,
            ("PUT", "leader"): self.put_leader,
            ("PUT", "node"): self.put_node,
            ("DELETE", "node"): self.delete_node,
            ("PUT", "forget"): self.put_forget,
            ("PUT", "token"): self.put_token,
            ("GET", "agent"): self.get_agent,
            ("GET", "requests"): self.get_requests,
            ("DELETE", "requests"): self.delete_requests,
        }

    def handle(self, incoming: Incoming) -> Reply:
        name = incoming.path[len(PREFIX) :]
        handler = self._routes.get((incoming.method, name))
        if handler is None:
            return _text(404, f"no control route {incoming.method} {incoming.path}")
        query = {k: v[0] for k, v in incoming.query.items()}
        try:
            return handler(query, incoming.query)
        except (KeyError, ValueError) as exc:
            return _text(400, f"{type(exc).__name__}: {exc}")
        except ApiError as exc:
            return _text(exc.status, exc.text)

    def get_state(self, query, _) -> Reply:
        state = self.double.state
        with state.lock:
            summary = {
                "index": state.index,
                "leader": state.leader,
                "fault": self.double.faults.everywhere,
                "nodes": len(state.nodes),
                "services": sum(len(s) for s in state.services.values()),
                "checks": sum(len(c) for c in state.checks.values()),
                "kv_keys": len(state.kv),
            }
        return json_reply(summary)

    def put_check(self, query, _) -> Reply:
        self.double.set_check(
            query["node"], query["check"], query["status"], query.get("output")
        )
        return json_reply(True)

    def put_fault(self, query, _) -> Reply:
        mode = query.get("mode") or "none"
        self.double.set_fault(None if mode == "none" else mode, query.get("node"))
        return json_reply(True)

    def put_alive(self, query, _) -> Reply:
        self.double.set_node_alive(query["node"], _flag(query, "alive"))
        return json_reply(True)

    def put_maintenance(self, query, _) -> Reply:
        enable = _flag(query, "enable")
        self.double.set_maintenance(query["node"], enable, query.get("reason", ""))
        return json_reply(True)

    def put_leader(self, query, _) -> Reply:
        self.double.set_leader(query.get("node") or None)
        return json_reply(True)

    def put_node(self, query, multi) -> Reply:
        meta = dict(item.split(":", 1) for item in multi.get("meta", []))
        self.double.add_node(
            query["name"],
            address=query.get("address", "127.0.0.1"),
            meta=meta,
            server=_flag(query, "server", default=False),
        )
        return json_reply(True)

    def delete_node(self, query, _) -> Reply:
        self.double.remove_node(query["name"])
        return json_reply(True)

    def put_forget(self, query, _) -> Reply:
        self.double.forget_agent_state(query["node"])
        return json_reply(True)

    def put_token(self, query, _) -> Reply:
        self.double.require_token(query.get("value") or None)
        return json_reply(True)

    def get_agent(self, query, _) -> Reply:
        return json_reply({"url": self.double.agent_url(query["node"])})

    def get_requests(self, query, _) -> Reply:
        count = self.double.count_requests(
            query.get("path_prefix", ""), query.get("method")
        )
        return json_reply({"count": count})

    def delete_requests(self, query, _) -> Reply:
        self.double.reset_request_log()
        return json_reply(True)


def _flag(query: dict, name: str, default: bool | None = None) -> bool:
    raw = query.get(name)
    if raw is None and default is not None:
        return default
    value = parse_go_bool(raw or "")
    if value is None:
        raise ValueError(f"{name} must be true or false, got {raw!r}")
    return value


def _text(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})
