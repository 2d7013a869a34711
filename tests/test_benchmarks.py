"""The benchmark suite runs end to end at a tiny size (no timing assertions: it must not rot)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_benchmarks_run_end_to_end_at_a_tiny_size(tmp_path):
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--sizes", "150",
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    assert {"machine", "latency", "cache", "http", "cold", "build", "scaling"} <= set(data)
    assert data["latency"]["n"] == 20 and data["latency"]["ratio"] > 0
    assert [run["concurrency"] for run in data["http"]["runs"]] == [1, 8, 32, 8]
    assert all(run["errors"] == 0 for run in data["http"]["runs"])
    assert data["scaling"]["150"]["chunks"] >= 150
    table = (tmp_path / "latest.md").read_text()
    assert "| warm query p50 / p95 / p99 (ms) |" in table and "re-index after a one-question edit" in table
