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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

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
    """Make Ctrl+C in the terminal (and SIGTERM) close the window as File ▸ Quit does.

    Qt's event loop runs in C++, so Python runs a signal handler only when Python code runs:
    a timer wakes Python 4 times a second. The handler asks the window to close from the
    event loop (a running training stops, the settings are saved); a second Ctrl+C ends the
    program at once.

    Returns
    -------
    QTimer
        The wake-up timer (owned by ``window``).
    """

    def on_signal(signum: int, _frame: Any) -> None:
        signal.signal(signum, signal.SIG_DFL)  # a second one: stop now
        if launcher is not None:
            launcher.exit_code = 128 + signum  # 130 for Ctrl+C, 143 for SIGTERM
        QTimer.singleShot(0, window.close)

    signal.signal(signal.SIGINT, on_signal)
    # `kill` (a desktop session ending) closes the window the same way: the run stops, the
    # training process leaves quietly and the settings are saved
    signal.signal(signal.SIGTERM, on_signal)
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


STEP_GAP_MS = 10
"""Pause between start-up steps, so the window paints and takes input between them."""

STARTUP_IMPORTS = ("pandas", "pyqtgraph", "rnnviz.core.csvload", "rnnviz.core.series",
                   "rnnviz.gui.panels")
"""Imported on a background thread before the window builds its content (~1.1 s together)."""


def import_in_background(modules: tuple[str, ...]) -> threading.Thread | None:
    """Import ``modules`` on a daemon thread (errors are left for the real import to
    report); returns the thread, or None when all are imported already."""
    todo = [m for m in modules if m not in sys.modules]
    if not todo:
        return None

    def work() -> None:
        for name in todo:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the import in use raises it again, visibly
                log.debug("background import of %s failed", name, exc_info=True)

    thread = threading.Thread(target=work, name="rnnviz-imports", daemon=True)
    thread.start()
    return thread


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
    return import_in_background(modules)


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
        self.importer: threading.Thread | None = None

    def finish_startup(self) -> None:
        """Import, build the panels and views (the window is already visible), then open
        the data -- in steps, with the event loop running between them.

        Done in one go, this held the window still for 2.2-2.5 s: pandas and pyqtgraph are
        imported on a background thread first (:data:`STARTUP_IMPORTS`; the window keeps
        painting and taking input meanwhile), then the content is built, then the data are
        opened. torch is not imported here at all: opening data does not need it, training
        runs in its own process, and the window's copy of the model (for Save Model) is
        imported for on a background thread once the data are ready
        (:func:`warm_up_training`).
        """
        self.window.state_label.setText("Loading…")
        self.importer = import_in_background(STARTUP_IMPORTS)
        self._after(self.importer, self._build)

    def _after(self, thread: threading.Thread | None, then: Callable[[], None]) -> None:
        """Run ``then`` from the event loop once ``thread`` has ended."""
        if thread is None or not thread.is_alive():
            QTimer.singleShot(STEP_GAP_MS, then)
            return
        QTimer.singleShot(20, lambda: self._after(thread, then))

    def _build(self) -> None:
        self.window.build_content()
        QTimer.singleShot(STEP_GAP_MS, self._open)

    def _open(self) -> None:
        w = self.window
        o = self.options
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
            # after the views are ready: the import holds the window up to ~0.3 s at a time,
            # and on top of their building it made one long stall
            w.views_prebuilt.connect(self._warm_up)
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

    def _warm_up(self) -> None:
        """Import what the window needs for a run in the background (see
        :func:`warm_up_training`)."""
        w = self.window
        w.views_prebuilt.disconnect(self._warm_up)
        self.warm_up = warm_up_training(
            WARM_UP_MODULES_PROCESS if w.session.in_process else WARM_UP_MODULES)
        app = QApplication.instance()
        if self.warm_up is not None and app is not None:
            # never let the interpreter end while the thread is inside an import
            app.aboutToQuit.connect(lambda: self.warm_up.join(10))

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


STALL_WATCH_S = 6.0
"""With RNNVIZ_STARTUP_MARKER set, the longest stall of the event loop in this many seconds
after the window shows is printed (start-up work and background imports included)."""


def _report_startup_stalls(window: Any, t0: float) -> None:
    """Print ``rnnviz: longest stall in the first N s: X ms`` (for the benchmark)."""
    ticker = QTimer(window)
    ticker.setInterval(10)
    state = {"last": time.perf_counter(), "worst": 0.0}

    def tick() -> None:
        now = time.perf_counter()
        state["worst"] = max(state["worst"], now - state["last"] - 0.010)
        state["last"] = now
        if now - t0 >= STALL_WATCH_S:
            ticker.stop()
            print(f"rnnviz: longest stall in the first {STALL_WATCH_S:.0f} s: "
                  f"{1000 * state['worst']:.0f} ms", flush=True)

    ticker.timeout.connect(tick)
    ticker.start()


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
    elif shooting:  # pictures have the documented size, whatever the screen
        from rnnviz.gui.main_window import DEFAULT_SIZE

        window.resize(*DEFAULT_SIZE)
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
        _report_startup_stalls(window, t0)
    QTimer.singleShot(0, launcher.finish_startup)
    global event_loop_ran
    event_loop_ran = True
    code = app.exec()
    return launcher.exit_code or int(code)


event_loop_ran = False
"""True once :func:`main` ran the window's event loop in this process (see
:func:`end_process`)."""


def end_process(code: int) -> NoReturn:
    """End the process after the window has closed, without Python's finalization.

    At finalization PySide deletes every Qt object that Python still owns, in no useful
    order: plot items that were taken out of their pages (rows a GRU does not need, lines
    kept for the next run) then called back into Python from their destructors, and the
    process crashed with a segmentation fault in about one exit in seven (measured with
    ``rnnviz gui empty.csv --screenshot``: 6 of 40). pyqtgraph's own ``exit()`` makes the
    same choice. The window has saved its settings (synced) and stopped its training by
    now; the training process is told to leave and the output is flushed first.
    """
    try:
        trainproc = sys.modules.get("rnnviz.core.trainproc")
        if trainproc is not None:
            trainproc.close_shared()
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
