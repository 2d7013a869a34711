"""The Gradio chat: each answer is rendered on the server by the same renderer as the notes viewer
and the API (render.py) — the matched question as its heading, the best-matching passage first when
the section is long, the section with that passage marked, a Source expander (file, section path,
lines) and an "Open in notes" link — and related questions to click. Only converts input and output
around `QABot`; the conversation lives on the server (gr.State).

The page's own script (static/chat.js) scrolls to the start of each new answer, copies an answer's
Markdown, returns focus to the question box after a suggestion, and runs the embed mode
(`/?embed=1`: compact, themed from the URL, auto-height through postMessage; see docs/portal.md).
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from .bot import MAX_HISTORY, MAX_MESSAGE_CHARS, QABot, Result  # noqa: E402
from .errors import QabotError  # noqa: E402
from .render import FOCUS, Marking, answer_html, focus_excerpt, focus_lines, render  # noqa: E402

STATIC = Path(__file__).parent / "static"
CSS = (STATIC / "answer.css").read_text(encoding="utf-8") + (STATIC / "chat.css").read_text(
    encoding="utf-8")
HEAD = f"<script>\n{(STATIC / 'chat.js').read_text(encoding='utf-8')}\n</script>"
NOT_COVERED = "Not covered in these notes"
# Labels of the suggestions under the chat, by what they are.
EXAMPLES, RELATED, CLOSEST = "Example questions", "Related questions", "Closest questions in the notes"
# An answer longer than this shows its best-matching passage first, then the whole section.
LONG_LINES, LONG_CHARS = 14, 900
FIRST_LINES = 4


def escape(text: str) -> str:
    """Text as inert HTML (the chat renders messages as HTML, never as Markdown)."""
    return html.escape(text, quote=True)


def echo(message: str, limit: int) -> str:
    """The student's message as shown back in the chat: inert, and no longer than what is searched."""
    shown = message if len(message) <= limit else message[:limit] + "…"
    return f'<p class="qa-user">{escape(shown)}</p>'


def is_long(answer: str) -> bool:
    return len([line for line in answer.splitlines() if line.strip()]) > LONG_LINES or \
        len(answer) > LONG_CHARS


def answer_message(result: Result, turn: int) -> str:
    """One answer as HTML: heading, (passage first,) the section, source, actions."""
    chunk, answer = result.chunk, result.answer
    assert chunk is not None and answer.source is not None
    parts = [f'<article class="qa-answer" id="qa-turn-{turn}">',
             f'<h2 class="qa-question">{escape(chunk.question)}</h2>']
    span = focus_lines(chunk.answer, answer.focus)
    # Passage first when the section is long or the passage is not near its start.
    excerpt = focus_excerpt(chunk.answer, answer.focus) if span and (
        is_long(chunk.answer) or span[0] > FIRST_LINES) else None
    if excerpt:
        marked = render(excerpt, marks=(Marking(0, len(excerpt.splitlines()), FOCUS),), top_heading=3)
        parts += ['<p class="qa-label">Best-matching passage</p>',
                  f'<div class="qa-excerpt">{marked}</div>',
                  '<p class="qa-label">The whole section, with that passage marked</p>']
    parts.append(f'<div class="qa-body">{answer_html(chunk.answer, answer.focus, 3)}</div>')
    if result.truncated:
        parts.append('<p class="qa-note"><em>Question truncated to its first part.</em></p>')
    link = escape(answer.source.url.lstrip("/"))  # relative: works under any sub-path
    first, last = chunk.lines
    parts += [
        '<details class="qa-source">',
        f"<summary>Source: {escape(chunk.file)}, lines {first}–{last}</summary>",
        f'<dl><dt>File</dt><dd>{escape(chunk.file)}</dd>'
        f'<dt>Section</dt><dd>{escape(chunk.path)}</dd>'
        f'<dt>Lines</dt><dd>{first}–{last}</dd></dl>',
        f'<p><a href="{link}">Open in notes</a> (the section, these lines marked)</p>',
        "</details>",
        f'<p class="qa-actions"><a class="qa-open" href="{link}">Open in notes</a> '
        '<button type="button" class="qa-copy">Copy answer</button></p>',
        f'<pre class="qa-md" hidden>{escape(chunk.answer)}</pre>',
        "</article>",
    ]
    return "\n".join(parts)


def not_covered_message(result: Result, turn: int) -> str:
    answer = result.answer
    why = ""  # the notes ask it themselves, unanswered; or it names what they never mention
    if result.open is not None:
        why = (f" They ask “{escape(result.open.question)}” ({escape(result.open.file)}, "
               f"line {result.open.line}) but leave it unanswered.")
    elif result.unmentioned:
        why = f" They never mention {', '.join(f'“{escape(t)}”' for t in result.unmentioned)}."
    listing = "".join(f"<li>{escape(r.question)}</li>" for r in answer.related)
    closest = (f"<p>The closest questions they do answer (click one below, under “{CLOSEST}”):</p>"
               f"<ul>{listing}</ul>") if listing else ""
    return (f'<article class="qa-answer qa-not-covered" id="qa-turn-{turn}">'
            f'<h2 class="qa-question">{NOT_COVERED}</h2><p>Your question is not answered by these '
            f"notes.{why}</p>{closest}</article>")


def smalltalk_message(reply_text: str, turn: int) -> str:
    return (f'<article class="qa-answer qa-smalltalk" id="qa-turn-{turn}"><p>{escape(reply_text)}</p>'
            "</article>")


def reply(bot: QABot, message: str, turn: int = 0, history: Sequence[str] = (),
          ) -> tuple[str, list[str], str, dict[str, Any] | None]:
    """The assistant's message (HTML), the questions to offer, their label, and what feedback on
    the answer records. `turn` numbers the answer in the conversation (its element id); `history`
    holds the student's earlier messages, which a follow-up leans on."""
    result = bot.converse(message, history)
    answer = result.answer
    if answer.kind == "smalltalk":
        return smalltalk_message(answer.reply or "", turn), _examples(bot), EXAMPLES, None
    related = [r.question for r in answer.related]
    record = {"question": answer.question, "answer_id": result.chunk.id if result.chunk else None,
              "score": answer.score}
    if not answer.answered or result.chunk is None:
        return not_covered_message(result, turn), related, CLOSEST, record
    return answer_message(result, turn), related, RELATED, record


def _chips(questions: list[str]) -> list[list[str]]:
    """Suggestions as the Dataset's samples: escaped HTML, so long questions are shown whole (its
    text samples are cut at 60 characters)."""
    return [[f'<span class="qa-chip">{escape(q)}</span>'] for q in questions]


def _examples(bot: QABot) -> list[str]:
    return [questions[0] for questions in bot.topics().values()][:6]


def _fresh(bot: QABot) -> dict[str, Any]:
    """A new conversation, held on the server (gr.State): the messages shown, the related questions
    offered (picked by index), the student's messages (follow-ups lean on them) and what
    feedback on each answer records. Nothing a client sends is
    ever returned to a component, so no client-supplied file reference can reach Gradio's cache."""
    return {"messages": [], "asked": [], "related": _examples(bot), "records": {}}


def build_ui(bot: QABot) -> gr.Blocks:
    title = bot.chunks[0].title if bot.chunks else "Study notes"
    stored = bot.settings.data_dir is not None
    with gr.Blocks(title=f"qabot — {title}", fill_height=True) as demo:
        gr.HTML(f'<header id="qa-header"><h1>Ask the notes: {escape(title)}</h1><p>Answers are quoted '
                "verbatim from the notes, with their source; the best-matching passage is "
                '<mark class="qa-mark">highlighted</mark>.</p></header>', elem_id="qa-header-block",
                padding=False)
        chatbot = gr.Chatbot(
            label="Conversation", show_label=False, elem_id="qa-chat", scale=1, height=None,
            min_height=240, autoscroll=False, render_markdown=False, sanitize_html=True,
            allow_tags=False, latex_delimiters=[], buttons=[], layout="panel",
            feedback_options=("Like", "Dislike") if stored else (),
            placeholder="<p>Ask a question about the notes, or pick an example below.</p>")
        conversation = gr.State(_fresh(bot))
        with gr.Row(elem_id="qa-ask"):
            box = gr.Textbox(label="Your question", show_label=False, elem_id="qa-input",
                             placeholder="Ask a question about the notes…",
                             scale=8, submit_btn="Ask", max_length=MAX_MESSAGE_CHARS, lines=1,
                             max_lines=4)
        suggestions = gr.Dataset(label=EXAMPLES, components=[gr.HTML(visible=False)],
                                 samples=_chips(_examples(bot)), elem_id="related",
                                 type="index", samples_per_page=12)
        if not stored:
            gr.HTML('<p class="qa-feedback-note">Feedback is not collected on this server.</p>',
                    elem_id="qa-feedback-note", padding=False)

        def respond(message: object, state: dict[str, Any]) -> tuple:
            if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
                raise gr.Error(f"a question is text of at most {MAX_MESSAGE_CHARS} "
                               "characters")
            turn = len(state["messages"]) + 1
            try:
                content, related, label, record = reply(bot, message, turn, state["asked"])
            except QabotError as exc:
                raise gr.Error(str(exc)) from None
            shown = [*state["messages"],
                     {"role": "user", "content": echo(message, bot.settings.max_query_chars)},
                     {"role": "assistant", "content": content}]
            records = dict(state["records"])
            if record is not None:
                records[turn] = record
            state = {"messages": shown, "asked": [*state["asked"], message][-MAX_HISTORY:],
                     "related": related, "records": records}
            return "", shown, gr.Dataset(samples=_chips(related), label=label), state

        def pick(index: object, state: dict[str, Any]) -> tuple:
            related = state["related"]
            if not isinstance(index, int) or not 0 <= index < len(related):
                raise gr.Error("that suggestion is no longer offered; type the question instead")
            return respond(related[index], state)

        outputs = [box, chatbot, suggestions, conversation]
        box.submit(respond, [box, conversation], outputs, api_name="chat")
        # Keyboard focus goes back to the question box (not the page body) after a suggestion.
        suggestions.click(pick, [suggestions, conversation], outputs, api_visibility="private").then(
            None, None, None, js="() => { window.qabot && window.qabot.focusInput(); }")

        def clear() -> tuple:
            return _fresh(bot), gr.Dataset(samples=_chips(_examples(bot)), label=EXAMPLES)

        chatbot.clear(clear, None, [conversation, suggestions], api_visibility="private")

        if stored:
            def feedback(data: gr.LikeData, state: dict[str, Any]) -> None:
                index = data.index[0] if isinstance(data.index, list | tuple) and data.index else data.index
                record = state["records"].get(index) if isinstance(index, int) else None
                if record is None or not isinstance(data.liked, bool):
                    return
                if bot.record_feedback({**record, "helpful": data.liked, "time": time.time()}):
                    gr.Info("Thanks — your feedback was recorded.", title="Feedback saved")
                else:
                    gr.Warning("Your feedback could not be saved on the server; please tell the "
                               "course staff.", title="Feedback not saved")

            chatbot.like(feedback, [conversation], None, api_visibility="private")
    demo.queue(default_concurrency_limit=bot.settings.concurrency, max_size=bot.settings.queue_size)
    # Gradio keeps every session's state and component updates; without a bound, many sessions
    # (one per /gradio_api/call request) would hold memory until the server stops.
    demo.state_session_capacity = bot.settings.max_sessions
    return demo
