"""The overview in real headless Chromium: the grid follows Consul without a reload.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser). The
dashboard is served by waitress on a free port, backed by the Consul double.
"""

import threading
from pathlib import Path

import pytest
from waitress.server import create_server
from webcluster import build_cluster

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UPDATE_DEADLINE_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]


@pytest.fixture
def served(make_app, double):
    """The dashboard on the double's cluster, served over real HTTP."""
    cluster = build_cluster(double)
    app = make_app(consul_url=cluster.url, poll_interval=1, refresh_interval=1)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress-test")
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def test_grid_updates_live_filters_keep_the_url_and_errors_keep_content(
    served, page, double
):
    from playwright.sync_api import expect

    base = served
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + "/")
    page.evaluate("window.__sameDocument = true")
    web_1 = page.get_by_role("link", name="web-1", exact=True)
    badge = page.locator("article.tile", has=web_1).locator(".badge")
    expect(badge).to_have_text("healthy")

    # The node fails in Consul; the grid shows it on a later poll, same document.
    double.set_node_alive("web-1", False)
    expect(badge).to_have_text("failed", timeout=UPDATE_DEADLINE_MS)
    assert page.evaluate("window.__sameDocument") is True

    # A filter replaces the region and the address bar names only the filter used.
    page.select_option("select[name=status]", "failed")
    page.wait_for_url(base + "/?status=failed", timeout=UPDATE_DEADLINE_MS)
    expect(page.locator("article.tile")).to_have_count(2)  # web-1 and batch-1
    assert page.evaluate("window.__sameDocument") is True

    # Polls now get a 503 page: htmx keeps the good content and a note says so.
    page.route("**/?status=failed", lambda route: route.fulfill(status=503, body="<p>x</p>"))
    expect(page.locator("#conn")).to_contain_text("503", timeout=UPDATE_DEADLINE_MS)
    expect(page.locator("article.tile")).to_have_count(2)

    # Then the dashboard is unreachable: the same.
    page.unroute("**/?status=failed")
    page.route("**/?status=failed", lambda route: route.abort())
    expect(page.locator("#conn")).to_contain_text("unreachable", timeout=UPDATE_DEADLINE_MS)
    expect(page.locator("article.tile")).to_have_count(2)
    assert page.evaluate("window.__sameDocument") is True
    assert errors == []
