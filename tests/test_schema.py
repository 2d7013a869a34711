"""Schemathesis (its CLI) fuzzes every API operation of a real server from the OpenAPI spec."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def test_api_conforms_to_its_openapi_spec(server, tmp_path):
    # 413 (body over the size limit, documented) is a valid answer to any oversized body: a question
    # of 200,000 characters that each take 6 bytes as JSON escapes is schema-valid but 1.2 MB.
    (tmp_path / "schemathesis.toml").write_text(
        '[checks.negative_data_rejection]\nexpected-statuses = '
        '["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]\n'
        '[checks.positive_data_acceptance]\nexpected-statuses = ["2XX", "413"]\n')
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    result = subprocess.run(
        [cli, "--config-file", str(tmp_path / "schemathesis.toml"), "run", f"{server}/api/openapi.json",
         "--checks", "all", "--max-examples", "40",
         "--suppress-health-check", "all", "--seed", "1"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or "passed" in result.stdout.lower()
