"""The shared renderer (render.py) on every chunk of the shipped corpora: valid, sanitized HTML, math
as MathML, the focus marked where it is (code blocks and table rows too), metadata never a focus."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import EVAL, ROOT

from qabot.corpus import load_corpus
from qabot.focus import is_metadata
from qabot.render import _ATTRIBUTES, _HTML_TAGS, _MATH_TAGS, answer_html, focus_excerpt, focus_lines

CORPORA = [ROOT / "corpus", *sorted(p for p in EVAL.iterdir() if p.is_dir())]
CHUNKS = [c for root in CORPORA for c in load_corpus(root).chunks]
VOID = {"br", "hr", "img", "col", "wbr", "mspace", "mprescripts", "none"}
INJECTIONS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>", "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)><script>alert(2)</script></svg>", "<style>body{display:none}</style>",
    "<div id=\"qa-input\" class=\"x qa-focus\" onclick=\"alert(1)\" style=\"position:fixed\">y</div>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi><annotation-xml encoding=\"text/html\">"
    "<img src=x onerror=alert(1)></annotation-xml></math>",
    "<form action=\"https://evil.example\"><input name=q></form>", "<!-- <script>x</script> -->",
    "$\\href{javascript:alert(1)}{x}$", "<details open ontoggle=alert(1)><summary>s</summary></details>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>", "<object data=x></object>",
]


class Checker(HTMLParser):
    """Records every tag and attribute and checks that elements nest and close properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str | None]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def check(fragment: str) -> Checker:
    checker = Checker()
    checker.feed(fragment)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack)
    assert checker.tags <= _HTML_TAGS | _MATH_TAGS, checker.tags - (_HTML_TAGS | _MATH_TAGS)
    for tag, name, value in checker.attributes:
        assert name in _ATTRIBUTES["*"] | _ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, name)
        assert not name.startswith("on")
        if name == "href":
            assert (value or "").startswith(("http://", "https://", "mailto:", "/", "#")) or ":" not in (
                value or "").split("/")[0], value
        if name == "class":
            assert all(c.startswith(("qa-", "language-")) for c in (value or "").split()), value
        assert name != "id", "an answer fragment has no ids"
    return checker


def test_the_shipped_corpora_are_all_here():
    assert {p.name for p in CORPORA} >= {"corpus", "statistics", "operating-systems"}
    assert len(CHUNKS) > 100


@pytest.mark.parametrize("chunk", CHUNKS, ids=lambda c: c.id)
def test_every_answer_renders_as_valid_sanitized_html(chunk):
    focus = chunk.passages[-1].markdown if chunk.passages else None
    fragment = answer_html(chunk.answer, focus)
    check(fragment)
    assert "<script" not in fragment.lower()
    if "$" in chunk.answer and "<math" not in fragment:
        # only money or a lone dollar sign may stay a dollar
        assert "\\" not in chunk.answer.split("$")[1], chunk.answer


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_attempts_in_the_notes_come_out_inert(attack):
    for chunk in CHUNKS[:: max(1, len(CHUNKS) // 12)]:
        fragment = answer_html(f"{chunk.answer}\n\n{attack}\n\nText {attack} inline.", None)
        checker = check(fragment)
        assert not {"script", "iframe", "svg", "style", "form", "input", "object"} & checker.tags
        assert "javascript:" not in " ".join(str(v) for _, _, v in checker.attributes)
        assert "data:" not in " ".join(str(v) for _, n, v in checker.attributes if n in ("href", "src"))


@pytest.mark.parametrize("heading, shown", [
    ("### Step 1 {#step-1}", "<h3>Step 1</h3>"),
    ("### Step 1 {: #step-1 .note}", "<h3>Step 1</h3>"),
    ("### Keep `{#x}`", "<h3>Keep <code>{#x}</code></h3>"),
    ("### Plain {braces}", "<h3>Plain {braces}</h3>"),
])
def test_a_heading_attribute_block_is_not_shown(heading, shown):
    assert answer_html(f"{heading}\n\nText.").startswith(shown)


def test_math_becomes_mathml_and_money_stays_text():
    fragment = answer_html("Where $\\mu_B$ and $\\sigma_B^2$; also $$\\frac{a}{b}$$ costs $5 and $10.")
    assert fragment.count("<math") == 3 and "<mfrac>" in fragment and "<msub>" in fragment
    assert "$5 and $10" in fragment and "\\frac" not in fragment
    stats = [c for c in CHUNKS if re.search(r"\$[^$]*\\frac", c.answer)]
    assert stats and all("<mfrac>" in answer_html(c.answer) for c in stats)


@pytest.mark.parametrize("answer, focus, tag", [
    ("Intro.\n\n```python\nclip(x)\n\nmore(x)\n```\n\nOutro.", "```python\nclip(x)\n\nmore(x)\n```",
     '<pre class="qa-focus">'),
    ("| Concept | Meaning |\n|---|---|\n| Loss | one point |\n| Cost | all points |", "| Cost | all points |",
     '<tr class="qa-focus">'),
    ("- a\n- **Typical rate**: 0.2-0.5\n- c", "- **Typical rate**: 0.2-0.5", '<li class="qa-focus">'),
    ("- a\n  - **Typical rate**: 0.2-0.5\n- c", "   - **Typical rate**: 0.2-0.5", '<li class="qa-focus">'),
])
def test_code_blocks_table_rows_and_items_can_be_the_focus(answer, focus, tag):
    fragment = answer_html(answer, focus)
    assert tag in fragment and fragment.count("qa-focus") == 1
    assert focus_lines(answer, focus) is not None


def test_one_line_of_a_paragraph_can_be_marked():
    answer = "**Vanishing**: too small\n**Exploding**: too large"
    fragment = answer_html(answer, "**Exploding**: too large")
    assert '<mark class="qa-mark"><strong>Exploding</strong>: too large</mark>' in fragment
    assert "<mark class=\"qa-mark\"><strong>Vanishing" not in fragment


def test_a_table_row_excerpt_keeps_its_header():
    excerpt = focus_excerpt("x\n\n| A | B |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |", "| 3 | 4 |")
    assert excerpt == "| A | B |\n|---|---|\n| 3 | 4 |"


@pytest.mark.parametrize("line", ["*Last Updated: 2024*", "_Updated on 3 May 2024_", "Author: Jane Doe",
                                  "Source: lecture 3 slides", "© 2024 Example University", "November 2024",
                                  "**Written by** the TA team"])
def test_metadata_lines_are_never_a_focus(line):
    assert is_metadata(line)


@pytest.mark.parametrize("line", ["Date handling in pandas is tricky", "Version control keeps history",
                                  "By default the rate is 0.5", "- **Typical rate**: 0.2-0.5",
                                  "Sources of variance: sampling and noise"])
def test_answers_are_not_metadata(line):
    assert not is_metadata(line)


def test_the_cheat_sheet_date_is_never_the_focus(dl_bot):
    dated = [c for c in dl_bot.chunks if any(is_metadata(p.markdown) for p in c.passages)]
    assert dated, "the default notes' cheat sheet ends with '*Last Updated: 2024*'"
    for question in ("cheat sheet", "latest updates of the notes", "what was updated in 2024",
                     "quick reference 2024", "give me a summary, last updated"):
        result = dl_bot.search(question)
        assert result.answer.focus is None or not is_metadata(result.answer.focus)


def test_static_files_are_packaged():
    assert (Path(ROOT) / "src" / "qabot" / "static" / "answer.css").is_file()
