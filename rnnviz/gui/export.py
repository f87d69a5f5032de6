"""Saving what a view shows: pictures (PNG, SVG) and the drawn arrays (CSV).

- PNG: :meth:`QWidget.grab` of the widget, i.e. exactly what is on screen (tables included).
- SVG: the widget painted into Qt's ``QSvgGenerator`` (lines and text as vectors, heatmaps
  as embedded bitmaps).
- CSV: one header row, then one row per index; columns of different lengths are padded
  with empty cells; floats are written with ``repr`` so they read back exactly.

Every failure the user can cause (an unknown suffix, a folder that cannot be written)
raises :class:`ExportError` with a message that names the problem and the fix.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from rnnviz.core.errors import RnnvizError

IMAGE_SUFFIXES = (".png", ".svg")


class ExportError(RnnvizError):
    """A picture or table could not be written where or how the user asked."""


def _prepare(path: str | Path, allowed: Sequence[str], what: str) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ExportError(
            "bad_export_format",
            f"Cannot save {what} as '{path.name}': use a file name ending in "
            f"{' or '.join(allowed)}.",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            "export_folder",
            f"Cannot create the folder {str(path.parent)!r} ({exc.strerror}); "
            "choose a folder you can write to.",
        ) from None
    return path


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _finish(tmp: Path, path: Path) -> Path:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(
            "export_write",
            f"Cannot write {str(path)!r} ({exc.strerror}); choose a folder you can write to.",
        ) from None
    return path


def save_image(widget: QWidget, path: str | Path) -> Path:
    """Save a picture of a widget as PNG or SVG (chosen by the file suffix).

    PNG is the widget as drawn on screen (``QWidget.grab``). SVG paints the widget into a
    ``QSvgGenerator``: lines and text stay vectors, heatmaps are embedded bitmaps.
    (pyqtgraph 0.14's own ``SVGExporter`` fails on closed paths, pyqtgraph issue #3495.)

    Parameters
    ----------
    widget : QWidget
        What to picture. A widget never shown is first given a size and laid out.
    path : str or Path
        Ending in ``.png`` or ``.svg``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ExportError
        For another suffix or a folder that cannot be written.
    """
    path = _prepare(path, IMAGE_SUFFIXES, "a picture")
    tmp = _tmp(path)
    if not widget.isVisible() and not widget.testAttribute(Qt.WidgetAttribute.WA_Resized):
        # never shown nor resized: give it a sensible size so the picture is not a stamp
        widget.resize(widget.sizeHint().expandedTo(QSize(900, 560)))
    pixmap = widget.grab()  # also lays out a hidden widget's children
    if path.suffix.lower() == ".png":
        if pixmap.isNull() or not pixmap.save(str(tmp), "PNG"):
            tmp.unlink(missing_ok=True)
            raise ExportError(
                "export_write",
                f"Cannot write the picture {str(path)!r}; choose a folder you can write to.",
            )
        return _finish(tmp, path)
    from PySide6.QtSvg import QSvgGenerator

    gen = QSvgGenerator()
    gen.setFileName(str(tmp))
    gen.setSize(widget.size())
    gen.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    gen.setTitle(widget.windowTitle() or type(widget).__name__)
    gen.setDescription("made by rnnviz")
    painter = QPainter()
    if not painter.begin(gen):
        tmp.unlink(missing_ok=True)
        raise ExportError(
            "export_write",
            f"Cannot write the picture {str(path)!r}; choose a folder you can write to.",
        )
    try:
        QWidget.render(widget, painter, QPoint(0, 0))  # QWidget's, not a view's render(history)
    finally:
        painter.end()
    return _finish(tmp, path)


def _time_unit(values: np.ndarray) -> str:
    """The coarsest unit that writes every time stamp of a column exactly (one per column)."""
    ns = values.astype("datetime64[ns]")
    ns = ns[~np.isnat(ns)].astype(np.int64)
    for unit, size in (("D", 86_400 * 10**9), ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6)):
        if np.all(ns % size == 0):
            return unit
    return "ns"


def _cell_strings(values: np.ndarray) -> list[str]:
    """Format one column's values as CSV cell strings."""
    if values.dtype.kind == "M":
        out = np.datetime_as_string(values, unit=_time_unit(values)).tolist()
        return ["" if s == "NaT" else s for s in out]
    if values.dtype.kind == "f":
        return [repr(float(v)) for v in values.tolist()]
    if values.dtype.kind in "iub":
        return [str(int(v)) for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def write_csv(path: str | Path, columns: Mapping[str, Any]) -> Path:
    """Write named 1-D arrays as CSV columns, with a header row.

    Parameters
    ----------
    path : str or Path
        Ending in ``.csv``.
    columns : mapping of str to array-like
        Column name to 1-D values. Shorter columns are padded with empty cells.
        Floats are written with ``repr`` (they read back exactly), datetimes as ISO 8601.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ExportError
        For another suffix, a column that is not 1-D, or a folder that cannot be written.
    """
    path = _prepare(path, (".csv",), "a table")
    cols: dict[str, list[str]] = {}
    for name, values in columns.items():
        a = np.asarray(values)
        if a.ndim != 1:
            raise ExportError(
                "bad_export_column",
                f"Column {name!r} has shape {a.shape}; only 1-D columns can be written to CSV.",
            )
        cols[str(name)] = _cell_strings(a)
    n = max((len(v) for v in cols.values()), default=0)
    tmp = _tmp(path)
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(list(cols))
            names = list(cols)
            for i in range(n):
                w.writerow([cols[c][i] if i < len(cols[c]) else "" for c in names])
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(
            "export_write",
            f"Cannot write {str(path)!r} ({exc.strerror}); choose a folder you can write to.",
        ) from None
    return _finish(tmp, path)
