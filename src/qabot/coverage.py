"""The coverage check: every question-like item of a notes file should be a question of its own.

A shape the parser misreads (a topic heading over a list of questions, a list whose items it
does not take for questions) silently turns many questions into one long answer, and a student
asking one of them gets the whole list or nothing. So the items written as questions (numbered
or bold items ending in "?", `Q:` lines, prompts) are counted against the chunks: each one that
is no chunk's question, and was not already reported as unanswered or skipped, is named with
file:line, and a file that lost many gets one summary line. `qabot index --strict` makes these
warnings an error (`load_corpus(..., strict=True)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .chunk import Chunk

# How many line numbers a warning lists before "…".
_SHOWN = 8


@dataclass(frozen=True)
class Candidate:
    """An item written as a question: its 1-based line and its cleaned text."""

    line: int
    text: str


def coverage_warnings(file: str, items: list[Candidate], chunks: list[Chunk],
                      reported: set[int]) -> list[str]:
    """Warnings for the items of `file` that no chunk asks (`reported`: 1-based lines already
    warned about as unanswered or skipped): one per chunk whose answer holds some, one per
    item in no chunk at all, and a summary when the items far outnumber the chunks."""
    starts = {c.lines[0] for c in chunks}
    unique = {c.line: c for c in items}  # a prompt is found twice: as an item and as a prompt
    lost = [c for line, c in sorted(unique.items()) if line not in starts and line not in reported]
    held: dict[int, list[Candidate]] = {}  # index of the chunk whose answer holds them → items
    dropped: list[Candidate] = []
    for cand in lost:
        holder = next((i for i, c in enumerate(chunks) if c.lines[0] < cand.line <= c.lines[1]), None)
        if holder is None:
            dropped.append(cand)
        else:
            held.setdefault(holder, []).append(cand)
    out = []
    for i, inside in held.items():
        chunk = chunks[i]
        out.append(f"{file}:{chunk.lines[0]}: {_count(len(inside), 'question-like item')} "
                   f"({_lines(inside)}) became part of the answer to {chunk.question!r} instead "
                   "of questions of their own (number or bold them in a list of their own, or "
                   "make them headings)")
    out.extend(f"{file}:{c.line}: question-like item {c.text!r} is in no chunk; it was dropped"
               for c in dropped)
    if len(lost) >= 3 and 2 * len(unique) >= 3 * len(chunks):
        holders = ", ".join(str(chunks[i].lines[0]) for i in list(held)[:_SHOWN])
        why = [f"the answers at lines {holders}{', …' if len(held) > _SHOWN else ''} hold "
               f"{sum(map(len, held.values()))} of them"] if held else []
        why += [f"{len(dropped)} were dropped"] if dropped else []
        out.insert(0, f"{file}: {len(unique)} question-like items became "
                      f"{_count(len(chunks), 'chunk')}: {'; '.join(why)}")
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _lines(items: list[Candidate]) -> str:
    shown = ", ".join(str(c.line) for c in items[:_SHOWN])
    return f"line{'' if len(items) == 1 else 's'} {shown}{', …' if len(items) > _SHOWN else ''}"
