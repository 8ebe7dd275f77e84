"""The background clock of the double: TTL expiry, DeregisterCriticalServiceAfter
reaping, session expiry, and running HTTP/TCP checks at their interval.

One thread ticks every ``tick`` seconds; probes run on a small pool so a slow target
never delays the clock.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from consul_double.probes import run_probe

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, state, tick: float = 0.05, workers: int = 8):
        self.state = state
        self.tick = tick
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(
            workers, thread_name_prefix="consul-double-probe"
        )
        self._thread = threading.Thread(
            target=self._run, name="consul-double-clock", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            for check in self.state.expire():
                self._pool.submit(self._probe, check)

    def _probe(self, check) -> None:
        status, output = run_probe(check.probe)
        log.debug("probe: %s/%s (%s)", check.node, check.check_id, status)
        self.state.record_probe(check, status, output)
