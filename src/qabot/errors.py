"""Exception hierarchy: every error a user can cause, with a message that says where and how to fix it.

The core raises these; the edges translate them (click.ClickException, HTTPException, gr.Error),
so users never see a traceback.
"""

from __future__ import annotations


class QabotError(Exception):
    """Base class for all errors qabot reports to users."""


class CorpusError(QabotError):
    """The notes cannot be read or contain nothing to answer from."""


class ModelError(QabotError):
    """The embedding model is missing, fails its checksum, or cannot be loaded offline."""


class IndexStateError(QabotError):
    """The persisted index is missing, damaged, or locked by another build."""


class QueryError(QabotError):
    """A question that cannot be asked (empty, wrong type)."""


class SettingsError(QabotError):
    """A setting has an invalid value."""


class ServerError(QabotError):
    """The server cannot start: its address is not valid here, or it is in use."""


class BusyError(QabotError):
    """More questions are waiting to be answered than the server holds; retry shortly."""
