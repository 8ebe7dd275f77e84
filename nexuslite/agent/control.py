"""The agent's local control socket, and the client ``nexus status`` and friends use.

One JSON object per line each way. ``status`` is answered for anyone who can connect
(the socket is world-writable so that no root is needed to read); ``start``, ``stop``
and ``restart`` only for the socket owner's uid or root, checked with SO_PEERCRED.
"""

import contextlib
import fcntl
import json
import logging
import os
import socket
import stat
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from nexuslite.agent.daemon import CommandTimeout
from nexuslite.agent.supervisor import Refused
from nexuslite.errors import NexusError

log = logging.getLogger(__name__)

CONTROL_COMMANDS = ("start", "stop", "restart")
CLIENT_TIMEOUT = 15.0
_MAX_REQUEST = 4096


class ControlServer:
    """Answers control requests on a thread; ``run`` executes them on the main loop."""

    def __init__(self, path: Path, run: Callable[[Callable], object]):
        self.path = path
        self._run = run
        self._owner = os.getuid()
        self._sock: socket.socket | None = None
        self._closed = threading.Event()
        self._lock_fd: int | None = None

    def start(self) -> "ControlServer":
        try:
            self._lock()
            self._refuse_if_in_use()
            self._sock = self._listen()
        except OSError as exc:
            raise NexusError(
                f"cannot create the control socket {self.path}: "
                f"{exc.strerror or exc}; "
                "set NEXUS_AGENT_SOCKET or --socket to a writable place"
            ) from None

        threading.Thread(target=self._serve, name="nexus-control", daemon=True).start()
        log.info("control: listening on %s", self.path)
        return self

    def _lock(self) -> None:
        """Hold ``SOCKET.lock`` for the agent's life: one agent per socket.

        The kernel drops the lock when the process dies, even by SIGKILL, so a
        stale socket file never blocks a new agent and two starting at once never
        both win.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise NexusError(
                f"another agent is already running on {self.path}"
            ) from None

    def _listen(self) -> socket.socket:
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o666)  # anyone may ask for status; control is checked
        sock.listen(16)
        return sock

    def close(self) -> None:
        self._closed.set()
        if self._sock is not None:
            self._sock.close()
        self.path.unlink(missing_ok=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _refuse_if_in_use(self) -> None:
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise NexusError(
                f"{self.path} exists and is not a socket; "
                "set NEXUS_AGENT_SOCKET or --socket to another path"
            )
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(self.path))
        except OSError:
            return  # a stale socket left by an agent that died
        finally:
            probe.close()
        raise NexusError(f"another agent is already running on {self.path}")

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed while waiting
            # One thread per client: a client that connects and stays silent must
            # not hold up everyone else's status until its read times out.
            threading.Thread(
                target=self._answer_and_close, args=(conn,), daemon=True
            ).start()

    def _answer_and_close(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        try:
            request = json.loads(_read_line(conn))
            reply = self._handle(request, peer_uid(conn))
        except (ValueError, OSError) as exc:
            reply = {"ok": False, "message": f"bad request: {exc}"}
        except CommandTimeout as exc:
            reply = {"ok": False, "message": str(exc)}
        with contextlib.suppress(OSError):  # a client that left needs no answer
            conn.sendall(json.dumps(reply).encode() + b"\n")

    def _handle(self, request: dict, uid: int) -> dict:
        command = request.get("command") if isinstance(request, dict) else None
        if command == "status":
            return {"ok": True, "services": self._run(lambda s: s.status())}
        if command not in CONTROL_COMMANDS:
            return {"ok": False, "message": f"unknown command {command!r}"}
        if uid not in (0, self._owner):
            return {"ok": False, "message": f"uid {uid} may not {command} services"}

        name = str(request.get("name", ""))
        try:
            message = self._run(lambda s: getattr(s, command)(name))
        except KeyError:
            return {"ok": False, "message": f"no service named {name!r}"}
        except Refused as exc:
            return {"ok": False, "message": str(exc)}
        log.info("control: %s %s by uid %d (%s)", command, name, uid, message)
        return {"ok": True, "message": message}


def peer_uid(conn: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket."""
    creds = conn.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < _MAX_REQUEST:
        chunk = conn.recv(_MAX_REQUEST)
        if not chunk:
            break
        data += chunk
    return data


def ask_agent(path: Path, request: dict) -> dict:
    """Send one request to the running agent; NexusError when it cannot be reached."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CLIENT_TIMEOUT)
    try:
        sock.connect(str(path))
        sock.sendall(json.dumps(request).encode() + b"\n")
        reply = _read_line(sock)
    except (FileNotFoundError, ConnectionRefusedError):
        raise NexusError(
            f"no agent answers on {path}; is 'nexus agent' running?"
        ) from None
    except OSError as exc:
        raise NexusError(f"cannot talk to the agent on {path}: {exc}") from None
    finally:
        sock.close()

    try:
        return json.loads(reply)
    except ValueError:
        raise NexusError(f"the agent on {path} sent an unreadable answer") from None


def read_agent_status(path: Path) -> list[dict] | None:
    """The local agent's service rows, or None when no agent runs here.

    For readers such as the embedded-default dashboard, which show the agent's
    services when there is one and carry on without it otherwise.
    """
    try:
        reply = ask_agent(path, {"command": "status"})
    except NexusError:
        return None
    return reply.get("services") if reply.get("ok") else None
