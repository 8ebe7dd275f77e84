"""One way to build a py-consul client from NexusLite settings."""

from urllib.parse import urlsplit

import consul

from nexuslite.settings import Settings

_DEFAULT_PORTS = {"http": 8500, "https": 8501}


def make_client(settings: Settings, timeout: float | None = None) -> consul.Consul:
    """A client for settings.consul_url with the token, CA file and a timeout.

    py-consul lets CONSUL_HTTP_TOKEN in the environment override the token argument;
    NexusLite's own setting wins, so the token is set again after construction.
    """
    parts = urlsplit(settings.consul_url)
    token = settings.consul_token.get_secret_value() if settings.consul_token else None
    verify: bool | str = (
        str(settings.consul_ca_file) if settings.consul_ca_file else True
    )

    client = consul.Consul(
        host=parts.hostname,
        port=parts.port or _DEFAULT_PORTS[parts.scheme],
        scheme=parts.scheme,
        token=token,
        verify=verify,
        connections_timeout=timeout or settings.consul_timeout,
    )
    if token:
        client.token = token
    return client
