"""Keeps the latest cluster snapshot fresh on a background thread.

Pages never wait on a source: they read ``snapshot()``, which is an immutable value
replaced whole by the refresher. When a refresh fails, the last good data is kept and
marked with the problem, and the log says so once per change of state.
"""

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from nexuslite.cluster.model import Snapshot, SourceProblem
from nexuslite.cluster.source import ERROR, ClusterSource, SourceUnavailable

log = logging.getLogger(__name__)

STARTING = "starting"

# How long start() waits for the first refresh, so that the first page a newcomer sees
# has data, while a hanging Consul still cannot hold the server back for long.
FIRST_REFRESH_WAIT = 2.0


class Refresher:
    def __init__(self, source: ClusterSource, interval: float):
        self.source = source
        self.interval = interval
        self._snapshot = Snapshot(
            source=source.label,
            taken_at=0.0,
            problem=SourceProblem(
                STARTING, "waiting for the first refresh", time.time()
            ),
        )
        self._stop = threading.Event()
        self._first_done = threading.Event()
        self._listeners: list[Callable[[Snapshot], None]] = []
        self._thread: threading.Thread | None = None

    def start(self, wait: float = FIRST_REFRESH_WAIT) -> "Refresher":
        """Start refreshing; wait up to ``wait`` seconds for the first snapshot."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="nexus-refresher", daemon=True
            )
            self._thread.start()
        self._first_done.wait(wait)
        return self

    def stop(self) -> None:
        self._stop.set()
        self.source.close()

    def add_listener(self, listener: Callable[[Snapshot], None]) -> None:
        """Call ``listener`` with each new snapshot, on the refresher's thread."""
        self._listeners.append(listener)

    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def is_source_reachable(self) -> bool:
        return self._snapshot.problem is None

    def refresh_now(self) -> Snapshot:
        """One refresh on the caller's thread (for tests and benchmarks)."""
        try:
            fresh = self.source.fetch()
        except SourceUnavailable as exc:
            self._record_problem(exc)
        except Exception as exc:  # a bug must not silently freeze the dashboard
            log.exception("refresh failed with a bug")
            self._record_problem(SourceUnavailable(ERROR, f"internal error: {exc!r}"))
        else:
            self._record_success(fresh)
        return self._snapshot

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh_now()
            self._first_done.set()
            self._stop.wait(self.interval)

    def _record_success(self, fresh: Snapshot) -> None:
        previous = self._snapshot.problem
        if previous is not None and previous.kind != STARTING:
            log.info("%s recovered after %s", self.source.label, previous.kind)

        self._snapshot = fresh
        for listener in self._listeners:
            try:
                listener(fresh)
            except Exception:  # a listener's bug must not stop the refreshes
                log.exception("snapshot listener %r failed", listener)

    def _record_problem(self, exc: SourceUnavailable) -> None:
        previous = self._snapshot.problem
        unchanged = previous is not None and (previous.kind, previous.message) == (
            exc.kind,
            exc.message,
        )
        if unchanged:
            return

        log.warning("refresh failed (%s): %s", exc.kind, exc.message)
        since = (
            previous.since if previous and previous.kind != STARTING else time.time()
        )
        problem = SourceProblem(exc.kind, exc.message, since)
        self._snapshot = dataclasses.replace(self._snapshot, problem=problem)
