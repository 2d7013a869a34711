"""Calibrates retrieval on the DEV splits only: sweeps the lexical weight, then picks the no-answer
threshold. Test splits are never read here.

    .venv/bin/python scripts/calibrate.py            # prints the sweep and the trade-off curve
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from qabot.bot import QABot  # noqa: E402
from qabot.embedding import Embedder  # noqa: E402
from qabot.evaluate import evaluate, load_cases  # noqa: E402
from qabot.retrieval import Retriever, Weights  # noqa: E402
from qabot.settings import PACKAGED_MODEL, Settings  # noqa: E402

CORPORA = {
    "deep-learning-basics": ROOT / "corpus" / "deep-learning-basics.md",
    "data-science-theory": ROOT.parent / "shared" / "corpora" / "data-science-theory.md",
}


def main() -> None:
    embedder = Embedder(PACKAGED_MODEL)
    tmp = Path(tempfile.mkdtemp())
    bots = {}
    for name, path in CORPORA.items():
        (tmp / name).mkdir()
        shutil.copy(path, tmp / name / path.name)
        bots[name] = QABot(Settings(corpus=tmp / name, index=tmp / f"{name}-index"),
                           embedder=embedder, log=lambda m: None)
    cases = {n: load_cases(ROOT / "tests" / "eval" / f"{n}.dev.jsonl", b) for n, b in bots.items()}
    grid = [float(a) for a in sys.argv[1:]] or [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    for w in grid:
        line = [f"lexical={w:.2f}"]
        for name, bot in bots.items():
            bot.retriever = Retriever(bot.index, bot.embedder, replace(Weights(), lexical=w))
            report = evaluate(bot, cases[name])
            line.append(f"{name}: top1 {report.top1:.3f} mrr {report.mrr5:.3f}")
            if name == "deep-learning-basics":
                best = max(report.curve, key=lambda p: (p["in_scope_answered"] >= 0.97,
                                                         p["refused"] + p["answered_correct"]))
                line.append(f"best t={best['threshold']} ans={best['in_scope_answered']:.3f} "
                            f"ref={best['refused']:.3f}")
                for miss in report.misses:
                    if miss["expected"]:
                        print("   miss", w, miss)
        print(" | ".join(line))
    bot = bots["deep-learning-basics"]
    bot.retriever = Retriever(bot.index, bot.embedder, Weights())
    report = evaluate(bot, cases["deep-learning-basics"])
    print("threshold  in-scope-answered  answered+correct  off-topic-refused  refusal-precision")
    for p in report.curve:
        print(f"{p['threshold']:9.2f}  {p['in_scope_answered']:17.3f}  {p['answered_correct']:16.3f}  "
              f"{p['refused']:17.3f}  {p['refusal_precision']:17.3f}")


if __name__ == "__main__":
    main()
