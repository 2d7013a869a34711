"""Cleans a student's question, and mines the notes' vocabulary that repairs it.

The vocabulary holds the notes' words and what they say of them: acronyms and the phrases they
stand for ("BN": "batch normalization", or "CLT" where the notes use it bare), the longer word an
abbreviation starts ("norm"), two names of one thing ("lasso" ↔ "l1"), hyphenated terms run
together ("kmeans") and the named concepts they never write (terms.py). The rewriters
(rewriters.py) and signals (signals.py) read a question against it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from .errors import QueryError
from .terms import foreign
from .text import REQUEST_WORDS, raw_words, stem, words


def clean(text: object, limit: int) -> tuple[str, bool]:
    """Printable, whitespace-folded text cut to `limit` characters at a word boundary."""
    if not isinstance(text, str):
        raise QueryError(f"a question must be text, not {type(text).__name__}")
    text = unicodedata.normalize("NFC", text)
    # Control, format (zero-width joiners, BOMs) and lone surrogate characters (which cannot be
    # encoded) become spaces, so a question of only those is empty; private-use ones are text.
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch for ch in text)
    folded = " ".join(kept.split())
    if not folded:
        raise QueryError("the question is empty; type a question about the notes")
    if len(folded) <= limit:
        return folded, False
    cut = folded[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut), True


@dataclass
class Vocabulary:
    """Words of the notes, plus acronym → phrase and abbreviation → word expansions mined from them."""

    words: frozenset[str]
    acronyms: dict[str, list[str]]  # "lr" → linear regression, logistic regression, learning rate
    prefixes: dict[str, str]  # "norm" → "normalization": the commonest longer word of the notes
    known: frozenset[str] = frozenset()  # real words (the model's vocabulary): never "corrected"
    aliases: dict[str, str] = field(default_factory=dict)  # "lasso" ↔ "l1", "glorot" ↔ "xavier"
    compounds: dict[str, str] = field(default_factory=dict)  # "kmeans" → "k means" (K-means)
    foreign_terms: frozenset[str] = frozenset()  # named concepts the notes never write (terms.py)

    @classmethod
    def from_texts(cls, texts: Iterable[str], titles: Iterable[str] = ()) -> Vocabulary:
        """`titles`: the notes' questions, also among `texts`; a phrase in one names a topic, so
        once is enough evidence for its acronym ("What is the Central Limit Theorem?": CLT)."""
        texts = list(texts)
        vocab: Counter[str] = Counter()
        phrases: Counter[str] = Counter()
        aliases: dict[str, str] = {}
        compounds: dict[str, str] = {}
        capitals: set[str] = set()  # words the notes write in capitals: "CLT", "TLB"
        defined: dict[str, str] = {}  # "ptbr" → "page table base register"
        for text in texts:
            aliases.update(_aliases(text))
            defined.update(_defined_acronyms(text))
            compounds.update(_compounds(text))
            capitals.update(w.lower() for w in raw_words(text) if len(w) > 1 and w.isupper())
            tokens = words(text)
            vocab.update(tokens)
            phrases.update(_phrases(tokens))
        for title in titles:
            phrases.update(_phrases(words(title)))
        senses: dict[str, list[tuple[str, int]]] = {}
        for phrase, count in phrases.most_common():
            if count < 2:  # a phrase used once is no evidence of an abbreviation
                break
            key = "".join(w[0] for w in phrase.split())
            if key not in vocab or key in capitals:
                senses.setdefault(key, []).append((phrase, count))
        acronyms: dict[str, list[str]] = {}
        for key in sorted(senses.keys() | defined.keys()):
            # The defined meaning, then every one used at least a quarter as often as the
            # commonest, at most three; an acronym the notes use bare ("PCB") is first read bare.
            mined = senses.get(key, [])
            common = [phrase for phrase, count in mined if 4 * count >= mined[0][1]]
            meanings = list(dict.fromkeys(([defined[key]] if key in defined else []) + common))[:3]
            acronyms[key] = [""] * (key in vocab) + meanings
        prefixes: dict[str, str] = {}
        for word, _count in vocab.most_common():
            for n in range(4, len(word) - 2):
                if word[:n] not in vocab and word.isalpha():
                    prefixes.setdefault(word[:n], word)
        compounds = {k: v for k, v in compounds.items() if k not in vocab}
        return cls(frozenset(vocab), acronyms, prefixes, aliases=aliases, compounds=compounds,
                   foreign_terms=foreign(texts))

    def to_json(self) -> dict:
        return {"words": sorted(self.words), "acronyms": self.acronyms, "prefixes": self.prefixes,
                "aliases": self.aliases, "compounds": self.compounds,
                "foreign_terms": sorted(self.foreign_terms)}

    @classmethod
    def from_json(cls, data: dict, known: Iterable[str] = ()) -> Vocabulary:
        return cls(frozenset(data["words"]), data["acronyms"], data["prefixes"], frozenset(known),
                   data.get("aliases", {}), data.get("compounds", {}),
                   frozenset(data.get("foreign_terms", ())))

    @cached_property
    def stems(self) -> frozenset[str]:
        """The stems of the notes' words: a word with one of them is a form of a word of the notes."""
        return frozenset(stem(w) for w in self.words)

    @cached_property
    def known_stems(self) -> frozenset[str]:
        """The stems of the model's words ("interview" of "interviewer")."""
        return frozenset(stem(w) for w in self.known)


def _phrases(tokens: list[str]) -> list[str]:
    """Runs of two and three content words: the candidates for what an acronym stands for."""
    content = [t for t in tokens if t.isalpha() and t not in REQUEST_WORDS]
    return [" ".join(content[i:i + n]) for n in (2, 3) for i in range(len(content) - n + 1)]


def _aliases(text: str) -> dict[str, str]:
    """Two names the notes give one thing, as "L1 Regularization (Lasso regularization)" or
    "Xavier Initialization (aka Glorot Initialization)": the phrases differ in exactly one word."""
    out: dict[str, str] = {}
    end = 0
    while (start := text.find("(", end)) >= 0 and (end := text.find(")", start)) >= 0:
        inner = [w for w in words(text[start + 1:end]) if w not in _ALIAS_MARKS]
        before = words(text[:start])[-len(inner):] if inner else []
        if not 2 <= len(inner) <= 3 or len(before) != len(inner):
            continue
        new, old = set(inner) - set(before), set(before) - set(inner)
        if len(new) == 1 and len(old) == 1:
            a, b = new.pop(), old.pop()
            if not (_acronym_like(a) or _acronym_like(b)):  # "(PR curves)": the acronym miner's
                out[a], out[b] = b, a
    return out


def _compounds(text: str) -> dict[str, str]:
    """Hyphenated terms run together, to their words: "kmeans" → "k means" (K-means)."""
    out: dict[str, str] = {}
    for raw in text.split():
        parts = words(raw) if "-" in raw else []
        if 2 <= len(parts) <= 3 and not "".join(parts).isdigit():
            out["".join(parts)] = " ".join(parts)
    return out


def _defined_acronyms(text: str) -> dict[str, str]:
    """Acronyms written beside the words they stand for: "page-table base register, PTBR",
    "Law of Large Numbers (LLN)", "DMA (Direct Memory Access)"; small words such as "of" are
    skipped."""
    out: dict[str, str] = {}
    content = [t for t in raw_words(text) if t.lower() not in REQUEST_WORDS]
    for i, token in enumerate(content):
        n = len(token)
        if not (2 <= n <= 5 and token.isalpha() and token.isupper()):
            continue
        for phrase in (content[max(0, i - n):i], content[i + 1:i + 1 + n]):
            if len(phrase) == n and "".join(w[0] for w in phrase).lower() == token.lower():
                out[token.lower()] = " ".join(phrase).lower()
                break
    return out


def _acronym_like(word: str) -> bool:
    return word.isalpha() and len(word) <= 3


_ALIAS_MARKS = frozenset("aka also known as called or i e g eg ie".split())


def known_words(tokenizer_vocab: Iterable[str]) -> frozenset[str]:
    return frozenset(w for w in tokenizer_vocab if w.isalpha() and not w.startswith("#"))

