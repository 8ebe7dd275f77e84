"""Preflight checks: is this machine ready for ``nexus install``?

Each check returns a ``Check`` (PASS, WARN or FAIL, what was found, how to fix it);
only the command prints them. Installing into another root (``--root``) is building
an image, so facts about the running machine (init, busy ports, addresses) only warn.
"""

import re
from dataclasses import asdict, dataclass

from nexuslite.errors import ConfigError
from nexuslite.install import paths
from nexuslite.install.addresses import (
    MULTIPLE_PRIVATE,
    NO_PRIVATE,
    check_bind_address,
    list_private_ipv4,
)
from nexuslite.install.artefact import read_pyz_version
from nexuslite.install.envfile import check_env_file
from nexuslite.install.host import Host
from nexuslite.install.options import DASHBOARD_PORT, InstallOptions

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"

MIN_PYTHON = (3, 10)
MIN_DISK = 200 * 2**20
MIN_MEMORY = 256 * 2**20
SUPPORTED_FAMILIES = (
    "debian",
    "ubuntu",
    "rhel",
    "fedora",
    "centos",
    "rocky",
    "almalinux",
)
CONSUL_HOWTO = (
    "copy the consul binary (from the HashiCorp release zip or package, fetched "
    "on a connected machine) to /usr/local/bin/consul and chmod 755 it"
)


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    found: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def run_checks(host: Host, options: InstallOptions) -> list[Check]:
    """Every preflight check, in the order the report lists them."""
    return [
        check_root(host),
        check_init(host, options),
        check_os(host),
        check_python(host),
        check_disk(host, options),
        check_memory(host),
        check_ports(host, options),
        check_consul_binary(host),
        check_consul_agent(host),
        check_existing_install(options),
        check_settings_file(options),
        check_bind_address_choice(host, options),
    ]


def has_failures(checks: list[Check]) -> bool:
    return any(check.status == FAIL for check in checks)


def check_root(host: Host) -> Check:
    if host.is_root():
        return Check("root", PASS, "running as root")
    return Check("root", FAIL, "not running as root", "run install with sudo")


def check_init(host: Host, options: InstallOptions) -> Check:
    if host.is_systemd_booted():
        return Check("init", PASS, "systemd is running")

    if not options.target.is_live:
        return Check("init", WARN, "systemd is not running here (fine for --root)")

    return Check(
        "init",
        FAIL,
        "systemd is not the init system",
        "use a systemd-based distribution",
    )


def check_os(host: Host) -> Check:
    release = host.os_release()
    family = {release.get("ID", "")} | set(release.get("ID_LIKE", "").split())
    name = release.get("PRETTY_NAME") or release.get("ID") or "unknown OS"

    if family & set(SUPPORTED_FAMILIES):
        return Check("os", PASS, name)
    return Check("os", WARN, f"{name} (not Debian, Ubuntu or RHEL family)", "untested")


def check_python(host: Host) -> Check:
    version = host.python_version()
    found = ".".join(str(part) for part in version)
    if not host.python_executable():
        # The units must name the interpreter; this one cannot say where it is.
        return Check(
            "python",
            FAIL,
            f"Python {found} cannot tell its own path (started by name, PATH unset)",
            "run it by full path, e.g. /usr/bin/python3 nexus.pyz ...",
        )

    if version[:2] >= MIN_PYTHON:
        return Check("python", PASS, f"Python {found} ({host.python_executable()})")
    return Check("python", FAIL, f"Python {found}", "install python3.10 or newer")


def check_disk(host: Host, options: InstallOptions) -> Check:
    where = options.target.under_root(paths.OPT_DIR)
    free = host.disk_free(where)
    found = f"{format_bytes(free)} free for {paths.OPT_DIR}"

    if free >= MIN_DISK:
        return Check("disk", PASS, found)
    return Check("disk", FAIL, found, f"free at least {format_bytes(MIN_DISK)}")


def check_memory(host: Host) -> Check:
    available = host.memory_available()
    found = f"{format_bytes(available)} memory available"

    if available >= MIN_MEMORY:
        return Check("memory", PASS, found)
    return Check("memory", WARN, found, f"NexusLite wants {format_bytes(MIN_MEMORY)}")


def check_ports(host: Host, options: InstallOptions) -> Check:
    ports = options.ports()
    holders = host.port_holders(ports)
    busy = {
        port: who for port, who in holders.items() if not is_expected_holder(port, who)
    }

    if not busy:
        return Check("ports", PASS, f"free or ours: {', '.join(map(str, ports))}")

    found = "; ".join(f"{port} held by {who}" for port, who in sorted(busy.items()))
    status = FAIL if options.target.is_live else WARN
    return Check("ports", status, found, "stop that process or move it to another port")


def is_expected_holder(port: int, holder: str) -> bool:
    """A port already held by what this install runs anyway (a re-run, an upgrade)."""
    name = holder.split(" ", 1)[0]
    if port == DASHBOARD_PORT:
        return name.startswith(("python", "nexus", "waitress", "gunicorn"))
    return name == "consul"


def check_consul_binary(host: Host) -> Check:
    binary = host.which("consul")
    if binary is None:
        return Check("consul binary", WARN, "no consul on PATH", CONSUL_HOWTO)

    result = host.run([binary, "version"])
    found = re.search(r"Consul (v\S+)", result.stdout)
    if result.returncode != 0 or found is None:
        return Check("consul binary", FAIL, f"{binary} does not run", CONSUL_HOWTO)

    return Check("consul binary", PASS, f"{binary} {found.group(1)}")


def check_consul_agent(host: Host) -> Check:
    leader = host.consul_leader()
    if leader is None:
        return Check(
            "consul agent",
            WARN,
            f"no Consul agent answers at {host.consul_http}",
            "install starts it with the config it writes",
        )

    found = f"reachable, leader {leader}" if leader else "reachable, no leader yet"
    return Check("consul agent", PASS, found)


def check_existing_install(options: InstallOptions) -> Check:
    installed = options.target.under_root(paths.PYZ)
    if not installed.exists():
        return Check("existing install", PASS, "none")

    version = read_pyz_version(installed)
    found = f"NexusLite {version} at {paths.PYZ} (upgrade keeps it as .previous)"
    return Check("existing install", PASS, found)


def check_settings_file(options: InstallOptions) -> Check:
    """An operator's nexus.env must be one the services can start with."""
    try:
        text = options.target.read_text(paths.ENV_FILE)
        if text is not None:
            check_env_file(text, options.target)
    except ConfigError as exc:
        return Check("settings", FAIL, exc.format_message(), f"fix {paths.ENV_FILE}")

    if text is None:
        return Check("settings", PASS, f"no {paths.ENV_FILE} yet (install writes it)")
    return Check("settings", PASS, f"{paths.ENV_FILE} is valid (install keeps it)")


def check_bind_address_choice(host: Host, options: InstallOptions) -> Check:
    interfaces = host.interfaces()
    private = list_private_ipv4(interfaces)
    listed = ", ".join(private) or "none"

    if options.bind_addr:
        return check_given_bind_address(options, interfaces, listed)

    if len(private) == 1:
        return Check("bind address", PASS, f"private IPv4: {private[0]}")

    message = MULTIPLE_PRIVATE if private else NO_PRIVATE
    return Check(
        "bind address", FAIL, f"{message} (private IPv4: {listed})", "pass --bind-addr"
    )


def check_given_bind_address(
    options: InstallOptions, interfaces: dict[str, list[str]], listed: str
) -> Check:
    try:
        address = check_bind_address(options.bind_addr)
    except ConfigError as exc:
        return Check(
            "bind address", FAIL, exc.format_message(), "pass one IPv4 address"
        )

    on_host = any(address in addresses for addresses in interfaces.values())
    if on_host:
        return Check(
            "bind address", PASS, f"--bind-addr {address} (private IPv4: {listed})"
        )

    status = FAIL if options.target.is_live else WARN
    return Check(
        "bind address",
        status,
        f"--bind-addr {address} is not on this host (private IPv4: {listed})",
        "pass an address of this node",
    )


def format_bytes(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"
