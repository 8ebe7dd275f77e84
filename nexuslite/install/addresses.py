"""Which IPv4 address Consul binds to and advertises, chosen the way Consul would.

NexusLite never writes ``0.0.0.0``: Consul would then pick the one private address
itself and refuse to start when there are several. We make that choice at install
time instead, with the same rule and the same wording, so the operator sees it early.
"""

import ipaddress
import re

from nexuslite.errors import ConfigError

# RFC 1918 ranges plus carrier-grade NAT (Tailscale and some clouds hand these out).
PRIVATE_NETWORKS = tuple(
    ipaddress.IPv4Network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

# Consul's own messages (agent/config/builder.go), so search engines find both.
MULTIPLE_PRIVATE = (
    "Multiple private IPv4 addresses found. "
    "Please configure one with 'bind' and/or 'advertise'."
)
NO_PRIVATE = "No private IPv4 address found"

# A DNS name as RFC 1123 allows it: dot-separated labels of letters, digits, hyphens.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$", re.IGNORECASE)
# Consul's cloud auto-join ("provider=aws tag_key=consul tag_value=prod").
_CLOUD_JOIN = re.compile(r"^provider=[a-z0-9_-]+( [a-z0-9_]+=[^\s\"\\]+)*$")


def is_private_ipv4(address: str) -> bool:
    """True for RFC 1918 and 100.64/10 addresses; never loopback or link-local."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False

    return any(ip in net for net in PRIVATE_NETWORKS)


def list_private_ipv4(interfaces: dict[str, list[str]]) -> list[str]:
    """The private IPv4 addresses of up interfaces, given as name -> addresses."""
    found = []
    for name in sorted(interfaces):
        for address in interfaces[name]:
            if is_private_ipv4(address) and address not in found:
                found.append(address)
    return found


def check_bind_address(address: str, flag: str = "--bind-addr") -> str:
    """Return ``address`` when Consul can bind or advertise it; else ConfigError."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise ConfigError(
            f"invalid {flag}={address!r}: expected one IPv4 address like 10.0.0.5"
        ) from None

    if ip.is_unspecified or ip.is_loopback or ip.is_multicast:
        raise ConfigError(
            f"invalid {flag}={address!r}: Consul needs an address other nodes can "
            "reach, never 0.0.0.0 or loopback"
        )
    return str(ip)


def choose_bind_address(private: list[str], given: str | None) -> str:
    """The address to write: the operator's choice, else the only private one."""
    if given:
        return check_bind_address(given)

    if not private:
        raise ConfigError(f"{NO_PRIVATE}: pass --bind-addr with this node's address")

    if len(private) > 1:
        choices = ", ".join(private)
        raise ConfigError(f"{MULTIPLE_PRIVATE} Pass --bind-addr (one of: {choices})")

    return private[0]


def is_hostname(name: str) -> bool:
    """True for a DNS name (RFC 1123) that is not a dotted-quad look-alike."""
    if not _HOSTNAME.match(name):
        return False
    return not re.fullmatch(r"[0-9.]+", name)


def check_join_address(value: str) -> str:
    """Return ``value`` when Consul's retry_join can use it; else ConfigError.

    Accepted: an IPv4 or IPv6 address or a host name, each with an optional
    ``:port`` (IPv6 with a port as ``[addr]:port``), or a cloud auto-join string.
    """
    if _CLOUD_JOIN.match(value):
        return value

    host, port = split_host_port(value)
    problem = None
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        problem = "the port must be a number from 1 to 65535"
    elif not (is_ip_address(host) or is_hostname(host)):
        problem = "expected an address or host name like 10.0.0.11 or mgr1:8301"
    elif is_ip_address(host) and not is_reachable_ip(host):
        problem = "other nodes cannot be reached at 0.0.0.0, loopback or multicast"

    if problem:
        raise ConfigError(f"invalid --join={value!r}: {problem}")
    return value


def check_dashboard_host(value: str) -> str:
    """Return ``value`` when the dashboard can listen on it; else ConfigError."""
    if is_ip_address(value) or is_hostname(value):
        return value

    raise ConfigError(
        f"invalid --dashboard-host={value!r}: expected an address like 10.0.0.5, "
        "0.0.0.0 for every address, or a host name"
    )


def split_host_port(value: str) -> tuple[str, str | None]:
    """Host and port of ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6."""
    if value.startswith("[") and "]" in value:
        host, _, rest = value[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else (rest or None)

    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, port
    return value, None


def is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_reachable_ip(value: str) -> bool:
    ip = ipaddress.ip_address(value)
    return not (ip.is_unspecified or ip.is_loopback or ip.is_multicast)
