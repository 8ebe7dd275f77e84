"""The /v1/ route table: path, allowed methods, handler, family and ACL resource.

Methods follow agent/http_register.go (common.md). A path ending in "/" is a prefix;
the rest of the path is passed to the handler as ``Call.rest``. Handlers are keyed by
method so a route like /v1/kv/ can map GET, PUT and DELETE separately.
"""

from dataclasses import dataclass

from consul_double import agent_api, catalog_api, kv_api, session_api

AGENT = "agent"
STATUS = "status"
CATALOG = "catalog"
HEALTH = "health"
KV = "kv"
SESSION = "session"

# Families whose reads carry index headers and which need a raft leader.
RAFT_FAMILIES = (CATALOG, HEALTH, KV, SESSION)


@dataclass(frozen=True)
class Route:
    path: str
    handlers: dict  # method -> handler
    family: str
    resource: str  # ACL resource: agent, node, service, key, session, "" for none
    filters_anonymous: bool = False  # list read: anonymous sees an empty answer

    @property
    def is_prefix(self) -> bool:
        return self.path.endswith("/")

    @property
    def allow(self) -> str:
        return ",".join(["OPTIONS", *sorted(self.handlers)])


def _get(path, handler, family, resource, filters=False) -> Route:
    return Route(path, {"GET": handler}, family, resource, filters)


def _put(path, handler, family, resource) -> Route:
    return Route(path, {"PUT": handler}, family, resource)


ROUTES = [
    _get("/v1/status/leader", catalog_api.get_leader, STATUS, ""),
    _get("/v1/status/peers", catalog_api.get_peers, STATUS, ""),
    _get("/v1/agent/self", agent_api.get_self, AGENT, "agent"),
    _get("/v1/agent/members", agent_api.get_members, AGENT, "node", True),
    _get("/v1/agent/services", agent_api.get_services, AGENT, "service", True),
    _get("/v1/agent/checks", agent_api.get_checks, AGENT, "node", True),
    _get("/v1/agent/service/", agent_api.get_service, AGENT, "service"),
    _get("/v1/agent/health/service/id/", agent_api.get_health_by_id, AGENT, "service"),
    _get(
        "/v1/agent/health/service/name/", agent_api.get_health_by_name, AGENT, "service"
    ),
    _put("/v1/agent/maintenance", agent_api.put_maintenance, AGENT, "node"),
    _put(
        "/v1/agent/service/register", agent_api.put_service_register, AGENT, "service"
    ),
    _put(
        "/v1/agent/service/deregister/",
        agent_api.put_service_deregister,
        AGENT,
        "service",
    ),
    _put(
        "/v1/agent/service/maintenance/",
        agent_api.put_service_maintenance,
        AGENT,
        "service",
    ),
    _put("/v1/agent/check/register", agent_api.put_check_register, AGENT, "node"),
    _put("/v1/agent/check/deregister/", agent_api.put_check_deregister, AGENT, "node"),
    _put("/v1/agent/check/pass/", agent_api.put_check_pass, AGENT, "node"),
    _put("/v1/agent/check/warn/", agent_api.put_check_warn, AGENT, "node"),
    _put("/v1/agent/check/fail/", agent_api.put_check_fail, AGENT, "node"),
    _put("/v1/agent/check/update/", agent_api.put_check_update, AGENT, "node"),
    _put("/v1/agent/reload", agent_api.put_nothing, AGENT, "agent"),
    _put("/v1/agent/join/", agent_api.put_nothing, AGENT, "agent"),
    _put("/v1/agent/leave", agent_api.put_nothing, AGENT, "agent"),
    _put("/v1/catalog/register", catalog_api.put_register, CATALOG, "node"),
    _put("/v1/catalog/deregister", catalog_api.put_deregister, CATALOG, "node"),
    _get("/v1/catalog/datacenters", catalog_api.get_datacenters, STATUS, ""),
    _get("/v1/catalog/nodes", catalog_api.get_nodes, CATALOG, "node", True),
    _get("/v1/catalog/services", catalog_api.get_services, CATALOG, "service", True),
    _get("/v1/catalog/service/", catalog_api.get_service, CATALOG, "service", True),
    _get("/v1/catalog/node/", catalog_api.get_node, CATALOG, "node", True),
    _get(
        "/v1/catalog/node-services/",
        catalog_api.get_node_services,
        CATALOG,
        "node",
        True,
    ),
    _get("/v1/health/node/", catalog_api.get_health_node, HEALTH, "node", True),
    _get("/v1/health/checks/", catalog_api.get_health_checks, HEALTH, "service", True),
    _get(
        "/v1/health/service/", catalog_api.get_health_service, HEALTH, "service", True
    ),
    _get("/v1/health/state/", catalog_api.get_health_state, HEALTH, "node", True),
    Route(
        "/v1/kv/",
        {"GET": kv_api.get_key, "PUT": kv_api.put_key, "DELETE": kv_api.delete_key},
        KV,
        "key",
    ),
    _put("/v1/session/create", session_api.put_create, SESSION, "session"),
    _put("/v1/session/destroy/", session_api.put_destroy, SESSION, "session"),
    _put("/v1/session/renew/", session_api.put_renew, SESSION, "session"),
    _get("/v1/session/info/", session_api.get_info, SESSION, "session", True),
    _get("/v1/session/node/", session_api.get_node, SESSION, "session", True),
    _get("/v1/session/list", session_api.get_list, SESSION, "session", True),
]

_EXACT = {r.path: r for r in ROUTES if not r.is_prefix}
_PREFIXES = sorted((r for r in ROUTES if r.is_prefix), key=lambda r: -len(r.path))


def find_route(path: str) -> tuple[Route, str] | None:
    """Return the route serving ``path`` and the rest of the path after its prefix."""
    if path in _EXACT:
        return _EXACT[path], ""
    for route in _PREFIXES:
        if path.startswith(route.path):
            return route, path[len(route.path) :]
    return None
