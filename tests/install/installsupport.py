"""Helpers shared by the install tests: stand-in scripts, a zipapp builder, a fake host.

``systemctl`` and ``consul`` are the only stand-ins: shell scripts early on PATH that
record their arguments (these machines run no systemd and have no Consul). Everything
else is real: the zipapp, systemd-sysusers, the files, modes and renames.
"""

import os
import shutil
import zipapp
from pathlib import Path

from nexuslite.install.host import Host

CHECKOUT = Path(__file__).resolve().parents[2]

SYSTEMCTL = """#!/bin/sh
echo "$*" >> "$NEXUS_RECORD_DIR/systemctl.log"
case " $* " in
    *" ${NEXUS_FAIL_SYSTEMCTL:-no-such-verb} "*)
        echo "Failed to $NEXUS_FAIL_SYSTEMCTL units: injected failure" >&2; exit 1 ;;
esac
# NEXUS_BLOCK_SYSTEMCTL=verb: say so in a file "blocked", then wait for "release"
# (at most a minute), so a test can signal the install while it waits here.
case " $* " in
    *" ${NEXUS_BLOCK_SYSTEMCTL:-no-such-verb} "*)
        : > "$NEXUS_RECORD_DIR/blocked"
        i=0
        while [ ! -e "$NEXUS_RECORD_DIR/release" ] && [ $i -lt 600 ]; do
            sleep 0.1; i=$((i + 1))
        done ;;
esac
if [ "$1" = is-active ]; then
    shift; for unit in "$@"; do echo "${NEXUS_UNIT_STATE:-active}"; done
fi
exit 0
"""

CONSUL = """#!/bin/sh
echo "$*" >> "$NEXUS_RECORD_DIR/consul.log"
case "$1" in
    version) echo "Consul v1.18.1"; echo "Revision 98cb473c" ;;
    validate)
        cat "$2"/*.hcl >> "$NEXUS_RECORD_DIR/consul-validated.hcl"
        if [ -n "${NEXUS_FAIL_VALIDATE:-}" ]; then
            echo "==> $NEXUS_FAIL_VALIDATE" >&2; exit 1
        fi
        echo "Configuration is valid!" ;;
esac
"""


def make_stand_ins(base: Path) -> tuple[Path, Path]:
    """The recording systemctl and consul in base/bin; records in base/records."""
    bin_dir, records_dir = base / "bin", base / "records"
    bin_dir.mkdir()
    records_dir.mkdir()
    for name, script in (("systemctl", SYSTEMCTL), ("consul", CONSUL)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    return bin_dir, records_dir


def build_zipapp(out: Path, marker: str = "") -> Path:
    """A nexus.pyz of this checkout (nexuslite/, systemd/) made by python -m zipapp."""
    stage = out.with_suffix(".stage")
    shutil.copytree(
        CHECKOUT / "nexuslite",
        stage / "nexuslite",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(CHECKOUT / "systemd", stage / "systemd")
    main = "from nexuslite.cli import main\n\nmain()\n"
    (stage / "__main__.py").write_text(main + (f"# {marker}\n" if marker else ""))
    zipapp.create_archive(stage, out)
    shutil.rmtree(stage)
    return out


def records(stand_ins: Path, name: str) -> list[str]:
    path = stand_ins / name
    return path.read_text().splitlines() if path.exists() else []


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` with its type, mode and content."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            found[str(path.relative_to(root))] = ("link", os.readlink(path))
        elif path.is_dir():
            found[str(path.relative_to(root))] = ("dir", info.st_mode)
        else:
            content = path.read_bytes()
            found[str(path.relative_to(root))] = ("file", info.st_mode, content)
    return found


class FakeHost(Host):
    """The real host, except for the facts a test chooses."""

    def __init__(
        self, interfaces=None, root=True, booted=True, holders=None, consul=None
    ):
        self._interfaces = interfaces or {"lo": ["127.0.0.1"], "eth0": ["10.0.0.5"]}
        self._root = root
        self._booted = booted
        self._holders = holders or {}
        self._consul = consul

    def interfaces(self):
        return self._interfaces

    def is_root(self):
        return self._root

    def is_systemd_booted(self):
        return self._booted

    def port_holders(self, ports):
        return {port: who for port, who in self._holders.items() if port in ports}

    def which(self, name):
        return self._consul if name == "consul" else super().which(name)

    def consul_leader(self):
        return None
