"""The notes viewer (notes.py, GET /notes/{file}): every chunk's `source.url` opens its file at the
right section with its lines marked, on every shipped corpus; only files of the corpus are served."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from conftest import EVAL, ROOT

from qabot.corpus import load_corpus
from qabot.notes import line_range, notes_page
from qabot.results import Source

CORPORA = [ROOT / "corpus", *sorted(p for p in EVAL.iterdir() if p.is_dir())]
CASES = [(root, c) for root in CORPORA for c in load_corpus(root).chunks]


class Page(HTMLParser):
    """Ids of the page, and the text inside elements of class qa-range."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.marked: list[str] = []
        self.depth = 0  # >0 while inside a marked element
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag in ("br", "hr", "img", "col", "wbr", "meta", "link"):
            return
        hit = "qa-range" in (found.get("class") or "").split()
        self.stack.append(hit)
        self.depth += hit

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "hr", "img", "col", "wbr", "meta", "link") or not self.stack:
            return
        self.depth -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.marked.append(data)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.mark.parametrize("root, chunk", CASES, ids=[c.id for _, c in CASES])
def test_every_chunk_opens_at_its_section_with_its_lines_marked(root, chunk):
    url = urlsplit(Source.of(chunk).url)
    assert url.path.startswith("/notes/")
    name = unquote(url.path.removeprefix("/notes/"))
    lines = line_range(url.query.removeprefix("lines="))
    assert name == chunk.file and lines == chunk.lines
    html = notes_page([c for r, c in CASES if r == root], root, name, lines)
    assert html is not None
    page = Page()
    page.feed(html)
    fragment = unquote(url.fragment)
    assert fragment in page.ids, f"no element with id {fragment!r}"
    if chunk.anchor:
        assert fragment == chunk.anchor  # the section's heading
    marked = words(" ".join(page.marked))
    assert marked, "nothing marked"
    # The marked lines hold the question (markup and numbering aside) and the answer's last line.
    assert words(chunk.question) - marked <= {"q", "a"} or len(words(chunk.question) - marked) <= 1, (
        words(chunk.question) - marked)
    last = [line for line in chunk.answer.splitlines() if words(line)][-1]
    missing = words(re.sub(r"<[^>]+>|\$[^$]*\$|\]\([^)]*\)", " ", last)) - marked
    assert len(missing) <= 1, missing


@pytest.mark.parametrize("name", ["../corpus/deep-learning-basics.md", "/etc/passwd", "../../etc/passwd",
                                  "deep-learning-basics.md/", "DEEP-LEARNING-BASICS.md", "x.md", "",
                                  "deep-learning-basics", ".", "%2e%2e/etc/passwd"])
def test_only_files_of_the_corpus_are_pages(name):
    root = ROOT / "corpus"
    assert notes_page(load_corpus(root).chunks, root, name, None) is None


@pytest.mark.parametrize("path", [
    "/notes/../../etc/passwd", "/notes/%2e%2e/%2e%2e/etc/passwd", "/notes/..%2f..%2fetc%2fpasswd",
    "/notes//etc/passwd", "/notes/%2fetc%2fpasswd", "/notes/deep-learning-basics.md%00.txt",
    "/notes/deep-learning-basics.md/..", "/notes/", "/notes",
    "/notes/index/CURRENT", "/notes/..%5c..%5cetc%5cpasswd", "/embed.js/../../etc/passwd",
    "/api/docs/../../../etc/passwd", "/api/docs/core.py", "/api/docs/%2e%2e%2fcore.py",
    "/api/docs/swagger-ui-bundle.js.map", "/api/docs/LICENSE"])
def test_path_tricks_on_the_new_routes_get_404(server, path):
    r = httpx.get(server + path)
    assert r.status_code == 404, (path, r.status_code)
    assert "root:x:0:0" not in r.text and "import " not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("frame-ancestors")


def test_the_viewer_is_readable_html_without_javascript(server):
    body = httpx.post(f"{server}/api/ask", json={"question": "why do transformers use layer norm?"}).json()
    r = httpx.get(server + body["source"]["url"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<script" not in r.text
    assert f'id="{body["source"]["anchor"]}"' in r.text and 'class="qa-range"' in r.text
    assert "<math" in r.text and "<table" in r.text and "<pre" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_source_urls_start_with_the_public_sub_path(dl_bot):
    from servers import running

    from qabot.bot import QABot

    bot = QABot(dl_bot.settings.with_(root_path="https://notes.example.edu/qa"), embedder=dl_bot.embedder,
                log=lambda m: None)
    with running(bot) as url:
        body = httpx.post(f"{url}/api/ask", json={"question": "what is dropout"}).json()
        assert body["source"]["url"].startswith("/qa/notes/deep-learning-basics.md?lines=")
        assert all(r["source"]["url"].startswith("/qa/notes/") for r in body["related"])
        page = httpx.get(url + body["source"]["url"].removeprefix("/qa")).text
        assert 'href="/qa/"' in page
