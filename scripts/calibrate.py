"""Calibrates retrieval on the DEV splits only: sweeps the lexical weight, then prints the no-answer
trade-off curve of every corpus. Test splits are never read here.

    .venv/bin/python scripts/calibrate.py [LEXICAL_WEIGHT ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from qabot.bot import QABot  # noqa: E402
from qabot.embedding import Embedder  # noqa: E402
from qabot.evaluate import evaluate, load_cases  # noqa: E402
from qabot.retrieval import Retriever, Weights  # noqa: E402
from qabot.settings import PACKAGED_MODEL, Settings  # noqa: E402

EVAL = ROOT / "tests" / "eval"
CORPORA = {  # name → the notes (a file or a directory)
    "deep-learning-basics": ROOT / "corpus" / "deep-learning-basics.md",
    "data-science-theory": EVAL / "data-science-theory",
    "operating-systems": EVAL / "operating-systems",
    "statistics": EVAL / "statistics",
}


def main() -> None:
    embedder = Embedder(PACKAGED_MODEL)
    tmp = Path(tempfile.mkdtemp())
    bots = {}
    for name, path in CORPORA.items():
        if path.is_dir():
            shutil.copytree(path, tmp / name)
        else:
            (tmp / name).mkdir()
            shutil.copy(path, tmp / name / path.name)
        bots[name] = QABot(Settings(corpus=tmp / name, index=tmp / f"{name}-index"),
                           embedder=embedder, log=lambda m: None)
    cases = {n: load_cases(EVAL / f"{n}.dev.jsonl", b) for n, b in bots.items()}
    for w in [float(a) for a in sys.argv[1:]] or [0.2, 0.3, 0.4]:
        line = [f"lexical={w:.2f}"]
        for name, bot in bots.items():
            bot.retriever = Retriever(bot.index, bot.embedder, replace(Weights(), lexical=w))
            report = evaluate(bot, cases[name])
            line.append(f"{name}: top1 {report.top1:.3f} mrr {report.mrr5:.3f}")
        print(" | ".join(line))
    print("threshold  " + "  ".join(f"{n}: answered / refused" for n in bots))
    reports = {}
    for name, bot in bots.items():
        bot.retriever = Retriever(bot.index, bot.embedder, Weights())
        reports[name] = evaluate(bot, cases[name])
    for i, point in enumerate(next(iter(reports.values())).curve):
        cells = [f"{r.curve[i]['in_scope_answered']:.3f} / {r.curve[i]['refused']:.3f}"
                 for r in reports.values()]
        print(f"{point['threshold']:9.2f}  " + "  ".join(f"{c:>{len(n) + 21}}"
                                                    for c, n in zip(cells, bots)))


if __name__ == "__main__":
    main()
