"""Where the running app keeps its settings and refresher, and how views reach them."""

from flask import Flask, current_app

from nexuslite.cluster.model import Snapshot
from nexuslite.cluster.refresher import Refresher
from nexuslite.settings import Settings

EXTENSION = "nexus"
SETTINGS_KEY = "NEXUS_SETTINGS"


def store_settings(app: Flask, settings: Settings) -> None:
    app.config[SETTINGS_KEY] = settings


def store_refresher(app: Flask, refresher: Refresher) -> None:
    app.extensions[EXTENSION] = refresher


def get_refresher_of(app: Flask) -> Refresher:
    return app.extensions[EXTENSION]


def get_settings() -> Settings:
    return current_app.config[SETTINGS_KEY]


def get_refresher() -> Refresher:
    return get_refresher_of(current_app)


def get_snapshot() -> Snapshot:
    """The latest snapshot; read it once per request so a page is consistent."""
    return get_refresher().snapshot()


def are_actions_enabled(settings: Settings) -> bool:
    """Drain and restart need an operator token and a Consul to write requests to."""
    return settings.admin_token is not None and settings.uses_consul
