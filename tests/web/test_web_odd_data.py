"""Odd but valid answers from Consul: every page still renders and says what it got."""

import json

import pytest
from webcluster import refresh, sample_metrics

from nexuslite.cluster import kvlayout


@pytest.fixture
def odd_client(consul_app, cluster):
    double = cluster.double
    double.add_node("bare", address="", meta={"empty": "", "mk": "<b>bold</b>"})
    double.add_service("bare", "noport", service_id="np-1", port=0)
    double.add_check("bare", "odd", name="odd check", status="warning")
    double.add_service("web-1", "..", service_id="dots-1", port=80)
    double.kv_put(kvlayout.metrics_key("web-2"), b'{"v":1,"cpu":NaN}')
    double.kv_put(kvlayout.metrics_key("db-1"), b'{"v":2,"cpu":10}')
    refresh(consul_app)
    return consul_app.test_client()


def test_odd_nodes_and_metrics_render_on_every_page(odd_client):
    urls = ["/", "/services", "/services/noport", "/services/%2E%2E"]
    urls += ["/nodes/bare", "/nodes/web-1", "/nodes/web-2", "/nodes/db-1"]

    for url in urls:
        response = odd_client.get(url)
        assert response.status_code == 200, url
        assert "<b>bold" not in response.get_data(as_text=True), url


def test_unreadable_metrics_are_named_on_the_tile_and_the_node_page(odd_client):
    overview = odd_client.get("/").get_data(as_text=True)
    web_2 = odd_client.get("/nodes/web-2").get_data(as_text=True)
    db_1 = odd_client.get("/nodes/db-1").get_data(as_text=True)

    assert "unreadable metrics" in overview
    assert "unreadable metrics" in web_2
    assert "metrics format version 2, expected 1" in db_1


def test_an_empty_meta_value_says_empty(odd_client):
    html = odd_client.get("/nodes/bare").get_data(as_text=True)

    assert '<th>empty</th><td><span class="muted">(empty)</span></td>' in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_the_refresh_survives_figures_that_do_not_fit_a_number(consul_app, cluster):
    value = json.loads(kvlayout.encode_metrics(sample_metrics(10.0)))
    value["mem"] = "@@"
    raw = json.dumps(value).replace('"@@"', "[1e400, 1, 50]")
    cluster.double.kv_put(kvlayout.metrics_key("web-1"), raw)

    snapshot = refresh(consul_app)

    assert snapshot.problem is None
    assert "unreadable metrics" in snapshot.node("web-1").metrics_problem
    assert consul_app.test_client().get("/").status_code == 200
