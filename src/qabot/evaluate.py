"""Scores the bot on a labelled question file: top-1, MRR@5, and no-answer precision/recall.

An eval file is JSON Lines: {"question": "...", "expected": "<chunk question or id>" | null,
"kind": optional}; null means the notes do not cover it and the bot should say so. An off-topic
question's kind may be "near_miss" (same field, not answered by the notes) or "general".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .bot import QABot
from .corpus import load_corpus
from .errors import QabotError
from .index import build_index, load_index
from .parts import INDEX_PARTS, Parts
from .retrieval import Retriever


@dataclass(frozen=True)
class Case:
    question: str
    expected: str | None  # chunk id, None = off-topic
    kind: str | None = None  # "near_miss" or "general" for off-topic questions, when labelled


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
    answered_wrong: float = 0.0  # in-scope: answered with the wrong chunk (the worst outcome)
    refused_by_kind: dict[str, float] = field(default_factory=dict)  # off-topic refused per kind
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
        kind = row.get("kind")
        cases.append(Case(question, expected, kind if isinstance(kind, str) else None))
    if not cases:
        raise QabotError(f"{path}: no questions to evaluate")
    return cases


def ablate(bot: QABot, names: Iterable[str]) -> Parts:
    """Switches the named parts off in `bot` ("all": every one), to measure what each buys. Each
    call starts from the index on disk, built with every part on; a part that shapes the index
    gets an index rebuilt in memory from its vectors."""
    parts = bot.weights.parts.without(names)
    index = load_index(bot.settings.index)
    if any(not parts.on(name) for name in INDEX_PARTS):
        index = build_index(load_corpus(bot.settings.corpus), bot.embedder, index, parts=parts)
    bot.retriever = Retriever(index, bot.embedder, replace(bot.weights, parts=parts))
    return parts


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
    kinds = sorted({c.kind for c, *_ in outside if c.kind})
    by_kind = {k: sum(1 for c, top, _, _ in outside if c.kind == k and top < threshold)
               / sum(1 for c, *_ in outside if c.kind == k) for k in kinds}
    wrong = sum(1 for _, top, rank, _ in inside if rank != 1 and top >= threshold)
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
        answered_wrong=wrong / max(1, len(inside)), refused_by_kind=by_kind,
        curve=[at(t / 100) for t in range(20, 71, 2)],
    )


TURN_TYPES = ("first", "followup", "switch", "uncovered", "smalltalk")


@dataclass(frozen=True)
class Turn:
    message: str
    type: str  # one of TURN_TYPES
    expected: str | None  # chunk id; None for uncovered turns and small talk
    focus: str | None = None  # a phrase of the answer the follow-up asks about


@dataclass(frozen=True)
class ConversationReport:
    conversations: int
    right: dict[str, float]  # turn type → share answered right (or refused / small-talk reply)
    counts: dict[str, int]
    focus: float  # follow-ups answered right whose focus holds the expected phrase
    misses: list[dict] = field(default_factory=list)


def is_conversations(path: Path) -> bool:
    """A conversation file holds objects with "turns"; a question file, "question"."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError:
                return False
            return isinstance(row, dict) and "turns" in row
    return False


def load_conversations(path: Path, bot: QABot) -> list[list[Turn]]:
    by_text = {" ".join(c.question.lower().split()): c.id for c in bot.chunks}
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            turns = json.loads(line)["turns"]
            parsed = [Turn(t["q"], t["type"], t.get("expected"), t.get("focus")) for t in turns]
        except (ValueError, KeyError, TypeError):
            raise QabotError(f"{path}:{n}: expected {{\"turns\": [{{\"q\", \"type\", \"expected\"}}, "
                             "…]}") from None
        for turn in parsed:
            if turn.type not in TURN_TYPES:
                raise QabotError(f"{path}:{n}: turn type {turn.type!r} is not one of "
                                 f"{', '.join(TURN_TYPES)}")
        resolved = []
        for turn in parsed:
            expected = None
            if turn.expected is not None:
                expected = by_text.get(" ".join(turn.expected.lower().split()))
                if expected is None:
                    raise QabotError(f"{path}:{n}: expected {turn.expected!r} matches no question "
                                     "of the loaded notes")
            resolved.append(Turn(turn.message, turn.type, expected, turn.focus))
        out.append(resolved)
    if not out:
        raise QabotError(f"{path}: no conversations to evaluate")
    return out


def evaluate_conversations(bot: QABot, conversations: list[list[Turn]],
                           stateless: bool = False) -> ConversationReport:
    """Each turn type's share of right answers; `stateless` reads every turn alone (the baseline)."""
    right = {t: 0 for t in TURN_TYPES}
    counts = {t: 0 for t in TURN_TYPES}
    focused = followed = 0
    misses = []
    for turns in conversations:
        history: list[str] = []
        for turn in turns:
            result = bot.converse(turn.message, [] if stateless else history)
            small = result.answer.kind == "smalltalk"
            history.append(turn.message)
            got = result.chunk.id if result.chunk is not None else None
            if turn.type == "smalltalk":
                ok = small
            elif turn.expected is None:
                ok = not small and got is None
            else:
                ok = got == turn.expected
            counts[turn.type] += 1
            right[turn.type] += ok
            if ok and turn.type == "followup" and turn.focus:
                followed += 1
                focused += bool(result.answer.focus and turn.focus.lower() in
                                result.answer.focus.lower())
            if not ok:
                misses.append({"history": history[:-1], "message": turn.message, "type": turn.type,
                               "expected": turn.expected, "got": "smalltalk" if small else got})
    return ConversationReport(len(conversations),
                              {t: right[t] / counts[t] for t in TURN_TYPES if counts[t]},
                              {t: counts[t] for t in TURN_TYPES if counts[t]},
                              focused / followed if followed else 0.0, misses)
