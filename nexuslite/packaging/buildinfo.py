"""Build details of the running copy (a checkout, or a built nexus.pyz).

A built file carries two records: pex's ``PEX-INFO`` (a content hash of everything
inside, and the wheel of every bundled dependency) and NexusLite's own
``nexuslite/packaging/build.json`` (build time, git commit, targets). Both can be read
from the running file or from any nexus.pyz on disk without running it.
"""

import json
import os
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

from nexuslite.packaging.bootstrap.preamble import BOOT_CACHE_ENV, describe_targets

BUILD_FILE = Path(__file__).resolve().parent / "build.json"
BUILD_MEMBER = "nexuslite/packaging/build.json"


def describe_build() -> list[str]:
    """Lines for ``nexus version`` beyond the version itself."""
    python = f"python {sys.version.split()[0]} ({sys.executable})"
    pyz = os.environ.get("PEX")
    if not BUILD_FILE.is_file() or not pyz or not Path(pyz).is_file():
        return [python, "build: source checkout"]

    cache = f"cache: {os.environ.get(BOOT_CACHE_ENV, 'unknown')}"
    return [python, f"file: {pyz}", cache, *describe_pyz(Path(pyz))]


def describe_pyz(path: Path) -> list[str]:
    """Build id, time, commit, targets and bundled dependencies of a built file."""
    pex_info, build_info = read_pyz_metadata(path)
    lines = [
        f"build id: {pex_info['pex_hash']}",
        f"built at: {build_info['built_at']}",
        f"git commit: {build_info['git_commit']}",
        f"targets: {describe_targets(build_info['targets'])}",
        "bundled:",
    ]
    for name, platforms in summarize_wheels(pex_info["distributions"]):
        lines.append(f"  {name} ({platforms})")
    return lines


def read_pyz_metadata(path: Path) -> tuple[dict, dict]:
    """(PEX-INFO, build.json) of the nexus.pyz at ``path``."""
    with zipfile.ZipFile(path) as archive:
        pex_info = json.loads(archive.read("PEX-INFO"))
        build_info = json.loads(archive.read(BUILD_MEMBER))
    return pex_info, build_info


def summarize_wheels(wheel_names: list[str]) -> list[tuple[str, str]]:
    """("name version", "abis; machines") per bundled project, from wheel names."""
    abis, machines = defaultdict(set), defaultdict(set)
    for wheel in wheel_names:
        name, version, *_, python_tag, abi_tag, platform_tag = wheel[:-4].split("-")
        project = f"{name} {version}"
        if platform_tag == "any":
            machines[project].add("any")
            continue

        same = abi_tag == python_tag
        abis[project].add(python_tag if same else f"{python_tag}-{abi_tag}")
        machines[project].add(_short_platform(platform_tag))

    return [
        (project, _describe_tags(abis[project], found_machines))
        for project, found_machines in sorted(machines.items())
    ]


def _describe_tags(abis: set[str], machines: set[str]) -> str:
    """'cp310 cp311; aarch64 x86_64', or 'any' for a pure-Python wheel."""
    return "; ".join(_join(found) for found in (abis, machines) if found)


def _join(labels: set[str]) -> str:
    return " ".join(sorted(labels))


def _short_platform(platform_tag: str) -> str:
    """'manylinux2014_x86_64.manylinux_2_17_x86_64' -> 'x86_64'."""
    first = platform_tag.split(".")[0]
    for machine in ("x86_64", "aarch64"):
        if first.endswith(machine):
            return machine
    return first
