"""NexusLite: an operations dashboard and node agent for small Consul clusters."""

__version__ = "0.1.0"
