"""Conversations: follow-ups that lean on the previous turn, in the core, the JSON API, the terminal
chat, `qabot eval` and the real browser."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from browser import launch, screenshot
from playwright.sync_api import expect, sync_playwright

from qabot.conversation import content, leans, switches

XAVIER = "What is Xavier Initialization (aka Glorot Initialization)?"


@pytest.mark.parametrize("message, leaning", [
    ("and for relu?", True), ("what about dropout?", True), ("why?", True),
    ("can you give me an example?", True), ("how is that different from dropout?", True),
    ("why does it help?", True), ("the disadvantages?", True),
    ("how does batch normalization differ from layer normalization?", False),
    ("what is the vanishing gradient problem in deep networks?", False),
])
def test_a_turn_leans_on_the_conversation_only_when_it_says_so(message, leaning):
    assert leans(message) is leaning


@pytest.mark.parametrize("message, switching", [
    ("unrelated but what is cycle stealing?", True), ("btw how do i stop overfitting?", True),
    ("different q: what is dropout", True), ("ok, switching topics: what is dropout?", True),
    ("by the way, why?", True), ("and for relu?", False), ("what is a new topic model?", False),
])
def test_a_turn_that_announces_a_new_topic_switches(message, switching):
    assert switches(message) is switching


def test_a_switch_cue_keeps_a_turn_from_leaning(dl_bot):
    history = ["what's xavier init?"]
    assert dl_bot.converse("but why do gradients vanish?", history).chunk.question == XAVIER
    result = dl_bot.converse("unrelated, but why do gradients vanish?", history)
    assert result.chunk.question.startswith("How do vanishing and exploding gradients occur")
    assert result.answer.context is None


def test_content_words_leave_out_pointers_and_requests():
    assert content("can you give me an example of it?") == []
    assert content("and for relu?") == ["relu"]


def test_a_follow_up_is_answered_from_the_last_topic_with_its_part_focused(dl_bot):
    result = dl_bot.converse("and for relu?", ["what's xavier init?", "thanks!"])
    assert result.chunk is not None and result.chunk.question == XAVIER
    assert "2/n_in" in result.answer.focus
    assert result.answer.context == XAVIER and XAVIER in result.answer.resolved
    alone = dl_bot.converse("and for relu?")  # the same words with no conversation
    assert alone.answer.context is None and alone.chunk is None or alone.chunk.question != XAVIER


def test_a_chain_of_follow_ups_keeps_its_topic(dl_bot):
    history = ["what's xavier init?", "and for relu?", "ok cool"]
    result = dl_bot.converse("why does it matter?", history)
    assert result.chunk is not None and result.chunk.question == XAVIER


def test_a_follow_up_about_something_the_notes_never_write_is_not_covered(dl_bot):
    result = dl_bot.converse("what about group normalization?",
                             ["what's the difference between batch norm and layer norm?"])
    assert not result.answer.answered and result.answer.kind == "not_covered"
    assert result.answer.context.startswith("What is the difference between batch normalization")
    assert result.unmentioned == ("group normalization",) and len(result.answer.related) == 3


def test_a_turn_refused_alone_that_names_part_of_the_topic_is_read_against_it(dl_bot):
    result = dl_bot.converse("what happens if the weights start too large?", ["what's xavier init?"])
    assert result.chunk is not None and result.chunk.question == XAVIER
    assert dl_bot.converse("what happens if the weights start too large?").chunk is None  # alone


@pytest.mark.parametrize("message", ["what is lecun initialization?", "how does group normalization work?",
                                     "how does the learning rate schedule work?"])
def test_a_new_question_the_notes_do_not_answer_is_not_given_the_topic(dl_bot, message):
    result = dl_bot.converse(message, ["what's xavier init?", "and what about batch norm vs layer norm?"])
    assert result.chunk is None and result.answer.kind == "not_covered"


def test_a_topic_switch_is_never_captured(dl_bot):
    result = dl_bot.converse("how do you handle overfitting in a deep network?", ["what's xavier init?"])
    assert result.chunk.question == "How do you handle overfitting in deep neural networks?"
    assert result.answer.context is None


@pytest.mark.parametrize("message", ["thanks!", "ok got it", "hi there", "what can you do?",
                                     "ah ok no worries", "good to know", "coool thanks",
                                     "ahh i've definitely been doing that", "you're a lifesaver",
                                     "ok nvm, thanks anyway", "oof that sounds bad",
                                     "sweet, that clears it up", "wait that's wild",
                                     "nice, thats exactly how my prof explained it"])
def test_small_talk_mid_conversation_gets_the_reply_and_is_never_the_topic(dl_bot, message):
    result = dl_bot.converse(message, ["what's xavier init?"])
    assert result.answer.kind == "smalltalk" and result.answer.reply == dl_bot.smalltalk(message)
    assert result.chunk is None


@pytest.mark.parametrize("message, reply", [
    ("hey! got a deep learning exam tmrw", "Hi!"), ("hello! interview prep time", "Hi!"),
    ("thanks for the help earlier! one more", "welcome"),
    ("ok brain full, taking a break", "Ask me anything else"),
    ("huh didnt know that, neat", "Ask me anything else"),
])
def test_a_greeting_or_thanks_before_what_the_notes_do_not_answer_is_small_talk(dl_bot, message,
                                                                                  reply):
    assert dl_bot.smalltalk(message) is None  # not small talk by its words alone
    result = dl_bot.converse(message)
    assert result.answer.kind == "smalltalk" and reply in result.answer.reply
    assert result.chunk is None and dl_bot.ask(message).kind == "smalltalk"


@pytest.mark.parametrize("message", ["hi, dropout regularization", "hey, what is dropout",
                                     "ok now dropout regularization"])
def test_a_greeting_before_what_the_notes_answer_is_a_question(dl_bot, message):
    result = dl_bot.converse(message)
    assert result.answer.answered
    assert result.chunk.question == "How do you handle overfitting in deep neural networks?"


@pytest.mark.parametrize("message", ["ok i'll try it myself then", "nice, i've used that before",
                                     "thanks for the help earlier! one more"])
def test_a_reaction_with_a_pronoun_does_not_lean_on_the_topic(dl_bot, message):
    result = dl_bot.converse(message, ["what's xavier init?"])
    assert result.answer.kind == "smalltalk" and result.chunk is None
    for follow_up in ("nice, and for relu?", "thanks. and for relu"):
        assert dl_bot.converse(follow_up, ["what's xavier init?"]).chunk.question == XAVIER


@pytest.mark.parametrize("message", ["ok and how does group normalization work",
                                     "ok but how do i use group normalization"])
def test_a_reaction_that_goes_on_asking_is_not_small_talk(dl_bot, message):
    result = dl_bot.converse(message, ["batch norm vs layer norm?"])
    assert result.answer.kind == "not_covered"


def test_the_api_reads_history(server):
    body = httpx.post(f"{server}/api/ask", json={"question": "and for relu?",
                                                 "history": ["what's xavier init?", "thanks!"]}).json()
    assert body["answered"] and body["source"]["question"] == XAVIER and "2/n_in" in body["focus"]
    assert body["context"] == XAVIER and body["resolved"] != body["question"]
    alone = httpx.post(f"{server}/api/ask", json={"question": "what is dropout"}).json()
    assert alone["context"] is None and alone["resolved"] == alone["question"]


@pytest.mark.parametrize("history", [
    "what's xavier init?", [1, 2], [None], ["x" * 2_001], ["hi"] * 21, {"a": "b"},
])
def test_bad_history_is_a_clear_422(server, history):
    r = httpx.post(f"{server}/api/ask", json={"question": "and for relu?", "history": history})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "history"]


def test_qabot_chat_is_a_conversation_in_the_terminal(dl_settings, dl_bot):
    result = subprocess.run([sys.executable, "-m", "qabot.cli", "chat"], capture_output=True, text=True,
                            input="what's xavier init?\nthanks!\nand for relu?\n", timeout=300,
                            env={**os.environ, "QABOT_CORPUS": str(dl_settings.corpus),
                                 "QABOT_INDEX": str(dl_settings.index)})
    assert result.returncode == 0, result.stderr
    assert "You're welcome!" in result.stdout
    assert f"(about: {XAVIER})" in result.stdout and result.stdout.count("W ~ N(0, 2/n_in)") == 2


def test_qabot_eval_scores_conversations_by_turn_type(dl_settings, dl_bot, tmp_path):
    turns = [[("what's xavier init?", "first", XAVIER), ("thanks!", "smalltalk", None),
              ("and for relu?", "followup", XAVIER), ("what about group normalization?", "uncovered", None)],
             [("hi there", "smalltalk", None),
              ("how do you handle overfitting in a deep network?", "first",
               "How do you handle overfitting in deep neural networks?"),
              ("what's xavier init?", "switch", XAVIER)]]
    path = tmp_path / "conversations.jsonl"
    path.write_text("".join(json.dumps({"turns": [{"q": q, "type": t, "expected": e} for q, t, e in c]})
                            + "\n" for c in turns))
    result = subprocess.run([sys.executable, "-m", "qabot.cli", "eval", "--json", str(path)],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "QABOT_CORPUS": str(dl_settings.corpus),
                                 "QABOT_INDEX": str(dl_settings.index)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["conversations"] == 2
    assert report["counts"] == {"first": 2, "followup": 1, "switch": 1, "uncovered": 1, "smalltalk": 2}
    assert report["right"] == {t: 1.0 for t in report["counts"]}


@pytest.mark.browser
def test_a_follow_up_in_the_browser(server):
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server + "/")
        box = page.locator("#qa-input textarea")
        expect(box).to_be_visible(timeout=30_000)
        for question in ("what's xavier init?", "thanks!", "and for relu?",
                         "what about group normalization?"):
            before = page.locator("article.qa-answer").count()
            box.fill(question)
            box.press("Enter")
            expect(page.locator("article.qa-answer")).to_have_count(before + 1, timeout=30_000)
            if question == "and for relu?":
                answer = page.locator("article.qa-answer").last
                expect(answer.locator("h2.qa-question")).to_have_text(XAVIER)
                expect(answer.locator(".qa-focus").first).to_contain_text("2/n_in")
                screenshot(page, "conversation-follow-up")
        last = page.locator("article.qa-answer").last
        expect(last).to_have_class("qa-answer qa-not-covered")
        expect(last).to_contain_text("group normalization")
        screenshot(page, "conversation-not-covered")
        browser.close()
