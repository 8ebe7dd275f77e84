"""Which IPv4 address Consul binds to and advertises, chosen the way Consul would.

NexusLite never writes ``0.0.0.0``: Consul would then pick the one private address
itself and refuse to start when there are several. We make that choice at install
time instead, with the same rule and the same wording, so the operator sees it early.
"""

import ipaddress

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
