"""NexusLite settings: one pydantic-settings model shared by every command.

Sources, lowest priority first: field defaults, the env files (``/etc/nexus/nexus.env``
then ``./.env``), ``NEXUS_*`` environment variables, command-line flags. Each field's
docstring is its documentation; ``nexus config`` prints the effective values.
"""

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import click
from dotenv import dotenv_values
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from nexuslite.errors import ConfigError

ENV_PREFIX = "NEXUS_"
DEFAULT_ENV_FILES = (Path("/etc/nexus/nexus.env"), Path(".env"))

# An IPv4/IPv6 address or a DNS host name: what a listen address may be.
_HOST = re.compile(r"[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file_encoding="utf-8",
        extra="ignore",
        use_attribute_docstrings=True,
        validate_default=True,
    )

    # --- Consul ---------------------------------------------------------------
    consul_url: str = ""
    """Consul HTTP address, e.g. http://127.0.0.1:8500; empty: this machine alone."""

    consul_host: str = ""
    """Older split form of consul_url: host (used when consul_url is empty)."""

    consul_port: int | None = Field(default=None, ge=1, le=65535)
    """Older split form of consul_url: port, default 8500."""

    consul_scheme: Literal["http", "https"] | None = None
    """Older split form of consul_url: http or https, default http."""

    consul_token: SecretStr | None = None
    """Consul ACL token sent with every request."""

    consul_ca_file: Path | None = None
    """CA bundle used to verify an https Consul address."""

    consul_timeout: float = Field(default=5.0, gt=0, le=120)
    """Seconds to wait for one Consul request before calling Consul slow."""

    # --- Dashboard ------------------------------------------------------------
    host: str = "127.0.0.1"
    """Address the dashboard listens on; exposing it beyond this host is explicit."""

    port: int = Field(default=9000, ge=1, le=65535)
    """TCP port the dashboard listens on."""

    poll_interval: float = Field(default=5.0, ge=1, le=3600)
    """Seconds between browser refreshes of live page regions."""

    refresh_interval: float = Field(default=5.0, ge=1, le=3600)
    """Seconds between background rebuilds of the cluster snapshot."""

    server: Literal["waitress", "gunicorn"] = "waitress"
    """WSGI server: waitress (one process) or gunicorn (several workers, Linux)."""

    workers: int = Field(default=2, ge=1, le=64)
    """Worker processes when the server is gunicorn."""

    threads: int = Field(default=8, ge=1, le=256)
    """Request threads per process."""

    secret_key: SecretStr | None = None
    """Key that signs forms; generated per process when unset (set it for gunicorn)."""

    admin_token: SecretStr | None = None
    """Operator token for drain and restart in the dashboard; unset disables them."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Log level of the nexuslite loggers."""

    cache_dir: Path | None = None
    """Where nexus.pyz unpacks its libraries; read from the environment at start-up."""

    # --- Agent ------------------------------------------------------------------
    services_file: Path = Path("/etc/nexus/services.yml")
    """services.yml the node agent supervises (nexus agent --config overrides it)."""

    agent_socket: Path = Path("/run/nexus/agent.sock")
    """Unix socket where the running agent answers nexus status/start/stop/restart."""

    metrics_interval: float = Field(default=10.0, ge=0.2, le=3600)
    """Seconds between the agent's metrics publications and TTL renewals."""

    node_name: str = ""
    """Consul node name of this machine; empty asks the local Consul agent."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        if not _HOST.fullmatch(value):
            raise ValueError("expected an IP address or a host name")
        return value

    @field_validator("consul_ca_file")
    @classmethod
    def _ca_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _accept_split_consul_address(cls, data: Any) -> Any:
        """Fold the older NEXUS_CONSUL_HOST/_PORT/_SCHEME form into consul_url."""
        if (
            isinstance(data, dict)
            and not data.get("consul_url")
            and data.get("consul_host")
        ):
            scheme = data.get("consul_scheme") or "http"
            port = data.get("consul_port") or 8500
            if not str(port).isdigit():
                return data  # let consul_port's own check name the bad value
            data = {**data, "consul_url": f"{scheme}://{data['consul_host']}:{port}"}
        return data

    @field_validator("consul_url")
    @classmethod
    def _check_consul_url(cls, value: str) -> str:
        return _checked_consul_url(value) if value.strip() else ""

    @property
    def uses_consul(self) -> bool:
        return bool(self.consul_url)


def _checked_consul_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected http://HOST:PORT or https://HOST:PORT")

    try:
        _ = parts.port
    except ValueError as exc:
        raise ValueError("port must be a number from 1 to 65535") from exc

    return f"{parts.scheme}://{parts.netloc}"


def load_settings(
    overrides: dict[str, Any] | None = None,
    env_files: tuple[Path, ...] = DEFAULT_ENV_FILES,
) -> Settings:
    """Build the effective settings; a bad value raises ConfigError naming it."""
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    # The root-only /etc/nexus/nexus.env reaches a service user through systemd's
    # EnvironmentFile; a file this process may not read is not its source.
    readable = tuple(f for f in env_files if os.access(f, os.R_OK))
    _refuse_unknown_names(readable)
    try:
        return Settings(_env_file=readable, **given)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, set(given), readable)) from None


def _refuse_unknown_names(env_files: tuple[Path, ...]) -> None:
    """A NEXUS_ name in our env files that no setting has is a typo, not a wish.

    Other names are left alone: the file may be shared with other programs.
    """
    for path in env_files:
        for name in dotenv_values(path):
            is_ours = name.upper().startswith(ENV_PREFIX)
            if is_ours and name[len(ENV_PREFIX) :].lower() not in Settings.model_fields:
                raise ConfigError(
                    f"{path}: unknown setting {name} (see 'nexus config' for the names)"
                )


def _describe(
    exc: ValidationError, from_flags: set[str], env_files: tuple[Path, ...]
) -> str:
    """One line naming the variable (or flag), its value and what is allowed."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    message = error["msg"].removeprefix("Value error, ")

    if not field:
        return f"invalid settings: {message}"

    if field in from_flags:
        return f"invalid {_flag_name(field)}={error.get('input')!r}: {message}"

    name, origin = env_name(field), ""
    if name not in os.environ:
        origin = next(
            (
                f" in {path}"
                for path in reversed(env_files)
                if name in dotenv_values(path)
            ),
            "",
        )
    return f"invalid {name}={error.get('input')!r}{origin}: {message}"


def _flag_name(field: str) -> str:
    """The command-line flag that set ``field`` (``--consul`` for consul_url)."""
    context = click.get_current_context(silent=True)
    for param in context.command.params if context else ():
        if param.name == field and param.opts:
            return param.opts[0]
    return f"--{field.replace('_', '-')}"


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def describe_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """(variable, effective value with secrets masked, description) for each field."""
    rows = []
    for field, info in Settings.model_fields.items():
        value = getattr(settings, field)
        if isinstance(value, SecretStr):
            shown = "********" if value.get_secret_value() else ""
        else:
            shown = "" if value is None else str(value)
        rows.append((env_name(field), shown, info.description or ""))
    return rows
