"""The lexical side of retrieval: a stemmed BM25 index (bm25s) over each chunk's text."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from .chunk import Chunk

_STEMMER = Stemmer.Stemmer("english")


def chunk_text(chunk: Chunk) -> str:
    # The question counts twice: it is the densest statement of what the chunk answers.
    return "\n".join([chunk.question, chunk.question, chunk.section,
                      *(p.text for p in chunk.passages)])


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, return_ids=False,
                          show_progress=False)


class Lexical:
    def __init__(self, bm25: bm25s.BM25) -> None:
        self.bm25 = bm25

    @classmethod
    def build(cls, chunks: list[Chunk]) -> Lexical:
        bm25 = bm25s.BM25()
        bm25.index(tokenize([chunk_text(c) for c in chunks]), show_progress=False)
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
        tokens = tokenize([query])[0]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
