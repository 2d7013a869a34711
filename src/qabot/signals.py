"""The named signals: each says a question is likely about something the notes do not cover.

The embedding model scores a question about a neighbour of the notes ("what is LoRA?", "what is
group normalization?") almost as close to them as a paraphrase of what they answer. A signal
finds the evidence in the question's words or in the notes' unanswered questions and returns
the margin its top score must clear beyond the threshold (`Signal.margin`), or refuses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .chunk import OpenQuestion
from .query import Vocabulary
from .terms import named
from .text import REQUEST_WORDS, stem, words


@dataclass(frozen=True)
class Signal:
    """What one signal found: the score it asks for, and why."""

    name: str
    margin: float  # more score the top hit needs; inf refuses the question
    evidence: tuple[str, ...]  # the words or the question that raised it

    def __str__(self) -> str:
        owed = "refuses" if math.isinf(self.margin) else f"+{self.margin:g}"
        return f"{self.name}: {owed} ({'; '.join(self.evidence)})"


def unknown_words(vocabulary: Vocabulary, query: str, margin: float,
                  endings: bool = True) -> Signal | None:
    """Words of the (repaired) question that neither the notes nor the model's vocabulary know
    ("lora", "rmsnorm"): a sign it is about something the notes do not cover. A form of a word of
    the notes is known ("rnn" beside "RNNs", "generalize" beside "generalization"); with
    `endings` (the part `word_endings`), so is a form of a word of the model's vocabulary, which
    holds "interview" and "iteration" but not "interviewer" or "iterations"."""
    found = tuple(t for t in dict.fromkeys(words(query)) if t.isalpha() and len(t) > 2
                  and t not in REQUEST_WORDS and t not in vocabulary.words
                  and t not in vocabulary.known and not _form(vocabulary, t, endings))
    return Signal("unknown_words", margin, found) if found else None


def _form(vocabulary: Vocabulary, word: str, endings: bool) -> bool:
    # The stemmer keeps the "s" of a plural with no vowel before it ("rnns", "cnns"), so the
    # notes' plural of the word is looked up as written.
    if stem(word) in vocabulary.stems or word + "s" in vocabulary.words:
        return True
    return endings and stem(word) in vocabulary.known_stems


def unseen_concepts(vocabulary: Vocabulary, query: str, margin: float) -> Signal | None:
    """Named concepts of the glossary (terms.py) in the (repaired) question that the notes never
    write, with a word they never use ("group normalization" beside notes on batch
    normalization): a sign it is about a neighbour of what they cover."""
    found = named(query, vocabulary.foreign_terms)
    return Signal("unseen_concepts", margin, found) if found else None


def unanswered_question(asked: list[OpenQuestion], vectors: np.ndarray, q: np.ndarray,
                        best: float) -> OpenQuestion | None:
    """A question the notes ask without answering that matches better than any answer (`best`,
    the top hit's dense score): the honest reply is "not covered", not the nearest answered
    neighbour."""
    if not asked:
        return None
    sims = vectors @ q
    j = int(np.argmax(sims))
    return asked[j] if sims[j] > best else None

