"""The Gradio chat through gradio_client against a real server, and the UI's pure helpers."""

from __future__ import annotations

import json
import threading

import pytest
from gradio_client import Client

from qabot.ui import escape, mark_focus


@pytest.fixture(scope="module")
def client(server):
    return Client(server + "/", verbose=False)


def chat(client: Client, message: str) -> list[dict]:
    _, history, _ = client.predict(message, [], api_name="/chat")  # gr.State is not part of the API
    return history


def text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):  # Gradio 6 may send a list of {"type": "text"} blocks
        return "".join(block.get("text", "") for block in content if isinstance(block, dict))
    return content


def test_chat_answers_with_marked_focus_and_collapsible_source(client):
    history = chat(client, "what is a typical dropout rate?")
    assert history[0]["role"] == "user"
    answer, source = history[1], history[2]
    assert "<mark>**Typical rate**: 0.2-0.5</mark>" in text(answer)
    assert source["metadata"]["title"].startswith(
        "Source: Deep Learning Basics: Interview Q&A › 4. Overfitting Prevention › How do you handle")
    assert "deep-learning-basics.md, lines 105–" in source["metadata"]["title"]
    assert source["metadata"]["status"] == "done"


def test_chat_refuses_off_topic_with_suggestions(client):
    history = chat(client, "what is the capital of France?")
    assert text(history[1]).startswith("**Not covered in these notes.**")
    assert text(history[1]).count("\n- ") == 3


def test_chat_smalltalk_lists_topics(client):
    history = chat(client, "hello")
    assert "Topics:" in text(history[1]) and "Normalization" in text(history[1])


def test_user_text_is_echoed_inert(client):
    history = chat(client, "<img src=x onerror=alert(1)> [x](javascript:alert(1))")
    assert "<img" not in text(history[0]) and "](javascript" not in text(history[0])


def test_concurrent_chats_run_at_once(server):
    results: list[str] = []

    def one(question: str) -> None:
        results.append(text(chat(Client(server + "/", verbose=False), question)[1]))

    threads = [threading.Thread(target=one, args=(q,)) for q in ("BN vs LN", "glorot init", "dropout")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 3


def test_feedback_is_logged_when_a_data_dir_is_set(dl_bot, tmp_path):
    from servers import running

    from qabot.bot import QABot

    bot = QABot(dl_bot.settings.with_(data_dir=tmp_path), embedder=dl_bot.embedder, log=lambda m: None)
    with running(bot) as url:
        from browser import launch
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page()
            page.goto(url + "/")
            page.get_by_test_id("textbox").fill("what is a typical dropout rate?")
            page.locator(".submit-button").click()
            page.locator(".bot.message").first.wait_for()
            page.locator("button[aria-label='Like']").first.click()
            page.wait_for_timeout(1000)
            browser.close()
    lines = (tmp_path / "feedback.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["helpful"] is True
    assert record["answer_id"] == "deep-learning-basics/how-do-you-handle-overfitting-in-deep-neural-networks"
    assert set(record) == {"question", "answer_id", "score", "helpful", "time"}


@pytest.mark.parametrize("raw, inert", [
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert\\(1\\)&gt;"),
    ("[x](javascript:alert(1))", "\\[x\\]\\(javascript:alert\\(1\\)\\)"),
])
def test_escape(raw, inert):
    assert escape(raw) == inert


def test_mark_focus_keeps_list_markers():
    answer = "intro\n\n   - **Typical rate**: 0.2-0.5\n   - other"
    assert mark_focus(answer, "   - **Typical rate**: 0.2-0.5") == (
        "intro\n\n   - <mark>**Typical rate**: 0.2-0.5</mark>\n   - other")
    assert mark_focus(answer, None) == answer


def test_chat_answers_a_100_kb_message_from_a_truncated_query(client):
    history = chat(client, "layer normalization " * 5_000)
    assert "Question truncated" in text(history[1])
    assert history[2]["metadata"]["title"].startswith("Source:")


@pytest.mark.parametrize("message", ["", "   ", "\x00\x01\x02"])
def test_chat_rejects_empty_messages_with_a_clear_error(client, message):
    with pytest.raises(Exception, match="the question is empty"):
        chat(client, message)
