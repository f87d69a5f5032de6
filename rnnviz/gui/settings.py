"""What the window remembers between runs: geometry and layout, recent files, last settings.

A thin wrapper over :class:`QSettings` in INI format. When the environment variable
``RNNVIZ_SETTINGS_DIR`` is set (the tests set it to a fresh folder for every test), the file
``rnnviz.ini`` in that folder is used; otherwise Qt's per-user location for the
organisation ``rnnviz`` and application ``rnnviz``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "rnnviz"
APPLICATION = "rnnviz"
MAX_RECENT = 10
DEFAULT_TORCH_THREADS = 1


def make_qsettings() -> QSettings:
    """Return the QSettings object for rnnviz (INI format).

    Honours ``RNNVIZ_SETTINGS_DIR`` so tests never touch the user's real settings.
    """
    folder = os.environ.get("RNNVIZ_SETTINGS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(folder) / "rnnviz.ini"), QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


class AppSettings:
    """Typed access to the remembered values.

    Parameters
    ----------
    qsettings : QSettings, optional
        Defaults to :func:`make_qsettings`.
    """

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else make_qsettings()

    # ------------------------------------------------------------------ window
    def window_geometry(self) -> QByteArray | None:
        """Saved ``QMainWindow.saveGeometry()`` bytes, or None."""
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        """Saved ``QMainWindow.saveState()`` bytes (docks and toolbars), or None."""
        return self._bytes("window/state")

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        """Remember the window geometry and dock layout."""
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    def clear_window(self) -> None:
        """Forget the saved layout (Reset layout)."""
        self.q.remove("window/geometry")
        self.q.remove("window/state")

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.q.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, (bytes, bytearray)) and value:
            return QByteArray(bytes(value))
        return None

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        """Recently opened files, newest first (at most :data:`MAX_RECENT`)."""
        value = self.q.value("recent/files", [])
        if isinstance(value, str):  # QSettings returns a bare string for one-item lists
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put ``path`` first in the recent list and return the new list."""
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        files = files[:MAX_RECENT]
        self.q.setValue("recent/files", files)
        return files

    def remove_recent_file(self, path: str | Path) -> list[str]:
        """Drop ``path`` from the recent list (e.g. it no longer exists)."""
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        self.q.setValue("recent/files", files)
        return files

    def clear_recent_files(self) -> None:
        """Empty the recent list."""
        self.q.setValue("recent/files", [])

    # ------------------------------------------------------------------ run settings
    def last_run_config(self) -> dict[str, Any] | None:
        """The model/training settings last used (``RunConfig.to_dict()``), or None."""
        return self._json("run/last_config")

    def set_last_run_config(self, config: dict[str, Any]) -> None:
        """Remember the settings of the run just started."""
        self.q.setValue("run/last_config", json.dumps(config))

    def torch_threads(self) -> int:
        """torch threads used while training in the window (default 1: keeps the GUI smooth)."""
        try:
            n = int(self.q.value("run/torch_threads", DEFAULT_TORCH_THREADS))
        except (TypeError, ValueError):
            return DEFAULT_TORCH_THREADS
        return n if 1 <= n <= 256 else DEFAULT_TORCH_THREADS

    def set_torch_threads(self, n: int) -> None:
        """Remember the torch thread count."""
        self.q.setValue("run/torch_threads", int(n))

    def last_directory(self) -> str:
        """Folder of the last file dialog, or the home folder."""
        value = self.q.value("dialogs/last_directory", "")
        return str(value) if value and Path(str(value)).is_dir() else str(Path.home())

    def set_last_directory(self, folder: str | Path) -> None:
        """Remember the folder of a file dialog."""
        self.q.setValue("dialogs/last_directory", str(folder))

    def _json(self, key: str) -> dict[str, Any] | None:
        raw = self.q.value(key)
        if not raw:
            return None
        try:
            value = json.loads(str(raw))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def sync(self) -> None:
        """Write pending changes to disk."""
        self.q.sync()
