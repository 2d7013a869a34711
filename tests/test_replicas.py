"""Many replicas on one index: `qabot index` builds it once, and two `qabot serve` processes, each
seeing the index directory as a read-only mount (`unshare --mount`, as root), load it without
writing, map the same FAISS file, and answer identically. On 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import DL_CORPUS, make_corpus

from benchmarks.load import questions
from benchmarks.process import read_only_replica

pytestmark = pytest.mark.slow


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under `root`: (size, mtime in ns), so any write shows."""
    out = {}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        out[str(path.relative_to(root))] = (stat.st_size if path.is_file() else 0, stat.st_mtime_ns)
    return out


def test_two_replicas_on_one_read_only_index_answer_identically_and_write_nothing(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", DL_CORPUS)
    index = tmp_path / "index"
    built = subprocess.run([sys.executable, "-m", "qabot.cli", "index", "--corpus", str(corpus),
                            "--index", str(index)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    before = tree(index)
    env = {"QABOT_WATCH_INTERVAL": "0.2"}  # the watcher reads the index and the notes all along
    replicas = [read_only_replica(corpus, index, **env) for _ in range(2)]
    try:
        asked = questions()[:60] + ["BN vs LN", "what LR should I use", "how do I bake bread"]

        async def ask_all(url: str) -> list[dict]:
            async with httpx.AsyncClient(timeout=60) as client:
                replies = await asyncio.gather(*(client.post(f"{url}/api/ask", json={"question": q})
                                                 for q in asked))
            assert all(r.status_code == 200 for r in replies)
            return [r.json() for r in replies]

        async def both() -> list[list[dict]]:
            return await asyncio.gather(*(ask_all(r.url) for r in replicas))

        first, second = asyncio.run(both())
        assert first == second
        assert any(a["answered"] for a in first) and not all(a["answered"] for a in first)
        for replica in replicas:
            health = httpx.get(f"{replica.url}/api/health").json()
            assert health["fresh"] is True
            # Both map the one FAISS file of the build rather than reading a copy each.
            assert replica.mapped_kb("vectors.faiss") > 0
    finally:
        outputs = [replica.stop() for replica in replicas]
    for output in outputs:
        assert "warning" not in output and "Traceback" not in output, output
        assert "building index" not in output
    assert tree(index) == before
