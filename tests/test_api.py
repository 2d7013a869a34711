"""The JSON API against a real server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import httpx
import pytest
from servers import running

from qabot.bot import QABot

KEYS = {"question", "kind", "answered", "answer", "answer_html", "reply", "score", "source", "focus",
        "related", "resolved", "context"}


def test_in_scope_question_gets_answer_and_source(server):
    r = httpx.post(f"{server}/api/ask", json={"question": "why do transformers use layer norm?"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == KEYS and body["answered"] is True
    assert body["source"]["question"].startswith("What is the difference between batch normalization")
    assert body["source"]["lines"] == [12, 41] and body["source"]["file"] == "deep-learning-basics.md"
    assert "#### Layer Normalization" in body["answer"]


def test_off_topic_question_is_refused_with_suggestions(server):
    body = httpx.post(f"{server}/api/ask", json={"question": "what is the capital of France?"}).json()
    assert body["answered"] is False and body["answer"] is None and len(body["related"]) == 3
    assert body["kind"] == "not_covered" and body["answer_html"] is None and body["reply"] is None


def test_answer_html_is_the_rendered_answer_with_the_focus_marked(server):
    body = httpx.post(f"{server}/api/ask", json={"question": "what is a typical dropout rate?"}).json()
    assert body["kind"] == "answer"
    html = body["answer_html"]
    assert '<mark class="qa-mark"><strong>Typical rate</strong>: 0.2-0.5</mark>' in html
    assert 'class="qa-focus"' in html and "<script" not in html
    assert body["source"]["url"] == ("/notes/deep-learning-basics.md?lines=" + "-".join(
        map(str, body["source"]["lines"])) + "#" + body["source"]["anchor"])
    math = httpx.post(f"{server}/api/ask", json={"question": "batch norm formula mean variance"}).json()
    assert "<math" in math["answer_html"] and "$\\mu_B$" in math["answer"]


@pytest.mark.parametrize("message", ["hi there", "thanks!", "what can you do?", "Hello", "thank you"])
def test_small_talk_gets_the_chat_reply_and_no_notes_answer(server, dl_bot, message):
    body = httpx.post(f"{server}/api/ask", json={"question": message}).json()
    assert set(body) == KEYS
    assert body["kind"] == "smalltalk" and body["reply"] == dl_bot.smalltalk(message)
    assert body["answered"] is False and body["answer"] is None and body["answer_html"] is None
    assert body["source"] is None and body["related"] == [] and body["focus"] is None


def test_a_question_after_a_greeting_is_a_question(server):
    body = httpx.post(f"{server}/api/ask", json={"question": "hi, what is dropout?"}).json()
    assert body["kind"] == "answer" and body["answered"] is True


@pytest.mark.parametrize("top_k", [5, 5.0])  # JSON Schema: 5.0 is an integer
def test_top_k(server, top_k):
    body = httpx.post(f"{server}/api/ask", json={"question": "dropout", "top_k": top_k}).json()
    assert len(body["related"]) == 5


@pytest.mark.parametrize("payload, status", [
    ({"q": "missing field"}, 422),
    ({"question": 42}, 422),
    ({"question": "x", "top_k": "many"}, 422),
    ({"question": "x", "top_k": 99}, 422),
    ({"question": "x", "top_k": "3"}, 422),
    ({"question": "x", "top_k": True}, 422),
    ({"question": "x", "top_k": 2.5}, 422),
    ({"question": "   "}, 422),
    ({"question": "\x00\x01"}, 422),
    ({"question": "\u200f"}, 422),  # a direction mark alone is invisible: no question
])
def test_bad_bodies_get_clear_4xx(server, payload, status):
    r = httpx.post(f"{server}/api/ask", json=payload)
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    if payload.get("question") in ("   ", "\x00\x01", "\u200f"):
        assert "the question is empty" in r.text


def test_lone_surrogate_is_a_clear_422_not_an_echo(server):
    # A valid JSON escape but no text; FastAPI's default 422 echoed it back and failed to encode it.
    r = httpx.post(f"{server}/api/ask", content=b'{"question": "\\ud800"}',
                   headers={"content-type": "application/json"})
    assert r.status_code == 422 and "valid string" in r.json()["detail"][0]["msg"]
    assert "input" not in r.json()["detail"][0]


@pytest.mark.parametrize("question", ["\ue000", "ℵ", "🎉"])
def test_any_visible_character_is_a_question(server, question):
    body = httpx.post(f"{server}/api/ask", json={"question": question}).json()
    assert body["answered"] is False and len(body["related"]) == 3


@pytest.mark.parametrize("content", [b"{not json", b'{"question": "caf\xe9"}', b"\xff\xfe\x00"])
def test_malformed_bytes_are_4xx_not_500(server, content):
    r = httpx.post(f"{server}/api/ask", content=content, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text


def test_body_over_the_limit_is_413(server):
    r = httpx.post(f"{server}/api/ask", json={"question": "x" * 300_000})
    assert r.status_code == 413


def test_100_kb_question_is_answered_from_a_truncated_query(server):
    body = httpx.post(f"{server}/api/ask", json={"question": "layer normalization " * 5_000}).json()
    assert body["answered"] is True and len(body["question"]) <= 1000


def test_topics_health_and_docs(server):
    topics = httpx.get(f"{server}/api/topics").json()
    assert topics["6. Terminology"] == ["Loss vs. Cost", "Transfer Learning vs Fine-Tuning"]
    health = httpx.get(f"{server}/api/health").json()
    assert health["status"] == "ok" and health["chunks"] == 8
    assert httpx.get(f"{server}/api/docs").status_code == 200
    spec = httpx.get(f"{server}/api/openapi.json").json()
    assert "/api/ask" in spec["paths"]
    response = spec["components"]["schemas"]["AskResponse"]
    assert response["properties"]["kind"]["enum"] == ["answer", "not_covered", "smalltalk"]
    assert {"answer_html", "reply", "kind"} <= set(response["required"])
    assert "url" in spec["components"]["schemas"]["SourceModel"]["properties"]


def test_api_docs_load_nothing_from_another_host(server):
    page = httpx.get(f"{server}/api/docs").text
    assert "cdn" not in page.lower() and "https://" not in page and "http://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
        assert f"/api/docs/{asset}" in page
        r = httpx.get(f"{server}/api/docs/{asset}")
        assert r.status_code == 200 and len(r.content) > 1000


@pytest.mark.parametrize("path", ["/api/health", "/", "/config", "/gradio_api/info"])
def test_no_cors_grant_by_default_and_framing_policy(server, path):
    r = httpx.get(f"{server}{path}", headers={"Origin": "http://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["content-security-policy"] == "frame-ancestors 'self'"


def test_listed_origin_gets_cors_and_unlisted_does_not(dl_bot: QABot):
    portal = "http://portal.example"
    bot = QABot(dl_bot.settings.with_(cors_origins=(portal,)), embedder=dl_bot.embedder,
                log=lambda m: None)
    with running(bot) as url:
        for path in ("/api/health", "/config"):
            ok = httpx.get(f"{url}{path}", headers={"Origin": portal})
            assert ok.headers["access-control-allow-origin"] == portal
            bad = httpx.get(f"{url}{path}", headers={"Origin": "http://other.example"})
            assert "access-control-allow-origin" not in bad.headers
        preflight = httpx.options(f"{url}/api/ask", headers={
            "Origin": portal, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == portal


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/file=/etc/passwd", "/gradio_api/file=/etc/passwd",
                                  "/static/../../../../etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd"])
def test_no_files_outside_static_assets(server, path):
    r = httpx.get(f"{server}{path}")
    assert "root:x:0:0" not in r.text
