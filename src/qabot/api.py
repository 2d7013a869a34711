"""One server: the JSON API under /api (FastAPI) and the Gradio chat at /, mounted under our own app
so that CORS, framing and body-size rules are ours, not Gradio's defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
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
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

from . import __version__  # noqa: E402
from .bot import QABot  # noqa: E402
from .errors import QabotError, QueryError  # noqa: E402
from .settings import Settings  # noqa: E402

# A visible character: not whitespace, not a control character. In the OpenAPI spec too, so that
# clients and fuzzers know an empty or whitespace-only question is not a question.
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f]"


class AskRequest(BaseModel):
    question: str = Field(..., description="The student's question (at least one visible character)",
                          min_length=1, max_length=200_000, strict=True,
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


class GuardMiddleware:
    """Refuses bodies over the limit (413), drops CORS grants for unlisted origins on every route
    (Gradio's own included) and sends a CSP frame-ancestors policy."""

    def __init__(self, app: ASGIApp, settings: Settings, methods: dict[str, set[str]]) -> None:
        self.app, self.settings, self.methods = app, settings, methods
        self.origins = set(settings.cors_origins)
        self.csp = "frame-ancestors " + (" ".join(settings.frame_ancestors) or "'none'")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit = self.settings.max_body_bytes
        length = headers.get("content-length", "")
        if scope["path"].startswith("/api/") and length.isdigit() and int(length) > limit:
            await JSONResponse({"detail": f"request body over {limit} bytes"}, 413)(scope, receive, send)
            return
        allowed = self.methods.get(scope["path"])
        if allowed and scope["method"] not in allowed | {"OPTIONS"}:  # else Gradio's mount says 404
            await JSONResponse({"detail": "method not allowed"}, 405,
                               {"allow": ", ".join(sorted(allowed))})(scope, receive, send)
            return
        origin_ok = headers.get("origin") in self.origins

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", [])
                        if origin_ok or not k.lower().startswith(b"access-control-")]
                kept.append((b"content-security-policy", self.csp.encode()))
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, guarded_send)


def create_app(bot: QABot, *, with_ui: bool = True) -> FastAPI:
    settings = bot.settings
    app = FastAPI(title="qabot", version=__version__, docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)

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

    # A few worker threads, not Starlette's 40: more threads only add malloc arenas and memory,
    # since one encode already uses every core.
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
        return {"status": "ok", "version": __version__, "chunks": len(bot.chunks),
                "model": bot.index.manifest.model}

    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                       allow_methods=["GET", "POST"], allow_headers=["content-type"])
    methods: dict[str, set[str]] = {}
    for route in app.routes:
        if getattr(route, "path", "").startswith("/api/"):
            methods.setdefault(route.path, set()).update(getattr(route, "methods", None) or {"GET"})
    app.add_middleware(GuardMiddleware, settings=settings, methods=methods)
    if with_ui:
        import gradio as gr

        from .ui import build_ui

        app = gr.mount_gradio_app(app, build_ui(bot), path="/", show_error=False,
                                  enable_monitoring=False, theme=gr.themes.Soft(), footer_links=[],
                                  ssr_mode=False)
    return app


def serve(settings: Settings, log: Callable[[str], None] = print) -> None:
    import uvicorn

    bot = QABot(settings, log=log)
    log(f"qabot serving {len(bot.chunks)} questions on http://{settings.host}:{settings.port}/ "
        "(API under /api)")
    # Past this many open connections uvicorn answers 503 instead of piling up work.
    uvicorn.run(create_app(bot), host=settings.host, port=settings.port, log_level="warning",
                limit_concurrency=settings.concurrency + settings.queue_size)
