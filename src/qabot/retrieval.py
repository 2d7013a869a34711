"""Hybrid retrieval: dense (max over each chunk's keys) fused with BM25, then an honest threshold.

A chunk's score is 0.6 * cosine + 0.3 * bm25 / (bm25 + scale) + 0.1 * coverage, where `scale` is
the median BM25 score of the corpus's own questions, so the lexical part means the same on any
corpus. The question is first repaired by the named rewriters (rewriters.py); the top score, less the
margin the named signals ask for (words nobody knows, concepts the notes never name; signals.py),
must reach the threshold, and no question the notes leave unanswered may match better
(`Ranking.confidence`). Which parts run is `Weights.parts` (parts.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .chunk import Chunk, OpenQuestion, Passage
from .embedding import Embedder
from .focus import is_metadata
from .index import Index
from .lexical import chunk_text
from .parts import Parts
from .query import Vocabulary, known_words
from .rewriters import Repair, Rewrite
from .signals import Signal, unanswered_question, unknown_words, unseen_concepts
from .text import tokenize


@dataclass(frozen=True)
class Weights:
    """Fusion weights, chosen on the dev splits (scripts/calibrate.py), and the named parts."""

    lexical: float = 0.3  # share of the saturated BM25 score
    coverage: float = 0.1  # share of the IDF-weighted coverage of the question's words
    passage_discount: float = 0.05  # a passage match is weaker evidence than a question match
    summary_discount: float = 0.15  # and a summary section's passage repeats a detailed answer
    dense_keys: int = 256  # nearest keys fetched from FAISS before grouping by chunk
    lexical_candidates: int = 20
    # A follow-up naming a word its topic's section lacks (but no concept the notes never write,
    # and no other section answers it alone): answered from the topic (True) or refused.
    follow_unknown: bool = True
    parts: Parts = field(default_factory=Parts)  # the rewriters and signals, in order


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class Ranking:
    query: str  # the question after typo and acronym repair
    hits: tuple[Hit, ...]
    focus: Passage | None  # best passage of the top hit
    # A question the notes ask without answering that matches better than any answer: the
    # honest reply is "not covered", not the nearest answered neighbour.
    open: OpenQuestion | None = None
    # Words that neither the notes nor the model's vocabulary know ("LoRA", "RMSNorm", "warmup"),
    # and named concepts the notes never write ("group normalization"): such a question is
    # likelier about something else, so its top score must clear a margin.
    strange: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    margin: float = 0.0
    # What repaired the question and which signals it raised, one line each
    # ("typos: vanishng → vanishing", "unknown_words: +0.05 (lora)"): for debugging.
    trace: tuple[str, ...] = ()

    @property
    def confidence(self) -> float:
        """The top score less any margin owed; -1 when nothing may be answered."""
        if not self.hits or self.open is not None:
            return -1.0
        return self.hits[0].score - self.margin

    def answers(self, threshold: float) -> bool:
        return self.confidence >= threshold


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, weights: Weights = Weights()) -> None:
        self.index, self.embedder, self.weights = index, embedder, weights
        chunks = index.chunks
        self.position = {c.id: i for i, c in enumerate(chunks)}
        self.starts = np.searchsorted(index.keys.chunk, np.arange(len(chunks) + 1))
        known = known_words(embedder.vocabulary())
        self.vocabulary = Vocabulary.from_json(index.vocabulary, known)
        self.parts = weights.parts
        self.repair = Repair(self.vocabulary, self.parts.rewriters)
        self.summaries = np.array([c.is_overview for c in chunks], dtype=bool)
        # A chunk's focusable passage keys, passages and their stems, filled on demand.
        self._passages: dict[int, tuple[np.ndarray, list[int], list[set[str]]]] = {}
        self._chunk_stems: dict[int, set[str]] = {}

    def embed(self, query: str) -> np.ndarray:
        return self.embedder.embed([query])[0]

    def rank(self, question: str, top: int) -> Ranking:
        rewrite, q = self._read(question)
        query = rewrite.text
        dense = self._dense(q)
        lex_raw, coverage = self.index.lexical.analyze(query)
        scale = self.index.manifest.lexical_scale
        w = self.weights
        share = 1 - w.lexical - w.coverage
        candidates = set(dense)
        if lex_raw.size:
            best = np.argsort(-lex_raw)[: w.lexical_candidates]
            candidates.update(int(i) for i in best if lex_raw[i] > 0)
        floor = min(dense.values()) if dense else 0.0
        hits = []
        for i in candidates:
            d = dense.get(i, floor)
            lex = float(lex_raw[i] / (lex_raw[i] + scale)) if lex_raw[i] > 0 else 0.0
            score = share * d + w.lexical * lex + w.coverage * float(coverage[i])
            hits.append(Hit(self.index.chunks[i], score, d, lex))
        hits.sort(key=lambda h: (-h.score, h.chunk.id))
        hits = hits[:top]
        focus = self._focus(hits[0].chunk, q, query) if hits else None
        signals, asked = self._signals(query, q, hits[0].dense if hits else None)
        margin = max((s.margin for s in signals if s.margin < math.inf), default=0.0)
        found = {s.name: s.evidence for s in signals}
        return Ranking(query, tuple(hits), focus, asked, found.get("unknown_words", ()),
                       found.get("unseen_concepts", ()), margin,
                       rewrite.trace + tuple(map(str, signals)))

    def _signals(self, query: str, q: np.ndarray,
                 best: float | None) -> tuple[list[Signal], OpenQuestion | None]:
        """The signals of `Parts.signals` the repaired question raises, and the question the
        notes leave unanswered that it matches better than `best`, the top hit's dense score."""
        parts, vocabulary = self.parts, self.vocabulary
        raised: list[Signal | None] = []
        if parts.on("unknown_words"):
            raised.append(unknown_words(vocabulary, query, parts.unknown_margin,
                                        parts.on("word_endings")))
        if parts.on("unseen_concepts"):
            raised.append(unseen_concepts(vocabulary, query, parts.unseen_margin))
        asked = None
        if best is not None and parts.on("unanswered_question"):
            asked = unanswered_question(self.index.open, self.index.open_vectors, q, best)
            if asked is not None:
                raised.append(Signal("unanswered_question", math.inf, (asked.question,)))
        return [s for s in raised if s is not None], asked

    def _read(self, question: str) -> tuple[Rewrite, np.ndarray]:
        """The repaired question and its vector; of several readings (an ambiguous acronym),
        the one whose nearest key is nearest."""
        readings = self.repair.readings(question)
        if len(readings) == 1:
            return readings[0], self.embed(readings[0].text)
        vectors = self.embedder.embed([r.text for r in readings])
        best, _ = self.index.vectors.search(vectors, 1)
        i = int(np.argmax(best[:, 0]))
        return readings[i], vectors[i]

    def _dense(self, q: np.ndarray) -> dict[int, float]:
        """Each chunk's best key among the nearest `dense_keys`, a passage key discounted (and a
        summary section's passage again), in float32 as FAISS scores them."""
        k = min(self.weights.dense_keys, self.index.vectors.ntotal)
        if k == 0:
            return {}
        sims, ids = self.index.vectors.search(q.reshape(1, -1), k)
        found = ids[0] >= 0
        sims, ids = sims[0][found], ids[0][found]
        chunks = self.index.keys.chunk[ids]
        passage = self.index.keys.passage[ids] >= 0
        sims = sims - np.where(passage, np.float32(self.weights.passage_discount), np.float32(0))
        if self.parts.on("summary_discount"):
            summary = passage & self.summaries[chunks]
            sims = sims - np.where(summary, np.float32(self.weights.summary_discount),
                                   np.float32(0))
        best = np.full(len(self.index.chunks), -np.inf, dtype=np.float32)
        np.maximum.at(best, chunks, sims)
        return {int(c): float(best[c]) for c in np.unique(chunks)}

    def stems(self, chunk: Chunk) -> set[str]:
        """The stems of a chunk's question, section and answer."""
        position = self.position[chunk.id]
        if position not in self._chunk_stems:
            self._chunk_stems[position] = set(tokenize([chunk_text(chunk)])[0])
        return self._chunk_stems[position]

    def focus(self, chunk: Chunk, question: str) -> Passage | None:
        """The passage of `chunk` that best matches `question` (a follow-up's own words)."""
        return self._focus(chunk, self.embed(question), question)

    def _focus(self, chunk: Chunk, q: np.ndarray, query: str) -> Passage | None:
        """The answer's passage that best matches the question, when there is a choice."""
        if len(chunk.passages) < 2:
            return None
        position = self.position[chunk.id]
        if position not in self._passages:
            self._passages[position] = self._focusable(chunk, position)
        keys, passages, passage_stems = self._passages[position]
        if not passages:
            return None
        stems = set(tokenize([query])[0])
        sims = self.index.vectors.reconstruct_n(int(keys[0]), int(keys[-1] - keys[0] + 1))[
            keys - keys[0]] @ q  # one call for the chunk's keys, not one per key
        best, best_score = None, -1.0
        for j, sim, passage_stem in zip(passages, sims, passage_stems):
            score = float(sim) + 0.2 * len(stems & passage_stem) / max(1, len(stems))
            if score > best_score:
                best, best_score = chunk.passages[j], score
        return best

    def _focusable(self, chunk: Chunk, position: int) -> tuple[np.ndarray, list[int], list[set[str]]]:
        """A chunk's passage keys that may be a focus (not a heading, not metadata), their
        passages and the passages' stems."""
        start, end = int(self.starts[position]), int(self.starts[position + 1])
        keys = [key for key in range(start, end) if (j := int(self.index.keys.passage[key])) >= 0
                and not chunk.passages[j].markdown.lstrip().startswith("#")
                and not is_metadata(chunk.passages[j].markdown)]
        passages = [int(self.index.keys.passage[key]) for key in keys]
        stems = [set(t) for t in tokenize([chunk.passages[j].text for j in passages])] if keys else []
        return np.array(keys, dtype=np.int64), passages, stems
