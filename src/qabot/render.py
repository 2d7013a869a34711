"""The notes' Markdown as safe HTML: one renderer for the chat, the API's `answer_html` and the
notes viewer, so a passage reads the same wherever it is shown.

markdown-it-py parses (CommonMark, tables, `$…$` / `$$…$$` math); TeX becomes MathML
(latex2mathml), so a formula needs no script or web font; nh3 (the Rust sanitizer ammonia) then
keeps only an allow-list of tags, attributes and URL schemes, whatever raw HTML the notes hold.
A line range (the answer's focus, or a chunk in the viewer) is marked on the blocks it covers —
paragraph, list item, code block or table row — and its text is wrapped in `<mark>`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from .chunk import SlugCounter
from .markdown import drop_attributes, heading_anchor

FOCUS = "qa-focus"  # class of the blocks of the focus passage
RANGE = "qa-range"  # class of the blocks of a line range marked in the notes viewer

_HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "section",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul", "var",
}
_MATH_TAGS = {
    "math", "menclose", "merror", "mfenced", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover",
    "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub",
    "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none",
}
_MATH_ATTRIBUTES = {
    "accent", "accentunder", "bevelled", "close", "columnalign", "columnlines", "columnspacing",
    "columnspan", "denomalign", "depth", "display", "displaystyle", "fence", "form", "height",
    "largeop", "linethickness", "lspace", "mathvariant", "maxsize", "minsize", "movablelimits",
    "notation", "numalign", "open", "rowalign", "rowlines", "rowspacing", "rowspan", "rspace",
    "scriptlevel", "separator", "separators", "stretchy", "symmetric", "width", "xmlns",
}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "reversed", "type"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "details": {"open"},
    "div": {"tabindex"},
    "pre": {"hidden"},
    **{tag: set(_MATH_ATTRIBUTES) for tag in _MATH_TAGS},
}
_CLASS_PREFIXES = ("qa-", "language-")


@dataclass(frozen=True)
class Marking:
    """A 0-based, end-exclusive line range of the Markdown to mark with `css` (and `<mark>`)."""

    first: int
    last: int
    css: str = FOCUS
    target: str | None = None  # an id for the first marked block (a link's #fragment)
    inline: bool = True  # also wrap the text in <mark> (the focus; not a whole chunk)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    # `$5 and $10` stays text: no space inside the dollars, no digit right after the closing one.
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False,
           double_inline=False)
    md.add_render_rule("math_inline", _math_inline)
    md.add_render_rule("math_block", _math_block)
    md.add_render_rule("fence", _fence)
    md.add_render_rule("code_block", _fence)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


def _mathml(tex: str, display: bool) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # TeX it cannot read is shown as written
        return f'<code class="qa-tex">{html.escape(tex)}</code>'


def _math_inline(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return _mathml(tokens[idx].content, False)


def _math_block(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return f'<div{self.renderAttrs(tokens[idx])}>{_mathml(tokens[idx].content, True)}</div>\n'


def _fence(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    language = (token.info or "").strip().split(" ")[0]
    code_class = f' class="language-{html.escape(language)}"' if language else ""
    return f"<pre{self.renderAttrs(token)}><code{code_class}>{html.escape(token.content)}</code></pre>\n"


def _table_open(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    # A wide table scrolls on its own (focusable, so a keyboard can scroll it too).
    return f'<div class="qa-table" tabindex="0"><table{self.renderAttrs(tokens[idx])}>\n'


def _table_close(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return "</table></div>\n"


_MD = _parser()
# Marked through their items or rows, never as a whole (and raw HTML cannot carry a class).
_CONTAINERS = {"bullet_list_open", "ordered_list_open", "table_open", "thead_open", "tbody_open"}
_HTML_START = re.compile(r"^(\s*<(?!/)[a-zA-Z][\w-]*)(?=[\s>/])(?![^>]*\bclass=)")
_PLAIN = MarkdownIt("commonmark").enable("table")  # the chunker's parser: its heading anchors


def _mark(tokens: list[Token], marking: Marking, source: list[str]) -> None:
    """Marks the outermost blocks inside the range with a class, and wraps their text in <mark>."""
    first, last = marking.first, marking.last

    def end(tok: Token) -> int:  # a block's last line that is not blank (lists hold blank lines)
        assert tok.map is not None
        stop = tok.map[1]
        while stop > tok.map[0] + 1 and stop - 1 < len(source) and not source[stop - 1].strip():
            stop -= 1
        return stop

    open_marked: list[bool] = []
    inside = 0
    target = marking.target
    for tok in tokens:
        if tok.nesting == -1:
            if open_marked and open_marked.pop():
                inside -= 1
            continue
        if tok.type == "inline":
            if marking.inline:
                _mark_inline(tok, first, last)
            continue
        hit = (not inside and tok.map is not None and first <= tok.map[0] and end(tok) <= last
               and tok.type not in _CONTAINERS)
        if hit and tok.type == "html_block":  # raw HTML (<details>…): a class on its first tag
            tok.content = _HTML_START.sub(rf'\1 class="{marking.css}"', tok.content, count=1)
            continue
        if hit:
            tok.attrJoin("class", marking.css)
            if target and not tok.attrGet("id"):
                tok.attrSet("id", target)
                target = None
        if tok.nesting == 1:
            open_marked.append(hit)
            inside += hit


def _mark_inline(tok: Token, first: int, last: int) -> None:
    """Wraps the inline children that stand on lines of the range in <mark> (line by line, so
    one line of a paragraph can be marked)."""
    if tok.map is None or not tok.children or tok.map[1] <= first or tok.map[0] >= last:
        return
    line = tok.map[0]
    out: list[Token] = []
    run: list[Token] = []

    def flush() -> None:
        if any(c.type != "softbreak" and c.content.strip() or c.type not in ("text", "softbreak")
               for c in run):
            out.extend([_raw('<mark class="qa-mark">'), *run, _raw("</mark>")])
        else:
            out.extend(run)
        run.clear()

    for child in tok.children:
        if child.type in ("softbreak", "hardbreak"):
            flush()
            out.append(child)
            line += 1
            continue
        if first <= line < last:
            run.append(child)
        else:
            flush()
            out.append(child)
    flush()
    tok.children = out


def _raw(content: str) -> Token:
    return Token("html_inline", "", 0, content=content)


def _shift_headings(tokens: list[Token], top: int) -> None:
    """Heading levels moved so the answer's highest heading is `top` (h3 under an h2 question)."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    if not levels:
        return
    delta = top - min(levels)
    for t in tokens:
        if t.type in ("heading_open", "heading_close"):
            t.tag = f"h{max(1, min(6, int(t.tag[1]) + delta))}"


def heading_ids(markdown: str) -> dict[int, str]:
    """0-based line of each top-level heading → its anchor, counted exactly as the chunker
    does (markdown.py), so a chunk's `anchor` is the id of a heading in the rendered notes."""
    ids: dict[int, str] = {}
    counter = SlugCounter()
    tokens = _PLAIN.parse(markdown)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0 and tok.map is not None:
            ids[tok.map[0]] = counter(heading_anchor(tokens[i + 1]))
    return ids


def render(markdown: str, *, marks: tuple[Marking, ...] = (), top_heading: int | None = None,
           ids: dict[int, str] | None = None) -> str:
    """Markdown → sanitized HTML. `marks`: line ranges to mark; `top_heading`: level of the
    highest heading; `ids`: 0-based heading line → id (the notes viewer)."""
    tokens = _MD.parse(markdown)
    for opening, inline in zip(tokens, tokens[1:]):
        if opening.type == "heading_open":
            drop_attributes(inline)
    allowed: set[str] = set()
    if ids:
        for tok in tokens:
            if tok.type == "heading_open" and tok.map is not None and tok.map[0] in ids:
                tok.attrSet("id", ids[tok.map[0]])
                allowed.add(ids[tok.map[0]])
    source = markdown.splitlines()
    for marking in marks:
        _mark(tokens, marking, source)
        if marking.target:
            allowed.add(marking.target)
    if top_heading is not None:
        _shift_headings(tokens, top_heading)
    return sanitize(_MD.renderer.render(tokens, _MD.options, {}), allowed)


def sanitize(fragment: str, ids: set[str] | frozenset[str] = frozenset()) -> str:
    """Only allow-listed tags, attributes and URL schemes survive; ids only when qabot made them
    (a note's raw HTML cannot take over an id of the page); classes only qabot's own."""
    import nh3

    return nh3.clean(
        fragment, tags=_HTML_TAGS | _MATH_TAGS, attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter(frozenset(ids)), clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
        filter_style_properties={"text-align"}, strip_comments=True)


def _attribute_filter(ids: frozenset[str]) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, name: str, value: str) -> str | None:
        if name == "id":
            return value if value in ids else None
        if name == "class":
            kept = [c for c in value.split() if c.startswith(_CLASS_PREFIXES)]
            return " ".join(kept) or None
        if name == "tabindex":
            return "0" if value == "0" else None
        return value

    return keep


def focus_lines(answer: str, focus: str | None) -> tuple[int, int] | None:
    """The focus passage's 0-based, end-exclusive line range in the answer (matched line by line,
    ignoring indentation), or None."""
    if not focus or not focus.strip():
        return None
    wanted = [line.strip() for line in focus.strip("\n").splitlines()]
    lines = [line.strip() for line in answer.splitlines()]
    for start in range(len(lines) - len(wanted) + 1):
        if lines[start:start + len(wanted)] == wanted:
            return start, start + len(wanted)
    return None


@lru_cache(maxsize=4096)
def answer_html(answer: str, focus: str | None = None, top_heading: int | None = None) -> str:
    """An answer's Markdown as sanitized HTML, with math as MathML and the focus marked."""
    span = focus_lines(answer, focus)
    marks = (Marking(*span),) if span else ()
    return render(answer, marks=marks, top_heading=top_heading)


def focus_excerpt(answer: str, focus: str | None) -> str | None:
    """The focus passage as Markdown of its own (a table row keeps its table's header)."""
    span = focus_lines(answer, focus)
    if span is None:
        return None
    lines = answer.splitlines()
    part = lines[span[0]:span[1]]
    if part[0].lstrip().startswith("|"):
        top = span[0]
        while top > 0 and lines[top - 1].lstrip().startswith("|"):
            top -= 1
        if top + 2 <= span[0]:
            part = lines[top:top + 2] + part
    indent = min((len(line) - len(line.lstrip()) for line in part if line.strip()), default=0)
    return "\n".join(line[indent:] for line in part)
