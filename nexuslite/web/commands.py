"""``nexus serve``: the dashboard."""

import click

from nexuslite.log import configure_logging
from nexuslite.settings import load_settings


def register(group: click.Group) -> None:
    group.add_command(serve)


@click.command()
@click.option("--consul", "consul_url", metavar="URL", help="Consul HTTP address.")
@click.option("--consul-ca-file", type=click.Path(), help="CA bundle for https Consul.")
@click.option("--host", help="Listen address (default 127.0.0.1).")
@click.option("--port", help="Listen port (default 9000).")
@click.option("--poll-interval", help="Seconds between browser refreshes.")
@click.option("--refresh-interval", help="Seconds between snapshot rebuilds.")
@click.option("--server", help="waitress (default) or gunicorn.")
@click.option("--workers", help="gunicorn worker processes.")
@click.option("--threads", help="Request threads per process.")
@click.option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
def serve(**flags) -> None:
    """Run the dashboard (Consul when configured, else this machine alone)."""
    settings = load_settings(flags)
    configure_logging(settings.log_level)

    from nexuslite.web import servers

    if settings.server == "gunicorn":
        servers.run_gunicorn(settings)
    else:
        servers.run_waitress(settings)
