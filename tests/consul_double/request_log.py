"""A thread-safe record of the /v1/ requests the double received, for counting."""

import threading
from typing import NamedTuple


class RequestRecord(NamedTuple):
    method: str
    path: str
    query: dict
    headers: dict
    node: str


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def count(self, path_prefix: str = "", method: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._records
                if r.path.startswith(path_prefix) and method in (None, r.method)
            )
