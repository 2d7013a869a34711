"""The unit of retrieval: one question of the notes with its verbatim answer and exact source."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .text import words

PATH_SEP = " › "
# Headings of sections that sum the notes up: students ask for them in other words.
SUMMARY_WORDS = frozenset(
    "summary reference cheatsheet cheat overview recap takeaways glossary".split())


@dataclass(frozen=True)
class Passage:
    """A leaf of an answer (paragraph, bullet, table row, code block) that can be matched alone."""

    text: str  # plain text used for matching, with its context (sub-heading, parent bullet)
    lines: tuple[int, int]  # 1-based, inclusive
    markdown: str = ""  # the passage's own source lines, verbatim


@dataclass(frozen=True)
class Chunk:
    id: str
    question: str
    answer: str  # the original Markdown, verbatim
    title: str  # document title
    section: str  # its section path: "Part 1 › A: The cell" under a sub-section
    file: str  # relative to the corpus directory
    lines: tuple[int, int]  # 1-based, inclusive: question line to last answer line
    anchor: str  # GitHub-style heading anchor, without '#'
    passages: tuple[Passage, ...] = ()

    @property
    def path(self) -> str:
        parts = [self.title, *self.section.split(PATH_SEP), self.question]
        return PATH_SEP.join(dict.fromkeys(p for p in parts if p))

    @property
    def is_section(self) -> bool:
        """A section with content but no questions under it, titled by its heading."""
        return not self.section or self.section.split(PATH_SEP)[-1] == self.question

    @property
    def is_overview(self) -> bool:
        """A section that sums the notes up ("Quick Reference", "Summary", "Cheat sheet")."""
        return (self.is_section and self.title != self.question
                and bool(SUMMARY_WORDS & set(words(self.question))))


@dataclass(frozen=True)
class OpenQuestion:
    """A question the notes ask but do not answer yet ("Answer here", or nothing under it)."""

    question: str
    file: str
    line: int


def slugify(text: str) -> str:
    """GitHub's heading-anchor rule: lowercase, drop punctuation and emoji, spaces to hyphens."""
    kept = []
    for ch in text.strip().lower():
        if ch in " -":
            kept.append("-")
        elif ch == "_" or unicodedata.category(ch)[0] in "LN":
            kept.append(ch)
    return "".join(kept)


def short_slug(text: str, limit: int = 64) -> str:
    slug = "-".join(part for part in slugify(text).split("-") if part)
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "chunk"


class SlugCounter:
    """Makes slugs unique the way GitHub does: the second `foo` becomes `foo-1`."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, slug: str) -> str:
        n = self.seen.get(slug, 0)
        self.seen[slug] = n + 1
        return slug if n == 0 else f"{slug}-{n}"
