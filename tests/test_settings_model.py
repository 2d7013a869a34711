"""Settings from the environment, and the model's checksum check before its weights are used."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qabot.embedding import Embedder, resolve_model
from qabot.errors import ModelError, SettingsError
from qabot.settings import PACKAGED_MODEL, PACKAGED_MODEL_SHA256, Settings


def test_env_overrides_and_explicit_overrides_win():
    env = {"QABOT_TOP_K": "5", "QABOT_CORS_ORIGINS": "http://a.test, http://b.test",
           "QABOT_LOG_QUERIES": "yes", "QABOT_THRESHOLD": "0.4", "QABOT_INDEX": "/tmp/x"}
    settings = Settings.from_env(env, top_k=2)
    assert settings.top_k == 2 and settings.threshold == 0.4 and settings.log_queries is True
    assert settings.cors_origins == ("http://a.test", "http://b.test")
    assert settings.index == Path("/tmp/x")
    assert Settings.from_env({}).host == "127.0.0.1" and Settings.from_env({}).cors_origins == ()


@pytest.mark.parametrize("name, value", [("QABOT_TOP_K", "many"), ("QABOT_LOG_QUERIES", "maybe")])
def test_bad_env_values_name_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_packaged_model_is_verified(embedder):
    assert embedder.checksum == PACKAGED_MODEL_SHA256
    assert embedder.dim == 384


def test_tampered_weights_are_refused_before_loading(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(resolve_model(PACKAGED_MODEL), copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match"):
        Embedder(str(copy), PACKAGED_MODEL_SHA256)


def test_unreachable_hub_model_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="cannot load embedding model"):
        Embedder("no-such-org/no-such-model")


def test_directory_without_weights_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no model.safetensors"):
        Embedder(str(tmp_path))


TEXTS = ["BN vs LN", "", "x", "how does dropout prevent overfitting?", "日本語のテキスト", "emoji 🎉 ok",
         "word " * 400, "**Dropout**: Randomly drop neurons during training\n- Typical rate: 0.2-0.5"]


def test_fast_encoder_gives_sentence_transformers_vectors(embedder):
    from sentence_transformers import SentenceTransformer

    from qabot.bert import BertEncoder

    assert isinstance(embedder.model, BertEncoder)  # the packaged model starts without transformers
    reference = SentenceTransformer(resolve_model(PACKAGED_MODEL), device="cpu")
    expected = reference.encode(TEXTS, normalize_embeddings=True)
    got = embedder.encode(TEXTS, batch_size=3)  # padding across batches of mixed lengths
    assert got.shape == expected.shape == (len(TEXTS), 384)
    assert abs(got - expected).max() < 1e-5


def test_other_model_shapes_run_on_sentence_transformers(tmp_path, embedder):
    copy = tmp_path / "model"
    shutil.copytree(resolve_model(PACKAGED_MODEL), copy)
    pooling = copy / "1_Pooling" / "config.json"
    pooling.write_text(pooling.read_text().replace('"pooling_mode_cls_token": false',
                                                   '"pooling_mode_cls_token": true')
                       .replace('"pooling_mode_mean_tokens": true', '"pooling_mode_mean_tokens": false'))
    cls = Embedder(str(copy), PACKAGED_MODEL_SHA256)
    assert type(cls.model).__name__ == "_SentenceTransformer"
    vectors = cls.encode(TEXTS[:4])
    assert vectors.shape == (4, 384) and abs((vectors ** 2).sum(1) - 1).max() < 1e-5
    assert abs(vectors - embedder.encode(TEXTS[:4])).max() > 1e-3  # CLS pooling is really used
    assert "layer" in cls.vocabulary() and "layer" in embedder.vocabulary()
