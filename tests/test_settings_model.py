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
