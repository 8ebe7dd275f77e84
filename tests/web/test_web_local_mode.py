"""The embedded default: this machine as a one-node cluster with real figures."""

import socket

from webcluster import tile_of


def test_overview_shows_this_machine_with_real_metrics(make_app):
    app = make_app()
    html = app.test_client().get("/").get_data(as_text=True)

    tile = tile_of(html, socket.gethostname())
    assert "manager+worker" in tile
    assert "no agent" not in tile
    assert "CPU" in tile and "up " in tile
    assert "embedded default" in html


def test_node_page_and_services_render(make_app):
    client = make_app().test_client()

    node = client.get(f"/nodes/{socket.gethostname()}")
    services = client.get("/services")

    assert node.status_code == 200
    assert "Memory" in node.get_data(as_text=True)
    assert services.status_code == 200


def test_no_actions_without_consul_even_with_a_token(make_app):
    client = make_app(admin_token="secret").test_client()

    page = client.get(f"/nodes/{socket.gethostname()}").get_data(as_text=True)
    response = client.post(f"/actions/{socket.gethostname()}", data={"action": "drain"})

    assert "Admin token" not in page
    assert response.status_code == 404


def test_healthz_in_local_mode(make_app):
    body = make_app().test_client().get("/healthz").get_json()

    assert body["consul_configured"] is False
    assert body["source_reachable"] is True
    assert body["nodes"] == 1
