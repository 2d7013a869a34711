"""`QABot`, the one core object: CLI, API and UI only convert input and output around it.

It loads the model once, loads the index (rebuilding it when missing, damaged or stale) and answers
questions with a verbatim passage of the notes, or an honest "not covered" with suggestions.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .chunk import Chunk, OpenQuestion
from .corpus import corpus_digest, load_corpus
from .embedding import Embedder
from .errors import IndexStateError, QueryError
from .index import Index, Manifest, build_index, load_index, lock, read_manifest, save_index
from .query import clean
from .results import Answer, Related, Source
from .retrieval import Ranking, Retriever, Weights
from .settings import Settings
from .smalltalk import smalltalk_kind

Log = Callable[[str], None]


def stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Result:
    """An answer together with the chunks behind it, for front ends that show more than JSON."""

    answer: Answer
    chunk: Chunk | None
    related: tuple[Chunk, ...]
    truncated: bool
    open: OpenQuestion | None = None  # the notes ask this but leave it unanswered
    unmentioned: tuple[str, ...] = ()  # concepts it names that the notes never write (not covered)


class QABot:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 log: Log = stderr, weights: Weights = Weights()) -> None:
        self.settings = settings or Settings.from_env()
        self.log = log
        self.embedder = embedder or Embedder(self.settings.model, self.settings.model_sha256)
        self.index = ensure_index(self.settings, self.embedder, log)
        self.retriever = Retriever(self.index, self.embedder, weights)
        self._cache: OrderedDict[tuple[str, int], Result] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def chunks(self) -> list[Chunk]:
        return self.index.chunks

    def ask(self, question: object, top_k: int | None = None) -> Answer:
        return self.search(question, top_k).answer

    def search(self, question: object, top_k: int | None = None) -> Result:
        text, truncated = clean(question, self.settings.max_query_chars)
        k = self.settings.top_k if top_k is None else top_k
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= 20:
            raise QueryError(f"top_k must be a whole number from 0 to 20, not {k!r}")
        key = (text, k)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is None:
            cached = self._answer(text, k, truncated)
            with self._lock:
                self._cache[key] = cached
                while len(self._cache) > self.settings.cache_size:
                    self._cache.popitem(last=False)
        self._log_query(cached)
        return cached

    def _answer(self, text: str, k: int, truncated: bool) -> Result:
        ranking = self.retriever.rank(text, k + 1)
        hits = list(ranking.hits)
        top = hits[0] if hits else None
        answered = ranking.answers(self.settings.threshold)
        rest = hits[1:] if answered else hits
        rest = rest[:k]
        related = tuple(Related(h.chunk.question, round(h.score, 4), Source.of(h.chunk))
                        for h in rest)
        answer = Answer(
            question=text,
            answered=answered,
            answer=top.chunk.answer if answered and top else None,
            score=round(top.score, 4) if top else 0.0,
            source=Source.of(top.chunk) if answered and top else None,
            focus=_focus(ranking) if answered else None,
            related=related,
        )
        return Result(answer, top.chunk if answered and top else None,
                      tuple(h.chunk for h in rest), truncated, ranking.open,
                      () if answered else ranking.foreign)

    def topics(self) -> dict[str, list[str]]:
        """Section → questions, in the order of the notes."""
        out: dict[str, list[str]] = {}
        for c in self.chunks:
            out.setdefault(c.section or c.title, []).append(c.question)
        return out

    def chunk(self, chunk_id: str) -> Chunk | None:
        return next((c for c in self.chunks if c.id == chunk_id), None)

    def smalltalk(self, message: str) -> str | None:
        """A short friendly reply for greetings, thanks and "what can you do?", else None."""
        kind = smalltalk_kind(message)
        if kind is None:
            return None
        if kind == "thanks":
            return "You're welcome! Ask me anything else about the notes."
        sections = ", ".join(list(self.topics())[:12])
        intro = "Hi! " if kind == "greeting" else ""
        return (f"{intro}I answer questions from these study notes, quoting the notes "
                f"verbatim with their source. Topics: {sections}.")

    def _log_query(self, result: Result) -> None:
        if not (self.settings.log_queries and self.settings.data_dir):
            return
        record = {"time": time.time(), "question": result.answer.question,
                  "answer_id": result.chunk.id if result.chunk else None,
                  "score": result.answer.score}
        append_jsonl(Path(self.settings.data_dir) / "queries.jsonl", record)


def append_jsonl(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def _focus(ranking: Ranking) -> str | None:
    return ranking.focus.markdown if ranking.focus is not None else None


def stale_reason(manifest: Manifest | None, embedder: Embedder, digest: str) -> str | None:
    from . import __version__

    if manifest is None:
        return "no index yet"
    if manifest.model != embedder.name or manifest.model_sha256 != embedder.checksum:
        return "the embedding model changed"
    if manifest.corpus_digest != digest:
        return "the corpus changed"
    if manifest.qabot_version != __version__:
        return "qabot was upgraded"
    return None


def ensure_index(settings: Settings, embedder: Embedder, log: Log = stderr,
                 force: bool = False, progress: bool = False) -> Index:
    """Loads the index, rebuilding it first when it is missing, damaged or stale."""
    root = Path(settings.index)
    digest = corpus_digest(Path(settings.corpus))
    reason = "rebuild requested" if force else stale_reason(read_manifest(root), embedder, digest)
    previous: Index | None = None
    if reason is None:
        try:
            return load_index(root)
        except IndexStateError as exc:
            reason = str(exc)
    with lock(root):
        # Another process may have rebuilt it while this one waited for the lock.
        if not force and stale_reason(read_manifest(root), embedder, digest) is None:
            try:
                return load_index(root)
            except IndexStateError:
                pass
        try:
            previous = load_index(root)
        except IndexStateError:
            previous = None
        log(f"building index in {root} ({reason})")
        corpus = load_corpus(Path(settings.corpus))
        for warning in corpus.warnings:
            log(f"warning: {warning}")
        index = build_index(corpus, embedder, previous, progress=progress)
        save_index(index, root)
        log(f"indexed {len(index.chunks)} questions ({index.manifest.keys} keys)")
        return index
