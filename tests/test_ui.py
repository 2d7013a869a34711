"""The Gradio chat through gradio_client against a real server, and the UI's pure helpers."""

from __future__ import annotations

import json
import time

import pytest
from gradio_client import Client
from gradio_raw import dependencies, join, messages, session

from qabot.ui import CLOSEST, EXAMPLES, escape, is_long


@pytest.fixture(scope="module")
def client(server):
    return Client(server + "/", verbose=False)


def chat(client: Client, message: str) -> list[dict]:
    """This turn's messages: the student's, then the bot's. The conversation of the client's session
    is kept on the server and grows with each turn."""
    _, history, _ = client.predict(message, api_name="/chat")
    last = max(i for i, m in enumerate(history) if m["role"] == "user")
    return history[last:]


def text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):  # Gradio 6 may send a list of {"type": "text"} blocks
        return "".join(block.get("text", "") for block in content if isinstance(block, dict))
    return content


def test_chat_answers_with_heading_marked_focus_source_and_link(client):
    history = chat(client, "what is a typical dropout rate?")
    assert history[0]["role"] == "user" and len(history) == 2
    answer = text(history[1])
    assert '<h2 class="qa-question">How do you handle overfitting in deep neural networks?</h2>' in answer
    assert '<mark class="qa-mark"><strong>Typical rate</strong>: 0.2-0.5</mark>' in answer
    assert "<summary>Source: deep-learning-basics.md, lines 105–" in answer
    assert "Deep Learning Basics: Interview Q&amp;A › 4. Overfitting Prevention › How do you handle" in answer
    assert 'href="notes/deep-learning-basics.md?lines=105-' in answer and ">Open in notes</a>" in answer
    # The expander no longer repeats the answer: the section's text is there once (plus the
    # hidden Markdown that "Copy answer" copies).
    assert answer.count("Typical rate") == 3  # excerpt, marked section, Markdown to copy
    assert '<pre class="qa-md" hidden>' in answer and "<mark" not in answer.split('class="qa-md"')[1]


def test_long_answers_show_the_passage_first(client):
    history = chat(client, "why do transformers use layer norm?")
    answer = text(history[1])
    assert answer.index("Best-matching passage") < answer.index('<div class="qa-body">')
    assert answer.index('<h2 class="qa-question">') < answer.index("Best-matching passage")


def test_chat_refuses_off_topic_with_suggestions(client):
    history = chat(client, "what is the capital of France?")
    assert "Not covered in these notes" in text(history[1])
    assert text(history[1]).count("<li>") == 3
    assert CLOSEST in text(history[1])


def test_chat_smalltalk_lists_topics(client):
    history = chat(client, "hello")
    assert "Topics:" in text(history[1]) and "Normalization" in text(history[1])
    assert "qa-smalltalk" in text(history[1])


def test_user_text_is_echoed_inert(client):
    history = chat(client, "<img src=x onerror=alert(1)> [x](javascript:alert(1))")
    assert "<img" not in text(history[0]) and "&lt;img src=x onerror=alert(1)&gt;" in text(history[0])
    assert "href" not in text(history[0])  # messages are HTML, never Markdown: no link is made


def test_concurrent_chats_run_at_once(server):
    # Four uncached questions joined back to back: with the chat's concurrency above 1, a second one
    # starts before the first has finished (Gradio's default of one at a time never overlaps them).
    chat_fn = next(d["id"] for d in dependencies(server) if d.get("api_name") == "chat")
    hash_ = session()
    for i in range(4):
        question = f"why would run {i} of my {i + 3}-layer network overfit? " * 40
        assert join(server, chat_fn, [question, None], hash_).status_code == 200
    order = [(m["msg"], m.get("event_id")) for m in messages(server, hash_, completed=4)
             if m.get("msg") in ("process_starts", "process_completed")]
    running, most = set(), 0
    for msg, event in order:
        if msg == "process_starts":
            running.add(event)
        else:
            running.discard(event)
        most = max(most, len(running))
    assert sum(msg == "process_completed" for msg, _ in order) == 4
    assert most >= 2, order


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
            from playwright.sync_api import expect

            expect(page.get_by_text("Thanks — your feedback was recorded.")).to_be_visible(timeout=30_000)
            deadline = time.monotonic() + 30
            while not (tmp_path / "feedback.jsonl").exists() and time.monotonic() < deadline:
                page.wait_for_timeout(50)  # polls the file the server writes
            browser.close()
    lines = (tmp_path / "feedback.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["helpful"] is True
    assert record["answer_id"] == "deep-learning-basics/how-do-you-handle-overfitting-in-deep-neural-networks"
    assert set(record) == {"question", "answer_id", "score", "helpful", "time"}


@pytest.mark.parametrize("raw, inert", [
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ('"><script>', "&quot;&gt;&lt;script&gt;"),
])
def test_escape(raw, inert):
    assert escape(raw) == inert


def test_long_means_more_than_a_screenful():
    assert is_long("line\n" * 20) and not is_long("- **Loss**: one point\n- **Cost**: all points")
    assert EXAMPLES == "Example questions"


def test_chat_answers_a_100_kb_message_from_a_truncated_query(client):
    history = chat(client, "layer normalization " * 5_000)
    assert "Question truncated" in text(history[1])
    assert "<summary>Source:" in text(history[1])


@pytest.mark.parametrize("message", ["", "   ", "\x00\x01\x02"])
def test_chat_rejects_empty_messages_with_a_clear_error(client, message):
    with pytest.raises(Exception, match="the question is empty"):
        chat(client, message)
