"""Entry point of nexus.pyz: check the unpacked cache, then hand over to the CLI.

Pex has booted the bundled venv by the time this runs, but nothing bundled has been
imported yet: a damaged cache is found here, discarded, and the original command
run again once, so pex unpacks a fresh copy. A venv that checks out is remembered,
so the next start of the same file goes straight to it (see preamble.py).
"""

import json
import os
import sys
from pathlib import Path

from nexuslite.packaging.bootstrap.cache import (
    discard_damaged,
    find_damage,
    find_site_packages,
)
from nexuslite.packaging.bootstrap.preamble import (
    ARGV_SEPARATOR,
    BOOT_ARGV_ENV,
    BOOT_CACHE_ENV,
    BOOT_POINTER_ENV,
)

BUILD_FILE = Path(__file__).resolve().parent.parent / "build.json"
REPAIRED_ENV = "NEXUS_CACHE_REPAIRED"
EXIT_FAILURE = 1


def main() -> None:
    """Run ``nexus`` from the bundled copy, repairing its cache first if needed."""
    site = find_site_packages()
    damage = find_damage(site, read_manifest())
    if damage is not None:
        repair_and_restart(damage, site)
    remember_venv()

    from nexuslite.cli import main as run_cli

    run_cli()


def read_manifest() -> dict[str, int]:
    """NexusLite's own files and sizes, as the builder recorded them."""
    with BUILD_FILE.open(encoding="utf-8") as stream:
        return json.load(stream)["files"]


def remember_venv() -> None:
    """Point the next start of this file straight at this checked venv.

    Only a shortcut: a pointer that cannot be written (a read-only part of the
    cache) costs the next start pex's slower way in, nothing more.
    """
    pointer = os.environ.get(BOOT_POINTER_ENV)
    if not pointer:
        return

    target = Path(pointer)
    venv_pex = str(Path(sys.prefix) / "pex").encode("utf-8")
    try:
        if target.is_file() and target.read_bytes() == venv_pex:
            return

        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        temporary.write_bytes(venv_pex)
        os.replace(temporary, target)
    except OSError:
        return


def repair_and_restart(damage, site: Path) -> None:
    """Discard the damaged cache entries and run the original command again."""
    where = f"{damage.path} ({damage.reason})"
    if os.environ.get(REPAIRED_ENV):
        _fail(f"the nexus.pyz cache is still damaged after a rebuild: {where}")

    pex_root = Path(os.environ[BOOT_CACHE_ENV])
    discard_damaged(damage, site, pex_root)
    sys.stderr.write(f"nexus: rebuilt damaged cache under {pex_root}: {where}\n")

    boot_argv = os.environ[BOOT_ARGV_ENV].split(ARGV_SEPARATOR)
    os.environ[REPAIRED_ENV] = "1"
    os.execv(boot_argv[0], boot_argv + sys.argv[1:])


def _fail(message: str) -> None:
    sys.stderr.write(f"Error: {message}\n")
    sys.exit(EXIT_FAILURE)
