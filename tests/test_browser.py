"""Real-browser tests: Playwright driving Debian's Chromium against real servers on 127.0.0.1.
Screenshots are saved to test-artifacts/."""

from __future__ import annotations

import pytest
from browser import launch, screenshot
from conftest import ROOT
from playwright.sync_api import Page, expect, sync_playwright
from servers import running, static_files

from qabot.bot import QABot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


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


def test_portal_page_from_another_origin_embeds_bot_and_calls_api(dl_bot: QABot, browser):
    with static_files(ROOT / "examples") as portal:
        bot = QABot(dl_bot.settings.with_(cors_origins=(portal,), frame_ancestors=("'self'", portal)),
                    embedder=dl_bot.embedder, log=lambda m: None)
        with running(bot) as url:
            page = browser.new_page(viewport={"width": 1300, "height": 1500})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{portal}/portal.html?bot={url}")
            # The page's own JavaScript calls /api/ask cross-origin and renders the Markdown safely.
            page.locator("#question").fill("why do transformers use layer norm?")
            page.locator("#ask").click()
            expect(page.locator("#answer")).to_contain_text("Layer Normalization", timeout=30_000)
            expect(page.locator("#source")).to_contain_text("deep-learning-basics.md")
            assert page.locator("#answer h4").count() >= 2 and page.locator("#answer ul").count() >= 1
            # The embedded iframe chat answers too.
            frame = page.frame_locator("#bot-frame")
            frame.get_by_test_id("textbox").fill("what is a typical dropout rate?")
            frame.locator(".submit-button").click()
            expect(frame.locator(".bot.message").first).to_contain_text("0.2-0.5", timeout=30_000)
            screenshot(page, "portal")
            assert errors == []
            page.close()
