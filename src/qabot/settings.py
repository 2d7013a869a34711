"""One `Settings` object for the whole app; every field can be overridden by a `QABOT_<FIELD>` env var.

The CLI, API and UI all build their `Settings` here, so a deployment is configured the same way
whichever entry point starts it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import SettingsError

PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"
# SHA-256 of the official all-MiniLM-L6-v2 model.safetensors.
PACKAGED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@dataclass(frozen=True)
class Settings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    # A local path, a hub name (needs network), or the packaged default.
    model: str = PACKAGED_MODEL
    # SHA-256 of the weights, checked before use; empty = the known digest for the packaged
    # model, no check for others.
    model_sha256: str = ""
    # Calibrated on the dev split (see README "Accuracy"): below it, "not covered".
    threshold: float = 0.375
    top_k: int = 3
    max_query_chars: int = 1000
    cache_size: int = 1024
    host: str = "127.0.0.1"
    port: int = 7860
    # Browser origins allowed to call the API / UI cross-origin; empty = none.
    cors_origins: tuple[str, ...] = ()
    # Who may frame the UI (CSP frame-ancestors); "'self'" = only this origin.
    frame_ancestors: tuple[str, ...] = ("'self'",)
    # Feedback and query logs go here; None = no logs written.
    data_dir: Path | None = None
    log_queries: bool = False
    # Questions answered at once (API worker threads; chat events too): those waiting together are
    # embedded in micro-batches (batching.py), so this is a few batches' worth.
    concurrency: int = 32
    queue_size: int = 64
    # The largest micro-batch (texts embedded in one model call), and how long a batch may wait for
    # more questions while they are arriving together (none when the server is idle). 32, not 16:
    # the same throughput at 32 concurrent questions, but when 32 arrive at once (a class opening
    # the page) the second half no longer waits for the first half's batch (docs/performance.md).
    batch_size: int = 32
    batch_wait_ms: float = 2.0
    max_body_bytes: int = 256 * 1024
    # Seconds a client may take to send a request's head or body; idle connections close after it.
    request_timeout: float = 15.0
    # Seconds a stopping server waits for open requests and streams before it closes them.
    shutdown_timeout: float = 10.0
    # How often (seconds) a server checks the notes and the index for changes; 0 = never.
    watch_interval: float = 5.0
    # Chat sessions whose conversation is kept in memory (about 130 kB each); the oldest go first.
    max_sessions: int = 1000
    # feedback.jsonl / queries.jsonl are rotated (one .1 kept) past this size.
    log_max_bytes: int = 10 * 1024 * 1024
    # The public URL (or sub-path) a proxy serves qabot under, e.g. https://notes.example.edu/qa.
    root_path: str = ""

    def __post_init__(self) -> None:
        for name, low, high in _RANGES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
                raise SettingsError(f"QABOT_{name.upper()}={value!r} is out of range: it must be a "
                                    f"number from {low} to {high}")
        for origin in self.cors_origins:
            if not _ORIGIN.fullmatch(origin):
                raise SettingsError(f"QABOT_CORS_ORIGINS: {origin!r} is not an exact origin; list each "
                                    "one as scheme://host[:port], e.g. https://portal.example.edu "
                                    "(wildcards such as '*' are not supported)")
        if not self.host.strip():
            raise SettingsError("QABOT_HOST is empty; use 127.0.0.1 (this machine) or 0.0.0.0 (all)")
        if self.root_path and not _ROOT_PATH.fullmatch(self.root_path):
            raise SettingsError(f"QABOT_ROOT_PATH={self.root_path!r} must be a path such as /qa or a "
                                "URL such as https://notes.example.edu/qa")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `QABOT_*` environment variables, then explicit (non-None) overrides."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"QABOT_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


# (field, lowest, highest): every number a deployment can set, checked at start-up.
_RANGES = (("threshold", 0.0, 1.0), ("top_k", 0, 20), ("max_query_chars", 1, 100_000),
           ("cache_size", 0, 1_000_000), ("port", 0, 65535), ("concurrency", 1, 256),
           ("queue_size", 1, 100_000), ("max_body_bytes", 1024, 1 << 30),
           ("request_timeout", 0.1, 3600.0), ("shutdown_timeout", 0.0, 3600.0),
           ("watch_interval", 0.0, 86_400.0), ("log_max_bytes", 1024, 1 << 40),
           ("max_sessions", 1, 1_000_000), ("batch_size", 1, 1024), ("batch_wait_ms", 0.0, 100.0))
_ORIGIN = re.compile(r"https?://[^\s/:*]+(:\d{1,5})?")
_ROOT_PATH = re.compile(r"(/[^\s?#]*|https?://[^\s/?#]+(/[^\s?#]*)?)")


def _convert(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = str(f.type)
    name = f"QABOT_{f.name.upper()}"
    try:
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind == "bool":
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if "Path" in kind:
            return Path(raw) if raw else None
        return raw
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a valid {kind}; fix or unset it") from None
