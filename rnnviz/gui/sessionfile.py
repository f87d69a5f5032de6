"""Session files: a small JSON file that brings the window back to the same state.

A session holds the data file's path, every data/model/training setting
(:class:`~rnnviz.core.config.RunConfig`), window options and, optionally, the folder of a
saved model. This module has no Qt in it, so it can be tested (and used) headless.

The file looks like::

    {
      "format": "rnnviz-session",
      "version": 1,
      "data_path": "/home/me/data/co2.csv",
      "data_path_relative": "data/co2.csv",
      "run": {"data": {...}, "model": {...}, "train": {...}},
      "options": {...},
      "settings": {"torch_threads": 1},
      "model_dir": "co2_model"
    }

Paths are stored both absolute and relative to the session file, so a folder holding a
session and its data can be moved or shared as a whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnviz.core.config import RunConfig
from rnnviz.core.errors import ConfigError, DataError, ModelFileError, RnnvizError
from rnnviz.core.filemode import give_usual_mode

FORMAT = "rnnviz-session"
VERSION = 1
SUFFIX = ".rnnviz.json"


@dataclass(frozen=True)
class SessionFile:
    """The content of a session file.

    Attributes
    ----------
    data_path : Path or None
        The CSV file (absolute), or None when the session had no data open.
    run : RunConfig
        Data, model and training settings.
    options : dict
        Window options (JSON-ready), e.g. which sample was open.
    settings : dict
        Application settings that matter for the run, e.g. ``{"torch_threads": 1}``.
    model_dir : Path or None
        A saved model folder (absolute), or None.
    """

    data_path: Path | None
    run: RunConfig = field(default_factory=RunConfig)
    options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    model_dir: Path | None = None


def _relative(path: Path, base: Path) -> str | None:
    try:
        return os.path.relpath(path, base)
    except ValueError:  # different drives on Windows
        return None


def session_to_dict(session: SessionFile, where: str | Path) -> dict[str, Any]:
    """Return the JSON object written for ``session`` saved at ``where``."""
    base = Path(where).resolve().parent
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if session.data_path is not None:
        data = Path(session.data_path).resolve()
        out["data_path"] = str(data)
        out["data_path_relative"] = _relative(data, base)
    else:
        out["data_path"] = None
        out["data_path_relative"] = None
    out["run"] = session.run.to_dict()
    out["options"] = dict(session.options)
    out["settings"] = dict(session.settings)
    if session.model_dir is not None:
        model = Path(session.model_dir).resolve()
        out["model_dir"] = str(model)
        out["model_dir_relative"] = _relative(model, base)
    else:
        out["model_dir"] = None
        out["model_dir_relative"] = None
    return out


def save_session(path: str | Path, session: SessionFile) -> Path:
    """Write ``session`` to ``path`` as JSON, atomically.

    Parameters
    ----------
    path : str or Path
        Target file. The write goes to a temporary file in the same folder first, so a
        failed save never leaves a half-written session behind.
    session : SessionFile

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    RnnvizError
        When the folder cannot be written.
    """
    path = Path(path)
    text = json.dumps(session_to_dict(session, path), indent=2, allow_nan=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".session-", suffix=".tmp", dir=path.parent)
        give_usual_mode(fd)  # mkstemp makes it 0o600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise RnnvizError(
            "session_not_written",
            f"Could not write the session file {path}: {exc.strerror or exc}. "
            "Choose a folder you can write to.",
        ) from None
    return path


def _find(stored: Any, relative: Any, base: Path) -> Path | None:
    """Resolve a stored path: absolute first, then relative to the session file."""
    candidates = []
    if isinstance(stored, str) and stored:
        candidates.append(Path(stored))
    if isinstance(relative, str) and relative:
        candidates.append(base / relative)
    for c in candidates:
        if c.exists():
            return c.resolve()
    return Path(stored) if isinstance(stored, str) and stored else None


def load_session(path: str | Path, *, check_files: bool = True) -> SessionFile:
    """Read a session file.

    Parameters
    ----------
    path : str or Path
    check_files : bool
        When True, a data file or model folder that no longer exists is an error.

    Returns
    -------
    SessionFile

    Raises
    ------
    DataError
        The session file, or the CSV it names, cannot be found.
    ConfigError
        The file is not a valid session (not JSON, wrong format, bad settings).
    ModelFileError
        The model folder it names no longer exists.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            "session_not_found",
            f"The session file {path} does not exist. Check the name, or open the CSV directly.",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "bad_session",
            f"Could not read the session file {path.name} ({exc}). It is damaged or not a "
            "session file; open the CSV instead and save a new session.",
        ) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "bad_session",
            f"{path.name} is not a valid rnnviz session: its JSON is broken at line "
            f"{exc.lineno}, column {exc.colno} ({exc.msg}). The file may be truncated or "
            "edited by hand; open the CSV instead and save a new session.",
        ) from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ConfigError(
            "bad_session",
            f"{path.name} is JSON but not an rnnviz session file (no \"format\": \"{FORMAT}\"). "
            "Sessions are written by File ▸ Save Session….",
        )
    version = obj.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ConfigError(
            "bad_session",
            f"{path.name} was written by a newer rnnviz (session version {version!r}); "
            "update rnnviz to open it.",
        )
    try:
        run = RunConfig.from_dict(obj.get("run", {}))
    except ConfigError as exc:
        raise ConfigError("bad_session", f"{path.name} holds bad settings: {exc.message}") from None
    options = obj.get("options") or {}
    settings = obj.get("settings") or {}
    if not isinstance(options, dict) or not isinstance(settings, dict):
        raise ConfigError(
            "bad_session", f"{path.name}: \"options\" and \"settings\" must be JSON objects."
        )
    base = path.resolve().parent
    data_path = _find(obj.get("data_path"), obj.get("data_path_relative"), base)
    model_dir = _find(obj.get("model_dir"), obj.get("model_dir_relative"), base)
    if check_files and data_path is not None and not data_path.is_file():
        raise DataError(
            "data_file_moved",
            f"The session {path.name} uses the data file {data_path}, which is no longer "
            "there (moved, renamed or deleted). Put the file back, or open it with File ▸ "
            "Open CSV… and save the session again.",
        )
    if check_files and model_dir is not None and not model_dir.is_dir():
        raise ModelFileError(
            "model_moved",
            f"The session {path.name} uses the model folder {model_dir}, which is no longer "
            "there. Put the folder back, or open the session's CSV and train again.",
        )
    return SessionFile(
        data_path=data_path, run=run, options=options, settings=settings, model_dir=model_dir
    )
