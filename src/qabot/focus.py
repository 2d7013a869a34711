"""Which passages of an answer may be its focus (the part highlighted as the best match).

A line that only says when or by whom the notes were written ("*Last Updated: 2024*", "Author:
…", "Source: …", a bare date) can share words with a question ("latest", "2024") but never
answers it, so it is never the focus.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"[*_`>#|~\[\]()]+")
_META = re.compile(
    r"^(?:last\s+(?:updated|modified|edited|reviewed|revised)\b"
    r"|(?:date|version|revision|authors?|contributors?|sources?|credits?|attribution|licen[cs]e|"
    r"updated|modified|created|published|posted|reviewed)\s*:"
    r"|(?:written|compiled|maintained|prepared|created|updated|modified|published|posted|reviewed)"
    r"\s+(?:by|on)\b"
    r"|(?:copyright|\u00a9|\(c\))(?:\s|$))",
    re.IGNORECASE)
_MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?")
_DATE = re.compile(
    rf"^(?:\d{{4}}(?:[-/.]\d{{1,2}}(?:[-/.]\d{{1,2}})?)?|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}|"
    rf"{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{4}})$",
    re.IGNORECASE)


def is_metadata(markdown: str) -> bool:
    """Whether a passage only dates, signs or credits the notes (never an answer's focus)."""
    text = " ".join(_MARKUP.sub(" ", markdown).split()).strip(" -–—:.,")
    if not text or len(text) > 120:
        return False
    if "\n" in markdown.strip():
        return False
    return bool(_META.match(text) or _DATE.match(text))
