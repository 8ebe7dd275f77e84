"""The overview's node filter: parsed from the query string, applied to a snapshot.

The same four parameters (status, role, pool, q) drive the plain GET form, the htmx
request and a bookmarked URL, so a filtered view is just a URL.
"""

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from nexuslite.cluster.model import NODE_STATUSES, ROLES, Node

MAX_TEXT = 100


class BadQuery(ValueError):
    """A query parameter the dashboard cannot honour; shown on a 400 page."""


@dataclass(frozen=True)
class NodeFilter:
    status: str = ""
    role: str = ""
    pool: str = ""
    q: str = ""

    @property
    def is_active(self) -> bool:
        return any((self.status, self.role, self.pool, self.q))

    def as_query(self) -> dict[str, str]:
        """The non-empty parameters, for url_for."""
        fields = {"status": self.status, "role": self.role, "pool": self.pool}
        fields["q"] = self.q
        return {key: value for key, value in fields.items() if value}

    def matches(self, node: Node) -> bool:
        if self.status and node.status != self.status:
            return False
        if self.role and self.role not in node.roles:
            return False
        if self.pool and node.pool != self.pool:
            return False
        return not self.q or self.q.casefold() in node.name.casefold()

    def apply(self, nodes: tuple[Node, ...]) -> list[Node]:
        return [node for node in nodes if self.matches(node)]


def parse_node_filter(args: MultiDict) -> NodeFilter:
    """Read the filter from request.args; raise BadQuery naming the bad parameter."""
    status = _choice(args, "status", NODE_STATUSES)
    role = _choice(args, "role", ROLES)
    pool = _text(args, "pool")
    q = _text(args, "q")
    return NodeFilter(status=status, role=role, pool=pool, q=q)


def _choice(args: MultiDict, name: str, allowed: tuple[str, ...]) -> str:
    value = args.get(name, "").strip()
    if value and value not in allowed:
        raise BadQuery(
            f"unknown {name} {_quoted(value)}; expected one of {', '.join(allowed)}"
        )
    return value


def _text(args: MultiDict, name: str) -> str:
    value = args.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise BadQuery(f"{name} is {len(value)} characters long; at most {MAX_TEXT}")
    return value


def _quoted(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")
