"""The chat in the real browser (Chromium via Playwright, against a real server on 127.0.0.1): axe-core
in every state, light and dark, at 1280×900 and 390×844; each new answer's heading and highlight in
view; keyboard focus after a suggestion; Copy; the notes viewer from the Source link; offline API
docs. Screenshots of each state go to test-artifacts/."""

from __future__ import annotations

import json

import pytest
from browser import axe, screenshot, serious
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SIZES = [(1280, 900), (390, 844)]
SCHEMES = ["light", "dark"]


def open_chat(browser, server: str, width: int, height: int, scheme: str, **options) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme, **options)
    page.goto(f"{server}/?__theme={scheme}")
    expect(page.locator("#qa-input textarea")).to_be_visible(timeout=30_000)
    return page


def ask(page: Page, question: str) -> None:
    before = page.locator("article.qa-answer").count()
    page.locator("#qa-input textarea").fill(question)
    page.locator("#qa-input textarea").press("Enter")
    expect(page.locator("article.qa-answer")).to_have_count(before + 1, timeout=30_000)


def in_view(page: Page, locator) -> bool:
    """Whether the element's box is inside the window and inside the chat's scrolling area."""
    return page.evaluate("""(el) => {
        const r = el.getBoundingClientRect();
        let box = {top: 0, bottom: window.innerHeight};
        for (let p = el.parentElement; p; p = p.parentElement) {
            const s = getComputedStyle(p);
            if (/(auto|scroll)/.test(s.overflowY) && p.scrollHeight > p.clientHeight) {
                const q = p.getBoundingClientRect();
                box = {top: Math.max(box.top, q.top), bottom: Math.min(box.bottom, q.bottom)};
            }
        }
        return r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    }""", locator.element_handle())


@pytest.mark.parametrize("width, height", SIZES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_nothing_serious_in_any_state(server, browser, width, height, scheme):
    page = open_chat(browser, server, width, height, scheme)
    report: dict[str, list] = {}
    report["empty"] = axe(page)
    screenshot(page, f"chat-empty-{width}-{scheme}")
    ask(page, "what is a typical dropout rate?")
    answer = page.locator("article.qa-answer").last
    answer.locator("details.qa-source summary").click()
    expect(answer.locator("details.qa-source dl")).to_be_visible()
    report["answer-source-open"] = axe(page)
    screenshot(page, f"chat-answer-{width}-{scheme}")
    ask(page, "what is the capital of France?")
    expect(page.locator("article.qa-not-covered")).to_be_visible()
    report["not-covered"] = axe(page)
    screenshot(page, f"chat-not-covered-{width}-{scheme}")
    page.close()
    print(json.dumps({state: [(v["id"], v["impact"]) for v in found] for state, found in report.items()}))
    assert {state: serious(found) for state, found in report.items()} == {state: [] for state in report}


@pytest.mark.parametrize("width, height", SIZES)
def test_each_new_answer_starts_in_view_with_its_highlight(server, dl_bot, browser, width, height):
    # One question per section of the default notes, asked one after another in the same chat.
    sections: dict[str, str] = {}
    for chunk in dl_bot.chunks:
        sections.setdefault(chunk.section or chunk.title, chunk.question)
    page = open_chat(browser, server, width, height, "light")
    shown = 0
    for section, question in sections.items():
        ask(page, question)
        answer = page.locator("article.qa-answer").last
        heading = answer.locator("h2.qa-question")
        expect(heading).to_have_text(question)
        assert in_view(page, heading), f"{section}: the heading is off screen"
        highlight = answer.locator("mark.qa-mark, .qa-focus").first
        if dl_bot.ask(question).focus is not None:
            shown += 1
            assert in_view(page, highlight), f"{section}: the highlight is off screen"
    screenshot(page, f"chat-last-section-{width}")
    assert shown >= len(sections) // 2
    page.close()


def test_the_chat_fills_the_window(server, browser):
    page = open_chat(browser, server, 1280, 900, "light")
    box = page.locator("#qa-chat").bounding_box()
    assert box is not None and box["height"] > 450
    page_height = page.evaluate("() => document.documentElement.scrollHeight")
    assert page_height <= 900 + 1  # no empty band below, no page scroll
    page.close()


def test_focus_returns_to_the_question_box_after_a_suggestion(server, browser):
    page = open_chat(browser, server, 1280, 900, "light")
    chip = page.locator("#related .gallery-item").first
    chip.focus()
    page.keyboard.press("Enter")
    expect(page.locator("article.qa-answer")).to_have_count(1, timeout=30_000)
    expect(page.locator("#qa-input textarea")).to_be_focused(timeout=10_000)
    expect(page.locator("#related")).to_contain_text("Related questions")
    page.close()


def test_example_questions_are_labelled_as_examples_and_shown_whole(server, browser):
    page = open_chat(browser, server, 390, 844, "light")
    related = page.locator("#related")
    expect(related).to_contain_text("Example questions")
    expect(related).not_to_contain_text("Related questions")
    first = related.locator(".gallery-item").first
    expect(first).to_have_text("What is the difference between batch normalization and layer normalization?")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.close()


def test_copy_gives_the_answers_clean_markdown(server, dl_bot, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server + "/")
    ask(page, "loss vs cost")
    page.locator("article.qa-answer").last.get_by_role("button", name="Copy answer").click()
    expect(page.locator("article.qa-answer").last.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    chunk = next(c for c in dl_bot.chunks if c.question == "Loss vs. Cost")
    assert copied == chunk.answer
    assert "<mark" not in copied and "Source" not in copied
    context.close()


def test_open_in_notes_shows_the_section_with_the_lines_marked(server, browser):
    page = open_chat(browser, server, 1280, 900, "light")
    ask(page, "what is a typical dropout rate?")
    link = page.locator("article.qa-answer").last.locator("a.qa-open")
    with page.context.expect_page() as opened:
        link.click()
    notes = opened.value
    notes.wait_for_load_state()
    assert "/notes/deep-learning-basics.md?lines=105-" in notes.url
    target = notes.locator(":target")
    expect(target).to_have_count(1)
    assert in_view(notes, target)
    expect(notes.locator(".qa-range").first).to_be_visible()
    expect(notes.locator(".qa-range").first).to_contain_text("How do you handle overfitting")
    assert serious(axe(notes)) == []
    screenshot(notes, "notes-viewer-1280")
    notes.set_viewport_size({"width": 390, "height": 844})
    screenshot(notes, "notes-viewer-390")
    assert notes.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_notes_viewer_works_without_javascript(server, browser, scheme):
    context = browser.new_context(java_script_enabled=False, color_scheme=scheme,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server + "/notes/deep-learning-basics.md?lines=180-187#L180")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("math").first).to_be_attached()
    expect(page.locator(".qa-range").first).to_contain_text("Loss")
    screenshot(page, f"notes-viewer-nojs-{scheme}")
    context.close()


def test_api_docs_render_offline_from_this_server_only(server, browser):
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
               else route.abort())
    page.goto(server + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("qabot", timeout=30_000)
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    screenshot(page, "api-docs-offline")
    assert requested and all(url.startswith(server) for url in requested), requested
    page.close()


def test_tables_do_not_break_words_on_a_phone(server, browser):
    page = open_chat(browser, server, 390, 844, "light")
    ask(page, "give me the quick reference table")
    cells = page.locator("article.qa-answer").last.locator(".qa-body td, .qa-body th")
    expect(cells.first).to_be_visible()
    styles = cells.evaluate_all("""(cells) => cells.map(c => {
        const s = getComputedStyle(c);
        return [c.textContent.trim(), s.wordBreak, s.overflowWrap]; })""")
    assert styles and all(wb == "normal" and ow == "normal" for _, wb, ow in styles), styles
    concept = page.locator("article.qa-answer").last.locator(".qa-body th").first
    expect(concept).to_have_text("Concept")
    line = float(concept.evaluate("(e) => parseFloat(getComputedStyle(e).lineHeight)"))
    box = concept.bounding_box()
    assert box is not None and box["height"] < 2 * line + 16  # one line: "Concept", not "Conce / pt"
    screenshot(page, "chat-table-390")
    page.close()
