"""Reproducible synthetic corpora of N question chunks, built from the real questions and passages of
the shipped corpora, written as Markdown next to the real files (which stay inside, so accuracy on
real questions can be measured at every size)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from qabot.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent
REAL = [ROOT / "corpus" / "deep-learning-basics.md",
        ROOT / "tests" / "eval" / "data-science-theory" / "data-science-theory.md"]
TOPICS = ["robotics", "genomics", "finance", "astronomy", "retail", "climate", "chemistry", "music",
          "logistics", "medicine", "sports", "linguistics", "energy", "agriculture", "security"]
FRAMES = ["In {topic}, {q}", "{q} (case study: {topic})", "For a {topic} team: {q}",
          "{q} Explain it for {topic} data.", "Interview ({topic}): {q}"]


def build(directory: Path, chunks: int, seed: int = 13) -> Path:
    """Writes the real corpora plus generated files so the corpus holds about `chunks` questions."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for path in REAL:
        shutil.copy(path, directory / path.name)
    real = load_corpus(directory).chunks
    rng = random.Random(seed)
    vocabulary = [w for c in real for p in c.passages for w in p.text.split() if w.isalpha()]
    # A fixed pool of answers (real words in random order: realistic vocabulary, no copied
    # passage), so a large corpus costs one embedding per question, not per answer.
    answers = [" ".join(rng.sample(vocabulary, 30)) + "." for _ in range(2000)]
    bullets = [" ".join(rng.sample(vocabulary, 12)) + "." for _ in range(2000)]
    todo = max(0, chunks - len(real))
    per_file = 500
    for f in range(0, todo, per_file):
        lines = [f"# Synthetic notes {f // per_file}", ""]
        for i in range(f, min(todo, f + per_file)):
            if i % 50 == 0:
                lines += [f"## {rng.choice(TOPICS).title()} section {i // 50}", ""]
            # Half of one real question joined to half of another: on-topic vocabulary, but not a
            # copy of any real question (a copy would make the real one unanswerable).
            first, second = rng.choice(real).question.split(), rng.choice(real).question.split()
            mixed = " ".join(first[: len(first) // 2] + second[len(second) // 2:])
            question = rng.choice(FRAMES).format(topic=rng.choice(TOPICS), q=mixed)
            lines += [f"### {question} #{i}", "", rng.choice(answers), "", f"- {rng.choice(bullets)}", ""]
        (directory / f"synthetic-{f // per_file:04d}.md").write_text("\n".join(lines), encoding="utf-8")
    return directory
