"""The named rewriters: each repairs one way a student's words miss the words of the notes.

Each word of the question goes through the rewriters in the order of `Parts.rewriters`: a
rewriter may replace the word in place ("vanishng" → "vanishing") or add words the notes use for
it after the question, in parentheses ("bn" → "(batch normalization)"), and may leave the word
to the next ones. `prefixes` and `typos` only read a word that neither the notes nor the stop
words know. Every change is written to the rewrite's trace ("typos: vanishng → vanishing").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .parts import REWRITERS
from .query import Vocabulary
from .text import REQUEST_WORDS, raw_words, stem, words


@dataclass(frozen=True)
class Edit:
    """What one rewriter did to one word of the question."""

    part: str
    word: str
    replacement: str = ""  # the word's repair, in place; "" keeps the word
    addition: str = ""  # words the notes use for it, added after the question
    final: bool = True  # no later rewriter reads the word

    def __str__(self) -> str:
        change = f"→ {self.replacement}" if self.replacement else f"+ ({self.addition})"
        return f"{self.part}: {self.word} {change}"


@dataclass(frozen=True)
class Rewrite:
    """The repaired question and, one line a change, what repaired it."""

    text: str
    trace: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Reading:
    acronyms: list[str]  # the acronyms of the question
    senses: dict[str, str] = field(default_factory=dict)  # acronym → the sense read this time


Rule = Callable[[Vocabulary, str, _Reading], Edit | None]


def aliases(vocabulary: Vocabulary, token: str, reading: _Reading) -> Edit | None:
    """Two names the notes give one thing ("L1 Regularization (Lasso regularization)"): a section
    that uses only "L1" answers a question that says "lasso"."""
    if token in vocabulary.aliases:
        return Edit("aliases", token, addition=vocabulary.aliases[token], final=False)
    return None


def compounds(vocabulary: Vocabulary, token: str, reading: _Reading) -> Edit | None:
    """A hyphenated term of the notes written without its hyphen ("kmeans" for "K-means"): as one
    word it matches nothing, as the notes' words it matches their sections."""
    if token in vocabulary.compounds:
        return Edit("compounds", token, replacement=vocabulary.compounds[token])
    return None


def acronyms(vocabulary: Vocabulary, token: str, reading: _Reading) -> Edit | None:
    """An acronym ("BN", "lr") followed by the phrase the notes use for it: the model cannot know
    what "BN" stands for in these notes. An acronym of several senses is read once per sense
    (`Repair.readings`). An acronym is never a typo, even when the notes use it bare."""
    if token not in reading.acronyms:
        return None
    sense = reading.senses.get(token, vocabulary.acronyms[token][0])
    return Edit("acronyms", token, addition=sense)


def prefixes(vocabulary: Vocabulary, token: str, reading: _Reading) -> Edit | None:
    """A word cut short ("norm", "regul") followed by the commonest word of the notes it starts:
    students abbreviate what the notes spell out."""
    if not _known(vocabulary, token) and token in vocabulary.prefixes:
        return Edit("prefixes", token, addition=vocabulary.prefixes[token])
    return None


def typos(vocabulary: Vocabulary, token: str, reading: _Reading) -> Edit | None:
    """A misspelt word ("gradints") or two words of the notes run together ("finetuning"), to the
    notes' words: neither the model nor BM25 matches a word it has never seen. A word of four
    letters or more that neither the notes nor the model know; real words are never corrected."""
    if _known(vocabulary, token) or len(token) < 4 or token in vocabulary.known:
        return None
    fix = split(vocabulary, token) or correct(vocabulary, token)
    return Edit("typos", token, replacement=fix) if fix else None


RULES: dict[str, Rule] = {"aliases": aliases, "compounds": compounds, "acronyms": acronyms,
                          "prefixes": prefixes, "typos": typos}


class Repair:
    """The rewriters of `order` (names of `parts.REWRITERS`) over one vocabulary."""

    def __init__(self, vocabulary: Vocabulary, order: Iterable[str] = REWRITERS) -> None:
        self.vocabulary = vocabulary
        self.order = tuple(order)
        self.rules = [RULES[name] for name in self.order if name in RULES]

    def readings(self, text: str) -> list[Rewrite]:
        """The repaired question once per meaning of its ambiguous acronyms, commonest first:
        "lr too high" reads as linear regression or as learning rate; the retriever keeps the
        reading that matches the notes best."""
        out = [self.expand(text)]
        if "acronyms" in self.order:
            for token in self._acronyms_in(text)[:2]:
                out += [self.expand(text, {token: sense})
                        for sense in self.vocabulary.acronyms[token][1:]]
        return out

    def expand(self, text: str, senses: dict[str, str] | None = None) -> Rewrite:
        """The question with each word through the rewriters (the commonest meaning of an
        acronym unless `senses` picks another)."""
        reading = _Reading(self._acronyms_in(text) if "acronyms" in self.order else [],
                           senses or {})
        added: list[str] = []
        fixed: dict[str, str] = {}
        edits: list[str] = []
        for token in dict.fromkeys(words(text)):
            for rule in self.rules:
                edit = rule(self.vocabulary, token, reading)
                if edit is None:
                    continue
                if edit.replacement:
                    fixed[token] = edit.replacement
                if edit.addition:
                    added.append(edit.addition)
                if edit.replacement or edit.addition:
                    edits.append(str(edit))
                if edit.final:
                    break
        if added or fixed:
            repaired = " ".join(fixed.get(w, w) for w in words(text)) if fixed else text
            text = f"{repaired} ({', '.join(added)})" if added else repaired
        return Rewrite(text, tuple(edits))

    def _acronyms_in(self, text: str) -> list[str]:
        capitals = {w for w in raw_words(text) if w.isupper()}
        known = self.vocabulary.known
        # "bn", "CV" and "GBM" are acronyms; "egg" is one only when written "EGG".
        return [t for t in dict.fromkeys(words(text))
                if 2 <= len(t) <= 4 and t in self.vocabulary.acronyms and t not in REQUEST_WORDS
                and (len(t) == 2 or t not in known or t.upper() in capitals)]


def _known(vocabulary: Vocabulary, token: str) -> bool:
    return token in vocabulary.words or token in REQUEST_WORDS or token.isdigit()


def split(vocabulary: Vocabulary, token: str) -> str | None:
    """A run-together compound of two words of the notes: "finetuning" → "fine tuning"."""
    for i in range(3, len(token) - 2):
        head, tail = token[:i], token[i:]
        if head in vocabulary.words and (tail in vocabulary.words or tail in vocabulary.prefixes):
            return f"{head} {vocabulary.prefixes.get(tail, tail)}"
    return None


def correct(vocabulary: Vocabulary, token: str) -> str | None:
    """The word of the notes `token` is a typo of: within one edit, or two from eight letters."""
    fix = nearest(token, vocabulary.words, 1 if len(token) < 8 else 2)
    # "forking" has the stem of "fork", a word of the notes: likely a form of it, not a typo
    # of "working"; such a word keeps at least its first letter ("bootstraping" is fixed).
    if fix and fix[0] != token[0] and stem(token) in vocabulary.stems:
        return None
    return fix


def nearest(token: str, choices: Iterable[str], budget: int) -> str | None:
    """The closest word within `budget` edits (transpositions count one). Ties go to a word with
    the same first letter, then alphabetically: the same question must always get the same
    repair, whatever order a set iterates in."""
    found = process.extract(token, choices, scorer=OSA.distance, score_cutoff=budget, limit=None)
    if not found:
        return None
    return min(found, key=lambda m: (m[1], m[0][:1] != token[:1], m[0]))[0]
