"""What the operator asked an install for: the role and the addresses."""

from dataclasses import dataclass, field
from pathlib import Path

from nexuslite.errors import ConfigError
from nexuslite.install.addresses import check_dashboard_host, check_join_address
from nexuslite.install.paths import InstallRoot

ROLES = ("manager", "worker", "both")
DASHBOARD_PORT = 9000
CONSUL_PORTS = (8300, 8301, 8302, 8500, 8600)
# Consul's own advice: 3 or 5 servers, never more than 7 (raft slows down).
MAX_SERVERS = 7


@dataclass(frozen=True)
class InstallOptions:
    role: str = "both"
    joins: tuple[str, ...] = ()
    bind_addr: str | None = None
    advertise_addr: str | None = None
    bootstrap_expect: int | None = None
    dashboard_host: str | None = None
    target: InstallRoot = field(default_factory=InstallRoot)
    pyz: Path | None = None

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "both")

    @property
    def is_worker(self) -> bool:
        return self.role in ("worker", "both")

    def ports(self) -> list[int]:
        """TCP/UDP ports this role listens on once installed."""
        ports = [DASHBOARD_PORT] if self.is_manager else []
        return ports + list(CONSUL_PORTS)


def check_install_options(options: InstallOptions) -> None:
    """Refuse option values no install can use, before anything is read or written."""
    for join in options.joins:
        check_join_address(join)

    if options.dashboard_host is not None:
        check_dashboard_host(options.dashboard_host)
        check_manager_flag(options, "--dashboard-host", "the dashboard")

    expect = options.bootstrap_expect
    if expect is None:
        return

    check_manager_flag(options, "--bootstrap-expect", "a Consul server")
    if not 1 <= expect <= MAX_SERVERS:
        raise ConfigError(
            f"invalid --bootstrap-expect={expect}: use the number of managers, "
            f"1 to {MAX_SERVERS} (1, 3 or 5 is usual)"
        )


def check_manager_flag(options: InstallOptions, flag: str, what: str) -> None:
    if not options.is_manager:
        raise ConfigError(
            f"{flag} is for managers; a {options.role} runs no {what}: leave it out"
        )
