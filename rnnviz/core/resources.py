"""Where bundled data and lessons live.

The repository keeps them in the top-level ``resources/`` folder. An editable install and a
checkout find them there; a wheel carries a copy inside the package (``rnnviz/_resources``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def resources_dir() -> Path:
    """Return the folder that holds ``data/`` and ``lessons/``."""
    for candidate in (_PACKAGE / "_resources", _PACKAGE.parent / "resources"):
        if (candidate / "data").is_dir():
            return candidate
    raise FileNotFoundError(
        "rnnviz's bundled resources are missing; reinstall rnnviz (pip install --force-reinstall rnnviz)."
    )


def data_path(name: str) -> Path:
    """Path of a bundled CSV file, e.g. ``data_path("co2_weekly.csv")``."""
    return resources_dir() / "data" / name


def lessons_dir() -> Path:
    """Folder of the lesson JSON files."""
    return resources_dir() / "lessons"
