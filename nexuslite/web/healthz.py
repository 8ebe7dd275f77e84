"""``/healthz``: the one JSON route, for load balancers and systemd.

It answers 200 whenever the process can serve: Consul trouble is reported in the body
(the pages still serve the last good snapshot with a banner), not as a failure.
"""

import time

from flask import Blueprint, jsonify

from nexuslite import __version__
from nexuslite.web.appstate import get_refresher, get_settings

bp = Blueprint("healthz", __name__)


@bp.get("/healthz")
def healthz():
    refresher = get_refresher()
    snapshot = refresher.snapshot()
    problem = snapshot.problem
    age = time.time() - snapshot.taken_at if snapshot.taken_at > 0 else None

    body = {
        "status": "ok",
        "version": __version__,
        "source": snapshot.source,
        "consul_configured": get_settings().uses_consul,
        "source_reachable": refresher.is_source_reachable,
        "problem": problem and {"kind": problem.kind, "message": problem.message},
        "snapshot_age_seconds": None if age is None else round(age, 1),
        "nodes": len(snapshot.nodes),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
