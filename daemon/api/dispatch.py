"""JSON-RPC 2.0 dispatch: a registry of methods (a decorator per handler with its params model, as in
pygls), frame parsing, batches, notifications, `$/cancelRequest`, and LSP-style error codes.

Knows nothing about websockets or the daemon: it turns one text frame into one reply (or none). It must
never raise out of `handle_frame` — every bad input becomes a JSON-RPC error — and never leak a
Python traceback to a client.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from daemon.api.models import ErrorCode, Id, NoParams, Request

log = logging.getLogger(__name__)

C = TypeVar("C")
P = TypeVar("P", bound=BaseModel)
Handler = Callable[[Any, Any], Awaitable[BaseModel | None]]
MAX_BATCH = 100


class RpcError(Exception):
    """Raised by a handler to answer with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = int(code)
        self.message = message
        self.data = data


@dataclass(frozen=True)
class Method:
    name: str
    params: type[BaseModel]
    result: type[BaseModel] | None  # None: a notification from the client (no reply)
    handler: Handler
    doc: str


@dataclass
class Session(Generic[C]):
    """Per-connection dispatch state: the requests in flight (for `$/cancelRequest`) and the caller's context."""

    context: C
    in_flight: dict[Id, asyncio.Task[Any]] = field(default_factory=dict)


class Dispatcher:
    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}

    def method(self, name: str, params: type[BaseModel] = NoParams, result: type[BaseModel] | None = None) -> Callable[[Handler], Handler]:
        """Register `handler(context, params) -> result model` for `name`. `result=None` registers a
        client notification (the handler returns nothing and no reply is sent)."""

        def register(handler: Handler) -> Handler:
            if name in self.methods:
                raise ValueError(f"method {name!r} registered twice")
            self.methods[name] = Method(name, params, result, handler, (handler.__doc__ or "").strip())
            return handler

        return register

    async def handle_frame(self, text: str | bytes, session: Session[Any]) -> str | None:
        """One text frame in, the reply frame out (None when only notifications came)."""
        try:
            message = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            return _dump(error_response(None, ErrorCode.PARSE_ERROR, f"parse error: {exc}"))
        if isinstance(message, list):
            if not message or len(message) > MAX_BATCH:
                why = "empty batch" if not message else f"batch of {len(message)} requests, the limit is {MAX_BATCH}"
                return _dump(error_response(None, ErrorCode.INVALID_REQUEST, f"invalid request: {why}"))
            replies = await asyncio.gather(*(self.handle_message(m, session) for m in message))
            kept = [r for r in replies if r is not None]
            return _dump(kept) if kept else None
        reply = await self.handle_message(message, session)
        return _dump(reply) if reply is not None else None

    async def handle_message(self, message: Any, session: Session[Any]) -> dict[str, Any] | None:
        try:
            request = Request.model_validate(message)
        except ValidationError as exc:
            raw_id = message.get("id") if isinstance(message, dict) else None
            reply_id = raw_id if isinstance(raw_id, (int, str)) and not isinstance(raw_id, bool) else None
            return error_response(reply_id, ErrorCode.INVALID_REQUEST, f"invalid request: {_describe(exc)}")
        is_notification = "id" not in message
        try:
            result = await self._call(request, session, is_notification)
        except RpcError as exc:
            return None if is_notification else error_response(request.id, exc.code, exc.message, exc.data)
        except Exception:  # a bug in a handler: log it, answer without the traceback
            log.exception("handler for %s failed", request.method)
            return None if is_notification else error_response(request.id, ErrorCode.INTERNAL_ERROR, f"internal error in {request.method}; see the daemon log")
        if is_notification:
            return None
        return {"jsonrpc": "2.0", "id": request.id, "result": result}

    async def _call(self, request: Request, session: Session[Any], is_notification: bool) -> Any:
        method = self.methods.get(request.method)
        if method is None:
            raise RpcError(ErrorCode.METHOD_NOT_FOUND, f"method not found: {request.method!r}")
        if isinstance(request.params, list):
            raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params for {request.method}: params must be an object (by name), not an array")
        try:
            params = method.params.model_validate(request.params or {})
        except ValidationError as exc:
            raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params for {request.method}: {_describe(exc)}", _error_data(exc)) from exc
        if is_notification or request.id is None:
            outcome = await method.handler(session.context, params)
            return outcome.model_dump(mode="json", by_alias=True) if outcome is not None else None
        task = asyncio.ensure_future(method.handler(session.context, params))
        session.in_flight[request.id] = task
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:  # the connection is going away: take the handler with us
            task.cancel()
            raise
        finally:
            session.in_flight.pop(request.id, None)
        if task.cancelled():
            raise RpcError(ErrorCode.REQUEST_CANCELLED, f"request {request.id!r} ({request.method}) was cancelled")
        outcome = task.result()
        return outcome.model_dump(mode="json", by_alias=True) if outcome is not None else None

    def cancel(self, session: Session[Any], request_id: Id) -> bool:
        """`$/cancelRequest`: cancel a request of this session that is still running."""
        task = session.in_flight.get(request_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True


def error_response(request_id: Id | None, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": int(code), "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def _dump(reply: Any) -> str:
    return json.dumps(reply, ensure_ascii=False, separators=(",", ":"))


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "params"
        parts.append(f"{where}: {_message(error)}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _error_data(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "params", "message": _message(e)} for e in exc.errors()]


def _message(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")
