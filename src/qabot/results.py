"""What a question gets back: frozen dataclasses that serialise to the documented JSON keys."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .chunk import Chunk


@dataclass(frozen=True)
class Source:
    file: str
    section: str
    question: str
    lines: tuple[int, int]
    anchor: str

    @classmethod
    def of(cls, chunk: Chunk) -> Source:
        return cls(chunk.file, chunk.section, chunk.question, chunk.lines, chunk.anchor)


@dataclass(frozen=True)
class Related:
    question: str
    score: float
    source: Source


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    answer: str | None  # the notes' Markdown, verbatim; None = not covered
    score: float
    source: Source | None
    focus: str | None  # the passage of the answer that best matches the question
    related: tuple[Related, ...]
    resolved: str = ""  # the standalone question that was searched (a follow-up's, with its topic)
    context: str | None = None  # the notes question whose topic a follow-up carried over

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
