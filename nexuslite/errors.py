"""User-facing errors and the exit codes they map to, in one place.

A user mistake is raised as one of these and printed as a single line by the CLI.
Anything else is a bug and keeps its traceback.
"""

import click

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_UNSUPPORTED = 3


class NexusError(click.ClickException):
    """An error the operator can fix; printed as one line without a traceback."""

    exit_code = EXIT_FAILURE

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


class ConfigError(NexusError):
    """A setting, config file or command-line value is invalid."""

    exit_code = EXIT_USAGE
