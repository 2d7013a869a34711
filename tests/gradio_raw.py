"""The Gradio queue protocol spoken by hand, as a browser or an attacker would: join an event with any
data, then read its server-sent events. gradio_client would refuse to send most of what tests send."""

from __future__ import annotations

import json
import uuid

import httpx


def dependencies(url: str) -> list[dict]:
    return httpx.get(f"{url}/config", timeout=30).json()["dependencies"]


def join(url: str, fn_index: int, data: list, session: str, event_data: object = None) -> httpx.Response:
    return httpx.post(f"{url}/gradio_api/queue/join", timeout=30, json={
        "data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
        "trigger_id": None})


def messages(url: str, session: str, completed: int) -> list[dict]:
    """The session's queue messages until `completed` events have finished (or the stream closes)."""
    out: list[dict] = []
    done = 0
    with httpx.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session},
                      timeout=60) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            out.append(message)
            done += message.get("msg") == "process_completed"
            if done >= completed or message.get("msg") == "close_stream":
                break
    return out


def session() -> str:
    return uuid.uuid4().hex[:11]
