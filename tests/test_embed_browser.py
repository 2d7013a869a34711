"""The embed kit in the real browser, from a second origin (a static server on another port), at 1280
and 390 px: /embed.js's bubble opens and answers, an inline chat's auto-height resizes its frame, a
data- colour shows in the chat, a refused origin reads a plain message, and examples/portal.html
(quick answers from answer_html, clickable suggestions) has no horizontal scroll on a phone.
Screenshots in test-artifacts/."""

from __future__ import annotations

import shutil

import pytest
from browser import screenshot
from conftest import ROOT
from playwright.sync_api import Page, expect
from servers import running, static_files

from qabot.bot import QABot

pytestmark = pytest.mark.browser

SIZES = [(1280, 900), (390, 844)]
PRIMARY = "#b45309"  # rgb(180, 83, 9)


@pytest.fixture(scope="module")
def site(dl_bot, tmp_path_factory):
    """(portal origin, the same pages from a refused origin, qabot's URL)."""
    pages = tmp_path_factory.mktemp("portal")
    shutil.copy(ROOT / "examples" / "portal.html", pages / "portal.html")
    with static_files(pages) as portal:
        bot = QABot(dl_bot.settings.with_(cors_origins=(portal,), frame_ancestors=("'self'", portal)),
                    embedder=dl_bot.embedder, log=lambda m: None)
        with running(bot) as url:
            # The portal's Content-Security-Policy as docs/portal.md gives it.
            csp = (f"default-src 'self'; script-src 'self' {url}; style-src 'self' {url}; "
                   f"frame-src {url}; connect-src 'self' {url}; img-src 'self' data:")
            (pages / "bubble.html").write_text(
                '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                'content="width=device-width, initial-scale=1"><title>Course</title>'
                f'<meta http-equiv="Content-Security-Policy" content="{csp}"></head><body><main>'
                "<h1>Course page</h1><p>Week 3 reading.</p></main>"
                f'<script src="{url}/embed.js" data-primary="{PRIMARY}" data-title="Ask the DL notes" '
                'data-theme="light" async></script></body></html>')
            (pages / "inline.html").write_text(
                '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                'content="width=device-width, initial-scale=1"><title>Course</title></head><body><main>'
                '<h1>Course page</h1><div id="chat"></div><p id="after">After the chat.</p></main>'
                f'<script src="{url}/embed.js" data-target="#chat" data-height="auto" '
                f'data-primary="{PRIMARY}" async></script></body></html>')
            refused = portal.replace("127.0.0.1", "localhost")
            yield portal, refused, url


def ask_in(frame, question: str) -> None:
    before = frame.locator("article.qa-answer").count()
    frame.locator("#qa-input textarea").fill(question)
    frame.locator("#qa-input textarea").press("Enter")
    expect(frame.locator("article.qa-answer")).to_have_count(before + 1, timeout=30_000)


def no_horizontal_scroll(page: Page, width: int) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width, height", SIZES)
def test_the_bubble_opens_and_answers_in_the_portals_colour(site, browser, width, height):
    portal, _, _ = site
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "qabot" in m.text or "Content Security" in m.text
            else None)
    page.goto(f"{portal}/bubble.html")
    bubble = page.get_by_role("button", name="Ask the DL notes")
    expect(bubble).to_have_css("background-color", "rgb(180, 83, 9)", timeout=30_000)
    bubble.click()
    expect(page.get_by_role("dialog", name="Ask the DL notes")).to_be_visible()
    frame = page.frame_locator("iframe.qabot-frame")
    ask_in(frame, "what is a typical dropout rate?")
    expect(frame.locator("article.qa-answer").last).to_contain_text("Typical rate")
    # The portal's colour is the chat's primary colour.
    expect(frame.locator("#qa-input .submit-button")).to_have_css("background-color", "rgb(180, 83, 9)")
    expect(frame.locator("#qa-header p")).to_be_hidden()  # compact: no header
    screenshot(page, f"embed-bubble-{width}")
    assert no_horizontal_scroll(page, width)
    page.get_by_role("button", name="Close Ask the DL notes").click()
    expect(page.get_by_role("dialog", name="Ask the DL notes")).to_be_hidden()
    assert errors == []
    page.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_auto_height_resizes_the_inline_frame(site, browser, width, height):
    portal, _, _ = site
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{portal}/inline.html")
    iframe = page.locator("#chat iframe")
    frame = page.frame_locator("#chat iframe")
    expect(frame.locator("#qa-input textarea")).to_be_visible(timeout=30_000)
    expect(iframe).to_have_attribute("data-qabot-ready", "1")
    before = iframe.bounding_box()["height"]
    ask_in(frame, "why do transformers use layer norm?")
    page.wait_for_function(
        "(h) => document.querySelector('#chat iframe').getBoundingClientRect().height > h + 200",
        arg=before, timeout=30_000)
    # The frame is as tall as the chat: one scrollbar (the portal's), none inside the frame.
    inner = frame.locator("html")
    page.wait_for_function(
        """() => { const f = document.querySelector('#chat iframe');
                   return Math.abs(f.getBoundingClientRect().height - parseFloat(f.style.height)) < 2; }""")
    assert inner.evaluate("(e) => e.scrollHeight <= e.clientHeight + 2")
    expect(frame.locator("#related")).to_be_visible()
    screenshot(page, f"embed-inline-autoheight-{width}")
    assert no_horizontal_scroll(page, width)
    page.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_a_refused_origin_reads_who_must_allow_what(site, browser, width, height):
    _, refused, url = site
    page = browser.new_page(viewport={"width": width, "height": height})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{refused}/bubble.html")
    page.get_by_role("button", name="Ask the DL notes").click()
    message = page.locator(".qabot-refused")
    expect(message).to_be_visible(timeout=30_000)
    expect(message).to_contain_text(f"does not allow pages from {refused}")
    expect(message).to_contain_text("QABOT_FRAME_ANCESTORS")
    expect(message).to_contain_text("localhost and 127.0.0.1 are different")
    assert any("QABOT_FRAME_ANCESTORS" in line and refused in line for line in console), console
    screenshot(page, f"embed-refused-{width}")
    page.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_the_portal_sample_answers_with_answer_html_and_fits_a_phone(site, browser, width, height):
    portal, _, url = site
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{portal}/portal.html?bot={url}")
    expect(page.get_by_role("button", name="Ask the notes")).to_be_visible()  # the bubble
    page.locator("#question").fill("batch norm formula mean variance")
    page.locator("#ask").click()
    answer = page.locator("#answer")
    expect(answer.locator("h3")).to_contain_text("batch normalization", timeout=30_000)
    expect(answer.locator("math").first).to_be_attached()
    expect(answer.locator("mark.qa-mark, .qa-focus").first).to_be_visible()
    nested = answer.locator("ul ul")  # nested bullets stay nested, not renumbered
    expect(nested.first).to_be_visible()
    expect(page.locator("#source a")).to_have_attribute(
        "href", f"{url}/notes/deep-learning-basics.md?lines=12-41"
        "#what-is-the-difference-between-batch-normalization-and-layer-normalization")
    screenshot(page, f"portal-answer-{width}")
    assert no_horizontal_scroll(page, width)
    # Not covered: the suggestions are buttons that ask.
    page.locator("#question").fill("what is the capital of France?")
    page.locator("#ask").click()
    first = answer.get_by_role("button").first
    expect(first).to_be_visible(timeout=30_000)
    chosen = first.inner_text()
    first.click()
    expect(answer.locator("h3")).to_have_text(chosen, timeout=30_000)
    # Small talk gets the reply, no notes.
    page.locator("#question").fill("hi there")
    page.locator("#ask").click()
    expect(answer).to_contain_text("I answer questions from these study notes", timeout=30_000)
    assert no_horizontal_scroll(page, width)
    screenshot(page, f"portal-smalltalk-{width}")
    assert errors == []
    page.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_the_portal_says_when_the_api_refuses_its_origin(site, browser, width, height):
    _, refused, url = site
    page = browser.new_page(viewport={"width": width, "height": height})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{refused}/portal.html?bot={url}")
    page.locator("#question").fill("what is dropout?")
    page.locator("#ask").click()
    status = page.locator("#status")
    expect(status).to_contain_text("QABOT_CORS_ORIGINS", timeout=30_000)
    expect(status).to_contain_text(refused)
    assert any("QABOT_CORS_ORIGINS" in line for line in console)
    assert no_horizontal_scroll(page, width)
    screenshot(page, f"portal-refused-{width}")
    page.close()
