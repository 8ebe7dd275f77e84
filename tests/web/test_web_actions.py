"""Drain, undrain and restart from the node page: token, CSRF, KV request, audit."""

import json
import logging
import re

import pytest

from nexuslite.cluster import kvlayout
from nexuslite.cluster.actions import encode_result

TOKEN = "s3cret-operator-token"


@pytest.fixture
def admin_app(make_app, cluster):
    return make_app(consul_url=cluster.url, admin_token=TOKEN, secret_key="k" * 32)


def _form_token(client, node: str) -> str:
    html = client.get(f"/nodes/{node}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _requests_for(double, node: str) -> list[dict]:
    prefix = f"{kvlayout.REQUESTS_PREFIX}{kvlayout.node_segment(node)}/"
    return [json.loads(double.kv_get(key)) for key in double.kv_keys(prefix)]


def _post(client, node: str, **fields):
    form = {"operator": "alice", "admin_token": TOKEN, **fields}
    form.setdefault("csrf_token", _form_token(client, node))
    return client.post(f"/actions/{node}", data=form)


def test_no_action_forms_without_an_admin_token(client):
    html = client.get("/nodes/web-1").get_data(as_text=True)

    assert "Admin token" not in html
    assert client.post("/actions/web-1", data={"action": "drain"}).status_code == 404


def test_drain_writes_a_request_logs_an_audit_line_and_shows_the_result(
    admin_app, cluster, caplog
):
    client = admin_app.test_client()
    caplog.set_level(logging.INFO, logger="nexuslite")

    response = _post(client, "web-1", action="drain", reason="disk swap")

    assert response.status_code == 303
    (request,) = _requests_for(cluster.double, "web-1")
    assert (request["action"], request["by"], request["reason"]) == (
        "drain",
        "alice",
        "disk swap",
    )
    assert "audit: drain on node 'web-1' requested by 'alice'" in caplog.text
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Drain requested (request " in page


def test_restart_names_one_of_the_node_services(admin_app, cluster):
    client = admin_app.test_client()

    assert (
        _post(client, "web-1", action="restart", service="api-web-1").status_code == 303
    )
    bad = _post(client, "web-1", action="restart", service="postgres")

    assert bad.status_code == 400
    assert [r["service"] for r in _requests_for(cluster.double, "web-1")] == [
        "api-web-1"
    ]


def test_drained_node_offers_undrain(admin_app):
    html = admin_app.test_client().get("/nodes/batch-2").get_data(as_text=True)

    assert 'name="action" value="undrain"' in html
    assert 'name="action" value="drain"' not in html


def test_wrong_admin_token_is_refused_and_audited(admin_app, cluster, caplog):
    client = admin_app.test_client()
    caplog.set_level(logging.INFO, logger="nexuslite")

    response = _post(client, "web-1", action="drain", admin_token="guess")

    assert response.status_code == 403
    assert "Wrong admin token" in response.get_data(as_text=True)
    assert _requests_for(cluster.double, "web-1") == []
    assert "refused for 'alice'" in caplog.text


@pytest.mark.parametrize("csrf", ["", "forged", "other-node"])
def test_missing_forged_or_foreign_csrf_token_is_refused(admin_app, cluster, csrf):
    client = admin_app.test_client()
    if csrf == "other-node":
        csrf = _form_token(client, "web-2")

    response = _post(client, "web-1", action="drain", csrf_token=csrf)

    assert response.status_code == 400
    assert "Reload the node page" in response.get_data(as_text=True)
    assert _requests_for(cluster.double, "web-1") == []


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"action": "reboot"}, "Unknown action"),
        ({"action": "drain", "operator": ""}, "Give your name"),
        ({"action": "drain", "reason": "r" * 201}, "at most 200"),
    ],
)
def test_bad_form_fields_are_400_pages(admin_app, fields, message):
    response = _post(admin_app.test_client(), "web-1", **fields)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_consul_refusing_the_write_is_a_503_page(admin_app, cluster):
    client = admin_app.test_client()
    csrf = _form_token(client, "web-1")

    cluster.double.set_fault("forbidden")
    try:
        response = _post(client, "web-1", action="drain", csrf_token=csrf)
    finally:
        cluster.double.set_fault(None)

    assert response.status_code == 503
    assert "nothing was done" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ("down", "cannot reach Consul at"),
        ("hang", "did not answer within 1 s"),
        ("no-leader", "Consul has no cluster leader"),
        ("forbidden", "check NEXUS_CONSUL_TOKEN"),
    ],
)
def test_consul_trouble_during_an_action_is_named_in_one_line(
    admin_app, cluster, fault, named
):
    client = admin_app.test_client()
    csrf = _form_token(client, "web-1")

    cluster.double.set_fault(fault)
    try:
        response = _post(client, "web-1", action="drain", csrf_token=csrf)
        answer = client.get("/requests/1796320000000-abcdef12/web-1")
    finally:
        cluster.double.set_fault(None)

    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "nothing was done" in html
    assert named in html
    assert "HTTPConnectionPool" not in html
    assert answer.status_code == 200
    assert named in answer.get_data(as_text=True)


def test_node_page_polls_for_the_agent_answer_until_it_comes(admin_app, cluster):
    client = admin_app.test_client()
    response = _post(client, "web-1", action="drain")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    request_id = re.search(r"/requests/([^/]+)/web-1", page).group(1)
    url = f"/requests/{request_id}/web-1"

    pending = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    full = client.get(url).get_data(as_text=True)
    cluster.double.kv_put(
        kvlayout.result_key("web-1", request_id), encode_result(True, "drained")
    )
    done = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)

    assert "waiting for the node's agent" in pending and "hx-trigger" in pending
    assert full.startswith("<!doctype html>") and "waiting" in full
    assert f"carried out request {request_id}: drained" in done
    assert "hx-get" not in done  # the answer is in: polling stops
    assert client.get("/requests/not-an-id/web-1").status_code == 404
    assert client.get(f"/requests/{request_id}/no-such-node").status_code == 404


def test_two_workers_with_the_same_admin_token_accept_each_other_forms(
    make_app, cluster
):
    first = make_app(consul_url=cluster.url, admin_token=TOKEN)
    second = make_app(consul_url=cluster.url, admin_token=TOKEN)
    csrf = _form_token(first.test_client(), "web-1")

    response = _post(second.test_client(), "web-1", action="drain", csrf_token=csrf)

    assert response.status_code == 303
