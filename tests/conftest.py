"""Shared fixtures: the real packaged model (loaded once per session) and real indexes in tmp dirs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from qabot.bot import QABot  # noqa: E402
from qabot.embedding import Embedder  # noqa: E402
from qabot.settings import PACKAGED_MODEL, Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DL_CORPUS = ROOT / "corpus" / "deep-learning-basics.md"
EVAL = Path(__file__).parent / "eval"
THEORY_CORPUS = EVAL / "data-science-theory" / "data-science-theory.md"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(PACKAGED_MODEL)


def make_corpus(directory: Path, *files: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, directory / f.name)
    return directory


@pytest.fixture(scope="session")
def dl_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("dl")
    return Settings(corpus=make_corpus(base / "corpus", DL_CORPUS), index=base / "index")


@pytest.fixture(scope="session")
def dl_bot(dl_settings: Settings, embedder: Embedder) -> QABot:
    return QABot(dl_settings, embedder=embedder, log=lambda m: None)


@pytest.fixture(scope="session")
def eval_bot(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder):
    """A bot over one of the evaluation corpora in tests/eval/NAME/, built once per session."""
    bots: dict[str, QABot] = {}

    def get(name: str) -> QABot:
        if name not in bots:
            base = tmp_path_factory.mktemp(name)
            notes = make_corpus(base / "corpus", *sorted((EVAL / name).iterdir()))
            bots[name] = QABot(Settings(corpus=notes, index=base / "index"), embedder=embedder,
                               log=lambda m: None)
        return bots[name]
    return get


@pytest.fixture(scope="session")
def theory_bot(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> QABot:
    base = tmp_path_factory.mktemp("theory")
    settings = Settings(corpus=make_corpus(base / "corpus", THEORY_CORPUS), index=base / "index")
    return QABot(settings, embedder=embedder, log=lambda m: None)


@pytest.fixture(scope="session")
def server(dl_bot: QABot):
    from servers import running

    with running(dl_bot) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module."""
    from browser import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
