"""Runs `qabot eval` on one split of every evaluation corpus in tests/eval/ and prints one table:
top-1, in-scope answered, answered-but-wrong, off-topic refused (near-miss / general); with
--conversations, the conversations in tests/conversations/ by turn type instead; with --ablate,
what each named part (parts.py) buys: the change of every corpus's score with that part off.

    .venv/bin/python scripts/evaluate_all.py dev [--conversations [--stateless]] [-v] [NAME ...]
    .venv/bin/python scripts/evaluate_all.py dev --ablate [PART ...] [NAME ...]

Run a test split once, when the code is final: its misses are then known, and it joins dev.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"
CONVERSATIONS = ROOT / "tests" / "conversations"

from qabot.bot import QABot  # noqa: E402
from qabot.embedding import Embedder  # noqa: E402
from qabot.evaluate import (  # noqa: E402
    TURN_TYPES,
    Report,
    ablate,
    evaluate,
    evaluate_conversations,
    load_cases,
    load_conversations,
)
from qabot.parts import PARTS  # noqa: E402
from qabot.settings import PACKAGED_MODEL, Settings  # noqa: E402


def corpora(folder: Path = EVAL) -> list[str]:
    """The corpora with a dev split in `folder` (question sets, or conversations)."""
    return sorted(p.name.removesuffix(".dev.jsonl") for p in folder.glob("*.dev.jsonl"))


def notes(name: str) -> Path:
    return ROOT / "corpus" if name == "deep-learning-basics" else EVAL / name


class Remembering(Embedder):
    """The packaged model, remembering each question's vector (a row is the same alone or in a
    batch): an ablation asks the same questions once per part."""

    def __init__(self) -> None:
        super().__init__(PACKAGED_MODEL)
        self.seen: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if todo:
            self.seen.update(zip(todo, super().embed(todo)))
        return np.stack([self.seen[t] for t in texts])


def bots(names: list[str], tmp: Path) -> dict[str, QABot]:
    embedder = Remembering()
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
    names = names or corpora(CONVERSATIONS)
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


def right(r: Report) -> int:
    """Questions handled right: in-scope ones answered with the right section, off-topic refused."""
    return round(r.answered_correct * r.in_scope) + round(r.refused * r.off_topic)


def ablation(split: str, parts: list[str], names: list[str]) -> None:
    """One row per part, one column per corpus: the change, in points of the share of questions
    handled right (`right`), when that part alone is switched off; then the same in questions,
    as answered-but-wrong / off-topic refused. "helps" counts the corpora where switching the part
    off costs at least one question, "hurts" those where it gains one."""
    names = names or corpora()
    parts = parts or list(PARTS)
    tmp = Path(tempfile.mkdtemp())
    score: dict[str, dict[str, Report]] = {p: {} for p in ["all on", *parts]}
    try:
        for name, bot in bots(names, tmp).items():
            cases = load_cases(EVAL / f"{name}.{split}.jsonl", bot)
            for part in score:
                ablate(bot, [] if part == "all on" else [part])
                score[part][name] = evaluate(bot, cases)
            print(f"{name}: done", file=sys.stderr)
    finally:
        shutil.rmtree(tmp)
    base = score["all on"]
    table(base)
    print()
    short = [n.removeprefix("squad-").split("-")[0] for n in names]
    print("Share of questions handled right with all parts on, then its change in points with "
          "one part off (negative: the part helps):\n")
    print("| part | " + " | ".join(short) + " | helps | hurts |")
    print("|---" * (len(names) + 3) + "|")
    total = {n: base[n].in_scope + base[n].off_topic for n in names}
    print("| all on | " + " | ".join(f"{right(base[n]) / total[n]:.1%}" for n in names) + " | | |")
    for part in parts:
        delta = {n: right(score[part][n]) - right(base[n]) for n in names}
        cells = [f"{100 * delta[n] / total[n]:+.1f}" if delta[n] else "0" for n in names]
        print(f"| {part} | " + " | ".join(cells) + f" | {sum(d < 0 for d in delta.values())} | "
              f"{sum(d > 0 for d in delta.values())} |")
    print("\nThe same, in questions: answered but wrong / off-topic refused, with the part off:\n")
    print("| part | " + " | ".join(short) + " |")
    print("|---" * (len(names) + 1) + "|")
    for part in parts:
        cells = []
        for n in names:
            a, b = score[part][n], base[n]
            wrong = round(a.answered_wrong * a.in_scope) - round(b.answered_wrong * b.in_scope)
            refused = round(a.refused * a.off_topic) - round(b.refused * b.off_topic)
            cells.append(f"{wrong:+d} / {refused:+d}" if wrong or refused else "0")
        print(f"| {part} | " + " | ".join(cells) + " |")


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "-v"]
    split, names = args[0], [a for a in args[1:] if not a.startswith("--")]
    if "--conversations" in args:
        conversations(split, names)
        return
    if "--ablate" in args:
        ablation(split, [n for n in names if n in PARTS], [n for n in names if n not in PARTS])
        return
    names = names or corpora()
    table(run(split, names))


def table(reports: dict[str, Report]) -> None:
    print("| corpus | in / off | top-1 | answered | answered wrong | refused | near-miss | general |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in reports.items():
        kinds = r.refused_by_kind
        print(f"| {name} | {r.in_scope} / {r.off_topic} | {r.top1:.1%} | {r.in_scope_answered:.1%} | "
              f"{r.answered_wrong:.1%} | {r.refused:.1%} | {kinds.get('near_miss', float('nan')):.1%} | "
              f"{kinds.get('general', float('nan')):.1%} |")


if __name__ == "__main__":
    main()
