"""Recognises small talk (greetings, thanks, acknowledgements such as "ok got it", reactions, and
"what can you do?") so it gets a friendly reply, never an answer from the notes and never a
conversation's topic.

A message made only of English conversational words asks nothing. So does a remark that asks
nothing (no question mark, question word or opening auxiliary) and ends by thanking, reacts with an
interjection ("oof that sounds bad"), speaks to the bot in a few words ("you're a lifesaver"), or
reacts to the answer ("sweet, that clears it up"). A message that opens with a greeting or thanks
or a reaction and asks nothing ("hey! got my exam tmrw", "ok brain full, taking a break") is
small talk when the notes do not answer it.
Only English words are listed here, never a field's vocabulary.
"""

from __future__ import annotations

import re

from .text import words

_GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "good morning",
                        "good afternoon", "good evening", "hi there", "hello there", "hey there"})
_HELP = frozenset({"help", "what can you do", "who are you", "what are you", "what do you know",
                   "what can i ask", "what can i ask you", "what topics", "what topics do you cover",
                   "what do you cover", "how does this work", "what is this", "menu", "topics",
                   "what else can you do", "what else can you help with", "what else can i ask",
                   "what else do you know", "what else", "anything else"})
_THANKS_WORDS = frozenset({"thanks", "thank", "thx", "ty", "cheers", "appreciated", "ta"})
_GREETING_WORDS = frozenset({"hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "morning",
                             "afternoon", "evening", "there", "bye", "goodbye", "later", "see",
                             "you"})
# Acknowledgements and reactions: "ok", "got it", "makes sense", "cool", "hmm ok wait".
_ACK_WORDS = frozenset({"ok", "okay", "k", "kk", "cool", "nice", "great", "perfect", "awesome",
                        "good", "fine", "alright", "right", "sure", "yes", "yeah", "yep", "yup",
                        "no", "nope", "hmm", "hm", "hmmm", "mm", "ah", "aha", "oh", "wow", "i",
                        "see", "got", "it", "makes", "make", "sense", "understood", "wait",
                        "anyway", "anyways", "much", "so", "a", "lot", "bunch", "lol", "haha",
                        "interesting", "neat", "gotcha", "noted", "that", "this", "is", "helps",
                        "helped", "helpful", "clear", "now", "all", "well", "sounds", "excellent",
                        "super", "brilliant", "np", "fair", "enough", "very", "really", "again",
                        "for", "the", "info", "answer", "explanation", "and", "then", "worries",
                        "problem", "know", "to", "good", "definitely", "totally", "true", "indeed",
                        "agreed", "exactly", "guess", "thought", "figured", "been", "doing", "done",
                        "did", "learned", "learnt", "today", "whoa", "oops", "yikes", "omg", "same",
                        "me", "too", "just", "will", "ll", "ve", "m", "try", "remember", "keep",
                        "mind", "in", "out", "of", "ooh"})
# Interjections: a message with one and no question is a reaction ("oof that sounds bad").
_INTERJECTIONS = frozenset({"lol", "lmao", "rofl", "haha", "hah", "hehe", "oof", "ugh", "wow",
                            "whoa", "woah", "omg", "yikes", "oops", "damn", "dang", "phew", "yay",
                            "meh", "welp", "aww"})
# Words a reaction opens with ("sweet, that clears it up", "ok brain full, taking a break"), and
# the statement about the answer a reaction may go on with.
_REACTION_WORDS = frozenset({"ok", "okay", "cool", "nice", "great", "sweet", "perfect", "awesome",
                             "wait", "oh", "ah", "wow", "thanks", "thank", "thx", "ty", "yeah",
                             "yes", "right", "hmm", "hm", "huh", "alright", "fair", "interesting",
                             "neat", "honestly"}) | _INTERJECTIONS
_STATEMENT = re.compile(r"^(?:that|this|it) ?(?:s|is|was|clears|explains|sounds|seems|looks|"
                        r"answers)\b")
# After a greeting, thanks or reaction, these go on asking: "ok and for relu", "thanks. and for
# relu", "ok now conditional probability".
_CONTINUERS = frozenset({"and", "but", "or", "so", "then", "also", "plus", "now", "next", "if"})
# What makes a message ask something, besides a question mark.
_ASKING = frozenset({"what", "whats", "how", "why", "when", "which", "who", "where", "explain",
                     "define", "describe", "compare", "tell", "show", "give", "example"})
_AUXILIARIES = frozenset({"do", "does", "did", "is", "are", "was", "were", "can", "could", "should",
                          "would", "will", "has", "have", "am", "isnt", "arent", "doesnt", "dont"})
_SMALL_WORDS = _THANKS_WORDS | _GREETING_WORDS | _ACK_WORDS | _INTERJECTIONS
# What a greeting opens with: "hey! …", "good morning, …", "morning! …".
_GREETING_OPENERS = _GREETINGS | {"morning", "afternoon", "evening"}


def _plain(word: str) -> str:
    """A drawn-out word as written plainly: "ahhh" → "ah", "coool" → "cool", "sooo" → "so"."""
    for plain in (word, re.sub(r"(.)\1\1+", r"\1\1", word), re.sub(r"(.)\1+", r"\1", word)):
        if plain in _SMALL_WORDS:
            return plain
    return word


def smalltalk_kind(message: str) -> str | None:
    """'greeting', 'thanks', 'help', 'ack' or None. The whole message must be small talk."""
    tokens = [_plain(w) for w in words(message)]
    phrase = " ".join(tokens)
    if not tokens:
        return None
    if phrase in _GREETINGS:
        return "greeting"
    for start in range(len(tokens)):  # "hi, what can you do?", "ok thx, what else can you do?"
        if " ".join(tokens[start:]) in _HELP and all(t in _SMALL_WORDS for t in tokens[:start]):
            return "help"
    if not all(t in _SMALL_WORDS for t in tokens):
        return "ack" if _reaction(message) else _remark(message, tokens)
    if any(t in _THANKS_WORDS for t in tokens):
        return "thanks"
    if any(t in _GREETING_WORDS for t in tokens) and not any(t in _ACK_WORDS for t in tokens):
        return "greeting"
    return "ack"


def opening_kind(message: str) -> str | None:
    """'greeting', 'thanks' or 'ack' for a message that opens with a greeting, thanks or reaction
    and asks nothing ("hey! got my exam tmrw", "thanks for the help earlier! one more", "ok brain
    full, taking a break"). Whether it is small talk depends on the notes: the bot asks this only
    of a message they do not answer, so "hi, dropout regularization" stays a question."""
    tokens = [_plain(w) for w in words(message)]
    if not tokens or _asks(message, tokens) or len(tokens) > 1 and tokens[1] in _CONTINUERS:
        return None
    if tokens[0] in _THANKS_WORDS:
        return "thanks"
    if tokens[0] in _GREETING_OPENERS or " ".join(tokens[:2]) in _GREETING_OPENERS:
        return "greeting"
    return "ack" if tokens[0] in _REACTION_WORDS and len(tokens) > 1 else None


def _remark(message: str, tokens: list[str]) -> str | None:
    """A message that asks nothing is small talk when it ends by thanking ("ok nvm, thanks
    anyway", "confusing but thanks"), reacts with an interjection ("thats a lot lol"), or speaks
    to the bot in a few words ("you're a lifesaver")."""
    if _asks(message, tokens):
        return None
    thanks = [i for i, t in enumerate(tokens) if t in _THANKS_WORDS]
    if thanks and all(t in _SMALL_WORDS for t in tokens[thanks[-1]:]):
        return "thanks"
    if any(t in _INTERJECTIONS for t in tokens) or (
            tokens[0] in {"you", "youre", "ur", "u"} and len(tokens) <= 6):
        return "ack"
    return None


def _reaction(message: str) -> bool:
    """A reaction to the answer: no question mark, and reaction words right before a statement
    about it ("sweet, that clears it up", "nice thats exactly how my prof explained it", "wait
    that's wild"). The statement may hold a relative "how" or "what"; no clause may open with a
    question word or an auxiliary."""
    if "?" in message or _opens_clause(message, _ASKING | _AUXILIARIES):
        return False
    tokens = [_plain(w) for w in words(message)]
    start = next((i for i, t in enumerate(tokens) if t not in _REACTION_WORDS), len(tokens))
    return start > 0 and bool(_STATEMENT.match(" ".join(tokens[start:])))


def _asks(message: str, tokens: list[str]) -> bool:
    """A question mark, a question or request word, or a clause opening with an auxiliary verb
    ("…, does ice cream cause drowning lol")."""
    asking = "?" in message or any(t in _ASKING for t in tokens)
    return asking or _opens_clause(message, _AUXILIARIES)


def _opens_clause(message: str, openers: frozenset[str]) -> bool:
    """Whether a clause of the message (split at , ; : . !) opens with one of `openers`."""
    return any(c and c[0] in openers for c in map(words, re.split(r"[,;:.!]", message)))
