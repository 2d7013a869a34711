"""The leaf text module (words, stems, stop words, the tokenizer) and the shape of qabot's imports."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import qabot
from qabot.text import FUNCTION_WORDS, REQUEST_WORDS, STOP_WORDS, raw_words, spoken, tokenize, words

PACKAGE = Path(qabot.__file__).parent


def imports(path: Path) -> set[str]:
    """The qabot modules a source file imports, lazily or under TYPE_CHECKING included; the
    package itself (`from . import __version__`) is no module of its own."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists())
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qabot."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("qabot."))
    return found


def graph() -> dict[str, set[str]]:
    return {p.stem: imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def test_the_text_module_imports_nothing_of_qabot():
    assert graph()["text"] == set()


def test_the_import_graph_of_qabot_has_no_cycle():
    modules = graph()
    assert {"chunk", "query", "lexical", "terms", "conversation"} <= {
        m for m, deps in modules.items() if "text" in deps}
    try:
        tuple(TopologicalSorter(modules).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' → '.join(exc.args[1])}")


def test_the_cycle_check_finds_a_cycle():
    with pytest.raises(CycleError):
        tuple(TopologicalSorter({"chunk": {"query"}, "query": {"lexical"},
                                 "lexical": {"chunk"}}).static_order())


def test_words_split_on_anything_but_letters_and_digits():
    assert raw_words("BN vs. LN, n_in σ²") == ["BN", "vs", "LN", "n", "in", "σ²"]
    assert words("What's K-Means?") == ["what", "s", "k", "means"]


def test_the_tokenizer_stems_and_drops_stop_words_and_single_letters():
    assert tokenize(["How does dropout work in the networks?", "k-means"]) == [
        ["dropout", "network"], ["mean"]]


def test_the_stop_word_views_grow_from_one_list():
    assert STOP_WORDS < REQUEST_WORDS < FUNCTION_WORDS
    assert {"how", "does", "work", "the"} <= STOP_WORDS
    assert "can" not in STOP_WORDS and "can" in REQUEST_WORDS  # "Can we use L1 …?" ranks on it


def test_symbols_are_read_aloud():
    assert spoken("σ² + ε") == "sigma ² + epsilon"
    assert spoken("n_{in}") == "n_in"
    assert spoken("plain text") == "plain text"
