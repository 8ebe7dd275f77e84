"""Fixtures for the Consul double's own tests: a fresh double and py-consul clients."""

import pytest
from consul_double import ConsulDouble
from double_helpers import client_for


@pytest.fixture
def double():
    with ConsulDouble(tick=0.02, max_wait=5.0) as running:
        yield running


@pytest.fixture
def client_factory(monkeypatch):
    """Build py-consul clients for any URL; env vars would override our arguments."""
    monkeypatch.delenv("CONSUL_HTTP_TOKEN", raising=False)
    monkeypatch.delenv("CONSUL_HTTP_ADDR", raising=False)
    return client_for


@pytest.fixture
def client(double, client_factory):
    return client_factory(double.url)
