"""Names from Consul are untrusted: escaped, linked encoded, never in a selector."""

from urllib.parse import quote

import pytest
from markupsafe import escape
from webcluster import hrefs, publish_metrics, sample_metrics, tags

HOSTILE = [
    "db.prod.example",
    "node with spaces",
    "nœud-ünïcødé-節点",
    'quote\'s "double"',
    "<script>alert(1)</script>",
    "rack/3/../node",
    "100%?x=1#frag",
]
# The Consul source reads each service by name in a URL path, where "/" and ".."
# cannot travel, so service names keep the other hostile characters only.
SERVICES = [name.replace("/", "-") for name in HOSTILE]


@pytest.fixture
def hostile_client(make_app, double):
    double.add_node("mgr-1", address="10.0.0.1", server=True)
    for i, name in enumerate(HOSTILE):
        double.add_node(name, address=f"10.9.0.{i}", meta={"nexus-pool": name})
        double.add_service(name, SERVICES[i], service_id=f"svc-{i}", port=80)
        publish_metrics(double, name, sample_metrics(20.0))
    return make_app(consul_url=double.url).test_client()


def test_hostile_names_are_escaped_everywhere(hostile_client):
    pages = ["/", "/services"] + [_node_url(name) for name in HOSTILE]

    for url in pages:
        html = hostile_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url

    for url in ("/", "/services", _node_url(HOSTILE[4])):
        html = hostile_client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


@pytest.mark.parametrize("name", HOSTILE)
def test_node_links_are_encoded_and_lead_to_the_node(hostile_client, name):
    overview = hostile_client.get("/").get_data(as_text=True)

    assert _node_url(name) in hrefs(overview)
    page = hostile_client.get(_node_url(name))
    assert page.status_code == 200
    assert f"<h1>{_escaped(name)} " in page.get_data(as_text=True)


@pytest.mark.parametrize("name", SERVICES)
def test_service_links_are_encoded_and_lead_to_the_service(hostile_client, name):
    services = hostile_client.get("/services").get_data(as_text=True)
    url = "/services/" + quote(name, safe="")

    assert url in hrefs(services)
    assert hostile_client.get(url).status_code == 200


def test_names_never_reach_an_htmx_target_or_an_id(hostile_client):
    for url in ["/", "/services"] + [_node_url(name) for name in HOSTILE]:
        html = hostile_client.get(url).get_data(as_text=True)
        for attrs in tags(html):
            assert attrs.get("hx-target", "this") in ("this", "#live"), url
            assert attrs.get("id", "live") in ("live", "conn"), url


def test_filtering_by_a_hostile_pool_and_search(hostile_client):
    name = 'quote\'s "double"'
    html = hostile_client.get("/", query_string={"pool": name, "q": "double"}).get_data(
        as_text=True
    )

    assert 'Nodes <span class="muted">1 of' in html
    assert _escaped(name) in html


def _node_url(name: str) -> str:
    return "/nodes/" + quote(name, safe="")


def _escaped(name: str) -> str:
    return str(escape(name))
