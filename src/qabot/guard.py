"""HTTP-level protections for the one server: what a client can make it hold, read or wait for.

`Guard` wraps the whole ASGI app (API and the mounted Gradio chat alike): a body limit enforced while
the body streams in, a deadline for sending it, a cap on requests in flight (idle sockets and the
chat's detached event streams do not count), no upload route, CORS grants only for listed origins
(Gradio echoes any), and the security headers on every response, errors included.
`GuardedH11` closes connections that never send a whole request head, which uvicorn otherwise keeps
open forever.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

# Gradio's routes that qabot does not use: it has no upload feature.
BLOCKED_SUFFIXES = ("/gradio_api/upload", "/gradio_api/upload_progress")


class BodyTooLarge(HTTPException):
    """Raised from `receive` (an HTTPException, so FastAPI's body parsing passes it on as it is)."""


class SlowRequest(HTTPException):
    pass


class Guard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, timeout: float, max_requests: int,
                 headers: dict[str, str], methods: dict[str, set[str]],
                 origins: tuple[str, ...] = (), no_store: tuple[str, ...] = ()) -> None:
        self.app, self.limit, self.timeout = app, max_body_bytes, timeout
        self.max_requests, self.in_flight = max_requests, 0
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.methods, self.origins, self.no_store = methods, set(origins), no_store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        origin_ok = _header(scope, b"origin") in self.origins

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(k, v) for k, v in message.get("headers", [])
                        if origin_ok or not k.lower().startswith(b"access-control-")]
                names = {k.lower() for k, _ in kept}
                kept += [h for h in self.headers if h[0] not in names]
                if scope["path"] in self.no_store:  # pages that hold the Host a client sent
                    kept.append((b"cache-control", b"no-store"))
                message = {**message, "headers": kept}
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, guarded_send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, self._receiver(receive), guarded_send)
        except HTTPException as exc:
            if not started:
                await JSONResponse({"detail": exc.detail}, exc.status_code)(scope, receive, guarded_send)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            if not started:
                await JSONResponse({"detail": "internal error; the server log has the details"},
                                   500)(scope, receive, guarded_send)
        finally:
            self.in_flight -= 1

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        path, method = scope["path"], scope["method"]
        if path.rstrip("/").endswith(BLOCKED_SUFFIXES):
            return JSONResponse({"detail": "not found"}, 404)
        allowed = self.methods.get(path)
        if allowed and method not in allowed | {"OPTIONS"}:  # else Gradio's mount says 404
            return JSONResponse({"detail": "method not allowed"}, 405,
                                {"allow": ", ".join(sorted(allowed))})
        length = _header(scope, b"content-length")
        if length.isdigit() and int(length) > self.limit:
            return JSONResponse({"detail": f"request body over {self.limit} bytes"}, 413)
        if self.in_flight >= self.max_requests:
            return JSONResponse({"detail": "server busy: too many requests in progress; retry "
                                 "shortly"}, 503, {"retry-after": "1"})
        return None

    def _receiver(self, receive: Receive) -> Receive:
        """`receive` with the body limit counted as it streams in and a deadline for each part."""
        received, done = 0, False

        async def guarded() -> Message:
            nonlocal received, done
            if done:
                return await receive()
            try:
                with anyio.fail_after(self.timeout):
                    message = await receive()
            except TimeoutError:
                raise SlowRequest(408, f"request body not received within {self.timeout:g} s") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(413, f"request body over {self.limit} bytes")
                done = not message.get("more_body", False)
            return message

        return guarded


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == name), "")


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that sends no whole request head within the
    keep-alive timeout after it opens or after its last response (uvicorn waits forever)."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def _arm(self) -> None:
        # The cycle's id, not the cycle: a timer must not keep a finished request's memory alive.
        self.loop.call_later(self.timeout_keep_alive, self._expire, id(self.cycle))

    def _expire(self, cycle: int) -> None:
        # Still no request since the deadline was set (the same cycle, finished or none): close.
        current = self.cycle
        if id(current) == cycle and (current is None or current.response_complete):
            self.transport.close()
