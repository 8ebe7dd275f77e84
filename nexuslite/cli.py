"""The ``nexus`` command line: one group, each layer contributing its commands.

Errors raised as ``NexusError`` print one line and exit with their code (see
``nexuslite.errors``); anything else is a bug and keeps its traceback.
"""

import click

from nexuslite import __version__
from nexuslite.agent.commands import register as register_agent_commands
from nexuslite.install.commands import register as register_install_commands
from nexuslite.settings import describe_settings, load_settings
from nexuslite.web.commands import register as register_web_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """NexusLite: dashboard and node agent for small Consul clusters."""


@main.command()
def version() -> None:
    """Print the version and build details."""
    from nexuslite.packaging.buildinfo import describe_build

    click.echo(f"nexuslite {__version__}")
    for line in describe_build():
        click.echo(line)


@main.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked) and where each comes from."""
    settings = load_settings()
    for name, value, description in describe_settings(settings):
        click.echo(f"{name}={value}")
        click.echo(f"    # {description}")


register_web_commands(main)
register_agent_commands(main)
register_install_commands(main)
