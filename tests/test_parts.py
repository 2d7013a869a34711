"""Each named part (parts.py) on real input: what it changes, and that switching it off undoes it."""

from __future__ import annotations

import pytest

from qabot.corpus import load_corpus
from qabot.index import build_index
from qabot.parts import PARTS, REWRITERS, Parts
from qabot.query import Vocabulary
from qabot.retrieval import Retriever, Weights
from qabot.rewriters import Repair
from qabot.signals import unanswered_question, unknown_words, unseen_concepts

NOTES = [
    "1. L1 Regularization (Lasso regularization) - adds the sum of absolute values",
    "Do you know how K-means works?",
    "Batch normalization normalizes each feature; batch normalization needs a batch.",
    "Layer normalization works per sample, so layer normalization suits transformers.",
    "Vanishing gradients slow the training of deep networks.",
]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.from_texts(NOTES)


def without(vocabulary: Vocabulary, name: str) -> Repair:
    return Repair(vocabulary, [n for n in REWRITERS if n != name])


@pytest.mark.parametrize("name, question, repaired, trace", [
    ("aliases", "lasso penalty", "lasso penalty (l1)", "aliases: lasso + (l1)"),
    ("compounds", "kmeans clusters", "k means clusters", "compounds: kmeans → k means"),
    ("acronyms", "BN vs LN", "BN vs LN (batch normalization, layer normalization)",
     "acronyms: bn + (batch normalization)"),
    ("prefixes", "layer norm", "layer norm (normalization)", "prefixes: norm + (normalization)"),
    ("typos", "vanishng gradints", "vanishing gradients", "typos: vanishng → vanishing"),
])
def test_a_rewriter_repairs_its_case_and_traces_it_and_is_gone_when_off(
        vocabulary, name, question, repaired, trace):
    reading = Repair(vocabulary).readings(question)[0]
    assert reading.text == repaired
    assert trace in reading.trace
    off = without(vocabulary, name).readings(question)[0]
    assert off.text != repaired and not any(t.startswith(f"{name}:") for t in off.trace)


def test_a_real_word_is_left_alone_by_every_rewriter(vocabulary):
    assert Repair(vocabulary).readings("how long to boil an egg") == [
        Repair(vocabulary).expand("how long to boil an egg")]
    assert Repair(vocabulary).expand("how long to boil an egg").trace == ()


def test_parts_are_switched_off_by_name_and_unknown_names_are_refused():
    parts = Parts().without(["typos", "unknown_words"])
    assert not parts.on("typos") and not parts.on("unknown_words") and parts.on("acronyms")
    assert Parts().without(["all"]).rewriters == () == Parts().without(["all"]).signals
    assert all(Parts().on(name) for name in PARTS)
    with pytest.raises(ValueError, match="no part named spelling"):
        Parts().without(["spelling"])


def test_unknown_words_asks_for_a_margin_with_its_evidence(dl_bot):
    vocabulary = dl_bot.retriever.vocabulary
    signal = unknown_words(vocabulary, "how does lora fine tuning work", 0.05)
    assert signal is not None and signal.evidence == ("lora",) and signal.margin == 0.05
    assert unknown_words(vocabulary, "why do transformers use layer norm", 0.05) is None
    ranking = dl_bot.retriever.rank("how does lora fine tuning work", 3)
    assert "unknown_words: +0.05 (lora)" in ranking.trace


def test_word_endings_know_a_real_word_with_an_ending(dl_bot):
    vocabulary = dl_bot.retriever.vocabulary
    question = "my interviewer asked how to reuse it after many iterations"
    assert unknown_words(vocabulary, question, 0.05, endings=True) is None
    assert unknown_words(vocabulary, question, 0.05, endings=False) is not None


def test_unseen_concepts_asks_for_a_margin_for_a_concept_the_notes_never_write(dl_bot):
    vocabulary = dl_bot.retriever.vocabulary
    signal = unseen_concepts(vocabulary, "what is group normalization", 0.15)
    assert signal is not None and signal.evidence == ("group normalization",)
    assert unseen_concepts(vocabulary, "what is batch normalization", 0.15) is None


def test_an_unanswered_question_of_the_notes_refuses_a_question_it_matches_best(theory_bot):
    retriever = theory_bot.retriever
    ranking = retriever.rank("what is mean average precision at k?", 3)
    assert ranking.open is not None and ranking.confidence == -1.0
    assert any(t.startswith("unanswered_question: refuses") for t in ranking.trace)
    q = retriever.embed("what is mean average precision at k?")
    index = retriever.index
    assert unanswered_question(index.open, index.open_vectors, q, 1.5) is None  # a better answer


def test_the_ranking_traces_the_repair(dl_bot):
    assert "typos: vanishng → vanishing" in dl_bot.retriever.rank("vanishng gradints", 3).trace


def test_the_summary_key_names_the_summary_section_a_summary(dl_bot, embedder):
    overview = next(c for c in dl_bot.chunks if c.is_overview)
    assert overview.question == "Quick Reference"
    assert dl_bot.retriever.rank("give me a cheat sheet", 3).hits[0].chunk == overview
    parts = Parts().without(["summary_key"])
    index = build_index(load_corpus(dl_bot.settings.corpus), embedder, dl_bot.index, parts=parts)
    assert len(index.keys.texts) == len(dl_bot.index.keys.texts) - 1
    keyless = Retriever(index, embedder, Weights(parts=parts))
    assert keyless.rank("give me a cheat sheet", 3).hits[0].chunk != overview


def test_the_summary_discount_keeps_the_summary_section_from_taking_a_topics_question(
        dl_bot, embedder):
    question = "gradient clipping"
    assert dl_bot.retriever.rank(question, 3).hits[0].chunk.question.startswith(
        "How do vanishing and exploding gradients")
    undiscounted = Retriever(dl_bot.index, embedder,
                             Weights(parts=Parts().without(["summary_discount"])))
    assert undiscounted.rank(question, 3).hits[0].chunk.question == "Quick Reference"
