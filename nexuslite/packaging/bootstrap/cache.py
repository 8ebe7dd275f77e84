"""The unpacked cache of nexus.pyz: find damage, and discard what is damaged.

Pex unpacks each bundled wheel and the per-interpreter venv into its own directory,
written to a temporary sibling and renamed under a lock, so a half-written entry is
never visible. What pex does not notice is an entry damaged later (a file removed by
a temp cleaner, a truncated write on a full disk). This module checks every file the
venv's site-packages should hold, by size, against the wheels' RECORD files and
NexusLite's own manifest, and moves damaged entries out of pex's way so the next
start rebuilds them.
"""

import csv
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Damage:
    """A file of the cache that is missing or has the wrong size."""

    path: Path
    reason: str


def find_site_packages() -> Path:
    """The running venv's site-packages, where pex links every bundled file."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return Path(sys.prefix) / "lib" / version / "site-packages"


def find_damage(site: Path, own_files: dict[str, int]) -> Damage | None:
    """The first missing or resized file in ``site``, or None when all is intact."""
    for relative, size in _expected_files(site, own_files):
        path = site / relative
        try:
            actual = path.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return Damage(path, "missing")

        if size is not None and actual != size:
            return Damage(path, f"{actual} bytes instead of {size}")

    return None


def discard_damaged(damage: Damage, site: Path, pex_root: Path) -> list[Path]:
    """Move the entries behind ``damage``, and all of this file's, aside; delete them.

    This file's entries (its venv, its unpacked copy) link to the damaged one, so
    they go too; pex rebuilds every missing entry at the next start.
    """
    entries = {_cache_entry(damage.path, site, pex_root), *_own_entries(pex_root)}
    discarded = []
    for entry in sorted(e for e in entries if e is not None):
        trash = entry.with_name(f".{entry.name}.damaged-{os.getpid()}")
        try:
            entry.rename(trash)
        except FileNotFoundError:
            continue  # another process got there first

        shutil.rmtree(trash, ignore_errors=True)
        discarded.append(entry)
    return discarded


def _expected_files(site: Path, own_files: dict[str, int]):
    """(path relative to site, size or None) for every file that should be there."""
    yield from own_files.items()

    for record in sorted(site.glob("*.dist-info/RECORD")):
        with record.open(newline="", encoding="utf-8") as stream:
            for row in csv.reader(stream):
                if not row or row[0].startswith(".."):
                    continue  # scripts live outside site-packages
                size = int(row[2]) if len(row) > 2 and row[2] else None
                yield row[0], size


def _cache_entry(path: Path, site: Path, pex_root: Path) -> Path | None:
    """The pex cache entry (``<kind>/<version>/<hash>``) that holds ``path``."""
    top = site / path.relative_to(site).parts[0]
    real = Path(os.path.realpath(top))
    try:
        parts = real.relative_to(Path(os.path.realpath(pex_root))).parts
    except ValueError:
        return None  # a copy inside the venv: discarding the venv is enough

    return pex_root.joinpath(*parts[:3]) if len(parts) > 3 else None


def _own_entries(pex_root: Path) -> set[Path]:
    """Entries named by this file's pex hash, and the venv's short alias.

    The venv lives at ``venvs/<v>/<pex hash>/<interpreter hash>``, reached through
    ``venvs/<v>/s/<short hash>/venv``.
    """
    venv = Path(os.path.realpath(sys.prefix))
    entries = set(pex_root.glob(f"*/*/{venv.parent.name}"))
    alias = Path(sys.prefix).parent
    if alias.parent.name == "s":
        entries.add(alias)
    return {e for e in entries if _is_inside(e, pex_root)}


def _is_inside(path: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True
