"""Agent commands: ``nexus agent``, the local service controls, and node requests.

``status``/``start``/``stop``/``restart`` talk to the running agent over its Unix
socket. ``drain``/``undrain``/``restart-service`` write a request to Consul KV for
the named node's agent and wait (with blocking queries) for its result.
"""

import logging
import time

import click

from nexuslite.agent.control import ask_agent
from nexuslite.errors import NexusError
from nexuslite.log import configure_logging
from nexuslite.settings import Settings, load_settings

log = logging.getLogger(__name__)

socket_option = click.option(
    "--socket", "agent_socket", type=click.Path(), help="Agent control socket."
)


def register(group: click.Group) -> None:
    """Add this layer's commands to ``group``."""
    for command in (agent, status, start, stop, restart, drain, undrain):
        group.add_command(command)
    group.add_command(restart_service)


@click.command()
@click.option("--config", "services_file", type=click.Path(), help="services.yml.")
@socket_option
@click.option("--consul", "consul_url", metavar="URL", help="Consul HTTP address.")
@click.option("--node-name", help="Consul node name (default: ask Consul).")
@click.option("--metrics-interval", help="Seconds between metrics publications.")
@click.option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
def agent(**flags) -> None:
    """Supervise the services of services.yml and report them to Consul."""
    settings = load_settings(flags)
    configure_logging(settings.log_level)

    from nexuslite.agent.runner import run_agent

    run_agent(settings)  # a bad services.yml stops here, exit code 2


@click.command()
@socket_option
def status(agent_socket) -> None:
    """Show each supervised service: state, pid, uptime and restarts."""
    settings = load_settings({"agent_socket": agent_socket})
    reply = _ask(settings, {"command": "status"})

    click.echo(f"{'NAME':<20} {'STATE':<9} {'PID':>7} {'UPTIME':>9} RESTARTS")
    for row in reply["services"]:
        pid = row["pid"] or "-"
        uptime = _format_uptime(row["uptime"])
        line = f"{row['name']:<20} {row['state']:<9} {pid:>7} {uptime:>9} "
        click.echo(f"{line}{row['restarts']:>8}  {row['detail']}".rstrip())


def _control_command(name: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("service")
    @socket_option
    def command(service, agent_socket) -> None:
        settings = load_settings({"agent_socket": agent_socket})
        reply = _ask(settings, {"command": name, "name": service})
        click.echo(reply["message"])

    return command


start = _control_command("start", "Start a stopped or fatal service.")
stop = _control_command("stop", "Stop a service (until started again).")
restart = _control_command("restart", "Restart a service.")


def _ask(settings: Settings, request: dict) -> dict:
    reply = ask_agent(settings.agent_socket, request)
    if not reply.get("ok"):
        raise NexusError(reply.get("message", "the agent refused"))
    return reply


def _format_uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


# --- requests to a node's agent through Consul -----------------------------------

wait_option = click.option(
    "--wait",
    "wait_seconds",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for the agent's result; 0 returns at once.",
)
consul_option = click.option(
    "--consul", "consul_url", metavar="URL", help="Consul HTTP address."
)


@click.command()
@click.argument("node")
@click.option("--reason", default="", help="Why; shown in the dashboard.")
@wait_option
@consul_option
def drain(node, reason, wait_seconds, consul_url) -> None:
    """Put NODE in Consul maintenance through its agent."""
    _request(consul_url, node, "drain", None, reason, wait_seconds)


@click.command()
@click.argument("node")
@wait_option
@consul_option
def undrain(node, wait_seconds, consul_url) -> None:
    """Take NODE out of maintenance through its agent."""
    _request(consul_url, node, "undrain", None, "", wait_seconds)


@click.command("restart-service")
@click.argument("node")
@click.argument("service")
@wait_option
@consul_option
def restart_service(node, service, wait_seconds, consul_url) -> None:
    """Ask NODE's agent to restart SERVICE."""
    _request(consul_url, node, "restart", service, "", wait_seconds)


def _request(consul_url, node, action, service, reason, wait_seconds) -> None:
    """Submit a request and wait for its result, never past ``--wait`` seconds."""
    import consul
    import requests

    from nexuslite.cluster import actions
    from nexuslite.cluster.consul_client import make_client

    settings = load_settings({"consul_url": consul_url})
    if not settings.uses_consul:
        raise NexusError("no Consul configured: set NEXUS_CONSUL_URL or --consul")

    budget = wait_seconds if wait_seconds > 0 else settings.consul_timeout
    deadline = time.monotonic() + budget
    client = make_client(settings, timeout=min(settings.consul_timeout, budget))
    try:
        if not actions.node_exists(client, node):
            raise NexusError(f"no node named {node!r} in Consul's catalog")
        by = f"cli:{_user_name()}"
        request_id = actions.submit_request(client, node, action, service, reason, by)
        click.echo(f"request {request_id}: {action} sent to {node}")
        if wait_seconds <= 0:
            return
        result = _wait_for_result(client, node, request_id, deadline)
        trouble = "" if result else _agent_trouble(client, node, actions)
    except (requests.RequestException, consul.ConsulException) as exc:
        raise NexusError(
            actions.describe_consul_error(exc, settings.consul_url)
        ) from None

    if result is None:
        why = f" ({trouble})" if trouble else ""
        raise NexusError(
            f"no answer from {node}'s agent within {wait_seconds:g}s{why}; "
            f"request {request_id} stays queued"
        )
    click.echo(f"{'ok' if result['ok'] else 'failed'}: {result['detail']}")
    if not result["ok"]:
        raise NexusError(f"{action} on {node} failed: {result['detail']}")


def _wait_for_result(client, node, request_id, deadline) -> dict | None:
    """Block on the result key until it appears or the deadline passes.

    Each call's HTTP timeout is cut to what is left, so a hanging Consul cannot
    hold the command past the deadline.
    """
    from nexuslite.cluster import kvlayout
    from nexuslite.cluster.actions import read_result

    key = kvlayout.result_key(node, request_id)
    index = None
    while (left := deadline - time.monotonic()) > 0.05:
        wait = int(min(left / 2, 10))
        blocking = index is not None and wait >= 1
        spent = wait * 17 / 16 if blocking else 0
        client.http.connections_timeout = max(left - spent, 0.05)
        index, entry = client.kv.get(
            key,
            index=index if blocking else None,
            wait=f"{wait}s" if blocking else None,
        )
        if entry is not None:
            return read_result(client, node, request_id)
        if not blocking and index is not None and wait < 1:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
    return None


def _agent_trouble(client, node, actions) -> str:
    """Best-effort explanation of a silent agent, given after the wait is over."""
    import consul
    import requests

    client.http.connections_timeout = 2.0
    try:
        return actions.agent_trouble(client, node)
    except (requests.RequestException, consul.ConsulException):
        return ""


def _user_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
