"""Carry out a plan: validate, write every file, run the commands, check the result.

A failure anywhere before the services are started puts every file back as it was;
so does Ctrl-C, SIGTERM or SIGHUP, and the next run after a kill -9.
"""

import logging
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from nexuslite.errors import ConfigError, NexusError
from nexuslite.install import paths
from nexuslite.install.paths import InstallRoot
from nexuslite.install.plan import Plan
from nexuslite.install.transaction import (
    FileTransaction,
    StopSignals,
    signals_deferred,
)

log = logging.getLogger(__name__)

ACTIVE_DEADLINE = 60.0
CONSUL_CONFIG_SUFFIXES = (".hcl", ".json")


def apply_plan(plan: Plan) -> None:
    """Write the plan's files and run its commands, or leave everything as it was."""
    validate_consul_config(plan)

    transaction = FileTransaction(plan.options.target.root)
    transaction.lock()
    with StopSignals() as stop:
        try:
            transaction.apply(plan.changes)
            for argv in plan.commands:
                run_command(argv)
        except OSError as exc:
            # A full disk, a read-only mount, a directory where a file should be.
            restore(transaction, plan.options.target)
            raise NexusError(f"install stopped, files restored: {exc}") from exc
        except BaseException:
            restore(transaction, plan.options.target)
            raise

        stop.hold()
        transaction.finish()


def restore(transaction: FileTransaction, target: InstallRoot) -> None:
    with signals_deferred():
        transaction.rollback()
        reload_after_rollback(target)


def recover_interrupted(target: InstallRoot) -> int | None:
    """Put back the files of an install or uninstall that was killed part-way.

    Returns how many files were restored, or None when no run was interrupted.
    """
    transaction = FileTransaction(target.root)
    transaction.lock()
    try:
        with signals_deferred():
            restored = transaction.recover()
            if restored is not None:
                reload_after_rollback(target)
    except OSError as exc:
        raise NexusError(
            f"cannot put back the files of an interrupted run: {exc}"
        ) from exc
    finally:
        transaction.release()
    return restored


def has_interrupted_run(target: InstallRoot) -> bool:
    return FileTransaction(target.root).journal.exists()


def run_command(argv: list[str]) -> str:
    """Run one command; a failure names it and quotes its last error line."""
    log.info("running: %s", " ".join(argv))
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        command = " ".join(argv)
        raise NexusError(f"{argv[0]} not found; it is needed for: {command}") from None

    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise NexusError(
            f"{' '.join(argv)} failed (exit {result.returncode}): {lines[-1]}"
        )
    return result.stdout


def validate_consul_config(plan: Plan) -> None:
    """Run ``consul validate`` on the future config directory (when consul exists)."""
    change = next((c for c in plan.changes if c.target == paths.CONSUL_CONFIG), None)
    if change is None or plan.consul is None:
        return

    existing = plan.options.target.under_root(paths.CONSUL_CONFIG_DIR)
    with tempfile.TemporaryDirectory(prefix="nexus-consul-") as staged:
        copy_other_configs(existing, Path(staged))
        (Path(staged) / paths.CONSUL_CONFIG.name).write_bytes(change.content)
        try:
            run_command([plan.consul, "validate", staged])
        except NexusError as exc:
            message = exc.format_message()
            raise ConfigError(
                f"consul rejects {paths.CONSUL_CONFIG}: {message}"
            ) from None


def copy_other_configs(source: Path, staged: Path) -> None:
    """Consul reads the whole directory, so validate ours together with the rest."""
    if not source.is_dir():
        return

    for path in sorted(source.iterdir()):
        if path.suffix not in CONSUL_CONFIG_SUFFIXES or path.is_dir():
            continue  # Consul skips these too
        if path.name == paths.CONSUL_CONFIG.name:
            continue

        try:
            shutil.copyfile(path, staged / path.name)
        except OSError as exc:
            raise ConfigError(
                f"cannot read {paths.CONSUL_CONFIG_DIR / path.name} "
                f"({exc.strerror}); Consul would not start with it: fix or move it"
            ) from None


def reload_after_rollback(target: InstallRoot) -> None:
    # systemd may have read the new units already; make it read the restored ones.
    if target.is_live and shutil.which("systemctl"):
        subprocess.run(["systemctl", "daemon-reload"], capture_output=True, timeout=60)


def wait_until_active(units: list[str], deadline: float = ACTIVE_DEADLINE) -> None:
    """Wait for every unit to be active; a failed or slow one raises NexusError."""
    give_up = time.monotonic() + deadline
    while True:
        states = read_unit_states(units)
        waiting = [unit for unit in units if states.get(unit) != "active"]
        failed = [unit for unit in waiting if states.get(unit) == "failed"]

        if not waiting:
            return

        if failed or time.monotonic() > give_up:
            unit = (failed or waiting)[0]
            raise NexusError(
                f"{unit} is {states.get(unit, 'unknown')}, not active: "
                f"see journalctl -u {unit}"
            )
        time.sleep(1)


def read_unit_states(units: list[str]) -> dict[str, str]:
    result = subprocess.run(
        ["systemctl", "is-active", *units], capture_output=True, text=True, timeout=30
    )
    return dict(zip(units, result.stdout.split(), strict=False))
