"""Issue 4 end to end: a node's agent, its service and a drain, seen on the dashboard.

Everything runs as a real process except the Consul double, which runs in this
process behind real HTTP listeners: ``nexus agent`` supervises a small HTTP server
declared with a Consul HTTP check and talks to node-a's agent endpoint of the double;
``nexus serve`` reads the double; ``nexus drain`` and ``nexus undrain`` are run as
commands. The test reads the dashboard's node page as a browser with JavaScript off
would, and waits (bounded) for what it expects, never for a duration.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import psutil
import pytest
from consul_double import ConsulDouble

from nexuslite import __version__
from nexuslite.cluster import kvlayout

pytestmark = pytest.mark.slow

NODE = "node-a"
SERVICE = "hello"
REASON = "e2e test"
STARTUP_SECONDS = 30
PAGE_SECONDS = 30
COMMAND_SECONDS = 60

# The supervised service: answers its health path with a body the check output shows.
HELLO_APP = """
import http.server, sys

class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        found = self.path == "/health"
        body = b"hello is healthy" if found else b"not here"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Hello).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict:
    """This machine's environment without NexusLite or Consul settings, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env.pop("CONSUL_HTTP_TOKEN", None)
    env.update(extra)
    return env


class Process:
    """A ``python -m nexuslite`` process whose output goes to a log file."""

    def __init__(self, workdir: Path, name: str, args: list[str], env: dict):
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "nexuslite", *args],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise AssertionError(
                f"{self.name} exited with {self.popen.returncode}:\n{self.log()}"
            )

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode


class Element:
    def __init__(self, tag: str, attrs: dict):
        self.tag = tag
        self.classes = set((attrs.get("class") or "").split())
        self.children: list = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def find_all(self, tag: str, cls: str | None = None) -> list["Element"]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if child.tag == tag and (cls is None or cls in child.classes):
                    found.append(child)
                found.extend(child.find_all(tag, cls))
        return found


class PageTree(HTMLParser):
    """A page as a tree of elements, enough to read sections, tables and badges."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "col"}

    def __init__(self, html: str):
        super().__init__()
        self.root = Element("document", {})
        self._open = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self._open[-1].children.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data):
        self._open[-1].children.append(data)


class NodePage:
    """What the node page says about one node, read from its HTML."""

    def __init__(self, html: str):
        root = PageTree(html).root
        head = root.find_all("section", "node-head")
        self.found = bool(head)
        if not self.found:
            return
        title = head[0].find_all("h1")[0]
        self.title = title.text()
        self.status = title.find_all("span", "badge")[0].text()
        self.maintenance = [p.text() for p in head[0].find_all("p", "banner")]
        # Each panel by its heading's own words: "Metrics", "Services", ...
        self.panels = {
            p.find_all("h2")[0].children[0].strip(): p
            for p in root.find_all("section", "panel")
        }

    def metrics(self) -> dict[str, str]:
        """Metric label -> "value detail", empty when the node shows no metrics."""
        return {
            m.find_all("span", "metric-label")[0].text(): m.text()
            for m in self.panels["Metrics"].find_all("div", "metric")
        }

    def metrics_notes(self) -> list[str]:
        return [p.text() for p in self.panels["Metrics"].find_all("p", "note")]

    def service_rows(self) -> dict[str, dict]:
        rows = {}
        for row in self.panels["Services"].find_all("tr"):
            cells = row.find_all("td")
            if not cells:
                continue
            rows[cells[1].find_all("a")[0].text()] = {
                "health": cells[0].find_all("span", "badge")[0].text(),
                "address": cells[2].text(),
                "checks": [
                    (c.find_all("span", "badge")[0].text(), c.text())
                    for c in cells[3].find_all("div", "check")
                ],
            }
        return rows


class Dashboard:
    def __init__(self, process: Process, port: int):
        self.process = process
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.read().decode()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            self.process.check_alive()
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"nexus serve never answered:\n{self.process.log()}")

    def wait_for_node(self, node: str, expected, what: str, *logs: Process) -> NodePage:
        """Poll the node page until ``expected(page)``; fail showing what it shows."""
        deadline = time.monotonic() + PAGE_SECONDS
        html = ""
        while time.monotonic() < deadline:
            for process in (self.process, *logs):
                process.check_alive()
            try:
                html = self.get(f"/nodes/{node}")
            except urllib.error.HTTPError as error:
                html = error.read().decode(errors="replace")
            page = NodePage(html)
            if page.found and expected(page):
                return page
            time.sleep(0.25)
        shown = PageTree(html).root.text()
        details = "\n".join(f"--- {p.name} log:\n{p.log()}" for p in logs)
        raise AssertionError(
            f"node page never showed {what}; it shows:\n{shown}\n{details}"
        )


def nexus_command(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nexuslite", *args],
        cwd=workdir,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


def services_yml(workdir: Path, port: int) -> str:
    app = workdir / "hello_app.py"
    app.write_text(HELLO_APP)
    return (
        f"{SERVICE}:\n"
        f"  command: [{sys.executable}, {app}, '{port}']\n"
        f"  directory: {workdir}\n"
        "  restart: on-failure\n"
        "  start_seconds: 0.5\n"
        "  consul:\n"
        f"    port: {port}\n"
        f"    check: {{http: 'http://127.0.0.1:{port}/health', interval: 1s}}\n"
    )


@pytest.fixture
def double():
    with ConsulDouble() as running:
        assert running.url  # reading it adds the server node, consul-1, now
        yield running


@pytest.fixture
def processes(tmp_path):
    """Start nexus processes in tmp_path; each is stopped, and its leftovers killed."""
    started: list[Process] = []

    def start(name: str, args: list[str], env: dict) -> Process:
        process = Process(tmp_path, name, args, env)
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()
    marker = str(tmp_path)
    for leftover in psutil.process_iter(["cmdline"]):
        if any(marker in part for part in leftover.info["cmdline"] or []):
            with contextlib.suppress(psutil.NoSuchProcess):
                leftover.kill()


@pytest.fixture
def socket_dir():
    # Unix socket paths are limited to 108 bytes, more than pytest's tmp_path may use.
    path = Path(tempfile.mkdtemp(prefix="nx-e2e-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_node_with_agent_shows_metrics_service_health_and_drain(
    double, processes, socket_dir, tmp_path
):
    app_port = free_port()
    (tmp_path / "services.yml").write_text(services_yml(tmp_path, app_port))
    agent = processes(
        "agent",
        ["agent", "--config", "services.yml"],
        clean_env(
            NEXUS_CONSUL_URL=double.agent_url(NODE),
            NEXUS_AGENT_SOCKET=str(socket_dir / "agent.sock"),
            NEXUS_METRICS_INTERVAL="1",
        ),
    )
    dashboard_port = free_port()
    dashboard = Dashboard(
        processes(
            "serve",
            ["serve", "--consul", double.url, "--refresh-interval", "1"]
            + ["--port", str(dashboard_port)],
            clean_env(),
        ),
        dashboard_port,
    )
    dashboard.wait_ready()

    def is_running_healthy(page: NodePage) -> bool:
        row = page.service_rows().get(SERVICE)
        return (
            page.status == "healthy"
            and bool(page.metrics())
            and row is not None
            and row["health"] == "passing"
        )

    page = dashboard.wait_for_node(
        NODE, is_running_healthy, "a healthy node with metrics and service", agent
    )

    published = kvlayout.decode_metrics(double.kv_get(kvlayout.metrics_key(NODE)))
    assert NODE in page.title
    assert page.maintenance == []
    assert page.metrics_notes() == []  # neither "no agent" nor stale figures
    assert f"by agent {__version__}" in page.panels["Metrics"].text()
    assert f"{published.cpu_count} CPUs" in page.metrics()["CPU"]
    assert 1 <= published.cpu_count <= (os.cpu_count() or 1)
    assert 0 < published.mem_total <= psutil.virtual_memory().total
    hello = page.service_rows()[SERVICE]
    assert hello["address"] == f"127.0.0.1:{app_port}"
    assert [status for status, _ in hello["checks"]] == ["passing"]
    check_text = hello["checks"][0][1]
    assert f"http://127.0.0.1:{app_port}/health" in check_text
    assert "hello is healthy" in check_text

    drained = nexus_command(
        tmp_path, "drain", NODE, "--reason", REASON, "--consul", double.url
    )
    assert drained.returncode == 0, drained.stderr + drained.stdout
    assert drained.stdout.splitlines()[-1] == f"ok: node in maintenance: {REASON}"
    page = dashboard.wait_for_node(
        NODE, lambda p: p.status == "draining", "node-a draining", agent
    )
    assert page.maintenance == [f"In maintenance: {REASON}"]
    assert SERVICE in page.service_rows()
    assert page.metrics()

    undrained = nexus_command(tmp_path, "undrain", NODE, "--consul", double.url)
    assert undrained.returncode == 0, undrained.stderr + undrained.stdout
    page = dashboard.wait_for_node(
        NODE, lambda p: p.status == "healthy", "node-a healthy again", agent
    )
    assert page.maintenance == []
    assert page.service_rows()[SERVICE]["health"] == "passing"

    assert agent.stop() == 0, agent.log()
    assert double.services_on(NODE) == {}
