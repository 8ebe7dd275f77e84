"""Pages rendered from the real Consul source reading the double's cluster."""

import re

from webcluster import EXPECTED_STATUS, tile_of


def test_overview_cards_count_managers_workers_services_and_health(client):
    html = client.get("/").get_data(as_text=True)

    cards = html[html.index('class="cards"') : html.index('class="grid-section"')]
    managers, workers, services, health = re.findall(r'class="figure">(.*?)</p>', cards)
    assert (managers, workers) == ("2", "6")
    assert services == "4"  # consul (on the servers), api, postgres, proxy
    assert "failed" in health
    assert 'primary <a href="/nodes/mgr-1">mgr-1</a>' in cards


def test_every_node_gets_the_status_derived_from_consul_health(client):
    html = client.get("/").get_data(as_text=True)

    for node, status in EXPECTED_STATUS.items():
        assert f'class="badge st-{status}">{status}<' in tile_of(html, node), node


def test_tiles_show_role_pool_bars_load_uptime_and_services(client):
    html = client.get("/").get_data(as_text=True)

    web = tile_of(html, "web-1")
    assert "worker · pool blue" in web
    assert "CPU" in web and "12%" in web  # web-1 publishes cpu 12.0
    assert "38%" in web  # memory 37.5 %
    assert "61%" in web  # root disk
    assert "load 0.42 · up 3d 4h" in web
    assert "1 service<" in web

    assert "manager · <strong>primary</strong>" in tile_of(html, "mgr-1")
    assert "1 critical" in tile_of(html, "web-2")


def test_node_without_published_metrics_shows_no_agent_not_zeros(client):
    tile = tile_of(client.get("/").get_data(as_text=True), "edge-1")

    assert "no agent" in tile
    assert "0%" not in tile and "CPU" not in tile


def test_stale_metrics_say_so(client):
    tile = tile_of(client.get("/").get_data(as_text=True), "batch-1")

    assert "stale" in tile


def test_node_page_shows_metrics_checks_services_meta_and_maintenance(client):
    db = client.get("/nodes/db-1").get_data(as_text=True)
    assert "disk space" in db and "91%" in db  # node check and its output
    assert "nexus-pool" in db and "green" in db  # node meta
    assert "12.0 GiB of 32.0 GiB" in db
    assert "in 2.0 KiB/s · out 1.0 KiB/s" in db

    web = client.get("/nodes/web-2").get_data(as_text=True)
    assert "HTTP GET http://web-2:8080/health: critical" in web

    drained = client.get("/nodes/batch-2").get_data(as_text=True)
    assert "In maintenance: kernel upgrade" in drained


def test_service_without_checks_is_no_checks_not_passing(client):
    node = client.get("/nodes/edge-1").get_data(as_text=True)
    services = client.get("/services").get_data(as_text=True)
    proxy = client.get("/services/proxy").get_data(as_text=True)

    assert 'class="badge st-no-checks">no checks<' in node
    row = services[services.index(">proxy</a>") :]
    row = row[: row.index("</tr>")]
    assert 'class="chip st-no-checks"' in row
    assert "st-passing" not in row
    assert "no checks" in proxy


def test_services_page_lists_instances_with_health(client):
    html = client.get("/services").get_data(as_text=True)

    row = html[html.index(">api</a>") :]
    row = row[: row.index("</tr>")]
    assert 'class="chip st-critical" href="/nodes/web-2"' in row
    assert 'class="chip st-passing" href="/nodes/web-1"' in row


def test_unknown_node_and_service_are_404_pages(client):
    for url in ("/nodes/nope", "/services/nope"):
        response = client.get(url)
        assert response.status_code == 404
        assert "404 · Not Found" in response.get_data(as_text=True)


def test_healthz_reports_source_and_snapshot_age(client, cluster):
    body = client.get("/healthz").get_json()

    assert body["status"] == "ok"
    assert body["consul_configured"] is True
    assert body["source_reachable"] is True
    assert body["problem"] is None
    assert 0 <= body["snapshot_age_seconds"] < 3600
    assert body["nodes"] == 8
