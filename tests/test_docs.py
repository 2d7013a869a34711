"""docs/portal.md's recipe, run as written (with free ports): qabot and the sample portal start from
a clone with `make install` done, and the portal answers from another origin in a real browser."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import httpx
import pytest
from browser import launch, screenshot
from conftest import ROOT
from playwright.sync_api import expect, sync_playwright
from servers import free_port

MARKER = "<!-- tests/test_docs.py runs this block as written"


def recipe() -> str:
    text = (ROOT / "docs" / "portal.md").read_text()
    after = text[text.index(MARKER):]
    return re.search(r"```bash\n(.*?)```", after, re.S).group(1)


def test_the_recipe_needs_no_activated_virtualenv():
    block = recipe()
    assert block.splitlines()[0] == "make install"
    assert ".venv/bin/qabot serve" in block and "source " not in block and "activate" not in block


@pytest.mark.browser
def test_the_portal_recipe_works_as_written(tmp_path):
    qabot_port, portal_port = free_port(), free_port()
    block = recipe().replace("7860", str(qabot_port)).replace("8000", str(portal_port))
    script = tmp_path / "recipe.sh"
    script.write_text("set -e\n" + block + "wait\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    proc = subprocess.Popen(["bash", str(script)], cwd=ROOT, env=env, start_new_session=True,
                            stdout=open(tmp_path / "out.log", "w"), stderr=subprocess.STDOUT)
    bot, portal = f"http://127.0.0.1:{qabot_port}", f"http://127.0.0.1:{portal_port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "out.log").read_text()[-3000:]
            try:
                if httpx.get(f"{bot}/api/health", timeout=2).status_code == 200 and \
                        httpx.get(f"{portal}/portal.html", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)  # polling the servers the recipe starts
        else:
            raise AssertionError((tmp_path / "out.log").read_text()[-3000:])
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{portal}/portal.html?bot={bot}")
            page.locator("#question").fill("why do transformers use layer norm?")
            page.locator("#ask").click()
            expect(page.locator("#answer h3")).to_contain_text("layer normalization", timeout=60_000)
            page.get_by_role("button", name="Ask the notes").click()
            frame = page.frame_locator("iframe.qabot-frame")
            frame.locator("#qa-input textarea").fill("what is a typical dropout rate?")
            frame.locator("#qa-input textarea").press("Enter")
            expect(frame.locator("article.qa-answer")).to_contain_text("Typical rate", timeout=60_000)
            screenshot(page, "docs-recipe-portal-390")
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
