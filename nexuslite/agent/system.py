"""The operating system as the supervisor sees it: clock, spawn, signals, reaping.

Everything the state machine does to the outside world goes through ``System``, so
tests can swap in a fake and drive hours of restarts in milliseconds.
"""

import ctypes
import errno
import logging
import os
import signal
import subprocess
import time

from nexuslite.agent.servicefile import ServiceSpec
from nexuslite.agent.servicelog import ServiceLog

log = logging.getLogger(__name__)

_PR_SET_CHILD_SUBREAPER = 36


class SpawnError(Exception):
    """A service process could not be started (bad command, user, directory...)."""


def describe_exit(status: int) -> str:
    """Say how a process ended, from its raw wait status."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"terminated by {signal.Signals(-code).name}"
    return f"exit status {code}"


def is_clean_exit(status: int) -> bool:
    return os.waitstatus_to_exitcode(status) == 0


class System:
    """The real operating system."""

    def now(self) -> float:
        return time.monotonic()

    def become_subreaper(self) -> None:
        """Adopt orphaned grandchildren so they are reaped here, as PID 1 would."""
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            log.debug("cannot become a child subreaper; orphans go to init")

    def spawn(self, spec: ServiceSpec) -> int:
        """Start ``spec`` in a new session (its own process group); return its pid."""
        output = ServiceLog.open(spec.log) if spec.log.file else None
        try:
            process = subprocess.Popen(
                spec.argv,
                stdin=subprocess.DEVNULL,
                stdout=output.pipe_input if output else None,
                stderr=subprocess.STDOUT if output else None,
                cwd=spec.directory or None,
                env={**os.environ, **dict(spec.environment)},
                user=spec.user or None,
                start_new_session=True,
            )
        except (OSError, ValueError, KeyError) as exc:
            if output:
                output.close()
            raise SpawnError(_describe_spawn_error(exc)) from None

        # The reaper owns the exit status; Popen must never wait on this pid.
        process.returncode = 0
        if output:
            output.start_copying()
        return process.pid

    def signal_group(self, pgid: int, sig: int) -> bool:
        """Send ``sig`` to a process group; False when the group is already empty."""
        try:
            os.killpg(pgid, sig)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            log.warning("cannot signal process group %d: permission denied", pgid)
            return False

    def reap(self) -> list[tuple[int, int]]:
        """Collect every child that has exited: (pid, wait status) pairs."""
        exited = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            exited.append((pid, status))
        return exited


def _describe_spawn_error(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOENT and exc.filename:
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).strip("'\"")
