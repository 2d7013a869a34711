"""What a question gets back: frozen dataclasses that serialise to the documented JSON keys."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

from .chunk import Chunk

# What an answer is: a passage of the notes, an honest "not covered", or a reply to small talk
# ("hi", "thanks!", "what can you do?").
KINDS = ("answer", "not_covered", "smalltalk")


def notes_url(chunk: Chunk) -> str:
    """Where the notes viewer shows the chunk: its section (the heading `anchor` names, else its
    first line) with its line range marked. A path on qabot's own server."""
    first, last = chunk.lines
    fragment = chunk.anchor or f"L{first}"
    return f"/notes/{quote(chunk.file)}?lines={first}-{last}#{quote(fragment, safe='')}"


@dataclass(frozen=True)
class Source:
    file: str
    section: str
    question: str
    lines: tuple[int, int]
    anchor: str
    url: str = ""  # the notes viewer at this chunk (see notes_url)

    @classmethod
    def of(cls, chunk: Chunk) -> Source:
        return cls(chunk.file, chunk.section, chunk.question, chunk.lines, chunk.anchor,
                   notes_url(chunk))


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
    kind: str = ""  # one of KINDS; derived from `answered` when not given
    reply: str | None = None  # small talk: the reply the chat shows
    resolved: str = ""  # the standalone question that was searched (a follow-up's, with its topic)
    context: str | None = None  # the notes question whose topic a follow-up carried over

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", "answer" if self.answered else "not_covered")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")

    @classmethod
    def smalltalk(cls, question: str, reply: str) -> Answer:
        return cls(question, False, None, 0.0, None, None, (), "smalltalk", reply, question)

    @property
    def answer_html(self) -> str | None:
        """The answer rendered on the server: sanitized HTML, math as MathML, the focus marked."""
        if self.answer is None:
            return None
        from .render import answer_html

        return answer_html(self.answer, self.focus)

    def to_dict(self) -> dict[str, Any]:
        fields = asdict(self)
        return {"question": fields["question"], "kind": fields["kind"],
                "answered": fields["answered"], "answer": fields["answer"],
                "answer_html": self.answer_html, "reply": fields["reply"], "score": fields["score"],
                "source": fields["source"], "focus": fields["focus"], "related": fields["related"],
                "resolved": fields["resolved"] or fields["question"], "context": fields["context"]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
