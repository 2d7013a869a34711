"""Loads a corpus directory (Markdown, CSV, JSONL) into chunks with stable ids, and hashes it.

Bad files never stop the rest: each problem becomes a warning naming the file (and line or byte),
and only a corpus with nothing answerable at all is an error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

from .chunk import Chunk, OpenQuestion, SlugCounter, short_slug
from .errors import CorpusError
from .markdown import COLUMNS, ParsedDocument, answer_passages, parse_markdown, question_text

MARKDOWN = {".md", ".markdown"}
TABLES = {".csv", ".tsv", ".jsonl"}
SUPPORTED = MARKDOWN | TABLES
# The format of an index: bump it whenever parsing, the chunks, the keys, the BM25 tokens or the
# saved vocabulary (terms.txt included) change, so that indexes built before are rebuilt, not only
# when the notes change. 2: one tokenizer and stop-word list (text.py).
INDEX_FORMAT = 2


@dataclass(frozen=True)
class Corpus:
    chunks: tuple[Chunk, ...]
    warnings: tuple[str, ...]
    digest: str  # content hash of every supported file + INDEX_FORMAT
    open: tuple[OpenQuestion, ...] = ()  # questions the notes ask but do not answer
    coverage: tuple[str, ...] = ()  # the warnings about question-like items that lost their chunk


def corpus_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise CorpusError(f"corpus directory {root} does not exist; create it or pass --corpus DIR")
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def corpus_digest(root: Path) -> str:
    h = hashlib.sha256(f"index format {INDEX_FORMAT}".encode())
    for path in corpus_files(root):
        if path.suffix.lower() in SUPPORTED:
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            try:
                h.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError as exc:  # load_corpus warns about it; the digest still changes
                h.update(f"unreadable: {exc.errno}".encode())
    return h.hexdigest()


def load_corpus(root: Path, strict: bool = False) -> Corpus:
    """Every note file under `root` as chunks. Problems are warnings; with `strict`, question-like
    items that did not become questions of their own (the coverage check) are an error."""
    root = Path(root)
    chunks: list[Chunk] = []
    warnings: list[str] = []
    coverage: list[str] = []
    open_questions: list[OpenQuestion] = []
    for path in corpus_files(root):
        rel = path.relative_to(root).as_posix()
        if path.suffix.lower() not in SUPPORTED:
            warnings.append(f"{rel}: ignored (not .md, .markdown, .csv, .tsv or .jsonl)")
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            warnings.append(f"{rel}: cannot be read ({exc.strerror or exc}); file skipped (check "
                            "its permissions)")
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            warnings.append(f"{rel}: not valid UTF-8 at byte {exc.start}; file skipped "
                            "(re-save it as UTF-8)")
            continue
        try:
            doc = _parse(text, rel, path.suffix.lower())
        except CorpusError as exc:
            warnings.append(f"{exc}; file skipped")
            continue
        found = doc.chunks
        warnings.extend(doc.warnings)
        coverage.extend(doc.coverage)
        open_questions.extend(doc.open)
        if not found:
            warnings.append(f"{rel}: no questions found (use ### question headings, **bold** "
                            "question paragraphs, Q:/A: lines or <details> blocks)")
        chunks.extend(found)
    if strict and coverage:
        raise CorpusError("questions were lost (strict mode):\n" + "\n".join(coverage))
    if not chunks:
        raise CorpusError(f"no questions found in corpus directory {root}; add Markdown, CSV or "
                          "JSONL notes with questions and answers")
    return Corpus(_assign_ids(chunks, warnings), tuple(warnings), corpus_digest(root),
                  tuple(open_questions), tuple(coverage))


def _parse(text: str, rel: str, suffix: str) -> ParsedDocument:
    if suffix in MARKDOWN:
        return parse_markdown(text, rel)
    rows = _jsonl_rows(text, rel) if suffix == ".jsonl" else _csv_rows(text, rel)
    chunks: list[Chunk] = []
    notes: list[str] = []
    open_questions: list[OpenQuestion] = []
    title = Path(rel).stem
    for line, last, row in rows:
        if isinstance(row, str):
            notes.append(row)
            continue
        row = _columns(row)
        question = question_text(str(row.get("question") or ""))
        raw = str(row.get("answer") or "")
        answer = raw.strip()
        if not question or not answer:
            notes.append(f"{rel}:{line}: row needs both 'question' and 'answer'; skipped")
            if question:
                open_questions.append(OpenQuestion(question, rel, line))
            continue
        section = " ".join(str(row.get("section") or "").split())
        chunks.append(Chunk(id="", question=question, answer=answer, title=title, section=section,
                            file=rel, lines=(line, last), anchor="",
                            passages=answer_passages(answer, line + _leading_lines(raw), last)))
    return ParsedDocument(title, chunks, notes, open_questions)


def _leading_lines(text: str) -> int:
    return text[:len(text) - len(text.lstrip())].count("\n")


# (first line, last line, the row or a note saying why it was skipped)
Rows = list[tuple[int, int, dict[str, str] | str]]


def _columns(row: dict) -> dict:
    """A row's fields under their standard names, whatever case or synonym the file used."""
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    return {name: next((lowered[k] for k in names if lowered.get(k) not in (None, "")), None)
            for name, names in COLUMNS.items()}


def _csv_rows(text: str, rel: str) -> Rows:
    header = text.split("\n", 1)[0]
    # Comma, tab (.tsv, Anki exports) or semicolon (spreadsheets in many locales): whichever
    # splits the header into question and answer columns.
    for delimiter in (",", "\t", ";"):
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
        if fields & set(COLUMNS["question"]) and fields & set(COLUMNS["answer"]):
            break
    else:
        raise CorpusError(f"{rel}:1: the header must name a question and an answer column "
                          f"(as question,answer or front,back; found {header.strip()[:80]!r})")
    rows: Rows = []
    start = 2
    for row in reader:
        rows.append((start, reader.line_num, row))  # a quoted field may span several lines
        start = reader.line_num + 1
    return rows


def _jsonl_rows(text: str, rel: str) -> Rows:
    rows: Rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((n, n, f"{rel}:{n}: invalid JSON ({exc.msg}); line skipped"))
            continue
        if not isinstance(obj, dict):
            rows.append((n, n, f"{rel}:{n}: expected an object with 'question' and 'answer'; "
                         "skipped"))
            continue
        rows.append((n, n, obj))
    return rows


def _assign_ids(chunks: list[Chunk], warnings: list[str]) -> tuple[Chunk, ...]:
    unique = SlugCounter()
    seen: dict[str, Chunk] = {}
    out = []
    for c in chunks:
        key = " ".join(c.question.lower().split())
        if key in seen:
            first = seen[key]
            warnings.append(f"{c.file}:{c.lines[0]}: duplicate question {c.question!r} "
                            f"(also {first.file}:{first.lines[0]}); both kept")
        seen.setdefault(key, c)
        out.append(replace(c, id=unique(f"{Path(c.file).with_suffix('').as_posix()}/"
                                        f"{short_slug(c.question)}")))
    return tuple(out)
