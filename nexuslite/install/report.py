"""Text the install commands print: check lines and the description of a plan.

Secrets never reach the terminal: the values of secret settings are masked in diffs.
"""

import difflib
import hashlib
import re
from pathlib import Path

from nexuslite.install.artefact import read_pyz_version
from nexuslite.install.preflight import Check
from nexuslite.install.transaction import FileChange

_SECRET_LINE = re.compile(r"^([+\- ]?\s*NEXUS_\w*(?:SECRET|TOKEN)\w*=).+$")


def format_check(check: Check) -> str:
    line = f"{check.status}  {check.name}: {check.found}"
    return f"{line} -> {check.fix}" if check.fix and check.status != "PASS" else line


def describe_change(change: FileChange, with_diff: bool) -> list[str]:
    """One line saying what happens to a file, then its diff when asked."""
    path = change.path
    if change.deletes:
        return [f"remove  {change.target}"]

    verb = "update" if path.exists() else "create"
    if change.source is not None:
        return [
            f"{verb}  {change.target} (mode {change.mode:04o}) {describe_copy(change)}"
        ]

    lines = [f"{verb}  {change.target} (mode {change.mode:04o})"]
    if with_diff:
        lines += diff_lines(path, change)
    return lines


def describe_copy(change: FileChange) -> str:
    source = change.source
    version = read_pyz_version(source)
    shown = f"NexusLite {version}" if version != "unknown" else "copy"
    return f"from {source} ({shown}, sha256 {digest(source)[:12]})"


def diff_lines(path: Path, change: FileChange) -> list[str]:
    # The old file may be anything an operator left there; show it, never fail on it.
    old = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    new = change.content.decode("utf-8")
    diff = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        fromfile=f"{change.target} (now)",
        tofile=f"{change.target} (new)",
        lineterm="",
    )
    return ["    " + mask_secret(line) for line in diff]


def mask_secret(line: str) -> str:
    return _SECRET_LINE.sub(r"\1********", line)


def digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()
