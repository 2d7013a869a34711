"""Markdown notes → question chunks, using markdown-it-py's token stream (never regexes over raw text).

A question is a heading one level below the document's sections, a bold-only paragraph,
a `Q:` paragraph, a `<details><summary>` block, an item of a question list (most of its items
ask a question or are prompts such as "**Name one …**" with an answer under them), or a row of
a table with Question and Answer columns. The finest structure wins: a heading whose body holds
such questions is a sub-section, not a question, so a study guide's topic headings ("### A: The
cell") over lists of questions give one chunk per item. A section with content but no questions
is one chunk titled by its heading. Each chunk keeps its answer verbatim and its 1-based line
range; question-like items that still end up inside another answer are reported (`coverage`).
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

from .chunk import PATH_SEP, Chunk, OpenQuestion, Passage, SlugCounter, slugify
from .coverage import Candidate, coverage_warnings
from .text import spoken

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_MD = MarkdownIt("commonmark").enable("table")
_SEPARATOR_KINDS = {"hr"}
_LISTS = ("bullet_list", "ordered_list")
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
# A heading's attribute block, as Pandoc, kramdown, Hugo and markdown-it-attrs write it after the
# text: "## Can I use REUSE? {#can-i-use}", "{#id .class}", "{: #id}", "{.unnumbered}". The page
# they render shows no braces and takes its id from `#id`. Matched on the heading's parsed text.
_ATTR = r"(?:#[\w:.-]+|\.[\w-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s{}\"']+))"
_HEADING_ATTRS = re.compile(rf"\s*\{{:?\s*({_ATTR}(?:\s+{_ATTR})*)\s*\}}\s*$")


@dataclass
class _Block:
    tokens: list[Token]
    start: int  # 0-based first line
    end: int  # 0-based, exclusive
    parts: tuple[_Block, ...] = ()  # a numbered list glued to its under-indented answers

    def lists(self) -> tuple[_Block, ...]:
        return self.parts or (self,)

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
    level: int = 0  # a heading's level
    indent: int = 0  # a list item answered on its own line ("- **Term**: …"): its marker's width
    nests: bool = False  # a heading whose sub-headings are mostly questions: chunks of their own


@dataclass
class _Item:
    """One item of a list, read as a possible question: its text, line and answer blocks."""

    question: _Question
    asks: bool  # phrased as a question: it ends with "?"
    style: str  # how its text is set apart as the question: bold, qa, term; or plain, none

    @property
    def set_apart(self) -> bool:
        return self.style in ("bold", "qa", "term")

    @property
    def answered(self) -> bool:
        return bool(self.question.blocks) or self.question.answer_from is not None

    @property
    def is_prompt(self) -> bool:
        """"Name one …", "Describe …", a bare term: not phrased as a question, but set apart as
        one and answered under it."""
        return self.set_apart and self.answered and not self.asks


@dataclass
class ParsedDocument:
    title: str
    chunks: list[Chunk]
    warnings: list[str]  # every problem, the coverage warnings included
    open: list[OpenQuestion]  # asked, not answered
    coverage: list[str] = field(default_factory=list)  # question-like items that lost their chunk


def parse_markdown(text: str, file: str) -> ParsedDocument:
    """Split one Markdown document into question chunks (ids are assigned by the corpus loader)."""
    lines = text.splitlines()
    title, body, warnings = _front_matter(lines, file)
    blocks = _glue_lists(_blocks(_MD.parse("\n".join(body))), lines)
    headings = [b for b in blocks if b.kind == "heading"]
    h1 = [b for b in headings if b.level == 1]
    title_block = headings[0] if headings and len(h1) == 1 and headings[0] is h1[0] else None
    if title_block is not None and not title:
        title = _clean(heading_text(title_block.inline))
    title = title or file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    section_level, question_level = _heading_levels([b for b in headings if b is not title_block])
    # A document with question lists is a study guide: there a list of prompts ("Name one …")
    # written like them is a question list too, even with no "?" in it.
    lists = [(b.kind, _list_items(b, lines, "")) for b in blocks if b.kind in _LISTS]
    deck = frozenset(_shape(k, items) for k, items in lists if _is_question_list(items, k))

    walker = _Walker(lines, file, title, deck)
    anchors = SlugCounter()
    for i, block in enumerate(blocks):
        anchor = anchors(heading_anchor(block.inline)) if block.kind == "heading" else ""
        if block is title_block:
            continue
        if block.kind == "heading" and walker.asks_under(block):
            walker.nest()
        if block.kind != "heading" or walker.in_heading_answer(block.level):
            walker.add(block)
        elif block.level <= section_level:
            walker.start_section(block, anchor)
        elif _holds_questions(_body(blocks, i), lines,
                              frozenset() if _heading_question(block).endswith("?") else deck):
            walker.start_subsection(block, anchor)
        elif block.level == walker.question_level(question_level, block.level):
            walker.start_heading(block, anchor, _asks_below(blocks, i))
        else:
            walker.add(block)
    walker.end_section()
    found = _question_like(blocks, lines) + [Candidate(n + 1, t) for n, t in walker.prompts]
    coverage = coverage_warnings(file, found, walker.chunks, {n + 1 for n in walker.reported})
    return ParsedDocument(title, walker.chunks, warnings + walker.warnings + coverage, walker.open,
                          coverage)


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
    """Walks top-level blocks in order, grouping them into sections, sub-sections and questions."""

    def __init__(self, lines: list[str], file: str, title: str, deck: frozenset[_Shape]) -> None:
        self.lines, self.file, self.title, self.deck = lines, file, title, deck
        self.chunks: list[Chunk] = []
        self.open: list[OpenQuestion] = []
        self.warnings: list[str] = []
        self.section: _Question | None = None  # None = the preamble before the first section
        self.subs: list[_Question] = []  # open sub-sections (headings over questions), outermost first
        self.question: _Question | None = None
        self.reported: set[int] = set()  # 0-based lines of questions skipped with a warning
        self.prompts: list[tuple[int, str]] = []  # (0-based line, text) of list items taken as prompts

    @property
    def container(self) -> _Question | None:
        return self.subs[-1] if self.subs else self.section

    def path(self) -> str:
        """The section path of the chunks being walked: "Part 1 › A: The cell"."""
        heads = ([self.section] if self.section is not None else []) + self.subs
        return PATH_SEP.join(h.text for h in heads)

    def question_level(self, default: int, level: int) -> int:
        """Questions sit one level below the innermost sub-section that a heading at `level`
        stays inside, else at the document's question level."""
        inside = [s for s in self.subs if s.level < level]
        return inside[-1].level + 1 if inside else default

    def in_heading_answer(self, level: int) -> bool:
        """A heading deeper than the heading question being answered is part of its answer."""
        q = self.question
        return q is not None and q.kind == "heading" and level > q.level

    def asks_under(self, block: _Block) -> bool:
        """A heading one level below the heading question being answered that asks a question
        of its own ("## Licensing" › "### Why a different license?") is no part of its answer
        when most of its sub-headings ask (`_asks_below`): folded in, the sub-question could
        only be found through its parent's text."""
        q = self.question
        return (q is not None and q.nests and block.level == q.level + 1
                and _heading_question(block).endswith("?"))

    def nest(self) -> None:
        """The heading question being answered becomes the sub-section of the questions under
        it. Its text before the first of them stays its answer (a question chunk, as before);
        with no such text it is only their section: no empty answer, no open question."""
        q = self.question
        if q is None:
            return
        self.question = None
        if _has_content(q.blocks) and not _is_navigation(q.blocks):
            self.emit(q)
        self.subs.append(_Question(q.text, q.start, q.anchor, "section", level=q.level))

    def start_section(self, block: _Block, anchor: str) -> None:
        self.end_section()
        self.section = _Question(_clean(heading_text(block.inline)), block.start, anchor, "section")

    def end_section(self) -> None:
        self.end_subs(0)
        self.end_question()
        sec = self.section
        if sec is not None and _has_content(sec.blocks) and not _is_navigation(sec.blocks):
            self.emit(sec)
        self.section = None

    def start_subsection(self, block: _Block, anchor: str) -> None:
        self.end_question()
        self.end_subs(block.level)
        self.subs.append(_Question(_clean(heading_text(block.inline)), block.start, anchor, "section",
                                   level=block.level))

    def end_subs(self, level: int) -> None:
        """Closes the sub-sections at `level` or deeper; one with content of its own (an intro
        paragraph) is a chunk titled by its heading."""
        while self.subs and self.subs[-1].level >= level:
            self.end_question()
            sub = self.subs[-1]
            if _has_content(sub.blocks) and not _is_navigation(sub.blocks):
                self.emit(sub)
            self.subs.pop()

    def start_heading(self, block: _Block, anchor: str, nests: bool = False) -> None:
        self.end_question()
        self.end_subs(block.level)
        self.start_question(_Question(_heading_question(block), block.start, anchor, "heading",
                                      level=block.level, nests=nests))

    def start_question(self, question: _Question) -> None:
        self.end_question()
        self.question = question

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
        anchor = self.container.anchor if self.container is not None else ""
        if q is None:
            columns = _qa_columns(block) if block.kind == "table" else None
            if columns is not None:
                self.table(block, *columns)
                return
            items = _list_items(block, self.lines, anchor) if block.kind in _LISTS else []
            if _is_question_list(items, block.kind, self.deck):
                self.question_list(items)
                return
        if q is None or q.kind != "heading":
            started = _inline_question(block, anchor)
            if started is not None:
                self.start_question(started)
                if started.kind == "details" and started.closed:
                    self.end_question()
                return
        if q is not None:
            q.blocks.append(block)
        elif self.container is not None:
            self.container.blocks.append(block)

    def question_list(self, items: list[_Item]) -> None:
        """Each item is a question; one that is neither a question nor a prompt is kept when it
        has an answer and skipped when not, with a warning either way."""
        for item in items:
            q = item.question
            where = f"{self.file}:{q.start + 1}: list item {q.text!r}"
            if not (item.asks or item.set_apart):
                if not (q.text and item.answered):
                    self.warnings.append(f"{where} sits in a list of questions but is no question "
                                         "and has no answer; it was skipped")
                    self.reported.add(q.start)
                    continue
                self.warnings.append(f"{where} is neither a question nor a prompt set apart in "
                                     "bold; it was kept as a question (end it with '?' or make it "
                                     "**bold**)")
            elif item.is_prompt:
                self.prompts.append((q.start, q.text))
            self.start_question(q)
        self.end_question()

    def emit(self, q: _Question) -> None:
        blocks = _trim(q.blocks)
        lines = self.lines
        if q.indent:  # the answer starts on the item's own line: blank its list marker
            lines = lines.copy()
            lines[q.start] = " " * q.indent + lines[q.start][q.indent:]
        if q.answer_from is not None:
            first, last = q.answer_from, (blocks[-1].end if blocks else q.answer_from + 1)
        elif blocks:
            first, last = blocks[0].start, blocks[-1].end
        else:
            first = last = -1
        passages = _passages(blocks, lines)
        if q.answer_from is not None:
            line = lines[q.answer_from]
            passages.insert(0, _passage(line.strip(), (first + 1, first + 1), line))
        if first < 0 or _is_placeholder(passages):
            self.unanswered(q, "write its answer below it")
            return
        while last > first + 1 and not lines[last - 1].strip():
            last -= 1
        answer = "\n".join(lines[first:last])
        if q.kind == "item":  # a list item's answer is indented under its question
            answer = textwrap.dedent(answer)
        self.add_chunk(q, answer, last, tuple(passages))

    def add_chunk(self, q: _Question, answer: str, last: int, passages: tuple[Passage, ...]) -> None:
        section, container = self.path(), self.container
        self.chunks.append(Chunk(
            id="", question=q.text or section, answer=answer, title=self.title, section=section,
            file=self.file, lines=(q.start + 1, last),
            anchor=q.anchor or (container.anchor if container is not None else ""),
            passages=passages,
        ))

    def unanswered(self, q: _Question, fix: str) -> None:
        if q.text:
            self.open.append(OpenQuestion(q.text, self.file, q.start + 1))
        self.reported.add(q.start)
        self.warnings.append(f"{self.file}:{q.start + 1}: question {q.text!r} has no answer "
                             f"text; it was skipped ({fix})")

    def table(self, block: _Block, q_col: int, a_col: int) -> None:
        """Each body row of a Question | Answer table is a question; its answer is one cell."""
        anchor = self.container.anchor if self.container is not None else ""
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


def heading_text(inline: Token | None) -> str:
    """A heading's plain text without its attribute block ("What is SPDX? {#what-is-spdx}" →
    "What is SPDX?"): the braces are markup, which the rendered page does not show either."""
    text = inline_text(inline)
    attrs = _attributes(inline)
    return text[:len(text) - len(attrs[0])] if attrs is not None else text


def heading_anchor(inline: Token | None) -> str:
    """The id the rendered page gives a heading, before duplicates are numbered: the `#id` of its
    attribute block, else the GitHub-style slug of its text. The chunker and the notes viewer
    (render.heading_ids) both use it, so a chunk's anchor names a heading of the page."""
    attrs = _attributes(inline)
    ids = [a[1:] for a in attrs[1] if a.startswith("#")] if attrs is not None else []
    return ids[0] if ids else slugify(heading_text(inline))


def drop_attributes(inline: Token | None) -> None:
    """Removes a heading's attribute block from its tokens, so a rendered page shows
    "What is SPDX?", not "What is SPDX? {#what-is-spdx}"."""
    attrs = _attributes(inline)
    if inline is not None and inline.children and attrs is not None:
        last = inline.children[-1]
        last.content = last.content[:len(last.content) - len(attrs[0])]


def _attributes(inline: Token | None) -> tuple[str, list[str]] | None:
    """(the attribute block as written, its attributes) when a heading's text ends with one that
    names an id or a class. Read from the last text token, so `{#x}` in code stays text, and only
    after some text: a heading that is nothing but braces keeps them."""
    children = (inline.children if inline else None) or []
    if not children or children[-1].type != "text":
        return None
    found = _HEADING_ATTRS.search(children[-1].content)
    if found is None or not _has_word(inline_text(inline)[:-len(found[0])]):
        return None
    attrs = re.findall(_ATTR, found[1])
    return (found[0], attrs) if any(a[0] in "#." for a in attrs) else None


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
    return _clean(_Q_MARK.sub("", _NUMBERING.sub("", heading_text(block.inline)), count=1))


def _inline_question(block: _Block, anchor: str) -> _Question | None:
    """A bold-only paragraph, a `Q:` paragraph or a <details> block starts a question."""
    if block.kind == "html_block":
        return _details_question(block, anchor)
    if block.kind != "paragraph":
        return None
    text = inline_text(block.inline)
    if _Q_MARK.match(text):
        return _qa_question(block, anchor)
    if _is_bold_only(block.inline) and not _clean(text).endswith(":"):
        return _Question(_clean(text), block.start, anchor, "bold")
    return None


def _qa_question(block: _Block, anchor: str) -> _Question:
    """A `Q:` paragraph; an `A:` line inside it starts the answer."""
    parts = inline_text(block.inline).split("\n")
    a_at = next((i for i, p in enumerate(parts) if i and _A_MARK.match(p)), None)
    q_text = _Q_MARK.sub("", " ".join(parts[:a_at]), count=1)
    q = _Question(_clean(q_text), block.start, anchor, "qa")
    if a_at is not None:
        q.answer_from = block.start + a_at
    return q


def question_text(markdown: str) -> str:
    """A question written as one line of inline Markdown (a CSV or JSONL row) as plain text,
    cleaned as the notes' questions are: no numbering, bold or trailing markers."""
    inline = _MD.parseInline(markdown)[0] if markdown.strip() else None
    return _clean(_NUMBERING.sub("", " ".join(inline_text(inline).split())))


def _glue_lists(blocks: list[_Block], lines: list[str]) -> list[_Block]:
    """Glues a numbered list to the bullet lists that answer its items from too shallow an
    indent, and to the numbered list that goes on after them. Under "10. **Q?**" an answer
    needs four spaces to nest; written with three, like the answers under "1." to "9.", it
    closes the numbered list, and "11." opens a new one."""
    out: list[_Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if prev is not None and _goes_on(prev, block, lines):
            parts = prev.lists() + (block,)
            out[-1] = _Block([t for part in parts for t in part.tokens], prev.start, block.end, parts)
        else:
            out.append(block)
    return out


def _goes_on(prev: _Block, block: _Block, lines: list[str]) -> bool:
    if prev.kind != "ordered_list" or any(lines[i].strip() for i in range(prev.end, block.start)):
        return False
    last = prev.lists()[-1]
    if block.kind == "ordered_list":  # numbering that goes on after a glued answer
        return last.kind == "bullet_list" and _indent(lines[block.start]) == _indent(lines[prev.start])
    if block.kind != "bullet_list" or last.kind != "ordered_list":
        return False
    entry, inner = _list_entries(last)[-1]
    item_line = entry.map[0] if entry.map else last.start
    return len(inner) == 1 and _indent(lines[block.start]) > _indent(lines[item_line])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _list_entries(block: _Block) -> list[tuple[Token, list[_Block]]]:
    """(list_item_open, the blocks inside it) of each top-level item of one list."""
    tokens, top = block.tokens, block.tokens[0].level + 1
    out: list[tuple[Token, list[_Block]]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "list_item_open" and tok.level == top:
            end = next(j for j in range(i + 1, len(tokens))
                       if tokens[j].type == "list_item_close" and tokens[j].level == tok.level)
            out.append((tok, _blocks(tokens[i + 1:end])))
    return out


def _list_items(block: _Block, lines: list[str], anchor: str) -> list[_Item]:
    """The items of a (possibly glued) list, each with the answer blocks under it."""
    items: list[_Item] = []
    for part in block.lists():
        if part.kind == "bullet_list" and items:  # an answer glued on by _glue_lists
            items[-1].question.blocks.append(part)
            continue
        items.extend(_item(tok, inner, lines, anchor) for tok, inner in _list_entries(part))
    return items


def _item(tok: Token, inner: list[_Block], lines: list[str], anchor: str) -> _Item:
    """A list item read as a question: "1. **What is X?**", "- Q: Name one …" (its `A:` line
    answers it), "- **Term**: definition", or plain text; the blocks under it answer it."""
    line = tok.map[0] if tok.map else (inner[0].start if inner else 0)
    head = inner[0] if inner and inner[0].kind == "paragraph" else None
    q = _Question("", line, anchor, "item", inner[1:] if head is not None else inner)
    if head is None:
        return _Item(q, False, "none")
    text = " ".join(inline_text(head.inline).split())
    style = "plain"
    if _Q_MARK.match(text):
        qa = _qa_question(head, anchor)
        q.text, q.answer_from, style = qa.text, qa.answer_from, "qa"
    elif _is_bold_only(head.inline):
        q.text = _clean(_NUMBERING.sub("", text))
        style = "plain" if q.text.endswith(":") else "bold"  # "**Steps:**" introduces a list
    elif (term := _term(head.inline)) is not None:
        q.text, q.blocks, q.indent = term, inner, _content_column(lines[line], tok)
        style = "term"
    else:
        q.text = _clean(_NUMBERING.sub("", text))
    return _Item(q, q.text.endswith("?"), style)


def _term(inline: Token | None) -> str | None:
    """The bold opening of "**Term**: definition" or "**What is X?** It is …": a bold span
    ending in ":" or "?", or followed by ":" or a dash, with more text after it."""
    children = [c for c in (inline.children if inline else None) or []
                if c.type != "softbreak" and not (c.type == "text" and not c.content.strip())]
    if not children or children[0].type != "strong_open":
        return None
    depth = 0
    for k, c in enumerate(children):
        depth += 1 if c.type == "strong_open" else -1 if c.type == "strong_close" else 0
        if depth == 0:
            break
    bold = "".join(c.content for c in children[1:k] if c.type in ("text", "code_inline")).strip()
    after = "".join(c.content for c in children[k + 1:] if c.type in ("text", "code_inline"))
    rest = after.lstrip().lstrip(":-–—")
    if not (_has_word(bold) and _has_word(rest)):
        return None
    if bold.endswith((":", "?")) or len(rest) < len(after.lstrip()):
        return _clean(bold.rstrip(":"))
    return None


def _content_column(line: str, tok: Token) -> int:
    """Where a list item's text starts on its first line: after its marker ("12." or "-") and
    the spaces after it."""
    col = _indent(line) + len((tok.info or "") + tok.markup)
    spaces = _indent(line[col:])
    return col + (spaces if 1 <= spaces <= 4 else 1)


# A list's kind and how most of its items are set apart: ("ordered_list", "bold").
_Shape = tuple[str, str]


def _shape(kind: str, items: list[_Item]) -> _Shape:
    styles = [i.style for i in items]
    return kind, max(styles, key=styles.count, default="none")


def _is_question_list(items: list[_Item], kind: str, deck: frozenset[_Shape] = frozenset()) -> bool:
    """Most items are questions or prompts, at least one is answered, and at least one asks a
    question ("?") or the list has the shape of the study guide's question lists (`deck`): a
    list of prompts ("1. **Name one …**") in a guide of numbered bold questions is one too."""
    asks = sum(i.asks for i in items)
    prompts = sum(i.is_prompt for i in items)
    return (2 * (asks + prompts) > len(items) and any(i.answered for i in items)
            and (asks > 0 or _shape(kind, items) in deck))


def _body(blocks: list[_Block], i: int) -> list[_Block]:
    """The blocks under heading `blocks[i]`, up to the next heading of its level or above."""
    level = blocks[i].level
    end = next((j for j in range(i + 1, len(blocks))
                if blocks[j].kind == "heading" and blocks[j].level <= level), len(blocks))
    return blocks[i + 1:end]


def _asks_below(blocks: list[_Block], i: int) -> bool:
    """Most headings one level below heading `blocks[i]` ask a question ("### Why …?"): they
    are questions of their own, not parts of its answer. A question's answer may have one
    sub-heading phrased as a question ("#### Why use transfer learning?" next to "#### Steps"
    and "#### Common applications"); that one stays in it."""
    level = blocks[i].level + 1
    below = [_heading_question(b) for b in _body(blocks, i) if b.kind == "heading" and b.level == level]
    return 2 * sum(t.endswith("?") for t in below) > len(below)


def _holds_questions(body: list[_Block], lines: list[str], deck: frozenset[_Shape]) -> bool:
    """A heading's body holds finer questions: a question list whose items are mostly
    answered, a Question | Answer table, a `Q:` paragraph, or a bold paragraph or <details>
    summary that asks a question. Then the heading is a sub-section, not a question."""
    for b in body:
        if b.kind in _LISTS:
            items = _list_items(b, lines, "")
            if (_is_question_list(items, b.kind, deck)
                    and 2 * sum(i.answered for i in items) > len(items)):
                return True
        elif b.kind == "table" and _qa_columns(b) is not None:
            return True
        elif b.kind in ("paragraph", "html_block"):
            q = _inline_question(b, "")
            if q is not None and (q.kind == "qa" or q.text.endswith("?")):
                return True
    return False


def _question_like(blocks: list[_Block], lines: list[str]) -> list[Candidate]:
    """Items written as questions anywhere in the notes, answers included: numbered or bold
    list items and bold paragraphs ending in "?", and `Q:` paragraphs."""
    found: list[Candidate] = []
    for b in blocks:
        for part in b.lists() if b.kind in _LISTS else ():
            for tok, inner in _list_entries(part):
                item = _item(tok, inner, lines, "")
                if item.asks and (part.kind == "ordered_list" or item.set_apart):
                    found.append(Candidate(item.question.start + 1, item.question.text))
                found.extend(_question_like(inner[1:], lines))
        if b.kind == "paragraph":
            q = _inline_question(b, "")
            if q is not None and (q.kind == "qa" or q.text.endswith("?")):
                found.append(Candidate(b.start + 1, q.text))
        elif b.kind == "blockquote":
            found.extend(_question_like(_blocks(b.tokens[1:-1]), lines))
    return found


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
        labelled = label  # a bold label names the one block after it ("**For ReLU**:" + code)
        for i, tok in enumerate(tokens):
            if tok.type == "heading_open":
                heading, label = _clean(heading_text(tokens[i + 1])), ""
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
        if labelled and label == labelled:
            label = ""
    unique: dict[str, Passage] = {}
    for p in out:
        unique.setdefault(p.text, p)
    return list(unique.values())


def _passage(text: str, lines: tuple[int, int], markdown: str) -> Passage:
    """A passage whose text reads as a student would type it (`text.spoken`: "σ² + ε" →
    "sigma ² + epsilon", "n_{in}" → "n_in"); the Markdown shown stays as written."""
    return Passage(spoken(text), lines, markdown)


def _span(tok: Token) -> tuple[int, int]:
    start, end = tok.map or (0, 1)
    return start + 1, max(start + 1, end)
