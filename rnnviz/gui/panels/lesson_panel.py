"""The lesson panel and the lesson window.

- :class:`LessonPanel`: the lesson's explanation (what to look at, what to expect, why), its
  adjustable parameters (sliders, boxes, switches), a teacher-mode switch that hides the
  advanced ones, and Train / Pause / Stop buttons.
- :class:`LessonWindow`: the panel beside a :class:`~rnnviz.gui.views.compare_view.CompareView`,
  with a :class:`~rnnviz.gui.compare_session.CompareSession` training the lesson's models side
  by side in a worker thread.
- :func:`open_lesson`: what the main window's *File ▸ Open Lesson* calls.
- :func:`take_screenshot`: open a lesson window, train, save a picture (``rnnviz lesson NAME
  --screenshot PATH``).
"""

from __future__ import annotations

import html
import math
import re
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.errors import RnnvizError
from rnnviz.core.lessons import Lesson, LessonParameter, load_lesson
from rnnviz.gui.compare_session import CompareSession
from rnnviz.gui.views.compare_view import CompareView, current_epoch

PREBUILD_GAP_MS = 10
"""Pause between two pieces of the compare view's prebuild (one model's page per turn of the
event loop; all at once held the window ~0.5 s)."""
PREBUILD_DELAY_MS = 150
"""Wait after the window was shown or resized before preparing its pages at that size."""

_HEADING = re.compile(r"^([A-Z][A-Z0-9'\-]*(?: [A-Z][A-Z0-9'\-]*)*)(?:([.:])\s| (?=\())")


def explanation_html(text: str) -> str:
    """Paragraphs (blank-line separated) to HTML; a leading CAPITALS phrase becomes bold."""
    out = []
    for para in (p.strip() for p in text.split("\n\n")):
        if not para:
            continue
        m = _HEADING.match(para)
        if m and len(m.group(1)) >= 3:
            head = html.escape(m.group(1).capitalize() + (m.group(2) or ""))
            body = html.escape(para[m.end():])
            out.append(f"<p><b>{head}</b> {body}</p>")
        else:
            out.append(f"<p>{html.escape(para)}</p>")
    return "\n".join(out)


class _ParameterEditor(QWidget):
    """One parameter's control: a slider (int), a number box (float), a switch or a list."""

    changed = Signal()

    def __init__(self, p: LessonParameter, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.p = p
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        tip = p.help or p.label
        self.setToolTip(tip)
        if p.kind == "int":
            self.slider = QSlider(Qt.Orientation.Horizontal)
            step = int(p.step or 1)
            self._step = max(1, step)
            self._lo = int(p.minimum)
            self.slider.setRange(0, (int(p.maximum) - self._lo) // self._step)
            self.slider.setToolTip(tip)
            self.value_label = QLabel()
            self.value_label.setMinimumWidth(40)
            lay.addWidget(self.slider, 1)
            lay.addWidget(self.value_label)
            self.slider.valueChanged.connect(self._on_slider_value_changed)
        elif p.kind == "float":
            self.spin = QDoubleSpinBox()
            decimals = 4 if (p.minimum or 0) and abs(p.minimum) < 0.01 else 3
            self.spin.setDecimals(decimals)
            self.spin.setRange(float(p.minimum), float(p.maximum))
            self.spin.setSingleStep(float(p.step or 0.1))
            self.spin.setToolTip(tip)
            lay.addWidget(self.spin, 1)
            self.spin.valueChanged.connect(lambda _v: self.changed.emit())
        elif p.kind == "bool":
            self.check = QCheckBox("on")
            self.check.setToolTip(tip)
            lay.addWidget(self.check)
            lay.addStretch(1)
            self.check.toggled.connect(lambda _v: self.changed.emit())
        else:
            self.combo = QComboBox()
            for label, _v in p.options:
                self.combo.addItem(label)
            self.combo.setToolTip(tip)
            lay.addWidget(self.combo, 1)
            self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.set_value(value)

    def _on_slider_value_changed(self, pos: int) -> None:
        self.value_label.setText(str(self._lo + pos * self._step))
        self.changed.emit()

    def set_value(self, value: Any) -> None:
        """Show ``value`` (a valid value of the parameter)."""
        p = self.p
        if p.kind == "int":
            pos = (int(value) - self._lo) // self._step
            self.slider.setValue(pos)
            self.value_label.setText(str(int(value)))
        elif p.kind == "float":
            self.spin.setValue(float(value))
        elif p.kind == "bool":
            self.check.setChecked(bool(value))
        else:
            values = [v for _, v in p.options]
            self.combo.setCurrentIndex(values.index(value) if value in values else 0)

    def value(self) -> Any:
        """The value shown."""
        p = self.p
        if p.kind == "int":
            return self._lo + self.slider.value() * self._step
        if p.kind == "float":
            return float(self.spin.value())
        if p.kind == "bool":
            return bool(self.check.isChecked())
        return p.options[self.combo.currentIndex()][1]


class LessonPanel(QWidget):
    """Explanation, adjustable parameters, teacher mode and training buttons of a lesson.

    Signals
    -------
    train_requested()
    pause_requested()
    resume_requested()
    stop_requested()
    teacher_mode_changed(bool)
    """

    train_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    teacher_mode_changed = Signal(bool)

    def __init__(self, lesson: Lesson, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lesson = lesson
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.title_label = QLabel(f"<h2>{html.escape(lesson.title)}</h2>")
        self.title_label.setWordWrap(True)
        lay.addWidget(self.title_label)
        self.summary_label = QLabel(html.escape(lesson.summary))
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("color: #404040;")
        lay.addWidget(self.summary_label)

        self.explanation = QTextBrowser()
        self.explanation.setOpenExternalLinks(False)
        self.explanation.setHtml(explanation_html(lesson.explanation))
        lay.addWidget(self.explanation, 1)

        self.teacher_check = QCheckBox("Teacher mode (hide advanced settings)")
        self.teacher_check.setChecked(lesson.teacher_default)
        self.teacher_check.setToolTip("Hide the advanced settings and extra views, leaving what a "
                                      "class needs to follow the lesson.")
        lay.addWidget(self.teacher_check)

        self.params_box = QGroupBox("Try changing")
        form = QFormLayout(self.params_box)
        self.editors: dict[str, _ParameterEditor] = {}
        self._rows: dict[str, tuple[QLabel, _ParameterEditor]] = {}
        for p in lesson.parameters:
            ed = _ParameterEditor(p, lesson.values.get(p.name, p.default))
            label = QLabel(p.label)
            label.setToolTip(p.help or p.label)
            form.addRow(label, ed)
            self.editors[p.name] = ed
            self._rows[p.name] = (label, ed)
        self.params_box.setVisible(bool(lesson.parameters))
        lay.addWidget(self.params_box)

        buttons = QHBoxLayout()
        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Train the lesson's models side by side with these settings.")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("Stop")
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Put every setting back to the lesson's values.")
        for b in (self.train_button, self.pause_button, self.stop_button, self.defaults_button):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.status_label = QLabel("Press Train to start.")
        self.status_label.setWordWrap(True)
        lay.addWidget(self.status_label)

        self.train_button.clicked.connect(self.train_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.pause_button.toggled.connect(self._on_pause_button_toggled)
        self.defaults_button.clicked.connect(self.reset_values)
        self.teacher_check.toggled.connect(self._on_teacher_check_toggled)
        self.set_running(False)
        self._apply_teacher_mode(self.teacher_check.isChecked())

    # ------------------------------------------------------------------ values
    def values(self) -> dict[str, Any]:
        """The parameter values shown, ``{name: value}``."""
        return {name: ed.value() for name, ed in self.editors.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        """Show these parameter values."""
        for name, v in values.items():
            if name in self.editors:
                self.editors[name].set_value(v)

    def reset_values(self) -> None:
        """Back to the lesson file's defaults."""
        self.set_values({p.name: p.default for p in self.lesson.parameters})

    @property
    def teacher_mode(self) -> bool:
        """True when advanced settings are hidden."""
        return self.teacher_check.isChecked()

    def visible_parameters(self) -> list[str]:
        """Names of the parameters shown (teacher mode hides the advanced ones)."""
        return [n for n, (label, _ed) in self._rows.items() if not label.isHidden()]

    # ------------------------------------------------------------------ state
    def set_running(self, running: bool) -> None:
        """Enable the buttons (and settings) that make sense while training or not."""
        self.train_button.setEnabled(not running)
        self.defaults_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.params_box.setEnabled(not running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    def set_status(self, text: str) -> None:
        """One line under the buttons."""
        self.status_label.setText(text)

    def _apply_teacher_mode(self, on: bool) -> None:
        for name, (label, ed) in self._rows.items():
            hide = on and self.editors[name].p.advanced
            label.setHidden(hide)
            ed.setHidden(hide)

    # ------------------------------------------------------------------ slots
    def _on_teacher_check_toggled(self, on: bool) -> None:
        self._apply_teacher_mode(on)
        self.teacher_mode_changed.emit(on)

    def _on_pause_button_toggled(self, on: bool) -> None:
        self.pause_button.setText("Resume" if on else "Pause")
        (self.pause_requested if on else self.resume_requested).emit()


class LessonWindow(QMainWindow):
    """A lesson: the explanation panel beside the models training side by side.

    Parameters
    ----------
    lesson : Lesson or str
        A lesson, or its name.
    parent : QWidget, optional
        The main window (the lesson opens as a window of its own).
    torch_threads : int or None
        torch threads for the training worker (process-wide).

    Signals
    -------
    training_finished()
    """

    training_finished = Signal()

    def __init__(self, lesson: Lesson | str, parent: QWidget | None = None, *,
                 torch_threads: int | None = 1) -> None:
        super().__init__(parent)
        if parent is not None:
            self.setWindowFlag(Qt.WindowType.Window, True)
        self.lesson = load_lesson(lesson) if isinstance(lesson, str) else lesson
        self.setWindowTitle(f"rnnviz lesson · {self.lesson.title}")
        self.panel = LessonPanel(self.lesson)
        self.compare_view = CompareView(sections=self.lesson.views)
        # now, not in the run's first frame (their pages are laid out once the window shows)
        self.compare_view.prepare(list(self.lesson.labels),
                                  {r.label: r.model.cell for r in self.lesson.runs})
        self.session = CompareSession(self, torch_threads=torch_threads)
        self.session.set_views([self.compare_view])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.panel)
        self.splitter.addWidget(self.compare_view)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([380, 1100])
        self.setCentralWidget(self.splitter)
        self.statusBar().showMessage(self.lesson.data.describe())
        self.running_lesson: Lesson | None = None
        self.error_box: QMessageBox | None = None
        self._failure = ""
        self._t0 = 0.0
        # the models' pages are laid out at their on-screen size once the window shows (and
        # again after a resize), one piece per turn of the event loop; the queue names the
        # pieces (section, label), never the widgets, which a rebuild replaces
        self._prebuild_queue: list[tuple[str, str]] = []
        self._prebuild_passes = 0
        self._prebuild_changed = False
        self._prebuild_timer = QTimer(self)
        self._prebuild_timer.setSingleShot(True)
        self._prebuild_timer.setInterval(PREBUILD_DELAY_MS)
        self._prebuild_timer.timeout.connect(self._on_prebuild_timer_timeout)

        self.panel.train_requested.connect(self.start)
        self.panel.stop_requested.connect(self.session.stop)
        self.panel.pause_requested.connect(self.session.pause)
        self.panel.resume_requested.connect(self.session.resume)
        self.panel.teacher_mode_changed.connect(self._on_panel_teacher_mode_changed)
        self.session.finished.connect(self._on_session_finished)
        self.session.failed.connect(self._on_session_failed)
        self.session.redrawn.connect(self._on_session_redrawn)
        self._on_panel_teacher_mode_changed(self.panel.teacher_mode)

    # ------------------------------------------------------------------ training
    def current_lesson(self) -> Lesson:
        """The lesson with the panel's parameter values (ConfigError when one is invalid)."""
        return self.lesson.with_values(self.panel.values()) if self.lesson.parameters else self.lesson

    def start(self) -> bool:
        """Train the lesson's models with the panel's settings; False when a setting is bad."""
        if self.session.is_active:
            return False
        try:
            lesson = self.current_lesson()
        except RnnvizError as exc:
            QMessageBox.warning(self, "Cannot start the lesson", exc.message)
            return False
        self.running_lesson = lesson
        self._failure = ""
        self.compare_view.clear()
        self.compare_view.set_notes("")
        self.compare_view.prepare(list(lesson.labels), {r.label: r.model.cell for r in lesson.runs})
        self.prebuild_views()  # what the queue has not done yet: now, not in the first probes
        self.panel.set_running(True)
        self.panel.set_status("Preparing the data and the models…")
        self._t0 = time.perf_counter()
        self.session.start_lesson(lesson)
        return True

    def _on_session_redrawn(self) -> None:
        if not self.session.is_active:
            return
        parts = []
        for lab, h in self.session.histories.items():
            # the epoch being trained, as the main window's status bar and the probes count
            # it (the number of epochs *done* read "epoch 1/25" beside probes of epoch 2)
            epoch = current_epoch(h)
            total = h.started.epochs if h.started else 0
            parts.append(f"{lab}: epoch {epoch}/{total}" if epoch else f"{lab}: epoch –")
        self.panel.set_status(" · ".join(parts) or "Preparing…")

    def _on_session_finished(self) -> None:
        self.panel.set_running(False)
        cmp = self.session.comparison
        note = ""
        mb = self.session.summary.get("mean_baseline", math.nan)  # from the training process
        if cmp is not None and cmp.data is not None and all(r.data is None for r in cmp.runs):
            from rnnviz.core.compare import mean_baseline

            mb = mean_baseline(cmp.data)
        if math.isfinite(mb):
            note = f"Always predicting the mean training target scores a test MSE of {mb:.3g}."
        self.compare_view.set_notes(note)
        self.compare_view.refresh()
        self.compare_view.show_section("results")
        secs = time.perf_counter() - self._t0
        stopped = any(r.finish_reason == "stopped" for r in self.session.results.values())
        if self._failure:
            self.panel.set_status(f"Could not run: {self._failure}")
        else:
            self.panel.set_status(("Stopped" if stopped else "Finished") + f" after {secs:.0f} s.")
        self.training_finished.emit()

    def _on_session_failed(self, title: str, message: str, details: str) -> None:
        self._failure = message
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        if details:
            box.setDetailedText(details)
        box.open()
        self.error_box = box

    def _on_panel_teacher_mode_changed(self, on: bool) -> None:
        hidden = set(self.lesson.hidden_in_teacher_mode) if on else set()
        self.compare_view.set_sections([v for v in self.lesson.views if v not in hidden])
        self.schedule_prebuild()  # pages that came into sight

    # ------------------------------------------------------------------ before a run
    def schedule_prebuild(self) -> None:
        """Prepare the compare view's pages at their on-screen size shortly (after the last
        of a burst of resizes), one piece per turn of the event loop; not while training."""
        if self.isVisible() and not self.session.is_active:
            self._prebuild_timer.start()

    def prebuild_views(self) -> None:
        """Finish preparing the compare view's pages now (before a run or a picture)."""
        self._prebuild_timer.stop()
        self._prebuild_queue = []
        self.compare_view.prebuild()

    def _on_prebuild_timer_timeout(self) -> None:
        self._prebuild_queue = self.compare_view.prebuild_steps()
        self._prebuild_passes = 1
        self._prebuild_changed = False
        self._prebuild_next()

    def _prebuild_next(self) -> None:
        """One piece, then let the event loop run (timers, paints) before the next; a pass
        that laid something out is followed by another (pages resized by their neighbours'
        layout are laid out again; the next pass is cheap where nothing changed)."""
        if not self._prebuild_queue or self.session.is_active:
            self._prebuild_queue = []
            return
        if self.compare_view.prebuild_step(self._prebuild_queue.pop(0)):
            self._prebuild_changed = True
        if not self._prebuild_queue and self._prebuild_changed and self._prebuild_passes < 3:
            self._prebuild_queue = self.compare_view.prebuild_steps()
            self._prebuild_passes += 1
            self._prebuild_changed = False
        if self._prebuild_queue:
            QTimer.singleShot(PREBUILD_GAP_MS, self, self._prebuild_next)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Prepare the pages once the window is on screen at its size."""
        super().showEvent(event)
        self.schedule_prebuild()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Prepare the pages again at the new size (the old layout would be redone in the
        first probes' frames)."""
        super().resizeEvent(event)
        self.schedule_prebuild()

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Stop training (bounded wait) before the window goes."""
        self._prebuild_timer.stop()
        self._prebuild_queue = []
        self.session.shutdown()
        super().closeEvent(event)


def open_lesson(main_window: QWidget | None, name: str) -> LessonWindow | None:
    """Open a lesson in a window of its own (for *File ▸ Open Lesson*).

    Parameters
    ----------
    main_window : QWidget or None
        Parent of the lesson window and of any error message.
    name : str
        A lesson name (see :func:`rnnviz.core.lessons.list_lessons`) or a lesson file path.

    Returns
    -------
    LessonWindow or None
        The window, shown; None when the lesson could not be read (a message box says why).
    """
    try:
        lesson = load_lesson(name)
    except RnnvizError as exc:
        QMessageBox.warning(main_window, "Cannot open the lesson", exc.message)
        return None
    win = LessonWindow(lesson, main_window)
    win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    win.resize(1500, 920)
    win.show()
    return win


def take_screenshot(app: QApplication, lesson: Lesson, path: Path, *,
                    compare_path: Path | None = None, threads: int | None = None,
                    size: tuple[int, int] = (1500, 920), timeout_s: float = 1800.0) -> Path:
    """Open a lesson window, train it, save a PNG of the window (and of the compare view).

    Parameters
    ----------
    app : QApplication
    lesson : Lesson
        With its budget (quick or not) and parameter values applied.
    path : Path
        PNG of the whole window.
    compare_path : Path, optional
        PNG of the compare view alone.
    threads : int, optional
        torch threads while training (default 1, as in the window).
    size : (int, int)
        Window size in pixels.
    timeout_s : float
        Give up waiting for training after this long (the picture is taken anyway).

    Returns
    -------
    Path
    """
    win = LessonWindow(lesson, torch_threads=threads or 1)
    win.resize(*size)
    win.show()
    app.processEvents()
    win.prebuild_views()
    loop = QEventLoop()
    win.training_finished.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    QTimer.singleShot(200, win.start)
    loop.exec()
    win.compare_view.refresh()
    for _ in range(5):
        app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not win.grab().save(str(path), "PNG"):
        raise RnnvizError("screenshot_failed", f"Could not write {path}; choose a folder you can "
                          "write to.")
    if compare_path is not None:
        compare_path.parent.mkdir(parents=True, exist_ok=True)
        win.compare_view.grab().save(str(compare_path), "PNG")
    win.close()
    win.deleteLater()
    app.processEvents()
    return path
