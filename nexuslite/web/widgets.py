"""Widgets repeated across pages: status badge, metric bar and the node grid.

They are Python returning escaped Markup, used by templates as globals
(``{{ status_badge(node.status) }}``). The grid draws one tile per node, thousands
per poll: at 1,000 nodes Jinja macro calls alone cost several times the 50 ms render
budget, while plain string building stays inside it. Every value that comes from
Consul passes through ``escape``; the private helpers return ``str`` so that only
the public functions pay for wrapping in Markup.
"""

from collections.abc import Iterable

from flask import request
from markupsafe import Markup, escape

from nexuslite.cluster.model import CRITICAL, Node, Snapshot
from nexuslite.web.routing import node_url
from nexuslite.web.statuses import status_class
from nexuslite.web.units import (
    bar_step,
    format_duration,
    format_number,
    format_percent,
)

HOT_PERCENT = 90
WARM_PERCENT = 75


def status_badge(status: str) -> Markup:
    return Markup(_badge(status))


def metric_bar(label: str, percent: float, detail: str = "") -> Markup:
    """A labelled 0-100 % bar with its value, and an optional detail line."""
    return Markup(_bar(escape(label), percent, detail))


class NodeGrid:
    """The overview's tiles, each drawn once per snapshot.

    Snapshots are immutable, so a node's tile cannot change until the next refresh:
    every viewer, poll and filter of the same snapshot reuses the tiles already drawn.
    Only the latest snapshot's tiles are kept.
    """

    def __init__(self):
        self._drawn: tuple[object, str, dict[int, str]] = (None, "", {})

    def __call__(self, snapshot: Snapshot, nodes: Iterable[Node]) -> Markup:
        tiles = self._tiles_for(snapshot, request.script_root)
        parts = []
        for node in nodes:
            tile = tiles.get(id(node))
            if tile is None:
                tile = tiles[id(node)] = _tile(node)
            parts.append(tile)
        return Markup("".join(parts))

    def _tiles_for(self, snapshot: Snapshot, script_root: str) -> dict[int, str]:
        # One tuple swapped whole, so concurrent requests never mix two snapshots.
        drawn_for, root, tiles = self._drawn
        if drawn_for is not snapshot or root != script_root:
            tiles = {}
            self._drawn = (snapshot, script_root, tiles)
        return tiles


def _badge(status: str) -> str:
    return f'<span class="badge {status_class(status)}">{escape(status)}</span>'


def _bar_body(percent: float) -> str:
    """The bar and its value, which depend only on the percentage."""
    if percent >= HOT_PERCENT:
        heat = " hot"
    elif percent >= WARM_PERCENT:
        heat = " warm"
    else:
        heat = ""
    return (
        f'<span class="bar{heat}"><span class="fill p{bar_step(percent)}"></span>'
        f'</span><span class="metric-value">{format_percent(percent)}</span>'
    )


# Bar bodies for every whole percentage, drawn once: the grid draws three per node.
_BAR_BODIES = tuple(_bar_body(percent) for percent in range(101))


def _bar(label_html: str, percent: float, detail: str = "") -> str:
    """A bar; ``label_html`` is already escaped (the grid's labels are constants)."""
    whole = round(percent)
    body = _BAR_BODIES[whole] if 0 <= whole <= 100 else _bar_body(percent)
    extra = f'<span class="metric-detail">{escape(detail)}</span>' if detail else ""
    return (
        f'<div class="metric"><span class="metric-label">{label_html}</span>'
        f"{body}{extra}</div>"
    )


def _tile(node: Node) -> str:
    """One node: status, role and pool, resource bars or "no agent", services."""
    name = escape(node.name)
    return (
        f'<article class="tile {status_class(node.status)}">'
        f'<header><a class="name" href="{escape(node_url(node.name))}" title="{name}">'
        f"{name}</a>{_badge(node.status)}</header>"
        f'<p class="role">{_role_line(node)}</p>'
        f"{_tile_metrics(node)}"
        f'<p class="svc">{_service_line(node)}</p></article>'
    )


def _role_line(node: Node) -> str:
    line = str(escape(node.role_label))
    if node.is_leader:
        line += " · <strong>primary</strong>"
    if node.pool:
        line += f" · pool {escape(node.pool)}"
    return line


def _tile_metrics(node: Node) -> str:
    metrics = node.metrics
    if metrics is None:
        problem = node.metrics_problem or "no agent"
        return f'<p class="note noagent">{escape(problem)}</p>'

    parts = [_bar("CPU", metrics.cpu_percent), _bar("Mem", metrics.mem_percent)]
    disk = metrics.root_disk
    if disk is not None:
        parts.append(_bar("Disk", disk.percent))
    parts.append(
        f'<p class="stats">load {format_number(metrics.load[0])} · '
        f"up {format_duration(metrics.uptime)}</p>"
    )
    if node.metrics_problem:
        parts.append(f'<p class="note stale">{escape(node.metrics_problem)}</p>')
    return "".join(parts)


def _service_line(node: Node) -> str:
    count = len(node.services)
    line = f"{count} service{'' if count == 1 else 's'}"
    critical = [instance.health for instance in node.services].count(CRITICAL)
    if critical:
        line += f' · <span class="st-critical-text">{critical} critical</span>'
    return line
