"""The persisted index: round trip, staleness, damage, atomic replacement, incremental re-embedding."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import DL_CORPUS, make_corpus

from qabot.bot import QABot, ensure_index
from qabot.corpus import load_corpus
from qabot.errors import IndexStateError
from qabot.index import build_index, live_build, load_index, read_manifest, save_index
from qabot.settings import Settings


class CountingEmbedder:
    """The real embedder, counting how many texts it is asked to encode."""

    def __init__(self, real):
        self.real, self.encoded = real, 0
        self.name, self.checksum, self.dim, self.model = real.name, real.checksum, real.dim, real.model
        self.vocabulary = real.vocabulary

    def encode(self, texts, **kwargs):
        self.encoded += len(texts)
        return self.real.encode(texts, **kwargs)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(corpus=make_corpus(tmp_path / "corpus", DL_CORPUS), index=tmp_path / "index")


def test_round_trip_loads_without_re_embedding(settings, embedder):
    counting = CountingEmbedder(embedder)
    messages: list[str] = []
    built = ensure_index(settings, counting, messages.append)
    assert counting.encoded == built.manifest.keys > 8
    assert any("no index yet" in m for m in messages)
    again = ensure_index(settings, counting, messages.append)
    assert counting.encoded == built.manifest.keys  # nothing embedded the second time
    assert [c.id for c in again.chunks] == [c.id for c in built.chunks]
    assert again.vectors.ntotal == built.vectors.ntotal
    q = embedder.encode(["layer norm"])
    assert np.allclose(again.vectors.search(q, 3)[0], built.vectors.search(q, 3)[0])
    manifest = json.loads((live_build(settings.index) / "manifest.json").read_text())
    assert manifest["model_sha256"] == embedder.checksum and manifest["dim"] == 384
    assert manifest["faiss"] == "IndexFlatIP" and manifest["chunks"] == 8


def test_questions_the_notes_leave_unanswered_are_kept_with_their_vectors(tmp_path, embedder):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "n.md").write_text(
        "# N\n\n## S\n\n### What is dropout?\n\nIt drops units.\n\n### What is MAP@k?\n\n"
        "Answer here\n")
    settings = Settings(corpus=tmp_path / "notes", index=tmp_path / "index")
    counting = CountingEmbedder(embedder)
    built = ensure_index(settings, counting, lambda m: None)
    loaded = ensure_index(settings, counting, lambda m: None)
    assert [(o.question, o.file, o.line) for o in loaded.open] == [("What is MAP@k?", "n.md", 9)]
    assert np.allclose(loaded.open_vectors, embedder.encode(["What is MAP@k?"]), atol=1e-6)
    assert counting.encoded == built.manifest.keys + 1  # embedded once, loaded after


def test_corpus_edit_rebuilds_and_re_embeds_only_what_changed(settings, embedder):
    counting = CountingEmbedder(embedder)
    first = ensure_index(settings, counting, lambda m: None)
    path = settings.corpus / "deep-learning-basics.md"
    path.write_text(path.read_text().replace("**Typical rate**: 0.2-0.5", "**Typical rate**: 0.1-0.5"))
    before = counting.encoded
    messages: list[str] = []
    second = ensure_index(settings, counting, messages.append)
    assert any("the corpus changed" in m for m in messages)
    assert counting.encoded - before == 1  # the one edited bullet
    assert second.manifest.corpus_digest != first.manifest.corpus_digest
    assert any("0.1-0.5" in c.answer for c in second.chunks)


def test_a_new_index_format_makes_the_index_stale(settings, embedder, monkeypatch):
    import qabot.corpus
    from qabot.bot import stale_reason
    from qabot.corpus import corpus_digest

    ensure_index(settings, embedder, lambda m: None)
    manifest = read_manifest(settings.index)
    assert stale_reason(manifest, embedder, corpus_digest(settings.corpus)) is None
    monkeypatch.setattr(qabot.corpus, "INDEX_FORMAT", qabot.corpus.INDEX_FORMAT + 1)
    assert stale_reason(manifest, embedder, corpus_digest(settings.corpus)) is not None


def test_model_change_makes_the_index_stale(settings, embedder):
    ensure_index(settings, embedder, lambda m: None)
    from qabot.bot import stale_reason
    from qabot.corpus import corpus_digest

    other = CountingEmbedder(embedder)
    other.name = "some/other-model"
    reason = stale_reason(read_manifest(settings.index), other, corpus_digest(settings.corpus))
    assert reason == "the embedding model changed"


@pytest.mark.parametrize("damage", ["truncate_faiss", "drop_chunk", "bad_manifest", "no_current"])
def test_damaged_index_is_detected_and_rebuilt(settings, embedder, damage):
    ensure_index(settings, embedder, lambda m: None)
    build = live_build(settings.index)
    if damage == "truncate_faiss":
        data = (build / "vectors.faiss").read_bytes()
        (build / "vectors.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "drop_chunk":
        chunks = json.loads((build / "chunks.json").read_text())
        (build / "chunks.json").write_text(json.dumps(chunks[:-1]))
    elif damage == "bad_manifest":
        (build / "manifest.json").write_text("{not json")
    else:
        (settings.index / "CURRENT").unlink()
    if damage != "bad_manifest" and damage != "no_current":
        with pytest.raises(IndexStateError, match="rebuild"):
            load_index(settings.index)
    messages: list[str] = []
    bot = QABot(settings, embedder=embedder, log=messages.append)
    assert any("building index" in m for m in messages)
    assert len(bot.chunks) == 8 and bot.index.vectors.ntotal == bot.index.manifest.keys


def test_interrupted_build_leaves_previous_index_loadable(settings, embedder):
    first = ensure_index(settings, embedder, lambda m: None)
    # What a build killed half-way leaves behind: a temporary directory, never named in CURRENT.
    partial = settings.index / ".tmp-killed"
    partial.mkdir()
    (partial / "vectors.faiss").write_bytes(b"half")
    loaded = load_index(settings.index)
    assert [c.id for c in loaded.chunks] == [c.id for c in first.chunks]
    save_index(build_index(load_corpus(settings.corpus), embedder), settings.index)
    assert not partial.exists()  # swept by the next successful build
    builds = sorted(p.name for p in settings.index.glob("build-*"))
    assert len(builds) == 2  # the live build and the one before it


def test_missing_index_error_names_the_fix(tmp_path):
    with pytest.raises(IndexStateError, match="qabot index"):
        load_index(tmp_path / "nothing")
