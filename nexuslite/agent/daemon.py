"""The running agent: one main loop that owns the supervisor and acts on events.

Signal handlers only record which signal came (Python writes a byte to the wake-up
pipe, so the loop's ``select`` returns at once); the loop then reaps every exited
child, runs queued commands from the control socket and the Consul link, and lets
time-based transitions happen. Nothing else touches the supervisor.
"""

import contextlib
import logging
import os
import queue
import select
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from nexuslite.agent.servicefile import ServiceSpec, load_services
from nexuslite.agent.supervisor import Refused, Supervisor
from nexuslite.agent.system import System
from nexuslite.errors import ConfigError

log = logging.getLogger(__name__)

# Longest the loop sleeps with nothing due; signals and commands wake it sooner.
IDLE_SECONDS = 5.0
COMMAND_TIMEOUT = 10.0

_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)


class CommandTimeout(Exception):
    """The main loop did not answer a command in time."""


class _Command:
    def __init__(self, action: Callable[[Supervisor], object]):
        self.action = action
        self.done = threading.Event()
        self.result: object = None
        self.error: Exception | None = None


class AgentDaemon:
    def __init__(self, services_file: Path, system: System | None = None):
        self.services_file = services_file
        self.system = system or System()
        self.supervisor = Supervisor(self.system)
        self.on_services_changed: list[Callable[[dict[str, ServiceSpec]], None]] = []
        self._commands: queue.Queue[_Command] = queue.Queue()
        self._signals: list[int] = []
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._stopping = False

    # --- called from other threads -------------------------------------------------

    def call(self, action: Callable[[Supervisor], object]) -> object:
        """Run ``action(supervisor)`` on the main loop and return what it returns."""
        command = _Command(action)
        self._commands.put(command)
        self._wake()
        if not command.done.wait(COMMAND_TIMEOUT):
            raise CommandTimeout("agent main loop did not answer")
        if command.error is not None:
            raise command.error
        return command.result

    # --- the main loop -------------------------------------------------------------

    def run(self, specs: dict[str, ServiceSpec]) -> None:
        """Supervise ``specs`` until SIGTERM or SIGINT, then stop them all."""
        self.system.become_subreaper()
        for name, pid in self.system.stop_leftovers():
            log.warning(
                "leftover: %s (pid %d left by an earlier agent; stopped)", name, pid
            )
        previous = self._install_signal_handlers()
        try:
            self._apply(specs)
            self._loop()
        finally:
            self._restore_signal_handlers(previous)
        log.info("agent: stopped (every service stopped)")

    def _loop(self) -> None:
        while not (self._stopping and self.supervisor.is_idle()):
            timeout = self.supervisor.seconds_until_due(IDLE_SECONDS)
            select.select([self._wake_read], [], [], timeout)
            self._drain_wake_pipe()

            self._handle_signals()
            for pid, status in self.system.reap():
                self.supervisor.on_exit(pid, status)
            self._run_commands()
            self.supervisor.tick()

    def _handle_signals(self) -> None:
        received, self._signals = self._signals, []
        for signum in received:
            if signum in (signal.SIGTERM, signal.SIGINT) and not self._stopping:
                log.info("agent: %s received, stopping", signal.Signals(signum).name)
                self._stopping = True
                self.supervisor.stop_all()
            elif signum == signal.SIGHUP and not self._stopping:
                self._reload()

    def _reload(self) -> None:
        try:
            specs = load_services(self.services_file)
        except ConfigError as exc:
            message = exc.format_message()
            log.error("reload: refused, keeping running set (%s)", message)
            return

        log.info("reload: %s (%d services)", self.services_file, len(specs))
        self._apply(specs)

    def _apply(self, specs: dict[str, ServiceSpec]) -> None:
        self.supervisor.apply(specs)
        for listener in self.on_services_changed:
            listener(specs)

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                command.result = command.action(self.supervisor)
            except (KeyError, Refused) as exc:
                command.error = exc  # unknown service, or not now: caller's to report
            command.done.set()

    # --- signals and the wake-up pipe ----------------------------------------------

    def _install_signal_handlers(self) -> dict:
        previous = {sig: signal.signal(sig, self._record_signal) for sig in _HANDLED}
        previous["wakeup_fd"] = signal.set_wakeup_fd(self._wake_write)
        return previous

    def _restore_signal_handlers(self, previous: dict) -> None:
        signal.set_wakeup_fd(previous.pop("wakeup_fd"))
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _record_signal(self, signum, frame) -> None:
        self._signals.append(signum)

    def _wake(self) -> None:
        # A full pipe means the loop is already due to wake.
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"c")

    def _drain_wake_pipe(self) -> None:
        try:
            while os.read(self._wake_read, 4096):
                pass
        except BlockingIOError:
            pass
