"""The agent's presence in Consul: node TTL check, service registrations, metrics.

Every interval the registrar compares what the local Consul agent knows with what it
should know, registers what is missing (a restarted Consul agent forgets services),
deregisters services it once registered that are no longer declared, renews the node
TTL check and publishes a metrics sample. Consul trouble never reaches supervision:
a failed round is logged once and retried with a growing delay.
"""

import logging
import threading

import consul
import requests
from consul.callback import CB
from consul.exceptions import BadRequest

from nexuslite.agent.servicefile import ConsulRegistration, ServiceSpec
from nexuslite.agent.supervisor import one_line
from nexuslite.cluster import kvlayout
from nexuslite.metrics.sampler import MetricsSampler

log = logging.getLogger(__name__)

# Meta key marking registrations made by a NexusLite agent, so that it can find
# and remove its own leftovers after a restart without touching anyone else's.
MANAGED_META = "nexus-managed"
DEREGISTER_AFTER = "5m"
MAX_RETRY_SECONDS = 60.0

CONSUL_ERRORS = (consul.ConsulException, requests.RequestException)


def resolve_node_name(client: consul.Consul, configured: str) -> str:
    """The configured node name, else the local Consul agent's NodeName."""
    if configured:
        return configured
    # py-consul 1.8's agent.self() sends no ACL token, so ask with it explicitly.
    headers = client.prepare_headers(None)
    agent_self = client.http.get(CB.json(), "/v1/agent/self", headers=headers)
    return agent_self["Config"]["NodeName"]


def registration_payload(registration: ConsulRegistration, service_id: str) -> dict:
    """Keyword arguments of agent.service.register for one declared service."""
    check = registration.check
    payload = {
        "name": registration.name,
        "service_id": service_id,
        "port": registration.port or None,
        "tags": list(registration.tags),
        "meta": {**dict(registration.meta), MANAGED_META: "true"},
        "check": None,
    }
    if check.kind == "http":
        payload["check"] = consul.Check.http(
            check.target, check.interval, check.timeout, DEREGISTER_AFTER
        )
    elif check.kind == "tcp":
        host, port = check.target.rsplit(":", 1)
        payload["check"] = consul.Check.tcp(
            host, int(port), check.interval, check.timeout, DEREGISTER_AFTER
        )
    return payload


class Registrar:
    def __init__(
        self,
        client: consul.Consul,
        node_name: str,
        interval: float,
        sampler: MetricsSampler,
    ):
        self.client = client
        self.configured_node = node_name
        self.node = ""
        self.interval = interval
        self.sampler = sampler
        self._wanted: dict[str, dict] | None = None  # None until first declared
        self._registered: dict[str, dict] = {}
        self._refused: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._healthy: bool | None = None
        self._check_registered = False
        self._thread: threading.Thread | None = None

    def set_services(self, specs: dict[str, ServiceSpec]) -> None:
        """Declare the services to register (called on start and on each reload)."""
        wanted = {
            name: registration_payload(spec.consul, name)
            for name, spec in specs.items()
            if spec.consul is not None
        }
        with self._lock:
            self._wanted = wanted

    def start(self) -> "Registrar":
        self._thread = threading.Thread(
            target=self._run, name="nexus-registrar", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop renewing and deregister this agent's services (best effort)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 10)
        if not self.node:
            return
        try:
            for service_id in self._own_registrations():
                self.client.agent.service.deregister(service_id)
            self.client.agent.check.ttl_fail(kvlayout.AGENT_CHECK_ID, "agent stopped")
            log.info("consul: deregistered services of %s", self.node)
        except CONSUL_ERRORS as exc:
            log.warning("consul: shutdown clean-up incomplete (%s)", exc)

    def _run(self) -> None:
        delay = self.interval
        while True:
            try:
                self.sync_once()
                self._report(True, "")
                delay = self.interval
            except CONSUL_ERRORS as exc:
                self._report(False, str(exc))
                delay = min(max(delay * 2, 1.0), MAX_RETRY_SECONDS)
            if self._stop.wait(delay):
                return

    def sync_once(self) -> None:
        """One round: node check, registrations, TTL renewal, metrics."""
        if not self.node:
            self.node = resolve_node_name(self.client, self.configured_node)
            log.info("consul: this node is %s", self.node)

        self._ensure_agent_check()
        self._sync_services()
        self.client.agent.check.ttl_pass(kvlayout.AGENT_CHECK_ID, "agent running")
        self._publish_metrics()

    def _ensure_agent_check(self) -> None:
        """Register the TTL check once per agent run, and again when Consul lost it.

        Registering on the first round even when a check of that id exists replaces
        one that is not a TTL check (left by something else), which would refuse
        every renewal.
        """
        if (
            self._check_registered
            and kvlayout.AGENT_CHECK_ID in self.client.agent.checks()
        ):
            return
        ttl = f"{max(3 * self.interval, 10):g}s"
        self.client.agent.check.register(
            kvlayout.AGENT_CHECK_NAME,
            check=consul.Check.ttl(ttl),
            check_id=kvlayout.AGENT_CHECK_ID,
            notes="renewed by nexus agent every interval",
        )
        self._check_registered = True
        log.info("consul: registered check %s (ttl %s)", kvlayout.AGENT_CHECK_ID, ttl)

    def _sync_services(self) -> None:
        with self._lock:
            wanted = self._wanted
        if wanted is None:
            return
        known = self.client.agent.services()

        for service_id, payload in wanted.items():
            current = _matches(known.get(service_id), payload)
            if not current or self._registered.get(service_id) != payload:
                self._register(service_id, payload)

        for service_id in self._own_registrations(known):
            if service_id not in wanted:
                self.client.agent.service.deregister(service_id)
                self._registered.pop(service_id, None)
                log.info("consul: deregistered %s", service_id)

    def _register(self, service_id: str, payload: dict) -> None:
        """Register one service; a definition Consul refuses stays its own problem.

        A registration Consul rejects (400: a check it does not accept) is logged
        once per definition and skipped, so the node check and the other
        services are still kept up to date.
        """
        if self._refused.get(service_id) == payload:
            return
        try:
            self.client.agent.service.register(**payload)
        except BadRequest as exc:
            self._refused[service_id] = payload
            log.warning("consul: refused %s (%s)", service_id, one_line(str(exc)))
            return

        self._refused.pop(service_id, None)
        self._registered[service_id] = payload
        log.info("consul: registered %s as %s", service_id, payload["name"])

    def _own_registrations(self, known: dict | None = None) -> list[str]:
        known = self.client.agent.services() if known is None else known
        return [
            service_id
            for service_id, service in known.items()
            if (service.get("Meta") or {}).get(MANAGED_META) == "true"
        ]

    def _publish_metrics(self) -> None:
        metrics = self.sampler.latest()
        if metrics is not None:
            key = kvlayout.metrics_key(self.node)
            self.client.kv.put(key, kvlayout.encode_metrics(metrics))

    def _report(self, healthy: bool, problem: str) -> None:
        """Log only changes, so an outage is one line, not one per interval."""
        if healthy == self._healthy:
            return
        if healthy:
            log.info("consul: in sync (node %s)", self.node)
        else:
            log.warning("consul: unavailable, will retry (%s)", one_line(problem))
        self._healthy = healthy


def _matches(known: dict | None, payload: dict) -> bool:
    """Whether the agent's copy of a service is the one we would register now."""
    if known is None:
        return False
    return (
        known.get("Service") == payload["name"]
        and (known.get("Port") or None) == payload["port"]
        and list(known.get("Tags") or []) == payload["tags"]
        and dict(known.get("Meta") or {}) == payload["meta"]
    )
