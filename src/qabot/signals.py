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
from .rewriters import correct, nearest
from .terms import named
from .text import REQUEST_WORDS, stem, words


@dataclass(frozen=True)
class Signal:
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
    `endings` (the part `word_endings`), so is a known word with a listed ending or prefix
    ("iterations", "interviewer", "reuse")."""
    found = tuple(t for t in dict.fromkeys(words(query)) if t.isalpha() and len(t) > 2
                  and t not in REQUEST_WORDS and t not in vocabulary.words
                  and t not in vocabulary.known and not _form(vocabulary, t, endings))
    return Signal("unknown_words", margin, found) if found else None


def _form(vocabulary: Vocabulary, word: str, endings: bool) -> bool:
    if stem(word) in vocabulary.stems:
        return True
    if not endings:
        return False
    if any(word + end in vocabulary.words for end in _ENDINGS):
        return True
    return any(word.endswith(end) and len(word) - len(end) >= 4
               and word[:-len(end)] in vocabulary.known for end in _ENDINGS) or any(
        word.startswith(pre) and len(word) - len(pre) >= 3 and word[len(pre):] in vocabulary.known
        for pre in _PREFIXES)


_ENDINGS = ("s", "es", "ed", "d", "ing", "er", "ers", "ion", "ions", "ly")
_PREFIXES = ("re", "mis", "un")


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


def summary_request(vocabulary: Vocabulary, text: str, title: str = "") -> Signal | None:
    """A question that asks for a summary of the whole notes, not of one topic: a summary word
    and no other word of the notes but the title's or generic ones ("revision sheet for dl
    basics", "recap before my exam"; not "summary of transfer learning"). The retriever answers
    it with the notes' summary section."""
    tokens = [_summary_word(vocabulary, t) for t in words(text)]
    if "tl" in tokens and "dr" in tokens:  # "tl;dr"; "TL" alone is transfer learning
        tokens = [t for t in tokens if t not in ("tl", "dr")] + ["tldr"]
    cues = tuple(dict.fromkeys(t for t in tokens if t in _SUMMARY_CUES))
    if not cues:
        return None
    title_words = words(title)
    titled = set(title_words) | {"".join(w[0] for w in title_words[i:i + n])
                                 for n in (2, 3) for i in range(len(title_words) - n + 1)}
    if any(t in vocabulary.words for t in tokens
           if t not in _SUMMARY_CUES and t not in _GENERIC and t not in titled):
        return None
    return Signal("summary_request", 0.0, cues)


def _summary_word(vocabulary: Vocabulary, token: str) -> str:
    """A misspelt word repaired: to a summary or generic word first ("sumary of evrything"),
    else to a word of the notes ("sumary of overfiting" asks about one topic)."""
    if (len(token) < 5 or token in _SUMMARY_WORDS or token in vocabulary.words
            or token in vocabulary.known):
        return token
    return nearest(token, _SUMMARY_WORDS, 1) or correct(vocabulary, token) or token


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
