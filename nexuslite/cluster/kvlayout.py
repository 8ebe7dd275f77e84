"""Where NexusLite keeps its data in Consul KV, and the format of each value.

This module is the single definition shared by the node agent (writer of metrics and
results) and the dashboard (reader of metrics, writer of requests). Everything lives
under one versioned prefix so that a future format can sit beside this one:

    nexus/v1/metrics/<node>              latest metrics of a node (JSON, below)
    nexus/v1/requests/<node>/<id>        an action asked of that node's agent
    nexus/v1/results/<node>/<id>         what the agent did with that request

``<node>`` is the Consul node name, percent-encoded (dots included) so that any name is
one key segment.

Metrics value (compact JSON, version 1)::

    {"v": 1, "t": <sample time, unix s>, "cpu": <percent>, "ncpu": <logical cpus>,
     "mem": [total, used, percent], "swap": [total, used],
     "disks": [[mount, total, used, percent], ...], "load": [1m, 5m, 15m],
     "net": [rx bytes/s, tx bytes/s], "up": <uptime s>, "procs": <count>,
     "agent": "<agent version>"}

Request value: ``{"v": 1, "action": "drain"|"undrain"|"restart", "service": str|null,
"reason": str, "by": str, "at": <unix s>}``. Result value: ``{"v": 1, "ok": bool,
"detail": str, "at": <unix s>}``.
"""

import json
from urllib.parse import quote, unquote

from nexuslite.cluster.model import DiskUsage, NodeMetrics

VERSION = 1
PREFIX = f"nexus/v{VERSION}/"
METRICS_PREFIX = f"{PREFIX}metrics/"
REQUESTS_PREFIX = f"{PREFIX}requests/"
RESULTS_PREFIX = f"{PREFIX}results/"

# Consul node check the agent keeps alive with a TTL; critical means the agent is gone.
AGENT_CHECK_ID = "nexus-agent"
AGENT_CHECK_NAME = "NexusLite agent alive"

# Node meta keys read by the dashboard and written by the installer.
ROLE_META = "nexus-role"
POOL_META = "nexus-pool"

ACTIONS = ("drain", "undrain", "restart")


class LayoutError(ValueError):
    """A KV value does not follow this layout."""


def node_segment(node: str) -> str:
    # Dots too: a node named ".." must not climb out of its prefix in a URL path.
    return quote(node, safe="").replace(".", "%2E")


def node_from_segment(segment: str) -> str:
    return unquote(segment)


def metrics_key(node: str) -> str:
    return f"{METRICS_PREFIX}{node_segment(node)}"


def request_key(node: str, request_id: str) -> str:
    return f"{REQUESTS_PREFIX}{node_segment(node)}/{request_id}"


def result_key(node: str, request_id: str) -> str:
    return f"{RESULTS_PREFIX}{node_segment(node)}/{request_id}"


def encode_metrics(metrics: NodeMetrics) -> bytes:
    value = {
        "v": VERSION,
        "t": round(metrics.sampled_at, 3),
        "cpu": round(metrics.cpu_percent, 1),
        "ncpu": metrics.cpu_count,
        "mem": [metrics.mem_total, metrics.mem_used, round(metrics.mem_percent, 1)],
        "swap": [metrics.swap_total, metrics.swap_used],
        "disks": [
            [d.mount, d.total, d.used, round(d.percent, 1)] for d in metrics.disks
        ],
        "load": [round(x, 2) for x in metrics.load],
        "net": [round(metrics.net_rx_rate, 1), round(metrics.net_tx_rate, 1)],
        "up": round(metrics.uptime),
        "procs": metrics.process_count,
        "agent": metrics.agent_version,
    }
    return json.dumps(value, separators=(",", ":")).encode()


def decode_metrics(raw: bytes | None) -> NodeMetrics:
    """Parse a metrics value; raise LayoutError when it is not version-1 metrics."""
    try:
        value = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise LayoutError("metrics value is not JSON") from exc

    if not isinstance(value, dict) or value.get("v") != VERSION:
        found = value.get("v") if isinstance(value, dict) else None
        raise LayoutError(f"metrics format version {found!r}, expected {VERSION}")

    try:
        mem_total, mem_used, mem_percent = value["mem"]
        swap_total, swap_used = value["swap"]
        rx, tx = value["net"]
        load = tuple(float(x) for x in value["load"])
        return NodeMetrics(
            sampled_at=float(value["t"]),
            cpu_percent=float(value["cpu"]),
            cpu_count=int(value["ncpu"]),
            mem_total=int(mem_total),
            mem_used=int(mem_used),
            mem_percent=float(mem_percent),
            swap_total=int(swap_total),
            swap_used=int(swap_used),
            disks=tuple(
                DiskUsage(str(m), int(t), int(u), float(p))
                for m, t, u, p in value["disks"]
            ),
            load=(load[0], load[1], load[2]),
            net_rx_rate=float(rx),
            net_tx_rate=float(tx),
            uptime=float(value["up"]),
            process_count=int(value["procs"]),
            agent_version=str(value.get("agent", "")),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise LayoutError(f"metrics value is malformed: {exc}") from exc
