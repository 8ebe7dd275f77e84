"""The operating system as the supervisor sees it: clock, spawn, signals, reaping.

Everything the state machine does to the outside world goes through ``System``, so
tests can swap in a fake and drive hours of restarts in milliseconds.
"""

import contextlib
import ctypes
import errno
import logging
import os
import pwd
import signal
import subprocess
import time
from typing import NamedTuple

import psutil

from nexuslite.agent.servicefile import ServiceSpec
from nexuslite.agent.servicelog import ServiceLog

log = logging.getLogger(__name__)

_PR_SET_CHILD_SUBREAPER = 36

# Every service process carries "<agent identity>|<service name>" in this variable,
# inherited by whatever it forks: it finds the processes that left the service's
# process group (double fork, setsid) and those an agent killed with -9 left behind.
SERVICE_MARK = "NEXUS_AGENT_SERVICE"
LEFTOVER_GRACE_SECONDS = 5.0


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
    """The real operating system; ``identity`` tells this agent's processes apart."""

    def __init__(self, identity: str = "nexus"):
        self.identity = identity

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
        try:
            output = ServiceLog.open(spec.log) if spec.log.file else None
        except OSError as exc:
            raise SpawnError(
                f"cannot open log {spec.log.file}: {exc.strerror}"
            ) from None
        try:
            identity = _identity_of(spec.user)
            process = subprocess.Popen(
                spec.argv,
                stdin=subprocess.DEVNULL,
                stdout=output.pipe_input if output else None,
                stderr=subprocess.STDOUT if output else None,
                cwd=spec.directory or None,
                env={
                    **os.environ,
                    **identity.environment,
                    **dict(spec.environment),
                    SERVICE_MARK: f"{self.identity}|{spec.name}",
                },
                start_new_session=True,
                **identity.popen_arguments,
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

    def signal_strays(self, name: str, sig: int, group: int = 0) -> int:
        """Signal the processes of service ``name`` outside process group ``group``.

        These are its escaped descendants: the agent is their subreaper, so they
        are found among its own descendants by their mark. Returns how many.
        """
        mark = f"{self.identity}|{name}"
        strays = [
            proc
            for proc in psutil.Process().children(recursive=True)
            if _mark_of(proc) == mark and _pgid_of(proc) not in (group, None)
        ]
        for proc in strays:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(sig)
        return len(strays)

    def stop_leftovers(self) -> list[tuple[str, int]]:
        """Stop service processes an earlier agent with this identity left running.

        Called at start, before any service is spawned: an agent killed with -9
        leaves its services behind, and starting them again would run two copies.
        Returns (service name, pid) of each process stopped.
        """
        prefix = f"{self.identity}|"
        me = os.getpid()
        found = []
        for proc in psutil.process_iter():
            mark = _mark_of(proc)
            if mark and mark.startswith(prefix) and proc.pid != me:
                found.append((mark[len(prefix) :], proc))

        for _, proc in found:
            with contextlib.suppress(psutil.Error):
                proc.terminate()
        _, alive = psutil.wait_procs([p for _, p in found], LEFTOVER_GRACE_SECONDS)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        return [(name, proc.pid) for name, proc in found]

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


def _mark_of(proc: psutil.Process) -> str | None:
    try:
        return proc.environ().get(SERVICE_MARK)
    except psutil.Error:
        return None  # gone, a zombie, or another user's process


def _pgid_of(proc: psutil.Process) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except OSError:
        return None


def _describe_spawn_error(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOENT and exc.filename:
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).strip("'\"")


class _Identity(NamedTuple):
    environment: dict[str, str]
    popen_arguments: dict


def _identity_of(user: str) -> _Identity:
    """Who a service runs as: the user's uid, primary group and supplementary groups
    (never the agent's root group), with HOME, USER and LOGNAME to match."""
    if not user:
        return _Identity({}, {})

    entry = pwd.getpwnam(user)  # KeyError names an unknown user
    environment = {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user}
    arguments = {
        "user": entry.pw_uid,
        "group": entry.pw_gid,
        "extra_groups": os.getgrouplist(user, entry.pw_gid),
    }
    return _Identity(environment, arguments)
