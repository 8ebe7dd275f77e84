"""What an install would change: the files to write and the commands to run.

Building a plan reads the machine and the target root but changes nothing, so
``--dry-run`` and a real install show exactly the same plan. Files whose content and
mode already match are left out: a second run plans nothing.
"""

import filecmp
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nexuslite.errors import ConfigError
from nexuslite.install import paths
from nexuslite.install.addresses import choose_bind_address, list_private_ipv4
from nexuslite.install.artefact import choose_pyz
from nexuslite.install.consulconfig import (
    ConsulAddresses,
    plan_addresses,
    render_consul_config,
)
from nexuslite.install.envfile import (
    check_env_file,
    merge_env,
    parse_env,
    wanted_settings,
)
from nexuslite.install.host import Host
from nexuslite.install.options import (
    DASHBOARD_PORT,
    InstallOptions,
    check_install_options,
)
from nexuslite.install.paths import InstallRoot
from nexuslite.install.servicesfile import EXAMPLE as SERVICES_EXAMPLE
from nexuslite.install.transaction import FileChange
from nexuslite.install.unitfiles import (
    render_agent_unit,
    render_consul_dropin,
    render_consul_unit,
    render_dashboard_unit,
)
from nexuslite.settings import env_name

OUR_MARK = "# Written by nexus install"
SYSUSERS_LINE = 'u nexus - "NexusLite dashboard" /var/lib/nexus\n'
CONSUL_BINARIES = (
    PurePosixPath("/usr/local/bin/consul"),
    PurePosixPath("/usr/bin/consul"),
)

# Which units must restart when a file they read changes (an upgrade, a new config).
NEXUS_UNITS = (paths.DASHBOARD_UNIT, paths.AGENT_UNIT)
READERS = {
    paths.PYZ: NEXUS_UNITS,
    paths.ENV_FILE: NEXUS_UNITS,
    paths.SERVICES_FILE: (paths.AGENT_UNIT,),
    paths.UNIT_DIR / paths.DASHBOARD_UNIT: (paths.DASHBOARD_UNIT,),
    paths.UNIT_DIR / paths.AGENT_UNIT: (paths.AGENT_UNIT,),
    paths.CONSUL_CONFIG: (paths.CONSUL_UNIT,),
    paths.UNIT_DIR / paths.CONSUL_UNIT: (paths.CONSUL_UNIT,),
    paths.CONSUL_DROPIN: (paths.CONSUL_UNIT,),
}


@dataclass
class Plan:
    options: InstallOptions
    addresses: ConsulAddresses
    changes: list[FileChange] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    consul: str | None = None
    dashboard_url: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.commands

    def restarted_units(self) -> list[str]:
        """Units that read a changed file, in the order they are enabled."""
        touched = {unit for c in self.changes for unit in READERS.get(c.target, ())}
        return [unit for unit in self.units if unit in touched]


def build_plan(options: InstallOptions, host: Host) -> Plan:
    """Everything ``options`` would change under the target root."""
    check_install_options(options)
    check_role_change(options)
    bind = choose_bind_address(list_private_ipv4(host.interfaces()), options.bind_addr)
    addresses = plan_addresses(options, bind)
    plan = Plan(options, addresses, consul=host.which("consul"))

    wanted = desired_files(options, host, addresses)
    plan.changes = [change for change in wanted if not is_unchanged(change)]
    plan.units = enabled_units(options)
    plan.commands = plan_commands(plan, options)
    plan.dashboard_url = (
        dashboard_url(options, addresses) if options.is_manager else None
    )
    return plan


def check_role_change(options: InstallOptions) -> None:
    """Refuse to turn a dashboard node into a worker in place (its dashboard stays)."""
    dashboard = options.target.under_root(paths.UNIT_DIR / paths.DASHBOARD_UNIT)
    if options.is_manager or not dashboard.is_file():
        return

    raise ConfigError(
        f"this node runs the dashboard ({paths.DASHBOARD_UNIT}), which --role "
        f"{options.role} does not: run 'nexus uninstall' first (it keeps the "
        "config), then this install"
    )


def desired_files(
    options: InstallOptions, host: Host, addresses: ConsulAddresses
) -> list[FileChange]:
    target = options.target
    python = host.python_executable()
    files = keep_previous(
        target, paths.PYZ, paths.PREVIOUS_PYZ, choose_pyz(options.pyz)
    )

    if options.is_manager:
        files.append(text_file(target, paths.SYSUSERS_FILE, SYSUSERS_LINE))
        files.append(
            unit_file(target, paths.DASHBOARD_UNIT, render_dashboard_unit(python))
        )

    files.append(text_file(target, paths.ENV_FILE, env_content(options), mode=0o600))
    services = target.under_root(paths.SERVICES_FILE)
    if options.is_worker and not services.exists():
        files.append(text_file(target, paths.SERVICES_FILE, SERVICES_EXAMPLE))

    files.append(
        unit_file(target, paths.AGENT_UNIT, render_agent_unit(python, options))
    )
    files.append(consul_unit_file(options, host))

    hcl = render_consul_config(options, addresses).encode()
    return files + consul_config_files(target, hcl)


def keep_previous(
    target: InstallRoot, dest: PurePosixPath, backup: PurePosixPath, new: Path | bytes
) -> list[FileChange]:
    """Write ``new`` to ``dest``, first saving a different old one as ``backup``."""
    path = target.under_root(dest)
    if isinstance(new, Path):
        change = FileChange(dest, path, source=new)
    else:
        change = FileChange(dest, path, content=new)

    if not path.is_file() or is_unchanged(change):
        return [change]
    return [FileChange(backup, target.under_root(backup), source=path), change]


def consul_config_files(target: InstallRoot, hcl: bytes) -> list[FileChange]:
    """Our nexus.hcl; an operator's own file there is kept first, never overwritten.

    The operator's file goes to nexus.hcl.bak (nexus.hcl.bak.2, .3... when that name
    is taken, so a second change never replaces the first backup). A file we wrote
    is not kept: the same install options write it again.
    """
    path = target.under_root(paths.CONSUL_CONFIG)
    change = FileChange(paths.CONSUL_CONFIG, path, content=hcl)
    if not path.is_file() or is_unchanged(change):
        return [change]
    if path.read_bytes().startswith(OUR_MARK.encode()):
        return [change]

    backup = free_backup_name(target, paths.CONSUL_CONFIG)
    mode = stat.S_IMODE(path.stat().st_mode)
    keep = FileChange(backup, target.under_root(backup), mode=mode, source=path)
    return [keep, change]


def free_backup_name(target: InstallRoot, dest: PurePosixPath) -> PurePosixPath:
    backup = dest.with_name(f"{dest.name}.bak")
    number = 1
    while target.under_root(backup).exists():
        number += 1
        backup = dest.with_name(f"{dest.name}.bak.{number}")
    return backup


def text_file(
    target: InstallRoot, dest: PurePosixPath, text: str, mode: int = 0o644
) -> FileChange:
    return FileChange(dest, target.under_root(dest), mode=mode, content=text.encode())


def unit_file(target: InstallRoot, name: str, text: str) -> FileChange:
    return text_file(target, paths.UNIT_DIR / name, text)


def env_content(options: InstallOptions) -> str:
    """The operator's nexus.env, checked, plus the settings this install needs."""
    existing = options.target.read_text(paths.ENV_FILE) or ""
    check_env_file(existing, options.target)

    replace = {env_name("host")} if options.dashboard_host else set()
    merged = merge_env(existing, wanted_settings(options.dashboard_host), replace)
    check_env_file(merged, options.target)
    return merged


def consul_unit_file(options: InstallOptions, host: Host) -> FileChange:
    """Our own consul.service, or a drop-in when a Consul package brought one."""
    target = options.target
    if has_foreign_consul_unit(options):
        return text_file(target, paths.CONSUL_DROPIN, render_consul_dropin())

    consul = find_consul_binary(options, host)
    return unit_file(target, paths.CONSUL_UNIT, render_consul_unit(consul))


def has_foreign_consul_unit(options: InstallOptions) -> bool:
    target = options.target
    for directory in paths.PACKAGE_UNIT_DIRS:
        if target.under_root(directory / paths.CONSUL_UNIT).exists():
            return True

    ours = target.read_text(paths.UNIT_DIR / paths.CONSUL_UNIT)
    return ours is not None and not ours.startswith(OUR_MARK)


def find_consul_binary(options: InstallOptions, host: Host) -> str:
    """The consul the unit runs: the target's own, else where preflight says."""
    for candidate in CONSUL_BINARIES:
        if options.target.under_root(candidate).exists():
            return str(candidate)

    on_path = host.which("consul")
    if options.target.is_live and on_path:
        return on_path
    return str(CONSUL_BINARIES[0])


def is_unchanged(change: FileChange) -> bool:
    path = change.path
    if not path.is_file() or stat.S_IMODE(path.stat().st_mode) != change.mode:
        return False

    if change.source is not None:
        return filecmp.cmp(change.source, path, shallow=False)
    return path.read_bytes() == change.content


def enabled_units(options: InstallOptions) -> list[str]:
    units = [paths.CONSUL_UNIT, paths.AGENT_UNIT]
    return units + [paths.DASHBOARD_UNIT] if options.is_manager else units


def plan_commands(plan: Plan, options: InstallOptions) -> list[list[str]]:
    """Commands run once the files are in place; none when nothing changed."""
    if not plan.changes and has_nexus_user(options):
        return []

    target = options.target
    commands = []
    if options.is_manager:
        sysusers = str(target.under_root(paths.SYSUSERS_FILE))
        if target.is_live:
            commands.append(["systemd-sysusers", sysusers])
        else:
            commands.append(["systemd-sysusers", f"--root={target.root}", sysusers])

    if not target.is_live:
        return commands + [
            ["systemctl", f"--root={target.root}", "enable", *plan.units]
        ]

    commands.append(["systemctl", "daemon-reload"])
    restarted = plan.restarted_units()
    if restarted:
        commands.append(["systemctl", "try-restart", *restarted])
    return commands + [["systemctl", "enable", "--now", *plan.units]]


def has_nexus_user(options: InstallOptions) -> bool:
    """True when the dashboard's user exists (or is not needed: no dashboard)."""
    if not options.is_manager:
        return True

    passwd = options.target.read_text(PurePosixPath("/etc/passwd")) or ""
    return any(line.startswith("nexus:") for line in passwd.splitlines())


def dashboard_url(options: InstallOptions, addresses: ConsulAddresses) -> str:
    env = parse_env(env_content(options))
    host = env.get(env_name("host"), "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = addresses.advertise
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{DASHBOARD_PORT}/"
