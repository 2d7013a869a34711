"""The chunker on both shipped corpora and on fixtures built to fool it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DL_CORPUS, FIXTURES, THEORY_CORPUS, make_corpus

from qabot.chunk import slugify
from qabot.corpus import load_corpus
from qabot.errors import CorpusError
from qabot.markdown import parse_markdown
from qabot.render import heading_ids


def parse(path: Path):
    return parse_markdown(path.read_text(encoding="utf-8"), path.name)


def test_deep_learning_corpus_has_seven_questions_and_quick_reference():
    doc = parse(DL_CORPUS)
    assert doc.title == "Deep Learning Basics: Interview Q&A"
    assert [c.question for c in doc.chunks] == [
        "What is the difference between batch normalization and layer normalization?",
        "How do vanishing and exploding gradients occur, and how can they be mitigated?",
        "How does transfer learning work in deep learning?",
        "How do you handle overfitting in deep neural networks?",
        "What is Xavier Initialization (aka Glorot Initialization)?",
        "Loss vs. Cost",
        "Transfer Learning vs Fine-Tuning",
        "Quick Reference",
    ]
    assert doc.warnings == []


def test_deep_learning_chunk_fields_are_exact():
    first = parse(DL_CORPUS).chunks[0]
    lines = DL_CORPUS.read_text().splitlines()
    assert first.lines == (12, 41)
    assert lines[first.lines[0] - 1].startswith("### What is the difference")
    assert first.section == "1. Normalization Techniques"
    assert first.path == ("Deep Learning Basics: Interview Q&A › 1. Normalization Techniques › "
                          "What is the difference between batch normalization and layer normalization?")
    assert first.anchor == "what-is-the-difference-between-batch-normalization-and-layer-normalization"
    # The answer is the original Markdown, verbatim: sub-headings, code fence and math kept.
    assert first.answer == "\n".join(lines[13:41])
    assert "```\nx̂ = (x - μ_B) / √(σ_B² + ε)\n```" in first.answer
    assert "$\\mu_B$" in first.answer


def test_symbols_in_passages_are_searchable_by_name_and_shown_as_written():
    doc = parse(DL_CORPUS)
    norm = doc.chunks[0]
    formula = next(p for p in norm.passages if "epsilon" in p.text)
    # a snippet reads with the sub-heading and bold label it sits under, as a paragraph does
    assert formula.text == "Batch Normalization — Formula: x̂ = (x - mu _B) / √( sigma _B² + epsilon )"
    assert formula.markdown == "```\nx̂ = (x - μ_B) / √(σ_B² + ε)\n```"
    xavier = next(c for c in doc.chunks if c.question.startswith("What is Xavier"))
    assert any("$n_in$ = number of input neurons" in p.text for p in xavier.passages)
    assert "Xavier Initialization — For Tanh/Sigmoid: W ~ N(0, 1/n_in)" in {
        p.text for p in xavier.passages}


def test_quick_reference_table_is_kept_as_markdown():
    quick = parse(DL_CORPUS).chunks[-1]
    assert quick.answer.startswith("| Concept | Key Point |")
    assert any("BatchNorm — Normalize across batch dimension" == p.text for p in quick.passages)


def test_theory_corpus_every_answered_bold_question_is_a_chunk():
    doc = parse(THEORY_CORPUS)
    lines = THEORY_CORPUS.read_text(encoding="utf-8").splitlines()
    questions = {c.lines[0] for c in doc.chunks}
    unanswered = {int(w.split(":")[1]) for w in doc.warnings if "has no answer" in w}
    bold_only = [i + 1 for i, line in enumerate(lines)
                 if line.startswith("**") and line.rstrip().endswith("**") and line.count("**") == 2]
    assert 140 <= len(doc.chunks) <= 170
    assert len(unanswered) == 14  # 14 questions are only "Answer here" placeholders
    assert set(bold_only) == questions | unanswered
    for chunk in doc.chunks:
        assert not chunk.question.startswith("**") and chunk.question[-1] not in "👶⭐🚀️\u200d"
        assert chunk.section and chunk.title == "Theoretical interview questions"
        assert lines[chunk.lines[0] - 1].startswith("**")


def test_theory_answer_paragraphs_opening_with_bold_are_not_questions():
    doc = parse(THEORY_CORPUS)
    bias = next(c for c in doc.chunks if c.question == "What is the bias-variance trade-off?")
    assert bias.answer.startswith("**Bias** is the error")
    assert not any(c.question.startswith(("Bias", "Variance")) for c in doc.chunks)
    # Stand-alone <br/> separators between questions are not part of any answer.
    assert not any(c.answer.endswith("\n\n<br/>") or c.answer.startswith("<br/>") for c in doc.chunks)


@pytest.fixture(scope="module")
def tricky():
    return parse(FIXTURES / "tricky.md")


def by_question(doc, text):
    return next(c for c in doc.chunks if c.question == text)


def test_front_matter_title_and_true_line_numbers(tricky):
    assert tricky.title == "Tricky Notes"
    tensor = by_question(tricky, "What is a tensor?")
    assert tensor.lines[0] == 12  # numbering "1." and the emoji are stripped from the question
    assert tensor.anchor == "1-what-is-a-tensor-"


def test_hash_lines_in_code_fences_are_not_headings(tricky):
    tensor = by_question(tricky, "What is a tensor?")
    assert "## nor is this" in tensor.answer
    assert "nor is this" not in [c.question for c in tricky.chunks]


def test_reference_links_are_dropped_from_questions(tricky):
    assert by_question(tricky, "What is broadcasting?").answer.startswith("**Broadcasting**")


def test_unanswered_question_warns_with_file_and_line(tricky):
    assert "An unanswered question?" not in [c.question for c in tricky.chunks]
    assert any(w.startswith("tricky.md:28:") and "no answer" in w for w in tricky.warnings)
    assert [(o.question, o.line) for o in tricky.open] == [("An unanswered question?", 28)]


def test_bold_questions_html_blocks_and_br_separators(tricky):
    lr = by_question(tricky, "What is a learning rate?")
    assert lr.section == "Bold style" and lr.anchor == "bold-style"
    assert "<b>not a question</b>" in lr.answer and not lr.answer.rstrip().endswith("<br/>")
    assert by_question(tricky, "Which optimizers do you know?").answer == "- SGD\n- Adam"


def test_q_and_a_pairs(tricky):
    assert by_question(tricky, "What does zero_grad do?").answer == "A: It resets accumulated gradients."
    shuffle = by_question(tricky, "Why shuffle the data?")
    assert shuffle.answer == "A: So batches are not correlated." and shuffle.lines == (54, 56)


def test_details_blocks(tricky):
    assert by_question(tricky, "What is early stopping?").answer == (
        "Stop training when validation loss stops improving.")
    assert "L2 penalty on weights." in by_question(tricky, "What is weight decay?").answer


def test_section_without_questions_is_one_chunk_and_preamble_is_not(tricky):
    only = by_question(tricky, "Only Content")
    assert only.answer == "A section with text but no question."
    assert not any("Intro paragraph" in c.answer for c in tricky.chunks)


def test_csv_and_jsonl_pairs_with_bad_rows_reported(tmp_path):
    corpus = load_corpus(FIXTURES)
    ids = [c.id for c in corpus.chunks]
    assert "pairs/what-is-a-csv-question" in ids and "pairs/what-is-a-jsonl-question" in ids
    csv_chunk = next(c for c in corpus.chunks if c.question == "What is a CSV question?")
    assert csv_chunk.answer == "An answer in a CSV row, with a comma." and csv_chunk.section == "Tables"
    assert any(w.startswith("pairs.csv:3:") for w in corpus.warnings)
    assert any(w.startswith("pairs.jsonl:2: invalid JSON") for w in corpus.warnings)


def test_a_csv_answer_over_several_lines_keeps_its_whole_line_range(tmp_path):
    (tmp_path / "cards.csv").write_text(
        'question,answer\n"What is a race?","Timing decides the result.\n\n- lost update\n'
        '- torn read"\nWhat is a lock?,A mutex.\n')
    race, lock = load_corpus(tmp_path).chunks
    assert race.lines == (2, 5) and lock.lines == (6, 6)
    assert [p.lines for p in race.passages] == [(2, 2), (4, 4), (5, 5)]
    assert race.passages[1].markdown == "- lost update"


@pytest.mark.parametrize("heading, question", [
    ("### 1.2 What is a p-value? ⭐ 🟡 Medium", "What is a p-value?"),
    ("### Q3: Why divide by n-1? 🔴 Hard", "Why divide by n-1?"),
    ("### Q: What is a z-score?", "What is a z-score?"),
    ("### 2.4.1) What is the CLT? (Easy)", "What is the CLT?"),
    ("### What is bagging? — Advanced", "What is bagging?"),
    ("### 2 layers or 3?", "2 layers or 3?"),  # a number that is not a numbering
    ("### Why is training hard", "Why is training hard"),  # a word that is not a marker
])
def test_numbering_and_difficulty_markers_are_not_part_of_the_question(tmp_path, heading, question):
    (tmp_path / "n.md").write_text(f"# T\n\n## S\n\n{heading}\n\nAn answer.\n")
    (chunk,) = load_corpus(tmp_path).chunks
    assert chunk.question == question and chunk.anchor == slugify(heading.lstrip("# "))


def test_duplicate_questions_get_distinct_ids_and_a_warning(tmp_path):
    (tmp_path / "a.md").write_text("## S\n\n### What is X?\n\nOne.\n\n### What is X?\n\nTwo.\n")
    corpus = load_corpus(tmp_path)
    assert [c.id for c in corpus.chunks] == ["a/what-is-x", "a/what-is-x-1"]
    assert any("duplicate question" in w for w in corpus.warnings)


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path):
    (tmp_path / "good.md").write_text("## S\n\n**What is good?**\n\nThis.\n")
    (tmp_path / "latin1.md").write_bytes("## S\n\n**Caf\xe9?**\n\nx\n".encode("latin-1"))
    (tmp_path / "empty.md").write_text("# Nothing here\n\nJust prose.\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    corpus = load_corpus(tmp_path)
    assert [c.question for c in corpus.chunks] == ["What is good?"]
    text = "\n".join(corpus.warnings)
    assert "latin1.md: not valid UTF-8 at byte 11" in text
    assert "empty.md: no questions found" in text
    assert "image.png: ignored" in text


@pytest.mark.parametrize("files", [{}, {"notes.txt": "hello"}])
def test_corpus_with_nothing_answerable_is_an_error(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(CorpusError, match="no questions found"):
        load_corpus(tmp_path)


def test_missing_corpus_directory_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")


def test_list_items_that_open_with_a_question_are_questions(tmp_path):
    (tmp_path / "net.md").write_text(
        "# Networking\n\n## Transport\n\n"
        "1. **What is TCP?**\n\n    A reliable, connection-oriented protocol.\n\n"
        "    ```\n    SYN, SYN-ACK, ACK\n    ```\n\n"
        "2. **What is UDP?**\n\n    Connectionless.\n\n"
        "## Tips\n\n- **Pros**\n  - fast\n- **Cons**\n  - slow\n")
    corpus = load_corpus(tmp_path)
    tcp, udp, tips = corpus.chunks
    assert (tcp.question, tcp.section, tcp.lines) == ("What is TCP?", "Transport", (5, 11))
    assert tcp.answer == "A reliable, connection-oriented protocol.\n\n```\nSYN, SYN-ACK, ACK\n```"
    assert tcp.passages[0].markdown == "A reliable, connection-oriented protocol."
    assert udp.answer == "Connectionless." and udp.lines == (13, 15)
    # a list of bold labels that are not questions stays one answer
    assert tips.question == "Tips" and "- **Cons**" in tips.answer


def test_a_list_of_questions_inside_an_answer_is_part_of_it(tmp_path):
    (tmp_path / "t.md").write_text("## Tests\n\n**Which test should I use?**\n\nAsk:\n\n"
                                   "- Is the data normal?\n  - use a t-test\n- Is it paired?\n")
    (chunk,) = load_corpus(tmp_path).chunks
    assert chunk.question == "Which test should I use?" and "- Is it paired?" in chunk.answer


@pytest.mark.parametrize("pair, question, answer", [
    ("Q. What is an index?\nAns: A lookup structure.", "What is an index?", "Ans: A lookup structure."),
    ("Q3: What is a view?\nAnswer. A stored query.", "What is a view?", "Answer. A stored query."),
    ("**Question: What is a key?**\n\n**A:** A unique column.", "What is a key?",
     "**A:** A unique column."),
    ("Q: Which is a join?\na) INNER\nb) UNION\nA: a", "Which is a join? a) INNER b) UNION", "A: a"),
])
def test_q_and_a_marker_variants(tmp_path, pair, question, answer):
    (tmp_path / "db.md").write_text(f"# DB\n\n{pair}\n")
    (chunk,) = load_corpus(tmp_path).chunks
    assert (chunk.question, chunk.answer) == (question, answer)


def test_question_answer_table_rows_are_questions(tmp_path):
    (tmp_path / "cards.md").write_text(
        "# Flashcards\n\n## Security\n\n| # | Question | Answer |\n|---|---|---|\n"
        "| 1 | What is a salt? | Random data added **before hashing**. |\n"
        "| 2 | What is a pepper? | TODO |\n\n"
        "## Glossary\n\n| Term | Meaning |\n|---|---|\n| Nonce | A number used once |\n")
    corpus = load_corpus(tmp_path)
    salt, glossary = corpus.chunks
    assert (salt.question, salt.section, salt.lines) == ("What is a salt?", "Security", (7, 7))
    assert salt.answer == "Random data added **before hashing**."
    assert salt.passages[0].text == "Random data added before hashing."
    assert glossary.question == "Glossary"  # not a Question | Answer table: one section chunk
    assert [(o.question, o.line) for o in corpus.open] == [("What is a pepper?", 8)]
    assert any(w.startswith("cards.md:8: question 'What is a pepper?' has no answer") for w in
               corpus.warnings)


@pytest.mark.parametrize("name, data", [
    ("bom.csv", "\ufeffQuestion,Answer\nWhat is a BOM?,A byte order mark.\n"),
    ("semi.csv", "question;answer\nWhat is a BOM?;A byte order mark.\n"),
    ("anki.tsv", "front\tback\tdeck\nWhat is a BOM?\tA byte order mark.\tFormats\n"),
    ("upper.jsonl", '{"Question": "What is a BOM?", "Answer": "A byte order mark."}\n'),
])
def test_question_tables_in_the_shapes_spreadsheets_and_flashcard_tools_export(tmp_path, name, data):
    (tmp_path / name).write_text(data, encoding="utf-8")
    (chunk,) = load_corpus(tmp_path).chunks
    assert (chunk.question, chunk.answer) == ("What is a BOM?", "A byte order mark.")
    assert chunk.section == ("Formats" if name == "anki.tsv" else "")


def test_a_table_without_question_and_answer_columns_is_skipped_not_fatal(tmp_path):
    (tmp_path / "bad.csv").write_text("foo,bar\n1,2\n")
    (tmp_path / "good.md").write_text("**What is good?**\n\nThis.\n")
    corpus = load_corpus(tmp_path)
    assert [c.question for c in corpus.chunks] == ["What is good?"]
    assert corpus.warnings == ("bad.csv:1: the header must name a question and an answer column "
                               "(as question,answer or front,back; found 'foo,bar'); file skipped",)


def test_question_headings_at_the_top_level_keep_their_sub_headings_in_the_answer(tmp_path):
    (tmp_path / "ml.md").write_text(
        "# ML\n\n## 1. What is overfitting?\n\nMemorising noise.\n\n### Example\n\nA degree-15 "
        "fit.\n\n## 2. What is bagging?\n\nBootstrap aggregating.\n\n### Example\n\nForests.\n")
    overfitting, bagging = load_corpus(tmp_path).chunks
    assert (overfitting.question, overfitting.lines) == ("What is overfitting?", (3, 9))
    assert overfitting.answer.endswith("### Example\n\nA degree-15 fit.")
    assert overfitting.path == "ML › What is overfitting?"
    assert (bagging.question, bagging.anchor) == ("What is bagging?", "2-what-is-bagging")


STUDY_GUIDE = FIXTURES / "cell-biology.md"


@pytest.fixture(scope="module")
def guide():
    return parse(STUDY_GUIDE)


def test_study_guide_gives_one_chunk_per_numbered_item(guide):
    lines = STUDY_GUIDE.read_text(encoding="utf-8").splitlines()
    numbered = [i + 1 for i, line in enumerate(lines) if line[:1].isdigit()]
    assert len(numbered) == 37 and [c.lines[0] for c in guide.chunks] == numbered
    assert guide.warnings == [] and guide.coverage == []
    for chunk in guide.chunks:
        assert chunk.question and chunk.question[-1] not in "*\\ "
        assert chunk.section.count(" › ") == 1 and not chunk.is_section
        assert chunk.answer.startswith("- ")  # the indented bullets, dedented


@pytest.mark.parametrize("question, section, lines, answer", [
    # escaped marker "?\*" inside the bold
    ("Who first described cells, looking at thin slices of cork?",
     "Part 1: The Cell › A: Cell Theory and Microscopes", (13, 14), "- Robert Hooke"),
    # prompts: not phrased as questions, set apart in bold with an answer under them
    ("Name one kind of microscope.", "Part 1: The Cell › A: Cell Theory and Microscopes", (15, 17),
     "- light microscope\n- electron microscope"),
    ("Define active transport.", "Part 2: Organelles › E: Moving Across the Membrane", (81, 82),
     "- movement against the concentration gradient, using energy from ATP"),
    # "10." with its answer indented three spaces, too few to nest under a two-digit number
    ("Describe one difference between plant and animal cells.",
     "Part 1: The Cell › B: Prokaryotes and Eukaryotes", (37, 40),
     "- plant cells have a cell wall\n- plant cells have chloroplasts\n"
     "- plant cells have one large central vacuole"),
    ("What is a eukaryote?", "Part 1: The Cell › B: Prokaryotes and Eukaryotes", (41, 42),
     "- a cell with a nucleus and membrane-bound organelles"),
    # numbering continued in a new list, answers indented four spaces
    ("List the phases of mitosis in order.", "Part 3: Cell Division › F: Mitosis", (92, 96),
     "- prophase\n- metaphase\n- anaphase\n- telophase"),
    # a list of bare terms, written like the guide's question lists
    ("Organelle", "Part 3: Cell Division › H: Key Terms", (116, 117),
     "- a structure inside a cell with a particular job"),
])
def test_study_guide_items_keep_their_answer_lines_and_section_path(guide, question, section,
                                                                    lines, answer):
    chunk = by_question(guide, question)
    assert (chunk.section, chunk.lines, chunk.answer) == (section, lines, answer)
    assert chunk.path == f"Cell Biology Study Guide › {section} › {question}"
    assert chunk.anchor == slugify(section.split(" › ")[-1])


def test_study_guide_loads_with_strict_coverage(tmp_path):
    corpus = load_corpus(make_corpus(tmp_path, STUDY_GUIDE), strict=True)
    assert len(corpus.chunks) == 37 and corpus.coverage == () and corpus.warnings == ()


def test_a_topic_heading_over_questions_is_a_sub_section(tmp_path):
    (tmp_path / "g.md").write_text(
        "# Guide\n\n## Part 1\n\n### A: Topic\n\nRead chapter 2 first.\n\n"
        "1. **What is X?**\n   - x\n2. **Name one Y.**\n   - y\n\n"
        "### What is Z?\n\nZ is the last letter.\n\n#### Example\n\nzebra\n")
    x, y, intro, z = load_corpus(tmp_path).chunks
    assert (x.question, x.section, x.path) == ("What is X?", "Part 1 › A: Topic",
                                                "Guide › Part 1 › A: Topic › What is X?")
    assert (y.question, y.answer) == ("Name one Y.", "- y")
    # the sub-section's own text is a chunk titled by its heading
    assert (intro.question, intro.answer, intro.lines) == ("A: Topic", "Read chapter 2 first.", (5, 7))
    assert intro.is_section and intro.path == "Guide › Part 1 › A: Topic"
    # a sibling heading with nothing finer under it stays a question, sub-headings in its answer
    assert (z.question, z.section, z.lines) == ("What is Z?", "Part 1", (14, 20))


def test_comparison_headings_and_bold_labels_stay_answers_in_a_study_guide(tmp_path):
    (tmp_path / "g.md").write_text(
        "# T\n\n## A\n\n### Questions\n\n1. **What is X?**\n   - x\n\n## B\n\n### Loss vs. Cost\n\n"
        "- **Loss**: Error for one point\n- **Cost**: Average loss\n\n"
        "### How do you handle overfitting?\n\n1. **Regularization**\n   - L1\n2. **Dropout**\n   - drop\n")
    corpus = load_corpus(tmp_path)
    assert [c.question for c in corpus.chunks] == [
        "What is X?", "Loss vs. Cost", "How do you handle overfitting?"]
    assert corpus.warnings == ()


@pytest.mark.parametrize("item, question, answer", [
    ("**Name one organelle.**\n   - nucleus", "Name one organelle.", "- nucleus"),
    ("**Describe a cell wall.**\n\n   A stiff layer outside the membrane.", "Describe a cell wall.",
     "A stiff layer outside the membrane."),
    ("Q: List two sugars.\n   A: glucose, sucrose", "List two sugars.", "A: glucose, sucrose"),
    ("**Osmosis**: diffusion of water.", "Osmosis", "**Osmosis**: diffusion of water."),
    ("**What is a cell?** The unit of life.", "What is a cell?", "**What is a cell?** The unit of life."),
])
def test_prompts_in_a_question_list_are_questions(tmp_path, item, question, answer):
    (tmp_path / "b.md").write_text(f"# Bio\n\n## S\n\n1. **What is ATP?**\n   - energy\n2. {item}\n")
    corpus = load_corpus(tmp_path)
    atp, prompt = corpus.chunks
    assert (prompt.question, prompt.answer, prompt.lines[0]) == (question, answer, 7)
    assert corpus.warnings == ()


def test_a_question_list_keeps_items_that_are_not_questions_with_a_warning(tmp_path):
    (tmp_path / "b.md").write_text(
        "# Bio\n\n## S\n\n1. **What is a cell?**\n   - unit of life\n2. **Name one organelle.**\n"
        "   - nucleus\n3. See the diagram on page 4\n4. Plain note with an answer\n   - yes\n"
        "5. **What is ATP?**\n   - energy\n")
    corpus = load_corpus(tmp_path)
    assert [c.question for c in corpus.chunks] == [
        "What is a cell?", "Name one organelle.", "Plain note with an answer", "What is ATP?"]
    assert [w.split(" list item")[0] for w in corpus.warnings] == ["b.md:9:", "b.md:10:"]
    assert "skipped" in corpus.warnings[0] and "kept" in corpus.warnings[1]


@pytest.mark.parametrize("written, question", [
    ("**What is a gene?\\***", "What is a gene?"),
    ("**What is a gene?***", "What is a gene?"),
    ("**Name one base. †**", "Name one base."),
    ("**What is a gene? (65/20)**", "What is a gene?"),
    ("**What is a gene? [[src]]**", "What is a gene?"),
    ("**What is a gene? [3]**", "What is a gene?"),
    ("**What is a gene? 🧬 ⭐ Hard**", "What is a gene?"),
    ("**Why use 2*n cells?**", "Why use 2*n cells?"),  # an asterisk inside is no marker
    ("**What is f(2)**", "What is f(2)"),  # nor a bracketed number without punctuation
])
def test_trailing_markers_are_cleaned_from_bold_questions(tmp_path, written, question):
    (tmp_path / "m.md").write_text(f"# M\n\n## S\n\n{written}\n\nAn answer *with* a star\\*.\n")
    (chunk,) = load_corpus(tmp_path).chunks
    assert chunk.question == question and chunk.answer == "An answer *with* a star\\*."


@pytest.mark.parametrize("name, data", [
    ("cards.csv", "section,question,answer\nGenes,What is a gene?*,A unit of heredity*.\n"),
    ("cards.csv", 'section,question,answer\nGenes,"1. **What is a gene?** (65/20)",A unit of heredity*.\n'),
    ("cards.jsonl", '{"section": "Genes", "question": "What is a gene? †", '
                    '"answer": "A unit of heredity*."}\n'),
])
def test_markers_are_cleaned_from_csv_and_jsonl_questions_not_answers(tmp_path, name, data):
    (tmp_path / name).write_text(data, encoding="utf-8")
    (chunk,) = load_corpus(tmp_path).chunks
    assert (chunk.question, chunk.answer, chunk.section) == (
        "What is a gene?", "A unit of heredity*.", "Genes")


CHECKLIST = ("# Tests\n\n## Choosing\n\n### Which test should I use?\n\nAsk in order:\n\n"
             "1. Is the data paired?\n2. Is it normal?\n3. Are there more than two groups?\n\n"
             "### What is a t-test?\n\nA test of means.\n")


def test_question_like_items_merged_into_an_answer_are_reported(tmp_path):
    (tmp_path / "t.md").write_text(CHECKLIST)
    corpus = load_corpus(tmp_path)
    assert [c.question for c in corpus.chunks] == ["Which test should I use?", "What is a t-test?"]
    assert corpus.coverage[-1].startswith(
        "t.md:5: 3 question-like items (lines 9, 10, 11) became part of the answer to "
        "'Which test should I use?'")
    assert set(corpus.coverage) <= set(corpus.warnings)


def test_strict_loading_makes_lost_questions_an_error(tmp_path):
    (tmp_path / "t.md").write_text(CHECKLIST)
    with pytest.raises(CorpusError, match=r"(?s)strict.*t\.md:5: 3 question-like items"):
        load_corpus(tmp_path, strict=True)


def test_a_file_that_lost_many_questions_gets_a_summary(tmp_path):
    quoted = "".join(f"> {n}. **What is {w}?**\n>    - {w}\n" for n, w in enumerate("XYZ", 1))
    (tmp_path / "q.md").write_text(f"# Q\n\n## S\n\n### A: One\n\n{quoted}\n### B: Two\n\n{quoted}")
    corpus = load_corpus(tmp_path)
    assert [c.question for c in corpus.chunks] == ["A: One", "B: Two"]
    assert corpus.coverage[0] == ("q.md: 6 question-like items became 2 chunks: the answers at "
                                  "lines 5, 14 hold 6 of them")
    assert [w.split(":")[1] for w in corpus.coverage[1:]] == ["5", "14"]


@pytest.mark.parametrize("heading, question, anchor", [
    ("## Can I use REUSE? {#can-i-use}", "Can I use REUSE?", "can-i-use"),
    ("## Can I use REUSE?{#can-i-use}", "Can I use REUSE?", "can-i-use"),
    ("## Can I use REUSE? {#can-i-use .faq}", "Can I use REUSE?", "can-i-use"),
    ("## Can I use REUSE? {: #can-i-use}", "Can I use REUSE?", "can-i-use"),  # kramdown
    ("## Can I use *REUSE*? {#v1.2 data-x=\"a b\"}", "Can I use REUSE?", "v1.2"),
    ("## Can I use REUSE? {.unnumbered}", "Can I use REUSE?", "can-i-use-reuse"),  # no id: slug
    ("## 1. Can I use REUSE? ⭐ {#can-i-use}", "Can I use REUSE?", "can-i-use"),
    ("## Is `{#x}` an id?", "Is {#x} an id?", "is-x-an-id"),  # code is text
    ("## What is {x}?", "What is {x}?", "what-is-x"),  # braces without an id or class
    ("## Why {key=value}", "Why {key=value}", "why-keyvalue"),
])
def test_a_heading_attribute_block_names_the_anchor_and_is_no_part_of_the_question(
        tmp_path, heading, question, anchor):
    text = f"# FAQ {{#faq}}\n\n# General {{#general}}\n\n{heading}\n\nAn answer.\n"
    (tmp_path / "faq.md").write_text(text)
    (chunk,) = load_corpus(tmp_path).chunks
    assert (chunk.question, chunk.anchor, chunk.section, chunk.lines) == (
        question, anchor, "General", (5, 7))
    # the notes viewer gives the heading the id the chunk links to
    assert heading_ids(text)[4] == anchor


def test_heading_ids_in_answers_and_duplicates_are_handled_as_the_viewer_does(tmp_path):
    text = ("# General\n\n## What is SPDX? {#spdx}\n\nA standard.\n\n### Details {#spdx-details}\n\n"
            "More.\n\n## What is a licence? {#spdx}\n\nA permission.\n\n## What is a licence?\n\n"
            "Asked twice.\n")
    (tmp_path / "faq.md").write_text(text)
    spdx, licence, again = load_corpus(tmp_path).chunks
    assert (spdx.anchor, licence.anchor, again.anchor) == ("spdx", "spdx-1", "what-is-a-licence")
    assert spdx.answer.endswith("### Details {#spdx-details}\n\nMore.")  # the answer is verbatim
    assert "Details" in {p.text for p in spdx.passages}  # its sub-heading reads without the id
    assert not any("{#" in p.text for p in spdx.passages)
    assert set(heading_ids(text).values()) >= {c.anchor for c in (spdx, licence, again)}


VSCODE_LIKE = ("# FAQ\n\n## Is it free?\n\nYes.\n\n## Licensing\n\n### Location\n\nIn resources.\n\n"
               "### Why a different license?\n\nSee issue 60.\n\n### How do I find a license?\n\n"
               "On its page.\n\n#### Example\n\nThe MIT link.\n\n## Is it fast?\n\nYes.\n")


@pytest.mark.parametrize("notes, chunks", [
    # the parent keeps its text before the first sub-question ("### Location" is no question)
    (VSCODE_LIKE, [("Is it free?", "", (3, 5)), ("Licensing", "", (7, 11)),
                   ("Why a different license?", "Licensing", (13, 15)),
                   ("How do I find a license?", "Licensing", (17, 23)), ("Is it fast?", "", (25, 27))]),
    # a parent with no text of its own is only their section: no empty answer
    ("# FAQ\n\n## Is it free?\n\nYes.\n\n## Is it fast?\n\nYes.\n\n## Licensing\n\n"
     "### Why a license?\n\nBecause.\n\n### Which license?\n\nMIT.\n",
     [("Is it free?", "", (3, 5)), ("Is it fast?", "", (7, 9)), ("Why a license?", "Licensing", (13, 15)),
      ("Which license?", "Licensing", (17, 19))]),
    # a question with its own answer stays a question; a later heading at the sub-questions'
    # level is one of them
    ("# T\n\n## Part\n\n### What is X?\n\nX is x.\n\n#### Why does X matter?\n\nIt does.\n\n"
     "#### How is X computed?\n\nBy hand.\n\n#### Notes\n\nSee also Y.\n\n### What is Y?\n\nY is y.\n",
     [("What is X?", "Part", (5, 7)), ("Why does X matter?", "Part › What is X?", (9, 11)),
      ("How is X computed?", "Part › What is X?", (13, 15)), ("Notes", "Part › What is X?", (17, 19)),
      ("What is Y?", "Part", (21, 23))]),
    # one sub-heading phrased as a question among others is part of the answer
    ("# T\n\n## Part\n\n### How does X work?\n\n#### Steps\n\n1. load\n\n#### Why use X?\n\nSpeed.\n\n"
     "#### Applications\n\nNLP.\n",
     [("How does X work?", "Part", (5, 17))]),
    # two levels down is not a sub-question either
    ("# FAQ\n\n## Is it free?\n\nYes.\n\n#### Really?\n\nReally.\n", [("Is it free?", "", (3, 9))]),
])
def test_question_headings_under_a_heading_question_are_chunks_of_their_own(tmp_path, notes, chunks):
    (tmp_path / "faq.md").write_text(notes)
    corpus = load_corpus(tmp_path)
    assert [(c.question, c.section, c.lines) for c in corpus.chunks] == chunks
    assert corpus.warnings == () and corpus.open == ()
    assert {c.anchor for c in corpus.chunks} <= set(heading_ids(notes).values())


def test_a_parent_question_keeps_only_its_own_text(tmp_path):
    (tmp_path / "faq.md").write_text(VSCODE_LIKE)
    chunks = {c.question: c for c in load_corpus(tmp_path).chunks}
    licensing, find = chunks["Licensing"], chunks["How do I find a license?"]
    assert licensing.answer == "### Location\n\nIn resources." and licensing.anchor == "licensing"
    assert find.answer == "On its page.\n\n#### Example\n\nThe MIT link."
    assert find.path == "FAQ › Licensing › How do I find a license?"
    assert find.anchor == "how-do-i-find-a-license"
