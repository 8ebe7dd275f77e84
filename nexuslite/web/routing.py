"""URLs for names that come from Consul.

Node and service names are untrusted and may hold slashes, dots, spaces or markup. The
``name`` converter accepts any text (like ``path``) and, when building a URL, encodes
every reserved character including ``/``, so a name is always one path segment: a
name such as ``a/../b`` cannot be normalised away by a browser. ``node_url`` builds
the same URL as ``url_for`` without its per-call cost, for the node grid.
"""

from functools import lru_cache
from urllib.parse import quote

from flask import request
from werkzeug.routing import PathConverter

NODE_PATH = "/nodes/"


@lru_cache(maxsize=65536)  # names repeat on every poll; quoting them is the cost
def encode_name(name: str) -> str:
    return quote(name, safe="")


class NameConverter(PathConverter):
    """``<name:node>``: any non-empty text, built as a single encoded segment."""

    part_isolating = False

    def to_url(self, value: str) -> str:
        return encode_name(value)


def node_url(name: str) -> str:
    """``url_for("pages.node_detail", name=name)``, cheaply."""
    return f"{request.script_root}{NODE_PATH}{encode_name(name)}"
