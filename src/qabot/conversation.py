"""Follow-up questions: a turn that leans on the conversation is read against the last topic the
notes actually answered.

In a chat people ask "what's xavier init?", then "and for relu?", "why?", "give me an example",
"how is that different from dropout?". Read alone, such a turn names too little to be answered, or
names a word that another section also uses. Prepending the previous question is not the fix: it
answers every follow-up from the old topic, the ones the notes do not cover included. So a turn is
read in steps, each with one job:

* `leans`: does the turn lean on the conversation at all (an opener such as "and" or "what
  about", a pronoun, or a bare request)? A turn that does not is answered on its own, so context
  never captures a topic switch, unless no section answers it alone and it names something the
  topic's section writes ("what happens if the weights start too large?" after Xavier).
* `switches`: a turn that announces a new topic ("unrelated, but …", "btw …") stands alone.
* `words`: the turn's own content words, less pronouns and requests ("example", "explain").
* Then: every such word is in the topic's section, so the turn is about the topic (answered from
  it, focused on the passage the turn asks about); or a missing word is a concept the notes never
  name, so "not covered"; or the turn, read alone, is confidently another section's.

Only English function words and discourse cues are listed here, never a field's vocabulary.
"""

from __future__ import annotations

import re

from .text import FUNCTION_WORDS, tokenize

# Words that open an elliptical turn: "and for relu?", "what about dropout?", "so why?".
_OPENERS = re.compile(
    r"^\s*(?:and|but|so|also|then|or|plus|ok(?:ay)?\s+and|what\s+about|how\s+about|what\s+of|"
    r"same\s+for|what\s+if|and\s+what\s+about|and\s+how\s+about)\b", re.IGNORECASE)
# Words that point back at something said before.
_POINTERS = frozenset({"it", "its", "it's", "itself", "this", "that", "these", "those", "they",
                       "them", "their", "theirs", "one", "ones", "former", "latter", "there",
                       "such", "same"})
# Requests about the current topic that name nothing themselves.
_REQUESTS = frozenset({"example", "examples", "explain", "explanation", "elaborate", "detail",
                       "details", "more", "mean", "meaning", "means", "give", "show", "tell",
                       "again", "simpler", "simply", "else", "other", "please", "pls", "exactly",
                       "instead", "really", "also", "better", "worse", "differ", "different",
                       "difference", "compare", "compared", "versus", "vs", "use", "used", "using",
                       "work", "works", "help", "helps", "need", "needed", "good", "bad", "pros",
                       "cons", "advantage", "advantages", "disadvantage", "disadvantages",
                       "benefit", "benefits", "drawback", "drawbacks", "downside", "downsides",
                       "say", "says", "said", "call", "called"})
# Openers that announce a new topic: "unrelated, but …", "btw …", "different question: …".
_SWITCHES = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|alright|so|anyway|anyways|now)\W+)?"
    r"(?:unrelated|off[\s-]topic|btw|by\s+the\s+way|on\s+another\s+note|moving\s+on|"
    r"(?:a\s+)?(?:different|new|another|separate|unrelated|random|side|other)\s+(?:question|topic|q)|"
    r"(?:changing|switching|change|switch)\s+(?:the\s+)?(?:topics?|subjects?|gears))\b",
    re.IGNORECASE)
# Openers that bring up a new thing by name: "what about group normalization?".
_NAMING = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\b|^\s*what\s+of\b", re.IGNORECASE)
_WORD = re.compile(r"[\w'-]+")
# English function words, pointers and requests, as stems.
_IGNORED = frozenset(tokenize([" ".join(_REQUESTS | _POINTERS | FUNCTION_WORDS)])[0])


def leans(message: str) -> bool:
    """Whether the message leans on the conversation: an opener, a pronoun pointing back, a turn
    that names nothing of its own ("can you give me an example?"), or a short one that names at
    most two things ("the disadvantages?", "relu?")."""
    raw = [w.lower() for w in _WORD.findall(message)]
    if _OPENERS.match(message) or any(w in _POINTERS for w in raw):
        return True
    named = content(message)
    return not named or (len(raw) <= 4 and len(named) <= 2)


def switches(message: str) -> bool:
    """Whether the turn announces a new topic ("unrelated but what is cycle stealing?"): it
    stands alone, whatever pronouns or openers follow."""
    return bool(_SWITCHES.match(message))


def content(message: str) -> list[str]:
    """The message's own content words as stems: no stop words, pronouns or bare requests."""
    return [s for s in tokenize([message])[0] if s not in _IGNORED]


def names_new(message: str) -> bool:
    """Whether the turn brings up a thing by name ("what about X?"): a follow-up about the topic
    only if the topic's section names X too."""
    return bool(_NAMING.match(message))
