"""Gradio app entry (the Hugging Face Spaces convention): `python app/app.py` serves the chat at /
and the JSON API under /api, configured by QABOT_* environment variables."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qabot.api import serve  # noqa: E402
from qabot.settings import Settings  # noqa: E402

if __name__ == "__main__":
    serve(Settings.from_env())
