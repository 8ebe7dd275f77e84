"""What the operator asked an install for: the role and the addresses."""

from dataclasses import dataclass, field
from pathlib import Path

from nexuslite.install.paths import InstallRoot

ROLES = ("manager", "worker", "both")
DASHBOARD_PORT = 9000
CONSUL_PORTS = (8300, 8301, 8302, 8500, 8600)


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
