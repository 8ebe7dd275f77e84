"""/etc/nexus/nexus.env: the settings both services read (``NEXUS_*=value`` lines).

An existing file is the operator's: its lines stay as they are, and only settings it
lacks are added (the dashboard host is replaced when ``--dashboard-host`` is given).
"""

import secrets

from nexuslite.settings import env_name


def parse_env(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


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
