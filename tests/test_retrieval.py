"""Retrieval on the real model and a real FAISS index: answers, refusals, repair, focus, eval targets."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import EVAL, ROOT

from qabot.errors import QueryError
from qabot.evaluate import evaluate, load_cases
from qabot.query import Vocabulary
from qabot.rewriters import Repair
from qabot.signals import unknown_words
from qabot.terms import foreign, named
from qabot.ui import reply

NORMALIZATION = "What is the difference between batch normalization and layer normalization?"
GRADIENTS = "How do vanishing and exploding gradients occur, and how can they be mitigated?"
OVERFITTING = "How do you handle overfitting in deep neural networks?"


@pytest.mark.parametrize("question, expected", [
    ("why do transformers use layer norm?", NORMALIZATION),
    ("BN vs LN", NORMALIZATION),
    ("vanishng gradints", GRADIENTS),
    ("what is a typical dropout rate", OVERFITTING),
])
def test_in_scope_questions_are_answered_from_the_right_section(dl_bot, question, expected):
    answer = dl_bot.ask(question)
    assert answer.answered, answer
    assert answer.source.question == expected
    assert answer.answer == next(c.answer for c in dl_bot.chunks if c.question == expected)


@pytest.mark.parametrize("question", [
    "what is the capital of France?",
    "how does k-means work",
    "how do I bake sourdough bread?",
    "how does the attention mechanism work",  # shares only the frame "how does … work"
])
def test_off_topic_questions_are_refused_with_three_suggestions(dl_bot, question):
    answer = dl_bot.ask(question)
    assert not answer.answered
    assert answer.answer is None and answer.source is None and answer.focus is None
    assert len(answer.related) == 3
    assert len({r.question for r in answer.related}) == 3


def test_focus_is_the_matching_passage_inside_the_answer(dl_bot):
    answer = dl_bot.ask("what is a typical dropout rate")
    assert answer.focus is not None and "0.2-0.5" in answer.focus
    assert answer.focus.strip() in answer.answer


def test_related_excludes_the_answer_and_respects_top_k(dl_bot):
    answer = dl_bot.ask("BN vs LN", top_k=5)
    assert len(answer.related) == 5
    assert answer.source.question not in [r.question for r in answer.related]
    assert dl_bot.ask("BN vs LN", top_k=0).related == ()


def expand(repair: Repair, text: str) -> str:
    return repair.expand(text).text


def test_acronyms_and_typos_are_repaired(dl_bot):
    repair = dl_bot.retriever.repair
    assert "batch normalization" in expand(repair, "BN vs LN")
    assert "layer normalization" in expand(repair, "BN vs LN")
    assert expand(repair, "vanishng gradints") == "vanishing gradients"
    assert expand(repair, "finetuning definition") == "fine tuning definition"
    assert expand(repair, "xaiver init") == "xavier init"  # a swap of two letters is one typo
    assert expand(repair, "capital of France") == "capital of France"  # real words stay
    assert expand(repair, "how long to boil an egg") == "how long to boil an egg"  # not E.G.G.
    assert "batch normalization" in expand(repair, "bn vs ln")  # lower-case acronyms too


@pytest.mark.parametrize("bad", ["", "   \n\t", "\x00\x01", 42, None])
def test_empty_or_non_text_questions_are_query_errors(dl_bot, bad):
    with pytest.raises(QueryError):
        dl_bot.ask(bad)


def test_long_question_is_truncated_not_rejected(dl_bot):
    result = dl_bot.search("layer normalization " * 20_000)
    assert result.truncated
    assert len(result.answer.question) <= dl_bot.settings.max_query_chars
    assert result.answer.answered


@pytest.mark.parametrize("text", [
    "😀🔥", "什么是批量归一化", "ما هو التطبيع", "<img src=x onerror=alert(1)>",
])
def test_any_unicode_gives_a_well_formed_answer(dl_bot, text):
    answer = dl_bot.ask(text)
    assert isinstance(answer.answered, bool) and isinstance(answer.score, float)


@pytest.mark.parametrize("message, kind", [
    ("hi", "Hi!"), ("Thanks!", "welcome"), ("what can you do?", "Topics:"),
    ("hello, what can you do", "Topics:"),
])
def test_smalltalk_gets_a_friendly_reply_listing_topics(dl_bot, message, kind):
    reply = dl_bot.smalltalk(message)
    assert reply is not None and kind in reply
    if kind == "Topics:":
        assert "1. Normalization Techniques" in reply


def test_questions_are_not_smalltalk(dl_bot):
    assert dl_bot.smalltalk("hi, what is dropout?") is None
    assert dl_bot.smalltalk("what is batch norm") is None
    assert dl_bot.smalltalk("how do i keep the weights small") is None
    assert dl_bot.smalltalk("will it converge") is None
    assert dl_bot.smalltalk("dropouttt") is None
    # Thanks or an interjection in a message that asks something: the question is answered.
    for message in ("translate thank you into japanese", "does dropout help lol",
                    "thanks, and what about dropout", "so, is batch norm better lol",
                    "ok, is that for relu", "nice, what about relu", "so that's the same as l2"):
        assert dl_bot.smalltalk(message) is None, message


def test_a_summary_request_without_a_summary_section_is_ranked_as_usual(theory_bot):
    assert not any(c.is_overview for c in theory_bot.chunks)
    assert theory_bot.ask("give me a cheat sheet").source is None


def test_aliases_the_notes_give_in_parentheses_are_mined_both_ways():
    vocabulary = Vocabulary.from_texts([
        "1. L1 Regularization (Lasso regularization) - adds the sum of absolute values",
        "Precision-recall curves (PR curves) plot precision against recall",  # an acronym
        "the number of dimensions (features) grows",  # no shared word: no evidence
    ])
    assert vocabulary.aliases == {"lasso": "l1", "l1": "lasso"}
    assert expand(Repair(vocabulary), "what is the lasso penalty") == "what is the lasso penalty (l1)"


def test_an_ambiguous_acronym_is_read_in_the_sense_that_fits_the_question(theory_bot):
    vocabulary = theory_bot.retriever.vocabulary
    assert vocabulary.acronyms["lr"][0] == "linear regression"  # the commonest sense
    assert "learning rate" in vocabulary.acronyms["lr"]
    assert len(theory_bot.retriever.repair.readings("what happens if the lr is too high?")) == 3
    answer = theory_bot.ask("what happens if the lr is too high? too low?")
    assert answer.source.question == "What happens when the learning rate is too large? Too small?"
    assert theory_bot.ask("lr assumptions").source.question.startswith(
        "What are the main assumptions of linear regression")


@pytest.mark.parametrize("titles, expected", [([], None), (["What is the Central Limit Theorem?"],
                                                             ["", "central limit theorem"])])
def test_a_topic_named_once_in_a_question_of_the_notes_gives_its_acronym(titles, expected):
    texts = ["What is the Central Limit Theorem?", "For large n (by the CLT) the mean is normal."]
    assert Vocabulary.from_texts(texts, titles).acronyms.get("clt") == expected


def test_an_acronym_of_a_question_the_notes_ask_finds_it(eval_bot):
    assert eval_bot("statistics").ask("CLT explained").source.question == (
        "What is the Central Limit Theorem?")


def test_an_acronym_the_notes_use_is_also_read_spelt_out():
    vocabulary = Vocabulary.from_texts(["What is the central limit theorem?",
                                        "By the CLT the central limit theorem holds for large n."])
    assert [r.text for r in Repair(vocabulary).readings("CLT explained")] == [
        "CLT explained", "CLT explained (central limit theorem)"]


@pytest.mark.parametrize("text, defined", [
    ("located via the page-table base register, PTBR, the MMU", "page table base register"),
    ("The Law of Large Numbers (LLN) says", "law large numbers"),
    ("DMA (Direct Memory Access) lets a device", "direct memory access"),
    ("the TLB (evicting an old entry)", None),
])
def test_acronyms_the_notes_define_are_read_spelt_out(text, defined):
    vocabulary = Vocabulary.from_texts([text])
    acronym = next(w for w in text.split() if w.strip("(),").isupper()).strip("(),").lower()
    expected = ["", defined] if defined else None
    assert vocabulary.acronyms.get(acronym) == expected


def test_a_form_of_a_word_of_the_notes_is_not_a_typo_of_another_word():
    repair = Repair(Vocabulary.from_texts(["fork() creates a child while the parent keeps working",
                                           "bootstrapping resamples the data"]))
    assert expand(repair, "copy on write after forking") == "copy on write after forking"
    assert expand(repair, "bootstraping") == "bootstrapping"


def test_a_symbol_of_the_notes_is_found_by_its_name(dl_bot):
    answer = dl_bot.ask("what's the epsilon for in the batch norm formula")  # the notes: "ε"
    assert answer.answered and answer.source.question == NORMALIZATION


def test_hyphenated_terms_written_without_the_hyphen_are_found():
    repair = Repair(Vocabulary.from_texts(["Do you know how K-means works?", "What is TF-IDF?"]))
    assert expand(repair, "kmeans vs tfidf") == "k means vs tf idf"


def test_a_typo_gets_the_same_repair_whatever_the_hash_seed(tmp_path):
    # "yhat" is one edit from "hat", "that" and "what": ties are broken by rule, not set order
    script = ("from qabot.query import Vocabulary; from qabot.rewriters import Repair; "
              "print(Repair(Vocabulary.from_texts(['y hat that what'])).expand('yhat').text)")
    repairs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout.strip()
               for seed in range(6)}
    assert repairs == {"hat"}


def test_an_alias_finds_the_section_named_by_the_other_name(theory_bot, dl_bot):
    answer = theory_bot.ask("can lasso be used for feature selection")
    assert answer.source.question == "Can we use L1 regularization for feature selection?"
    assert dl_bot.ask("glorot init").source.question.startswith("What is Xavier Initialization")


@pytest.mark.parametrize("question, expected", [
    # The notes say "L2 Regularization (Ridge regularization)" once; these sections say only "L2"
    # and "L1", while others list "Ridge Regression" and "Lasso" by name.
    ("lasso vs ridge differences", "What’s the difference between L2 and L1 regularization?"),
    ("does ridge regression select features", "Can we use L2 regularization for feature selection?"),
])
def test_a_section_is_found_by_the_other_name_of_its_words(theory_bot, question, expected):
    assert theory_bot.ask(question).source.question == expected


def test_a_question_the_notes_ask_but_leave_unanswered_is_not_covered(theory_bot):
    result = theory_bot.search("what is mean average precision at k?")
    assert not result.answer.answered and result.answer.answer is None
    assert (result.open.file, result.open.line) == ("data-science-theory.md", 1300)
    assert len(result.answer.related) == 3  # the neighbours it does answer, as suggestions
    assert "leave it unanswered" in reply(theory_bot, "what is mean average precision at k?")[0]
    assert theory_bot.ask("what is precision at k and recall at k?").answered


def test_words_neither_the_notes_nor_the_model_know_need_a_higher_score(dl_bot):
    vocabulary = dl_bot.retriever.vocabulary

    def strange(question: str) -> tuple[str, ...]:
        signal = unknown_words(vocabulary, question, 0.05)
        return signal.evidence if signal else ()

    assert strange("how does lora fine tuning work") == ("lora",)
    assert strange("why do transformers use layer norm") == ()  # real words
    # and real words with an ending or a prefix the model's vocabulary lacks as whole words
    assert strange("my interviewer asked how to reuse it after many iterations") == ()
    # and forms of the notes' own words: they write "RNNs" and "generalization"
    assert strange("does my rnn generalize") == ()
    ranking = dl_bot.retriever.rank("how does LoRA fine-tuning reduce the number of trainable "
                                    "parameters", 3)
    threshold = dl_bot.settings.threshold
    assert ranking.strange and ranking.margin > 0  # its unknown word costs a margin…
    assert not ranking.answers(threshold)  # …and it is refused
    assert not dl_bot.ask("how does LoRA fine-tuning reduce the number of trainable parameters").answered



def test_foreign_terms_are_named_concepts_with_a_word_the_notes_never_use():
    notes = ["Batch normalization normalizes each feature over the batch.",
             "Layer normalization works per sample; dropout zeroes units."]
    found = foreign(notes)
    assert {"group normal", "instanc normal", "catastroph forget"} <= found  # stemmed
    assert not {"batch normal", "layer normal", "dropout"} & found  # written in the notes
    assert "batch normal layer" not in found  # every word used: a way to say what they say
    assert named("What's Group Normalization, vs batch norm?", found) == ("group normalization",)
    assert named("why does batch normalization help", found) == ()


@pytest.mark.parametrize("question", [
    "what is group normalization and when is it used",
    "what is gradient accumulation",
])
def test_a_question_naming_a_concept_the_notes_never_write_needs_a_higher_score(dl_bot, question):
    ranking = dl_bot.retriever.rank(question, 3)
    assert ranking.foreign and ranking.margin == dl_bot.retriever.parts.unseen_margin
    assert not ranking.answers(dl_bot.settings.threshold)
    assert not dl_bot.ask(question).answered
    assert ranking.foreign[0] in reply(dl_bot, question)[0]  # "They never mention …"
    assert dl_bot.ask("what is batch normalization and when is it used").answered

def test_repeated_question_is_served_from_cache(dl_bot):
    first = dl_bot.search("how does transfer learning work?")
    assert dl_bot.search("how does transfer learning work?") is first


# Held-out test splits, written by helpers who saw only the notes, run once after all tuning on dev
# (README "Accuracy"). Deep learning and theory are held to issue 18's floors for them: top-1 >= 95%
# with >= 90% of off-topic refused (deep learning), top-1 >= 90% (theory).
@pytest.mark.parametrize("name, top1, refused", [
    ("deep-learning-basics", 0.95, 0.90),
    ("data-science-theory", 0.90, None),  # the issue sets no refusal floor for theory
])
def test_held_out_split_keeps_the_floors(request, name, top1, refused):
    bot = request.getfixturevalue({"deep-learning-basics": "dl_bot"}.get(name, "theory_bot"))
    report = evaluate(bot, load_cases(EVAL / f"{name}.test.jsonl", bot))
    assert report.in_scope >= 30 and report.off_topic >= 18
    assert report.top1 >= top1, report.misses
    if refused is not None:
        assert report.refused >= refused, report.misses


@pytest.mark.parametrize("name", sorted(p.name.removesuffix(".test.jsonl")
                                         for p in EVAL.glob("*.test.jsonl")))
def test_dev_and_test_splits_share_no_question(name):
    def questions(split: str) -> set[str]:
        lines = (EVAL / f"{name}.{split}.jsonl").read_text(encoding="utf-8").splitlines()
        return {" ".join(json.loads(line)["question"].lower().split()) for line in lines if line}
    assert not questions("dev") & questions("test")


@pytest.mark.parametrize("name", sorted(p.name.removesuffix(".test.jsonl")
                                         for p in (ROOT / "tests" / "conversations").glob("*.test.jsonl")))
def test_dev_and_test_conversations_share_no_question(name):
    def questions(split: str) -> set[str]:  # small talk ("thanks!") may recur; questions may not
        path = ROOT / "tests" / "conversations" / f"{name}.{split}.jsonl"
        return {" ".join(turn["q"].lower().split()) for line in path.read_text(encoding="utf-8").splitlines()
                if line for turn in json.loads(line)["turns"] if turn["type"] != "smalltalk"}
    assert not questions("dev") & questions("test")
