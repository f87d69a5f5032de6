"""Every dialog the window opens goes through :class:`Dialogs`.

One object per window owns the message boxes (errors, divergence, help, about, shortcuts)
and the file choosers. Tests replace it (``window.dialogs = Recorder()``) to answer file
choosers and to see which messages appeared, without blocking on a modal dialog.

Message boxes are opened with :meth:`QDialog.open` (window-modal, non-blocking): no nested
event loop runs while training events keep arriving.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from rnnviz import __version__


class Dialogs:
    """Dialogs of one window.

    Parameters
    ----------
    parent : QWidget
        The main window.

    Attributes
    ----------
    shown : list of (str, str, str)
        ``(kind, title, message)`` of every message shown, newest last.
    """

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.shown: list[tuple[str, str, str]] = []
        self._open: list[QDialog] = []

    # ------------------------------------------------------------------ messages
    def _box(self, icon: QMessageBox.Icon, kind: str, title: str, message: str,
             details: str = "") -> QMessageBox:
        self.shown.append((kind, title, message))
        box = QMessageBox(self.parent)
        box.setIcon(icon)
        box.setWindowTitle(title)
        box.setText(message)
        if details:
            box.setDetailedText(details)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.finished.connect(lambda _=0, b=box: self._forget(b))
        self._open.append(box)
        box.open()
        return box

    def _forget(self, box: QDialog) -> None:
        if box in self._open:
            self._open.remove(box)

    def close_all(self) -> None:
        """Close every dialog still open (window closing, tests)."""
        for box in list(self._open):
            try:
                box.close()
            except RuntimeError:  # already deleted by Qt
                pass
        self._open.clear()

    def error(self, title: str, message: str, details: str = "") -> None:
        """Show an error the user can act on (``details``: a traceback, hidden by default)."""
        self._box(QMessageBox.Icon.Critical, "error", title, message, details)

    def warning(self, title: str, message: str) -> None:
        """Show a warning."""
        self._box(QMessageBox.Icon.Warning, "warning", title, message)

    def info(self, title: str, message: str) -> None:
        """Show a notice."""
        self._box(QMessageBox.Icon.Information, "info", title, message)

    def diverged(self, message: str) -> None:
        """Explain a divergence (the engine's message names the step and the fix)."""
        self._box(
            QMessageBox.Icon.Warning,
            "diverged",
            "Training diverged",
            message + "\n\nBoth settings are in the Model panel (Learning rate, Clip "
            "gradient norm); change one and press Start.",
        )

    # ------------------------------------------------------------------ help
    def view_help(self, views: Sequence[Any], current: int = 0) -> QDialog:
        """One tab per view with its "how to read this view" text."""
        dlg = QDialog(self.parent)
        dlg.setWindowTitle("How to read each view")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.resize(640, 520)
        lay = QVBoxLayout(dlg)
        tabs = QTabWidget(dlg)
        for v in views:
            text = QTextBrowser(tabs)
            text.setHtml(getattr(v, "help_text", "") or "(no help text)")
            tabs.addTab(text, getattr(v, "title", type(v).__name__))
        if 0 <= current < tabs.count():
            tabs.setCurrentIndex(current)
        lay.addWidget(tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dlg)
        buttons.rejected.connect(dlg.close)
        lay.addWidget(buttons)
        self.shown.append(("help", "How to read each view", ""))
        self._open.append(dlg)
        dlg.finished.connect(lambda _=0, d=dlg: self._forget(d))
        dlg.open()
        return dlg

    def shortcuts(self, actions: Sequence[QAction]) -> QDialog:
        """A table of every action that has a keyboard shortcut."""
        rows = [(a.text().replace("&", ""), a.shortcut().toString())
                for a in actions if not a.shortcut().isEmpty()]
        dlg = QDialog(self.parent)
        dlg.setWindowTitle("Keyboard shortcuts")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.resize(420, 460)
        lay = QVBoxLayout(dlg)
        table = QTableWidget(len(rows), 2, dlg)
        table.setHorizontalHeaderLabels(["Command", "Shortcut"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (name, key) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(name.rstrip(".…")))
            table.setItem(i, 1, QTableWidgetItem(key))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dlg)
        buttons.rejected.connect(dlg.close)
        lay.addWidget(buttons)
        self.shown.append(("shortcuts", "Keyboard shortcuts", ""))
        self._open.append(dlg)
        dlg.finished.connect(lambda _=0, d=dlg: self._forget(d))
        dlg.open()
        return dlg

    def about(self) -> None:
        """Version, what rnnviz is, and the versions it runs on."""
        import PySide6

        torch = sys.modules.get("torch")
        torch_version = getattr(torch, "__version__", "not loaded yet")
        text = (
            f"<h3>rnnviz {html.escape(__version__)}</h3>"
            "<p>See inside recurrent neural networks while they learn: loss, forecasts, "
            "gates, states and per-step gradients, live, on your own CSV files.</p>"
            f"<p>Python {sys.version.split()[0]} · PySide6 {PySide6.__version__} · "
            f"torch {html.escape(str(torch_version))}</p>"
            "<p>Everything the window does can also be run headless: <code>rnnviz --help</code>.</p>"
        )
        box = self._box(QMessageBox.Icon.Information, "about", "About rnnviz", text)
        box.setTextFormat(Qt.TextFormat.RichText)

    # ------------------------------------------------------------------ files
    def ask_open_file(self, title: str, folder: str, filters: str) -> str | None:
        """Ask for an existing file; None when cancelled."""
        path, _ = QFileDialog.getOpenFileName(self.parent, title, folder, filters)
        return path or None

    def ask_save_file(self, title: str, suggested: str, filters: str) -> str | None:
        """Ask for a file to write; None when cancelled."""
        path, _ = QFileDialog.getSaveFileName(self.parent, title, suggested, filters)
        return path or None

    def ask_folder(self, title: str, folder: str) -> str | None:
        """Ask for a folder; None when cancelled."""
        path = QFileDialog.getExistingDirectory(self.parent, title, folder)
        return path or None


def shorten(path: str | Path, width: int = 60) -> str:
    """A path shortened for menus: ``…/folder/file.csv`` when too long."""
    s = str(path)
    if len(s) <= width:
        return s
    p = Path(s)
    return f"…/{p.parent.name}/{p.name}"
