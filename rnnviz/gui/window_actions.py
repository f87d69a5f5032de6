"""The main window's actions, menus, toolbar and status bar (a part of
:class:`~rnnviz.gui.main_window.MainWindow`, kept in its own file)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar, QToolBar

from rnnviz.gui.dialogs import shorten


def menu_text(text: str) -> str:
    """``text`` as a menu shows it: a lone ``&`` would mark a shortcut key and vanish."""
    return text.replace("&", "&&")


class WindowActions:
    """Builds the window's actions, menus, toolbar and status bar; the slots they call
    are the window's."""

    def _action(self, text: str, slot: Callable[..., Any], shortcut: str | QKeySequence | None = None,
                tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(lambda _checked=False: slot())
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        A = self._action
        K = QKeySequence.StandardKey
        self.act_open = A("&Open CSV…", self.ask_open_csv, K.Open, "Open a CSV file")
        self.act_save_model = A("&Save Model…", self.ask_save_model, K.Save,
                                "Save the trained model (weights, settings, scaler) to a folder")
        self.act_load_model = A("&Load Model…", self.ask_load_model, "Ctrl+L",
                                "Load a saved model: its settings, and its weights to continue from")
        self.act_save_session = A("Save Sess&ion…", self.ask_save_session, "Ctrl+Shift+S",
                                  "Save the data file, settings and model as a session")
        self.act_open_session = A("Open Sessio&n…", self.ask_open_session, "Ctrl+Shift+O",
                                  "Open a saved session")
        self.act_export_all = A("Export &all…", self.ask_export_all, "Ctrl+E",
                                "Write every view (PNG, SVG, CSV), the history and the forecast to a folder")
        self.act_export_history = A("Training &history (CSV)…", self.ask_export_history, None,
                                    "One row per epoch: losses, learning rate, gradient norm, time")
        self.act_quit = A("&Quit", self.close, "Ctrl+Q", "Stop training and close the window")
        self.act_start = A("&Start", self.start_training, "Space",
                           "Start training with the current settings (Space)")
        self.act_pause = A("&Pause", self.session.pause, "Space", "Pause after this batch (Space)")
        self.act_resume = A("&Resume", self.session.resume, "Space", "Continue training (Space)")
        self.act_step = A("S&tep one batch", self.step_training, "F10",
                          "Train exactly one batch, then stay paused (F10)")
        self.act_stop = A("St&op", self.session.stop, "Shift+F5",
                          "Stop after this batch; the model keeps what it learned (Shift+F5)")
        self.act_reset = A("R&eset", self.reset_training, "Ctrl+Shift+R",
                           "Forget the run and the model; the next Start begins from new weights")
        self.act_reset_layout = A("Reset &layout", self.reset_layout, None,
                                  "Put every panel back in its default place")
        self.act_help_views = A("&How to read each view", self.show_view_help, "F1")
        self.act_shortcuts = A("&Keyboard shortcuts", self.show_shortcuts, "Ctrl+/")
        self.act_about = A("&About rnnviz", self.dialogs_about)

    def dialogs_about(self) -> None:
        """Help ▸ About."""
        self.dialogs.about()

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.menu_samples = m.addMenu("Open Sa&mple")
        self.menu_samples.aboutToShow.connect(self._fill_samples_menu)
        self.menu_lessons = m.addMenu("Open &Lesson")
        self.menu_lessons.aboutToShow.connect(self._fill_lessons_menu)
        self.menu_recent = m.addMenu("Open &Recent")
        self.menu_recent.aboutToShow.connect(self._fill_recent_menu)
        m.addSeparator()
        m.addAction(self.act_save_model)
        m.addAction(self.act_load_model)
        m.addSeparator()
        m.addAction(self.act_save_session)
        m.addAction(self.act_open_session)
        m.addSeparator()
        self.menu_export = m.addMenu("&Export")
        self.menu_export.addAction(self.act_export_all)
        self.menu_export.addAction(self.act_export_history)
        m.addSeparator()
        m.addAction(self.act_quit)
        self.menu_file = m

        t = mb.addMenu("&Train")
        for a in (self.act_start, self.act_pause, self.act_resume, self.act_step, self.act_stop):
            t.addAction(a)
        t.addSeparator()
        t.addAction(self.act_reset)
        self.menu_train = t

        v = mb.addMenu("&View")
        for key in self.docks:
            act = self.docks[key].toggleViewAction()
            act.setText(self.docks[key].windowTitle())
            v.addAction(act)
        v.addSeparator()
        v.addAction(self.act_reset_layout)
        self.menu_view = v

        h = mb.addMenu("&Help")
        h.addAction(self.act_help_views)
        h.addAction(self.act_shortcuts)
        h.addSeparator()
        h.addAction(self.act_about)
        self.menu_help = h

    def _fill_export_menu(self) -> None:
        m = self.menu_export
        m.clear()
        m.addAction(self.act_export_all)
        m.addAction(self.act_export_history)
        if "forecast" in self.views:
            m.addAction(QAction("&Forecast (CSV)…", self,
                                triggered=lambda: self.ask_export_view("forecast", "csv")))
        m.addSeparator()
        for key, view in self.views.items():
            sub = m.addMenu(getattr(view, "title", key))
            for kind, label in (("png", "Picture (PNG)…"), ("svg", "Picture (SVG)…"),
                                ("csv", "Data (CSV)…")):
                sub.addAction(QAction(label, self, triggered=lambda _=False, k=key, f=kind:
                                      self.ask_export_view(k, f)))

    def _fill_samples_menu(self) -> None:
        from rnnviz.core.samples import list_samples

        self._fill_catalogue_menu(self.menu_samples, "samples", list_samples, "description",
                                  self.open_sample)

    def _fill_lessons_menu(self) -> None:
        from rnnviz.core.lessons import list_lessons

        self._fill_catalogue_menu(self.menu_lessons, "lessons", list_lessons, "summary",
                                  self.open_lesson)

    def _fill_catalogue_menu(self, menu: Any, what: str, entries: Callable[[], Any],
                             tip: str, opener: Callable[[str], Any]) -> None:
        """One action per catalogue entry (``title``, ``name``, a tooltip attribute); a
        catalogue that cannot be read shows why, disabled, and never breaks the menu."""
        menu.clear()
        try:
            items = entries()
        except Exception as exc:  # noqa: BLE001 - a damaged catalogue must not break the menu
            a = menu.addAction(f"({what} unavailable: {getattr(exc, 'message', exc)})")
            a.setEnabled(False)
            return
        for item in items:
            a = menu.addAction(menu_text(item.title))
            a.setToolTip(getattr(item, tip, ""))
            a.triggered.connect(lambda _=False, name=item.name: opener(name))

    def open_lesson(self, name: str) -> Any:
        """File ▸ Open Lesson ▸ NAME: the lesson opens in a window of its own."""
        from rnnviz.gui.panels.lesson_panel import open_lesson

        return open_lesson(self, name)

    def _fill_recent_menu(self) -> None:
        m = self.menu_recent
        m.clear()
        files = self.settings.recent_files()
        if not files:
            a = m.addAction("(no recent files)")
            a.setEnabled(False)
            return
        for i, f in enumerate(files):
            a = m.addAction(f"&{i + 1} {menu_text(shorten(f))}")
            a.setToolTip(f)
            a.triggered.connect(lambda _=False, p=f: self.open_path(p))
        m.addSeparator()
        m.addAction("Clear list", self.settings.clear_recent_files)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Training", self)
        tb.setObjectName("toolbar_training")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        icons = {
            self.act_open: style.StandardPixmap.SP_DialogOpenButton,
            self.act_start: style.StandardPixmap.SP_MediaPlay,
            self.act_pause: style.StandardPixmap.SP_MediaPause,
            self.act_resume: style.StandardPixmap.SP_MediaPlay,
            self.act_step: style.StandardPixmap.SP_MediaSeekForward,
            self.act_stop: style.StandardPixmap.SP_MediaStop,
            self.act_reset: style.StandardPixmap.SP_BrowserReload,
        }
        for act, pm in icons.items():
            act.setIcon(style.standardIcon(pm))
        tb.addAction(self.act_open)
        tb.addSeparator()
        for a in (self.act_start, self.act_pause, self.act_resume, self.act_step, self.act_stop,
                  self.act_reset):
            tb.addAction(a)
        self.toolbar = tb
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)

    def _build_lr_box(self) -> None:
        from rnnviz.gui.panels.model_panel import SciSpinBox

        tb = self.toolbar
        tb.addSeparator()
        tb.addWidget(QLabel(" learning rate ", tb))
        self.lr_spin = SciSpinBox(tb)
        self.lr_spin.setRange(1e-8, 10.0)
        self.lr_spin.setValue(self.model_panel.lr)
        self.lr_spin.setMinimumWidth(90)
        self.lr_spin.setToolTip(self.model_panel.editors["lr"].field.tip)
        self.lr_spin.setAccessibleName("Learning rate")
        tb.addWidget(self.lr_spin)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.state_label = QLabel("Ready", sb)
        self.epoch_label = QLabel("epoch –", sb)
        self.batch_label = QLabel("batch –", sb)
        self.loss_label = QLabel("loss –", sb)
        self.rate_label = QLabel("– batches/s", sb)
        for w in (self.epoch_label, self.batch_label, self.loss_label, self.rate_label):
            w.setMinimumWidth(90)
        self.progress = QProgressBar(sb)
        self.progress.setMaximumWidth(260)
        self.progress.setMinimumWidth(180)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.progress.setToolTip("Progress of the run and the estimated time left")
        sb.addWidget(self.state_label, 1)
        for w in (self.epoch_label, self.batch_label, self.loss_label, self.rate_label,
                  self.progress):
            sb.addPermanentWidget(w)
