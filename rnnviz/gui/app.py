"""Start the window: QApplication, names, the main window, then the heavy imports.

Importing torch takes about 2 s on the reference machines, pyqtgraph and the views most of a
second more. :func:`main` shows the bare window first (menus, toolbar, empty docks; only
PySide6 and numpy are imported by then), then, from the event loop, builds the panels and
views, imports torch and opens the data file, so the user sees the application at once and a
status line says what is loading.

With ``train=True`` and ``screenshot`` set (``rnnviz gui FILE --train --epochs N
--screenshot PATH``), the window trains, saves a picture of itself and of each view, and
closes: the README pictures are made this way.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from rnnviz import __version__
from rnnviz.gui.settings import APPLICATION, ORGANIZATION

log = logging.getLogger(__name__)

WARM_UP_MODULES = (
    "torch._dynamo",  # torch's optimizers import it when first used: ~1-2 s
    "rnnviz.core.models",
    "rnnviz.core.probes",
    "rnnviz.core.forecast",
    "rnnviz.core.metrics",
)
"""Modules the first training run would import on its worker thread."""

WARM_UP_MODULES_PROCESS = ("rnnviz.core.models",)
"""Training in a separate process (the default), the window itself only needs the model
classes (it receives a copy of the model to save it); the process imports the rest."""

STARTUP_MARKER_ENV = "RNNVIZ_STARTUP_MARKER"
"""When set, print ``rnnviz: window visible after X s`` once the window is shown and
``rnnviz: ready to train after X s`` once the data are ready (for the benchmark)."""


@dataclass
class LaunchOptions:
    """What the ``gui`` command asked for.

    Attributes
    ----------
    file : str or None
        CSV (or session ``.json``) to open; None opens the bundled default sample.
    sample : str or None
        Name of a bundled sample to open instead of a file.
    target : str or None
    cell : str or None
    epochs : int or None
    overrides : dict
        Other model/training settings by field name (``hidden``, ``lookback``, ``lr`` ...).
    train : bool
        Start training as soon as the data are ready.
    screenshot : str or None
        After training, save a PNG of the window here and exit.
    views_dir : str or None
        With ``screenshot``: also save one PNG per view in this folder.
    size : tuple of int or None
        Window size in pixels (width, height).
    """

    file: str | None = None
    sample: str | None = None
    target: str | None = None
    cell: str | None = None
    epochs: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    train: bool = False
    screenshot: str | None = None
    views_dir: str | None = None
    size: tuple[int, int] | None = None


HARMLESS_QT_MESSAGES = (
    # the offscreen platform plugin (pictures without a display) cannot pass size hints on
    "This plugin does not support propagateSizeHints()",
)
"""Qt messages hidden in the picture mode: notices of the off-screen platform, not problems."""

SIGINT_EXIT_CODE = 130
"""Exit status after Ctrl+C in the terminal (128 + SIGINT, as shells report it)."""


def quiet_harmless_qt_messages() -> Any:
    """Drop :data:`HARMLESS_QT_MESSAGES`; pass every other Qt message on as before.

    Returns the handler that was installed before (None for Qt's own).
    """
    previous = None

    def handler(mode: QtMsgType, context: Any, message: str) -> None:
        if any(m in message for m in HARMLESS_QT_MESSAGES):
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
    return previous


def close_on_sigint(window: Any, launcher: Launcher | None = None) -> QTimer:
    """Make Ctrl+C in the terminal close the window as File ▸ Quit does.

    Qt's event loop runs in C++, so Python runs a signal handler only when Python code runs:
    a timer wakes Python 4 times a second. The handler asks the window to close from the
    event loop (a running training stops, the settings are saved); a second Ctrl+C ends the
    program at once.

    Returns
    -------
    QTimer
        The wake-up timer (owned by ``window``).
    """

    def on_sigint(_signum: int, _frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl+C: stop now
        if launcher is not None:
            launcher.exit_code = SIGINT_EXIT_CODE
        QTimer.singleShot(0, window.close)

    signal.signal(signal.SIGINT, on_sigint)
    timer = QTimer(window)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)  # lets Python run the handler
    timer.start()
    return timer


def make_application(argv: list[str] | None = None) -> QApplication:
    """Return the QApplication (created once) with rnnviz's organisation and names."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("rnnviz")
    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def warm_up_training(modules: tuple[str, ...] = WARM_UP_MODULES) -> threading.Thread | None:
    """Import in the background what the first training run would import.

    The first run otherwise imports them on its worker thread after Start: ``torch._dynamo``
    alone (torch's optimizers import it on first use) took 1-2.5 s, holding Python's GIL
    for up to 230 ms at a time, so the window stuttered before the first batch. Started
    once the data are ready, while the user looks at them. Returns the thread, or None when
    there is nothing left to import.

    Parameters
    ----------
    modules : tuple of str
        What to import (:data:`WARM_UP_MODULES_PROCESS` when training runs in a separate
        process, which imports the rest itself).

    Returns
    -------
    threading.Thread or None
    """
    todo = [m for m in modules if m not in sys.modules]
    if not todo:
        return None

    def work() -> None:
        for name in todo:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the run imports it again and reports errors
                log.debug("warm-up import of %s failed", name, exc_info=True)

    thread = threading.Thread(target=work, name="rnnviz-warm-up", daemon=True)
    thread.start()
    return thread


class Launcher:
    """Finishes start-up from the event loop and runs the ``--train --screenshot`` mode.

    Parameters
    ----------
    window : MainWindow
    options : LaunchOptions
    """

    def __init__(self, window: Any, options: LaunchOptions) -> None:
        self.window = window
        self.options = options
        self.exit_code = 0
        self.errors: list[str] = []
        self.warm_up: threading.Thread | None = None

    def finish_startup(self) -> None:
        """Build the panels and views, import torch (the window is already visible), then
        open the data."""
        w = self.window
        o = self.options
        w.state_label.setText("Loading…")
        w.build_content()
        w.state_label.setText("Loading PyTorch…")
        QApplication.processEvents()
        import torch  # noqa: F401 - the slow import, done while the window shows

        self._apply_settings()
        w.data_ready.connect(self._on_data_ready)
        if o.file:
            w.open_path(o.file)
        elif o.sample:
            w.open_sample(o.sample)
        else:
            w.open_default_sample()

    def _apply_settings(self) -> None:
        o = self.options
        values = dict(o.overrides)
        if o.cell is not None:
            values["cell"] = o.cell
        if o.epochs is not None:
            values["epochs"] = o.epochs
        # for this launch only: they never become the user's remembered settings
        self.window.set_command_line_values(values)

    def _on_data_ready(self) -> None:
        w = self.window
        w.data_ready.disconnect(self._on_data_ready)
        o = self.options
        if o.target is not None:
            if w.data_panel.target_combo.findText(o.target) < 0:
                self._fail(
                    f"There is no numeric column {o.target!r} in the file; numeric columns: "
                    + ", ".join(w.data_panel.target_combo.itemText(i)
                                for i in range(w.data_panel.target_combo.count())) + ".")
                return
            w.data_panel.target_combo.setCurrentText(o.target)
            w.prepare_data()
        self._apply_settings()  # a sample's window settings were applied on opening
        w.flush_prepare()  # with the command line's window settings, before Start or a picture
        # the training process imports torch while the user looks at the data (a second
        # core does it; the window does not wait)
        w.session.prepare()
        if not o.train and not o.screenshot:
            self.warm_up = warm_up_training(
                WARM_UP_MODULES_PROCESS if w.session.in_process else WARM_UP_MODULES)
            app = QApplication.instance()
            if self.warm_up is not None and app is not None:
                # never let the interpreter end while the thread is inside an import
                app.aboutToQuit.connect(lambda: self.warm_up.join(10))
        if o.train:
            if w.splits is None:
                self._fail(w.problem or "The data cannot be cut into training windows.")
                return
            w.session.run_finished.connect(self._on_run_finished)
            w.start_training()
            if not w.session.is_active:
                self._fail("Training could not start; see the message above.")
        elif o.screenshot:
            QTimer.singleShot(50, self._save_pictures)

    def _on_run_finished(self, finished: Any) -> None:
        o = self.options
        if o.screenshot:
            QTimer.singleShot(50, self._save_pictures)

    def _save_pictures(self) -> None:
        w = self.window
        o = self.options
        w.session.render_views(all_views=True)
        QApplication.processEvents()
        try:
            shot = w.save_window_picture(o.screenshot)
            print(f"rnnviz: saved {shot}")
            if o.views_dir:
                for path in w.export_view_pictures(o.views_dir):
                    print(f"rnnviz: saved {path}")
        except Exception as exc:  # noqa: BLE001 - reported as the exit status
            self._fail(getattr(exc, "message", f"{type(exc).__name__}: {exc}"))
            return
        if w.session.render_errors:
            self.exit_code = 1
        w.close()
        QApplication.quit()

    def excepthook(self, kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        """In the screenshot mode an unexpected error ends the program (status 1)."""
        traceback.print_exception(kind, exc, tb)
        self.exit_code = 1
        self.errors.append(f"{kind.__name__}: {exc}")
        self.window.close()
        QApplication.quit()

    def _fail(self, message: str) -> None:
        print(f"rnnviz: {message}", file=sys.stderr)
        self.errors.append(message)
        self.exit_code = 2
        if self.options.screenshot:
            self.window.close()
            QApplication.quit()
        elif not isinstance(self.window.dialogs, _HeadlessDialogs):
            self.window.dialogs.error("Cannot do what the command line asked", message)


class _HeadlessDialogs:
    """Dialogs for the screenshot mode: print the message and stop with status 2."""

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher
        self.shown: list[tuple[str, str, str]] = []

    def _say(self, kind: str, title: str, message: str, details: str = "") -> None:
        self.shown.append((kind, title, message))
        if kind in ("error", "diverged"):
            self.launcher._fail(f"{title}: {message}")
        else:
            print(f"rnnviz: {title}: {message}", file=sys.stderr)

    def error(self, title: str, message: str, details: str = "") -> None:
        self._say("error", title, message, details)

    def warning(self, title: str, message: str) -> None:
        self._say("warning", title, message)

    def info(self, title: str, message: str) -> None:
        self._say("info", title, message)

    def diverged(self, message: str) -> None:
        self._say("diverged", "Training diverged", message)

    def close_all(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        def nothing(*_a: Any, **_k: Any) -> None:
            return None

        return nothing


def main(options: LaunchOptions | None = None) -> int:
    """Open the window and run the event loop; return the exit status.

    Parameters
    ----------
    options : LaunchOptions, optional
        What to open and whether to train / take screenshots.
    """
    t0 = time.perf_counter()
    options = options or LaunchOptions()
    if options.screenshot:
        quiet_harmless_qt_messages()
    app = make_application()
    from rnnviz.gui.main_window import MainWindow

    shooting = bool(options.screenshot)
    # pictures are made on the default layout and never change what the user's window remembers
    window = MainWindow(restore=not shooting, deferred=True)
    window.remember_settings = not shooting
    if options.size is not None:
        window.resize(*options.size)
    launcher = Launcher(window, options)
    if options.screenshot:
        window.dialogs = _HeadlessDialogs(launcher)  # type: ignore[assignment]
        sys.excepthook = launcher.excepthook
    close_on_sigint(window, launcher)
    window.show()
    app.processEvents()
    if os.environ.get(STARTUP_MARKER_ENV):
        print(f"rnnviz: window visible after {time.perf_counter() - t0:.3f} s", flush=True)
    if os.environ.get(STARTUP_MARKER_ENV):
        def ready() -> None:
            print(f"rnnviz: ready to train after {time.perf_counter() - t0:.3f} s", flush=True)
            window.data_ready.disconnect(ready)

        window.data_ready.connect(ready)
    QTimer.singleShot(0, launcher.finish_startup)
    code = app.exec()
    return launcher.exit_code or int(code)
