"""A real HTTP listener on 127.0.0.1 serving one node's agent endpoint.

Faults act here, below the API: ``down`` closes the listening socket and cuts open
connections (the port is rebound on recovery), ``hang`` holds requests until cleared.
Paths under ``/_double/`` go to the control API and bypass every fault but ``down``.
"""

import logging
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from consul_double import faults
from consul_double.exchange import Reply
from consul_double.gateway import Incoming
from consul_double.request_log import RequestRecord

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_double/"
HANG_LIMIT = 60.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, listener):
        self.listener = listener
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # A client that went away mid-answer, or a connection we cut on purpose.
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)


class Listener:
    """One HTTP endpoint; ``node`` names the agent whose /v1/agent/* it serves."""

    def __init__(self, node, gateway, fault_board, request_log, control, port=0):
        self.node = node
        self.gateway = gateway
        self.faults = fault_board
        self.request_log = request_log
        self.control = control
        self.port = port
        self.is_control_only = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        with self._lock:
            if self._server is not None:
                return
            self._server = _Server(("127.0.0.1", self.port), self)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"consul-double-{self.node}-{self.port}",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        """Close the listening socket and cut every connection not serving control."""
        with self._lock:
            server, self._server = self._server, None
            connections = list(self._connections)
        if server is None:
            return

        server.shutdown()
        server.server_close()
        for handler in connections:
            if not handler.is_serving_control:
                _cut(handler.connection)
        self._thread.join(timeout=5)

    def track(self, handler, active: bool) -> None:
        with self._lock:
            if active:
                self._connections.add(handler)
            else:
                self._connections.discard(handler)


def _cut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        log.debug("connection already closed")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY the body waits
    # for the client's delayed ACK (~40 ms a request on keep-alive connections).
    disable_nagle_algorithm = True
    is_serving_control = False

    def setup(self) -> None:
        super().setup()
        self.server.listener.track(self, True)

    def finish(self) -> None:
        self.server.listener.track(self, False)
        super().finish()

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _serve(self) -> None:
        listener: Listener = self.server.listener
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        body = self._read_body()
        incoming = Incoming(
            self.command, path, query, dict(self.headers.items()), body, listener.node
        )

        if path.startswith(CONTROL_PREFIX):
            self.is_serving_control = True
            self._send(listener.control(incoming))
            self.is_serving_control = False
            return
        if listener.is_control_only:
            self._send(Reply(404, b"Only /_double/ is served here\n", {}))
            return
        if not self._is_answerable(listener):
            self.close_connection = True
            return

        record = RequestRecord(
            self.command, path, query, incoming.headers, listener.node
        )
        listener.request_log.append(record)
        reply = listener.gateway.handle(incoming)
        # A fault that began while a blocking query waited applies to its answer too.
        if not self._is_answerable(listener):
            self.close_connection = True
            return
        self._send(reply)

    def _is_answerable(self, listener: Listener) -> bool:
        """Apply down/hang before the API sees the request."""
        mode = listener.faults.mode_for(listener.node)
        if mode == faults.HANG:
            cleared = listener.faults.wait_while(
                listener.node,
                faults.HANG,
                HANG_LIMIT,
                lambda: listener.gateway.stopping,
            )
            if not cleared:
                return False
            mode = listener.faults.mode_for(listener.node)
        return mode != faults.DOWN and not listener.gateway.stopping

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, reply: Reply) -> None:
        self.send_response_only(reply.status)
        self.send_header("Date", self.date_time_string())
        headers = dict(reply.headers)
        if reply.body and "Content-Type" not in headers:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_HEAD = do_PATCH = _serve
