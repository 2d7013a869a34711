"""Recognises greetings, thanks and "what can you do?" so they get a friendly reply, not an answer."""

from __future__ import annotations

from .query import words

_GREETINGS = {"hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "good morning",
              "good afternoon", "good evening", "hi there", "hello there", "hey there"}
_THANKS = {"thanks", "thank you", "thx", "ty", "thank you so much", "thanks a lot", "cheers",
           "great thanks", "ok thanks", "thanks a bunch", "much appreciated"}
_HELP = {"help", "what can you do", "who are you", "what are you", "what do you know",
         "what can i ask", "what can i ask you", "what topics", "what topics do you cover",
         "what do you cover", "how does this work", "what is this", "menu", "topics"}


def smalltalk_kind(message: str) -> str | None:
    """'greeting', 'thanks', 'help' or None. Only short, whole-message matches count."""
    phrase = " ".join(words(message))
    for kind, phrases in (("greeting", _GREETINGS), ("thanks", _THANKS), ("help", _HELP)):
        if phrase in phrases:
            return kind
        for p in phrases:  # "hi, what can you do?" → help wins over greeting
            if kind == "greeting" and phrase.startswith(p + " ") and \
                    phrase[len(p) + 1:] in _HELP:
                return "help"
    return None
