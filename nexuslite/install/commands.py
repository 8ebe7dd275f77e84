"""``nexus preflight``, ``nexus install`` and ``nexus uninstall``.

The checks and the plan are data; these commands only print them and ask for
confirmation. The Host comes from the click context object when a test provides one.
"""

import json
from pathlib import Path

import click

from nexuslite.errors import EXIT_FAILURE, NexusError
from nexuslite.install import paths
from nexuslite.install.host import Host
from nexuslite.install.installer import (
    apply_plan,
    has_interrupted_run,
    recover_interrupted,
    wait_until_active,
)
from nexuslite.install.options import ROLES, InstallOptions, check_install_options
from nexuslite.install.paths import InstallRoot
from nexuslite.install.plan import Plan, build_plan
from nexuslite.install.preflight import has_failures, run_checks
from nexuslite.install.report import describe_change, format_check
from nexuslite.install.uninstaller import apply_removal, plan_removal

root_option = click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, resolve_path=True, path_type=Path),
    default=Path("/"),
    show_default=True,
    help="Install into this directory instead of the running system (images, tests).",
)
bind_option = click.option(
    "--bind-addr", help="IPv4 address Consul binds to (required with several)."
)


def register(group: click.Group) -> None:
    """Add this layer's commands to ``group``."""
    group.add_command(preflight)
    group.add_command(install)
    group.add_command(uninstall)


def current_host() -> Host:
    obj = click.get_current_context().find_object(Host)
    return obj if obj is not None else Host()


@click.command()
@click.option("--role", type=click.Choice(ROLES), default="both", show_default=True)
@bind_option
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def preflight(role: str, bind_addr: str | None, root: Path, as_json: bool) -> None:
    """Check this machine is ready for 'nexus install'; exit 1 on any FAIL."""
    options = InstallOptions(role=role, bind_addr=bind_addr, target=InstallRoot(root))
    checks = run_checks(current_host(), options)

    if as_json:
        report = {
            "ok": not has_failures(checks),
            "checks": [c.as_dict() for c in checks],
        }
        click.echo(json.dumps(report, indent=2))
    else:
        for check in checks:
            click.echo(format_check(check))

    if has_failures(checks):
        click.get_current_context().exit(EXIT_FAILURE)


@click.command()
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--join", "joins", multiple=True, help="Address of a node to join.")
@bind_option
@click.option("--advertise-addr", help="Address other nodes use (default: bind).")
@click.option("--bootstrap-expect", type=int, help="Number of managers (servers).")
@click.option("--dashboard-host", help="Address the dashboard listens on.")
@click.option("--pyz", type=click.Path(path_type=Path), help="nexus.pyz to install.")
@root_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--dry-run", is_flag=True, help="Print what would change; change nothing."
)
def install(yes: bool, dry_run: bool, root: Path, **flags) -> None:
    """Install this nexus.pyz as systemd services with a Consul agent config."""
    options = InstallOptions(target=InstallRoot(root), **flags)
    check_install_options(options)
    host = current_host()
    recover(options.target, dry_run)

    checks = run_checks(host, options)
    for check in checks:
        click.echo(format_check(check))
    if has_failures(checks):
        raise NexusError("preflight failed: fix the FAIL lines above, then run again")

    plan = build_plan(options, host)
    if plan.is_empty:
        click.echo("Nothing to change: NexusLite is already installed as asked.")
        finish_install(plan)
        return

    print_plan(plan, with_diff=dry_run)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return

    if not yes:
        click.confirm("Apply these changes?", abort=True)
    apply_plan(plan)
    click.echo(f"Installed NexusLite ({options.role}) into {root}.")
    finish_install(plan)


def recover(target: InstallRoot, dry_run: bool) -> None:
    """Put back what a killed install or uninstall left half changed, and say so."""
    if dry_run:
        if has_interrupted_run(target):
            click.echo(
                "note    an earlier run was killed part-way; a real run first puts "
                "its files back, so the plan below may differ"
            )
        return

    restored = recover_interrupted(target)
    if restored is not None:
        click.echo(
            f"Recovered: an earlier run was killed part-way; {restored} file(s) "
            "put back as they were before it."
        )


def print_plan(plan: Plan, with_diff: bool) -> None:
    for change in plan.changes:
        for line in describe_change(change, with_diff):
            click.echo(line)

    validates = any(c.target == paths.CONSUL_CONFIG for c in plan.changes)
    if validates and plan.consul:
        click.echo(
            f"run     {plan.consul} validate {paths.CONSUL_CONFIG_DIR} (staged copy)"
        )
    elif validates:
        click.echo("note    consul is not on PATH: the Consul config is not validated")

    for argv in plan.commands:
        click.echo(f"run     {' '.join(argv)}")


def finish_install(plan: Plan) -> None:
    """On the running system, wait for the services; then say where the dashboard is."""
    if plan.options.target.is_live:
        wait_until_active(plan.units)
        click.echo(f"Running: {', '.join(plan.units)}")
    else:
        click.echo(f"Enabled in {plan.options.target.root}; they start when it boots.")

    if plan.dashboard_url:
        click.echo(f"Dashboard: {plan.dashboard_url}")


@click.command()
@click.option("--purge", is_flag=True, help="Also remove config and data.")
@root_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--dry-run", is_flag=True, help="Print what would change; change nothing."
)
def uninstall(purge: bool, root: Path, yes: bool, dry_run: bool) -> None:
    """Stop and remove the NexusLite services and file (config kept unless --purge)."""
    recover(InstallRoot(root), dry_run)
    removal = plan_removal(InstallRoot(root), purge)
    if removal.is_empty:
        click.echo(f"Nothing to remove: NexusLite is not installed in {root}.")
        return

    for argv in removal.commands():
        click.echo(f"run     {' '.join(argv)}")
    for change in removal.changes:
        click.echo(describe_change(change, with_diff=False)[0])
    for directory in removal.dirs:
        click.echo(f"remove  {directory}/ (data)")

    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return

    if not yes:
        click.confirm("Remove these?", abort=True)
    apply_removal(removal)
    kept = "" if purge else " Config kept in /etc/nexus (--purge removes it)."
    click.echo(f"Uninstalled NexusLite from {root}.{kept}")
