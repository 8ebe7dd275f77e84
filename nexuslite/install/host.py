"""Facts about the machine that preflight and install read, behind one object.

Everything the install layer learns from the operating system goes through ``Host``,
so a test can hand in a host with, say, two private addresses without touching the
machine's network. Methods only read; nothing here changes the system.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil

CONSUL_HTTP = "http://127.0.0.1:8500"


class Host:
    """The running machine, read through psutil, /etc and a few commands."""

    consul_http = CONSUL_HTTP

    def is_root(self) -> bool:
        return os.geteuid() == 0

    def is_systemd_booted(self) -> bool:
        # The test sd_booted(3) uses: systemd creates this directory at boot.
        return Path("/run/systemd/system").is_dir()

    def os_release(self) -> dict[str, str]:
        return read_os_release(Path("/etc/os-release"))

    def python_version(self) -> tuple[int, int, int]:
        return sys.version_info[:3]

    def python_executable(self) -> str:
        """The interpreter the units run; empty when Python cannot tell.

        The real file, not nexus.pyz's venv link to it; but the distribution's stable
        ``python3`` name when that is the same interpreter, so that an upgrade from
        python3.X to python3.Y does not leave the units pointing at nothing.
        """
        if not sys.executable:
            return ""

        found = Path(sys.executable).resolve()
        for stable in (Path("/usr/bin/python3"), Path("/usr/local/bin/python3")):
            if stable.exists() and stable.resolve() == found:
                return str(stable)
        return str(found)

    def disk_free(self, path: Path) -> int:
        return shutil.disk_usage(nearest_existing(path)).free

    def memory_available(self) -> int:
        return psutil.virtual_memory().available

    def interfaces(self) -> dict[str, list[str]]:
        """IPv4 addresses of each interface that is up."""
        stats = psutil.net_if_stats()
        return {
            name: [a.address for a in addrs if a.family == socket.AF_INET]
            for name, addrs in psutil.net_if_addrs().items()
            if name in stats and stats[name].isup
        }

    def port_holders(self, ports: list[int]) -> dict[int, str]:
        """Port -> 'name (pid N)' for each of ``ports`` something listens on."""
        holders = {}
        for conn in psutil.net_connections(kind="inet"):
            port = conn.laddr.port if conn.laddr else None
            listening = (
                conn.status == psutil.CONN_LISTEN or conn.type == socket.SOCK_DGRAM
            )
            if port in ports and listening and port not in holders:
                holders[port] = describe_process(conn.pid)
        return holders

    def which(self, name: str) -> str | None:
        return shutil.which(name)

    def run(self, argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30)

    def consul_leader(self) -> str | None:
        """The leader the local Consul agent reports, or None when unreachable."""
        url = f"{self.consul_http}/v1/status/leader"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(json.load(response))
        except (OSError, ValueError):
            return None


def describe_process(pid: int | None) -> str:
    if pid is None:
        return "a process of another user or namespace"

    try:
        return f"{psutil.Process(pid).name()} (pid {pid})"
    except psutil.Error:
        return f"pid {pid}"


def read_os_release(path: Path) -> dict[str, str]:
    """KEY=value pairs of an os-release file; empty when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}

    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("\"'")
    return values


def nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
