"""Running HTTP and TCP checks for real, with the agent's status rules and outputs.

HTTP: 2xx passing, 429 warning, anything else critical; TCP: a completed connect is
passing. Outputs follow agent/checks/check.go (``HTTP GET <url>: 200 OK Output: ...``,
``TCP connect <addr>: Success``); transport errors are rendered in Go's shape.
"""

import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

from consul_double.records import CRITICAL, PASSING, WARNING, Probe

_OUTPUT_LIMIT = 4096


def run_probe(probe: Probe) -> tuple[str, str]:
    """Execute one HTTP or TCP check; return (status, output)."""
    if probe.http:
        return _run_http(probe)
    return _run_tcp(probe)


def _run_http(probe: Probe) -> tuple[str, str]:
    method = probe.method or "GET"
    request = urllib.request.Request(
        probe.http,
        data=probe.body.encode() if probe.body else None,
        method=method,
        headers=_flatten_headers(probe.header),
    )
    context = ssl._create_unverified_context() if probe.tls_skip_verify else None
    try:
        with urllib.request.urlopen(
            request, timeout=probe.timeout, context=context
        ) as r:
            return _http_result(method, probe.http, r.status, r.reason, r.read())
    except urllib.error.HTTPError as exc:
        return _http_result(method, probe.http, exc.code, exc.reason, exc.read())
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        target = _dial_target(probe.http)
        return (
            CRITICAL,
            f'{method.capitalize()} "{probe.http}": {_go_error(reason, target)}',
        )


def _http_result(
    method: str, url: str, code: int, reason: str, body: bytes
) -> tuple[str, str]:
    text = body[:_OUTPUT_LIMIT].decode("utf-8", "replace")
    output = f"HTTP {method} {url}: {code} {reason} Output: {text}"
    if 200 <= code < 300:
        return PASSING, output
    if code == 429:
        return WARNING, output
    return CRITICAL, output


def _run_tcp(probe: Probe) -> tuple[str, str]:
    host, _, port = probe.tcp.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), probe.timeout):
            return PASSING, f"TCP connect {probe.tcp}: Success"
    except (OSError, ValueError) as exc:
        return CRITICAL, _go_error(exc, probe.tcp)


def _flatten_headers(header: dict) -> dict:
    flat = {}
    for name, values in header.items():
        flat[name] = ", ".join(values) if isinstance(values, list) else str(values)
    return flat


def _dial_target(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _go_error(exc: object, target: str) -> str:
    """Render a socket error the way Go's net package words it."""
    if isinstance(exc, ConnectionRefusedError):
        return f"dial tcp {target}: connect: connection refused"
    if isinstance(exc, ConnectionResetError):
        return f"read tcp {target}: read: connection reset by peer"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"dial tcp {target}: i/o timeout"
    return f"dial tcp {target}: {exc}"
