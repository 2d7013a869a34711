"""Dynamic micro-batching: questions that arrive together are embedded in one model call.

Embedding one question costs about as much as embedding eight, so under load a server that embeds
questions one at a time wastes most of the model's throughput. Callers (API worker threads and chat
events alike) `submit` their texts to one `Batcher`. On an idle server a question is embedded at once
in its caller's thread; while one is being embedded, others queue, and the batcher's thread then
takes everything waiting, up to `max_batch` texts, and embeds it in one call, as
text-embeddings-inference and Triton's dynamic batcher do. While questions keep arriving together it
waits up to `max_wait` seconds for more to fill a batch; when the server is idle it waits not at all.
The queue is bounded: past `capacity` waiting questions `submit` raises `BusyError` at once.

The encode function must give each text the same vector whatever else is in its call
(`BertEncoder.encode_rows`), so batching never changes an answer.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import BusyError

Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class BatchStats:
    """What the batcher has done since it started: batch sizes count texts (a question with an
    ambiguous acronym is embedded in each of its readings)."""

    batches: int
    questions: int
    texts: int
    sizes: dict[int, int]  # batch size (texts) → how many batches had it
    waits: int  # batches that waited for more questions
    waited_s: float  # total time spent waiting for a batch to fill

    @property
    def mean(self) -> float:
        return self.texts / self.batches if self.batches else 0.0

    def percentile(self, q: float) -> int:
        """The batch size that a share `q` (0–1) of the embedded texts were batched at or below."""
        seen = 0
        for size in sorted(self.sizes):
            seen += size * self.sizes[size]
            if seen >= q * self.texts:
                return size
        return 0

    def summary(self) -> str:
        if not self.batches:
            return "micro-batching: no questions embedded"
        sizes = " ".join(f"{size}x{n}" for size, n in sorted(self.sizes.items()))
        return (f"micro-batching: {self.questions} questions ({self.texts} texts) in {self.batches} "
                f"batches, mean {self.mean:.1f} texts; batches by size (texts x batches): {sizes}")


class _Request:
    __slots__ = ("texts", "done", "vectors", "error")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.done = threading.Event()  # its own, so finishing a batch wakes only the batch's callers
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        assert self.vectors is not None
        return self.vectors


class Batcher:
    def __init__(self, encode: Encode, *, max_batch: int = 32, max_wait: float = 0.002,
                 capacity: int = 1024) -> None:
        self.encode, self.max_batch, self.max_wait, self.capacity = encode, max_batch, max_wait, capacity
        self._queue: deque[_Request] = deque()
        self._ready = threading.Condition()  # the batcher's thread waits on it, callers never do
        self._busy = False  # a batch is being embedded
        self._worker: threading.Thread | None = None
        self._together = False  # the last batch held more than one question
        self._sizes: Counter[int] = Counter()
        self._questions = 0
        self._waits = 0
        self._waited = 0.0

    @property
    def waiting(self) -> int:
        """Questions in the queue, not yet taken into a batch."""
        with self._ready:
            return len(self._queue)

    def submit(self, texts: list[str]) -> np.ndarray:
        """The texts' vectors (one row each), embedded together with whatever else is waiting.

        On an idle batcher the calling thread embeds its question at once, itself: no hand-off, no
        wait. Otherwise the question joins the queue that the batcher's own thread drains, one batch
        at a time (one thread, so the model's working memory lives in one malloc arena: batches run
        in the callers' threads grew a server's peak RSS from ~550 to ~790 MB)."""
        if not texts:
            raise ValueError("nothing to embed")
        request = _Request(list(texts))
        with self._ready:
            if len(self._queue) >= self.capacity:
                raise BusyError(f"server busy: {self.capacity} questions are already waiting to be "
                                "embedded; retry shortly")
            alone = not self._busy and not self._queue
            if alone:
                self._busy = True
            else:
                if self._worker is None:
                    self._worker = threading.Thread(target=self._run, name="qabot-batcher", daemon=True)
                    self._worker.start()
                self._queue.append(request)
                self._ready.notify()
        if alone:
            self._together = False
            self._embed([request])
        request.done.wait()
        return request.result()

    def stats(self) -> BatchStats:
        with self._ready:
            sizes = dict(self._sizes)
            return BatchStats(sum(sizes.values()), self._questions,
                              sum(k * v for k, v in sizes.items()), sizes, self._waits, self._waited)

    def _run(self) -> None:
        while True:
            self._embed(self._take())

    def _take(self) -> list[_Request]:
        """The next batch, once no other is being embedded: everything waiting up to `max_batch`
        texts, after a short wait for more while questions are arriving together."""
        with self._ready:
            while self._busy or not self._queue:
                self._ready.wait()
            self._busy = True
            batch = [self._queue.popleft()]
            size = len(batch[0].texts)
            deadline = time.monotonic() + self.max_wait if self._together else 0.0
            waited = 0.0
            while size < self.max_batch:
                if self._queue:
                    if size + len(self._queue[0].texts) > self.max_batch:
                        break
                    batch.append(self._queue.popleft())
                    size += len(batch[-1].texts)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                began = time.monotonic()
                self._ready.wait(remaining)
                waited += time.monotonic() - began
            self._waits += waited > 0
            self._waited += waited
            self._together = len(batch) > 1
            return batch

    def _embed(self, batch: list[_Request]) -> None:
        texts = [t for request in batch for t in request.texts]
        vectors: np.ndarray | None = None
        error: BaseException | None = None
        try:
            vectors = self.encode(texts)
        except Exception as exc:  # every caller of the batch gets the error; the next batch goes on
            error = exc
        finally:
            with self._ready:
                start = 0
                for request in batch:
                    if vectors is not None:
                        request.vectors = vectors[start:start + len(request.texts)]
                    else:
                        request.error = error or RuntimeError("embedding was interrupted")
                    start += len(request.texts)
                self._sizes[len(texts)] += 1
                self._questions += len(batch)
                self._busy = False
                self._ready.notify()
            for request in batch:
                request.done.set()
