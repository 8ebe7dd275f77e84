"""Carries out requests written to this node's request prefix in Consul KV.

Requests are watched with blocking queries. Each one is done exactly once:

1. the agent claims it by rewriting the request with a ``claimed`` time, using
   check-and-set on the index it read (a second reader loses the race);
2. it carries it out and writes the result under the result prefix;
3. it deletes the request.

A request found already claimed means an earlier agent stopped between 1 and 2.
Drain and undrain set a state, so they are simply done again; a restart may already
have happened, so it is reported as interrupted rather than repeated.
"""

import json
import logging
import threading
import time
from collections.abc import Callable

import consul

from nexuslite.agent.daemon import CommandTimeout
from nexuslite.agent.registrar import CONSUL_ERRORS, MAX_RETRY_SECONDS
from nexuslite.agent.supervisor import Refused, one_line
from nexuslite.cluster import actions, kvlayout

log = logging.getLogger(__name__)

WAIT = "20s"


class RequestExecutor:
    def __init__(
        self,
        client: consul.Consul,
        node: Callable[[], str],
        restart: Callable[[str], str],
    ):
        self.client = client
        self._node = node
        self._restart = restart
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "RequestExecutor":
        self._thread = threading.Thread(
            target=self._run, name="nexus-requests", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        index, delay = None, 1.0
        while not self._stop.is_set():
            node = self._node()
            if not node:
                self._stop.wait(0.5)  # the registrar has not learnt the node yet
                continue
            try:
                index = self.watch_once(node, index)
                delay = 1.0
            except CONSUL_ERRORS as exc:
                problem = one_line(str(exc))
                log.warning(
                    "requests: watch failed, retrying in %gs (%s)", delay, problem
                )
                index = None
                self._stop.wait(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)

    def watch_once(self, node: str, index: str | None) -> str | None:
        """Wait for a change under the node's prefix, then handle every request."""
        prefix = f"{kvlayout.REQUESTS_PREFIX}{kvlayout.node_segment(node)}/"
        wait = WAIT if index else None
        new_index, entries = self.client.kv.get(
            prefix, recurse=True, index=index, wait=wait
        )
        for entry in entries or []:
            if self._stop.is_set():
                break
            self.handle(node, entry)
        return new_index

    def handle(self, node: str, entry: dict) -> None:
        request_id = entry["Key"].rsplit("/", 1)[-1]
        try:
            request = actions.decode_request(entry.get("Value"))
        except kvlayout.LayoutError as exc:
            self._finish(node, entry["Key"], request_id, False, f"bad request: {exc}")
            return

        if self._has_result(node, request_id):
            self.client.kv.delete(entry["Key"])  # done before; only the key was left
            return

        repeated = "claimed" in request
        if not repeated and not self._claim(entry, request):
            return

        ok, detail = self._carry_out(request, repeated)
        self._finish(node, entry["Key"], request_id, ok, detail)
        log.info(
            "request: %s %s by %s (%s)",
            request["action"],
            one_line(str(request.get("service") or node)),
            one_line(str(request.get("by") or "unknown")),
            one_line(str(detail)),
        )

    def _claim(self, entry: dict, request: dict) -> bool:
        claimed = {**request, "claimed": round(time.time(), 3)}
        body = json.dumps(claimed, separators=(",", ":"))
        return self.client.kv.put(entry["Key"], body, cas=entry["ModifyIndex"])

    def _carry_out(self, request: dict, repeated: bool) -> tuple[bool, str]:
        action = request["action"]
        if action == "drain":
            reason = request.get("reason") or "drained by NexusLite"
            self.client.agent.maintenance(True, reason)
            return True, f"node in maintenance: {reason}"
        if action == "undrain":
            self.client.agent.maintenance(False)
            return True, "node out of maintenance"

        if repeated:
            return False, "interrupted by an agent restart; not repeated"
        try:
            return True, self._restart(request["service"])
        except KeyError:
            return False, f"no service named {request['service']!r} on this node"
        except (CommandTimeout, Refused) as exc:
            return False, str(exc)

    def _has_result(self, node: str, request_id: str) -> bool:
        _, entry = self.client.kv.get(kvlayout.result_key(node, request_id))
        return entry is not None

    def _finish(self, node, key, request_id, ok: bool, detail: str) -> None:
        result = actions.encode_result(ok, detail)
        self.client.kv.put(kvlayout.result_key(node, request_id), result)
        self.client.kv.delete(key)
