"""Errors that carry a plain-language message for the user.

Every error the user can cause (a bad file, a bad option, a damaged model folder) is raised
as a :class:`RnnvizError` subclass. Its ``message`` names the problem and the fix; its
``code`` is a short stable identifier that tests and ``--json`` output use. The command line
prints the message and exits with status 2; the window shows it in a dialog.
"""

from __future__ import annotations

from typing import Any


class RnnvizError(Exception):
    """Base of every user-facing error.

    Parameters
    ----------
    code : str
        Short stable identifier, e.g. ``"empty_file"``.
    message : str
        One paragraph for the user: what is wrong and what to do.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # pickled with both arguments (Exception's default passes only the message), so
        # errors raised in the training process arrive whole
        return type(self), (self.code, self.message)

    def to_dict(self) -> dict[str, str]:
        """Return ``{"code": ..., "message": ...}`` for JSON output."""
        return {"code": self.code, "message": self.message}


class DataError(RnnvizError):
    """A CSV file or a data option that cannot be used."""


class ConfigError(RnnvizError):
    """A setting outside its allowed range or an unknown option."""


class ModelFileError(RnnvizError):
    """A model folder or weights file that cannot be trusted or loaded."""
