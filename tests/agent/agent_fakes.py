"""A stand-in for nexuslite.agent.system.System: a manual clock and pretend pids."""

import signal

from nexuslite.agent.system import SpawnError


def exit_status(code: int) -> int:
    """The raw wait status of a process that exited with ``code``."""
    return code << 8


def killed_status(sig: int) -> int:
    return int(sig)


class FakeSystem:
    def __init__(self):
        self.clock = 1000.0
        self.next_pid = 100
        self.spawned: list[tuple[str, int]] = []
        self.signals: list[tuple[int, int]] = []
        self.failing: dict[str, str] = {}
        self.alive: set[int] = set()

    def now(self) -> float:
        return self.clock

    def advance(self, seconds: float) -> None:
        self.clock += seconds

    def become_subreaper(self) -> None:
        pass

    def spawn(self, spec) -> int:
        if spec.name in self.failing:
            raise SpawnError(self.failing[spec.name])
        self.next_pid += 1
        self.spawned.append((spec.name, self.next_pid))
        self.alive.add(self.next_pid)
        return self.next_pid

    def signal_group(self, pgid: int, sig: int) -> bool:
        self.signals.append((pgid, sig))
        return pgid in self.alive and sig != signal.SIGKILL

    def signal_strays(self, name: str, sig: int, group: int = 0) -> int:
        return 0

    def reap(self):
        return []

    def pid_of(self, name: str) -> int:
        return [pid for spawned, pid in self.spawned if spawned == name][-1]

    def exit(self, pid: int) -> None:
        self.alive.discard(pid)
