"""Fixtures for the cluster-source tests: a Consul double and settings for it."""

import pytest
from consul_double import ConsulDouble

from nexuslite.settings import load_settings


@pytest.fixture
def double():
    with ConsulDouble() as running:
        yield running


@pytest.fixture
def settings_for(monkeypatch):
    """Settings for a Consul URL, isolated from the machine's env files."""
    monkeypatch.delenv("CONSUL_HTTP_TOKEN", raising=False)

    def make(url: str, **overrides):
        return load_settings({"consul_url": url, **overrides}, env_files=())

    return make
