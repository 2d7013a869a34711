"""Index builds that are killed or run twice at once, in real `qabot index` processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import DL_CORPUS, THEORY_CORPUS, make_corpus

from qabot.index import load_index

QABOT = [sys.executable, "-m", "qabot.cli"]


def run_index(corpus: Path, index: Path) -> subprocess.Popen:
    env = {**os.environ, "QABOT_CORPUS": str(corpus), "QABOT_INDEX": str(index)}
    return subprocess.Popen([*QABOT, "index"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigkill_during_index_keeps_the_previous_index(tmp_path, dl_settings, dl_bot):
    index = tmp_path / "index"
    shutil.copytree(dl_settings.index, index)
    before = [c.id for c in load_index(index).chunks]
    corpus = make_corpus(tmp_path / "corpus", DL_CORPUS)
    # A large corpus so the build is still embedding when it is killed.
    text = THEORY_CORPUS.read_text(encoding="utf-8")
    for i in range(15):
        (corpus / f"theory-{i}.md").write_text(text.replace("**", f"**[{i}] ", 1), encoding="utf-8")
    proc = run_index(corpus, index)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (index / ".lock").exists() and time.monotonic() > deadline - 110:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "index finished before it could be killed; make the corpus bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    survived = load_index(index)
    assert [c.id for c in survived.chunks] == before
    assert survived.vectors.ntotal == survived.manifest.keys


def test_two_index_runs_at_once_both_finish_with_one_consistent_index(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", DL_CORPUS)
    index = tmp_path / "index"
    first, second = run_index(corpus, index), run_index(corpus, index)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    loaded = load_index(index)
    assert len(loaded.chunks) == 8 and loaded.vectors.ntotal == loaded.manifest.keys
    assert len(list(index.glob("build-*"))) <= 2 and not list(index.glob(".tmp-*"))
