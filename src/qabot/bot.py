"""`QABot`, the one core object: CLI, API and UI only convert input and output around it.

It loads the model once, loads the index (rebuilding it when missing, damaged or stale) and answers
questions with a verbatim passage of the notes, or an honest "not covered" with suggestions.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .chunk import Chunk, OpenQuestion
from .conversation import content, leans, names_new, switches
from .corpus import corpus_digest, load_corpus
from .embedding import Embedder
from .errors import CorpusError, IndexStateError, QueryError
from .index import Index, Manifest, build_index, load_index, lock, read_manifest, save_index
from .query import clean
from .results import Answer, Related, Source
from .retrieval import Hit, Ranking, Retriever, Weights
from .settings import Settings
from .smalltalk import opening_kind, smalltalk_kind

Log = Callable[[str], None]
# The longest message a student may send (API and chat alike); only its first
# `Settings.max_query_chars` characters are searched.
MAX_MESSAGE_CHARS = 200_000
# How many of a conversation's earlier student messages a follow-up may lean on.
MAX_HISTORY = 20


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
    ranking: Ranking | None = None  # the ranking behind it


@dataclass(frozen=True)
class Loaded:
    """One index with its retriever, swapped in as a whole so a request never mixes two indexes."""

    index: Index
    retriever: Retriever
    generation: int


class QABot:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 log: Log = stderr, weights: Weights = Weights()) -> None:
        self.settings = settings or Settings.from_env()
        self.log = log
        self.weights = weights
        self.embedder = embedder or Embedder.for_settings(self.settings)
        self._loaded = self._load(ensure_index(self.settings, self.embedder, log), 0)
        self._cache: OrderedDict[tuple[int, str, int], Result] = OrderedDict()
        self._lock = threading.Lock()
        self._unbuildable: str | None = None  # a corpus digest whose rebuild failed: not retried
        data = self.settings.data_dir
        self.queries = JsonlLog(Path(data) / "queries.jsonl" if data else None,
                                self.settings.log_max_bytes, log)
        self.feedback = JsonlLog(Path(data) / "feedback.jsonl" if data else None,
                                 self.settings.log_max_bytes, log)

    def _load(self, index: Index, generation: int) -> Loaded:
        return Loaded(index, Retriever(index, self.embedder, self.weights), generation)

    @property
    def index(self) -> Index:
        return self._loaded.index

    @property
    def retriever(self) -> Retriever:
        return self._loaded.retriever

    @retriever.setter
    def retriever(self, retriever: Retriever) -> None:
        """Swaps the retriever (other weights or another index, for calibration and benchmarks) and
        the index it searches; the answer cache starts afresh."""
        with self._lock:
            self._loaded = Loaded(retriever.index, retriever, self._loaded.generation + 1)

    @property
    def chunks(self) -> list[Chunk]:
        return self.index.chunks

    def ask(self, question: object, top_k: int | None = None) -> Answer:
        return self.converse(question, (), top_k).answer

    def search(self, question: object, top_k: int | None = None, log: bool = True) -> Result:
        text, truncated = clean(question, self.settings.max_query_chars)
        k = self.settings.top_k if top_k is None else top_k
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= 20:
            raise QueryError(f"top_k must be a whole number from 0 to 20, not {k!r}")
        reply = self.smalltalk(text)  # "hi", "thanks!": a reply, never a notes answer
        if reply is not None:
            return Result(Answer.smalltalk(text, reply), None, (), truncated)
        loaded = self._loaded
        key = (loaded.generation, text, k)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is None:
            cached = self._answer(loaded.retriever, text, k, truncated)
            with self._lock:
                self._cache[key] = cached
                while len(self._cache) > self.settings.cache_size:
                    self._cache.popitem(last=False)
        if log:
            self._log_query(cached)
        return cached

    def converse(self, message: object, history: Sequence[object] = (),
                 top_k: int | None = None) -> Result:
        """Answers `message` as one turn of a conversation whose earlier student messages are
        `history`, oldest first: a turn that leans on it is read against the last topic the notes
        answered (small talk and refusals do not replace it); any other turn stands alone."""
        topic: Chunk | None = None
        for earlier in history:
            if not isinstance(earlier, str):
                continue
            try:  # small talk and refusals have no chunk: the topic stays
                topic = self._turn(earlier, topic, top_k, log=False).chunk or topic
            except QueryError:
                continue
        return self._turn(message, topic, top_k)

    def _turn(self, message: object, topic: Chunk | None, top_k: int | None,
              log: bool = True) -> Result:
        alone = self.search(message, top_k, log=log)
        if alone.ranking is None:  # small talk
            return alone
        text = alone.answer.question
        opening = opening_kind(text)
        if opening is not None and not alone.answer.answered:  # "hey! got my exam tmrw"
            return Result(Answer.smalltalk(text, self._reply(opening)), None, (), alone.truncated)
        # A new topic announced ("btw …"), or a reaction that asks nothing ("ok i'll try it myself
        # then"): the turn does not lean, whatever pronoun it has.
        if topic is None or switches(text) or opening is not None:
            return alone
        retriever, k = self.retriever, len(alone.answer.related)
        words = set(content(text))
        missing = words - retriever.stems(topic)
        # A turn leans on the topic when it says so, or when it is refused alone although it names
        # something the topic's section writes ("what happens if the weights start too large?"
        # after Xavier initialisation). Whatever else it names is checked below.
        if not leans(text) and (alone.answer.answered or not words - missing):
            return alone
        ranking = alone.ranking
        named = tuple(w for w in (*ranking.foreign, *ranking.strange) if set(content(w)) & missing)
        if named:  # it asks the topic about a concept the notes never write
            return _refused(alone, topic, named)
        if missing and (names_new(text) or alone.answer.answered and alone.chunk != topic):
            return alone  # a new topic, asked elliptically ("and what about dropout?")
        if missing and not retriever.weights.follow_unknown:
            return _refused(alone, topic, ())
        return self._follow(retriever, text, topic, k, alone.truncated)

    def _follow(self, retriever: Retriever, text: str, topic: Chunk, k: int,
                truncated: bool) -> Result:
        """The topic's section as the answer to a follow-up, focused on what the follow-up asks."""
        resolved = f"{text} ({topic.question})"
        ranking = retriever.rank(resolved, k + 1)
        score = next((h.score for h in ranking.hits if h.chunk == topic), ranking.hits[0].score)
        rest = [h for h in ranking.hits if h.chunk != topic][:k]
        focus = retriever.focus(topic, text)
        answer = Answer(question=text, answered=True, answer=topic.answer, score=round(score, 4),
                        source=Source.of(topic), focus=focus.markdown if focus else None,
                        related=_related(rest), resolved=resolved, context=topic.question)
        return Result(answer, topic, tuple(h.chunk for h in rest), truncated, ranking=ranking)

    def _answer(self, retriever: Retriever, text: str, k: int, truncated: bool) -> Result:
        ranking = retriever.rank(text, k + 1)
        hits = list(ranking.hits)
        top = hits[0] if hits else None
        answered = ranking.answers(self.settings.threshold)
        rest = hits[1:] if answered else hits
        rest = rest[:k]
        answer = Answer(
            question=text,
            answered=answered,
            answer=top.chunk.answer if answered and top else None,
            score=round(top.score, 4) if top else 0.0,
            source=Source.of(top.chunk) if answered and top else None,
            focus=_focus(ranking) if answered else None,
            related=_related(rest),
            resolved=text,
        )
        return Result(answer, top.chunk if answered and top else None,
                      tuple(h.chunk for h in rest), truncated, ranking.open,
                      () if answered else ranking.foreign, ranking)

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
        return None if kind is None else self._reply(kind)

    def _reply(self, kind: str) -> str:
        if kind == "thanks":
            return "You're welcome! Ask me anything else about the notes."
        if kind == "ack":
            return "Ask me anything else about the notes, or “what can you do?” for the topics."
        sections = ", ".join(list(self.topics())[:12])
        intro = "Hi! " if kind == "greeting" else ""
        return (f"{intro}I answer questions from these study notes, quoting the notes "
                f"verbatim with their source. Topics: {sections}.")

    def _log_query(self, result: Result) -> None:
        if self.settings.log_queries:
            self.queries.append({"time": time.time(), "question": result.answer.question,
                                 "answer_id": result.chunk.id if result.chunk else None,
                                 "score": result.answer.score})

    def record_feedback(self, record: dict) -> bool:
        """Appends one helpful / not-helpful record; False when feedback is not stored."""
        return self.feedback.append(record)

    def is_fresh(self) -> bool:
        """Whether the loaded index was built from the notes as they are now."""
        try:
            return corpus_digest(Path(self.settings.corpus)) == self.index.manifest.corpus_digest
        except CorpusError:
            return False

    def refresh(self) -> bool:
        """Swaps in a new index when the notes changed (rebuilding it) or another process wrote a
        newer one; requests keep being answered from the old index until the swap. True if swapped."""
        root, current = Path(self.settings.index), self.index.manifest
        try:
            digest = corpus_digest(Path(self.settings.corpus))
        except CorpusError as exc:
            if self._unbuildable != "missing":
                self.log(f"warning: {exc}; still answering from the index built "
                         f"{time.ctime(current.created)}")
            self._unbuildable = "missing"
            return False
        on_disk = read_manifest(root)
        newer = on_disk is not None and on_disk.created > current.created
        if (digest == current.corpus_digest and not newer) or digest == self._unbuildable:
            return False
        try:
            index = ensure_index(self.settings, self.embedder, self.log)
        except (CorpusError, IndexStateError) as exc:
            self.log(f"warning: {exc}; still answering from the index built "
                     f"{time.ctime(current.created)}")
            index = self.index
        if index.manifest == current:
            self._unbuildable = digest
            return False
        self._unbuildable = None
        with self._lock:
            self._loaded = self._load(index, self._loaded.generation + 1)
            self._cache.clear()
        self.log(f"index reloaded: {len(index.chunks)} questions")
        return True

    def watch(self, interval: float, stop: threading.Event) -> threading.Thread:
        """Checks for changed notes or a newer index every `interval` seconds until `stop` is set."""
        def run() -> None:
            while not stop.wait(interval):
                try:
                    self.refresh()
                except Exception as exc:  # a watcher must outlive any one failed check
                    self.log(f"warning: checking the notes for changes failed ({exc!r})")

        thread = threading.Thread(target=run, name="qabot-watch", daemon=True)
        thread.start()
        return thread


class JsonlLog:
    """An append-only JSON Lines log (queries, feedback), rotated to `NAME.1` past `max_bytes` so it
    never grows without bound. A write failure is reported once, and answering goes on."""

    def __init__(self, path: Path | None, max_bytes: int, log: Log) -> None:
        self.path, self.max_bytes, self.log = path, max_bytes, log
        self._lock = threading.Lock()
        self._failing = False

    def append(self, record: dict) -> bool:
        if self.path is None:
            return False
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line)
            except OSError as exc:
                if not self._failing:
                    self.log(f"warning: cannot write {self.path} ({exc.strerror or exc}); answers go "
                             "on, but nothing is recorded until it is writable again")
                self._failing = True
                return False
            if self._failing:
                self.log(f"{self.path} is writable again")
            self._failing = False
            return True


def _refused(alone: Result, topic: Chunk, unmentioned: tuple[str, ...]) -> Result:
    """A follow-up about `topic` that the notes do not answer."""
    answer = replace(alone.answer, answered=False, answer=None, source=None, focus=None,
                     kind="not_covered", context=topic.question)
    return replace(alone, answer=answer, chunk=None, unmentioned=unmentioned)


def _related(hits: Sequence[Hit]) -> tuple[Related, ...]:
    return tuple(Related(h.chunk.question, round(h.score, 4), Source.of(h.chunk)) for h in hits)


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
                 force: bool = False, progress: bool = False, strict: bool = False) -> Index:
    """Loads the index, rebuilding it first when it is missing, damaged or stale. When it cannot be
    rebuilt (read-only directory, full disk) but a complete index is on disk, that one is served
    with a warning instead. `strict`: questions of the notes that became no question of their
    own are an error, not a warning."""
    root = Path(settings.index)
    digest = corpus_digest(Path(settings.corpus))
    reason = "rebuild requested" if force else stale_reason(read_manifest(root), embedder, digest)
    if reason is None:
        try:
            return load_index(root)
        except IndexStateError as exc:
            reason = str(exc)
    try:
        return _rebuild(settings, embedder, log, reason, digest, force, progress, strict)
    except OSError as exc:  # includes filelock's Timeout
        problem = f"{exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}"
        if not force:
            try:
                index = load_index(root)
            except IndexStateError:
                pass
            else:
                log(f"warning: the index in {root} is out of date ({reason}) and cannot be rebuilt: "
                    f"{problem}. Serving the index built {time.ctime(index.manifest.created)} as it "
                    f"is; make {root} writable (or free disk space), or run `qabot index` where it is "
                    "writable")
                return index
        raise IndexStateError(f"cannot build the index in {root}: {problem}; make the directory "
                              "writable or free disk space, then run `qabot index`") from None


def _rebuild(settings: Settings, embedder: Embedder, log: Log, reason: str, digest: str,
             force: bool, progress: bool, strict: bool) -> Index:
    root = Path(settings.index)
    with lock(root):
        # Another process may have rebuilt it while this one waited for the lock.
        if not force and stale_reason(read_manifest(root), embedder, digest) is None:
            try:
                return load_index(root)
            except IndexStateError:
                pass
        try:
            previous: Index | None = load_index(root)
        except IndexStateError:
            previous = None
        log(f"building index in {root} ({reason})")
        corpus = load_corpus(Path(settings.corpus), strict=strict)
        for warning in corpus.warnings:
            log(f"warning: {warning}")
        index = build_index(corpus, embedder, previous, progress=progress)
        save_index(index, root)
        log(f"indexed {len(index.chunks)} questions ({index.manifest.keys} keys)")
        return index
