"""The shared cluster: catalog, health checks, serf members, KV, sessions, raft index.

Every reader and writer goes through one lock; ``changed`` (a condition on that lock) is
notified on each commit, which is what blocking queries wait on. Lookups are indexed
(per node, per service name, sorted KV keys) so reads stay linear in their answer size.
No HTTP here: the API layer turns these results into responses.
"""

import bisect
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from consul_double import messages
from consul_double.messages import ApiError
from consul_double.records import (
    CHECK_STATUSES,
    CRITICAL,
    NODE_MAINTENANCE_ID,
    NODE_MAINTENANCE_NAME,
    PASSING,
    SERF_CHECK_ID,
    SERF_CHECK_NAME,
    SERVER_RPC_PORT,
    SERVICE_MAINTENANCE_NAME,
    SERVICE_MAINTENANCE_PREFIX,
    CheckRecord,
    JsonText,
    KVEntry,
    NodeRecord,
    ServiceRecord,
    SessionRecord,
    check_json,
    json_list,
    make_node_id,
    node_json,
    render_catalog_row,
    render_node,
    render_service,
    service_json,
)

TABLES = ("nodes", "services", "checks", "kv", "sessions")


@dataclass(frozen=True)
class Selector:
    """The ``?tag=`` and ``?node-meta=key:value`` filters: every one must match."""

    tags: tuple = ()
    node_meta: tuple = ()

    def matches(self, node: NodeRecord, service: ServiceRecord | None = None) -> bool:
        if any(node.meta.get(key) != value for key, value in self.node_meta):
            return False
        return service is None or all(tag in service.tags for tag in self.tags)


EVERYTHING = Selector()


class ClusterState:
    """One Consul datacenter as seen by its servers."""

    def __init__(
        self, datacenter: str = "dc1", clock: Callable[[], float] = time.monotonic
    ):
        self.datacenter = datacenter
        self.clock = clock
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.index = 1
        self.table_index = dict.fromkeys(TABLES, 1)
        self.leader: str | None = None
        self.nodes: dict[str, NodeRecord] = {}
        self.services: dict[str, dict[str, ServiceRecord]] = {}
        self.services_by_name: dict[str, dict[tuple[str, str], ServiceRecord]] = {}
        self.checks: dict[str, dict[str, CheckRecord]] = {}
        self.timed_checks: set[tuple[str, str]] = set()
        self.kv: dict[str, KVEntry] = {}
        self.kv_keys: list[str] = []
        self.tombstones: dict[str, int] = {}
        self.lock_delays: dict[str, float] = {}
        self.sessions: dict[str, SessionRecord] = {}

    # -- commits -------------------------------------------------------------------

    def commit(self, *tables: str) -> int:
        """Advance the raft index for ``tables`` and wake blocking queries."""
        self.index += 1
        for table in tables:
            self.table_index[table] = self.index
        self.changed.notify_all()
        return self.index

    def wake(self) -> None:
        """Wake blocking queries without a change (a fault or shutdown happened)."""
        with self.lock:
            self.changed.notify_all()

    def wait_for_change(
        self, current: Callable[[], int], after: int, timeout: float, done: Callable
    ) -> None:
        """Block until ``current()`` passes ``after``, the timeout or ``done()``."""
        deadline = self.clock() + timeout
        with self.lock:
            while current() <= after and not done():
                remaining = deadline - self.clock()
                if remaining <= 0:
                    return
                self.changed.wait(remaining)

    # -- nodes ---------------------------------------------------------------------

    def upsert_node(
        self,
        name: str,
        address: str,
        meta: dict | None = None,
        server: bool = False,
        datacenter: str | None = None,
        tagged_addresses: dict | None = None,
        is_member: bool = True,
    ) -> NodeRecord:
        """Add or update a node; a serf member also gets its serfHealth check."""
        with self.lock:
            node = self.nodes.get(name)
            index = self.commit("nodes")
            if node is None:
                node = NodeRecord(
                    name=name,
                    address=address,
                    datacenter=datacenter or self.datacenter,
                    meta=dict(meta or {}),
                    tagged_addresses=dict(tagged_addresses or {}),
                    server=server,
                    node_id=make_node_id(name),
                    is_member=is_member,
                    create_index=index,
                )
                self.nodes[name] = node
                self.services[name] = {}
                self.checks[name] = {}
                if is_member:
                    self._add_serf_check(node)
            else:
                node.address = address
                node.meta = dict(meta if meta is not None else node.meta)
                node.server = server
                if tagged_addresses is not None:
                    node.tagged_addresses = dict(tagged_addresses)
            node.modify_index = index

            if server:
                self._add_consul_service(node)
                if self.leader is None:
                    self.leader = name
            return node

    def _add_serf_check(self, node: NodeRecord) -> None:
        self.put_check(
            CheckRecord(
                node=node.name,
                check_id=SERF_CHECK_ID,
                name=SERF_CHECK_NAME,
                status=PASSING if node.alive else CRITICAL,
                output=messages.SERF_ALIVE if node.alive else messages.SERF_DEAD,
            )
        )

    def _add_consul_service(self, node: NodeRecord) -> None:
        if "consul" not in self.services[node.name]:
            consul = ServiceRecord(node.name, "consul", "consul", port=SERVER_RPC_PORT)
            self.put_service(consul)

    def require_node(self, name: str) -> NodeRecord:
        node = self.nodes.get(name)
        if node is None:
            raise KeyError(f"no node {name!r} in the double")
        return node

    def remove_node(self, name: str) -> None:
        with self.lock:
            self.require_node(name)
            for session in [s for s in self.sessions.values() if s.node == name]:
                self.invalidate_session(session.session_id)
            for service_id in list(self.services[name]):
                self.remove_service(name, service_id)
            for check_id in list(self.checks[name]):
                self.remove_check(name, check_id)
            del self.nodes[name], self.services[name], self.checks[name]
            if self.leader == name:
                self.leader = self._next_leader()
            self.commit("nodes")

    def _next_leader(self) -> str | None:
        servers = sorted(n.name for n in self.nodes.values() if n.server and n.alive)
        return servers[0] if servers else None

    def set_node_alive(self, name: str, alive: bool) -> None:
        with self.lock:
            node = self.require_node(name)
            node.alive = alive
            self.commit("nodes")
            if SERF_CHECK_ID in self.checks[name]:
                status = PASSING if alive else CRITICAL
                output = messages.SERF_ALIVE if alive else messages.SERF_DEAD
                self.update_check(name, SERF_CHECK_ID, status, output)

    def leader_address(self) -> str:
        with self.lock:
            node = self.nodes.get(self.leader or "")
            return f"{node.address}:{SERVER_RPC_PORT}" if node else ""

    def peer_addresses(self) -> list[str]:
        with self.lock:
            servers = sorted((n for n in self.nodes.values() if n.server), key=_by_name)
            return [f"{n.address}:{SERVER_RPC_PORT}" for n in servers]

    # -- services ------------------------------------------------------------------

    def put_service(self, service: ServiceRecord) -> None:
        """Register or replace one service instance (its checks are left alone)."""
        with self.lock:
            self.require_node(service.node)
            old = self.services[service.node].get(service.service_id)
            index = self.commit("services")
            service.create_index = old.create_index if old else index
            service.modify_index = index
            if old is not None and old.name != service.name:
                self.services_by_name[old.name].pop((old.node, old.service_id))
                self._drop_empty_name(old.name)
            self.services[service.node][service.service_id] = service
            by_name = self.services_by_name.setdefault(service.name, {})
            by_name[(service.node, service.service_id)] = service

    def remove_service(self, node: str, service_id: str) -> bool:
        with self.lock:
            service = self.services.get(node, {}).pop(service_id, None)
            if service is None:
                return False
            self.services_by_name[service.name].pop((node, service_id))
            self._drop_empty_name(service.name)
            for check in list(self.checks[node].values()):
                if check.service_id == service_id:
                    self.remove_check(node, check.check_id)
            self.commit("services")
            return True

    def _drop_empty_name(self, name: str) -> None:
        if not self.services_by_name.get(name):
            self.services_by_name.pop(name, None)

    def service_tags(self, node: str, service_id: str) -> list:
        service = self.services.get(node, {}).get(service_id)
        return service.tags if service else []

    # -- checks --------------------------------------------------------------------

    def put_check(self, check: CheckRecord) -> None:
        """Register or replace a check; TTL and probe timers start now."""
        with self.lock:
            self.require_node(check.node)
            old = self.checks[check.node].get(check.check_id)
            index = self.commit("checks")
            check.create_index = old.create_index if old else index
            check.modify_index = index
            now = self.clock()
            check.critical_since = now if check.status == CRITICAL else None
            if check.probe.ttl:
                check.ttl_deadline = now + check.probe.ttl
            if check.probe.http or check.probe.tcp:
                check.next_run = now
            self.checks[check.node][check.check_id] = check

            key = (check.node, check.check_id)
            if (
                check.probe.ttl
                or check.next_run is not None
                or check.probe.deregister_after
            ):
                self.timed_checks.add(key)
            else:
                self.timed_checks.discard(key)
            if check.status == CRITICAL:
                self._invalidate_sessions_watching(check)

    def remove_check(self, node: str, check_id: str) -> bool:
        with self.lock:
            check = self.checks.get(node, {}).pop(check_id, None)
            if check is None:
                return False
            self.timed_checks.discard((node, check_id))
            self.commit("checks")
            return True

    def require_check(self, node: str, check_id: str) -> CheckRecord:
        check = self.checks.get(node, {}).get(check_id)
        if check is None:
            raise KeyError(f"no check {check_id!r} on node {node!r}")
        return check

    def update_check(
        self, node: str, check_id: str, status: str, output: str | None = None
    ) -> None:
        """Set status/output; commits only when something changed, as Consul does."""
        if status not in CHECK_STATUSES:
            raise ValueError(
                f"check status must be one of {CHECK_STATUSES}: {status!r}"
            )

        with self.lock:
            check = self.require_check(node, check_id)
            output = check.output if output is None else output
            if check.status == status and check.output == output:
                return

            if status == CRITICAL and check.status != CRITICAL:
                check.critical_since = self.clock()
            elif status != CRITICAL:
                check.critical_since = None
            check.status = status
            check.output = output
            check.modify_index = self.commit("checks")
            if status == CRITICAL:
                self._invalidate_sessions_watching(check)

    def update_ttl_check(
        self, node: str, check_id: str, status: str, output: str
    ) -> None:
        """pass/warn/fail/update on the agent: only TTL checks accept it."""
        with self.lock:
            check = self.checks.get(node, {}).get(check_id)
            if check is None:
                raise ApiError(404, messages.UNKNOWN_CHECK.format(check_id))
            if not check.probe.ttl:
                raise ApiError(500, messages.NOT_TTL.format(check_id))
            check.ttl_deadline = self.clock() + check.probe.ttl
            self.update_check(node, check_id, status, output)

    def set_node_maintenance(self, node: str, enable: bool, reason: str) -> None:
        with self.lock:
            self.require_node(node)
            present = NODE_MAINTENANCE_ID in self.checks[node]
            if enable and not present:
                notes = reason or messages.NODE_MAINTENANCE_NOTES
                self.put_check(
                    CheckRecord(
                        node, NODE_MAINTENANCE_ID, NODE_MAINTENANCE_NAME, notes=notes
                    )
                )
            elif not enable and present:
                self.remove_check(node, NODE_MAINTENANCE_ID)

    def set_service_maintenance(
        self, node: str, service_id: str, enable: bool, reason: str
    ) -> None:
        with self.lock:
            service = self.services.get(node, {}).get(service_id)
            if service is None:
                raise ApiError(404, messages.UNKNOWN_SERVICE.format(service_id))
            check_id = SERVICE_MAINTENANCE_PREFIX + service_id
            present = check_id in self.checks[node]
            if enable and not present:
                check = CheckRecord(
                    node,
                    check_id,
                    SERVICE_MAINTENANCE_NAME,
                    notes=reason or messages.SERVICE_MAINTENANCE_NOTES,
                    service_id=service_id,
                    service_name=service.name,
                )
                self.put_check(check)
            elif not enable and present:
                self.remove_check(node, check_id)

    # -- reads: catalog ------------------------------------------------------------

    def catalog_services(self) -> dict:
        services = {}
        for name in sorted(self.services_by_name):
            tags = {t for s in self.services_by_name[name].values() for t in s.tags}
            services[name] = sorted(tags)
        return services

    def catalog_service(self, name: str, selector: Selector = EVERYTHING) -> list:
        rows = []
        for (node, _), service in sorted(self.services_by_name.get(name, {}).items()):
            if selector.matches(self.nodes[node], service):
                rows.append(render_catalog_row(self.nodes[node], service))
        return rows

    def catalog_node(self, name: str) -> dict | None:
        node = self.nodes.get(name)
        if node is None:
            return None
        services = self.services[name]
        return {
            "Node": render_node(node),
            "Services": {
                sid: render_service(services[sid]) for sid in sorted(services)
            },
        }

    # -- reads: health -------------------------------------------------------------

    def _service_of(self, check: CheckRecord) -> ServiceRecord | None:
        return (
            self.services[check.node].get(check.service_id)
            if check.service_id
            else None
        )

    def _check_fragments(self, node: str, service_id: str | None = None) -> list:
        """Checks on ``node``; with ``service_id``: node-level + that instance's."""
        checks = self.checks.get(node, {})
        return [
            check_json(checks[cid], self._service_of(checks[cid]))
            for cid in sorted(checks)
            if service_id is None or checks[cid].service_id in ("", service_id)
        ]

    def _is_all_passing(self, node: str, service_id: str) -> bool:
        return all(
            c.status == PASSING
            for c in self.checks[node].values()
            if c.service_id in ("", service_id)
        )

    def health_node(self, name: str) -> JsonText:
        return json_list(self._check_fragments(name))

    def health_checks(self, service_name: str) -> JsonText:
        fragments = []
        for node, service_id in sorted(self.services_by_name.get(service_name, {})):
            checks = self.checks[node]
            for check_id in sorted(checks):
                check = checks[check_id]
                if check.service_id == service_id:
                    fragments.append(check_json(check, self._service_of(check)))
        return json_list(fragments)

    def health_service(
        self, name: str, passing_only: bool, selector: Selector = EVERYTHING
    ) -> JsonText:
        fragments = []
        for (node, service_id), service in sorted(
            self.services_by_name.get(name, {}).items()
        ):
            if not selector.matches(self.nodes[node], service):
                continue
            if passing_only and not self._is_all_passing(node, service_id):
                continue
            checks = json_list(self._check_fragments(node, service_id))
            fragments.append(
                b'{"Node":'
                + node_json(self.nodes[node])
                + b',"Service":'
                + service_json(service)
                + b',"Checks":'
                + checks
                + b"}"
            )
        return json_list(fragments)

    def health_state(self, state: str) -> JsonText:
        fragments = []
        for node in sorted(self.checks):
            checks = self.checks[node]
            for check_id in sorted(checks):
                check = checks[check_id]
                if state == "any" or check.status == state:
                    fragments.append(check_json(check, self._service_of(check)))
        return json_list(fragments)

    def catalog_nodes(self, selector: Selector = EVERYTHING) -> JsonText:
        nodes = sorted(self.nodes.values(), key=_by_name)
        return json_list([node_json(n) for n in nodes if selector.matches(n)])

    # -- KV ------------------------------------------------------------------------

    def kv_entry(self, key: str) -> KVEntry | None:
        return self.kv.get(key)

    def kv_prefix(self, prefix: str) -> list[KVEntry]:
        start = bisect.bisect_left(self.kv_keys, prefix)
        entries = []
        for key in self.kv_keys[start:]:
            if not key.startswith(prefix):
                break
            entries.append(self.kv[key])
        return entries

    def kv_key_index(self, key: str) -> int:
        entry = self.kv.get(key)
        return entry.modify_index if entry else self.table_index["kv"]

    def kv_prefix_index(self, prefix: str) -> int:
        newest = max((e.modify_index for e in self.kv_prefix(prefix)), default=0)
        for key, index in self.tombstones.items():
            if key.startswith(prefix):
                newest = max(newest, index)
        return newest or self.table_index["kv"]

    def kv_set(
        self,
        key: str,
        value: bytes,
        flags: int | None = None,
        cas: int | None = None,
        acquire: str | None = None,
        release: str | None = None,
    ) -> bool:
        with self.lock:
            entry = self.kv.get(key)
            if cas is not None and not _cas_matches(entry, cas):
                return False
            if acquire is not None:
                return self._kv_acquire(key, entry, value, flags, acquire)
            if release is not None:
                return self._kv_release(entry, value, flags, release)
            self._kv_write(key, entry, value, flags)
            return True

    def _kv_write(
        self,
        key: str,
        entry: KVEntry | None,
        value: bytes,
        flags: int | None,
        session: str | None = None,
        lock_index: int | None = None,
    ) -> None:
        new_flags = flags if flags is not None else (entry.flags if entry else 0)
        new_session = (
            session if session is not None else (entry.session if entry else "")
        )
        if lock_index is None:
            lock_index = entry.lock_index if entry else 0
        if entry is not None and (entry.value, entry.flags, entry.session) == (
            value,
            new_flags,
            new_session,
        ):
            return

        index = self.commit("kv")
        if entry is None:
            entry = KVEntry(key, value, create_index=index)
            self.kv[key] = entry
            bisect.insort(self.kv_keys, key)
            self.tombstones.pop(key, None)
        entry.value, entry.flags, entry.session = value, new_flags, new_session
        entry.lock_index = lock_index
        entry.modify_index = index

    def _kv_acquire(self, key, entry, value, flags, session_id) -> bool:
        if not session_id:
            raise ApiError(500, messages.MISSING_SESSION)
        if session_id not in self.sessions:
            raise ApiError(500, messages.INVALID_SESSION.format(session_id))
        if entry is not None and entry.session == session_id:
            self._kv_write(key, entry, value, flags)
            return True
        if entry is not None and entry.session:
            return False
        if self.lock_delays.get(key, 0) > self.clock():
            return False

        lock_index = (entry.lock_index if entry else 0) + 1
        self._kv_write(
            key, entry, value, flags, session=session_id, lock_index=lock_index
        )
        return True

    def _kv_release(self, entry, value, flags, session_id) -> bool:
        if not session_id:
            raise ApiError(500, messages.MISSING_SESSION)
        if entry is None or entry.session != session_id:
            return False
        self._kv_write(entry.key, entry, value, flags, session="")
        return True

    def kv_remove(
        self, key: str, recurse: bool = False, cas: int | None = None
    ) -> bool:
        with self.lock:
            if cas is not None:
                entry = self.kv.get(key)
                if entry is None or cas == 0 or entry.modify_index != cas:
                    return False
            doomed = [e.key for e in self.kv_prefix(key)] if recurse else [key]
            doomed = [k for k in doomed if k in self.kv]
            if not doomed:
                return True
            index = self.commit("kv")
            for doomed_key in doomed:
                del self.kv[doomed_key]
                self.kv_keys.pop(bisect.bisect_left(self.kv_keys, doomed_key))
                self.tombstones[doomed_key] = index
            return True

    # -- sessions ------------------------------------------------------------------

    def create_session(
        self,
        node: str,
        name: str,
        lock_delay: float,
        behavior: str,
        ttl: str,
        ttl_seconds: float,
        node_checks: list,
        service_checks: list | None,
    ) -> str:
        with self.lock:
            if node not in self.nodes:
                raise ApiError(500, messages.SESSION_MISSING_NODE)
            for check_id in node_checks:
                check = self.checks[node].get(check_id)
                if check is None:
                    raise ApiError(500, messages.SESSION_CHECK_MISSING.format(check_id))
                if check.status == CRITICAL:
                    raise ApiError(
                        500, messages.SESSION_CHECK_CRITICAL.format(check_id)
                    )

            session = SessionRecord(
                session_id=str(uuid.uuid4()),
                name=name,
                node=node,
                lock_delay=lock_delay,
                behavior=behavior,
                ttl=ttl,
                node_checks=list(node_checks),
                service_checks=service_checks,
                ttl_seconds=ttl_seconds,
            )
            if ttl_seconds:
                session.expires_at = self.clock() + 2 * ttl_seconds
            session.create_index = session.modify_index = self.commit("sessions")
            self.sessions[session.session_id] = session
            return session.session_id

    def renew_session(self, session_id: str) -> SessionRecord | None:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is not None and session.ttl_seconds:
                session.expires_at = self.clock() + 2 * session.ttl_seconds
            return session

    def invalidate_session(self, session_id: str) -> None:
        """Destroy a session: release or delete its locks and start lock-delay."""
        with self.lock:
            session = self.sessions.pop(session_id, None)
            if session is None:
                return
            self.commit("sessions")
            held = [e for e in self.kv.values() if e.session == session_id]
            for entry in held:
                if session.lock_delay:
                    self.lock_delays[entry.key] = self.clock() + session.lock_delay
                if session.behavior == "delete":
                    self.kv_remove(entry.key)
                else:
                    self._kv_write(entry.key, entry, entry.value, None, session="")

    def _invalidate_sessions_watching(self, check: CheckRecord) -> None:
        for session in list(self.sessions.values()):
            if session.node == check.node and check.check_id in session.node_checks:
                self.invalidate_session(session.session_id)

    # -- time-driven changes -------------------------------------------------------

    def expire(self) -> list[CheckRecord]:
        """Apply TTL expiry, service reaping and session expiry; return due probes."""
        with self.lock:
            now = self.clock()
            due = []
            for node, check_id in list(self.timed_checks):
                check = self.checks.get(node, {}).get(check_id)
                if check is None:
                    continue
                self._expire_ttl(check, now)
                if self._is_reapable(check, now):
                    self.remove_service(node, check.service_id)
                    continue
                if (
                    check.next_run is not None
                    and check.next_run <= now
                    and not check.running
                ):
                    check.running = True
                    due.append(check)
            for session in list(self.sessions.values()):
                if session.expires_at is not None and session.expires_at <= now:
                    self.invalidate_session(session.session_id)
            return due

    def _expire_ttl(self, check: CheckRecord, now: float) -> None:
        if (
            not check.probe.ttl
            or check.ttl_deadline is None
            or check.ttl_deadline > now
        ):
            return
        check.ttl_deadline = None
        if check.output and not check.output.startswith(messages.TTL_EXPIRED):
            output = messages.TTL_EXPIRED_WITH_OUTPUT.format(check.output)
        else:
            output = check.output or messages.TTL_EXPIRED
        self.update_check(check.node, check.check_id, CRITICAL, output)

    def _is_reapable(self, check: CheckRecord, now: float) -> bool:
        after = check.probe.deregister_after
        if not after or not check.service_id or check.critical_since is None:
            return False
        return now - check.critical_since >= after

    def record_probe(self, check: CheckRecord, status: str, output: str) -> None:
        """Store a finished HTTP/TCP run, unless the check was replaced meanwhile."""
        with self.lock:
            check.running = False
            check.next_run = self.clock() + max(check.probe.interval, 0.01)
            current = self.checks.get(check.node, {}).get(check.check_id)
            if current is check:
                self.update_check(check.node, check.check_id, status, output)


def _by_name(node: NodeRecord) -> str:
    return node.name


def _cas_matches(entry: KVEntry | None, cas: int) -> bool:
    if cas == 0:
        return entry is None
    return entry is not None and entry.modify_index == cas
