"""Which named parts repair and score a question, in which order, and their constants: one place.

A rewriter (rewriters.py) repairs a way a student's words miss the notes' words; a signal
(signals.py) asks for more score, or refuses, when a question is likely about something the
notes do not cover. Each can be switched off (`qabot eval --ablate NAME`) to measure what it buys;
docs/accuracy.md has the table. This module imports nothing of qabot: the index (aliases are
also written into BM25) and the retriever both read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

# In the order they read a word: the first three may act on any word, the last two only on a
# word neither the notes nor the stop words know.
REWRITERS = ("aliases", "compounds", "acronyms", "prefixes", "typos")
# `summary_key` and `summary_discount` concern the notes' summary section (`Chunk.is_overview`):
# a key naming it a summary, and a discount on its passages, which repeat detailed answers.
SIGNALS = ("unknown_words", "word_endings", "unseen_concepts", "unanswered_question",
           "summary_key", "summary_discount")
PARTS = REWRITERS + SIGNALS
INDEX_PARTS = ("aliases", "summary_key")  # parts that also shape the index


@dataclass(frozen=True)
class Parts:
    """The parts switched on, in their order, and the signals' margins."""

    rewriters: tuple[str, ...] = REWRITERS
    signals: tuple[str, ...] = SIGNALS
    unknown_margin: float = 0.05  # more score needed when the question has words nobody knows
    unseen_margin: float = 0.15  # or names a concept the notes never write (terms.py)

    def on(self, name: str) -> bool:
        return name in self.rewriters or name in self.signals

    def without(self, names: Iterable[str]) -> Parts:
        """These parts switched off; "all" switches off every one."""
        names = set(names)
        if "all" in names:
            names = set(PARTS)
        if unknown := names - set(PARTS):
            raise ValueError(f"no part named {', '.join(sorted(unknown))}; the parts are "
                             f"{', '.join(PARTS)}")
        return replace(self, rewriters=tuple(n for n in self.rewriters if n not in names),
                       signals=tuple(n for n in self.signals if n not in names))
