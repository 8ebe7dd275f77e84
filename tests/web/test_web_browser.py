"""The overview in real headless Chromium: the grid follows Consul without a reload.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser). The
dashboard is ``nexus serve`` run as a real process on a free port, reading the
Consul double.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from webcluster import build_cluster

from nexuslite.cluster import kvlayout

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
START_DEADLINE = 30.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]


@pytest.fixture
def served(double, tmp_path):
    """``nexus serve`` as a real process on a free port, reading the double."""
    cluster = build_cluster(double)
    port = _free_port()
    flags = (
        f"--consul {cluster.url} --port {port} --poll-interval 1 --refresh-interval 1"
    )
    command = [sys.executable, "-m", "nexuslite", "serve", *flags.split()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process)
        yield base
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert f"NexusLite dashboard on {base}/" in output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nexus serve exited: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if json.load(response)["nodes"]:
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    raise AssertionError("nexus serve did not answer in time")


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
    page.route(
        "**/?status=failed", lambda route: route.fulfill(status=503, body="<p>x</p>")
    )
    expect(page.locator("#conn")).to_contain_text("503", timeout=UPDATE_DEADLINE_MS)
    expect(page.locator("article.tile")).to_have_count(2)

    # Then the dashboard is unreachable: the same.
    page.unroute("**/?status=failed")
    page.route("**/?status=failed", lambda route: route.abort())
    expect(page.locator("#conn")).to_contain_text(
        "unreachable", timeout=UPDATE_DEADLINE_MS
    )
    expect(page.locator("article.tile")).to_have_count(2)
    assert page.evaluate("window.__sameDocument") is True
    assert errors == []


# A name with no break opportunity, and figures an agent should never send.
LONG_NAME = "very-long-" + "x" * 200
ABSURD_METRICS = (
    '{"v":1,"t":%f,"cpu":1e300,"ncpu":8,"mem":[1e30,1e29,1e308],"swap":[0,0],'
    '"disks":[["/",1e30,1e29,1e300]],"load":[1e300,1,1],"net":[1e300,1e300],'
    '"up":1e300,"procs":1000000000000000000000000000000,"agent":"0.1.0"}'
)


@pytest.mark.parametrize("width", [390, 1400])
def test_odd_names_and_figures_never_widen_the_page(served, page, double, width):
    from playwright.sync_api import expect

    double.add_node(LONG_NAME, address="10.0.9.1", meta={"empty": ""})
    double.add_service(LONG_NAME, LONG_NAME, service_id="long-1", port=80)
    double.add_node("absurd", address="10.0.9.2")
    double.kv_put(kvlayout.metrics_key("absurd"), ABSURD_METRICS % time.time())
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(served + "/")
    tile = page.locator("article.tile", has=page.get_by_role("link", name="absurd"))
    expect(tile).to_contain_text(">999%", timeout=UPDATE_DEADLINE_MS)

    pages = ["/", "/services", "/nodes/absurd", f"/nodes/{LONG_NAME}"]
    for path in pages + [f"/services/{LONG_NAME}"]:
        page.goto(served + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{path} is {overflow} px wider than {width} px"
