"""Commands of this layer, registered on the ``nexus`` group."""

import click


def register(group: click.Group) -> None:
    """Add this layer's commands to ``group``."""
