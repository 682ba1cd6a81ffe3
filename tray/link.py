"""The tray's connection to the daemon: found through the discovery file and the token
(daemon.api.client.open_connection), kept up by a background thread that reads replies and
notifications, reconnects when the daemon restarts, and gives up when it stays away.

It reports `Connected` (initialize, status, settings, jobs, the journal's newest entries), `Notified`, `StatusRefreshed`,
`Disconnected` and `GaveUp` through one callback, and answers `call` from any thread. It must never
log the token, and never block the tray's main thread (only `call` waits, on a worker thread).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from daemon.api.client import ApiError, NotRunning, open_connection
from daemon.config import Paths
from tray.state import Connected, Disconnected, Event, GaveUp, Notified, StatusRefreshed

log = logging.getLogger(__name__)

CLIENT_NAME = "maid-tray"
JOURNAL_LAST = 20  # journal entries read at connect to find the last write "undo last write" can restore


class Link:
    def __init__(self, paths: Paths, on_event: Callable[[Event], None], give_up_s: float = 60.0,
                 refresh_s: float = 5.0, call_timeout_s: float = 30.0, version: str | None = None) -> None:
        self.paths = paths
        self.on_event = on_event
        self.give_up_s = give_up_s  # how long the daemon may stay away before the tray quits
        self.refresh_s = refresh_s  # status poll while connected (model, uptime, settings changed elsewhere)
        self.call_timeout_s = call_timeout_s
        self.version = version
        self._connection: ClientConnection | None = None
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="maid-tray-link", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        connection = self._connection
        if connection is not None:
            connection.close()
        self._thread.join(timeout=5)

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send a request and wait for its result. Raises ApiError, or NotRunning while disconnected."""
        connection = self._connection
        if connection is None:
            raise NotRunning("maid is not connected")
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            request_id = next(self._ids)
            self._pending[request_id] = future
        try:
            connection.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}))
            reply = future.result(timeout=self.call_timeout_s)
        except ConnectionClosed as exc:
            raise NotRunning(f"maid closed the connection before answering {method}") from exc
        except TimeoutError as exc:  # the daemon may still finish it: its notifications will say
            raise TimeoutError(f"maid did not answer {method} within {self.call_timeout_s:g} s; it may still be working on it") from exc
        finally:
            with self._lock:
                self._pending.pop(request_id, None)
        if reply.get("error"):
            error = reply["error"]
            raise ApiError(error["code"], error["message"], error.get("data"))
        return reply.get("result")

    # ---- the link thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        lost_at = time.monotonic()
        reported = ""
        delay = 0.2
        while not self._stop.is_set():
            try:
                connection = open_connection(self.paths, timeout=3.0)
            except NotRunning as exc:
                reason = str(exc)
                if time.monotonic() - lost_at > self.give_up_s:
                    log.info("maid did not come back within %g s (%s); the tray quits", self.give_up_s, reason)
                    self.on_event(GaveUp(reason))
                    return
                if reason != reported:
                    self.on_event(Disconnected(reason))
                    reported = reason
                self._stop.wait(delay)
                delay = min(delay * 2, 2.0)
                continue
            with connection:  # closed on the way out
                reason = self._serve(connection)
            if self._stop.is_set():
                return
            log.info("lost the connection to maid (%s); reconnecting", reason)
            self.on_event(Disconnected(reason))
            lost_at, reported, delay = time.monotonic(), reason, 0.2

    def _serve(self, connection: ClientConnection) -> str:
        """Read one connection until it closes; returns why it closed."""
        self._connection = connection
        closed: list[str] = []
        reader = threading.Thread(target=self._read, args=(connection, closed), name="maid-tray-reader", daemon=True)
        reader.start()
        try:
            initialize = self.call("initialize", {"clientInfo": {"name": CLIENT_NAME, "version": self.version}})
            self.on_event(Connected(initialize, self.call("status"), self._settings(), self.call("jobs/list")["jobs"],
                                    self.call("backups/journal", {"last": JOURNAL_LAST})["entries"]))
            log.info("connected to maid on port %s", self._connection_port(connection))
            while not self._stop.is_set():
                reader.join(timeout=self.refresh_s)
                if not reader.is_alive():
                    break
                self.on_event(StatusRefreshed(self.call("status"), self._settings()))
        except (NotRunning, ApiError, TimeoutError) as exc:
            closed.append(str(exc))
        except Exception as exc:  # e.g. a reply this tray cannot read (a daemon of another version): reconnect later
            log.exception("the tray could not follow maid's replies")
            closed.append(f"{type(exc).__name__}: {exc}")
        finally:
            self._connection = None
            connection.close()  # ends the reader
            reader.join(timeout=5)
        return closed[0] if closed else "the connection closed"

    def _settings(self) -> dict[str, Any]:
        return dict(self.call("config/get", {})["values"])

    def _read(self, connection: ClientConnection, closed: list[str]) -> None:
        try:
            while True:
                message = json.loads(connection.recv())
                if not isinstance(message, dict):
                    continue
                if "id" in message and "method" not in message:
                    with self._lock:
                        future = self._pending.get(message["id"])
                    if future is not None and not future.done():
                        future.set_result(message)
                elif isinstance(message.get("method"), str) and isinstance(message.get("params"), dict):
                    self.on_event(Notified(message["method"], message["params"]))
        except ConnectionClosed as exc:
            closed.append(f"maid closed the connection ({exc.rcvd.code if exc.rcvd else 'no close frame'})")
        except ValueError as exc:
            closed.append(f"maid sent a frame that is not JSON ({exc})")
        finally:
            with self._lock:
                pending = list(self._pending.values())
            for future in pending:
                if not future.done():
                    future.set_exception(NotRunning("maid closed the connection"))

    @staticmethod
    def _connection_port(connection: ClientConnection) -> int:
        return int(connection.remote_address[1])
