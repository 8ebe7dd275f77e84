"""The dashboard's Flask application factory.

``create_app`` reads as the table of contents of the web layer: one call per concern,
in start-up order. It starts a background refresher, so whoever creates an app stops
it: ``app.extensions["nexus"].stop()``.
"""

import hashlib
import hmac
import secrets

from flask import Flask, render_template, request
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException

from nexuslite import __version__
from nexuslite.cluster.model import ROLES, Snapshot
from nexuslite.cluster.refresher import Refresher
from nexuslite.cluster.source import ClusterSource
from nexuslite.cluster.sources import build_source
from nexuslite.resources import STATIC_DIR, TEMPLATES_DIR
from nexuslite.settings import Settings, load_settings
from nexuslite.web import controls, healthz, pages, units, widgets
from nexuslite.web.appstate import get_refresher_of, store_refresher, store_settings
from nexuslite.web.routing import NameConverter
from nexuslite.web.statuses import sort_worst_first, status_class

# Same-origin everything: the dashboard runs air-gapped and loads no external URL.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(
    settings: Settings | None = None, source: ClusterSource | None = None
) -> Flask:
    """Build the dashboard for ``settings``, reading ``source`` or the configured."""
    settings = settings or load_settings()
    # Named after the root logger, so Flask logs a bug's traceback through ours.
    app = Flask(
        "nexuslite",
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
    )

    setup_settings(app, settings)
    setup_refresher(app, source or build_source(settings), settings.refresh_interval)
    setup_templates(app)
    setup_tile_drawing(app)
    register_blueprints(app)
    register_error_pages(app)
    register_security_headers(app)
    return app


def setup_settings(app: Flask, settings: Settings) -> None:
    """Keep the settings and choose the key that signs forms and flash cookies."""
    store_settings(app, settings)
    app.secret_key = choose_secret_key(settings)


def choose_secret_key(settings: Settings) -> str:
    """NEXUS_SECRET_KEY; else one derived from the admin token; else a random one.

    Forms exist only when an admin token is set, and whoever knows that token may
    act anyway, so a key derived from it is as strong as the forms need and the
    same in every gunicorn worker: a form served by one verifies in another.
    """
    if settings.secret_key and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()

    if settings.admin_token and settings.admin_token.get_secret_value():
        token = settings.admin_token.get_secret_value().encode()
        return hmac.new(token, b"nexuslite form signing", hashlib.sha256).hexdigest()

    return secrets.token_hex(32)


def setup_refresher(app: Flask, source: ClusterSource, interval: float) -> None:
    store_refresher(app, Refresher(source, interval).start())


def setup_templates(app: Flask) -> None:
    """Fail loudly on a missing template input; escape everything by default."""
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        bytes=units.format_bytes,
        rate=units.format_rate,
        duration=units.format_duration,
        number=units.format_number,
        status_class=status_class,
        worst_first=sort_worst_first,
    )
    app.jinja_env.globals.update(
        version=__version__,
        node_roles=ROLES,
        status_badge=widgets.status_badge,
        metric_bar=widgets.metric_bar,
        node_grid=widgets.NodeGrid(),
    )


def setup_tile_drawing(app: Flask) -> None:
    """Draw the node tiles when a snapshot arrives, so polls find them ready."""
    grid = app.jinja_env.globals["node_grid"]

    def draw(snapshot: Snapshot) -> None:
        with app.test_request_context("/"):
            grid(snapshot, snapshot.nodes)

    get_refresher_of(app).add_listener(draw)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["name"] = NameConverter
    app.register_blueprint(pages.bp)
    app.register_blueprint(controls.bp)
    app.register_blueprint(healthz.bp)


def register_error_pages(app: Flask) -> None:
    """One error page for every HTTP error; a bug still logs its traceback first."""

    @app.errorhandler(HTTPException)
    def show_error(exc: HTTPException):
        page = render_template("pages/error.html", error=exc, path=request.path)
        return page, exc.code


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
