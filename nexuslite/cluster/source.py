"""The interface every cluster source implements, and how sources fail."""

from typing import Protocol

from nexuslite.cluster.model import Snapshot

# Kinds of source trouble, as shown in the dashboard banner.
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
NO_LEADER = "no-leader"
FORBIDDEN = "forbidden"
ERROR = "error"


class SourceUnavailable(Exception):
    """The source could not produce a snapshot this time."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class ClusterSource(Protocol):
    """Builds a complete snapshot of the cluster; called from the refresher only."""

    label: str

    def fetch(self) -> Snapshot:
        """Return a fresh snapshot or raise SourceUnavailable."""
        ...

    def close(self) -> None:
        """Release background resources (threads, sessions)."""
        ...
