"""Micro-batching (batching.py, `BertEncoder.encode_rows`): questions embedded together get exactly
the vectors and answers they get alone; the queue is bounded; an idle batcher never waits."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import DL_CORPUS, make_corpus

from benchmarks.load import questions
from qabot.batching import Batcher
from qabot.bot import QABot
from qabot.errors import BusyError
from qabot.settings import Settings


def test_a_text_gets_the_same_vector_bit_for_bit_in_any_batch(embedder):
    import torch

    model = embedder.model
    texts = questions()[:120] + ["BN vs LN", "dropout?", "x", "what " * 60, "ε and n_{in}"]
    cores = torch.get_num_threads()
    # Nor on the number of threads (OMP_NUM_THREADS): replicas sized differently answer alike.
    torch.set_num_threads(1)
    try:
        alone = np.stack([model.encode_rows([t])[0] for t in texts])
    finally:
        torch.set_num_threads(cores)
    rng = random.Random(7)
    for size, threads in ((2, cores), (3, 1), (16, cores), (32, 1), (64, cores)):
        order = list(range(len(texts)))
        rng.shuffle(order)
        together = np.zeros_like(alone)
        torch.set_num_threads(threads)
        try:
            for start in range(0, len(order), size):
                rows = order[start:start + size]
                together[rows] = model.encode_rows([texts[i] for i in rows])
        finally:
            torch.set_num_threads(cores)
        mismatched = [texts[i] for i in range(len(texts)) if not np.array_equal(together[i], alone[i])]
        assert not mismatched, f"batch size {size}, {threads} threads: {mismatched[:5]}"
    # The same vectors as the padded bulk encoder (and so sentence-transformers) within rounding.
    assert np.abs(alone - embedder.encode(texts)).max() < 1e-5


def test_questions_asked_together_share_batches_and_get_the_answers_they_get_alone(tmp_path, embedder):
    bot = QABot(Settings(corpus=make_corpus(tmp_path / "corpus", DL_CORPUS), index=tmp_path / "index",
                         cache_size=0), embedder=embedder, log=lambda m: None)
    # Acronyms with several readings ("LR") send more than one text per question.
    asked = questions()[:160] + ["what LR should I use", "BN vs LN", "LR schedule", "is LR a classifier"]
    alone = {q: bot.ask(q).to_dict() for q in asked}
    before = embedder.batcher.stats()
    start = threading.Barrier(32)

    def ask(question: str) -> dict:
        return bot.ask(question).to_dict()

    def first(question: str) -> dict:
        start.wait()
        return ask(question)

    with ThreadPoolExecutor(32) as pool:
        together = list(pool.map(first, asked[:32])) + list(pool.map(ask, asked[32:]))
    assert together == [alone[q] for q in asked]
    after = embedder.batcher.stats()
    batches = after.batches - before.batches
    assert after.questions - before.questions == len(asked)
    assert batches < len(asked), "no two questions were embedded together"
    assert max(after.sizes) <= embedder.batcher.max_batch


def test_an_idle_batcher_never_waits_and_the_batch_size_is_capped():
    calls: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)

    batcher = Batcher(encode, max_batch=4, max_wait=60.0)
    for text in ("a", "bb", "ccc"):  # one at a time: the server is idle, so no batch waits for more
        assert batcher.submit([text]).tolist() == [[float(len(text))]]
    assert batcher.stats().waits == 0 and calls == [1, 1, 1]
    # A question with several texts keeps them together, and its rows come back in order.
    assert batcher.submit(["a", "bbbb"]).tolist() == [[1.0], [4.0]]


def test_the_queue_is_bounded_and_an_encode_error_reaches_every_waiting_caller():
    release = threading.Event()
    entered = threading.Event()

    def encode(texts: list[str]) -> np.ndarray:
        entered.set()
        release.wait()
        if any(t.startswith("boom") for t in texts):
            raise RuntimeError("model failed")
        return np.zeros((len(texts), 1), dtype=np.float32)

    batcher = Batcher(encode, max_batch=2, max_wait=0.0, capacity=3)
    results: list[object] = []

    def submit(text: str) -> None:
        try:
            results.append(batcher.submit([text]).shape)
        except (RuntimeError, BusyError) as exc:
            results.append(type(exc).__name__)

    first = threading.Thread(target=submit, args=("boom",))
    first.start()
    entered.wait()  # the worker holds "boom"; three more fill the queue, in this order
    waiting = []
    for text in ("boom again", "a", "b"):
        waiting.append(threading.Thread(target=submit, args=(text,)))
        waiting[-1].start()
        while batcher.waiting < len(waiting):
            entered.wait(0.01)  # poll the queue's length
    with pytest.raises(BusyError, match="busy"):
        batcher.submit(["one too many"])
    release.set()
    for t in (first, *waiting):
        t.join()
    # "a" shared a batch with "boom again": every caller of a failed batch gets its error.
    assert sorted(map(str, results)) == ["(1, 1)", "RuntimeError", "RuntimeError", "RuntimeError"]
    assert batcher.submit(["after"]).shape == (1, 1)  # the worker outlived the error
