"""Run the dashboard under waitress (default) or gunicorn (several workers)."""

import logging
import signal
import sys

import click

from nexuslite.errors import NexusError
from nexuslite.settings import Settings

log = logging.getLogger(__name__)


def run_waitress(settings: Settings) -> None:
    from waitress import create_server

    from nexuslite.web.app import create_app

    app = create_app(settings)
    try:
        server = create_server(
            app, host=settings.host, port=settings.port, threads=settings.threads
        )
    except OSError as exc:
        app.extensions["nexus"].stop()
        raise NexusError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
        ) from None

    _announce(settings, server.effective_port)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        log.info("dashboard stopping")
    finally:
        server.close()
        app.extensions["nexus"].stop()


def run_gunicorn(settings: Settings) -> None:
    if not sys.platform.startswith("linux"):
        raise NexusError("--server gunicorn runs on Linux only; use waitress here")

    from gunicorn.app.base import BaseApplication

    class DashboardApplication(BaseApplication):
        """gunicorn with its options from our settings; each worker builds its own
        app (and so its own refresher) after the fork."""

        def load_config(self):
            self.cfg.set("bind", f"{_url_host(settings.host)}:{settings.port}")
            self.cfg.set("workers", settings.workers)
            self.cfg.set("threads", settings.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", None)
            self.cfg.set("proc_name", "nexus-dashboard")

        def load(self):
            from nexuslite.web.app import create_app

            return create_app(settings)

    _announce(settings, settings.port)
    DashboardApplication().run()


def _announce(settings: Settings, port: int) -> None:
    source = settings.consul_url or "embedded default (this machine)"
    click.echo(
        f"NexusLite dashboard on http://{_url_host(settings.host)}:{port}/ "
        f"({settings.server}, source: {source})"
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(0)
