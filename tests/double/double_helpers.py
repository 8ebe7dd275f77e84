"""Helpers shared by the double's tests (plain functions, not fixtures)."""

import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import consul
import pytest

WAIT_LIMIT = 10.0


def client_for(url: str, **kwargs) -> consul.Consul:
    parts = urlsplit(url)
    return consul.Consul(host=parts.hostname, port=parts.port, **kwargs)


def call(url: str, method: str = "GET", body: bytes | None = None, headers=None):
    """Return (status, headers, body) without raising on HTTP errors."""
    request = urllib.request.Request(
        url, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def eventually(predicate, what: str, limit: float = WAIT_LIMIT):
    """Poll ``predicate`` until it returns a truthy value; fail after ``limit`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"gave up waiting for {what}")
