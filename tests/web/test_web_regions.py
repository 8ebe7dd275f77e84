"""One URL, two renderings: full page without HX-Request, the fragment with it."""

import re

import pytest
from webcluster import tags

HX = {"HX-Request": "true"}
PAGES = ["/", "/?status=failed", "/nodes/web-1", "/services", "/services/api"]


@pytest.mark.parametrize("url", PAGES)
def test_full_page_without_hx_request_includes_the_live_region(client, url):
    response = client.get(url)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert html.startswith("<!doctype html>")
    assert "htmx.min.js" in html
    assert html.count('id="live"') == 1
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("url", PAGES)
def test_hx_request_gets_only_the_fragment_the_page_includes(client, url):
    response = client.get(url, headers=HX)
    fragment = response.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)

    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="live"')
    assert "<html" not in fragment and "<form" not in fragment
    assert "HX-Request" in response.headers["Vary"]
    assert _without_ages(fragment.strip()) in _without_ages(page)


def test_history_restore_gets_the_full_page(client):
    headers = {**HX, "HX-History-Restore-Request": "true"}

    html = client.get("/", headers=headers).get_data(as_text=True)

    assert html.startswith("<!doctype html>")


@pytest.mark.parametrize("url", PAGES)
def test_live_region_polls_its_own_url_without_piling_up(client, url):
    (region,) = [
        t for t in tags(client.get(url).get_data(as_text=True)) if t.get("id") == "live"
    ]

    assert region["hx-get"] == url
    assert region["hx-trigger"] == "every 5000ms"
    assert region["hx-sync"] == "this:drop"
    assert region["hx-target"] == "this"
    assert region["hx-swap"] == "outerHTML"


def test_poll_interval_comes_from_settings(make_app, cluster):
    app = make_app(consul_url=cluster.url, poll_interval=2.5)

    html = app.test_client().get("/").get_data(as_text=True)

    assert 'hx-trigger="every 2500ms"' in html


def test_pages_are_not_cached_and_carry_security_headers(client):
    response = client.get("/")

    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _without_ages(html: str) -> str:
    """Drop the "N s ago" figures, which may tick between two renders."""
    return re.sub(r"\d+[dhms]( \d+[hms])? ago", "AGO", html)
