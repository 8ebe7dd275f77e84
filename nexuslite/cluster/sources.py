"""Choose the cluster source the settings ask for."""

from nexuslite.cluster.source import ClusterSource
from nexuslite.settings import Settings


def build_source(settings: Settings) -> ClusterSource:
    """Consul when an address is configured, else this machine as a one-node cluster."""
    if settings.uses_consul:
        from nexuslite.cluster.consul_source import ConsulSource

        return ConsulSource(settings)

    from nexuslite.cluster.local_source import LocalSource

    return LocalSource(settings.refresh_interval, agent_socket=settings.agent_socket)
