"""Cleans a student's question and repairs what the notes' vocabulary cannot match on its own.

Typos ("vanishng gradints") are corrected against words of the notes, and acronyms ("BN", or
"CLT" where the notes use it bare) are expanded from phrases the notes use ("batch normalization").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .errors import QueryError
from .lexical import stem
from .terms import foreign, named

_STOP = frozenset(
    "a an and are as at be by can do does for from how i in is it of on or the to what when "
    "where which who why with you your vs versus me my we our this that there use used using "
    "should would could will difference between explain tell about".split()
)


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


def spoken(text: str) -> str:
    """Text as a student would type it: Greek letters by name ("σ² + ε" → "sigma ² + epsilon")
    and TeX subscripts unbraced ("n_{in}" → "n_in"); other text is returned as it is."""
    out = _SUBSCRIPT.sub(r"_\1", "".join(map(_say, text)))
    return text if out == text else " ".join(out.split())


_SUBSCRIPT = re.compile(r"_\{([^{}]*)\}")


def _say(ch: str) -> str:
    """A Greek letter as its name between spaces ("ε" → " epsilon "); any other character as is."""
    name = unicodedata.name(ch, "") if not ch.isascii() else ""
    if name.startswith("GREEK ") and "LETTER" in name:
        return f" {name.rsplit(' ', 1)[-1].lower()} "
    return ch


def words(text: str) -> list[str]:
    return _raw_words(text.lower())


def _raw_words(text: str) -> list[str]:
    out, current = [], []
    for ch in text:
        if ch.isalnum():
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


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
            capitals.update(w.lower() for w in _raw_words(text) if len(w) > 1 and w.isupper())
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

    def readings(self, text: str) -> list[str]:
        """The repaired question once per meaning of its ambiguous acronyms, commonest first:
        "lr too high" reads as linear regression or as learning rate; the retriever keeps the
        reading that matches the notes best. Symbols are read as the notes' passages are
        (`spoken`)."""
        text = spoken(text)
        out = [self.expand(text)]
        for token in self._acronyms_in(text)[:2]:
            out += [self.expand(text, {token: sense}) for sense in self.acronyms[token][1:]]
        return out

    def _acronyms_in(self, text: str) -> list[str]:
        capitals = {w for w in _raw_words(text) if w.isupper()}
        # "bn", "CV" and "GBM" are acronyms; "egg" is one only when written "EGG".
        return [t for t in dict.fromkeys(words(text))
                if 2 <= len(t) <= 4 and t in self.acronyms and t not in _STOP
                and (len(t) == 2 or t not in self.known or t.upper() in capitals)]

    def expand(self, text: str, senses: dict[str, str] | None = None) -> str:
        """The question with typos corrected and acronyms followed by their expansion (the
        commonest meaning unless `senses` picks another)."""
        extra: list[str] = []
        fixed: dict[str, str] = {}
        acronyms = self._acronyms_in(text)
        for token in dict.fromkeys(words(text)):
            if token in self.aliases:
                extra.append(self.aliases[token])
            if token in self.compounds:  # written without its hyphen: "kmeans", "tfidf"
                fixed[token] = self.compounds[token]
                continue
            if token in acronyms:
                if sense := (senses or {}).get(token, self.acronyms[token][0]):
                    extra.append(sense)
            elif token in self.words or token in _STOP or token.isdigit():
                continue
            elif token in self.prefixes:
                extra.append(self.prefixes[token])
            elif len(token) >= 4 and token not in self.known:
                fix = self._split(token) or self._correct(token)
                if fix:
                    fixed[token] = fix
        if not extra and not fixed:
            return text
        repaired = " ".join(fixed.get(w, w) for w in words(text)) if fixed else text
        return f"{repaired} ({', '.join(extra)})" if extra else repaired

    def strange(self, text: str) -> tuple[str, ...]:
        """Words of the (repaired) question that neither the notes nor the model's vocabulary
        know: a sign it is about something the notes do not cover ("lora", "rmsnorm"). A known
        word with an ending or a prefix ("iterations", "interviewer", "reuse") is known, and so is
        a form of a word of the notes ("rnn" beside "RNNs", "generalize" beside "generalization")."""
        return tuple(t for t in dict.fromkeys(words(text)) if t.isalpha() and len(t) > 2
                     and t not in _STOP and t not in self.words and t not in self.known
                     and not self._inflected(t))

    def _inflected(self, word: str) -> bool:
        if stem(word) in self._stems or any(word + end in self.words for end in _ENDINGS):
            return True
        return any(word.endswith(end) and len(word) - len(end) >= 4
                   and word[:-len(end)] in self.known for end in _ENDINGS) or any(
            word.startswith(pre) and len(word) - len(pre) >= 3 and word[len(pre):] in self.known
            for pre in _PREFIXES)

    def foreign(self, text: str) -> tuple[str, ...]:
        """Named concepts in the (repaired) question that the notes never write, in its words
        ("group normalization"): a sign it is about a neighbour of what they cover."""
        return named(text, self.foreign_terms)

    def asks_for_summary(self, text: str, title: str = "") -> bool:
        """True when the question asks for a summary of the whole notes, not of one topic: a
        summary word and no other word of the notes but the title's or generic ones ("revision
        sheet for dl basics", "recap before my exam"; not "summary of transfer learning")."""
        tokens = [self._summary_word(t) for t in words(text)]
        if "tl" in tokens and "dr" in tokens:  # "tl;dr"; "TL" alone is transfer learning
            tokens = [t for t in tokens if t not in ("tl", "dr")] + ["tldr"]
        if not _SUMMARY_CUES & set(tokens):
            return False
        title_words = words(title)
        titled = set(title_words) | {"".join(w[0] for w in title_words[i:i + n])
                                     for n in (2, 3) for i in range(len(title_words) - n + 1)}
        return not any(t in self.words for t in tokens
                       if t not in _SUMMARY_CUES and t not in _GENERIC and t not in titled)

    def _summary_word(self, token: str) -> str:
        """A misspelt word repaired: to a summary or generic word first ("sumary of evrything"),
        else to a word of the notes ("sumary of overfiting" asks about one topic)."""
        if len(token) < 5 or token in _SUMMARY_WORDS or token in self.words or token in self.known:
            return token
        return _nearest(token, _SUMMARY_WORDS, 1) or self._correct(token) or token

    @cached_property
    def _stems(self) -> frozenset[str]:
        return frozenset(stem(w) for w in self.words)

    def _split(self, token: str) -> str | None:
        """A run-together compound of two words of the notes: "finetuning" → "fine tuning"."""
        for i in range(3, len(token) - 2):
            head, tail = token[:i], token[i:]
            if head in self.words and (tail in self.words or tail in self.prefixes):
                return f"{head} {self.prefixes.get(tail, tail)}"
        return None

    def _correct(self, token: str) -> str | None:
        fix = _nearest(token, self.words, 1 if len(token) < 8 else 2)
        # "forking" has the stem of "fork", a word of the notes: likely a form of it, not a typo
        # of "working"; such a word keeps at least its first letter ("bootstraping" is fixed).
        if fix and fix[0] != token[0] and stem(token) in self._stems:
            return None
        return fix


def _phrases(tokens: list[str]) -> list[str]:
    """Runs of two and three content words: the candidates for what an acronym stands for."""
    content = [t for t in tokens if t.isalpha() and t not in _STOP]
    return [" ".join(content[i:i + n]) for n in (2, 3) for i in range(len(content) - n + 1)]


def _nearest(token: str, choices: Iterable[str], budget: int) -> str | None:
    """The closest word within `budget` edits (transpositions count one). Ties go to a word with
    the same first letter, then alphabetically: the same question must always get the same
    repair, whatever order a set iterates in."""
    found = process.extract(token, choices, scorer=OSA.distance, score_cutoff=budget, limit=None)
    if not found:
        return None
    return min(found, key=lambda m: (m[1], m[0][:1] != token[:1], m[0]))[0]


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
    content = [t for t in _raw_words(text) if t.lower() not in _STOP]
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


_ENDINGS = ("s", "es", "ed", "d", "ing", "er", "ers", "ion", "ions", "ly")
_PREFIXES = ("re", "mis", "un")
_ALIAS_MARKS = frozenset("aka also known as called or i e g eg ie".split())


def known_words(tokenizer_vocab: Iterable[str]) -> frozenset[str]:
    return frozenset(w for w in tokenizer_vocab if w.isalpha() and not w.startswith("#"))


# "Give me a cheat sheet", "tl;dr of the notes", "one-line summary of each concept": a request for
# the notes' summary section rather than for one topic.
_SUMMARY_CUES = frozenset(
    "summary summaries summarise summarize summarising summarizing sum recap overview cheat "
    "cheatsheet crib tldr review revision revise refresher outline gist essentials "
    "highlights takeaways takeaway rundown synopsis reference ref".split())
# Words of the notes that still name no topic: "all the key points", "in one table", "before".
_GENERIC = frozenset(
    "about above after again all also am any are as at be because been before being below both "
    "but by can could did do does doing each every everything few for from further had has have "
    "having here how i if in into is it its just me more most my no not now of off on once one "
    "only or other our out over own same should so some such than that the their them then there "
    "these they this those through to too under until up very was we were what when where which "
    "while who why will with would you your key main important core basic basics points point "
    "concepts concept topics topic ideas idea terms things thing notes note document material "
    "course chapter guide covered cover quick quickly short brief briefly page pages line lines "
    "table tables list lists bullet bullets sheet please give show want need get make like exam "
    "exams test tests study whole entire single last minute".split())
_SUMMARY_WORDS = _SUMMARY_CUES | _GENERIC
