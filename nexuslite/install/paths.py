"""Where an install puts each file, under ``/`` or under another root (``--root``).

``target`` is the path on the installed system (what units and configs refer to);
``under_root`` is where this process reads and writes it.
"""

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nexuslite.errors import ConfigError

OPT_DIR = PurePosixPath("/opt/nexus")
PYZ = OPT_DIR / "nexus.pyz"
PREVIOUS_PYZ = OPT_DIR / "nexus.pyz.previous"
ETC_DIR = PurePosixPath("/etc/nexus")
ENV_FILE = ETC_DIR / "nexus.env"
SERVICES_FILE = ETC_DIR / "services.yml"
UNIT_DIR = PurePosixPath("/etc/systemd/system")
DASHBOARD_UNIT = "nexus-dashboard.service"
AGENT_UNIT = "nexus-agent.service"
CONSUL_UNIT = "consul.service"
CONSUL_DROPIN = UNIT_DIR / "consul.service.d" / "nexus.conf"
CONSUL_CONFIG_DIR = PurePosixPath("/etc/consul.d")
CONSUL_CONFIG = CONSUL_CONFIG_DIR / "nexus.hcl"
CONSUL_DATA_DIR = PurePosixPath("/var/lib/consul")
SYSUSERS_FILE = PurePosixPath("/etc/sysusers.d/nexus.conf")
STATE_DIR = PurePosixPath("/var/lib/nexus")

# Where distribution packages put their units: a consul.service here is not ours.
PACKAGE_UNIT_DIRS = (
    PurePosixPath("/usr/lib/systemd/system"),
    PurePosixPath("/lib/systemd/system"),
)


@dataclass(frozen=True)
class InstallRoot:
    """The file system an install writes into: ``/`` or an image mounted elsewhere."""

    root: Path = Path("/")

    @property
    def is_live(self) -> bool:
        """True when installing into the running system (services can start)."""
        return self.root.resolve() == Path("/")

    def under_root(self, target: PurePosixPath) -> Path:
        return self.root / target.relative_to("/")

    def unit(self, name: str) -> PurePosixPath:
        return UNIT_DIR / name

    def read_text(self, target: PurePosixPath) -> str | None:
        """The text of a file an operator may have written; None when there is none.

        A file the install cannot read as UTF-8 text is refused in one line naming it,
        never silently replaced.
        """
        path = self.under_root(target)
        try:
            return path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        except UnicodeDecodeError as exc:
            problem = f"not UTF-8 text (byte {exc.start})"
        except OSError as exc:
            problem = exc.strerror or str(exc)
        raise ConfigError(
            f"cannot read {target}: {problem}; fix or move it, then run again"
        )
