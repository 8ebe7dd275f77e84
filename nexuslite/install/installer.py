"""Carry out a plan: validate, write every file, run the commands, check the result.

A failure anywhere before the services are started puts every file back as it was.
"""

import logging
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from nexuslite.errors import ConfigError, NexusError
from nexuslite.install import paths
from nexuslite.install.plan import Plan
from nexuslite.install.transaction import FileTransaction

log = logging.getLogger(__name__)

ACTIVE_DEADLINE = 60.0
CONSUL_CONFIG_SUFFIXES = (".hcl", ".json")


def apply_plan(plan: Plan) -> None:
    """Write the plan's files and run its commands, or leave everything as it was."""
    validate_consul_config(plan)

    transaction = FileTransaction(plan.options.target.root)
    transaction.lock()
    try:
        transaction.apply(plan.changes)
        for argv in plan.commands:
            run_command(argv)
    except OSError as exc:
        # A full disk, a read-only mount, a directory where a file should be.
        restore(transaction, plan)
        raise NexusError(f"install stopped, files restored: {exc}") from exc
    except BaseException:
        restore(transaction, plan)
        raise

    transaction.finish()


def restore(transaction: FileTransaction, plan: Plan) -> None:
    transaction.rollback()
    reload_after_rollback(plan)


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

    for path in source.iterdir():
        if (
            path.suffix in CONSUL_CONFIG_SUFFIXES
            and path.name != paths.CONSUL_CONFIG.name
        ):
            shutil.copyfile(path, staged / path.name)


def reload_after_rollback(plan: Plan) -> None:
    # systemd may have read the new units already; make it read the restored ones.
    if plan.options.target.is_live and shutil.which("systemctl"):
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
