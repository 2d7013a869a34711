"""Real-browser tests: Playwright driving Debian's Chromium against real servers on 127.0.0.1.
Screenshots are saved to test-artifacts/."""

from __future__ import annotations

import pytest
from browser import screenshot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def ask(page: Page, question: str) -> None:
    before = page.locator(".bot.message").count()
    page.get_by_test_id("textbox").fill(question)
    page.locator(".submit-button").click()
    expect(page.locator(".bot.message")).not_to_have_count(before, timeout=30_000)


def test_chat_answers_with_source_and_related_questions(server, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    page.goto(server + "/")
    ask(page, "why do transformers use layer norm?")
    bot = page.locator(".bot.message")
    expect(bot.first).to_contain_text("Layer Normalization")
    expect(page.get_by_text("deep-learning-basics.md, lines 12–41")).to_be_visible()
    screenshot(page, "chat-answer")
    # Click a related question: its answer appears.
    related = page.locator("#related button, #related td, #related .gallery-item").first
    clicked = related.inner_text().strip()
    related.click()
    expect(page.locator(".bot.message").filter(has_text="Source:").last).to_contain_text(clicked[:30],
                                                                                       timeout=30_000)
    screenshot(page, "chat-related")
    ask(page, "what is the capital of France?")
    expect(page.locator(".bot.message").last).to_contain_text("Not covered in these notes")
    screenshot(page, "chat-not-covered")
    page.close()


def test_injected_markup_is_inert(server, browser):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/")
    ask(page, "<img src=x onerror=alert(1)> [x](javascript:alert(1)) <script>alert(2)</script>")
    assert dialogs == []
    assert page.locator(".message img[src='x']").count() == 0
    assert page.locator(".message a[href^='javascript']").count() == 0
    assert page.locator(".message script").count() == 0
    expect(page.locator(".user.message").last).to_contain_text("<img src=x onerror=alert(1)>")
    screenshot(page, "chat-injection-inert")
    page.close()
