"""Measures answer/refuse rules built on corpus-relative evidence against today's single threshold,
on the dev split of every evaluation corpus (issue 18's "answerability relative to the notes").

    .venv/bin/python scripts/answerability_study.py [NAME ...]

For each dev question it records the top hit's fused score and confidence, the IDF-weighted share
of the question's words the hit holds ("coverage": words the notes never use count fully), the
cosine of question and hit after centring every vector on the corpus's mean key ("centred"), the
gap to the second hit, whether the question has a content word the notes never use ("absent"),
and the corpus's leave-one-out scores (each section's own question asked with that section set
aside: the best other section's score, a sample of what a near-miss scores on these notes). Then
it prints, per corpus, in-scope answered right / answered wrong / near-miss (or, on the older
corpora, off-topic) refused under each rule. The logistic rule is fitted leave-one-corpus-out: the
corpus it is scored on never took part in fitting it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"

from evaluate_all import bots, corpora  # noqa: E402

from qabot.bot import QABot  # noqa: E402
from qabot.evaluate import load_cases  # noqa: E402
from qabot.text import tokenize  # noqa: E402

Row = dict[str, object]


def features(bot: QABot, name: str) -> list[Row]:
    r = bot.retriever
    index = r.index
    vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
    mean = vectors.mean(0)
    centred = vectors - mean
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    owner, n = index.keys.chunk, len(bot.chunks)

    def per_chunk(sims: np.ndarray) -> np.ndarray:
        best = np.full(n, -2.0)
        np.maximum.at(best, owner, sims)
        return best

    loo = []
    for c in bot.chunks:
        others = [h for h in r.rank(c.question, 3).hits if h.chunk.id != c.id]
        loo.append(others[0].score if others else 0.0)
    used = {t for c in bot.chunks for t in r.stems(c)}
    rows = []
    for case in load_cases(EVAL / f"{name}.dev.jsonl", bot):
        ranking = r.rank(case.question, 5)
        if not ranking.hits:
            continue
        top = ranking.hits[0]
        q = r.embed(ranking.query) - mean
        position = r.position[top.chunk.id]
        _, coverage = index.lexical.analyze(ranking.query)
        words = [t for t in tokenize([ranking.query])[0] if t.isalpha() and len(t) > 2]
        rows.append({
            "corpus": name, "in": case.expected is not None,
            "right": top.chunk.id == case.expected,
            "near": case.expected is None and case.kind != "general",
            "conf": ranking.confidence, "score": top.score, "coverage": float(coverage[position]),
            "centred": float(per_chunk(centred @ (q / np.linalg.norm(q)))[position]),
            "gap": top.score - (ranking.hits[1].score if len(ranking.hits) > 1 else 0.0),
            "absent": any(t not in used for t in words), "loo": loo})
    return rows


def table(rows: list[Row], label: str, answers: Callable[[Row], bool]) -> None:
    cells, means = [], []
    for name in dict.fromkeys(str(r["corpus"]) for r in rows):
        mine = [r for r in rows if r["corpus"] == name]
        inside, near = [r for r in mine if r["in"]], [r for r in mine if r["near"]]
        right = np.mean([bool(r["right"]) and answers(r) for r in inside])
        wrong = np.mean([not r["right"] and answers(r) for r in inside])
        refused = np.mean([not answers(r) for r in near])
        cells.append(f"{right:.0%} / {wrong:.0%} / {refused:.0%}")
        means.append((right, wrong, refused))
    right, wrong, refused = np.mean(means, axis=0)
    print(f"| {label} | " + " | ".join(cells) + f" | **{right:.1%} / {wrong:.1%} / {refused:.1%}** |")


def logistic(rows: list[Row], names: list[str]) -> np.ndarray:
    """P(answer is right) from [confidence, coverage, centred, gap], fitted leave-one-corpus-out
    with each corpus weighted equally (sklearn comes with sentence-transformers)."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[r["conf"], r["coverage"], r["centred"], r["gap"]] for r in rows])
    y = np.array([bool(r["in"] and r["right"]) for r in rows])
    corpus = np.array([r["corpus"] for r in rows])
    weight = np.array([1 / np.sum(corpus == c) for c in corpus])
    p = np.zeros(len(rows))
    for name in names:
        out = corpus == name
        model = LogisticRegression(C=10, max_iter=2000).fit(x[~out], y[~out],
                                                            sample_weight=weight[~out])
        p[out] = model.predict_proba(x[out])[:, 1]
    return p


def main() -> None:
    names = sys.argv[1:] or corpora()
    tmp, rows = Path(tempfile.mkdtemp()), []
    try:
        for name, bot in bots(names, tmp).items():  # evaluate_all.py's: one bot per corpus copy
            rows += features(bot, name)
    finally:
        shutil.rmtree(tmp)
    p = logistic(rows, names)
    for r, prob in zip(rows, p):
        r["p"] = prob
    print("| rule (answered right / answered wrong / near-miss refused) | "
          + " | ".join(names) + " | mean |")
    print("|---" * (len(names) + 2) + "|")
    table(rows, "confidence ≥ 0.375 (today)", lambda r: r["conf"] >= 0.375)
    table(rows, "confidence ≥ 0.42", lambda r: r["conf"] >= 0.42)
    table(rows, "confidence ≥ 0.45", lambda r: r["conf"] >= 0.45)
    for q in (25, 40):
        table(rows, f"confidence ≥ max(0.375, leave-one-out p{q} of the corpus)",
              lambda r, q=q: r["conf"] >= max(0.375, float(np.percentile(r["loo"], q))))
    table(rows, "confidence − 0.05 if a word is absent from the notes ≥ 0.375",
          lambda r: r["conf"] - 0.05 * bool(r["absent"]) >= 0.375)
    table(rows, "centred cosine ≥ 0.45", lambda r: r["conf"] >= 0 and r["centred"] >= 0.45)
    for cut in (0.4, 0.5, 0.6):
        table(rows, f"logistic(confidence, coverage, centred, gap) ≥ {cut}, leave-one-corpus-out",
              lambda r, cut=cut: r["p"] >= cut)


if __name__ == "__main__":
    main()
