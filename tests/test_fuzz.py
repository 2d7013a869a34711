"""Property tests (Hypothesis): the parser never raises and keeps its promises on random Markdown,
and retrieval returns a well-formed answer for any Unicode string."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qabot.errors import QueryError
from qabot.markdown import parse_markdown

words = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=8)
phrase = st.lists(words, min_size=1, max_size=6).map(" ".join)

# Blocks that may appear inside an answer; none of them starts a question at ### level.
answer_block = st.one_of(
    phrase,
    phrase.map(lambda p: f"**{p}** is a bold opener of an answer."),
    phrase.map(lambda p: f"- {p}\n- {p}"),
    phrase.map(lambda p: f"```\n# {p}\n## {p}\n```"),
    phrase.map(lambda p: f"<div>{p}</div>"),
    st.just("<br/>"),
    st.just("---"),
    phrase.map(lambda p: f"| a | b |\n|---|---|\n| {p} | x |"),
    phrase.map(lambda p: f"#### {p}"),
)


@st.composite
def documents(draw) -> tuple[str, list[str]]:
    """A document with ## sections and ### questions, and the questions that have answers."""
    parts = [f"# {draw(phrase)}"]
    answered: list[str] = []
    for s in range(draw(st.integers(1, 3))):
        parts.append(f"## Section {s}")
        for q in range(draw(st.integers(1, 3))):
            question = f"What about {s}.{q} {draw(phrase)}?"
            parts.append(f"### {question}")
            body = draw(st.lists(answer_block, max_size=4))
            parts.extend(body)
            if any(b not in ("<br/>", "---") for b in body):
                answered.append(question)
    return "\n\n".join(parts) + "\n", answered


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_parser_never_raises_on_any_text(text):
    doc = parse_markdown(text, "random.md")
    n = len(text.splitlines())
    for chunk in doc.chunks:
        assert 1 <= chunk.lines[0] <= chunk.lines[1] <= max(n, 1)


# Pieces of every question shape, shuffled into documents no one would write on purpose.
shape_piece = st.one_of(
    answer_block,
    phrase.map(lambda p: f"## {p}"),
    phrase.map(lambda p: f"### {p}?"),
    phrase.map(lambda p: f"**{p}?**"),
    phrase.map(lambda p: f"Q. {p}?\nAns: {p}"),
    phrase.map(lambda p: f"1. **{p}?**\n\n    {p}\n2. {p}?"),
    phrase.map(lambda p: f"- {p}?\n  - {p}\n- {p}"),
    phrase.map(lambda p: f"| Question | Answer |\n|---|---|\n| {p}? | {p} |\n| {p} |"),
    phrase.map(lambda p: f"<details><summary>{p}?</summary>\n\n{p}"),
    st.just("</details>"),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(shape_piece, max_size=12).map("\n\n".join))
def test_parser_keeps_its_promises_on_any_mix_of_question_shapes(text):
    doc = parse_markdown(text, "mix.md")
    n = len(text.splitlines())
    for chunk in doc.chunks:
        assert chunk.question.strip() and chunk.answer.strip()
        assert 1 <= chunk.lines[0] <= chunk.lines[1] <= max(n, 1)
        assert all(chunk.lines[0] <= p.lines[0] <= p.lines[1] <= chunk.lines[1]
                   for p in chunk.passages), chunk


@settings(max_examples=150, deadline=None)
@given(documents())
def test_every_answered_question_heading_becomes_exactly_one_chunk(generated):
    text, answered = generated
    doc = parse_markdown(text, "gen.md")
    lines = text.splitlines()
    assert [c.question for c in doc.chunks] == answered
    for chunk in doc.chunks:
        assert 1 <= chunk.lines[0] <= chunk.lines[1] <= len(lines)
        assert lines[chunk.lines[0] - 1] == f"### {chunk.question}"
        assert chunk.answer.strip() and chunk.answer in text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_retrieval_returns_a_well_formed_answer_for_any_string(dl_bot, text):
    try:
        answer = dl_bot.ask(text)
    except QueryError:
        assert not "".join(ch for ch in text if ch.isprintable()).strip()
        return
    assert isinstance(answer.answered, bool)
    assert (answer.answer is not None) == answer.answered == (answer.source is not None)
    assert 0 <= len(answer.related) <= dl_bot.settings.top_k
