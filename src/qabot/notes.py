"""The notes viewer: one file of the corpus as a page rendered on the server (readable without
JavaScript), so an answer can be checked against its source.

Headings carry the ids that a chunk's `anchor` names (counted as the chunker counts them), and
`?lines=A-B` marks those lines — which is what `source.url` links to. CSV / TSV / JSONL notes are
shown as the list of their questions and answers. Only files the index was built from are served:
a requested name is looked up among them, never joined to a path.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from .chunk import Chunk
from .render import RANGE, Marking, heading_ids, render, sanitize

STATIC = Path(__file__).parent / "static"
_LINES = re.compile(r"(\d{1,7})-(\d{1,7})")


def corpus_file(chunks: Sequence[Chunk], corpus: Path, name: str) -> Path | None:
    """The notes file called `name` (as in `source.file`), or None when it is not one of them."""
    if name not in {c.file for c in chunks}:
        return None
    root = Path(corpus).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def line_range(raw: str | None) -> tuple[int, int] | None:
    match = _LINES.fullmatch(raw or "")
    if not match:
        return None
    first, last = int(match[1]), int(match[2])
    return (first, last) if 1 <= first <= last else None


def notes_page(chunks: Sequence[Chunk], corpus: Path, name: str, lines: tuple[int, int] | None,
               base: str = "", theme: str | None = None) -> str | None:
    """The page for one notes file (`chunks`: those of the served index, `corpus`: its directory),
    or None (→ 404) when it is not a file of the corpus."""
    path = corpus_file(chunks, corpus, name)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    mine = sorted((c for c in chunks if c.file == name), key=lambda c: c.lines)
    title = mine[0].title if mine else name
    if path.suffix.lower() in (".md", ".markdown"):
        body, has_h1 = _markdown(text, lines)
    else:
        body, has_h1 = _cards(mine, lines), False
    heading = "" if has_h1 else f"<h1>{html.escape(title)}</h1>\n"
    mode = {"dark": " qa-dark", "light": " qa-light"}.get(theme or "", "")
    marked = ""
    if lines:
        target = _first_id(text, lines[0]) if path.suffix.lower() in (".md", ".markdown") else None
        marked = (f'<p class="qa-viewer-note">Lines {lines[0]}–{lines[1]} are marked '
                  f'(<a href="#{html.escape(target or f"L{lines[0]}")}">go to them</a>).</p>')
    css = (STATIC / "answer.css").read_text(encoding="utf-8")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{html.escape(name)} — {html.escape(title)}</title>
<style>
{css}
{VIEWER_CSS}
</style>
</head>
<body class="qa-notes{mode}">
<header class="qa-viewer-head">
<a href="{html.escape(base)}/">← Back to the chat</a>
<span class="qa-viewer-file">{html.escape(name)}</span>
</header>
<main>
{marked}
{heading}{body}
</main>
</body>
</html>
"""


def _markdown(text: str, lines: tuple[int, int] | None) -> tuple[str, bool]:
    body = "\n".join(_blank_front_matter(text.splitlines()))
    marks = (Marking(lines[0] - 1, lines[1], RANGE, f"L{lines[0]}", inline=False),) if lines else ()
    rendered = render(body, marks=marks, ids=heading_ids(body))
    return rendered, bool(re.search(r"<h1[\s>]", rendered))


def _first_id(text: str, first: int) -> str | None:
    """The id of the heading on line `first`, which then starts the marked range."""
    return heading_ids("\n".join(_blank_front_matter(text.splitlines()))).get(first - 1)


def _blank_front_matter(lines: list[str]) -> list[str]:
    """TOML (+++) or YAML (---) front matter as blank lines, so line numbers stay true."""
    if lines and lines[0].strip() in ("---", "+++"):
        fence = lines[0].strip()
        for end in range(1, len(lines)):
            if lines[end].strip() == fence:
                return [""] * (end + 1) + lines[end + 1:]
    return lines


def _cards(chunks: list[Chunk], lines: tuple[int, int] | None) -> str:
    """A CSV / TSV / JSONL deck: its questions and answers, grouped by section."""
    out: list[str] = []
    section = None
    for c in chunks:
        if c.section != section:
            section = c.section
            if section:
                out.append(f"<h2>{html.escape(section)}</h2>")
        hit = lines is not None and lines[0] <= c.lines[0] and c.lines[1] <= lines[1]
        css = f' class="qa-card {RANGE}"' if hit else ' class="qa-card"'
        out.append(f'<section id="L{c.lines[0]}"{css}><h3>{html.escape(c.question)}</h3>'
                   f'{render(c.answer, top_heading=4)}'
                   f'<p class="qa-lines">lines {c.lines[0]}–{c.lines[1]}</p></section>')
    ids = {f"L{c.lines[0]}" for c in chunks}
    return sanitize("\n".join(out), ids)


VIEWER_CSS = """
body.qa-notes { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #1f2328; background: #ffffff; }
body.qa-notes.qa-dark { color: #e6edf3; background: #0d1117; }
@media (prefers-color-scheme: dark) { body.qa-notes:not(.qa-light) { color: #e6edf3; background: #0d1117; } }
.qa-viewer-head { position: sticky; top: 0; display: flex; flex-wrap: wrap; gap: .5em 1.5em;
  padding: .6em 1rem; background: inherit; border-bottom: 1px solid var(--qa-rule); z-index: 1; }
.qa-viewer-file { color: var(--qa-muted); font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.qa-notes main { max-width: 52rem; margin: 0 auto; padding: 0 1rem 4rem; }
.qa-notes :target, .qa-notes [id] { scroll-margin-top: 4rem; }
.qa-notes h1, .qa-notes h2, .qa-notes h3, .qa-notes h4 { line-height: 1.3; }
.qa-viewer-note, .qa-lines { color: var(--qa-muted); font-size: .9em; }
.qa-card { padding: .1em .8em; margin: .8em 0; border-left: 4px solid var(--qa-rule); }
"""
