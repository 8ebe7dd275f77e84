"""Fixtures for the dashboard tests.

``double`` is a Consul double (a real HTTP server); ``cluster`` fills it with managers,
workers, pools, every node status and published metrics; ``make_app`` builds
dashboards on it (or on the embedded default) and stops their refreshers afterwards.
Apps refresh once at start and then only when a test calls ``refresh(app)``, so
every assertion sees the snapshot the test asked for.
"""

import pytest
from consul_double import ConsulDouble
from webcluster import build_cluster, wait_for_first_snapshot

from nexuslite.settings import load_settings
from nexuslite.web.app import create_app


@pytest.fixture
def double():
    with ConsulDouble(default_server=None) as running:
        yield running


@pytest.fixture
def cluster(double):
    return build_cluster(double)


@pytest.fixture
def make_app():
    apps = []

    def make(**overrides):
        given = {"refresh_interval": 3600, "consul_timeout": 1.0, **overrides}
        app = create_app(load_settings(given, env_files=()))
        apps.append(app)
        wait_for_first_snapshot(app)
        return app

    yield make
    for app in apps:
        app.extensions["nexus"].stop()


@pytest.fixture
def consul_app(make_app, cluster):
    """A dashboard on the double's cluster, actions disabled."""
    return make_app(consul_url=cluster.url)


@pytest.fixture
def client(consul_app):
    return consul_app.test_client()
