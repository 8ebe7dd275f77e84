"""The supervision state machine: which service runs, and what to do when one exits.

The supervisor never blocks and never waits: the agent's main loop feeds it exits
(``on_exit``), operator commands and the passing of time (``tick``), and asks it when
it next needs attention (``seconds_until_due``). Every state change goes through
``_move``, which checks it against ``states.TRANSITIONS`` and logs one line::

    state: web running -> backoff (exit status 1; not expected)
"""

import logging
import math
import signal
from dataclasses import dataclass

from nexuslite.agent import states
from nexuslite.agent.servicefile import ServiceSpec
from nexuslite.agent.system import SpawnError, System, describe_exit, is_clean_exit

log = logging.getLogger(__name__)


def one_line(text: str) -> str:
    """``text`` with control characters escaped, so a log entry stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Refused(Exception):
    """An operator command the supervisor will not carry out now; says why."""


class TransitionError(RuntimeError):
    """A state change the state table does not allow: a bug in the supervisor."""


@dataclass
class Service:
    """What the supervisor knows of one service at this moment."""

    spec: ServiceSpec
    state: str = states.STOPPED
    pid: int = 0
    started_at: float = 0.0
    restarts: int = 0
    quick_failures: int = 0
    due_at: float = math.inf
    detail: str = ""
    start_after_stop: bool = False
    remove_after_stop: bool = False
    replacement: ServiceSpec | None = None

    @property
    def name(self) -> str:
        return self.spec.name


class Supervisor:
    def __init__(self, system: System):
        self.system = system
        self.services: dict[str, Service] = {}
        self.shutting_down = False

    # --- operator and reload commands -------------------------------------------

    def apply(self, specs: dict[str, ServiceSpec]) -> None:
        """Make the supervised set match ``specs``: start, stop or restart the diff."""
        for name, service in self.services.items():
            if name not in specs:
                service.remove_after_stop = True
                service.start_after_stop = False
                service.replacement = None
                self._stop(service, "removed from services file")
                continue

            if service.remove_after_stop:  # removed, then declared again
                service.remove_after_stop = False
                service.start_after_stop = True
            wanted = specs[name]
            service.replacement = wanted if wanted != service.spec else None
            if service.replacement is not None:
                service.start_after_stop = True
                self._stop(service, "changed in services file")

        for name, spec in specs.items():
            if name not in self.services:
                self.services[name] = Service(spec)
                self.start(name)

        self._settle_stopped()

    def start(self, name: str) -> str:
        service = self._get(name)
        if self.shutting_down:
            raise Refused(f"{name} not started: the agent is shutting down")
        if service.state in (states.STARTING, states.RUNNING):
            return f"{name} is already {service.state}"
        if service.state == states.STOPPING:
            service.start_after_stop = True
            return f"{name} will start once stopped"

        service.quick_failures = 0
        self._spawn(service)
        return f"{name} {service.state}"

    def stop(self, name: str) -> str:
        service = self._get(name)
        service.start_after_stop = False
        self._stop(service, "asked to stop")
        return f"{name} {service.state}"

    def restart(self, name: str) -> str:
        service = self._get(name)
        if self.shutting_down:
            raise Refused(f"{name} not restarted: the agent is shutting down")
        if service.state not in states.ALIVE:
            return self.start(name)

        service.start_after_stop = True
        self._stop(service, "asked to restart")
        return f"{name} restarting"

    def stop_all(self) -> None:
        """Stop every service for good: later start and restart requests are refused."""
        self.shutting_down = True
        for service in self.services.values():
            service.start_after_stop = False
            self._stop(service, "agent shutting down")

    def is_idle(self) -> bool:
        """True when no service has a process left."""
        return all(s.state not in states.ALIVE for s in self.services.values())

    def owns(self, name: str) -> bool:
        return name in self.services

    # --- events from the main loop ----------------------------------------------

    def on_exit(self, pid: int, status: int) -> None:
        """A child was reaped; orphans adopted by the agent are simply dropped."""
        service = self._by_pid(pid)
        if service is None:
            return

        service.pid = 0
        leftovers = self.system.signal_group(pid, signal.SIGKILL)
        strays = self.system.signal_strays(service.name, signal.SIGKILL, pid)
        how = describe_exit(status)
        if leftovers or strays:
            how += "; killed the processes it left behind"

        if service.state == states.STOPPING:
            self._move(service, states.STOPPED, how)
            self._after_stop(service)
        elif not self._wants_restart(service, status):
            self._move(service, states.STOPPED, f"{how}; expected")
        elif service.state == states.STARTING:
            self._fail_quickly(service, f"{how}; exited before start seconds")
        else:
            service.quick_failures = 0
            self._move(service, states.BACKOFF, f"{how}; not expected")
            service.due_at = self.system.now()

    def tick(self) -> None:
        """Act on every deadline that has passed."""
        now = self.system.now()
        for service in list(self.services.values()):
            if service.due_at > now:
                continue

            service.due_at = math.inf
            if service.state == states.STARTING:
                seconds = f"{service.spec.start_seconds:g}s"
                self._move(service, states.RUNNING, f"start counted after {seconds}")
                service.quick_failures = 0
            elif service.state == states.BACKOFF:
                service.restarts += 1
                self._spawn(service)
            elif service.state == states.STOPPING:
                self._signal(service, signal.SIGKILL)
                log.warning("kill: %s (stop timeout passed; SIGKILL)", service.name)

    def seconds_until_due(self, cap: float) -> float:
        nearest = min((s.due_at for s in self.services.values()), default=math.inf)
        return max(0.0, min(cap, nearest - self.system.now()))

    def status(self) -> list[dict]:
        """One row per service for ``nexus status``; plain data, safe to hand off."""
        now = self.system.now()
        rows = []
        for service in self.services.values():
            alive = service.state in (states.STARTING, states.RUNNING)
            rows.append(
                {
                    "name": service.name,
                    "state": service.state,
                    "pid": service.pid or None,
                    "uptime": round(now - service.started_at, 1) if alive else None,
                    "restarts": service.restarts,
                    "detail": service.detail,
                }
            )
        return rows

    # --- internals ----------------------------------------------------------------

    def _spawn(self, service: Service) -> None:
        self._move(service, states.STARTING, " ".join(service.spec.argv)[:200])
        try:
            service.pid = self.system.spawn(service.spec)
        except SpawnError as exc:
            self._fail_quickly(service, f"spawn error: {exc}")
            return

        service.started_at = self.system.now()
        service.due_at = service.started_at + service.spec.start_seconds
        log.info("spawned: %s (pid %d)", service.name, service.pid)

    def _stop(self, service: Service, reason: str) -> None:
        if service.state in (states.STARTING, states.RUNNING):
            self._signal(service, service.spec.stop_signal)
            self._move(service, states.STOPPING, reason)
            service.due_at = self.system.now() + service.spec.stop_timeout
        elif service.state in (states.BACKOFF, states.FATAL):
            self._move(service, states.STOPPED, reason)
            service.due_at = math.inf

    def _signal(self, service: Service, sig: int) -> None:
        """Signal the service's process group and any process that left it."""
        self.system.signal_group(service.pid, sig)
        self.system.signal_strays(service.name, sig, service.pid)

    def _after_stop(self, service: Service) -> None:
        service.due_at = math.inf
        if service.replacement is not None:
            service.spec, service.replacement = service.replacement, None
        if service.remove_after_stop:
            del self.services[service.name]
            log.info("removed: %s", service.name)
        elif service.start_after_stop:
            service.start_after_stop = False
            service.restarts += 1
            service.quick_failures = 0
            self._spawn(service)

    def _settle_stopped(self) -> None:
        """Finish removals and replacements of services that had no process."""
        for service in list(self.services.values()):
            if service.state in (states.STOPPED, states.FATAL) and (
                service.remove_after_stop or service.replacement is not None
            ):
                self._after_stop(service)

    def _fail_quickly(self, service: Service, detail: str) -> None:
        service.quick_failures += 1
        if service.quick_failures > service.spec.start_retries:
            self._move(service, states.FATAL, f"{detail}; gave up after retries")
            service.due_at = math.inf
            return

        spec = service.spec
        delay = spec.backoff_seconds * 2 ** (service.quick_failures - 1)
        delay = min(delay, spec.backoff_max)
        self._move(service, states.BACKOFF, f"{detail}; retry in {delay:g}s")
        service.due_at = self.system.now() + delay

    def _wants_restart(self, service: Service, status: int) -> bool:
        policy = service.spec.restart
        return policy == "always" or (
            policy == "on-failure" and not is_clean_exit(status)
        )

    def _move(self, service: Service, new: str, detail: str) -> None:
        """The one place a state changes."""
        old = service.state
        if new not in states.TRANSITIONS[old]:
            raise TransitionError(f"{service.name}: {old} -> {new} is not allowed")

        detail = one_line(detail)
        service.state, service.detail = new, detail
        level = (
            logging.WARNING if new in (states.BACKOFF, states.FATAL) else logging.INFO
        )
        log.log(level, "state: %s %s -> %s (%s)", service.name, old, new, detail)

    def _get(self, name: str) -> Service:
        service = self.services.get(name)
        if service is None:
            raise KeyError(name)
        return service

    def _by_pid(self, pid: int) -> Service | None:
        for service in self.services.values():
            if service.pid == pid:
                return service
        return None
