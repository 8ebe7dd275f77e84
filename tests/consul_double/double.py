"""``ConsulDouble``: the control API tests use to build, change and inspect a cluster.

Everything here is a thin, typed front over ``ClusterState`` plus the listeners (one
per node agent endpoint) and the background scheduler. See README.md for the contract.
"""

import threading

from consul_double import faults
from consul_double.control import ControlApi
from consul_double.durations import coerce_duration
from consul_double.faults import FaultBoard
from consul_double.gateway import Gateway
from consul_double.listener import Listener
from consul_double.records import (
    CRITICAL,
    NODE_MAINTENANCE_ID,
    SERF_CHECK_ID,
    CheckRecord,
    Probe,
    ServiceRecord,
    render_agent_service,
    render_check,
)
from consul_double.request_log import RequestLog, RequestRecord
from consul_double.scheduler import Scheduler
from consul_double.state import ClusterState


class ConsulDouble:
    def __init__(
        self,
        default_server: str | None = "consul-1",
        datacenter: str = "dc1",
        max_wait: float = 30.0,
        tick: float = 0.05,
        start: bool = True,
        port: int = 0,
    ):
        self.default_server = default_server
        self.state = ClusterState(datacenter)
        self.faults = FaultBoard()
        self.gateway = Gateway(self.state, self.faults, max_wait)
        self.request_log = RequestLog()
        self.control = ControlApi(self)
        self.scheduler = Scheduler(self.state, tick)
        self._listeners: dict[str, Listener] = {}
        self._main_node: str | None = None
        self._main_port = port
        self._control_listener = Listener(
            "", self.gateway, self.faults, self.request_log, self.control.handle
        )
        self._control_listener.is_control_only = True
        self._lock = threading.RLock()
        self._started = False
        if start:
            self.start()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> "ConsulDouble":
        with self._lock:
            if self._started:
                return self
            self._started = True
            self.gateway.stopping = False
            self.scheduler.start()
            self._control_listener.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if not self._started:
                return
            self._started = False
            self.gateway.stopping = True
            self.faults.set(None)
            self.state.wake()
            for listener in self._listeners.values():
                listener.stop()
            self._control_listener.stop()
            self.scheduler.stop()

    def __enter__(self) -> "ConsulDouble":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- endpoints -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The agent endpoint of the first server node (added on demand)."""
        with self._lock:
            if self._main_node is None:
                self._main_node = self._pick_main_node()
            return self.agent_url(self._main_node)

    def _pick_main_node(self) -> str:
        with self.state.lock:
            servers = [n.name for n in self.state.nodes.values() if n.server]
        if servers:
            return servers[0]
        if self.default_server is None:
            raise RuntimeError("the double has no server node and default_server=None")
        self.add_node(self.default_server, server=True)
        return self.default_server

    @property
    def control_url(self) -> str:
        return self._control_listener.url

    def agent_url(self, node: str) -> str:
        """Start (once) and return the endpoint whose /v1/agent/* act on ``node``."""
        with self._lock:
            if node not in self.state.nodes:
                self.add_node(node)
            listener = self._listeners.get(node)
            if listener is None:
                port = self._main_port if node == self._main_node else 0
                listener = Listener(
                    node,
                    self.gateway,
                    self.faults,
                    self.request_log,
                    self.control.handle,
                    port,
                )
                self._listeners[node] = listener
                if self.faults.mode_for(node) != faults.DOWN:
                    listener.start()
            return listener.url

    # -- cluster state -------------------------------------------------------------

    def add_node(
        self,
        name: str,
        address: str = "127.0.0.1",
        meta: dict | None = None,
        server: bool = False,
        datacenter: str | None = None,
        tagged_addresses: dict | None = None,
    ) -> None:
        self.state.upsert_node(
            name, address, meta, server, datacenter, tagged_addresses
        )

    def remove_node(self, name: str) -> None:
        self.state.remove_node(name)
        with self._lock:
            listener = self._listeners.pop(name, None)
        if listener is not None:
            listener.stop()

    def add_service(
        self,
        node: str,
        name: str,
        service_id: str | None = None,
        port: int = 0,
        tags: list | None = None,
        meta: dict | None = None,
        address: str = "",
    ) -> str:
        service = ServiceRecord(
            node=node,
            service_id=service_id or name,
            name=name,
            tags=list(tags or []),
            address=address,
            port=port,
            meta=dict(meta or {}),
        )
        self.state.put_service(service)
        return service.service_id

    def add_check(
        self,
        node: str,
        check_id: str,
        name: str | None = None,
        status: str = CRITICAL,
        service_id: str | None = None,
        output: str = "",
        notes: str = "",
        check_type: str = "",
        ttl: float | str | None = None,
    ) -> str:
        ttl_seconds = _seconds(ttl) if ttl is not None else 0.0
        with self.state.lock:
            service_name = ""
            if service_id:
                service_name = self.state.services[node][service_id].name
            check = CheckRecord(
                node=node,
                check_id=check_id,
                name=name or check_id,
                status=status,
                notes=notes,
                output=output,
                service_id=service_id or "",
                service_name=service_name,
                check_type=check_type or ("ttl" if ttl_seconds else ""),
                probe=Probe(ttl=ttl_seconds),
            )
            self.state.put_check(check)
        return check_id

    def set_check(
        self, node: str, check_id: str, status: str, output: str | None = None
    ) -> None:
        self.state.update_check(node, check_id, status, output)

    def set_node_alive(self, node: str, alive: bool) -> None:
        self.state.set_node_alive(node, alive)

    def set_maintenance(self, node: str, enable: bool, reason: str = "") -> None:
        self.state.set_node_maintenance(node, enable, reason)

    def set_service_maintenance(
        self, node: str, service_id: str, enable: bool, reason: str = ""
    ) -> None:
        self.state.set_service_maintenance(node, service_id, enable, reason)

    def set_leader(self, node: str | None) -> None:
        with self.state.lock:
            if node is not None:
                self.state.require_node(node)
            self.state.leader = node
            self.state.changed.notify_all()

    def forget_agent_state(self, node: str) -> None:
        """The node's agent restarted without its API-registered services and checks."""
        state = self.state
        with state.lock:
            state.require_node(node)
            for service_id in list(state.services[node]):
                if service_id != "consul":
                    state.remove_service(node, service_id)
            for check_id in list(state.checks[node]):
                if check_id not in (SERF_CHECK_ID, NODE_MAINTENANCE_ID):
                    state.remove_check(node, check_id)

    @property
    def index(self) -> int:
        return self.state.index

    # -- KV ------------------------------------------------------------------------

    def kv_put(self, key: str, value: bytes | str, flags: int = 0) -> None:
        raw = value.encode() if isinstance(value, str) else bytes(value)
        self.state.kv_set(key, raw, flags=flags)

    def kv_get(self, key: str) -> bytes | None:
        with self.state.lock:
            entry = self.state.kv_entry(key)
            return entry.value if entry else None

    def kv_keys(self, prefix: str = "") -> list[str]:
        with self.state.lock:
            return [entry.key for entry in self.state.kv_prefix(prefix)]

    def kv_delete(self, key: str, recurse: bool = False) -> None:
        self.state.kv_remove(key, recurse=recurse)

    # -- inspection ----------------------------------------------------------------

    def services_on(self, node: str) -> dict:
        with self.state.lock:
            datacenter = self.state.require_node(node).datacenter
            services = self.state.services[node]
            return {
                sid: render_agent_service(services[sid], datacenter)
                for sid in sorted(services)
            }

    def checks_on(self, node: str) -> dict:
        with self.state.lock:
            self.state.require_node(node)
            checks = self.state.checks[node]
            return {
                cid: render_check(
                    checks[cid], self.state.service_tags(node, checks[cid].service_id)
                )
                for cid in sorted(checks)
            }

    # -- faults, ACLs, request log -------------------------------------------------

    def set_fault(self, mode: str | None, node: str | None = None) -> None:
        self.faults.set(mode, node)
        with self._lock:
            for name, listener in self._listeners.items():
                is_down = self.faults.mode_for(name) == faults.DOWN
                if is_down and listener.is_up:
                    listener.stop()
                elif not is_down and not listener.is_up and self._started:
                    listener.start()
        self.state.wake()

    def require_token(self, token: str | None) -> None:
        self.gateway.required_token = token

    @property
    def requests(self) -> list[RequestRecord]:
        return self.request_log.snapshot()

    def count_requests(self, path_prefix: str = "", method: str | None = None) -> int:
        return self.request_log.count(path_prefix, method)

    def reset_request_log(self) -> None:
        self.request_log.clear()


def _seconds(value: float | str) -> float:
    return coerce_duration(value) if isinstance(value, str) else float(value)
