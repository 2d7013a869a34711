"""Runs `qabot eval` on one split of every evaluation corpus in tests/eval/ and prints one table:
top-1, in-scope answered, answered-but-wrong, off-topic refused (near-miss / general); with
--conversations, the conversations in tests/conversations/ by turn type instead.

    .venv/bin/python scripts/evaluate_all.py dev [--conversations [--stateless]] [-v] [NAME ...]

Run a test split once, when the code is final: its misses are then known, and it joins dev.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"
CONVERSATIONS = ROOT / "tests" / "conversations"

from qabot.bot import QABot  # noqa: E402
from qabot.embedding import Embedder  # noqa: E402
from qabot.evaluate import (  # noqa: E402
    TURN_TYPES,
    Report,
    evaluate,
    evaluate_conversations,
    load_cases,
    load_conversations,
)
from qabot.settings import PACKAGED_MODEL, Settings  # noqa: E402


def notes(name: str) -> Path:
    return ROOT / "corpus" if name == "deep-learning-basics" else EVAL / name


def bots(names: list[str], tmp: Path) -> dict[str, QABot]:
    embedder = Embedder(PACKAGED_MODEL)
    out = {}
    for name in names:
        shutil.copytree(notes(name), tmp / name)
        out[name] = QABot(Settings(corpus=tmp / name, index=tmp / f"{name}-index"),
                          embedder=embedder, log=lambda m: None)
    return out


def run(split: str, names: list[str]) -> dict[str, Report]:
    tmp = Path(tempfile.mkdtemp())
    try:
        return {name: evaluate(bot, load_cases(EVAL / f"{name}.{split}.jsonl", bot))
                for name, bot in bots(names, tmp).items()}
    finally:
        shutil.rmtree(tmp)


def conversations(split: str, names: list[str]) -> None:
    names = names or sorted(p.name.removesuffix(".dev.jsonl")
                            for p in CONVERSATIONS.glob("*.dev.jsonl"))
    tmp = Path(tempfile.mkdtemp())
    try:
        print("| corpus | conversations | " + " | ".join(TURN_TYPES) + " | follow-up focus |")
        print("|---" * (len(TURN_TYPES) + 3) + "|")
        for name, bot in bots(names, tmp).items():
            r = evaluate_conversations(bot, load_conversations(
                CONVERSATIONS / f"{name}.{split}.jsonl", bot), "--stateless" in sys.argv)
            cells = [f"{r.right[t]:.0%} ({round(r.right[t] * r.counts[t])}/{r.counts[t]})"
                     for t in TURN_TYPES]
            print(f"| {name} | {r.conversations} | " + " | ".join(cells) + f" | {r.focus:.0%} |")
            if "-v" in sys.argv:
                for miss in r.misses:
                    print("   miss:", miss)
    finally:
        shutil.rmtree(tmp)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "-v"]
    split, names = args[0], [a for a in args[1:] if not a.startswith("--")]
    if "--conversations" in args:
        conversations(split, names)
        return
    names = names or sorted(p.name.removesuffix(".dev.jsonl") for p in EVAL.glob("*.dev.jsonl"))
    print("| corpus | in / off | top-1 | answered | answered wrong | refused | near-miss | general |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in run(split, names).items():
        kinds = r.refused_by_kind
        print(f"| {name} | {r.in_scope} / {r.off_topic} | {r.top1:.1%} | {r.in_scope_answered:.1%} | "
              f"{r.answered_wrong:.1%} | {r.refused:.1%} | {kinds.get('near_miss', float('nan')):.1%} | "
              f"{kinds.get('general', float('nan')):.1%} |")


if __name__ == "__main__":
    main()
