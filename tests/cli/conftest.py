"""Run the ``nexus`` command as a real process, in a clean directory and environment."""

import os
import subprocess
import sys

import pytest


@pytest.fixture
def run_nexus(tmp_path):
    """run_nexus(*args, env={...}) -> CompletedProcess, cwd is an empty tmp dir."""

    def run(*args, env=None, timeout=30):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
        clean.pop("CONSUL_HTTP_TOKEN", None)
        clean.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "nexuslite", *args],
            cwd=tmp_path,
            env=clean,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
