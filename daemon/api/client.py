"""A small synchronous API client for the CLI and scripts: find the running daemon through its discovery
file, connect with the token, call one method.

It must never print or log the token.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from daemon.api.models import SUBPROTOCOL
from daemon.config import Paths
from daemon.secrets import get_token


class ApiError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class NotRunning(Exception):
    """No daemon answers (no discovery file, or nothing listening on its port)."""


def discover(paths: Paths) -> dict[str, Any] | None:
    """The running daemon's discovery record (port, pid, version, url), or None."""
    try:
        return json.loads(paths.discovery_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def open_connection(paths: Paths, timeout: float = 5.0) -> ClientConnection:
    record = discover(paths)
    if record is None:
        raise NotRunning(f"maid is not running (no {paths.discovery_file}); start it with `maid start`")
    token = get_token(paths.config_dir, "api")
    if token is None:
        raise NotRunning("no API token found; run `maid token` on this user account")
    try:
        return connect(
            f"ws://127.0.0.1:{record['port']}/",
            additional_headers={"Authorization": f"Bearer {token.value}"},
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            open_timeout=timeout,
            max_size=None,
        )
    except OSError as exc:
        raise NotRunning(f"maid is not answering on port {record['port']} (pid {record.get('pid')}): {exc}") from exc


class ApiClient:
    """One connection; `call` sends a request and returns its result (notifications are skipped)."""

    def __init__(self, connection: ClientConnection, timeout: float = 30.0) -> None:
        self.connection = connection
        self.timeout = timeout
        self._ids = itertools.count(1)

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        request_id = next(self._ids)
        try:
            self.connection.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}))
            while True:
                reply = json.loads(self.connection.recv(timeout=self.timeout))
                if isinstance(reply, dict) and reply.get("id") == request_id:
                    break
        except ConnectionClosed as exc:
            raise NotRunning(f"maid closed the connection before answering {method} ({exc})") from exc
        if reply.get("error"):
            error = reply["error"]
            raise ApiError(error["code"], error["message"], error.get("data"))
        return reply.get("result")

    def close(self) -> None:
        self.connection.close()


def call(paths: Paths, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0) -> Any:
    """Connect, call one method, disconnect."""
    with open_connection(paths) as connection:  # websockets 17.1+: a connection is closed by its context
        return ApiClient(connection, timeout).call(method, params)
