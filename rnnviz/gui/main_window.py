"""The main window: menus, toolbar, docks, status bar; wires the panels to the session.

Layout (every piece is a dock: drag, float, tab or close it; View ▸ Reset layout brings the
default back)::

    +-----------------+---------------------+---------------------+
    | Data | Model    |  Loss               |  Forecast           |
    | (tabs)          +---------------------+---------------------+
    |                 |  Gates | States     |  Gradients | Influence |
    +-----------------+---------------------+---------------------+
    | state · epoch · batch · loss · batches/s · [progress, ETA]     |

Nothing here trains or draws by itself: the :class:`~rnnviz.gui.session.TrainingSession`
runs the worker and redraws the visible views at 15 Hz; the panels edit settings; this
class turns user actions into calls on them and shows what happened.

Heavy modules (pandas through the CSV loader, torch through the engine) are imported on
first use, so the window can appear before they are loaded (see :mod:`rnnviz.gui.app`).
"""

from __future__ import annotations

import importlib
import math
import re
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QTabBar,
    QWidget,
)

from rnnviz.core.config import DataConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ConfigError, RnnvizError
from rnnviz.gui import session as S
from rnnviz.gui.dialogs import Dialogs
from rnnviz.gui.session import TrainingSession
from rnnviz.gui.settings import AppSettings
from rnnviz.gui.window_actions import WindowActions
from rnnviz.gui.window_files import WindowFiles

VIEW_ORDER = ("loss", "forecast", "gates", "states", "gradients", "influence")
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
DEFAULT_SIZE = (1600, 1000)
"""The window's size on a first start (and of ``rnnviz gui --screenshot`` pictures), shrunk
to fit a smaller screen (see :func:`default_size`)."""
FRAME_ROOM = (16, 48)
"""Pixels of the screen left for the window manager's frame and title bar."""
FORECAST_MIN_PX = 400
"""Height the Forecast dock keeps in the default layout of a short window (up to 60% of it)."""
PROGRESS_INTERVAL_S = 0.25
"""While training runs, the progress bar changes at most this often (it repaints at once)."""


def view_classes() -> list[tuple[str, type]]:
    """The view classes in window order, as ``(key, class)``.

    Uses the ``VIEWS`` registry of :mod:`rnnviz.gui.views` (a mapping ``key -> class`` or a
    sequence of classes); while it is missing, imports ``rnnviz.gui.views.<key>_view``.
    """
    registry: Any = None
    try:
        registry = importlib.import_module("rnnviz.gui.views").__dict__.get("VIEWS")
    except ImportError:
        registry = None
    out: list[tuple[str, type]] = []
    if isinstance(registry, Mapping):
        out = [(str(k), registry[k]) for k in registry]
    elif registry:
        for cls in registry:
            key = cls.__name__.removesuffix("View").lower()
            out.append((key, cls))
    else:
        for key in VIEW_ORDER:
            try:
                mod = importlib.import_module(f"rnnviz.gui.views.{key}_view")
            except ImportError:
                continue
            cls = getattr(mod, f"{key.capitalize()}View", None)
            if cls is not None:
                out.append((key, cls))
    rank = {k: i for i, k in enumerate(VIEW_ORDER)}
    out.sort(key=lambda kv: rank.get(kv[0], len(rank)))
    return out


def view_keys() -> list[str]:
    """The view names in window order, known without importing the views (or pyqtgraph)."""
    try:
        registry = importlib.import_module("rnnviz.gui.views").__dict__.get("VIEWS")
    except ImportError:
        registry = None
    keys = [str(k) for k in registry] if isinstance(registry, Mapping) else list(VIEW_ORDER)
    rank = {k: i for i, k in enumerate(VIEW_ORDER)}
    return sorted(keys, key=lambda k: rank.get(k, len(rank)))


def _bundled_sample(path: Path) -> tuple[str | None, DataConfig | None]:
    """The sample name and settings when ``path`` is one of the bundled datasets (the same
    lookup as ``rnnviz train``: :func:`rnnviz.core.samples.sample_for_path`)."""
    try:
        from rnnviz.core.samples import sample_for_path

        s = sample_for_path(path)
        if s is not None:
            return s.name, s.data_config()
    except Exception:  # noqa: BLE001 - a missing catalogue only loses the suggestion
        pass
    return None, None


def first_sentence(text: str) -> str:
    """The first sentence of a message without its remarks in brackets (for the status bar;
    the panel shows all of it)."""
    head, dot, _rest = text.partition(". ")
    while True:  # innermost brackets first: "((lookback-1)*step + ... = 25)"
        shorter = re.sub(r"\s*\([^()]*\)", "", head)
        if shorter == head:
            break
        head = shorter
    return head.rstrip(".") + "." if dot or text.endswith(".") else head


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def _fmt_seconds(s: float) -> str:
    if not math.isfinite(s) or s < 0:
        return "–"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


PREBUILD_GAP_MS = 10
"""Pause between two views' prebuilds (a zero-time chain kept timers and paints waiting)."""

def default_size(available: QRect | None) -> tuple[int, int]:
    """:data:`DEFAULT_SIZE`, shrunk to fit ``available`` (a screen's available geometry)
    with room for the window's frame: on a 1280x800 laptop a 1600x1000 window ran off the
    screen, its status bar and right-hand views out of reach."""
    if available is None or available.isEmpty():
        return DEFAULT_SIZE
    return (min(DEFAULT_SIZE[0], max(640, available.width() - FRAME_ROOM[0])),
            min(DEFAULT_SIZE[1], max(480, available.height() - FRAME_ROOM[1])))


class MainWindow(WindowActions, WindowFiles, QMainWindow):
    """The rnnviz window.

    Parameters
    ----------
    settings : AppSettings, optional
        Remembered values (defaults to the per-user INI file, or ``RNNVIZ_SETTINGS_DIR``).
    session : TrainingSession, optional
        Injected by tests (e.g. with a stand-in training function).
    restore : bool
        Restore the saved geometry, layout and last settings.

    Signals
    -------
    data_ready()
        A table was opened and prepared (windows exist, or a problem is shown).
    """

    data_ready = Signal()
    views_prebuilt = Signal()  # the views got ready for a run after the data were opened

    def __init__(self, settings: AppSettings | None = None, *,
                 session: TrainingSession | None = None, restore: bool = True,
                 deferred: bool = False) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("rnnviz")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.settings = settings if settings is not None else AppSettings()
        self.dialogs = Dialogs(self)
        self.session = session if session is not None else TrainingSession(
            self, torch_threads=self.settings.torch_threads())
        if self.session.parent() is None:
            self.session.setParent(self)
        self.splits: Any = None
        self.series: Any = None
        self.data_config: DataConfig | None = None
        self.problem: str | None = None
        self.sample_name: str | None = None
        self._pending_config: DataConfig | None = None
        self._after_open: list[Callable[[], None]] = []
        self._loaded_model_dir: str | None = None
        self._loaded_names: tuple[str, ...] | None = None  # the loaded model's input columns
        self.remember_settings = True
        # settings given on the command line: for this launch only (see set_command_line_values)
        self.command_line_values: dict[str, Any] = {}
        self._remembered_before: dict[str, Any] | None = None
        self._progress_shown_at = 0.0  # time.monotonic() of the last progress-bar change
        self.content_ready = False
        self._restore_settings = restore
        self._sized_once = False
        self._restored_state = False
        self.data_panel: Any = None
        self.model_panel: Any = None
        self.views: dict[str, QWidget] = {}
        self._prepared_cell = "lstm"  # the cell the Gates and States pages are fitted to

        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

        self._prepare_timer = QTimer(self)
        self._prepare_timer.setSingleShot(True)
        self._prepare_timer.setInterval(200)
        self._prepare_timer.timeout.connect(self.prepare_data)

        self._connect()
        screen = self.screen()
        self.resize(*default_size(screen.availableGeometry() if screen is not None else None))
        self._default_layout()
        self._default_state = self.saveState()
        if restore:
            self._restore_layout()
        self._update_actions()
        if not deferred:
            self.build_content()

    def build_content(self) -> None:
        """Create the panels and the views (this imports pyqtgraph) and wire them up.

        The constructor calls it unless ``deferred=True``; :func:`rnnviz.gui.app.main` shows
        the bare window first and calls it from the event loop, so a window appears at once.
        """
        if self.content_ready:
            return
        from rnnviz.gui.panels import DataPanel, ModelPanel

        self.data_panel = DataPanel(self)
        self.model_panel = ModelPanel(self)
        self.docks["data"].setWidget(self.data_panel)
        self.docks["model"].setWidget(self.model_panel)
        for key, cls in view_classes():
            view = cls(self)
            self.views[key] = view
            dock = self.docks.get(key)
            if dock is None:  # a view the default layout does not know: tab it with the first
                dock = self._dock(key, getattr(view, "title", key.capitalize()))
                first = next(iter(self.views))
                self.tabifyDockWidget(self.docks[first], dock)
                self.menu_view.insertAction(self.act_reset_layout, dock.toggleViewAction())
            dock.setWindowTitle(getattr(view, "title", key.capitalize()))
            dock.setWidget(view)
        self.session.set_views(list(self.views.values()))
        self._build_lr_box()
        self._fill_export_menu()
        self._connect_content()
        self.content_ready = True
        if self._restore_settings:
            self._restore_run_settings()
        self._update_actions()

    # ================================================================== building
    def _dock(self, key: str, title: str) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(f"dock_{key}")
        placeholder = QLabel("Loading…", d)
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setStyleSheet("color: #808080;")
        d.setWidget(placeholder)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                      | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                      | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        d.visibilityChanged.connect(lambda visible, k=key: self._on_dock_visibility_changed(k, visible))
        self.docks[key] = d
        return d

    def _build_docks(self) -> None:
        self._dock("data", "Data")
        self._dock("model", "Model and training")
        for key in view_keys():
            self._dock(key, key.capitalize())

    def _default_layout(self) -> None:
        """Put every dock in its default place and size."""
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for d in self.docks.values():
            self.removeDockWidget(d)
        self.addDockWidget(left, self.docks["data"])
        self.addDockWidget(left, self.docks["model"])
        self.tabifyDockWidget(self.docks["data"], self.docks["model"])
        v = self.docks
        keys = [k for k in v if k not in ("data", "model")]
        if keys:
            self.addDockWidget(right, v[keys[0]])
        grid = {"forecast": ("loss", Qt.Orientation.Horizontal),
                "gates": ("loss", Qt.Orientation.Vertical),
                "gradients": ("forecast", Qt.Orientation.Vertical)}
        tabs = {"states": "gates", "influence": "gradients"}
        placed = {keys[0]} if keys else set()
        for k in keys[1:]:
            if k in grid and grid[k][0] in placed:
                self.splitDockWidget(v[grid[k][0]], v[k], grid[k][1])
            elif k in tabs and tabs[k] in placed:
                self.tabifyDockWidget(v[tabs[k]], v[k])
            else:
                self.tabifyDockWidget(v[keys[0]], v[k])
            placed.add(k)
        for d in self.docks.values():
            d.show()
        self.docks["data"].raise_()
        for k in ("gates", "gradients"):
            if k in v:
                v[k].raise_()
        self._size_docks()

    def _size_docks(self) -> None:
        w = max(self.width(), 800)
        h = max(self.height(), 600)
        left = max(370, min(430, int(w * 0.27)))
        self.resizeDocks([self.docks["data"]], [left], Qt.Orientation.Horizontal)
        rest = w - left
        # two columns (loss over gates, forecast over gradients); the forecast view holds a
        # plot and a metrics table, so its column is the wider one
        if "loss" in self.docks and "forecast" in self.docks:
            first = int(rest * 0.44)
            self.resizeDocks([self.docks["loss"], self.docks["forecast"]], [first, rest - first],
                             Qt.Orientation.Horizontal)
        # the lower row (gates: one heatmap per gate) needs the height more than the upper;
        # but the forecast view holds a plot over a table of eight rows (about 160 px), so in
        # a short window its dock keeps FORECAST_MIN_PX (at 1264x752 its plot was a 30 px strip)
        top = int(h * 0.43)
        tops = {"loss": top, "forecast": max(top, min(int(h * 0.6), FORECAST_MIN_PX))}
        for a, b in (("loss", "gates"), ("forecast", "gradients")):
            if a in self.docks and b in self.docks:
                self.resizeDocks([self.docks[a], self.docks[b]], [tops[a], h - tops[a]],
                                 Qt.Orientation.Vertical)

    def _connect(self) -> None:
        s = self.session
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(1000)
        self._status_timer.timeout.connect(self._update_status)
        s.state_changed.connect(self._on_session_state_changed)
        s.run_started.connect(self._on_session_run_started)
        s.diverged.connect(self._on_session_diverged)
        s.run_finished.connect(self._on_session_run_finished)
        s.failed.connect(self._on_session_failed)
        s.redrawn.connect(self._update_status)
        s.table_loaded.connect(self._on_session_table_loaded)
        s.table_failed.connect(self._on_session_table_failed)
        s.load_progressed.connect(self._on_session_load_progressed)

    def _connect_content(self) -> None:
        self.data_panel.changed.connect(self._schedule_prepare)
        self.model_panel.window_changed.connect(self._schedule_prepare)
        self.model_panel.lr_changed.connect(self._on_model_panel_lr_changed)
        self.model_panel.changed.connect(self._sync_lr_spin)
        self.model_panel.changed.connect(self._on_model_panel_changed)
        self.lr_spin.valueChanged.connect(self._on_lr_spin_value_changed)

    # ================================================================== settings
    def _restore_layout(self) -> None:
        geo = self.settings.window_geometry()
        if geo is not None:
            self.restoreGeometry(geo)
        state = self.settings.window_state()
        if state is None:
            return
        # Qt retires the tab bars of a replaced layout only while the window is visible: the
        # default layout's bars, made before the window shows, stayed and showed with it (one
        # over the File and Train menus from the second launch on). Hidden explicitly, they
        # stay hidden; the restored layout makes its own.
        old_bars = self._dock_tab_bars()
        for bar in old_bars:
            bar.hide()
        self._restored_state = bool(self.restoreState(state))
        if not self._restored_state:
            for bar in old_bars:
                bar.show()

    def _dock_tab_bars(self) -> list[QTabBar]:
        """The tab bars of tabbed docks (children of the window itself)."""
        return self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)

    def _restore_run_settings(self) -> None:
        last = self.settings.last_run_config()
        if last:
            try:
                run = RunConfig.from_dict(last)
            except ConfigError:
                pass
            else:
                self.model_panel.set_config(run)

    def save_settings(self) -> None:
        """Remember geometry, layout and the current model settings."""
        self.settings.set_window(self.saveGeometry(), self.saveState())
        if not self.content_ready:
            self.settings.sync()
            return
        try:
            run = self.model_panel.run_config(self._current_data_config())
        except (ConfigError, RnnvizError):
            run = None
        if run is not None:
            self.settings.set_last_run_config(self._run_to_remember(run))
        self.settings.sync()

    def set_command_line_values(self, values: Mapping[str, Any]) -> None:
        """Show settings given on the command line (``rnnviz gui --epochs 50``) for this launch.

        They are never remembered as the user's settings: while the panel still shows a
        command-line value, the value remembered before this launch (or the default) is
        saved in its place; a value the user changes in the panel is remembered as usual.

        Parameters
        ----------
        values : mapping
            Model panel field name -> value (``epochs``, ``cell``, ``hidden``, ``lookback`` ...).
        """
        if self._remembered_before is None:
            self._remembered_before = (self.settings.last_run_config()
                                       or RunConfig(train=TrainConfig(threads=1)).to_dict())
        self.command_line_values.update(values)
        for name, value in values.items():
            self.model_panel.set_value(name, value)

    def _run_to_remember(self, run: RunConfig) -> dict[str, Any]:
        """``run.to_dict()`` without the command line's one-off values."""
        out = run.to_dict()
        before = self._remembered_before or {}
        for name, value in self.command_line_values.items():
            for group, fields in out.items():
                old = before.get(group, {})
                if name in fields and fields[name] == value and name in old:
                    fields[name] = old[name]
        return out

    def reset_layout(self) -> None:
        """View ▸ Reset layout: every dock back in its default place and size."""
        self.settings.clear_window()
        old_bars = self._dock_tab_bars()  # the replaced layout's bars stayed, doubled
        for bar in old_bars:
            bar.hide()
        if not self.restoreState(self._default_state):
            for bar in old_bars:
                bar.show()
            self._default_layout()
        for d in self.docks.values():
            d.setFloating(False)
            d.show()
        self._size_docks()

    # ================================================================== opening data
    def ask_open_csv(self) -> None:
        """File ▸ Open CSV…"""
        path = self.dialogs.ask_open_file("Open CSV", self.settings.last_directory(), CSV_FILTER)
        if path:
            self.open_csv(path)

    def open_path(self, path: str | Path) -> None:
        """Open a CSV or a session file (recent files, drag and drop)."""
        p = Path(path)
        if p.suffix.lower() == ".json":
            self.open_session(p)
        else:
            self.open_csv(p)

    def open_csv(self, path: str | Path, *, config: DataConfig | None = None,
                 sample: str | None = None) -> None:
        """Read a CSV file (in the background when big) and show it.

        Parameters
        ----------
        path : str or Path
        config : DataConfig, optional
            Data settings to apply once it is read (a sample's or a session's).
        sample : str, optional
            Name of the bundled sample the file is.
        """
        if self.session.is_active:
            self.dialogs.warning("Training is running",
                                 "Stop training before opening another file.")
            return
        p = Path(path)
        if not p.is_file():
            self.settings.remove_recent_file(p)
            self.dialogs.error(
                "File not found",
                f"The file {p} does not exist (moved, renamed or deleted). Choose it again "
                "with File ▸ Open CSV….")
            return
        if config is None and sample is None:
            sample, config = _bundled_sample(p)  # a bundled file gets its settings that work
        self._pending_config = config
        self._pending_sample = sample
        self.state_label.setText(f"Reading {p.name}…")
        self.session.load_table(p)

    def open_sample(self, name: str) -> None:
        """File ▸ Open Sample ▸ NAME: a bundled real dataset with settings that work."""
        from rnnviz.core.samples import get_sample

        s = get_sample(name)
        self.open_csv(s.path(), config=s.data_config(), sample=name)

    def open_default_sample(self) -> None:
        """Open the bundled default dataset (what ``rnnviz`` alone shows)."""
        from rnnviz.core.samples import DEFAULT_SAMPLE

        self.open_sample(DEFAULT_SAMPLE)

    def _on_session_table_loaded(self, path: str, table: Any) -> None:
        cfg = self._pending_config
        self._pending_config = None
        self.sample_name = getattr(self, "_pending_sample", None)
        self.session.reset()
        self.data_panel.set_table(path, table, config=cfg)
        if cfg is not None:
            self.model_panel.set_value("lookback", cfg.lookback)
            self.model_panel.set_value("horizon", cfg.horizon)
            self.model_panel.set_value("step", cfg.step)
            self.model_panel.set_value("delay", cfg.delay)
            self.model_panel.set_value("stride", cfg.stride)
            self.model_panel.set_value("season", cfg.season)
        if self.sample_name is None:
            self.settings.add_recent_file(path)
        self.settings.set_last_directory(str(Path(path).parent))
        self.setWindowTitle(f"{Path(path).name} — rnnviz")
        self._set_progress(0, 100, "%p%")
        self.prepare_data()
        self.docks["data"].raise_()
        callbacks, self._after_open = self._after_open, []
        for cb in callbacks:
            cb()

    def _on_session_table_failed(self, path: str, exc: object) -> None:
        self._pending_config = None
        self._after_open = []
        self.state_label.setText("Ready")
        self._set_progress(0, 100, "%p%")
        name = Path(path).name
        if isinstance(exc, RnnvizError):
            self.dialogs.error(f"Cannot open {name}", exc.message)
        else:
            details = "".join(traceback.format_exception(exc)) if isinstance(exc, BaseException) else str(exc)
            self.dialogs.error(
                f"Cannot open {name}",
                f"rnnviz could not read {name} because of an unexpected error "
                f"({type(exc).__name__}: {exc}). This is a bug in rnnviz; please report it "
                "with the details.", details)

    def _on_session_load_progressed(self, fraction: float) -> None:
        self._set_progress(int(fraction * 100), 100, "reading %p%")

    # ================================================================== preparing data
    def _current_data_config(self) -> DataConfig:
        fields = self.data_panel.data_fields()
        fields.update(self.model_panel.window_fields())
        return DataConfig(**fields)

    def _schedule_prepare(self) -> None:
        if self.data_panel.table is not None and not self.session.is_active:
            self._prepare_timer.start()
        if not self.session.is_active:
            w = self.model_panel.window_fields()
            self.data_panel.set_window(w["lookback"], w["horizon"], w["step"], w["delay"])

    def prepare_data(self) -> bool:
        """Clean, split and cut the open table into windows with the current settings.

        Returns
        -------
        bool
            True when training windows exist; otherwise the problem is shown in the data
            panel and kept in :attr:`problem`.
        """
        self._prepare_timer.stop()
        table = self.data_panel.table
        if table is None:
            return False
        if self.session.is_active:  # the running worker keeps the windows it started with
            return self.splits is not None
        from rnnviz.core.series import build_windows, prepare_series

        self.splits = None
        self.problem = None
        try:
            cfg = self._current_data_config()
        except ConfigError as exc:
            self.problem = exc.message
            self.data_panel.show_problem(exc.message)
            return False
        src, tcol = self._table_source(cfg)
        series = None
        try:
            series = prepare_series(src, cfg, time_column=tcol)
            self.splits = build_windows(series, cfg)
        except RnnvizError as exc:
            self.problem = exc.message
            if series is None:
                try:  # still draw the data, with the smallest possible window
                    small = cfg.replace(lookback=1, horizon=1, step=1, delay=0)
                    series = prepare_series(src, small, time_column=tcol)
                except RnnvizError:
                    series = None
        self.series = series
        self.data_config = cfg
        self.data_panel.set_series(series, self.problem)
        self.data_panel.set_window(cfg.lookback, cfg.horizon, cfg.step, cfg.delay)
        fv = self.views.get("forecast")
        if fv is not None and hasattr(fv, "set_series"):
            fv.set_series(series)
        if self.problem is None:
            n = {k: w.n for k, w in self.splits.parts().items()}
            self.state_label.setText(
                f"Ready: {n['train']} training, {n['val']} validation, {n['test']} test windows. "
                "Press Start (Space).")
        else:
            self.state_label.setText(f"Cannot train yet: {first_sentence(self.problem)} "
                                     "See the Data panel; Start waits until it is fixed.")
        self._update_actions()
        if self.problem is None:
            # views with costly plot items create them now, not while the first run trains;
            # one view per turn of the event loop (all at once held the window ~0.4 s)
            self._prebuild_queue = [v for v in self.views.values() if hasattr(v, "prebuild")]
            self._prepared_cell = self.model_panel.value("cell")
            QTimer.singleShot(PREBUILD_GAP_MS, self, self._prebuild_next)
        self.data_ready.emit()
        return self.problem is None

    def _prebuild_next(self) -> None:
        """Prebuild the next queued view, then let the event loop run before the one after."""
        queue = getattr(self, "_prebuild_queue", [])
        if not queue:
            return
        view = queue.pop(0)
        view.prebuild()
        if hasattr(view, "prepare_cell"):  # the page of the chosen cell, not only LSTM's
            view.prepare_cell(self._prepared_cell)
        if queue:
            QTimer.singleShot(PREBUILD_GAP_MS, self, self._prebuild_next)
        else:
            self.views_prebuilt.emit()

    def prebuild_views(self) -> None:
        """Prebuild every queued view now (before a picture or a run that must not wait)."""
        while getattr(self, "_prebuild_queue", []):
            self._prebuild_next()

    def flush_prepare(self) -> bool:
        """Prepare the data now when a settings change scheduled it (returns whether it did).

        Settings changes prepare the data 200 ms later (typing a number changes it several
        times); the command line's settings and pictures need the result at once.
        """
        if not self._prepare_timer.isActive():
            return False
        self._prepare_timer.stop()
        self.prepare_data()
        return True

    def _table_source(self, cfg: DataConfig) -> tuple[Any, str | None]:
        """What to hand prepare_series: the table, or its frame without a time column."""
        table = self.data_panel.table
        tcol = cfg.time_column
        if tcol is None and getattr(table, "time_column", None) is not None:
            return table.frame.drop(columns=[table.time_column]), None
        return table, tcol

    # ================================================================== training
    def start_training(self) -> None:
        """Train ▸ Start (Space)."""
        if self.session.is_active:
            return
        run = self._run_for_start()
        if run is None:
            return
        self.session.start(self.splits, run, model=self._continuation_model(run))

    def step_training(self) -> None:
        """Train ▸ Step one batch (starts a paused run when none is active)."""
        if self.session.is_active:
            self.session.step()
            return
        run = self._run_for_start()
        if run is None:
            return
        self.session.start(self.splits, run, model=self._continuation_model(run), paused=True)
        self.session.step()

    def _run_for_start(self) -> RunConfig | None:
        if self.data_panel.table is None:
            self.dialogs.info("No data", "Open a CSV file or a sample first (File menu).")
            return None
        self.session.torch_threads = int(self.model_panel.value("threads") or 1)
        if not self.prepare_data():
            self.dialogs.error("Cannot train yet", self.problem or "No training windows.")
            return None
        self.prebuild_views()  # the views get ready before the run, not during it
        try:
            run = self.model_panel.run_config(self.data_config)
        except ConfigError as exc:
            self.dialogs.error("A setting is out of range", exc.message)
            return None
        self.settings.set_last_run_config(self._run_to_remember(run))
        self.settings.set_torch_threads(self.session.torch_threads)
        return run

    def _continuation_model(self, run: RunConfig) -> Any:
        model = self.session.model_for_continuation()
        if model is None:
            return None
        names = getattr(self, "_loaded_names", None)
        fits = (getattr(model, "cfg", None) == run.model
                and (names is None or tuple(names) == tuple(self.splits.feature_names))
                and getattr(model, "n_features", None) == self.splits.n_features
                and getattr(model, "n_targets", None) == self.splits.n_targets
                and getattr(model, "horizon", None) == self.splits.horizon)
        if not fits:
            self.session.set_loaded_model(None)
            self.statusBar().showMessage(
                "The loaded model does not fit the current settings or columns: training a new "
                "one.", 8000)
            return None
        return model

    def reset_training(self) -> None:
        """Train ▸ Reset: forget the run and the model."""
        self.session.reset()
        self._loaded_model_dir = None
        self._update_status()

    def _on_model_panel_changed(self) -> None:
        # a new cell type: fit the Gates and States pages to it before Start (one view per
        # event-loop turn, like the prebuild), so the run's first probe does not build them
        cell = self.model_panel.value("cell")
        if cell == self._prepared_cell or not self.views:
            return
        self._prepared_cell = cell
        queue = [v for v in self.views.values() if hasattr(v, "prepare_cell")]

        def next_view() -> None:
            if queue and cell == self._prepared_cell:
                queue.pop(0).prepare_cell(cell)
                QTimer.singleShot(PREBUILD_GAP_MS, self, next_view)

        QTimer.singleShot(PREBUILD_GAP_MS, self, next_view)

    def _sync_lr_spin(self) -> None:
        lr = self.model_panel.lr
        if not math.isclose(self.lr_spin.value(), lr, rel_tol=1e-9):
            self.lr_spin.blockSignals(True)
            self.lr_spin.setValue(lr)
            self.lr_spin.blockSignals(False)

    def _on_lr_spin_value_changed(self, lr: float) -> None:
        if not math.isclose(self.model_panel.lr, lr, rel_tol=1e-9):
            self.model_panel.set_value("lr", lr)  # emits lr_changed -> the session

    def _on_model_panel_lr_changed(self, lr: float) -> None:
        self._sync_lr_spin()
        if self.session.is_active:
            self.session.set_lr(lr)
            self.statusBar().showMessage(f"Learning rate set to {lr:g} from the next batch.", 4000)

    # ------------------------------------------------------------------ session slots
    def _on_session_state_changed(self, state: str) -> None:
        training = state in (S.RUNNING, S.PAUSED, S.STOPPING)
        if self.content_ready:
            self.model_panel.set_training(training)
            self.data_panel.set_training(training)
        labels = {S.IDLE: "Ready", S.RUNNING: "Training…", S.PAUSED: "Paused",
                  S.STOPPING: "Stopping…", S.FINISHED: "Finished"}
        self.state_label.setText(labels.get(state, state))
        self._update_actions()
        self._update_status()
        # between epochs (validation, forecast) no batch arrives and no frame is drawn: the
        # status bar is refreshed once a second meanwhile, to say so
        if state == S.RUNNING:
            self._status_timer.start()
        else:
            self._status_timer.stop()

    def _on_session_run_started(self, started: Any) -> None:
        note = getattr(started, "note", "")
        self.state_label.setText(
            f"Training on {started.n_train} windows, {started.batches_per_epoch} batches per "
            f"epoch ({started.device})…")
        self.state_label.setToolTip(note)
        self.progress.setFormat("%p%")

    def _on_session_diverged(self, event: Any) -> None:
        self.dialogs.diverged(event.message)

    def _on_session_failed(self, title: str, message: str, details: str) -> None:
        self.dialogs.error(title, message, details)

    def _on_session_run_finished(self, finished: Any) -> None:
        if finished is not None:
            reasons = {"completed": "finished", "stopped": "stopped",
                       "early_stopping": "stopped early (validation stopped improving)",
                       "diverged": "stopped: it diverged"}
            best = (f"; best validation loss {finished.best_val_loss:.4g} at epoch "
                    f"{finished.best_epoch}" if finished.best_epoch else "")
            d = self.session.history.diverged
            if finished.reason == "diverged" and d is not None:
                # the batch that diverged was not trained: count the ones the views show
                self.state_label.setText(
                    f"Training diverged at batch {d.step} (epoch {d.epoch}): "
                    f"{self.session.history.n_batches} batches trained in "
                    f"{finished.seconds:.1f} s{best}.")
            else:
                self.state_label.setText(
                    f"Training {reasons.get(finished.reason, finished.reason)} after "
                    f"{finished.epochs_run} epoch(s), {finished.steps} batches, "
                    f"{finished.seconds:.1f} s{best}.")
        self._update_status()

    def _update_actions(self) -> None:
        st = self.session.state
        active = self.session.is_active
        has_data = self.content_ready and self.data_panel.table is not None
        # no run can start while the data settings cannot make windows (self.problem)
        can_train = has_data and self.problem is None
        self.act_start.setEnabled(not active and can_train)
        self.act_pause.setEnabled(st == S.RUNNING)
        self.act_resume.setEnabled(st == S.PAUSED)
        self.act_step.setEnabled(has_data and st in (S.PAUSED, S.RUNNING)
                                 or can_train and st in (S.IDLE, S.FINISHED))
        self.act_stop.setEnabled(active and st != S.STOPPING)
        self.act_reset.setEnabled(st != S.STOPPING)
        # while a run is active the model may arrive after this ran: Save Model stays on
        # (it pauses the run, brings the weights back, saves and resumes)
        has_model = self.session.model is not None or active
        self.act_save_model.setEnabled(has_model and self.splits is not None)
        ready = self.content_ready and not active
        for a in (self.act_open, self.act_open_session, self.act_load_model,
                  self.act_export_all, self.act_export_history):
            a.setEnabled(ready or (self.content_ready and a in (self.act_export_all,
                                                                self.act_export_history)))
        self.menu_samples.setEnabled(ready)
        self.menu_lessons.setEnabled(self.content_ready)
        self.menu_recent.setEnabled(ready)
        self.menu_export.setEnabled(self.content_ready)

    def _update_status(self) -> None:
        """Refresh the status bar from the session; widgets change only when their text does
        (this runs after every frame, and each change repaints)."""
        p = self.session.progress()
        if p["epochs"]:
            _set_text(self.epoch_label, f"epoch {p['epoch']}/{p['epochs']}")
            _set_text(self.batch_label, f"batch {p['batch']}/{p['batches']}")
        else:
            _set_text(self.epoch_label, "epoch –")
            _set_text(self.batch_label, "batch –")
        loss = p["loss"]
        _set_text(self.loss_label, f"loss {loss:.4g}" if math.isfinite(loss) else "loss –")
        rate = p["rate"]
        between = self._between_epochs(p)
        if between:
            _set_text(self.rate_label, between)
        else:
            _set_text(self.rate_label,
                      f"{rate:.0f} batches/s" if math.isfinite(rate) else "– batches/s")
        total = int(p["total_steps"])
        running = self.session.state == S.RUNNING
        now = time.monotonic()
        if running and now - self._progress_shown_at < PROGRESS_INTERVAL_S:
            pass  # QProgressBar.setValue repaints at once: a few times a second is enough
        elif total > 0:
            self._progress_shown_at = now if running else 0.0
            pct = min(100, int(100 * p["step"] / total))
            fmt = "%p%"
            if self.session.state == S.RUNNING and math.isfinite(p["eta"]):
                fmt = f"%p% · ETA {_fmt_seconds(p['eta'])}"
            self._set_progress(pct, 100, fmt)
        elif not self.session.is_loading:
            self._set_progress(0, 100, "%p%")
        if self.session.state in (S.FINISHED, S.IDLE):
            self._update_actions()

    def _between_epochs(self, p: Mapping[str, float]) -> str:
        """"validating epoch N…" while a running epoch's last batch is done and its results
        have not come yet (on a long series that takes a while), else ""."""
        if self.session.state != S.RUNNING or not p["batches"] or p["batch"] < p["batches"]:
            return ""
        epochs = self.session.history.epochs
        if epochs and epochs[-1].epoch >= p["epoch"]:
            return ""
        return f"validating epoch {int(p['epoch'])}…"

    def _set_progress(self, value: int, maximum: int, fmt: str) -> None:
        bar = self.progress
        if bar.maximum() != maximum or bar.minimum() != 0:
            bar.setRange(0, maximum)
        if bar.value() != value:
            bar.setValue(value)
        if bar.format() != fmt:
            bar.setFormat(fmt)

    # ================================================================== help
    def show_view_help(self) -> None:
        """Help ▸ How to read each view."""
        self.dialogs.view_help(list(self.views.values()))

    def show_shortcuts(self) -> None:
        """Help ▸ Keyboard shortcuts."""
        self.dialogs.shortcuts(self.actions())

    # ================================================================== events
    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._sized_once:
            self._sized_once = True
            if not self._restored_state:
                # dock sizes only take once the window has its real size
                QTimer.singleShot(0, self._size_docks)

    def _on_dock_visibility_changed(self, key: str, visible: bool) -> None:
        view = self.views.get(key)
        if visible and view is not None:
            self.session.render_view(view)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if self._dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        path = self._dropped_path(event.mimeData())
        if path is None or not self.content_ready:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_path(path)

    @staticmethod
    def _dropped_path(mime: Any) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                p = url.toLocalFile()
                if Path(p).suffix.lower() in DATA_SUFFIXES + (".json",):
                    return p
        return None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.remember_settings:
            self.save_settings()
        self.dialogs.close_all()
        for child in self.findChildren(QMainWindow):  # lesson windows stop their own workers
            if child is not self and child.isVisible():
                child.close()
        if not self.session.shutdown(5000):
            self.statusBar().showMessage("Training did not stop in time; closing anyway.")
        event.accept()
        super().closeEvent(event)
