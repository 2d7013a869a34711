"""HTTP load generator, run as its own process: POST /api/ask at a fixed concurrency.

    python -m benchmarks.load URL --requests 400 --concurrency 8 [--repeat]   → one JSON line
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from pathlib import Path

import httpx

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"


def questions() -> list[str]:
    out = []
    for path in sorted(EVAL.glob("deep-learning-basics.*.jsonl")):
        out += [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def run(url: str, requests: int, concurrency: int, repeat: bool) -> dict:
    pool = questions()
    rng = random.Random(3)
    # Distinct questions (a suffix defeats the answer cache) unless --repeat.
    plan = [pool[0] if repeat else f"{rng.choice(pool)} {concurrency}-{i}" for i in range(requests)]
    latencies: list[float] = []
    errors = 0
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(question: str) -> None:
            nonlocal errors
            async with limit:
                start = time.perf_counter()
                try:
                    r = await client.post(f"{url}/api/ask", json={"question": question})
                    errors += r.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(one(q) for q in plan))
        elapsed = time.perf_counter() - began
    return {"concurrency": concurrency, "requests": requests, "repeat": repeat,
            "rps": requests / elapsed, "p50_ms": statistics.median(latencies),
            "p99_ms": percentile(latencies, 0.99), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.requests, args.concurrency, args.repeat))))


if __name__ == "__main__":
    main()
