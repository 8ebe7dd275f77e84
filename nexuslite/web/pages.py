"""The dashboard's pages: overview, node detail, services and one service.

Each view reads the latest snapshot once and renders its page or, for htmx, the live
fragment of that page (see ``regions``). No view talks to Consul.
"""

from flask import Blueprint, abort, current_app, request, url_for

from nexuslite.web.appstate import are_actions_enabled, get_settings, get_snapshot
from nexuslite.web.formtokens import issue_form_token
from nexuslite.web.nodefilter import BadQuery, parse_node_filter
from nexuslite.web.regions import render_region
from nexuslite.web.routing import NODE_PATH
from nexuslite.web.summary import summarize

bp = Blueprint("pages", __name__)

# How many instances the services list shows per service before linking onwards.
INSTANCES_LISTED = 60


@bp.get("/")
def overview():
    try:
        node_filter = parse_node_filter(request.args)
    except BadQuery as exc:
        abort(400, str(exc))

    snapshot = get_snapshot()
    return render_region(
        "pages/overview.html",
        "fragments/overview_live.html",
        snapshot,
        live_url=url_for("pages.overview", **node_filter.as_query()),
        summary=summarize(snapshot),
        nodes=node_filter.apply(snapshot.nodes),
        node_filter=node_filter,
    )


@bp.get(f"{NODE_PATH}<name:name>")
def node_detail(name: str):
    snapshot = get_snapshot()
    node = snapshot.node(name)
    if node is None:
        abort(404, f"No node named {name!r} in the latest snapshot.")

    actions_enabled = are_actions_enabled(get_settings())
    form_token = ""
    if actions_enabled:
        form_token = issue_form_token(current_app.secret_key, node.name)

    return render_region(
        "pages/node.html",
        "fragments/node_live.html",
        snapshot,
        live_url=url_for("pages.node_detail", name=node.name),
        node=node,
        actions_enabled=actions_enabled,
        form_token=form_token,
    )


@bp.get("/services")
def services():
    snapshot = get_snapshot()
    return render_region(
        "pages/services.html",
        "fragments/services_live.html",
        snapshot,
        live_url=url_for("pages.services"),
        instances_listed=INSTANCES_LISTED,
    )


@bp.get("/services/<name:name>")
def service_detail(name: str):
    snapshot = get_snapshot()
    service = snapshot.service(name)
    if service is None:
        abort(404, f"No service named {name!r} in the latest snapshot.")

    return render_region(
        "pages/service.html",
        "fragments/service_live.html",
        snapshot,
        live_url=url_for("pages.service_detail", name=service.name),
        service=service,
    )
