"""The command line through click's CliRunner, on a real index in a tmp dir."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import ROOT

from qabot.cli import main

KEYS = {"question", "kind", "answered", "answer", "answer_html", "reply", "score", "source", "focus",
        "related", "resolved", "context"}


@pytest.fixture
def run(dl_settings, dl_bot, monkeypatch):
    # dl_bot has built the index already; the CLI loads it from disk.
    monkeypatch.setenv("QABOT_CORPUS", str(dl_settings.corpus))
    monkeypatch.setenv("QABOT_INDEX", str(dl_settings.index))

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input)

    return invoke


def test_ask_json_has_exactly_the_documented_keys(run):
    result = run("ask", "--json", "what is the difference between loss and cost?")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == KEYS
    assert answer["answered"] is True
    assert set(answer["source"]) == {"file", "section", "question", "lines", "anchor", "url"}
    assert answer["kind"] == "answer" and answer["reply"] is None and answer["answer_html"].startswith("<ul>")
    assert answer["source"]["question"] == "Loss vs. Cost"
    assert answer["source"]["lines"] == [180, 187]
    assert answer["answer"].startswith("- **Loss**: Error for one data point")
    assert all(set(r) == {"question", "score", "source"} for r in answer["related"])


def test_ask_refuses_off_topic_with_three_suggestions(run):
    result = run("ask", "--json", "what is the capital of France?")
    answer = json.loads(result.stdout)
    assert answer["answered"] is False and answer["answer"] is None and answer["source"] is None
    assert len(answer["related"]) == 3


def test_ask_reads_one_question_per_stdin_line(run):
    result = run("ask", "--json", "-", input="what is dropout rate?\n\nwhat is the capital of France?\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, False]


def test_ask_top_k_and_plain_output(run):
    result = run("ask", "--top-k", "1", "how do I clip exploding gradients?")
    assert result.exit_code == 0
    assert "Source: deep-learning-basics.md:47-" in result.output
    assert result.output.count("\n  - ") == 1


@pytest.mark.parametrize("args, message", [
    (["ask", "   "], "the question is empty"),
    (["ask", "x", "--top-k", "99"], "99 is not in the range"),
    (["eval", "missing.jsonl"], "does not exist"),
])
def test_bad_input_is_a_clear_error_without_traceback(run, args, message):
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_corpus_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["ask", "hi", "--corpus", str(tmp_path / "nope"),
                                       "--index", str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert "corpus directory" in result.output and "does not exist" in result.output


def test_index_command_rebuilds(run):
    result = run("index")
    assert result.exit_code == 0, result.output
    assert "8 questions" in result.stdout


def test_eval_command_reports_metrics(run, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"question": "typical dropout rate", "expected": '
                     '"How do you handle overfitting in deep neural networks?"}\n'
                     '{"question": "capital of France", "expected": null}\n')
    result = run("eval", str(cases), "--json")
    report = json.loads(result.stdout)
    assert report["top1"] == 1.0 and report["refused"] == 1.0 and report["in_scope"] == 1


def test_eval_ablate_switches_a_named_part_off(run, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"question": "what is group normalization and when is it used", '
                     '"expected": null}\n')
    on = run("eval", str(cases), "--json")
    off = run("eval", str(cases), "--json", "--ablate", "unseen_concepts")
    assert json.loads(on.stdout)["refused"] == 1.0  # it names a concept the notes never write
    assert json.loads(off.stdout)["refused"] == 0.0, off.output
    assert "parts on:" in off.stderr and "unseen_concepts" not in off.stderr


def test_eval_ablate_refuses_an_unknown_part(run, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"question": "q", "expected": null}\n')
    result = run("eval", str(cases), "--ablate", "spelling")
    assert result.exit_code == 2 and "no part named spelling" in result.output


def test_eval_rejects_unknown_expected_question(run, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"question": "q", "expected": "No such question"}\n')
    result = run("eval", str(cases))
    assert result.exit_code == 1 and "matches no question" in result.output


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name, command in main.commands.items():
        assert command.get_short_help_str(), name
        assert CliRunner().invoke(main, [name, "--help"]).exit_code == 0
        assert f"qabot {name}" in readme, f"README does not document `qabot {name}`"


def test_index_strict_fails_when_questions_were_lost_and_passes_when_none_were(tmp_path):
    lost = tmp_path / "lost"
    lost.mkdir()
    (lost / "guide.md").write_text("# Guide\n\n## Cells\n\n> 1. **What is a cell?**\n>    - small\n"
                                   "> 2. **What is DNA?**\n>    - code\n")
    args = ["index", "--strict", "--index", str(tmp_path / "idx")]
    result = CliRunner().invoke(main, [*args, "--corpus", str(lost)])
    assert result.exit_code == 1 and "strict" in result.output and "guide.md:" in result.output
    result = CliRunner().invoke(main, [*args, "--corpus", str(ROOT / "corpus")])
    assert result.exit_code == 0, result.output
