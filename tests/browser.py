"""Launches Debian's Chromium through Playwright (its own browser downloads cannot run here)."""

from __future__ import annotations

import shutil
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch(playwright):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        raise RuntimeError("Chromium is missing: apt-get update && apt-get install -y chromium "
                           "(make test does this)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE = Path(__file__).resolve().parent.parent / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def axe(page, context: str = "document") -> list[dict]:
    """axe-core's violations on the page (axe-core from the npm registry: `make axe` installs it)."""
    if not AXE.exists():
        raise RuntimeError(f"axe-core is missing at {AXE}: run `make axe` "
                           "(npm install --prefix .cache/axe axe-core@4)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(f"""() => axe.run({context}, {{resultTypes: ['violations']}}).then(r =>
        r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}})))""")


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("critical", "serious")]
