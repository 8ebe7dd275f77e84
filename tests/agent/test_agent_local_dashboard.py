"""With no Consul, the embedded-default dashboard shows the local agent's services."""

import socket
import sys

import psutil
import pytest

from nexuslite.cluster.local_source import LocalSource

pytestmark = pytest.mark.slow

SERVER = """\
import http.server, sys
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])),
                       http.server.SimpleHTTPRequestHandler).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_supervised_services_appear_once_with_their_state(make_agent, tmp_path):
    program = tmp_path / "server.py"
    program.write_text(SERVER)
    port = free_port()
    services = (
        f"web:\n  command: [{sys.executable}, {program}, '{port}']\n"
        "  start_seconds: 0.2\n"
        f"broken:\n  command: [{sys.executable}, -c, 'raise SystemExit(3)']\n"
        "  start_seconds: 0.2\n  restart: never\n"
    )
    agent = make_agent(services)
    agent.wait_for("state: web starting -> running")
    source = LocalSource(1.0, agent_socket=agent.socket)

    try:
        snap = source.fetch()
    finally:
        source.close()

    node = snap.nodes[0]
    by_name = {s.name: s for s in node.services}
    assert by_name["web"].health == "passing"
    assert by_name["web"].checks[0].output.startswith("running (pid ")
    assert by_name["broken"].health == "critical"
    listening = [
        s for s in node.services if any(str(port) in c.output for c in s.checks)
    ]
    assert listening == [], "the supervised server must not be listed twice"
    assert node.status == "degraded"


def test_without_an_agent_it_is_this_machine_with_real_figures(tmp_path):
    source = LocalSource(1.0, agent_socket=tmp_path / "no-agent.sock")

    try:
        snap = source.fetch()
    finally:
        source.close()

    node = snap.nodes[0]
    assert node.name == socket.gethostname()
    assert node.roles == ("manager", "worker")
    assert node.is_leader
    assert 0 < node.metrics.mem_total <= psutil.virtual_memory().total
    assert node.metrics.cpu_count == psutil.cpu_count()
    assert node.metrics.uptime > 0
    assert node.status in ("healthy", "degraded")
