"""Scores the bot on a labelled question file: top-1, MRR@5, and no-answer precision/recall.

An eval file is JSON Lines: {"question": "...", "expected": "<chunk question or id>" | null};
null means the notes do not cover it and the bot should say so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .bot import QABot
from .errors import QabotError


@dataclass(frozen=True)
class Case:
    question: str
    expected: str | None  # chunk id, None = off-topic


@dataclass(frozen=True)
class Report:
    in_scope: int
    off_topic: int
    top1: float  # in-scope questions whose top-ranked chunk is right (threshold ignored)
    mrr5: float
    answered_correct: float  # in-scope: answered, and with the right chunk
    in_scope_answered: float  # in-scope questions not refused
    refused: float  # no-answer recall: off-topic questions refused
    refusal_precision: float  # of all refusals, the share that were off-topic
    threshold: float
    misses: list[dict] = field(default_factory=list)
    curve: list[dict] = field(default_factory=list)


def load_cases(path: Path, bot: QABot) -> list[Case]:
    by_text = {" ".join(c.question.lower().split()): c.id for c in bot.chunks}
    ids = {c.id for c in bot.chunks}
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, expected = row["question"], row.get("expected")
        except (ValueError, KeyError, TypeError):
            raise QabotError(f"{path}:{n}: expected a JSON object with 'question' and "
                             "'expected'") from None
        if expected is not None:
            key = " ".join(str(expected).lower().split())
            expected = expected if expected in ids else by_text.get(key)
            if expected is None:
                raise QabotError(f"{path}:{n}: expected {row['expected']!r} matches no question "
                                 "of the loaded notes")
        cases.append(Case(question, expected))
    if not cases:
        raise QabotError(f"{path}: no questions to evaluate")
    return cases


def evaluate(bot: QABot, cases: list[Case]) -> Report:
    threshold = bot.settings.threshold
    scored = []  # (case, confidence, rank of expected or None, top chunk id)
    for case in cases:
        ranking = bot.retriever.rank(case.question, 5)
        ids = [h.chunk.id for h in ranking.hits]
        top = ranking.confidence
        rank = ids.index(case.expected) + 1 if case.expected in ids else None
        scored.append((case, top, rank, ids[0] if ids else None))
    inside = [s for s in scored if s[0].expected is not None]
    outside = [s for s in scored if s[0].expected is None]

    def at(t: float) -> dict:
        answered_right = sum(1 for _, top, rank, _ in inside if rank == 1 and top >= t)
        answered = sum(1 for _, top, _, _ in inside if top >= t)
        refused_off = sum(1 for _, top, _, _ in outside if top < t)
        refused_all = refused_off + len(inside) - answered
        return {"threshold": round(t, 3),
                "in_scope_answered": answered / max(1, len(inside)),
                "answered_correct": answered_right / max(1, len(inside)),
                "refused": refused_off / max(1, len(outside)),
                "refusal_precision": refused_off / refused_all if refused_all else 1.0}

    now = at(threshold)
    misses = [{"question": c.question, "expected": c.expected, "got": got,
               "score": round(top, 3)}
              for c, top, rank, got in scored
              if (c.expected is not None and (rank != 1 or top < threshold))
              or (c.expected is None and top >= threshold)]
    return Report(
        in_scope=len(inside), off_topic=len(outside),
        top1=sum(1 for s in inside if s[2] == 1) / max(1, len(inside)),
        mrr5=sum(1 / s[2] for s in inside if s[2]) / max(1, len(inside)),
        answered_correct=now["answered_correct"], in_scope_answered=now["in_scope_answered"],
        refused=now["refused"], refusal_precision=now["refusal_precision"],
        threshold=threshold, misses=misses,
        curve=[at(t / 100) for t in range(20, 71, 2)],
    )
