"""Security: local binding, no network at run time, opt-in and minimal query logs, big/broken inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from conftest import ROOT

from qabot.bot import QABot
from qabot.corpus import load_corpus
from qabot.settings import Settings


def test_binds_localhost_by_default():
    assert Settings.from_env({}).host == "127.0.0.1"


def test_server_starts_and_answers_in_an_empty_network_namespace(dl_settings, dl_bot, tmp_path):
    # Inside `unshare --net` only a loopback exists: anything phoning home fails, the bot must not.
    script = tmp_path / "check.py"
    script.write_text(textwrap.dedent(f"""
        import json, sys, urllib.request
        sys.path[:0] = [{str(ROOT / "tests")!r}, {str(ROOT)!r}]
        from servers import ServeProcess
        proc = ServeProcess({str(dl_settings.corpus)!r}, {str(dl_settings.index)!r},
                            HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
        try:
            req = urllib.request.Request(proc.url + "/api/ask", data=b'{{"question": "BN vs LN"}}',
                                         headers={{"content-type": "application/json"}})
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))
            answer = json.loads(opener.open(req, timeout=30).read())
            page = opener.open(proc.url + "/", timeout=30).status
            print(json.dumps({{"answered": answer["answered"], "page": page}}))
        finally:
            proc.stop()
    """))
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED")}
    command = f"ip link set lo up && {sys.executable} {script}"
    result = subprocess.run(["unshare", "--net", "sh", "-c", command],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"answered": True, "page": 200}


def test_query_log_is_off_by_default_and_minimal_when_on(dl_bot, tmp_path):
    quiet = QABot(dl_bot.settings.with_(data_dir=tmp_path), embedder=dl_bot.embedder, log=lambda m: None)
    quiet.ask("BN vs LN")
    assert not (tmp_path / "queries.jsonl").exists()
    logged = QABot(dl_bot.settings.with_(data_dir=tmp_path, log_queries=True), embedder=dl_bot.embedder,
                   log=lambda m: None)
    logged.ask("BN vs LN")
    logged.ask("capital of France")
    records = [json.loads(line) for line in (tmp_path / "queries.jsonl").read_text().splitlines()]
    assert [set(r) for r in records] == [{"question", "answer_id", "score", "time"}] * 2
    assert records[0]["answer_id"].startswith("deep-learning-basics/what-is-the-difference")
    assert records[1]["answer_id"] is None


def test_ten_megabyte_file_is_indexed(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    filler = "Gradient noise is averaged over many steps of training. " * 180_000  # ~10 MB
    (corpus / "big.md").write_text(f"## Big\n\n### What is a huge note?\n\n{filler}\n\n"
                                   "### What is a small note?\n\nIt is short.\n")
    assert (corpus / "big.md").stat().st_size > 10_000_000
    bot = QABot(Settings(corpus=corpus, index=tmp_path / "index"), embedder=embedder, log=lambda m: None)
    assert [c.question for c in bot.chunks] == ["What is a huge note?", "What is a small note?"]
    assert bot.ask("what is a small note?").source.question == "What is a small note?"


def test_unsupported_and_undecodable_files_do_not_stop_indexing(tmp_path):
    (tmp_path / "ok.md").write_text("## S\n\n### What is ok?\n\nFine.\n")
    (tmp_path / "bad.md").write_bytes(b"## S\n\n### Bad \xff\xfe?\n\nx\n")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    corpus = load_corpus(tmp_path)
    assert [c.question for c in corpus.chunks] == ["What is ok?"]
    assert any("bad.md: not valid UTF-8 at byte" in w for w in corpus.warnings)
    assert any("notes.docx: ignored" in w for w in corpus.warnings)
