"""Assembles a running agent from settings: supervisor, control socket, Consul link."""

import logging
from typing import TYPE_CHECKING

from nexuslite.agent.control import ControlServer
from nexuslite.agent.daemon import AgentDaemon
from nexuslite.agent.servicefile import load_services
from nexuslite.agent.system import System

if TYPE_CHECKING:
    from nexuslite.settings import Settings

log = logging.getLogger(__name__)


def run_agent(settings: "Settings") -> None:
    """Run until SIGTERM/SIGINT; a bad services.yml raises ConfigError first."""
    specs = load_services(settings.services_file)
    # The socket names this agent: its services carry it, so that a later agent on
    # the same socket can find what this one left behind if it is killed with -9.
    system = System(identity=str(settings.agent_socket.absolute()))
    daemon = AgentDaemon(settings.services_file, system)
    control = ControlServer(settings.agent_socket, daemon.call).start()
    link = ConsulLink(settings, daemon) if settings.uses_consul else None

    log.info(
        "agent: supervising %d services from %s", len(specs), settings.services_file
    )
    try:
        daemon.run(specs)
    finally:
        control.close()
        if link is not None:
            link.close()


class ConsulLink:
    """The registrar and the request executor, each with its own client."""

    def __init__(self, settings: "Settings", daemon: AgentDaemon):
        from nexuslite.agent.executor import RequestExecutor
        from nexuslite.agent.registrar import Registrar
        from nexuslite.cluster.consul_client import make_client
        from nexuslite.metrics.sampler import MetricsSampler

        sampler = MetricsSampler(settings.metrics_interval).start()
        self.registrar = Registrar(
            make_client(settings),
            settings.node_name,
            settings.metrics_interval,
            sampler,
        )
        daemon.on_services_changed.append(self.registrar.set_services)
        self.executor = RequestExecutor(
            make_client(settings),
            node=lambda: self.registrar.node,
            restart=lambda name: daemon.call(lambda s: s.restart(name)),
        )
        self.sampler = sampler
        self.registrar.start()
        self.executor.start()

    def close(self) -> None:
        self.executor.close()
        self.sampler.stop()
        self.registrar.close()
