"""Security and reliability against a real server on 127.0.0.1: what a client can read, make the server
hold, or lock others out with, and how faults on disk end (a warning and an answer, or one clear line,
never a traceback)."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import DL_CORPUS, make_corpus
from gradio_raw import dependencies, join, messages, session
from servers import ServeProcess, free_port, running

from qabot.bot import JsonlLog, QABot
from qabot.corpus import load_corpus
from qabot.errors import SettingsError
from qabot.guard import Guard
from qabot.settings import Settings

QABOT = [sys.executable, "-m", "qabot.cli"]


def poll(condition, timeout: float = 30.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {condition}")


# 1. No endpoint returns a file the client names ------------------------------------------------

def test_no_gradio_endpoint_serves_a_file_the_client_names(server, tmp_path):
    secret = f"content-{os.getpid()}-{time.time_ns()}"
    target = Path(tempfile.gettempdir()) / f"qabot-secret-{time.time_ns()}.txt"  # an allowed dir
    target.write_text(secret)
    try:
        file = {"path": str(target), "meta": {"_type": "gradio.FileData"}, "orig_name": "x.txt"}
        history = [{"role": "user", "content": [{"type": "file", "file": file}]},
                   {"role": "assistant", "content": {"path": str(target), "meta": file["meta"]}}]
        replies = []
        # The documented route, with the old (message, history, state) signature…
        posted = httpx.post(f"{server}/gradio_api/call/chat", json={"data": ["hi", history, None]})
        event = posted.json()["event_id"]
        replies.append(httpx.get(f"{server}/gradio_api/call/chat/{event}", timeout=30).text)
        # …and every event of the page, the private ones included, with a file in every input.
        deps = dependencies(server)
        assert len(deps) >= 4
        for dep in deps:
            hash_ = session()
            data = [history if i % 2 else file for i in range(len(dep["inputs"]) + 1)]
            like = {"index": 1, "value": file, "liked": True}
            assert join(server, dep["id"], data, hash_, like).status_code == 200
            replies.append(json.dumps(messages(server, hash_, completed=1)))
        for reply in replies:
            assert secret not in reply and "/gradio_api/file=" not in reply  # the path may be named
        cache = Path(os.environ.get("GRADIO_TEMP_DIR", Path(tempfile.gettempdir()) / "gradio"))
        copied = [p for p in cache.rglob(target.name)] if cache.exists() else []
        assert copied == []
        assert httpx.get(f"{server}/gradio_api/file={target}").status_code in (403, 404)
    finally:
        target.unlink()


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/gradio_api/upload/",
                                  "/gradio_api/upload_progress"])
def test_there_is_no_upload_route(server, path):
    r = httpx.post(f"{server}{path}", files={"files": ("a.txt", b"x" * 10_000)})
    assert r.status_code == 404


# 2. Body limits hold while the body streams in -----------------------------------------------------

def _chunked(total: int, piece: int = 64 * 1024):
    sent = 0
    yield b'{"question": "what is batch norm", "pad": "'
    while sent < total:
        sent += piece
        yield b"x" * piece
    yield b'"}'


@pytest.mark.parametrize("path", ["/api/ask", "/gradio_api/queue/join", "/gradio_api/call/chat"])
def test_a_chunked_body_over_the_limit_is_refused(server, path):
    r = httpx.post(f"{server}{path}", content=_chunked(5_000_000), timeout=60,
                   headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413, r.text[:200]


def test_padding_under_a_declared_small_length_is_not_read_past_the_limit(server):
    r = httpx.post(f"{server}/api/ask", json={"question": "what is batch norm", "pad": "x" * 400_000})
    assert r.status_code == 413


def test_a_chat_message_over_the_cap_is_refused(dl_bot):
    from qabot.bot import MAX_MESSAGE_CHARS

    bot = QABot(dl_bot.settings.with_(max_body_bytes=4 * MAX_MESSAGE_CHARS), embedder=dl_bot.embedder,
                log=lambda m: None)
    with running(bot) as url:
        chat_fn = next(d["id"] for d in dependencies(url) if d.get("api_name") == "chat")
        hash_ = session()
        join(url, chat_fn, ["batch norm " * (MAX_MESSAGE_CHARS // 10), None], hash_)
        done = messages(url, hash_, completed=1)[-1]
        assert done["msg"] == "process_completed" and done["success"] is False
        assert "at most" in json.dumps(done)


# 3. Idle sockets and open streams lock no one out --------------------------------------------------

def test_idle_connections_and_open_streams_do_not_lock_anyone_out(dl_bot):
    bot = QABot(dl_bot.settings.with_(request_timeout=2.0), embedder=dl_bot.embedder, log=lambda m: None)
    with running(bot) as url:
        port = int(url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(150)]
        half = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        for s in half:
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # a head never finished
        with httpx.Client(timeout=30) as client:
            streams = []
            for i in range(80):
                streams.append(client.stream("GET", f"{url}/gradio_api/heartbeat/{session()}").__enter__())
            try:
                ask = httpx.post(f"{url}/api/ask", json={"question": "what is dropout"}, timeout=30)
                assert ask.status_code == 200 and ask.json()["answered"]
                assert httpx.get(f"{url}/", timeout=30).status_code == 200
            finally:
                for s in streams:
                    s.close()
        # The server closes what never sent a whole request: recv sees the end of the stream.
        for s in idle[:3] + half[:3]:
            s.settimeout(30)
            assert s.recv(1024) == b""
        for s in idle + half:
            s.close()


def test_requests_in_flight_beyond_capacity_get_503_and_slow_bodies_time_out(dl_bot):
    bot = QABot(dl_bot.settings.with_(concurrency=1, queue_size=1, request_timeout=2.0),
                embedder=dl_bot.embedder, log=lambda m: None)
    with running(bot) as url:
        port = int(url.rsplit(":", 1)[1])
        slow = []
        for _ in range(2):  # two requests whose bodies never finish: both are in flight
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{")
            slow.append(s)
        busy = poll(lambda: (r := httpx.post(f"{url}/api/ask", json={"question": "dropout"},
                                             timeout=30)).status_code == 503 and r)
        assert busy.headers["retry-after"] and "busy" in busy.json()["detail"]
        for s in slow:  # each gets 408 once its body is late; then capacity is back
            s.settimeout(30)
            assert s.recv(4096).startswith(b"HTTP/1.1 408")
            s.close()
        assert httpx.post(f"{url}/api/ask", json={"question": "dropout"}).status_code == 200


# 4. Shutdown is bounded --------------------------------------------------------------------------

def test_shutdown_completes_while_clients_stay_connected(dl_settings, dl_bot):
    proc = ServeProcess(dl_settings.corpus, dl_settings.index, QABOT_SHUTDOWN_TIMEOUT="1")
    port = proc.port
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"question\": ")
    with httpx.Client(timeout=30) as client:
        beat = client.stream("GET", f"{proc.url}/gradio_api/heartbeat/{session()}").__enter__()
        proc.proc.send_signal(signal.SIGTERM)
        poll(lambda: proc.proc.poll() is not None, timeout=60)  # it waits at most 1 s for them
        beat.close()
    slow.close()
    assert proc.proc.returncode in (0, -signal.SIGTERM)


# 5. An unwritable data dir costs the logs, not the answers ---------------------------------------

def test_an_unwritable_data_dir_is_reported_once_and_answers_go_on(dl_bot, tmp_path):
    (tmp_path / "file").write_text("not a directory")
    said: list[str] = []
    bot = QABot(dl_bot.settings.with_(data_dir=tmp_path / "file" / "data", log_queries=True),
                embedder=dl_bot.embedder, log=said.append)
    with running(bot) as url:
        for question in ("what is dropout", "BN vs LN", "xavier init"):
            r = httpx.post(f"{url}/api/ask", json={"question": question})
            assert r.status_code == 200 and r.json()["answered"]
    assert bot.record_feedback({"helpful": True}) is False
    warnings = [m for m in said if "cannot write" in m]
    assert len(warnings) == 2 and "queries.jsonl" in warnings[0] and "feedback.jsonl" in warnings[1]


def test_logs_rotate_instead_of_growing_without_bound(tmp_path):
    log = JsonlLog(tmp_path / "queries.jsonl", 2_000, lambda m: None)
    for i in range(200):
        assert log.append({"question": f"question {i}", "score": 0.5})
    assert (tmp_path / "queries.jsonl").stat().st_size <= 2_000
    assert (tmp_path / "queries.jsonl.1").stat().st_size <= 2_000
    last = json.loads((tmp_path / "queries.jsonl").read_text().splitlines()[-1])
    assert last["question"] == "question 199"


# 6. A rebuild that cannot happen ----------------------------------------------------------------

def _in_mount_namespace(setup: str, command: str, env: dict) -> subprocess.CompletedProcess:
    """Runs shell `command` after `setup` (mounts) in a mount namespace of its own."""
    return subprocess.run(["unshare", "--mount", "sh", "-c", f"set -e\n{setup}\n{command}"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def test_a_stale_index_in_a_read_only_dir_is_served_with_a_warning(tmp_path, embedder):
    corpus = make_corpus(tmp_path / "corpus", DL_CORPUS)
    index = tmp_path / "index"
    QABot(Settings(corpus=corpus, index=index), embedder=embedder, log=lambda m: None)
    with (corpus / "deep-learning-basics.md").open("a") as f:
        f.write("\n\n### What is an edit made after indexing?\n\nA stale index.\n")
    result = _in_mount_namespace(f"mount --bind -o ro {index} {index}",
                                 f"{sys.executable} -m qabot.cli ask --json 'what is dropout'",
                                 {"QABOT_CORPUS": str(corpus), "QABOT_INDEX": str(index)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answered"] is True
    assert "out of date" in result.stderr and "cannot be rebuilt" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_full_disk_is_one_clear_line_and_leaves_no_temporary_builds(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", DL_CORPUS)
    index = tmp_path / "index"
    index.mkdir()
    ask = f"{sys.executable} -m qabot.cli ask 'what is dropout'"
    # Twice on the same full disk (a retry must not add a temporary build either), then a listing.
    result = _in_mount_namespace(
        f"mount -t tmpfs -o size=48k tmpfs {index}",
        f"for n in 1 2; do {ask} 2>{tmp_path}/err-$n && exit 9; echo $? >{tmp_path}/rc-$n; done; "
        f"ls -A {index}", {"QABOT_CORPUS": str(corpus), "QABOT_INDEX": str(index)})
    assert result.returncode == 0, result.stderr
    for n in (1, 2):
        assert (tmp_path / f"rc-{n}").read_text().strip() == "1"
        error = (tmp_path / f"err-{n}").read_text()
        assert "Traceback" not in error
        assert "cannot build the index" in error and "disk" in error
    assert not [name for name in result.stdout.split() if name.startswith((".tmp-", "build-"))]


def test_an_unreadable_notes_file_is_a_warning_and_the_rest_is_indexed(tmp_path):
    (tmp_path / "ok.md").write_text("## S\n\n### What is ok?\n\nFine.\n")
    (tmp_path / "secret.md").write_text("## S\n\n### What is hidden?\n\nNo.\n")
    (tmp_path / "secret.md").chmod(0)
    code = ("import json, sys; from qabot.corpus import load_corpus; c = load_corpus(sys.argv[1]); "
            "print(json.dumps([[x.question for x in c.chunks], list(c.warnings)]))")
    # Root reads any file; without its capabilities (as a service user) it cannot read this one.
    result = subprocess.run(["setpriv", "--bounding-set=-all", "--inh-caps=-all", sys.executable, "-c",
                             code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    questions, warnings = json.loads(result.stdout)
    assert questions == ["What is ok?"]
    assert any(w.startswith("secret.md: cannot be read (Permission denied)") for w in warnings)


# 7. A running server follows the notes ---------------------------------------------------------

def test_a_running_server_swaps_in_changed_notes(tmp_path, embedder):
    corpus = make_corpus(tmp_path / "corpus", DL_CORPUS)
    (corpus / "extra.md").write_text("## Extra\n\n### What is a zebra crossing?\n\nA striped road "
                                     "crossing for pedestrians.\n")
    bot = QABot(Settings(corpus=corpus, index=tmp_path / "index", watch_interval=0.2),
                embedder=embedder, log=lambda m: None)
    before = bot.ask("what is dropout").source.lines
    with running(bot) as url:
        import threading

        stop = threading.Event()
        bot.watch(0.2, stop)
        try:
            notes = corpus / "deep-learning-basics.md"
            text = notes.read_text()
            head, _, rest = text.partition("\n## ")
            edited = head + "\n\n" + "Added line.\n" * 5 + "\n## " + rest
            shift = edited.count("\n") - text.count("\n")
            notes.write_text(edited)
            (corpus / "extra.md").unlink()
            assert httpx.get(f"{url}/api/health").json()["fresh"] is False
            poll(lambda: httpx.get(f"{url}/api/health").json()["fresh"], timeout=120)
            body = httpx.post(f"{url}/api/ask", json={"question": "what is dropout"}).json()
            assert body["source"]["lines"] == [before[0] + shift, before[1] + shift]
            zebra = httpx.post(f"{url}/api/ask", json={"question": "what is a zebra crossing"}).json()
            assert zebra["answered"] is False
            health = httpx.get(f"{url}/api/health").json()
            assert health["chunks"] == len(load_corpus(corpus).chunks)
            assert health["built"].endswith("+00:00")
        finally:
            stop.set()


def test_a_server_picks_up_a_newer_index_built_by_another_process(tmp_path, embedder):
    corpus = make_corpus(tmp_path / "corpus", DL_CORPUS)
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    serving = QABot(settings, embedder=embedder, log=lambda m: None)
    assert serving.refresh() is False
    (corpus / "extra.md").write_text("## Extra\n\n### What is a zebra crossing?\n\nStripes.\n")
    QABot(settings, embedder=embedder, log=lambda m: None)  # `qabot index` elsewhere
    assert serving.refresh() is True
    assert serving.ask("what is a zebra crossing").answered


# 8. Settings are range-checked -------------------------------------------------------------------

@pytest.mark.parametrize("name, value", [
    ("THRESHOLD", "-1"), ("THRESHOLD", "2"), ("THRESHOLD", "nan"), ("CACHE_SIZE", "-1"),
    ("CONCURRENCY", "0"), ("QUEUE_SIZE", "-70"), ("TOP_K", "500"), ("MAX_QUERY_CHARS", "0"),
    ("MAX_BODY_BYTES", "-1"), ("CORS_ORIGINS", "*"), ("CORS_ORIGINS", "portal.example.edu"),
    ("PORT", "99999"), ("REQUEST_TIMEOUT", "0"), ("WATCH_INTERVAL", "inf"), ("ROOT_PATH", "qa"),
    ("MAX_SESSIONS", "0"),
])
def test_out_of_range_settings_are_refused_with_the_variable_named(name, value):
    with pytest.raises(SettingsError, match=f"QABOT_{name}"):
        Settings.from_env({f"QABOT_{name}": value})


def test_out_of_range_settings_stop_the_cli_in_one_line(tmp_path):
    result = subprocess.run([*QABOT, "ask", "dropout"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QABOT_THRESHOLD": "nan"}, cwd=tmp_path)
    assert result.returncode == 1 and "QABOT_THRESHOLD" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_valid_settings_are_kept():
    settings = Settings.from_env({"QABOT_THRESHOLD": "0.5", "QABOT_CORS_ORIGINS": "https://a.edu, "
                                  "http://127.0.0.1:8000", "QABOT_ROOT_PATH": "https://a.edu/qa"})
    assert settings.threshold == 0.5 and not math.isnan(settings.threshold)
    assert settings.cors_origins == ("https://a.edu", "http://127.0.0.1:8000")


# 9. The CLI's serve messages ------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--port", "99999"], "QABOT_PORT=99999 is out of range"),
    (["--host", "no-such-host.invalid"], "is not an address of this machine"),
    (["--host", "256.1.1.1"], "is not an address of this machine"),
])
def test_serve_with_a_bad_address_says_so_in_one_line(dl_settings, args, message):
    result = subprocess.run([*QABOT, "serve", *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QABOT_CORPUS": str(dl_settings.corpus),
                                 "QABOT_INDEX": str(dl_settings.index)})
    assert result.returncode == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_port_in_use_fails_before_saying_it_serves(dl_settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*QABOT, "serve", "--port", str(port)], capture_output=True, text=True,
                                timeout=120, env={**os.environ, "QABOT_CORPUS": str(dl_settings.corpus),
                                                  "QABOT_INDEX": str(dl_settings.index)})
    assert result.returncode == 1 and f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "serving" not in result.stderr and "Traceback" not in result.stderr


def test_serve_on_port_0_says_which_port_it_got(dl_settings):
    proc = subprocess.Popen([*QABOT, "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "QABOT_CORPUS": str(dl_settings.corpus),
                                 "QABOT_INDEX": str(dl_settings.index)})
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        while "serving" not in line and line:
            line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert port > 0
        assert poll(lambda: _ok(f"http://127.0.0.1:{port}/api/health"), timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


# 10. Headers, probes and odd inputs ---------------------------------------------------------------

@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/health", 200), ("PUT", "/api/ask", 405), ("GET", "/api/nowhere", 404),
    ("GET", "/", 200), ("POST", "/api/ask", 422),
])
def test_every_response_carries_the_security_headers(server, method, path, status):
    r = httpx.request(method, f"{server}{path}", json={} if method != "GET" else None)
    assert r.status_code == status
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["content-security-policy"].startswith("frame-ancestors")


def test_a_crash_inside_the_app_is_a_500_with_the_headers_and_no_traceback():
    async def broken(scope, receive, send):
        raise RuntimeError("boom")

    app = Guard(broken, max_body_bytes=1000, timeout=5, max_requests=4,
                headers={"x-content-type-options": "nosniff"}, methods={})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    import threading

    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        r = poll(lambda: _get(f"http://127.0.0.1:{port}/x"), timeout=30)
        assert r.status_code == 500 and r.headers["x-content-type-options"] == "nosniff"
        assert "boom" not in r.text and "Traceback" not in r.text
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


def test_the_page_config_that_reflects_the_host_is_never_cached(server):
    for path in ("/", "/config"):
        r = httpx.get(f"{server}{path}", headers={"host": "evil.example"})
        assert r.headers["cache-control"] == "no-store"


def test_a_public_url_setting_stops_the_host_reflection(dl_bot):
    bot = QABot(dl_bot.settings.with_(root_path="https://notes.example.edu/qa"),
                embedder=dl_bot.embedder, log=lambda m: None)
    with running(bot) as url:
        config = httpx.get(f"{url}/config", headers={"host": "evil.example"}).json()
        assert config["root"] == "https://notes.example.edu/qa"


def test_head_on_health_is_answered(server):
    assert httpx.head(f"{server}/api/health").status_code == 200


@pytest.mark.parametrize("question", ["\u200d" * 1000, "\ufeff" * 1000, "\u200b\u2060\u00ad "])
def test_invisible_characters_are_not_a_question(server, question):
    r = httpx.post(f"{server}/api/ask", json={"question": question})
    assert r.status_code == 422 and "the question is empty" in r.text


@pytest.mark.parametrize("liked, recorded", [(True, True), (False, False), ("no", None),
                                             ("yes", None), (1, None)])
def test_feedback_records_only_a_real_like_or_dislike(dl_bot, tmp_path, liked, recorded):
    bot = QABot(dl_bot.settings.with_(data_dir=tmp_path), embedder=dl_bot.embedder, log=lambda m: None)
    with running(bot) as url:
        deps = dependencies(url)
        chat_fn = next(d["id"] for d in deps if d.get("api_name") == "chat")
        like_fn = next(d["id"] for d in deps if d["targets"] and d["targets"][0][1] == "like")
        hash_ = session()
        join(url, chat_fn, ["what is a typical dropout rate?", None], hash_)
        assert messages(url, hash_, completed=1)[-1]["success"] is True
        join(url, like_fn, [None], hash_, {"index": 1, "value": "x", "liked": liked})
        assert messages(url, hash_, completed=1)[-1]["msg"] == "process_completed"
    path = tmp_path / "feedback.jsonl"
    if recorded is None:
        assert not path.exists()
    else:
        assert json.loads(path.read_text().splitlines()[-1])["helpful"] is recorded
