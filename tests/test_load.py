"""Load and soak against a real `qabot serve` process: mixed traffic on the JSON API and the Gradio
endpoint at concurrency 16. Bounded in count and time, on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import json
import random
import time

import httpx
import pytest
from conftest import EVAL
from servers import ServeProcess

pytestmark = pytest.mark.slow

API_REQUESTS, GRADIO_REQUESTS, CONCURRENCY = 1700, 300, 16


def questions() -> list[str]:
    rows = [json.loads(line) for line in (EVAL / "deep-learning-basics.dev.jsonl").read_text().splitlines()]
    return [r["question"] for r in rows]


async def gradio_chat(client: httpx.AsyncClient, url: str, message: str) -> tuple[int, str]:
    """One chat turn through Gradio's REST API; returns the status and the bot's answer text."""
    start = await client.post(f"{url}/gradio_api/call/chat", json={"data": [message, []]})
    if start.status_code != 200:
        return start.status_code, ""
    event_id = start.json()["event_id"]
    async with client.stream("GET", f"{url}/gradio_api/call/chat/{event_id}") as stream:
        text = "".join([chunk async for chunk in stream.aiter_text()])
    if "event: error" in text:  # refused by Gradio's bounded queue
        return 429, text[-300:]
    if "event: complete" not in text:
        return 599, text[-300:]
    data = json.loads(text.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0])
    return stream.status_code, json.dumps(data[1][1:], sort_keys=True)  # the assistant messages


@pytest.fixture(scope="module")
def served(dl_settings, dl_bot):
    # Each Gradio call is a session of its own, kept in memory: fewer than the run makes, so the
    # memory bound below also checks that old sessions are let go.
    proc = ServeProcess(dl_settings.corpus, dl_settings.index, QABOT_MAX_SESSIONS="100")
    yield proc
    proc.stop()


def test_mixed_load_no_errors_same_answers_bounded_memory(served):
    url = served.url
    good = questions()
    bad: list[object] = [{"question": ""}, {"question": 7}, {"top_k": 1}, {"question": "x", "top_k": -1}]
    baseline = {q: httpx.post(f"{url}/api/ask", json={"question": q}).json() for q in good}

    async def single_chats() -> dict[str, str]:
        async with httpx.AsyncClient(timeout=60) as client:
            return {q: (await gradio_chat(client, url, q))[1] for q in good}

    chat_baseline = asyncio.run(single_chats())
    rng = random.Random(5)
    plan: list[tuple[str, object]] = []
    for _ in range(API_REQUESTS):
        plan.append(("api", rng.choice(good)) if rng.random() < 0.85 else ("bad", rng.choice(bad)))
    plan += [("gradio", rng.choice(good)) for _ in range(GRADIO_REQUESTS)]
    rng.shuffle(plan)
    results: list[tuple[str, object, int, object]] = []

    async def run() -> None:
        limit = asyncio.Semaphore(CONCURRENCY)
        async with httpx.AsyncClient(timeout=60) as client:
            async def one(kind: str, payload: object) -> None:
                async with limit:
                    if kind == "gradio":
                        status, body = await gradio_chat(client, url, str(payload))
                    else:
                        body_json = {"question": payload} if kind == "api" else payload
                        r = await client.post(f"{url}/api/ask", json=body_json)
                        status, body = r.status_code, r.json()
                    results.append((kind, payload, status, body))
            # Warm-up, then measure memory across the rest of the run.
            await asyncio.gather(*(one(k, p) for k, p in plan[:200]))
            rss_before.append(served.rss_kb())
            await asyncio.gather(*(one(k, p) for k, p in plan[200:]))

    rss_before: list[int] = []
    started = time.monotonic()
    asyncio.run(run())
    elapsed = time.monotonic() - started
    rss_after = served.rss_kb()
    assert len(results) == len(plan)  # nothing dropped
    statuses = [status for _, _, status, _ in results]
    assert not [s for s in statuses if s >= 500], "5xx under load"
    for kind, payload, status, body in results:
        if kind == "api":
            assert status == 200 and body == baseline[payload]
        elif kind == "bad":
            assert status in (400, 422)
        else:
            assert status == 200 and body == chat_baseline[payload]
    growth = (rss_after - rss_before[0]) / rss_before[0]
    print(f"\n{len(plan)} requests in {elapsed:.1f}s ({len(plan) / elapsed:.0f}/s); "
          f"RSS {rss_before[0] // 1024} → {rss_after // 1024} MB ({growth:+.1%})")
    assert growth < 0.10


def test_over_capacity_is_refused_with_503_and_the_server_survives(dl_settings, dl_bot):
    proc = ServeProcess(dl_settings.corpus, dl_settings.index, QABOT_CONCURRENCY="1", QABOT_QUEUE_SIZE="1")
    try:
        async def burst() -> tuple[list[int], list[int]]:
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as client:
                api = asyncio.gather(*(client.post(f"{proc.url}/api/ask", json={"question": f"dropout {i}"})
                                       for i in range(48)))
                chats = asyncio.gather(*(gradio_chat(client, proc.url, f"batch norm {i}") for i in range(16)))
                rs, cs = await asyncio.gather(api, chats)
                return [r.status_code for r in rs], [status for status, _ in cs]

        statuses, chat_statuses = asyncio.run(burst())
        assert set(statuses) <= {200, 503} and 503 in statuses
        assert set(chat_statuses) <= {200, 429, 503}, chat_statuses
        after = httpx.post(f"{proc.url}/api/ask", json={"question": "typical dropout rate"})
        assert after.status_code == 200 and after.json()["answered"]
    finally:
        proc.stop()
