"""Operator actions from the node page: drain, undrain, restart a service.

An action is a POST form carrying the operator's name, the admin token
(NEXUS_ADMIN_TOKEN, compared in constant time) and a CSRF token signed with the
secret key. The dashboard only writes a request to Consul KV for the node's agent;
the agent carries it out, and the node page polls for its answer. Every accepted
or refused attempt is an audit log line. Only these routes talk to Consul from a
request, because the operator asked for a write and waits on its outcome.
"""

import hmac
import logging
import re
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for

from nexuslite.cluster.actions import read_result, submit_request
from nexuslite.cluster.consul_client import make_client
from nexuslite.cluster.consul_source import CONSUL_ERRORS, explain_consul_error
from nexuslite.cluster.kvlayout import ACTIONS, LayoutError
from nexuslite.cluster.model import Node
from nexuslite.errors import NexusError
from nexuslite.web.appstate import are_actions_enabled, get_settings, get_snapshot
from nexuslite.web.formtokens import BadFormToken, verify_form_token
from nexuslite.web.regions import render_region

log = logging.getLogger(__name__)

bp = Blueprint("controls", __name__)

MAX_OPERATOR = 64
MAX_REASON = 200

# The flash category carrying a submitted request's id to the node page.
REQUEST_CATEGORY = "request"
# Request ids as cluster.actions.new_request_id makes them.
REQUEST_ID = re.compile(r"\d{13}-[0-9a-f]{8}")
RESULT_POLL_SECONDS = 2


@dataclass(frozen=True)
class ActionForm:
    action: str
    service: str | None
    reason: str
    operator: str


@bp.post("/actions/<name:name>")
def submit_action(name: str):
    settings = get_settings()
    if not are_actions_enabled(settings):
        abort(404, "Actions are disabled: set NEXUS_ADMIN_TOKEN and NEXUS_CONSUL_URL.")

    node = get_snapshot().node(name)
    if node is None:
        abort(404, f"No node named {name!r} in the latest snapshot.")

    form = read_action_form(node)
    check_form_token(node)
    check_admin_token(settings.admin_token.get_secret_value(), form, node)

    request_id = write_request(settings, node, form)
    log.info(
        "audit: %s%s on node %r requested by %r from %s (request %s, reason %r)",
        form.action,
        f" {form.service!r}" if form.service else "",
        node.name,
        form.operator,
        request.remote_addr,
        request_id,
        form.reason,
    )
    flash(f"{describe(form)} requested (request {request_id}).", "ok")
    flash(request_id, REQUEST_CATEGORY)
    return redirect(url_for("pages.node_detail", name=node.name), code=303)


@bp.get("/requests/<request_id>/<name:name>")
def request_result(request_id: str, name: str):
    """The agent's answer to one request: polled by the node page until it comes."""
    settings = get_settings()
    if not are_actions_enabled(settings) or not REQUEST_ID.fullmatch(request_id):
        abort(404, "No such request.")
    if get_snapshot().node(name) is None:
        abort(404, f"No node named {name!r} in the latest snapshot.")

    result, problem = read_agent_result(settings, name, request_id)
    url = url_for("controls.request_result", request_id=request_id, name=name)
    return render_region(
        "pages/request_result.html",
        "fragments/request_result.html",
        get_snapshot(),
        live_url=url,
        node_name=name,
        request_id=request_id,
        result=result,
        problem=problem,
        poll_seconds=RESULT_POLL_SECONDS,
    )


def read_action_form(node: Node) -> ActionForm:
    """The submitted fields, checked against the node; a bad field is a 400."""
    action = request.form.get("action", "")
    operator = request.form.get("operator", "").strip()
    reason = request.form.get("reason", "").strip()
    service = request.form.get("service", "").strip() or None

    if action not in ACTIONS:
        abort(400, f"Unknown action {action!r}; expected one of {', '.join(ACTIONS)}.")
    if not operator or len(operator) > MAX_OPERATOR:
        abort(400, f"Give your name (1 to {MAX_OPERATOR} characters) for the audit.")
    if len(reason) > MAX_REASON:
        abort(400, f"The reason has {len(reason)} characters; at most {MAX_REASON}.")

    if action == "restart":
        known = {instance.service_id for instance in node.services}
        if service not in known:
            abort(400, f"Node {node.name!r} has no service with id {service!r}.")
    else:
        service = None

    return ActionForm(action=action, service=service, reason=reason, operator=operator)


def check_form_token(node: Node) -> None:
    token = request.form.get("csrf_token", "")
    try:
        verify_form_token(current_app.secret_key, token, node.name)
    except BadFormToken as exc:
        abort(400, f"This form cannot be used: {exc}. Reload the node page and retry.")


def check_admin_token(expected: str, form: ActionForm, node: Node) -> None:
    given = request.form.get("admin_token", "")
    if hmac.compare_digest(given.encode(), expected.encode()):
        return

    log.warning(
        "audit: %s on node %r refused for %r from %s (wrong admin token)",
        form.action,
        node.name,
        form.operator,
        request.remote_addr,
    )
    abort(403, "Wrong admin token; nothing was requested.")


def write_request(settings, node: Node, form: ActionForm) -> str:
    """Put the request in Consul KV; Consul trouble is a 503 page, not a crash."""
    client = make_client(settings)
    try:
        return submit_request(
            client,
            node.name,
            form.action,
            service=form.service,
            reason=form.reason,
            by=form.operator,
        )
    except NexusError as exc:
        log.warning("audit: %s on node %r failed: %s", form.action, node.name, exc)
        abort(503, f"Consul did not accept the request, nothing was done: {exc}")
    except CONSUL_ERRORS as exc:
        problem = explain_consul_error(
            exc, settings.consul_url, settings.consul_timeout
        )
        log.warning(
            "audit: %s on node %r failed: %s", form.action, node.name, problem.message
        )
        abort(
            503,
            f"Consul did not accept the request, nothing was done: {problem.message}.",
        )
    finally:
        client.http.session.close()


def read_agent_result(settings, node: str, request_id: str) -> tuple[dict | None, str]:
    """(result or None while the agent has not answered, problem reading it)."""
    client = make_client(settings)
    try:
        return read_result(client, node, request_id), ""
    except LayoutError as exc:
        return None, f"the agent's answer is unreadable: {exc}"
    except CONSUL_ERRORS as exc:
        problem = explain_consul_error(
            exc, settings.consul_url, settings.consul_timeout
        )
        return None, f"cannot read the answer: {problem.message}"
    finally:
        client.http.session.close()


def describe(form: ActionForm) -> str:
    if form.action == "restart":
        return f"Restart of service {form.service!r}"
    return form.action.capitalize()
