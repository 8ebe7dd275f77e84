"""The Consul agent config an install writes to /etc/consul.d/nexus.hcl.

Addresses are always explicit (never 0.0.0.0), the HTTP API stays on loopback, and
every node has retry_join, so a node that boots before the others keeps trying.
"""

import json
from dataclasses import dataclass

from nexuslite.cluster.kvlayout import ROLE_META
from nexuslite.errors import ConfigError
from nexuslite.install import paths
from nexuslite.install.addresses import check_bind_address
from nexuslite.install.options import InstallOptions


@dataclass(frozen=True)
class ConsulAddresses:
    bind: str
    advertise: str
    joins: tuple[str, ...]
    bootstrap_expect: int | None


def plan_addresses(options: InstallOptions, bind: str) -> ConsulAddresses:
    """Advertise, join list and server count from the options and the bind address."""
    advertise = bind
    if options.advertise_addr:
        advertise = check_bind_address(options.advertise_addr, "--advertise-addr")

    if options.is_worker and not options.is_manager and not options.joins:
        raise ConfigError("a worker needs --join ADDR (a manager's address) to join")

    joins = options.joins or (advertise,)
    return ConsulAddresses(bind, advertise, joins, choose_bootstrap_expect(options))


def choose_bootstrap_expect(options: InstallOptions) -> int | None:
    if not options.is_manager:
        return None

    if options.bootstrap_expect is not None:
        return options.bootstrap_expect

    if options.joins:
        raise ConfigError(
            "a manager that joins others needs --bootstrap-expect N "
            "(the number of managers; every manager must give the same N)"
        )
    return 1


def render_consul_config(options: InstallOptions, addresses: ConsulAddresses) -> str:
    lines = [
        "# Written by nexus install; re-run nexus install to change it.",
        f"data_dir       = {quote(str(paths.CONSUL_DATA_DIR))}",
        f"bind_addr      = {quote(addresses.bind)}",
        f"advertise_addr = {quote(addresses.advertise)}",
        f"client_addr    = {quote('127.0.0.1')}",
        f"retry_join     = [{', '.join(quote(a) for a in addresses.joins)}]",
        "",
        "node_meta {",
        f"  {quote(ROLE_META)} = {quote(options.role)}",
        "}",
    ]
    if addresses.bootstrap_expect is not None:
        lines += [
            "",
            "server           = true",
            f"bootstrap_expect = {addresses.bootstrap_expect}",
            "",
            "ui_config {",
            "  enabled = true",
            "}",
        ]
    return "\n".join(lines) + "\n"


def quote(value: str) -> str:
    """An HCL string literal (HCL escapes like JSON)."""
    return json.dumps(value)
