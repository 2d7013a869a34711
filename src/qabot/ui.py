"""The Gradio chat: answers rendered from the notes' Markdown with the matching passage marked, the
source under every answer (collapsible, with the full original section), related questions to click,
and helpful / not-helpful feedback. Only converts input and output around `QABot`."""

from __future__ import annotations

import os
import time
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from .bot import MAX_MESSAGE_CHARS, QABot, Result  # noqa: E402
from .errors import QabotError  # noqa: E402

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
NOT_COVERED = "**Not covered in these notes.**"
CLOSEST = "The closest questions they do answer:"
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~")


def escape(text: str) -> str:
    """User text as inert Markdown: no HTML, no links, no emphasis."""
    out = []
    for ch in text:
        if ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def mark_focus(answer: str, focus: str | None) -> str:
    """Wraps the focus lines of the answer in <mark>, after any list marker or quote prefix."""
    if not focus or focus not in answer or "```" in focus or focus.lstrip().startswith("|"):
        return answer
    marked = []
    for line in focus.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        marker, _, rest = stripped.partition(" ")
        is_marker = marker in ("-", "*", "+") or (marker[:-1].isdigit() and marker[-1:] in ".)")
        prefix, body = (f"{indent}{marker} ", rest) if is_marker and rest else (indent, stripped)
        marked.append(f"{prefix}<mark>{body}</mark>" if body.strip() else line)
    return answer.replace(focus, "\n".join(marked), 1)


def source_line(result: Result) -> str:
    chunk = result.chunk
    assert chunk is not None
    return f"Source: {chunk.path} — {chunk.file}, lines {chunk.lines[0]}–{chunk.lines[1]}"


def reply(bot: QABot, message: str) -> tuple[list[dict[str, Any]], list[str], dict[str, Any] | None]:
    """Assistant messages, the related questions to offer, and what feedback should record."""
    small = bot.smalltalk(message)
    if small is not None:
        return [{"role": "assistant", "content": small}], _examples(bot), None
    result = bot.search(message)
    answer = result.answer
    related = [r.question for r in answer.related]
    if not answer.answered or result.chunk is None:
        listing = "\n".join(f"- {escape(q)}" for q in related)
        why = ""  # the notes ask it themselves, unanswered; or it names what they never mention
        if result.open is not None:
            why = (f" They ask “{escape(result.open.question)}” ({escape(result.open.file)}, "
                   f"line {result.open.line}) but leave it unanswered.")
        elif result.unmentioned:
            why = f" They never mention {', '.join(f'“{escape(t)}”' for t in result.unmentioned)}."
        content = f"{NOT_COVERED}{why} {CLOSEST}\n\n{listing}"
        return [{"role": "assistant", "content": content}], related, {
            "question": answer.question, "answer_id": None, "score": answer.score}
    chunk = result.chunk
    note = "\n\n*Question truncated to its first part.*" if result.truncated else ""
    messages = [
        {"role": "assistant", "content": mark_focus(chunk.answer, answer.focus) + note},
        {"role": "assistant", "content": f"**{escape(chunk.question)}**\n\n{chunk.answer}",
         "metadata": {"title": source_line(result), "status": "done"}},
    ]
    return messages, related, {"question": answer.question, "answer_id": chunk.id,
                               "score": answer.score}


def _examples(bot: QABot) -> list[str]:
    return [questions[0] for questions in bot.topics().values()][:6]


def _fresh(bot: QABot) -> dict[str, Any]:
    """A new conversation, held on the server (gr.State): the messages shown, the related questions
    offered (picked by index) and what feedback on each answer records. Nothing a client sends is
    ever returned to a component, so no client-supplied file reference can reach Gradio's cache."""
    return {"messages": [], "related": _examples(bot), "records": {}}


def echo(message: str, limit: int) -> str:
    """The student's message as shown back in the chat: inert, and no longer than what is searched."""
    return escape(message if len(message) <= limit else message[:limit] + "…")


def build_ui(bot: QABot) -> gr.Blocks:
    title = bot.chunks[0].title if bot.chunks else "Study notes"
    with gr.Blocks(title=f"qabot — {title}") as demo:
        gr.Markdown(f"### Ask the notes: {escape(title)}\nAnswers are quoted verbatim from the notes, "
                    "with their source. The best-matching passage is <mark>highlighted</mark>.")
        chatbot = gr.Chatbot(label="qabot", height=520, latex_delimiters=LATEX, sanitize_html=True,
                             buttons=["copy"], placeholder="Ask a question about the notes.")
        conversation = gr.State(_fresh(bot))
        with gr.Row():
            box = gr.Textbox(show_label=False, placeholder="e.g. " + (_examples(bot) or ["…"])[0],
                             scale=8, submit_btn=True, max_length=MAX_MESSAGE_CHARS)
        suggestions = gr.Dataset(label="Related questions", components=[gr.Textbox(visible=False)],
                                 samples=[[q] for q in _examples(bot)], elem_id="related",
                                 type="index")

        def respond(message: object, state: dict[str, Any]) -> tuple:
            if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
                raise gr.Error(f"a question is text of at most {MAX_MESSAGE_CHARS} "
                               "characters")
            try:
                messages, related, record = reply(bot, message)
            except QabotError as exc:
                raise gr.Error(str(exc)) from None
            shown = [*state["messages"], {"role": "user", "content": echo(
                message, bot.settings.max_query_chars)}, *messages]
            records = dict(state["records"])
            if record is not None:
                records[len(shown) - len(messages)] = record
            state = {"messages": shown, "related": related, "records": records}
            return "", shown, gr.Dataset(samples=[[q] for q in related]), state

        def pick(index: object, state: dict[str, Any]) -> tuple:
            related = state["related"]
            if not isinstance(index, int) or not 0 <= index < len(related):
                raise gr.Error("that suggestion is no longer offered; type the question instead")
            return respond(related[index], state)

        outputs = [box, chatbot, suggestions, conversation]
        box.submit(respond, [box, conversation], outputs, api_name="chat")
        suggestions.click(pick, [suggestions, conversation], outputs, api_visibility="private")
        chatbot.clear(lambda: _fresh(bot), None, [conversation], api_visibility="private")

        def feedback(data: gr.LikeData, state: dict[str, Any]) -> None:
            index = data.index[0] if isinstance(data.index, list | tuple) and data.index else data.index
            record = state["records"].get(index) if isinstance(index, int) else None
            if record is None and isinstance(index, int):  # the Source message below an answer
                record = state["records"].get(index - 1)
            if bot.settings.data_dir is None or record is None or not isinstance(data.liked, bool):
                return
            bot.record_feedback({**record, "helpful": data.liked, "time": time.time()})

        chatbot.like(feedback, [conversation], None, api_visibility="private")
    demo.queue(default_concurrency_limit=bot.settings.concurrency, max_size=bot.settings.queue_size)
    return demo
