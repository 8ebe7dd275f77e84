"""The nexus.pyz file an install copies: the running one, or one named with --pyz.

When NexusLite runs from its zipapp, the file is on ``sys.argv[0]`` (or in ``$PEX``
for a pex build). From a checkout there is no single file to copy, so the operator
must name one.
"""

import os
import re
import sys
import zipfile
from pathlib import Path

from nexuslite.errors import ConfigError

_VERSION = re.compile(rb"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def is_zipapp(path: Path) -> bool:
    """True for a zip file with a top-level ``__main__.py``: something python runs."""
    if not path.is_file() or not zipfile.is_zipfile(path):
        return False

    with zipfile.ZipFile(path) as archive:
        return "__main__.py" in archive.namelist()


def find_running_pyz() -> Path | None:
    """The zipapp this process runs from, or None when it runs from a checkout."""
    candidates = [os.environ.get("PEX"), sys.argv[0] if sys.argv else None]
    for candidate in candidates:
        if candidate and is_zipapp(Path(candidate)):
            return Path(candidate).resolve()
    return None


def choose_pyz(given: Path | None) -> Path:
    """The file to install: ``--pyz`` when given, else the running zipapp."""
    if given is not None:
        if not is_zipapp(given):
            raise ConfigError(f"invalid --pyz={str(given)!r}: not a nexus.pyz zipapp")
        return given.resolve()

    running = find_running_pyz()
    if running is None:
        raise ConfigError(
            "nexus runs from a source checkout, so there is no nexus.pyz to copy: "
            "build one (python3 build_zipapp.py) and run it, or pass --pyz PATH"
        )
    return running


def read_pyz_version(path: Path) -> str:
    """The NexusLite version inside a zipapp, read without running it."""
    if not is_zipapp(path):
        return "unknown"

    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith("nexuslite/__init__.py"):
                found = _VERSION.search(archive.read(name))
                if found:
                    return found.group(1).decode()
    return "unknown"
