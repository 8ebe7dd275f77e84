"""A stateful double of Consul's HTTP API for tests; see README.md."""

from consul_double.double import ConsulDouble
from consul_double.request_log import RequestRecord

__all__ = ["ConsulDouble", "RequestRecord"]
