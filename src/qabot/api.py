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
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import anyio  # noqa: E402
from fastapi import FastAPI, HTTPException, Request  # noqa: E402
from fastapi.encoders import jsonable_encoder  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.middleware.cors import CORSMiddleware  # noqa: E402
from fastapi.openapi.docs import get_swagger_ui_html  # noqa: E402
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response  # noqa: E402
from pydantic import BaseModel, Field, StringConstraints, field_validator  # noqa: E402
from starlette.types import ASGIApp  # noqa: E402

from . import __version__  # noqa: E402
from .bot import MAX_HISTORY, MAX_MESSAGE_CHARS, QABot  # noqa: E402
from .errors import QabotError, QueryError, ServerError  # noqa: E402
from .guard import Guard, GuardedH11  # noqa: E402
from .notes import STATIC, line_range, notes_page  # noqa: E402
from .settings import Settings  # noqa: E402

# A visible character: not whitespace, not a control or zero-width format character (joiners, BOMs,
# direction marks). In the OpenAPI spec too, so that clients and fuzzers know an empty question.
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
# Sent with every response, errors included.
# An earlier message is searched only up to QABOT_MAX_QUERY_CHARS; longer ones are refused.
MAX_HISTORY_CHARS = 2_000
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


class AskRequest(BaseModel):
    question: str = Field(..., description="The student's question (at least one visible character)",
                          min_length=1, max_length=MAX_MESSAGE_CHARS, strict=True,
                          json_schema_extra={"pattern": VISIBLE})
    top_k: int | None = Field(None, ge=0, le=20, description="How many related questions")
    history: list[Annotated[str, StringConstraints(max_length=MAX_HISTORY_CHARS, strict=True)]] | None = \
        Field(
        None, max_length=MAX_HISTORY,
        description="The student's earlier messages in this conversation, oldest first (at most "
                    f"{MAX_HISTORY}, each at most {MAX_HISTORY_CHARS} characters). A follow-up such as "
                    "\"and for relu?\" or \"why?\" is read against the last topic the notes answered; "
                    "a question that stands on its own is answered on its own")

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
    file: str = Field(description="The notes file, relative to the corpus directory")
    section: str = Field(description="Its section path, parts joined by ' › '")
    question: str = Field(description="The question of the notes that matched")
    lines: tuple[int, int] = Field(description="First and last line in the file (1-based, inclusive)")
    anchor: str = Field(description="Id of the heading of its section in the notes viewer "
                                    "(GitHub-style slug; empty when the file has none)")
    url: str = Field(description="Path on this server of the notes viewer at this section with these "
                                 "lines marked, e.g. /notes/deep-learning-basics.md?lines=12-41#…; "
                                 "under QABOT_ROOT_PATH it starts with that path")


class RelatedModel(BaseModel):
    question: str
    score: float
    source: SourceModel


class AskResponse(BaseModel):
    question: str = Field(description="The question as searched (cleaned, at most "
                                      "QABOT_MAX_QUERY_CHARS characters)")
    kind: Literal["answer", "not_covered", "smalltalk"] = Field(
        description="answer: a passage of the notes; not_covered: the notes do not answer it "
                    "(`related` holds the closest questions); smalltalk: a greeting, thanks or "
                    "\"what can you do?\", answered by `reply`, never by the notes")
    answered: bool = Field(description="Whether `answer` holds a passage of the notes")
    answer: str | None = Field(description="The notes' Markdown, verbatim; null unless answered")
    answer_html: str | None = Field(
        description="`answer` rendered on the server and sanitized (nh3 allow-list): tables, code, "
                    "math as MathML; the focus passage's blocks carry class qa-focus and its text "
                    "is wrapped in <mark class=\"qa-mark\">. Safe to insert as HTML; null unless "
                    "answered")
    reply: str | None = Field(description="Small talk only: the plain-text reply the chat shows")
    score: float
    source: SourceModel | None
    focus: str | None = Field(description="The passage of the answer that best matches the question")
    related: list[RelatedModel] = Field(description="Follow-ups when answered, the closest "
                                                    "questions when not covered; empty for small talk")
    resolved: str = Field(description="The standalone question that was searched: `question`, or for a "
                                      "follow-up, it together with the topic it leans on")
    context: str | None = Field(description="The notes question whose topic a follow-up carried over "
                                            "(also when that follow-up is not covered); null otherwise")


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

    app = FastAPI(title="qabot", version=__version__, docs_url=None,
                  openapi_url="/api/openapi.json", redoc_url=None, lifespan=lifespan)
    prefix = public_prefix(settings.root_path)

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
            result = await anyio.to_thread.run_sync(bot.converse, body.question, body.history or [],
                                                    body.top_k, limiter=workers)
        except QueryError as exc:
            raise HTTPException(400, str(exc)) from None
        return _prefixed(result.answer.to_dict(), prefix)

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

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Swagger UI from the fastapi-offline package, served here: the page loads nothing from
        # another host (FastAPI's default page takes its assets and favicon from a CDN).
        return get_swagger_ui_html(
            openapi_url=f"{prefix}/api/openapi.json", title="qabot API",
            swagger_js_url=f"{prefix}/api/docs/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix}/api/docs/swagger-ui.css",
            swagger_favicon_url=f"{prefix}/api/docs/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "defaultModelsExpandDepth": 0})

    @app.get("/api/docs/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        if name not in DOCS_ASSETS:
            raise HTTPException(404, "not found")
        return FileResponse(_docs_assets() / name, media_type=DOCS_ASSETS[name],
                            headers={"cache-control": "public, max-age=86400"})

    @app.get("/notes/{name:path}", include_in_schema=False)
    def notes(name: str, lines: str | None = None, theme: str | None = None) -> HTMLResponse:
        page = notes_page(bot.chunks, bot.settings.corpus, name, line_range(lines), prefix, theme)
        if page is None:
            return HTMLResponse(NOT_FOUND_PAGE, 404)
        return HTMLResponse(page, headers={"cache-control": "no-cache"})

    @app.get("/embed.js", include_in_schema=False)
    def embed_js() -> Response:
        return Response((STATIC / "embed.js").read_bytes(), media_type="text/javascript",
                        headers={"cache-control": "no-cache"})

    @app.get("/embed.css", include_in_schema=False)
    def embed_css() -> Response:
        return Response((STATIC / "embed.css").read_bytes(), media_type="text/css",
                        headers={"cache-control": "no-cache"})

    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                       allow_methods=["GET", "POST"], allow_headers=["content-type"])
    methods: dict[str, set[str]] = {}
    for route in app.routes:
        if getattr(route, "path", "").startswith("/api/"):
            methods.setdefault(route.path, set()).update(getattr(route, "methods", None) or {"GET"})
    if with_ui:
        import gradio as gr

        from .ui import CSS, HEAD, build_ui

        blocks = build_ui(bot)
        app = gr.mount_gradio_app(app, blocks, path="/", show_error=False,
                                  enable_monitoring=False, theme=gr.themes.Soft(), footer_links=[],
                                  ssr_mode=False, root_path=settings.root_path or None,
                                  max_file_size=0, css=CSS, head=HEAD)
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


# Swagger UI's files in the fastapi-offline package, and their types: nothing else is served.
DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
               "favicon.png": "image/png"}
NOT_FOUND_PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found"
                  "</title></head><body><main><h1>Not found</h1><p>No such notes file.</p></main>"
                  "</body></html>")


def _docs_assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def public_prefix(root_path: str) -> str:
    """The path part of QABOT_ROOT_PATH ("https://notes.example.edu/qa" → "/qa"), for links."""
    return urlsplit(root_path).path.rstrip("/") if root_path else ""


def _prefixed(answer: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Notes-viewer links under the public sub-path, when qabot is served under one."""
    if not prefix:
        return answer
    for source in [answer["source"], *(r["source"] for r in answer["related"])]:
        if source and source.get("url", "").startswith("/"):
            source["url"] = prefix + source["url"]
    return answer


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
