"""`qabot` command line: index, ask, eval, serve. Each command only converts input and output around
`QABot`; errors become one-line messages (click.ClickException), never tracebacks."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import QabotError, QueryError
from .parts import PARTS
from .settings import Settings


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--corpus", type=click.Path(path_type=Path), default=None,
                  help="Notes directory [env QABOT_CORPUS; default: corpus]")
    @click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                  help="Index directory [env QABOT_INDEX; default: index]")
    @click.option("--model", default=None,
                  help="Embedding model: local path or hub name [env QABOT_MODEL]")
    @functools.wraps(func)
    def wrapper(*args: Any, corpus: Path | None, index_dir: Path | None, model: str | None,
                **kwargs: Any) -> Any:
        try:
            settings = Settings.from_env(corpus=corpus, index=index_dir, model=model)
            return func(settings, *args, **kwargs)
        except QabotError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.group()
@click.version_option(__version__, prog_name="qabot")
def main() -> None:
    """qabot: answers questions from your study notes, verbatim, with the source."""


@main.command()
@click.option("--strict", is_flag=True,
              help="Fail when question-like items of the notes did not each become a question.")
@_common
def index(settings: Settings, strict: bool) -> None:
    """Build (or rebuild) the search index of the notes."""
    from .bot import ensure_index
    from .embedding import Embedder

    embedder = Embedder(settings.model, settings.model_sha256)
    built = ensure_index(settings, embedder, _log, force=True, progress=sys.stderr.isatty(),
                         strict=strict)
    click.echo(f"index ready in {settings.index}: {len(built.chunks)} questions, "
               f"{built.manifest.keys} keys, {built.manifest.faiss}")


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@click.option("--top-k", type=click.IntRange(0, 20), default=None,
              help="How many related questions to list [default: 3]")
@_common
def ask(settings: Settings, question: str, as_json: bool, top_k: int | None) -> None:
    """Answer QUESTION from the notes. QUESTION '-' reads one question per stdin line."""
    from .bot import QABot

    bot = QABot(settings, log=_log)
    questions = sys.stdin if question == "-" else [question]
    failed = False
    for line in questions:
        line = line.rstrip("\n")
        if question == "-" and not line.strip():
            continue
        try:
            answer = bot.ask(line, top_k)
        except QueryError as exc:
            if question != "-":
                raise
            failed = True
            click.echo(json.dumps({"question": line, "error": str(exc)}) if as_json
                       else f"error: {exc}")
            continue
        click.echo(answer.to_json() if as_json else _plain(answer))
    if failed:
        sys.exit(1)


def _plain(answer: Any) -> str:
    out = []
    if answer.kind == "smalltalk":
        return answer.reply
    if answer.answered:
        s = answer.source
        out += [answer.answer, "", f"Source: {s.file}:{s.lines[0]}-{s.lines[1]} "
                f"({s.section} › {s.question}) score {answer.score:.2f}"]
    else:
        out.append("Not covered in these notes.")
    if answer.related:
        out.append("Related questions:" if answer.answered else "Closest questions:")
        out += [f"  - {r.question} ({r.source.file}:{r.source.lines[0]})" for r in answer.related]
    return "\n".join(out)


@main.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--threshold", type=float, default=None, help="Override the no-answer threshold.")
@click.option("--ablate", "ablated", multiple=True, metavar="NAME",
              help="Switch a named part off (repeatable; 'all' for every one): " + ", ".join(PARTS))
@_common
def eval_(settings: Settings, file: Path, as_json: bool, threshold: float | None,
          ablated: tuple[str, ...]) -> None:
    """Score the bot on FILE: JSONL of question/expected (top-1, MRR@5, no-answer rates), or of
    conversations ({"turns": [{"q", "type", "expected"}, …]}: right answers by turn type)."""
    from .bot import QABot
    from .evaluate import (
        ablate,
        evaluate,
        evaluate_conversations,
        is_conversations,
        load_cases,
        load_conversations,
    )

    bot = QABot(settings.with_(threshold=threshold), log=_log)
    if ablated:
        try:
            parts = ablate(bot, ablated)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--ablate") from None
        _log(f"parts on: {', '.join(parts.rewriters + parts.signals) or 'none'}")
    if is_conversations(file):
        talks = evaluate_conversations(bot, load_conversations(file, bot))
        if as_json:
            click.echo(json.dumps(asdict(talks), indent=1))
            return
        click.echo(f"{file}: {talks.conversations} conversations")
        for kind, share in talks.right.items():
            click.echo(f"  {kind:<10} {share:6.1%} right of {talks.counts[kind]}")
        click.echo(f"  follow-ups answered right whose focus holds the expected phrase: {talks.focus:.1%}")
        for miss in talks.misses:
            click.echo(f"  miss ({miss['type']}): {miss['message']!r} → {miss['got']}; "
                       f"expected {miss['expected']}")
        return
    report = evaluate(bot, load_cases(file, bot))
    if as_json:
        click.echo(json.dumps(asdict(report), indent=1))
        return
    click.echo(f"{file}: {report.in_scope} in-scope, {report.off_topic} off-topic, "
               f"threshold {report.threshold}")
    click.echo(f"  top-1 {report.top1:.1%}  MRR@5 {report.mrr5:.3f}  "
               f"answered+correct {report.answered_correct:.1%}  "
               f"in-scope answered {report.in_scope_answered:.1%}  "
               f"answered but wrong {report.answered_wrong:.1%}")
    kinds = "".join(f"  {kind} {share:.1%}" for kind, share in report.refused_by_kind.items())
    click.echo(f"  off-topic refused {report.refused:.1%}{kinds}  "
               f"refusal precision {report.refusal_precision:.1%}")
    for miss in report.misses:
        click.echo(f"  miss: {miss['question']!r} → {miss['got']} ({miss['score']}); "
                   f"expected {miss['expected']}")


@main.command()
@click.option("--top-k", type=click.IntRange(0, 20), default=None,
              help="How many related questions to list [default: 3]")
@_common
def chat(settings: Settings, top_k: int | None) -> None:
    """Talk with the notes in the terminal: follow-ups ("and for relu?", "why?") lean on the
    conversation. One message per line; an empty line or end of input ends it."""
    from .bot import MAX_HISTORY, QABot

    bot = QABot(settings, log=_log)
    interactive = sys.stdin.isatty()
    history: list[str] = []
    while True:
        if interactive:
            click.echo("you> ", nl=False)
        line = sys.stdin.readline()
        if not line.strip():
            return
        message = line.strip()
        try:
            answer = bot.converse(message, history, top_k).answer
        except QueryError as exc:
            click.echo(f"error: {exc}")
            continue
        history = [*history, message][-MAX_HISTORY:]
        if answer.context and answer.kind == "answer":
            click.echo(f"(about: {answer.context})")
        click.echo(_plain(answer) + "\n")


@main.command()
@click.option("--host", default=None, help="Interface to bind [env QABOT_HOST; 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [env QABOT_PORT; 7860]")
@_common
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the chat UI at / and the JSON API under /api."""
    from .api import serve as run

    run(settings.with_(host=host, port=port), log=_log)


if __name__ == "__main__":
    main()
