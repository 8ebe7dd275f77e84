"""Consul trouble: pages keep the last good snapshot, say what is wrong, recover."""

import threading

import pytest
from webcluster import refresh

from nexuslite.cluster.refresher import Refresher

# Double fault -> (problem kind, banner title, detail in the banner).
FAULTS = {
    "down": ("unreachable", "Consul unreachable", "cannot reach Consul"),
    "hang": ("timeout", "Consul too slow", "did not answer within"),
    "no-leader": ("no-leader", "Consul has no leader", "no cluster leader"),
    "forbidden": ("forbidden", "Consul refused access", "403"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_shows_banner_over_last_good_data_then_recovers(
    consul_app, cluster, fault
):
    client = consul_app.test_client()
    kind, title, detail = FAULTS[fault]

    cluster.double.set_fault(fault)
    try:
        refresh(consul_app)
        pages = [client.get(url) for url in ("/", "/nodes/web-1", "/services")]
        fragment = client.get("/", headers={"HX-Request": "true"})
        health = client.get("/healthz").get_json()
    finally:
        cluster.double.set_fault(None)

    for response in [*pages, fragment]:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert title in html and detail in html
        assert "Showing data from" in html
    assert ">web-1</a>" in pages[0].get_data(as_text=True)  # last good data kept
    assert health["source_reachable"] is False
    assert health["problem"]["kind"] == kind

    refresh(consul_app)
    html = client.get("/").get_data(as_text=True)
    assert title not in html and 'class="banner error"' not in html
    assert client.get("/healthz").get_json()["source_reachable"] is True


def test_pages_answer_while_a_refresh_hangs(consul_app, cluster):
    client = consul_app.test_client()
    cluster.double.set_fault("hang")
    refresher = threading.Thread(target=refresh, args=(consul_app,))
    refresher.start()
    try:
        response = client.get("/")
    finally:
        cluster.double.set_fault(None)
        refresher.join(timeout=30)

    assert response.status_code == 200
    assert ">web-1</a>" in response.get_data(as_text=True)


def test_fault_before_the_first_snapshot_shows_no_data_not_an_error(make_app, double):
    double.add_node("mgr-1", server=True)
    url = double.url
    double.set_fault("forbidden")
    try:
        app = make_app(consul_url=url)
        html = app.test_client().get("/").get_data(as_text=True)
    finally:
        double.set_fault(None)

    assert "Consul refused access" in html
    assert "No data yet" in html
    assert "No nodes to show yet" in html


def test_starting_banner_before_the_first_refresh(make_app, double):
    double.add_node("mgr-1", server=True)
    app = make_app(consul_url=double.url)
    running = app.extensions["nexus"]
    running.stop()
    app.extensions["nexus"] = Refresher(running.source, 3600)  # never started

    html = app.test_client().get("/").get_data(as_text=True)

    assert "waiting for the first snapshot" in html
    assert "No nodes to show yet" in html
