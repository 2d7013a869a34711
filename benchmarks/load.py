"""HTTP load generator, run as its own process: POST /api/ask at a fixed concurrency.

    python -m benchmarks.load URL --requests 400 --concurrency 8 [--repeat] [--seed 3]   → one JSON line

Each of `concurrency` clients keeps one HTTP/1.1 keep-alive connection and sends its next request
as soon as the last one is answered. The clients speak HTTP over asyncio streams directly: on this
two-core machine the load generator shares the cores with the server, and httpx cost about 4 ms of
CPU a request (more than the server spends on HTTP, ~1.3 ms), which the server's numbers then lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"


def questions() -> list[str]:
    out = []
    for path in sorted(EVAL.glob("deep-learning-basics.*.jsonl")):
        out += [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def plan(requests: int, concurrency: int, repeat: bool = False, seed: int = 3) -> list[str]:
    """The questions of one run: distinct (a suffix defeats the answer cache) unless `repeat`."""
    pool = questions()
    rng = random.Random(seed)
    return [pool[0] if repeat else f"{rng.choice(pool)} {concurrency}-{seed}-{i}"
            for i in range(requests)]


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads whole responses."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, payload: object) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        body = json.dumps(payload).encode()
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: "
                     f"application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
            data = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            await self.close()
            raise
        if "connection: close" in head:
            await self.close()
        return int(head.split(" ", 2)[1]), data

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def run(url: str, requests: int, concurrency: int, repeat: bool, seed: int = 3) -> dict:
    asked = iter(plan(requests, concurrency, repeat, seed))
    latencies: list[float] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        connection = Connection(url)
        for question in asked:  # shared: each client takes the next question when it is free
            start = time.perf_counter()
            try:
                status, _ = await connection.post("/api/ask", {"question": question})
                errors += status != 200
            except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
                errors += 1
            latencies.append((time.perf_counter() - start) * 1000)
        await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {"concurrency": concurrency, "requests": requests, "repeat": repeat,
            "rps": requests / elapsed, "p50_ms": statistics.median(latencies),
            "p99_ms": percentile(latencies, 0.99), "errors": errors, "elapsed_s": elapsed,
            "latencies_ms": latencies}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", action="store_true")
    parser.add_argument("--seed", type=int, default=3, help="which distinct questions")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.requests, args.concurrency, args.repeat, args.seed))))


if __name__ == "__main__":
    main()
