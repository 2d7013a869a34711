"""The lexical side of retrieval: a stemmed BM25 index (bm25s) over each chunk's text."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from .chunk import Chunk
from .text import stem, tokenize


def chunk_text(chunk: Chunk) -> str:
    # The question counts twice: it is the densest statement of what the chunk answers.
    return "\n".join([chunk.question, chunk.question, chunk.section,
                      *(p.text for p in chunk.passages)])


class Lexical:
    def __init__(self, bm25: bm25s.BM25) -> None:
        self.bm25 = bm25

    @classmethod
    def build(cls, chunks: list[Chunk], aliases: dict[str, str] | None = None) -> Lexical:
        """`aliases`: two names the notes give one thing ("lasso" ↔ "l1"); a chunk that uses one
        also holds the other, as a question using either may ask for it."""
        stems = {stem(a): stem(b) for a, b in (aliases or {}).items()}
        corpus = [tokens + [stems[t] for t in dict.fromkeys(tokens) if t in stems]
                  for tokens in tokenize([chunk_text(c) for c in chunks])]
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        return cls(bm25)

    def save(self, directory: Path) -> None:
        self.bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> Lexical:
        return cls(bm25s.BM25.load(str(directory), show_progress=False, verbosity=0))

    @property
    def size(self) -> int:
        return int(self.bm25.scores["num_docs"])

    def scores(self, query: str) -> np.ndarray:
        return self.analyze(query)[0]

    def analyze(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """BM25 score of every chunk, and the IDF-weighted share of the query's words each holds.

        The share ("coverage") counts words the notes never use at full weight, so a question
        about something absent ("GANs", "k-means") covers little of any chunk.
        """
        tokens = tokenize([query])[0]
        coverage = np.zeros(self.size, dtype=np.float32)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32), coverage
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        vocab = self.bm25.vocab_dict
        total = 0.0
        for token in set(tokens):
            i = vocab.get(token, -1)
            docs = indices[indptr[i]:indptr[i + 1]] if 0 <= i < len(indptr) - 1 else indices[:0]
            weight = float(np.log(1 + self.size / (len(docs) + 0.5)))
            total += weight
            coverage[docs] += weight
        return scores, coverage / total
