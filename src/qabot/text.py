"""Words of a text, as every other module reads them: the word splitter, the stemmer, symbols read
aloud, the stop words and the one tokenizer of BM25, coverage, focus and conversation.

This module imports nothing of qabot, so that the modules that read words (chunk, query,
lexical, terms, conversation) import it and not each other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_EN_PLUS

_STEMMER = Stemmer.Stemmer("english")

# The one stop-word list: bm25s's short English list (33 words) and a question's frame. In notes
# of a few dozen questions "how", "does" and "work" are rare enough to earn a high IDF, and "how
# does k-means work" matched "How does transfer learning work?" on them alone. Words such as
# "can" and "between" stay: the notes' own questions differ by them ("Can we use L1 …?").
STOP_WORDS = frozenset({*STOPWORDS_EN, "how", "what", "why", "when", "where", "which", "who",
                        "do", "does", "work", "works"})
# Chat shorthand that frames a request and names nothing ("btw how do i …", "… in more detail
# pls"): never a typo or an unknown word of the question.
CHAT_SHORTHAND = frozenset("pls plz btw thx tbh imo idk iirc ty u ur".split())
# Query repair also passes over the words a request is framed with ("can you explain the
# difference between …"): they are never a typo, an acronym or part of an acronym's phrase,
# though BM25 keeps them.
REQUEST_WORDS = STOP_WORDS | frozenset(
    "about between can could difference explain from i me my our should tell use used using "
    "versus vs we would you your".split()) | CHAT_SHORTHAND
# A chat turn's own content words drop every English function word as well (bm25s's longer
# list: "did", "him", "very", "before"), since a follow-up names its topic in few words.
FUNCTION_WORDS = REQUEST_WORDS | frozenset(STOPWORDS_EN_PLUS)


def raw_words(text: str) -> list[str]:
    """The runs of letters and digits of `text`, as written ("BN", "n", "in" of "n_in")."""
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


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased."""
    return raw_words(text.lower())


def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def tokenize(texts: Iterable[str]) -> list[list[str]]:
    """Each text's stemmed words of two or more characters, less the stop words: the tokens of
    BM25, of coverage, of the focus overlap and of a chat turn's content words. Unlike `words`,
    a token keeps its underscores: a name in code or TeX ("n_in", "clip_grad_norm_") is matched
    whole, where its pieces are single letters and stop words."""
    return [_STEMMER.stemWords([w for w in _TOKEN.findall(t.lower()) if w not in STOP_WORDS])
            for t in texts]


_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default


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
