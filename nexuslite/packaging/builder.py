"""Build nexus.pyz with pex: stage the sources, pin the dependencies, run pex.

Pex does the hard parts: it picks wheels per target, boots the right set at start-up
and unpacks them atomically into its cache. This module decides what goes in: the
``nexuslite`` package with ``templates/``, ``static/`` and ``systemd/`` beside it, the
runtime dependencies of pyproject.toml pinned to the versions installed where the build
runs, the stdlib-only preamble, and ``build.json`` (build time, git commit, manifest).
Only pre-built wheels are accepted, so nothing is compiled for the build host.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from nexuslite import __version__
from nexuslite.errors import NexusError
from nexuslite.packaging.targets import Target

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
SHIPPED_DIRS = ("nexuslite", "templates", "static", "systemd")
PREAMBLE = PROJECT_ROOT / "nexuslite" / "packaging" / "bootstrap" / "preamble.py"
BUILD_FILE = Path("nexuslite") / "packaging" / "build.json"
ENTRY_POINT = "nexuslite.packaging.bootstrap.entry:main"
# A fixed pip resolves the same way on every build host (pex's default is very old).
PIP_VERSION = "25.1.1"
SKIPPED_NAMES = ("__pycache__", "*.pyc", "build.json")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# pip's two ways of saying that no pre-built wheel fits a pinned requirement.
_NO_WHEEL = re.compile(
    r"No matching distribution found for (\S+)|requested \(constraint\) (\S+)"
)
_TARGET_DIR = re.compile(r"resolver_download\.\w+/(\S+)")


class BuildError(NexusError):
    """The zipapp cannot be built as asked."""


@dataclass(frozen=True)
class BuildRequest:
    """What to build and where."""

    output: Path
    targets: tuple[Target, ...]
    source_date_epoch: int | None = None
    project_root: Path = PROJECT_ROOT


def build(request: BuildRequest) -> Path:
    """Build the zipapp described by ``request``; return its path."""
    if importlib.util.find_spec("pex") is None:
        raise BuildError("pex is not installed here: pip install -e '.[test]'")

    with tempfile.TemporaryDirectory(prefix="nexus-build-") as work:
        work_dir = Path(work)
        requirements = read_requirements(request.project_root)
        sources = stage_sources(work_dir / "sources", request.project_root)
        write_build_file(sources, request)
        preamble = write_preamble(work_dir / "preamble.py", request.targets)
        pins = pin_closure(requirements)
        check_python_support(pins, request.targets)
        constraints = write_constraints(work_dir / "constraints.txt", pins)

        request.output.parent.mkdir(parents=True, exist_ok=True)
        command = pex_command(request, requirements, sources, preamble, constraints)
        run_pex(command, request.source_date_epoch)

    # Readable by every user whatever the builder's umask: services run it as theirs.
    request.output.chmod(0o755)
    return request.output


def stage_sources(staging: Path, project_root: Path = PROJECT_ROOT) -> Path:
    """Copy the shipped folders without caches, with fixed modes (reproducible)."""
    for name in SHIPPED_DIRS:
        source = project_root / name
        if not source.is_dir():
            raise BuildError(f"missing folder {source}: run the build from a checkout")
        shutil.copytree(
            source,
            staging / name,
            ignore=shutil.ignore_patterns(*SKIPPED_NAMES),
            copy_function=shutil.copyfile,
        )

    for path in staging.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return staging


def write_build_file(staging: Path, request: BuildRequest) -> None:
    """Record what ``nexus version`` prints and the manifest the cache check uses."""
    files = {
        path.relative_to(staging).as_posix(): path.stat().st_size
        for path in sorted(staging.rglob("*"))
        if path.is_file()
    }
    info = {
        "version": __version__,
        "built_at": _build_time(request.source_date_epoch),
        "git_commit": read_git_commit(request.project_root),
        "targets": [[t.python, t.machine] for t in request.targets],
        "files": files,
    }
    text = json.dumps(info, indent=1, sort_keys=True) + "\n"
    (staging / BUILD_FILE).write_text(text, encoding="utf-8")


def write_preamble(path: Path, targets: tuple[Target, ...]) -> Path:
    """The preamble, told which (python, machine) pairs this file carries."""
    pairs = tuple((t.python, t.machine) for t in targets)
    text = PREAMBLE.read_text(encoding="utf-8")
    if "\nTARGETS = ()\n" not in text:
        raise RuntimeError(f"{PREAMBLE} lost its 'TARGETS = ()' line")

    path.write_text(text.replace("\nTARGETS = ()\n", f"\nTARGETS = {pairs!r}\n"))
    return path


def write_constraints(path: Path, pins: set[tuple[str, str]]) -> Path:
    """Pin the installed dependency closure: the file bundles what was tested here."""
    lines = sorted(f"{name}=={version}" for name, version in pins)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check_python_support(pins: set[tuple[str, str]], targets) -> None:
    """Refuse pins whose Requires-Python leaves out a target, naming both.

    The file bundles the versions installed here; one that dropped an older CPython
    would otherwise fail deep in pex's resolve with no word about the reason.
    """
    from packaging.specifiers import SpecifierSet

    for name, version in sorted(pins):
        needs = metadata.distribution(name).metadata.get("Requires-Python")
        if not needs:
            continue
        for target in targets:
            if not SpecifierSet(needs).contains(target.python):
                raise BuildError(
                    f"{name} {version} installed here needs Python {needs}, but the "
                    f"build targets {target}; install a {name} that supports "
                    f"{target.python}, or build without it (--python)"
                )


def pin_closure(requirements: list[str]) -> set[tuple[str, str]]:
    """(name, installed version) of every installed project the requirements reach.

    Markers are ignored on purpose: a dependency needed only on another target is
    pinned too when it is installed here.
    """
    pins = set()
    pending = [_project_name(r) for r in requirements]
    while pending:
        name = pending.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here: resolved freely for the targets needing it

        pin = (dist.metadata["Name"], dist.version)
        if pin in pins:
            continue
        pins.add(pin)
        pending += [
            _project_name(r) for r in dist.requires or [] if "extra ==" not in r
        ]
    return pins


def read_requirements(project_root: Path = PROJECT_ROOT) -> list[str]:
    """The runtime dependencies declared in pyproject.toml."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: ask the installed metadata instead
        declared = metadata.requires("nexuslite") or []
        return [r for r in declared if "extra ==" not in r]

    with (project_root / "pyproject.toml").open("rb") as stream:
        return tomllib.load(stream)["project"]["dependencies"]


def read_git_commit(project_root: Path = PROJECT_ROOT) -> str:
    """HEAD's commit, marked ``-dirty`` when the shipped folders have changes."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=project_root,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"

    dirty = git("status", "--porcelain", "--", *SHIPPED_DIRS)
    return f"{commit}-dirty" if dirty else commit


def pex_command(
    request: BuildRequest,
    requirements: list[str],
    sources: Path,
    preamble: Path,
    constraints: Path,
) -> list[str]:
    """The pex command line for this build."""
    command = [
        sys.executable,
        "-m",
        "pex",
        *requirements,
        "--constraints",
        str(constraints),
        "--sources-directory",
        str(sources),
        "--preamble-file",
        str(preamble),
        "--entry-point",
        ENTRY_POINT,
        "--venv",
        "--no-build",
        "--pip-version",
        PIP_VERSION,
        "--no-emit-warnings",
        "--output-file",
        str(request.output),
    ]
    for target in request.targets:
        command += ["--platform", target.pex_platform]
    return command


def run_pex(command: list[str], source_date_epoch: int | None) -> None:
    """Run pex; turn a missing wheel into one line naming the package and target."""
    env = dict(os.environ)
    if source_date_epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(source_date_epoch)

    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BuildError(describe_pex_failure(result.stderr))


def describe_pex_failure(stderr: str) -> str:
    """One line for a failed pex run, naming the package and target when known."""
    missing = _NO_WHEEL.search(stderr)
    if missing:
        target = _TARGET_DIR.search(stderr)
        where = target.group(1) if target else "a requested target"
        package = missing.group(1) or missing.group(2)
        return f"no wheel of {package} for {where}; choose other targets"

    last = [line for line in stderr.strip().splitlines() if line.strip()][-1:]
    return "pex failed: " + (last[0] if last else "no output")


def _build_time(source_date_epoch: int | None) -> str:
    moment = (
        datetime.fromtimestamp(source_date_epoch, timezone.utc)
        if source_date_epoch is not None
        else datetime.now(timezone.utc)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _project_name(requirement: str) -> str:
    return _NAME.match(requirement.strip()).group(0)
