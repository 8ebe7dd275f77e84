"""/etc/nexus/nexus.env: the settings both services read (``NEXUS_*=value`` lines).

An existing file is the operator's: its lines stay as they are, and only settings it
lacks are added (the dashboard host is replaced when ``--dashboard-host`` is given).
A file the services could not start with is refused before anything is written,
in one line naming the file, the line and the setting.
"""

import re
import secrets
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from nexuslite.errors import ConfigError
from nexuslite.install import paths
from nexuslite.install.paths import InstallRoot
from nexuslite.settings import ENV_PREFIX, Settings, env_name

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


class GivenSettings(Settings):
    """The settings model reading only the values it is given (no environment)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **others):
        return (init_settings,)


def parse_env(text: str) -> dict[str, str]:
    """``NAME -> value`` of every assignment line; other lines are skipped."""
    values = {}
    for line in text.splitlines():
        found = _ASSIGNMENT.match(line.strip())
        if found:
            values[found.group(1)] = unquote(found.group(2).strip())
    return values


def check_env_file(text: str, target: InstallRoot) -> None:
    """Refuse a nexus.env the services would not start with (ConfigError)."""
    where = paths.ENV_FILE
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue

        found = _ASSIGNMENT.match(stripped)
        if found is None:
            raise ConfigError(
                f"invalid {where} line {number}: {shorten(stripped)!r} is not "
                "NEXUS_NAME=value; fix or comment it out, then run again"
            )
        values[found.group(1)] = (number, unquote(found.group(2).strip()))

    fields = {}
    for name, (number, value) in values.items():
        field = name.removeprefix(ENV_PREFIX).lower()
        if not name.startswith(ENV_PREFIX) or field not in Settings.model_fields:
            raise ConfigError(
                f"unknown setting {name} in {where} line {number} "
                "(see 'nexus config' for the names); remove it, then run again"
            )
        fields[field] = under_root_if_path(field, value, target)

    check_values(fields, values, where)


def check_values(
    fields: dict[str, Any], lines: dict[str, tuple[int, str]], where: PurePosixPath
) -> None:
    try:
        GivenSettings(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = env_name(str(error["loc"][0])) if error["loc"] else ""
        number, value = lines.get(name, (0, ""))
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(
            f"invalid {name}={value!r} in {where} line {number}: {message}"
        ) from None


def under_root_if_path(field: str, value: str, target: InstallRoot) -> str:
    # A file named in the env file lives on the installed system, under --root here.
    if field == "consul_ca_file" and value.startswith("/"):
        return str(target.under_root(PurePosixPath(value)))
    return value


def unquote(value: str) -> str:
    """A value as systemd's EnvironmentFile reads it: one pair of quotes removed."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def shorten(line: str, limit: int = 60) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."


def wanted_settings(dashboard_host: str | None) -> dict[str, str]:
    """Settings an install needs, with a fresh secret key (used only when absent)."""
    wanted = {
        env_name("secret_key"): secrets.token_urlsafe(32),
        env_name("consul_url"): "http://127.0.0.1:8500",
    }
    if dashboard_host:
        wanted[env_name("host")] = dashboard_host
    return wanted


def merge_env(existing: str, wanted: dict[str, str], replace: set[str]) -> str:
    """``existing`` plus the ``wanted`` keys it lacks; ``replace`` keys are updated."""
    lines = existing.splitlines()
    present = parse_env(existing)

    for index, line in enumerate(lines):
        key = line.partition("=")[0].strip()
        if key in replace and key in wanted and present.get(key) != wanted[key]:
            lines[index] = f"{key}={wanted[key]}"

    if not lines:
        lines.append(
            "# NexusLite settings (see 'nexus config'); read by both services."
        )
    lines += [f"{key}={value}" for key, value in wanted.items() if key not in present]
    return "\n".join(lines) + "\n"
