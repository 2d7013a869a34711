"""Markdown notes → question chunks, using markdown-it-py's token stream (never regexes over raw text).

A question is a heading one level below the document's sections, a bold-only paragraph,
a `Q:` paragraph, a `<details><summary>` block, an item of a list whose every item opens with a
question, or a row of a table with Question and Answer columns. A section with content but no
questions is one chunk titled by its heading. Each chunk keeps its answer verbatim and its
1-based line range.
"""

from __future__ import annotations

import re
import sys
import textwrap
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .chunk import Chunk, OpenQuestion, Passage, SlugCounter, slugify
from .query import spoken

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_MD = MarkdownIt("commonmark").enable("table")
_SEPARATOR_KINDS = {"hr"}
# Answers that only hold a place: "Answer here", "TODO".
_PLACEHOLDERS = {"", "answer here", "todo", "to do", "tbd", "tba", "coming soon", "wip"}
# "Q:", "Q.", "Q3:", "Question 3:" open a question; "A:", "Ans.", "Answer:" its answer (not "a)",
# which lists an option). Matched on a paragraph's text, after markdown-it has parsed it.
_Q_MARK = re.compile(r"^\s*(?:q|question)\s*\d*\s*[:.]\s*", re.IGNORECASE)
_A_MARK = re.compile(r"^\s*(?:a\s*:|ans(?:wer)?\s*[:.])", re.IGNORECASE)
# Column names of question/answer tables (Markdown, CSV, TSV, JSONL), as flashcard tools also
# export them ("front"/"back").
COLUMNS = {"question": ("question", "questions", "q", "front", "prompt"),
           "answer": ("answer", "answers", "a", "back"),
           "section": ("section", "topic", "category", "deck")}
# "1. ", "Q3) ", "Question 2: ", "1.2 ", "1.2.3) " in front of a question; not "2 layers or 3?"
_NUMBERING = re.compile(r"^\s*(?:q(?:uestion)?\s*)?(?:\d+(?:\.\d+)+[.):]?|\d+[.):])\s+",
                        re.IGNORECASE)
# Markers after a question, matched on its plain text: footnote marks ("?*", written "?\*"
# in the source, "†"), a bracketed ratio ("(65/20)"), a bare reference ("[[src]]") and a numbered
# reference after the question mark ("? [3]").
_FOOTNOTE_MARKS = "*†‡"
_BRACKET_MARK = re.compile(r"(?:\[\[[^\[\]]*\]\]|\(\d+(?:/\d+)+\)|(?<=[?.!])\s*[\[(]\d+[\])])$")



@dataclass
class _Block:
    tokens: list[Token]
    start: int  # 0-based first line
    end: int  # 0-based, exclusive

    @property
    def kind(self) -> str:
        return self.tokens[0].type.removesuffix("_open")

    @property
    def level(self) -> int:
        return int(self.tokens[0].tag[1:]) if self.kind == "heading" else 0

    @property
    def inline(self) -> Token | None:
        return self.tokens[1] if self.kind in ("heading", "paragraph") else None


@dataclass
class _Question:
    text: str
    start: int  # 0-based line of the question
    anchor: str
    kind: str  # heading | bold | qa | details | item | table | section
    blocks: list[_Block] = field(default_factory=list)
    answer_from: int | None = None  # for `Q: … A: …` in one paragraph, the 0-based `A:` line
    closed: bool = False  # a <details> block saw its </details>


@dataclass
class ParsedDocument:
    title: str
    chunks: list[Chunk]
    warnings: list[str]
    open: list[OpenQuestion]  # asked, not answered


def parse_markdown(text: str, file: str) -> ParsedDocument:
    """Split one Markdown document into question chunks (ids are assigned by the corpus loader)."""
    lines = text.splitlines()
    title, body, warnings = _front_matter(lines, file)
    blocks = _blocks(_MD.parse("\n".join(body)))
    headings = [b for b in blocks if b.kind == "heading"]
    h1 = [b for b in headings if b.level == 1]
    title_block = headings[0] if headings and len(h1) == 1 and headings[0] is h1[0] else None
    if title_block is not None and not title:
        title = _clean(inline_text(title_block.inline))
    title = title or file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    section_level, question_level = _heading_levels([b for b in headings if b is not title_block])

    walker = _Walker(lines, file, title)
    anchors = SlugCounter()
    for block in blocks:
        anchor = anchors(slugify(inline_text(block.inline))) if block.kind == "heading" else ""
        if block is title_block:
            continue
        if block.kind == "heading" and block.level <= section_level:
            walker.start_section(block, anchor)
        elif block.kind == "heading" and block.level == question_level:
            walker.start_question(_Question(_heading_question(block), block.start, anchor, "heading"))
        else:
            walker.add(block)
    walker.end_section()
    return ParsedDocument(title, walker.chunks, warnings + walker.warnings, walker.open)


def _heading_levels(headings: list[_Block]) -> tuple[int, int]:
    """(section level, question level); 0 = none. Questions are one level below the sections
    ("## Topic" / "### Loss vs. Cost"), unless the top level itself is mostly phrased as
    questions ("## 1. What is X?" with "### Example" inside its answer): then it holds them."""
    levels = sorted({b.level for b in headings})
    if not levels:
        return 0, 0
    top = [_heading_question(b) for b in headings if b.level == levels[0]]
    if 2 * sum(t.endswith("?") for t in top) > len(top):
        return 0, levels[0]
    return levels[0], (levels[1] if len(levels) > 1 else 0)


class _Walker:
    """Walks top-level blocks in order, grouping them into sections and questions."""

    def __init__(self, lines: list[str], file: str, title: str) -> None:
        self.lines, self.file, self.title = lines, file, title
        self.chunks: list[Chunk] = []
        self.open: list[OpenQuestion] = []
        self.warnings: list[str] = []
        self.section: _Question | None = None  # None = the preamble before the first section
        self.question: _Question | None = None
        self.section_has_questions = False

    def start_section(self, block: _Block, anchor: str) -> None:
        self.end_section()
        self.section = _Question(_clean(inline_text(block.inline)), block.start, anchor, "section")
        self.section_has_questions = False

    def end_section(self) -> None:
        self.end_question()
        sec = self.section
        if sec is not None and _has_content(sec.blocks) and not _is_navigation(sec.blocks):
            self.emit(sec)
        self.section = None

    def start_question(self, question: _Question) -> None:
        self.end_question()
        self.question = question
        self.section_has_questions = True

    def end_question(self) -> None:
        if self.question is not None:
            self.emit(self.question)
        self.question = None

    def add(self, block: _Block) -> None:
        q = self.question
        if q is not None and q.kind == "details" and not q.closed:
            if block.kind == "html_block" and "</details>" in block.tokens[0].content.lower():
                q.closed = True
                self.end_question()
            else:
                q.blocks.append(block)
            return
        # Question tables and lists stand on their own in a section; inside an answer they are
        # part of it ("Checklist: - Is the data normal?  - use a t-test").
        if q is None:
            columns = _qa_columns(block) if block.kind == "table" else None
            if columns is not None:
                self.table(block, *columns)
                return
            items = _question_items(block, self.section)
            if items:
                for item in items:
                    self.start_question(item)
                self.end_question()
                return
        if q is None or q.kind != "heading":
            started = _inline_question(block, self.section)
            if started is not None:
                self.start_question(started)
                if started.kind == "details" and started.closed:
                    self.end_question()
                return
        if q is not None:
            q.blocks.append(block)
        elif self.section is not None:
            self.section.blocks.append(block)

    def emit(self, q: _Question) -> None:
        blocks = _trim(q.blocks)
        if q.answer_from is not None:
            first, last = q.answer_from, (blocks[-1].end if blocks else q.answer_from + 1)
        elif blocks:
            first, last = blocks[0].start, blocks[-1].end
        else:
            first = last = -1
        passages = _passages(blocks, self.lines)
        if q.answer_from is not None:
            line = self.lines[q.answer_from]
            passages.insert(0, _passage(line.strip(), (first + 1, first + 1), line))
        if first < 0 or _is_placeholder(passages):
            self.unanswered(q, "write its answer below it")
            return
        while last > first + 1 and not self.lines[last - 1].strip():
            last -= 1
        answer = "\n".join(self.lines[first:last])
        if q.kind == "item":  # a list item's answer is indented under its question
            answer = textwrap.dedent(answer)
        self.add_chunk(q, answer, last, tuple(passages))

    def add_chunk(self, q: _Question, answer: str, last: int, passages: tuple[Passage, ...]) -> None:
        section = self.section.text if self.section is not None else ""
        self.chunks.append(Chunk(
            id="", question=q.text or section, answer=answer, title=self.title, section=section,
            file=self.file, lines=(q.start + 1, last),
            anchor=q.anchor or (self.section.anchor if self.section is not None else ""),
            passages=passages,
        ))

    def unanswered(self, q: _Question, fix: str) -> None:
        if q.text:
            self.open.append(OpenQuestion(q.text, self.file, q.start + 1))
        self.warnings.append(f"{self.file}:{q.start + 1}: question {q.text!r} has no answer "
                             f"text; it was skipped ({fix})")

    def table(self, block: _Block, q_col: int, a_col: int) -> None:
        """Each body row of a Question | Answer table is a question; its answer is one cell."""
        anchor = self.section.anchor if self.section is not None else ""
        for line, cells in _table_rows(block):
            if len(cells) <= max(q_col, a_col):
                continue
            question = _clean(inline_text(cells[q_col]))
            answer = cells[a_col].content.strip()
            if not question:
                continue
            q = _Question(question, line, anchor, "table")
            text = " ".join(inline_text(cells[a_col]).split())
            if _is_placeholder([Passage(text, (line + 1, line + 1), answer)]):
                self.unanswered(q, "fill in its Answer cell")
                continue
            self.add_chunk(q, answer, line + 1, (_passage(text, (line + 1, line + 1), answer),))


def _is_placeholder(passages: list[Passage]) -> bool:
    words = " ".join(p.text for p in passages).lower().split()
    return " ".join("".join(ch for ch in w if ch.isalnum()) for w in words) in _PLACEHOLDERS


def _front_matter(lines: list[str], file: str) -> tuple[str, list[str], list[str]]:
    """Returns (title, lines with the front matter blanked so line numbers stay true, warnings)."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return "", lines, []
    fence = lines[0].strip()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == fence)
    except StopIteration:
        return "", lines, []
    raw = "\n".join(lines[1:end])
    warnings: list[str] = []
    try:
        meta = tomllib.loads(raw) if fence == "+++" else yaml.safe_load(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        warnings.append(f"{file}:1: front matter could not be read ({exc}); title taken from text")
        meta = {}
    title = meta.get("title") if isinstance(meta, dict) else None
    return (str(title) if title else ""), [""] * (end + 1) + lines[end + 1:], warnings


def _blocks(tokens: list[Token]) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[Token] = []
    depth = 0
    for tok in tokens:
        if depth == 0:
            current = [tok]
        else:
            current.append(tok)
        depth += tok.nesting
        if depth == 0 and current[0].map is not None:
            blocks.append(_Block(current, current[0].map[0], current[0].map[1]))
    return blocks


def inline_text(inline: Token | None) -> str:
    """Plain text of an inline token: markup dropped, `[[src]]`-style reference links removed."""
    if inline is None:
        return ""
    out: list[str] = []
    children = inline.children or []
    i = 0
    while i < len(children):
        child = children[i]
        if child.type == "link_open":
            j = i + 1
            while j < len(children) and children[j].type != "link_close":
                j += 1
            label = "".join(c.content for c in children[i + 1:j] if c.type in ("text", "code_inline"))
            if not (label.startswith("[") and label.endswith("]")):
                out.append(label)
            i = j + 1
            continue
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        i += 1
    return "".join(out)


def _clean(text: str) -> str:
    """Trim whitespace and trailing emoji / difficulty / footnote markers: 👶 ⭐️ 🚀 (with joiners
    and selectors), "🟡 Medium", "⭐ Hard", "(Easy)", "[Advanced]", "— Hard", "?*", "†",
    "(65/20)", "[[src]]"."""
    text = " ".join(text.split())
    while True:
        end = len(text)
        while end and (text[end - 1].isspace() or _is_marker(text[end - 1])
                       or text[end - 1] in _FOOTNOTE_MARKS):
            end -= 1
        text = text[:end]
        head, _, last = text.rpartition(" ")
        bracketed = last[:1] in "([" and last[-1:] in ")]"
        mark = _BRACKET_MARK.search(text)
        if mark is not None and mark.start() > 0:
            text = text[:mark.start()]
        elif (last.strip("()[]").lower() in _DIFFICULTY and head
                and (bracketed or _is_marker(head[-1]) or unicodedata.category(head[-1]) == "Pd")):
            text = head.rstrip(" -–—")
        else:
            return text


_DIFFICULTY = frozenset("easy medium hard beginner intermediate advanced expert".split())


def _is_marker(ch: str) -> bool:
    return unicodedata.category(ch) in {"So", "Sk", "Cf", "Mn", "Me", "Cs", "Co"}


def _heading_question(block: _Block) -> str:
    return _clean(_Q_MARK.sub("", _NUMBERING.sub("", inline_text(block.inline)), count=1))


def _inline_question(block: _Block, section: _Question | None) -> _Question | None:
    """A bold-only paragraph, a `Q:` paragraph or a <details> block starts a question."""
    anchor = section.anchor if section else ""
    if block.kind == "html_block":
        return _details_question(block, anchor)
    if block.kind != "paragraph":
        return None
    text = inline_text(block.inline)
    if _Q_MARK.match(text):
        parts = text.split("\n")
        a_at = next((i for i, p in enumerate(parts) if i and _A_MARK.match(p)), None)
        q_text = _Q_MARK.sub("", " ".join(parts[:a_at]), count=1)
        q = _Question(_clean(q_text), block.start, anchor, "qa")
        if a_at is not None:
            q.answer_from = block.start + a_at
        return q
    if _is_bold_only(block.inline) and not _clean(text).endswith(":"):
        return _Question(_clean(text), block.start, anchor, "bold")
    return None


def question_text(markdown: str) -> str:
    """A question written as one line of inline Markdown (a CSV or JSONL row) as plain text,
    cleaned as the notes' questions are: no numbering, bold or trailing markers."""
    inline = _MD.parseInline(markdown)[0] if markdown.strip() else None
    return _clean(_NUMBERING.sub("", " ".join(inline_text(inline).split())))


def _question_items(block: _Block, section: _Question | None) -> list[_Question]:
    """The items of a list whose every item opens with a question ("1. **What is TCP?**" with
    its answer indented below), at least one of them answered; else nothing."""
    if block.kind not in ("bullet_list", "ordered_list"):
        return []
    anchor = section.anchor if section else ""
    items: list[_Question] = []
    depth = 0
    for i, tok in enumerate(block.tokens):
        if tok.type == "list_item_open" and depth == 1:
            end = next(j for j in range(i + 1, len(block.tokens))
                       if block.tokens[j].type == "list_item_close"
                       and block.tokens[j].level == tok.level)
            inner = _blocks(block.tokens[i + 1:end])
            first = inner[0] if inner else None
            if first is None or first.kind != "paragraph":
                return []
            text = _clean(_NUMBERING.sub("", " ".join(inline_text(first.inline).split())))
            if not text.endswith("?"):
                return []
            item = _Question(text, tok.map[0] if tok.map else first.start, anchor, "item")
            item.blocks = inner[1:]
            items.append(item)
        depth += tok.nesting
    return items if any(item.blocks for item in items) else []


def _qa_columns(block: _Block) -> tuple[int, int] | None:
    """Column numbers of a table's Question and Answer headers, if it has both."""
    header: list[str] = []
    for tok in block.tokens:
        if tok.type == "thead_close":
            break
        if tok.type == "inline":
            header.append(" ".join(inline_text(tok).split()).lower().rstrip(":"))
    q = next((i for i, h in enumerate(header) if h in COLUMNS["question"]), None)
    a = next((i for i, h in enumerate(header) if h in COLUMNS["answer"]), None)
    return (q, a) if q is not None and a is not None else None


def _table_rows(block: _Block) -> list[tuple[int, list[Token]]]:
    """(0-based line, cell inline tokens) of each body row."""
    return [((block.tokens[i].map or (block.start,))[0], cells)
            for i, cells in _body_rows(block.tokens).items()]


def _body_rows(tokens: list[Token]) -> dict[int, list[Token]]:
    """The position of each table body row's `tr_open` → the inline tokens of its cells."""
    rows: dict[int, list[Token]] = {}
    row: list[Token] | None = None
    in_body = False
    for i, tok in enumerate(tokens):
        if tok.type in ("tbody_open", "tbody_close"):
            in_body, row = tok.type == "tbody_open", None
        elif tok.type == "tr_open" and in_body:
            row = rows[i] = []
        elif tok.type == "tr_close":
            row = None
        elif tok.type == "inline" and row is not None:
            row.append(tok)
    return rows


def _is_bold_only(inline: Token | None) -> bool:
    """True when every meaningful child sits inside one outer **strong** span."""
    children = [c for c in (inline.children if inline else None) or []
                if not (c.type == "softbreak" or (c.type == "text" and not _has_word(c.content)))]
    if len(children) < 3 or children[0].type != "strong_open" or children[-1].type != "strong_close":
        return False
    depth = 0
    for c in children[:-1]:
        depth += 1 if c.type == "strong_open" else -1 if c.type == "strong_close" else 0
        if depth == 0:
            return False
    return True


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.summary: list[str] = []
        self.in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_summary = self.in_summary or tag == "summary"

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary":
            self.in_summary = False

    def handle_data(self, data: str) -> None:
        (self.summary if self.in_summary else self.text).append(data)


def _html(content: str) -> _HTMLText:
    parser = _HTMLText()
    parser.feed(content)
    parser.close()
    return parser


def _details_question(block: _Block, anchor: str) -> _Question | None:
    content = block.tokens[0].content
    if not content.lstrip().lower().startswith("<details"):
        return None
    parsed = _html(content)
    question = _clean(" ".join("".join(parsed.summary).split()))
    if not question:
        return None
    q = _Question(question, block.start, anchor, "details")
    lines = content.split("\n")
    lowered = [line.lower() for line in lines]
    after = next((i for i, line in enumerate(lowered) if "</summary>" in line), 0) + 1
    closing = next((i for i, line in enumerate(lowered) if "</details>" in line), None)
    if closing is not None:  # the whole <details> is one HTML block: answer is inside it
        q.closed = True
        inner = " ".join(parsed.text).strip()
        if inner and closing > after:
            q.blocks.append(_Block(block.tokens, block.start + after, block.start + closing))
        elif inner:
            q.blocks.append(block)
    return q


def _is_separator(block: _Block) -> bool:
    if block.kind in _SEPARATOR_KINDS:
        return True
    return block.kind == "html_block" and not _has_word(" ".join(_html(block.tokens[0].content).text))


def _trim(blocks: list[_Block]) -> list[_Block]:
    start, end = 0, len(blocks)
    while start < end and _is_separator(blocks[start]):
        start += 1
    while end > start and _is_separator(blocks[end - 1]):
        end -= 1
    return blocks[start:end]


def _has_content(blocks: list[_Block]) -> bool:
    return bool(_trim(blocks))


def _is_navigation(blocks: list[_Block]) -> bool:
    """A table of contents: lists whose every item is a single in-page link."""
    content = _trim(blocks)
    if not content or any(b.kind not in ("bullet_list", "ordered_list") for b in content):
        return False
    for b in content:
        for tok in b.tokens:
            if tok.type == "inline":
                kids = [c for c in tok.children or [] if c.type != "text" or c.content.strip()]
                if not kids or kids[0].type != "link_open" or kids[-1].type != "link_close":
                    return False
                if not str(kids[0].attrGet("href") or "").startswith("#"):
                    return False
    return True


def answer_passages(answer: str, first: int, last: int) -> tuple[Passage, ...]:
    """Passages of an answer that has no Markdown file of its own (a CSV or JSONL row), its
    first line on file line `first` and none past `last`."""
    found = _passages(_blocks(_MD.parse(answer)), answer.splitlines())
    return tuple(Passage(p.text, (min(first + p.lines[0] - 1, last),
                                  min(first + p.lines[1] - 1, last)), p.markdown) for p in found)


def _passages(blocks: list[_Block], lines: list[str]) -> list[Passage]:
    """Leaf passages of an answer, each with its sub-heading and parent-bullet context."""
    out: list[Passage] = []
    heading = label = ""  # the sub-heading and bold label the next passages sit under

    def add(text: str, tok: Token) -> None:
        start, end = _span(tok)
        markdown = "\n".join(lines[start - 1:end]).rstrip()
        if tok.type != "code_block":  # a passage of a list item's answer is indented
            markdown = textwrap.dedent(markdown)
        out.append(_passage(text, (start, end), markdown))

    def add_under(text: str, tok: Token, parent: str) -> None:
        """A passage read with the sub-heading, bold label and parent bullet it sits under."""
        context = " — ".join(p for p in (heading, label, parent) if p)
        add(f"{context}: {text}" if context else text, tok)

    for block in blocks:
        items: list[str] = []  # label of each open list item, outermost first
        tokens = block.tokens
        rows = _body_rows(tokens)
        for i, tok in enumerate(tokens):
            if tok.type == "heading_open":
                heading, label = _clean(inline_text(tokens[i + 1])), ""
                add(heading, tok)
            elif tok.type == "list_item_open":
                items.append("")
            elif tok.type == "list_item_close":
                items.pop()
            elif tok.type == "paragraph_open":
                text = " ".join(inline_text(tokens[i + 1]).split())
                if items and not items[-1]:
                    items[-1] = text.split(":", 1)[0][:80]
                if not items and _is_bold_only(tokens[i + 1]):  # "**For Exploding Gradients:**"
                    label = text.rstrip(":")
                elif _has_word(text):
                    add_under(text, tok, items[-2] if len(items) > 1 else "")
            elif i in rows:
                cells = (" ".join(inline_text(t).split()) for t in rows[i])
                add(" — ".join(c for c in cells if c), tok)
            elif tok.type in ("fence", "code_block") and tok.content.strip():
                # a snippet's parent is the bullet it sits in ("Gradient clipping")
                add_under(tok.content.strip(), tok, items[-1] if items else "")
            elif tok.type == "html_block":
                text = " ".join(" ".join(_html(tok.content).text).split())
                if _has_word(text):
                    add(text, tok)
    unique: dict[str, Passage] = {}
    for p in out:
        unique.setdefault(p.text, p)
    return list(unique.values())


def _passage(text: str, lines: tuple[int, int], markdown: str) -> Passage:
    """A passage whose text reads as a student would type it (`query.spoken`: "σ² + ε" →
    "sigma ² + epsilon", "n_{in}" → "n_in"); the Markdown shown stays as written."""
    return Passage(spoken(text), lines, markdown)


def _span(tok: Token) -> tuple[int, int]:
    start, end = tok.map or (0, 1)
    return start + 1, max(start + 1, end)
