"""One server: the JSON API under /api (FastAPI) and the Gradio chat at /, mounted under our own app
so that CORS, framing, body-size and concurrency rules are ours (see guard.py), not Gradio's."""

from __future__ import annotations

import errno
import gc
import os
import re
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import anyio  # noqa: E402
from fastapi import FastAPI, HTTPException, Request  # noqa: E402
from fastapi.encoders import jsonable_encoder  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.middleware.cors import CORSMiddleware  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402
from pydantic import BaseModel, Field, field_validator  # noqa: E402
from starlette.types import ASGIApp  # noqa: E402

from . import __version__  # noqa: E402
from .bot import MAX_MESSAGE_CHARS, QABot  # noqa: E402
from .errors import QabotError, QueryError, ServerError  # noqa: E402
from .guard import Guard, GuardedH11  # noqa: E402
from .settings import Settings  # noqa: E402

# A visible character: not whitespace, not a control or zero-width format character (joiners, BOMs,
# direction marks). In the OpenAPI spec too, so that clients and fuzzers know an empty question.
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
# Sent with every response, errors included.
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


class AskRequest(BaseModel):
    question: str = Field(..., description="The student's question (at least one visible character)",
                          min_length=1, max_length=MAX_MESSAGE_CHARS, strict=True,
                          json_schema_extra={"pattern": VISIBLE})
    top_k: int | None = Field(None, ge=0, le=20, description="How many related questions")

    @field_validator("question")
    @classmethod
    def visible(cls, value: str) -> str:
        if not re.search(VISIBLE, value):
            raise ValueError("the question is empty (only spaces or control characters); "
                             "type a question about the notes")
        return value

    @field_validator("top_k", mode="before")
    @classmethod
    def whole_number(cls, value: object) -> object:
        # JSON Schema counts 10.0 as an integer, so it is accepted; "10" and true are not numbers.
        if isinstance(value, (bool, str)):
            raise ValueError("top_k must be a whole number from 0 to 20")
        return value


class SourceModel(BaseModel):
    file: str
    section: str
    question: str
    lines: tuple[int, int]
    anchor: str


class RelatedModel(BaseModel):
    question: str
    score: float
    source: SourceModel


class AskResponse(BaseModel):
    question: str
    answered: bool
    answer: str | None
    score: float
    source: SourceModel | None
    focus: str | None
    related: list[RelatedModel]


class Health(BaseModel):
    status: str
    version: str
    chunks: int
    model: str
    built: str = Field(description="When the index being served was built (UTC, ISO 8601)")
    fresh: bool = Field(description="Whether that index was built from the notes as they are now; "
                                    "false while a changed corpus is being re-indexed")


def create_app(bot: QABot, *, with_ui: bool = True) -> ASGIApp:
    """The API and (with_ui) the chat, wrapped in the `Guard` that every request passes."""
    settings = bot.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        bot.log(bot.embedder.batcher.stats().summary())  # batch sizes, when the server stops

    app = FastAPI(title="qabot", version=__version__, docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None, lifespan=lifespan)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each bad input back: 100 kB of it, or a lone surrogate that
        # cannot be encoded as JSON (a 500). Location, message and type are enough.
        detail = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(detail)}, 422)

    @app.exception_handler(QabotError)
    async def qabot_error(_: Request, exc: QabotError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 400 if isinstance(exc, QueryError) else 503)

    errors: dict[int | str, dict[str, Any]] = {
        400: {"description": "The question is empty once unencodable characters are removed"},
        413: {"description": "Request body over the size limit"}}

    # Questions waiting in these threads are embedded together (batching.py), so there are a few
    # batches' worth; the Guard's cap on requests in flight bounds the rest.
    workers = anyio.CapacityLimiter(settings.concurrency)

    @app.post("/api/ask", response_model=AskResponse, summary="Answer a question from the notes",
              responses=errors)
    async def ask(body: AskRequest) -> dict[str, Any]:
        try:
            answer = await anyio.to_thread.run_sync(bot.ask, body.question, body.top_k, limiter=workers)
        except QueryError as exc:
            raise HTTPException(400, str(exc)) from None
        return answer.to_dict()

    @app.get("/api/topics", summary="Sections of the notes and their questions")
    def topics() -> dict[str, list[str]]:
        return bot.topics()

    @app.get("/api/health", response_model=Health)
    def health() -> dict[str, Any]:
        manifest = bot.index.manifest
        built = datetime.fromtimestamp(manifest.created, timezone.utc).isoformat(timespec="seconds")
        return {"status": "ok", "version": __version__, "chunks": len(bot.chunks),
                "model": manifest.model, "built": built, "fresh": bot.is_fresh()}

    @app.head("/api/health", include_in_schema=False)
    def health_head() -> None:
        return None

    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                       allow_methods=["GET", "POST"], allow_headers=["content-type"])
    methods: dict[str, set[str]] = {}
    for route in app.routes:
        if getattr(route, "path", "").startswith("/api/"):
            methods.setdefault(route.path, set()).update(getattr(route, "methods", None) or {"GET"})
    if with_ui:
        import gradio as gr

        from .ui import build_ui

        blocks = build_ui(bot)
        app = gr.mount_gradio_app(app, blocks, path="/", show_error=False,
                                  enable_monitoring=False, theme=gr.themes.Soft(), footer_links=[],
                                  ssr_mode=False, root_path=settings.root_path or None,
                                  max_file_size=0)
        # A mounted app never sets this, which turns off Gradio's checks on the file paths a
        # component may return (a second wall: the chat never returns client data anyway).
        blocks.has_launched = True
    frame = "frame-ancestors " + (" ".join(settings.frame_ancestors) or "'none'")
    # What is loaded by now (model, index, Gradio) lives as long as the server: left to the garbage
    # collector, each full collection scanned it all and stopped every thread for 110-185 ms, the
    # tail of the latencies under load.
    gc.collect()
    gc.freeze()
    return Guard(app, max_body_bytes=settings.max_body_bytes, timeout=settings.request_timeout,
                 max_requests=settings.concurrency + settings.queue_size,
                 methods=methods, origins=settings.cors_origins,
                 headers={**SECURITY_HEADERS, "content-security-policy": frame},
                 no_store=("/", "/config", "/config/"))


def server(bot: QABot, port: int | None = None) -> Any:
    """A uvicorn server for the app, with qabot's timeouts and connection handling."""
    import uvicorn

    settings = bot.settings
    return uvicorn.Server(uvicorn.Config(
        create_app(bot), host=settings.host, port=settings.port if port is None else port,
        log_level="warning", http=GuardedH11,
        timeout_keep_alive=max(1, round(settings.request_timeout)),
        timeout_graceful_shutdown=round(settings.shutdown_timeout)))


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, opened before anything is loaded, so a bad address fails at once."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ServerError(f"--host {host!r} is not an address of this machine ({exc}); use "
                          "127.0.0.1 (this machine only) or 0.0.0.0 (every interface)") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerError(f"port {port} on {host} is in use by another program; stop it or "
                              "choose another with --port (or QABOT_PORT)") from None
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another "
                          "--host or --port") from None
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, log: Callable[[str], None] = print) -> None:
    sock = bind(settings.host, settings.port)
    bot = QABot(settings, log=log)
    host, port = sock.getsockname()[:2]
    log(f"qabot serving {len(bot.chunks)} questions on http://{host}:{port}/ (API under /api)")
    stop = threading.Event()
    if settings.watch_interval:
        bot.watch(settings.watch_interval, stop)
    try:
        server(bot).run(sockets=[sock])
    finally:
        stop.set()
        sock.close()
