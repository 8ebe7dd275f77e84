"""Undo an install: stop and remove the units and the installed file.

Configuration (/etc/nexus, the Consul config) and data stay unless ``purge`` is set,
so uninstalling and installing again gives back the same node.
"""

import shutil
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from nexuslite.errors import NexusError
from nexuslite.install import paths
from nexuslite.install.installer import restore, run_command
from nexuslite.install.paths import InstallRoot
from nexuslite.install.plan import OUR_MARK
from nexuslite.install.transaction import (
    FileChange,
    FileTransaction,
    StopSignals,
)

NEXUS_UNITS = [paths.DASHBOARD_UNIT, paths.AGENT_UNIT]
# Not even a purge removes nexus.hcl.bak*: that is the operator's file from before.
PURGED_FILES = (
    paths.ENV_FILE,
    paths.SERVICES_FILE,
    paths.SYSUSERS_FILE,
    paths.CONSUL_CONFIG,
    paths.CONSUL_DROPIN,
)
PURGED_DIRS = (paths.STATE_DIR, PurePosixPath("/var/cache/nexus-dashboard"))
EMPTIED_DIRS = (paths.OPT_DIR, paths.ETC_DIR, paths.CONSUL_DROPIN.parent)


@dataclass
class Removal:
    target: InstallRoot
    purge: bool
    units: list[str] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    dirs: list[PurePosixPath] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.dirs

    def stop_command(self) -> list[str]:
        if self.target.is_live:
            return ["systemctl", "disable", "--now", *self.units]
        return ["systemctl", f"--root={self.target.root}", "disable", *self.units]

    def commands(self) -> list[list[str]]:
        after = [["systemctl", "daemon-reload"]] if self.target.is_live else []
        return [self.stop_command(), *after] if self.units else []


def plan_removal(target: InstallRoot, purge: bool) -> Removal:
    """The units, files and directories an uninstall removes under ``target``."""
    removal = Removal(target, purge)
    removal.units = [
        u for u in removal_units(purge) if exists(target, paths.UNIT_DIR / u)
    ]

    files = [paths.UNIT_DIR / unit for unit in removal.units]
    files += [paths.PYZ, paths.PREVIOUS_PYZ]
    if purge:
        files += PURGED_FILES

    removal.changes = [
        FileChange(path, target.under_root(path))
        for path in files
        if exists(target, path)
    ]
    if purge:
        removal.dirs = [d for d in PURGED_DIRS if target.under_root(d).is_dir()]
    return removal


def removal_units(purge: bool) -> list[str]:
    # Consul is the cluster's: only a purge removes the consul.service we wrote.
    return NEXUS_UNITS + [paths.CONSUL_UNIT] if purge else list(NEXUS_UNITS)


def exists(target: InstallRoot, path: PurePosixPath) -> bool:
    full = target.under_root(path)
    if path.name == paths.CONSUL_UNIT:
        return full.is_file() and full.read_bytes().startswith(OUR_MARK.encode())
    return full.is_file()


def apply_removal(removal: Removal) -> None:
    """Stop the units, then delete the files as one restorable step."""
    commands = removal.commands()
    transaction = FileTransaction(removal.target.root)
    transaction.lock()  # before stopping anything: an install may be running
    if commands:
        try:
            run_command(commands[0])
        except BaseException:
            transaction.release()
            raise

    with StopSignals() as stop:
        try:
            transaction.apply(removal.changes)
            for argv in commands[1:]:
                run_command(argv)
        except OSError as exc:
            restore(transaction, removal.target)
            raise NexusError(f"uninstall stopped, files restored: {exc}") from exc
        except BaseException:
            restore(transaction, removal.target)
            raise

        stop.hold()
        transaction.finish()

    for directory in removal.dirs:
        try:
            shutil.rmtree(removal.target.under_root(directory))
        except OSError as exc:
            raise NexusError(
                f"the units and files are removed, but not all of {directory}/: "
                f"{exc}; remove the rest by hand"
            ) from exc
    remove_empty_dirs(removal.target)


def remove_empty_dirs(target: InstallRoot) -> None:
    for directory in EMPTIED_DIRS:
        path = target.under_root(directory)
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
