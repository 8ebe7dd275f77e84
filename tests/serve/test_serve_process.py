"""`nexus serve` as a real process on a free port, under waitress and gunicorn."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from consul_double import ConsulDouble

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env.pop("CONSUL_HTTP_TOKEN", None)
    env.update(extra)
    return env


class ServeProcess:
    def __init__(self, tmp_path, *args, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nexuslite", "serve", "--port", str(self.port)]
            + list(args),
            cwd=tmp_path,
            env=clean_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("nexus serve did not answer /healthz in time")

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.status, response.read().decode()

    def stop(self) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out, err


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(*args, **env):
        process = ServeProcess(tmp_path, *args, **env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def test_embedded_default_serves_this_machine(serve):
    process = serve()
    process.wait_ready()

    status, page = process.get("/")
    _, health = process.get("/healthz")

    assert status == 200
    assert socket.gethostname() in page
    assert json.loads(health)["source_reachable"] is True
    code, out, _ = process.stop()
    assert code == 0
    assert f"http://127.0.0.1:{process.port}/" in out


def test_consul_mode_shows_the_cluster(serve):
    with ConsulDouble() as double:
        double.add_node("consul-1", server=True)
        double.add_node("web-worker-7", meta={"nexus-pool": "blue"})
        process = serve("--consul", double.url, "--refresh-interval", "1")
        process.wait_ready()

        deadline = time.monotonic() + 15
        page = ""
        while "web-worker-7" not in page and time.monotonic() < deadline:
            _, page = process.get("/")
            time.sleep(0.2)

        assert "web-worker-7" in page
        _, health = process.get("/healthz")
        assert json.loads(health)["consul_configured"] is True


@pytest.mark.skipif(sys.platform != "linux", reason="gunicorn runs on Linux only")
def test_gunicorn_runs_several_workers(serve):
    process = serve("--server", "gunicorn", "--workers", "2")
    process.wait_ready()

    status, _ = process.get("/")
    assert status == 200
    code, _, err = process.stop()
    assert code == 0, err
    assert err.count("Booting worker") == 2


def test_busy_port_is_one_line_and_exit_1(serve, tmp_path):
    first = serve()
    first.wait_ready()

    second = subprocess.run(
        [sys.executable, "-m", "nexuslite", "serve", "--port", str(first.port)],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
    )

    assert second.returncode == 1
    assert second.stderr.strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{first.port}: Address already in use"
    ]
