"""Injected failures: which mode is on, cluster-wide or for one node's agent endpoint.

Changing a mode notifies ``changed`` so hanging requests and blocking queries re-check.
"""

import threading

DOWN = "down"
HANG = "hang"
NO_LEADER = "no-leader"
FORBIDDEN = "forbidden"
MODES = (DOWN, HANG, NO_LEADER, FORBIDDEN)


class FaultBoard:
    def __init__(self):
        self.changed = threading.Condition()
        self.everywhere: str | None = None
        self.per_node: dict[str, str] = {}

    def set(self, mode: str | None, node: str | None = None) -> None:
        if mode is not None and mode not in MODES:
            raise ValueError(f"unknown fault {mode!r}; use one of {MODES} or None")

        with self.changed:
            if node is None:
                self.everywhere = mode
                if mode is None:
                    self.per_node.clear()
            elif mode is None:
                self.per_node.pop(node, None)
            else:
                self.per_node[node] = mode
            self.changed.notify_all()

    def mode_for(self, node: str) -> str | None:
        with self.changed:
            return self.per_node.get(node) or self.everywhere

    def is_cluster_leaderless(self) -> bool:
        with self.changed:
            return self.everywhere == NO_LEADER

    def wait_while(self, node: str, mode: str, timeout: float, done) -> bool:
        """Wait until ``node``'s mode is not ``mode``; True if it cleared in time."""
        with self.changed:
            return (
                self.changed.wait_for(
                    lambda: self.mode_for(node) != mode or done(), timeout
                )
                and self.mode_for(node) != mode
            )
