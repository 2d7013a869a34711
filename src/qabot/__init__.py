"""qabot: a retrieval-based Q&A chatbot for study notes.

Answers are passages of the notes, verbatim, with their source; never generated text.
"""

from __future__ import annotations

__version__ = "0.1.0"
