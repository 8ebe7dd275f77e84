"""A real ``nexus agent`` process for tests, and the small programs it supervises."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from nexuslite.agent.control import ask_agent

SLEEPER = "import time\nwhile True:\n    time.sleep(1)\n"
CRASHER = "import sys\nsys.exit(1)\n"

# Parent forks a grandchild that ignores SIGTERM; both then sleep.
FORKER = """
import os, signal, sys, time
child = os.fork()
if child == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)
with open(sys.argv[1], "w") as f:
    f.write(str(child))
while True:
    time.sleep(1)
"""

# Leaves its process group the two usual ways, then sleeps: a grandchild in a new
# session (setsid), and a daemon that double-forks. Each escapee writes its pid to
# a file in the directory argv[1] ("session", "daemon").
ESCAPER = """
import os, subprocess, sys, time
NAP = "import os, sys, time\\n" \\
    "open(sys.argv[1], 'w').write(str(os.getpid()))\\n" \\
    "while True: time.sleep(1)\\n"
def nap(name):
    return [sys.executable, "-c", NAP, os.path.join(sys.argv[1], name)]
subprocess.Popen(nap("session"), start_new_session=True)
middle = os.fork()
if middle == 0:
    os.setsid()
    if os.fork():
        os._exit(0)
    os.execv(sys.executable, nap("daemon"))
os.waitpid(middle, 0)
while True:
    time.sleep(1)
"""

# Writes about 1 KiB per line, as fast as it can, then sleeps.
CHATTY = """
import sys, time
for i in range(200):
    print(str(i).rjust(6) + "x" * 1000, flush=True)
while True:
    time.sleep(1)
"""


class RunningAgent:
    def __init__(self, workdir: Path, services: str, env: dict | None = None):
        self.workdir = workdir
        self.services_file = workdir / "services.yml"
        self.services_file.write_text(services)
        # Unix socket paths are limited to 108 bytes: keep this one short.
        self.socket = Path(tempfile.mkdtemp(prefix="nx", dir="/tmp")) / "agent.sock"
        self.log_path = workdir / "agent.log"
        # The agent sees only the NEXUS_ settings the test gives it.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
        self.env = {**inherited, "NEXUS_AGENT_SOCKET": str(self.socket), **(env or {})}
        self.process: subprocess.Popen | None = None
        self._log_offset = 0

    def write_program(self, name: str, source: str) -> str:
        path = self.workdir / name
        path.write_text(source)
        return str(path)

    def start(self) -> "RunningAgent":
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nexuslite",
                "agent",
                "--config",
                str(self.services_file),
            ],
            stdout=log,
            stderr=log,
            env=self.env,
        )
        log.close()
        self.wait_for(r"control: listening on")
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[self._log_offset :]

    def wait_for(self, pattern: str, timeout: float = 10.0, count: int = 1) -> str:
        """Wait until the agent's log has ``count`` lines matching ``pattern``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.findall(f".*{pattern}.*", self.log_text())
            if len(found) >= count:
                return found[count - 1]
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r}:\n{self.log_text()}")

    def ask(self, command: str, name: str = "") -> dict:
        return ask_agent(self.socket, {"command": command, "name": name})

    def service(self, name: str) -> dict:
        rows = self.ask("status")["services"]
        return next(row for row in rows if row["name"] == name)

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def kill_leftovers(self) -> None:
        """Last resort after a failed test: nothing started here may survive it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        marker = str(self.workdir)
        for proc in psutil.process_iter(["cmdline"]):
            if any(marker in part for part in proc.info["cmdline"] or []):
                proc.kill()
