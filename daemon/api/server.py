"""The websocket server of the API: JSON-RPC text frames on ws://127.0.0.1:<port>.

Before the handshake completes it checks the Host and Origin headers (no Origin, or a page on
http(s)://localhost / 127.0.0.1: a page elsewhere cannot drive a mapper's daemon) and the token:
`Authorization: Bearer <token>`, `?token=<token>` (browsers), or the subprotocol `maid.token.<token>`
offered beside `maid.jsonrpc` (browsers cannot set headers; the server answers `maid.jsonrpc`, never the
token). Every frame gets a reply or an error; limits (frame size, rate, requests in flight, outgoing
queue) keep one bad client from hurting the others.

It must never bind anything but loopback, never echo or log a token, and never let one connection's
error stop the server.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import logging
import re
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from daemon.api.dispatch import Dispatcher, Session, error_response
from daemon.api.models import SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, ErrorCode

log = logging.getLogger(__name__)

LOCAL_ORIGIN = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$", re.IGNORECASE)
LOCAL_HOST = re.compile(r"^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$", re.IGNORECASE)


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = an ephemeral port (tests)
    max_message_bytes: int = 1 << 20  # larger frames get a JSON-RPC error
    hard_max_bytes: int = 8 << 20  # larger frames close the connection (1009) before they are read
    rate_per_s: float = 200.0  # requests per second per connection, sustained
    rate_burst: int = 400
    max_in_flight: int = 64  # requests of one connection being handled at once
    max_outbox: int = 10_000  # frames queued for a slow client before it is dropped


@dataclass(eq=False)
class Client:
    """One websocket connection."""

    id: int
    ws: ServerConnection
    outbox: asyncio.Queue[str]
    session: Session[Any] = field(init=False)
    initialized: bool = False
    client_name: str | None = None
    dropped: bool = False  # for not reading what it was sent

    def send(self, frame: str) -> bool:
        """Queue a frame; False (and the connection is closed) when the client cannot keep up."""
        try:
            self.outbox.put_nowait(frame)
            return True
        except asyncio.QueueFull:
            if not self.dropped:
                log.warning("client %s is not reading; dropping it", self.id)
                self.dropped = True
                self.ws.transport.abort()  # a polite close would wait behind the data it does not read
            return False


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ApiServer:
    """Serves `dispatcher` to clients holding `token`. Handlers get a `RequestContext` built by
    `make_context(client)`, so the daemon's services reach them without this module knowing them."""

    def __init__(self, dispatcher: Dispatcher, token: str, make_context: Any, options: ServerOptions = ServerOptions()) -> None:
        self.dispatcher = dispatcher
        self.options = options
        self._token = token.encode()
        self._make_context = make_context
        self._server: Server | None = None
        self._ids = itertools.count(1)
        self.clients: dict[int, Client] = {}

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not started"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> int:
        self._server = await serve(
            self._handle,
            self.options.host,
            self.options.port,
            process_request=self._check_handshake,
            select_subprotocol=_select_subprotocol,
            max_size=self.options.hard_max_bytes,
            compression=None,  # no deflate: frame limits stay byte limits, no compression bombs
        )
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def broadcast(self, method: str, params: dict[str, Any]) -> None:
        """A notification to every initialized client."""
        frame = json.dumps({"jsonrpc": "2.0", "method": method, "params": params}, ensure_ascii=False, separators=(",", ":"))
        for client in list(self.clients.values()):
            if client.initialized:
                client.send(frame)

    # ---- handshake -------------------------------------------------------------------------

    def _check_handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        headers = request.headers
        hosts = headers.get_all("Host")
        if len(hosts) != 1 or not LOCAL_HOST.match(hosts[0]):
            return _refuse(connection, HTTPStatus.FORBIDDEN, "Host must be localhost or 127.0.0.1")
        origins = headers.get_all("Origin")
        if len(origins) > 1 or (origins and not LOCAL_ORIGIN.match(origins[0])):
            return _refuse(connection, HTTPStatus.FORBIDDEN, "Origin not allowed: only pages on http(s)://localhost or 127.0.0.1 may connect")
        offered = _presented_tokens(headers, request.path)
        if not offered:
            return _refuse(connection, HTTPStatus.UNAUTHORIZED, "token missing: send 'Authorization: Bearer <token>' (get it with `maid token`)")
        if not any(hmac.compare_digest(t.encode(), self._token) for t in offered):
            return _refuse(connection, HTTPStatus.UNAUTHORIZED, "wrong token (get the current one with `maid token`)")
        if urlsplit(request.path).path not in ("", "/"):
            return _refuse(connection, HTTPStatus.NOT_FOUND, "the API is served on / only")
        return None

    # ---- connection ------------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        client = Client(next(self._ids), ws, asyncio.Queue(self.options.max_outbox))
        client.session = Session(self._make_context(self, client))
        self.clients[client.id] = client
        writer = asyncio.create_task(self._write(client))
        bucket = TokenBucket(self.options.rate_per_s, self.options.rate_burst)
        slots = asyncio.Semaphore(self.options.max_in_flight)
        tasks: set[asyncio.Task[None]] = set()
        try:
            async for frame in ws:
                if not bucket.take():
                    client.send(_error_frame(frame, ErrorCode.RATE_LIMITED, f"rate limit: at most {self.options.rate_per_s:g} requests per second"))
                    continue
                if len(frame) > self.options.max_message_bytes:
                    client.send(_error_frame(None, ErrorCode.INVALID_REQUEST, f"request too large: {len(frame)} bytes, the limit is {self.options.max_message_bytes}"))
                    continue
                await slots.acquire()
                task = asyncio.create_task(self._answer(client, frame, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        except ConnectionClosed:
            pass
        finally:
            self.clients.pop(client.id, None)
            for task in tasks:
                task.cancel()
            writer.cancel()
            await asyncio.gather(writer, *tasks, return_exceptions=True)

    async def _answer(self, client: Client, frame: str | bytes, slots: asyncio.Semaphore) -> None:
        try:
            reply = await self.dispatcher.handle_frame(frame, client.session)
            if reply is not None:
                client.send(reply)
        finally:
            slots.release()

    async def _write(self, client: Client) -> None:
        try:
            while True:
                await client.ws.send(await client.outbox.get())
        except ConnectionClosed:
            pass


def _presented_tokens(headers: Headers, path: str) -> list[str]:
    tokens = []
    for value in headers.get_all("Authorization"):
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            tokens.append(credential.strip())
    tokens += parse_qs(urlsplit(path).query).get("token", [])
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        tokens += [p.strip()[len(TOKEN_SUBPROTOCOL_PREFIX) :] for p in value.split(",") if p.strip().startswith(TOKEN_SUBPROTOCOL_PREFIX)]
    return [t for t in tokens if t]


def _select_subprotocol(connection: ServerConnection, offered: Any) -> str | None:
    """Answer the real protocol name; the token subprotocol is never echoed back."""
    return SUBPROTOCOL if SUBPROTOCOL in offered else None


def _refuse(connection: ServerConnection, status: HTTPStatus, reason: str) -> Response:
    log.info("refused a connection: %s", reason)
    return connection.respond(status, reason + "\n")


def _error_frame(frame: str | bytes | None, code: int, message: str) -> str:
    """An error reply that keeps the request's id when the frame parses."""
    request_id = None
    if frame is not None:
        try:
            parsed = json.loads(frame)
            candidate = parsed.get("id") if isinstance(parsed, dict) else None
            request_id = candidate if isinstance(candidate, (int, str)) and not isinstance(candidate, bool) else None
        except ValueError:
            pass
    return json.dumps(error_response(request_id, code, message), separators=(",", ":"))
