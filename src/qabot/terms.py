"""Names of concepts across many fields (`terms.txt`), to tell a question about something the
notes never name from a paraphrase of something they answer.

The embedding model scores "what is group normalization?" almost as close to notes on batch and
layer normalization as a paraphrase of them. A question that names a known term ("group
normalization") that the notes never write, with a word they never use, is likely about
something else: its score must clear a margin (`Weights.foreign_margin`). The list holds 6,868
names of concepts from machine learning, statistics, mathematics, computing and the sciences,
written for qabot from general knowledge without sight of any notes or questions.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from .text import stem, words

Term = tuple[str, ...]
MAX_WORDS = 6


def stems(text: str) -> Term:
    return tuple(stem(w) for w in words(text))


@cache
def glossary() -> frozenset[Term]:
    text = files("qabot").joinpath("terms.txt").read_text(encoding="utf-8")
    return frozenset(t for line in text.splitlines() if 0 < len(t := stems(line)) <= MAX_WORDS)


def foreign(texts: Iterable[str]) -> frozenset[str]:
    """Terms of the glossary that the notes never write and that hold a word they never use:
    "group normal" (stemmed) beside notes on batch normalization, not "batch normal layer"."""
    terms = glossary()
    firsts = {t[0] for t in terms}
    written: set[Term] = set()
    used: set[str] = set()
    for text in texts:
        keys = stems(text)
        used.update(keys)
        written.update(t for i, w in enumerate(keys) if w in firsts
                       for n in range(1, MAX_WORDS + 1) if (t := keys[i:i + n]) in terms)
    return frozenset(" ".join(t) for t in terms - written if not used.issuperset(t))


def named(text: str, foreign: frozenset[str]) -> tuple[str, ...]:
    """The foreign terms a question names, in its own words ("group normalization")."""
    said = words(text)
    keys = [stem(w) for w in said]
    return tuple(dict.fromkeys(
        " ".join(said[i:j]) for i in range(len(said))
        for j in range(i + 1, min(len(said), i + MAX_WORDS) + 1)
        if " ".join(keys[i:j]) in foreign))
