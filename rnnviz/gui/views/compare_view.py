"""CompareView: two or three models trained side by side, drawn together.

Sections (a lesson picks which, in which order; the first two plots share the top row, the
rest are tabs below):

- ``loss``: each model's batch loss (smoothed, thin) and validation loss per epoch (thick),
  overlaid, one colour per model, log axis by default;
- ``gradients``: ||dL/dh_t|| per time step for each model's latest probe (median over the
  probed windows, last layer) on ONE log axis, with the first probe (before training) dotted:
  the picture of the vanishing-gradient lesson;
- ``gates`` / ``states``: each model's :class:`GatesView` / :class:`StatesView` side by side;
- ``forecast``: the actual series with each model's one-step (dotted) and recursive (solid)
  forecasts overlaid; for sequence tasks, predictions against true values on the test windows;
- ``horizon``: absolute error of each recursive forecast against the number of steps since it
  started (log axis);
- ``results``: the results table (losses, test metrics, seconds per epoch, gradient ratio).

``render(histories, results=None)`` takes ``{label: RunHistory}`` and, once runs finish,
``{label: RunResult}`` (:mod:`rnnviz.core.compare`). Run alone on demo data with
``python -m rnnviz.gui.views.compare_view``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.history import RunHistory, smooth
from rnnviz.gui import theme
from rnnviz.gui.views.base import (
    AXIS_CACHE,
    BaseView,
    decade_range,
    f32,
    finite_positive,
    skip_faint_ticks,
)

SECTIONS = ("loss", "gradients", "gates", "states", "forecast", "horizon", "results")
DEFAULT_SECTIONS = ("loss", "gradients", "gates", "forecast", "results")
SECTION_TITLES = {
    "loss": "Loss",
    "gradients": "Gradient per time step",
    "gates": "Gates",
    "states": "States",
    "forecast": "Forecasts",
    "horizon": "Error vs horizon",
    "results": "Results",
}
PER_MODEL_SECTIONS = ("gates", "states")
"""Sections with one page per model side by side: as wide as the view, so never beside another
plot on the top row (the loss plot beside the three Gates pages of a lesson got ~60 px)."""
TABLE_COLUMNS = (
    "model", "epochs", "train loss", "val loss", "test loss", "test MSE", "test MAE (units)",
    "grad ratio h1/hT", "s / epoch", "status",
)

HELP = """
<p><b>What you see.</b> Two or three models trained on the <i>same</i> windows, with the
same seed and the <i>same batches in the same order</i>: whatever differs comes from the
models. Each model keeps one colour everywhere.</p>
<p><b>Loss.</b> Thin lines: each model's training loss per batch (moving average); thick lines
with dots: validation loss per epoch. Log axis by default.</p>
<p><b>Gradient per time step.</b> ‖∂L/∂h<sub>t</sub>‖ at every step of the probed windows
(median over the windows, last layer), all models on one log axis. The loss is computed after
the last step (right); moving left is going back in time. A line falling steeply to the left is
a <b>vanishing</b> gradient (a straight line on a log axis = the same factor lost at every
step); rising to the left is an <b>exploding</b> one. Dotted: the same before training. The
legend gives ‖∂L/∂h<sub>1</sub>‖ / ‖∂L/∂h<sub>T</sub>‖: below 10⁻⁴ nothing reaches the start.</p>
<p><b>Gates / States.</b> Each model's gate (or state) heatmaps side by side: x = time step,
y = unit, fixed colour scales (0..1 for sigmoid gates, −1..1 for tanh values).</p>
<p><b>Forecasts.</b> For series: actual values (black), one-step forecasts (dotted: each step
sees the real past) and recursive forecasts (solid: fed their own predictions). For sequence
tasks: predicted against true values on the test windows (the diagonal is perfect).</p>
<p><b>Error vs horizon.</b> How the recursive forecast's error grows with the number of steps
since it started, against the one-step error (dotted).</p>
<p><b>Results.</b> Final losses (model units), test MSE, test MAE in the data's units (for a
multi-step forecast, over the whole horizon; otherwise one step ahead), the
gradient ratio before → after training, and seconds per epoch (time spent in that model's own
training, so the interleaving does not inflate it).</p>
"""


def model_color(i: int) -> Any:
    """Colour of the i-th model (blue, red, green...)."""
    return theme.palette_color(i)


def _fmt(x: Any, digits: int = 4) -> str:
    if x is None:
        return "—"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "—"
    return f"{v:.{digits}g}"


def median_steps(trace: Any) -> np.ndarray:
    """Median over windows of ||dL/dh_t|| of the last layer: shape (T,), float32."""
    g = np.asarray(trace.grad_hidden[-1], dtype=np.float64)  # (W, T)
    with np.errstate(all="ignore"):
        return np.nanmedian(g, axis=0).astype(np.float32)


def current_epoch(history: RunHistory) -> int:
    """The epoch the history's last batch belongs to, 1-based, 0 before the first batch.

    Counted as the engine's ``BatchDone.epoch`` and ``ProbeReady.epoch`` and the main window's
    status bar count: the epoch being trained, not the number of epochs finished.
    """
    last = history.last_batch
    return 0 if last is None else int(last.epoch)


class CompareView(BaseView):
    """Loss, gradients, gates, forecasts and results of several models, drawn together.

    Parameters
    ----------
    parent : QWidget, optional
    sections : sequence of str
        Which sections to show, in order (see :data:`SECTIONS`).
    """

    title = "Compare"
    help_text = HELP
    empty_message = "Nothing to compare yet: press Train to train the models side by side."

    def __init__(self, parent: QWidget | None = None,
                 sections: Sequence[str] = DEFAULT_SECTIONS) -> None:
        super().__init__(parent)
        self._histories: dict[str, RunHistory] | None = None
        self._results: dict[str, Any] = {}
        self._labels: list[str] = []
        self._notes = ""
        self._plots_laid_out_at: Any = None  # (size, sections) when the shared plots were
        self._medians: dict[int, tuple[Any, np.ndarray]] = {}  # id(trace) -> (trace, median)
        self._cells: dict[str, str] = {}  # label -> cell type (prepare)
        self._cells_fitted: dict[str, str] = {}  # label -> cell its Gates page was fitted to

        self.log_check = QCheckBox("log loss")
        self.log_check.setChecked(True)
        self.log_check.setToolTip("Logarithmic loss axis.")
        self.add_header_widget(self.log_check)

        # ---- sections, built once
        self.loss_graphics = theme.new_graphics()
        self.loss_plot: pg.PlotItem = self.loss_graphics.addPlot()
        theme.style_plot(self.loss_plot, title="Loss (thin: train batches, thick: validation)",
                         x="step (batches; same batches for every model)", y="loss")
        self.loss_plot.setLogMode(y=True)
        self.loss_legend = theme.add_legend(self.loss_plot)

        self.grad_graphics = theme.new_graphics()
        self.grad_plot = theme.add_log_plot(self.grad_graphics, 0, 0)
        theme.style_plot(self.grad_plot, title="‖∂L/∂h_t‖ per time step (dotted: before training)",
                         x="time step t (loss after the last step)", y="‖∂L/∂h_t‖")
        self.grad_legend = theme.add_legend(self.grad_plot, offset=(10, 10))

        self.fc_graphics = theme.new_graphics()
        self.fc_plot: pg.PlotItem = self.fc_graphics.addPlot()
        theme.style_plot(self.fc_plot, title="Forecasts", x="row", y="value")
        self.fc_legend = theme.add_legend(self.fc_plot)

        self.hz_graphics = theme.new_graphics()
        self.hz_plot = theme.add_log_plot(self.hz_graphics, 0, 0)
        theme.style_plot(self.hz_plot, title="Recursive error against horizon (dotted: one-step)",
                         x="steps since the forecast started", y="|error| (data units)")
        self.hz_legend = theme.add_legend(self.hz_plot)

        self.gates_box = QWidget()
        self.gates_box.setLayout(QHBoxLayout())
        self.gates_box.layout().setContentsMargins(0, 0, 0, 0)
        self.states_box = QWidget()
        self.states_box.setLayout(QHBoxLayout())
        self.states_box.layout().setContentsMargins(0, 0, 0, 0)
        self.gate_views: dict[str, BaseView] = {}
        self.state_views: dict[str, BaseView] = {}

        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.notes_label = QLabel("")
        self.notes_label.setWordWrap(True)
        self.results_box = QWidget()
        rl = QVBoxLayout(self.results_box)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.table, 1)
        rl.addWidget(self.notes_label)

        self.section_widgets: dict[str, QWidget] = {
            "loss": self.loss_graphics,
            "gradients": self.grad_graphics,
            "gates": self.gates_box,
            "states": self.states_box,
            "forecast": self.fc_graphics,
            "horizon": self.hz_graphics,
            "results": self.results_box,
        }
        self._curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._scatter: dict[str, pg.ScatterPlotItem] = {}
        self._diag = pg.PlotDataItem(pen=theme.pen("baseline", 1, dashed=True))
        self._actual = pg.PlotDataItem(pen=theme.pen("actual", 1.6), name="actual")

        outer = QVBoxLayout(self.content)
        outer.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.top = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        # the bottom row: the tabs, and left of them the plot that a per-model section keeps
        # off the top row (see set_sections)
        self.bottom = QSplitter(Qt.Orientation.Horizontal)
        self.bottom.addWidget(self.tabs)
        self.bottom.setChildrenCollapsible(False)
        self.splitter.addWidget(self.top)
        self.splitter.addWidget(self.bottom)
        outer.addWidget(self.splitter)
        self.sections: tuple[str, ...] = ()
        self.set_sections(sections)
        self.log_check.toggled.connect(self._on_log_check_toggled)

    # ------------------------------------------------------------------ layout
    def set_sections(self, sections: Sequence[str]) -> None:
        """Show these sections, in this order: the first two plots on top, the rest as tabs.

        A per-model section (:data:`PER_MODEL_SECTIONS`: one page per model side by side)
        on the top row has it to itself, and the plot that would have stood beside it goes
        to the bottom row, left of the tabs: always in sight, never squeezed.

        Raises
        ------
        ValueError
            For an unknown section name.
        """
        bad = [s for s in sections if s not in SECTIONS]
        if bad:
            raise ValueError(f"unknown compare sections: {', '.join(bad)}")
        sections = tuple(dict.fromkeys(sections))
        self.sections = sections
        while self.tabs.count():
            self.tabs.removeTab(0)
        for w in self.section_widgets.values():
            w.setParent(None)
        on_top, beside = self.arrangement(sections)
        for s in on_top:
            self.top.addWidget(self.section_widgets[s])
            self.section_widgets[s].show()
        for s in beside:
            self.bottom.insertWidget(0, self.section_widgets[s])
            self.section_widgets[s].show()
        for s in sections:
            if s not in on_top and s not in beside:
                self.tabs.addTab(self.section_widgets[s], SECTION_TITLES[s])
        self.top.setVisible(bool(on_top))
        self.tabs.setVisible(self.tabs.count() > 0)
        below = self.tabs.count() > 0 or bool(beside)
        self.bottom.setVisible(below)
        if beside:
            self.bottom.setSizes([380, 720] if self.tabs.count() else [1100, 0])
            self.splitter.setSizes([560, 440])
        else:
            self.splitter.setSizes([600, 400] if on_top and below else [1000, 0])
        self.log_check.setVisible("loss" in sections)
        self.refresh()  # per-model pages that came into sight draw now

    @staticmethod
    def arrangement(sections: Sequence[str]) -> tuple[list[str], list[str]]:
        """Where sections go: ``(top row, bottom row left of the tabs)``; the others are tabs.

        The first two plots (not ``results``) go on top, unless one is a per-model section:
        it then has the top row alone, and the first plot that is not per-model goes beside
        the tabs.
        """
        plots = [s for s in sections if s != "results"]
        on_top = plots[:2]
        wide = [s for s in on_top if s in PER_MODEL_SECTIONS]
        if len(on_top) < 2 or not wide:
            return on_top, []
        narrow = [s for s in plots if s not in PER_MODEL_SECTIONS][:1]
        return wide[:1], narrow

    def show_section(self, name: str) -> None:
        """Bring a tabbed section to the front (no effect for the sections on top)."""
        w = self.section_widgets[name]
        i = self.tabs.indexOf(w)
        if i >= 0:
            self.tabs.setCurrentIndex(i)

    def set_notes(self, text: str) -> None:
        """A line under the results table (e.g. the score of predicting the mean)."""
        self._notes = text
        self.notes_label.setText(text)

    # ------------------------------------------------------------------ drawing
    def render(self, histories: Mapping[str, RunHistory],  # type: ignore[override]
               results: Mapping[str, Any] | None = None) -> None:
        """Redraw from ``{label: RunHistory}`` (and ``{label: RunResult}`` when known).

        Returns at once when nothing changed since the last draw.
        """
        results = dict(results or {})
        key = (tuple((lab, id(h), h.version, id(h.started)) for lab, h in histories.items()),
               tuple((lab, id(r)) for lab, r in results.items()))
        if key == self._drawn_key:
            return
        self._histories = dict(histories)
        self._results = results
        self._draw_all()
        self._drawn_key = key
        # axes painted from pixmaps, faint tick lines left out (as the main window's views):
        # without it each repaint replayed every axis picture, 0.35-0.7 s a frame with three
        # models' plots. Only the axes: this view rebuilds its plots when the models change,
        # and the label holds of cache_axes must not outlive them
        self._cache_axis_pixmaps()

    def prepare(self, labels: list[str], cells: Mapping[str, str] | None = None) -> None:
        """Build the curves and per-model views for these models now, before a run (building
        them for three models took ~0.4 s of the run's first frame).

        Their costly plot items and their layout come with :meth:`prebuild` (or one piece at
        a time with :meth:`prebuild_steps` and :meth:`prebuild_step`), once the view is on
        screen at its size.

        Parameters
        ----------
        labels : list of str
            The models, in order.
        cells : mapping of str to str, optional
            Each model's cell type (``"lstm"``, ``"gru"``, ``"lstm_coupled"`` ...): its
            Gates page is fitted to that cell's gates when it is prebuilt, where the Gates
            view can (``prepare_cell``), instead of in the first probe's frame.
        """
        labels = list(labels)
        if labels != self._labels:
            self._rebuild(labels)
        self._cells = {lab: c for lab, c in (cells or {}).items() if lab in labels}

    # ------------------------------------------------------------------ before a run
    def prebuild_steps(self) -> list[tuple[str, str]]:
        """The pieces of :meth:`prebuild`, in order: ``(section, label)`` for each model's
        Gates and States page (the sections shown first), then ``("plots", "")`` for the
        shared plots. Steps name what to prepare, not the widgets, so a step taken after the
        models changed prepares the new ones (or nothing)."""
        order = [s for s in self.sections if s in PER_MODEL_SECTIONS]
        order += [s for s in PER_MODEL_SECTIONS if s not in order]
        return [(s, lab) for s in order for lab in self._labels] + [("plots", "")]

    def prebuild_step(self, step: tuple[str, str]) -> bool:
        """Prepare one piece (see :meth:`prebuild_steps`): a model's page gets its plot
        items and, when it is in sight, is laid out and painted once off screen at its size
        (:meth:`BaseView.prebuild`); ``("plots", "")`` lays out and paints the shared plots.

        Returns
        -------
        bool
            True when it laid something out; False when that piece was ready at this size
            (cheap) or is out of sight. A page laid out while its neighbours still showed
            their messages may be resized when they are laid out: a second pass of the
            steps lays it out again at its final size.
        """
        section, label = step
        with self._page_in_place():
            if section == "plots":
                return self._prebuild_plots()
            store = self.gate_views if section == "gates" else self.state_views
            view = store.get(label)
            if view is None:
                return False
            before = view._laid_out_at
            view.prebuild()
            cell = self._cells.get(label) if section == "gates" else None
            fit = getattr(view, "prepare_cell", None)
            if cell and fit is not None and self._cells_fitted.get(label) != cell:
                fit(cell)  # this cell's gates (a GRU, a coupled LSTM), not the default LSTM's
                self._cells_fitted[label] = cell
            # the row of pages shares its width out again now that this page's controls
            # are in its size hint (a posted layout request), not at the next step's turn
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            return view._laid_out_at != before

    def prebuild(self, max_passes: int = 3) -> None:
        """Get every model's pages and the shared plots ready before a run (every
        :meth:`prebuild_step`, again while a pass still laid something out): the first
        probes then draw into laid-out pages instead of creating plot items (~0.17 s per
        Gates page) and laying the pages out while the models train."""
        for _ in range(max_passes):
            changed = [self.prebuild_step(step) for step in self.prebuild_steps()]
            if not any(changed):
                return

    @contextmanager
    def _page_in_place(self) -> Iterator[None]:
        """While it shows its message, put the page of sections in the view's stack for the
        duration (laid out at the view's size, not painted: the same slot puts the message
        back), so that the pages inside it are in sight and get their real sizes."""
        on_message = self.isVisible() and self._stack.currentWidget() is self._message
        if on_message:
            self._stack.setCurrentWidget(self.content)
        try:
            yield
        finally:
            if on_message:
                self._stack.setCurrentWidget(self._message)

    def _prebuild_plots(self) -> bool:
        size = (self.content.size(), self.sections)
        if not self.content.isVisible() or size == self._plots_laid_out_at:
            return False
        self._plots_laid_out_at = size
        shown = [g for g in (self.loss_graphics, self.grad_graphics, self.fc_graphics,
                             self.hz_graphics) if g.isVisible()]
        for gv in shown:
            self._cache_scene_axes(gv)
            gv.grab()  # tick labels drawn into the axes' pixmaps now, not in the first frame
        return True

    def _cache_axis_pixmaps(self) -> None:
        for gv in self._graphics_views():
            self._cache_scene_axes(gv)

    @staticmethod
    def _cache_scene_axes(gv: pg.GraphicsView) -> None:
        for item in gv.scene().items():
            if isinstance(item, pg.AxisItem) and item.cacheMode() != AXIS_CACHE:
                item.setCacheMode(AXIS_CACHE)
                skip_faint_ticks(item)

    def refresh(self) -> None:
        """Redraw the last histories although they did not change (a control changed)."""
        self._drawn_key = None
        if self._histories is not None:
            self.render(self._histories, self._results)

    def clear(self) -> None:
        """Forget the runs and show the empty message."""
        self._histories = None
        self._results = {}
        super().clear()

    @property
    def labels(self) -> list[str]:
        """Labels of the models drawn."""
        return list(self._labels)

    def _draw(self, history: RunHistory) -> None:  # one history: compare it with nothing
        self.render({"model": history})

    def _draw_all(self) -> None:
        hs = self._histories or {}
        if not hs or all(h.version == 0 for h in hs.values()):
            self._clear()
            self.show_message(self.empty_message)
            return
        self.show_content()
        labels = list(hs)
        if labels != self._labels:
            self._rebuild(labels)
        cols: dict[str, np.ndarray] = {}
        cols.update(self._draw_loss(hs))
        cols.update(self._draw_gradients(hs))
        cols.update(self._draw_forecasts(hs))
        cols.update(self._draw_horizon(hs))
        # per-model pages draw only while their section is shown (set_sections redraws)
        for section, store in (("gates", self.gate_views), ("states", self.state_views)):
            if section in self.sections:
                for lab, h in hs.items():
                    if lab in store:
                        store[lab].render(h)
        cols.update(self._fill_table(hs))
        self._columns = cols
        # the epoch being trained, as the engine and the main window count (not epochs done)
        epoch = max((current_epoch(h) for h in hs.values()), default=0)
        self.set_subtitle(f"{len(hs)} models · epoch {epoch}")

    def _rebuild(self, labels: list[str]) -> None:
        """New set of models: new curves and per-model gate/state views."""
        from rnnviz.gui.views.gates_view import GatesView
        from rnnviz.gui.views.states_view import StatesView

        self._clear()
        self._teardown()
        self._graphics = None  # the cached list held the old models' plot widgets
        self._plots_laid_out_at = None
        self._cells_fitted = {}
        self._labels = labels
        for legend in (self.loss_legend, self.grad_legend, self.fc_legend, self.hz_legend):
            legend.clear()
        self.fc_plot.addItem(self._actual)
        self.fc_plot.addItem(self._diag)
        for i, lab in enumerate(labels):
            c = model_color(i)

            def add(plot: pg.PlotItem, kind: str, name: str | None, pen: Any,
                    lab: str = lab) -> None:
                item = pg.PlotDataItem(pen=pen, name=name, connect="finite")
                plot.addItem(item)
                theme.decimate(item)  # after addItem, which resets it
                self._curves[(lab, kind)] = item

            add(self.loss_plot, "batch", None, theme.pen(c, 1, alpha=110))
            add(self.loss_plot, "val", f"{lab}: validation", theme.pen(c, 2.4))
            self._curves[(lab, "val")].setSymbol("o")
            self._curves[(lab, "val")].setSymbolSize(6)
            self._curves[(lab, "val")].setSymbolBrush(c)
            self._curves[(lab, "val")].setSymbolPen(None)
            add(self.grad_plot, "grad", lab, theme.pen(c, 2.4))
            add(self.grad_plot, "grad0", None, theme.pen(c, 1.2, dotted=True))
            add(self.fc_plot, "one_step", f"{lab}: one-step", theme.pen(c, 1.2, dotted=True))
            add(self.fc_plot, "recursive", f"{lab}: recursive", theme.pen(c, 2.0))
            sc = pg.ScatterPlotItem(size=5, pen=None, brush=theme.palette_color(i, 150), name=lab)
            self.fc_plot.addItem(sc)
            self._scatter[lab] = sc
            add(self.hz_plot, "hz", lab, theme.pen(c, 2.0))
            add(self.hz_plot, "hz1", None, theme.pen(c, 1.0, dotted=True))
            for box, store, cls in ((self.gates_box, self.gate_views, GatesView),
                                    (self.states_box, self.state_views, StatesView)):
                group = QGroupBox(lab)
                group.setStyleSheet(f"QGroupBox {{ color: {theme.PALETTE[i % len(theme.PALETTE)]};"
                                    " font-weight: bold; }")
                gl = QVBoxLayout(group)
                gl.setContentsMargins(2, 2, 2, 2)
                view = cls()
                view.help_button.hide()
                gl.addWidget(view)
                box.layout().addWidget(group)
                store[lab] = view

    def _draw_loss(self, hs: Mapping[str, RunHistory]) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {}
        for lab, h in hs.items():
            b = h.batch_arrays()
            e = h.epoch_arrays()
            w = max(1, min(50, b["step"].size // 10))
            sm = f32(smooth(b["loss"], w))
            self._curves[(lab, "batch")].setData(f32(b["step"]), self._pos(sm))
            self._curves[(lab, "val")].setData(f32(e["step"]), self._pos(f32(e["val_loss"])))
            cols[f"{lab}|loss_step"] = b["step"]
            cols[f"{lab}|loss_batch_smoothed_{w}"] = sm
            cols[f"{lab}|epoch_step"] = e["step"]
            cols[f"{lab}|epoch_train_loss"] = e["train_loss"]
            cols[f"{lab}|epoch_val_loss"] = e["val_loss"]
        return cols

    def _pos(self, a: np.ndarray) -> np.ndarray:
        return finite_positive(a) if self.log_check.isChecked() else f32(a)

    def _draw_gradients(self, hs: Mapping[str, RunHistory]) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {}
        shown: list[np.ndarray] = []
        T = 0
        for lab, h in hs.items():
            item, first = self._curves[(lab, "grad")], self._curves[(lab, "grad0")]
            snaps = h.snapshots
            res = self._results.get(lab)
            if res is not None and getattr(res, "trace", None) is not None:
                trace, start = res.trace, res.trace_start
                where = "test windows, final"
            elif snaps:
                trace, start = snaps[-1].trace, snaps[0].trace
                where = f"probe at step {snaps[-1].step}"
            else:
                item.setData([], [])
                first.setData([], [])
                continue
            g = finite_positive(self._median(trace))
            x = np.arange(1, g.size + 1, dtype=np.float32)
            item.setData(x, g)
            shown.append(g)
            T = max(T, g.size)
            cols[f"{lab}|grad_step"] = np.arange(1, g.size + 1)
            cols[f"{lab}|grad_median"] = g
            if start is not None and start is not trace:
                g0 = finite_positive(self._median(start))
                first.setData(np.arange(1, g0.size + 1, dtype=np.float32), g0)
                cols[f"{lab}|grad_median_before_training"] = g0
                shown.append(g0)
            else:
                first.setData([], [])
            ratio = trace.gradient_ratio()
            label = self.grad_legend.getLabel(item)
            text = f"{lab}: h₁/h_T = {_fmt(ratio, 2)} ({where})"
            if label is not None and label.text != text:
                label.setText(text)
        rng = decade_range(*shown) if shown else None
        if rng is not None:
            self.grad_plot.setYRange(rng[0] - 0.02, rng[1] + 0.02, padding=0)
        if T:
            self.grad_plot.setXRange(0.5, T + 0.5, padding=0.02)
        return cols

    def _median(self, trace: Any) -> np.ndarray:
        """:func:`median_steps` of a trace, computed once per trace (each frame drew the
        latest and the first probe of every model again: 1-2 ms apiece)."""
        hit = self._medians.get(id(trace))
        if hit is not None and hit[0] is trace:
            return hit[1]
        if len(self._medians) > 32:
            self._medians.clear()
        m = median_steps(trace)
        self._medians[id(trace)] = (trace, m)
        return m

    def _draw_forecasts(self, hs: Mapping[str, RunHistory]) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {}
        first = next((h.forecast for h in hs.values() if h.forecast is not None), None)
        if first is not None:
            self._diag.setData([], [])
            self._actual.setData(f32(first.index), f32(first.actual[:, 0]))
            cols["forecast|row"] = first.index
            cols["forecast|actual"] = first.actual[:, 0]
            for lab, h in hs.items():
                self._scatter[lab].setData([], [])
                f = h.forecast
                one, rec = self._curves[(lab, "one_step")], self._curves[(lab, "recursive")]
                if f is None:
                    one.setData([], [])
                    rec.setData([], [])
                    continue
                one.setData(f32(f.index), f32(f.one_step[:, 0]))
                rec.setData(f32(f.index), f32(f.recursive[:, 0]))
                cols[f"{lab}|forecast_one_step"] = f.one_step[:, 0]
                cols[f"{lab}|forecast_recursive"] = f.recursive[:, 0]
            self.fc_plot.setLabel("bottom", "row", color=theme.FOREGROUND)
            self.fc_plot.setLabel("left", "value (data units)", color=theme.FOREGROUND)
            return cols
        # sequence tasks: predicted against true
        self._actual.setData([], [])
        lo, hi = math.inf, -math.inf
        for lab, h in hs.items():
            self._curves[(lab, "one_step")].setData([], [])
            self._curves[(lab, "recursive")].setData([], [])
            res = self._results.get(lab)
            if res is not None and getattr(res, "test_targets", np.zeros(0)).size:
                y = np.asarray(res.test_targets, np.float32).ravel()
                p = np.asarray(res.test_predictions, np.float32).ravel()
            elif h.latest_trace is not None:
                y = np.asarray(h.latest_trace.target, np.float32).ravel()
                p = np.asarray(h.latest_trace.prediction, np.float32).ravel()
            else:
                self._scatter[lab].setData([], [])
                continue
            self._scatter[lab].setData(y, p)
            cols[f"{lab}|true"] = y
            cols[f"{lab}|predicted"] = p
            if y.size:
                lo = min(lo, float(np.nanmin(y)), float(np.nanmin(p)))
                hi = max(hi, float(np.nanmax(y)), float(np.nanmax(p)))
        if math.isfinite(lo) and math.isfinite(hi):
            self._diag.setData([lo, hi], [lo, hi])
        self.fc_plot.setLabel("bottom", "true value", color=theme.FOREGROUND)
        self.fc_plot.setLabel("left", "predicted (dashed: perfect)", color=theme.FOREGROUND)
        return cols

    def _draw_horizon(self, hs: Mapping[str, RunHistory]) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {}
        shown: list[np.ndarray] = []
        for lab, h in hs.items():
            f = h.forecast
            rec, one = self._curves[(lab, "hz")], self._curves[(lab, "hz1")]
            if f is None:
                rec.setData([], [])
                one.setData([], [])
                continue
            actual = np.asarray(f.actual[:, 0], np.float64)
            with np.errstate(all="ignore"):
                er = finite_positive(np.abs(np.asarray(f.recursive[:, 0], np.float64) - actual))
                e1 = finite_positive(np.abs(np.asarray(f.one_step[:, 0], np.float64) - actual))
            x = np.arange(1, er.size + 1, dtype=np.float32)
            rec.setData(x, er)
            one.setData(x, e1)
            shown += [er, e1]
            cols[f"{lab}|horizon_step"] = np.arange(1, er.size + 1)
            cols[f"{lab}|recursive_abs_error"] = er
            cols[f"{lab}|one_step_abs_error"] = e1
        rng = decade_range(*shown) if shown else None
        if rng is not None:
            self.hz_plot.setYRange(rng[0] - 0.02, rng[1] + 0.02, padding=0)
        return cols

    def _fill_table(self, hs: Mapping[str, RunHistory]) -> dict[str, np.ndarray]:
        rows: list[list[str]] = []
        raw: dict[str, list[Any]] = {c: [] for c in TABLE_COLUMNS}
        checks: list[str] = []
        for lab, h in hs.items():
            res = self._results.get(lab)
            e = h.epochs
            trace = h.latest_trace
            if res is not None:
                tm = res.test_metrics
                # sequence tasks: "model"; multi-step forecasts: "direct" (the whole horizon)
                units = tm.get("model") or tm.get("direct") or tm.get("one_step") or {}
                status = res.finish_reason or "finished"
                if res.diverged:
                    status = "diverged"
                vals = [lab, res.epochs_run, res.final_train_loss, res.final_val_loss,
                        res.test_loss, res.test_mse, units.get("mae"),
                        f"{_fmt(res.gradient_ratio_start, 2)} → {_fmt(res.gradient_ratio, 2)}",
                        res.seconds_per_epoch, status]
                for c in res.checks:
                    exp = ", ".join(f"{v:.4g}" for v in c["expected"])
                    got = ", ".join(f"{v:.4g}" for v in c["predicted"])
                    checks.append(f"<b>{lab}</b> {c.get('label') or 'check'}: expected [{exp}], "
                                  f"model [{got}]")
            else:
                secs = [ev.seconds for ev in e]
                status = "diverged" if h.diverged else ("finished" if h.finished else "training")
                vals = [lab, len(e), e[-1].train_loss if e else None,
                        e[-1].val_loss if e else None, None, None, None,
                        _fmt(trace.gradient_ratio(), 2) if trace is not None else None,
                        float(np.mean(secs)) if secs else None, status]
            for c, v in zip(TABLE_COLUMNS, vals, strict=True):
                raw[c].append(v)
            rows.append([v if isinstance(v, str) else (str(v) if isinstance(v, int) else _fmt(v))
                         for v in vals])
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = self.table.item(r, c)
                if item is None:
                    item = QTableWidgetItem(text)
                    self.table.setItem(r, c, item)
                elif item.text() != text:
                    item.setText(text)
                if c == 0:
                    item.setForeground(model_color(r))
        notes = [self._notes] if self._notes else []
        notes += checks
        self.notes_label.setText("<br>".join(notes))
        return {f"table|{c}": np.asarray([str(v) if not isinstance(v, (int, float)) or v is None
                                          else v for v in raw[c]], dtype=object)
                for c in TABLE_COLUMNS}

    def _clear(self) -> None:
        for item in self._curves.values():
            item.setData([], [])
        for sc in self._scatter.values():
            sc.setData([], [])
        self._actual.setData([], [])
        self._diag.setData([], [])
        self.table.setRowCount(0)
        self.set_subtitle("")

    def _teardown(self) -> None:
        """Remove the per-model items and views (before a new set of models)."""
        items: list[Any] = list(self._curves.values()) + list(self._scatter.values())
        items += [self._actual, self._diag]
        for plot in (self.loss_plot, self.grad_plot, self.fc_plot, self.hz_plot):
            for item in items:
                if item in plot.items:
                    plot.removeItem(item)
        self._curves.clear()
        self._scatter.clear()
        for box, store in ((self.gates_box, self.gate_views), (self.states_box, self.state_views)):
            lay = box.layout()
            while lay.count():
                w = lay.takeAt(0).widget()
                if w is not None:
                    w.setParent(None)
                    w.deleteLater()
            store.clear()

    # ------------------------------------------------------------------ slots
    def _on_log_check_toggled(self, checked: bool) -> None:
        self.loss_plot.setLogMode(y=checked)
        self.refresh()
        self.loss_plot.enableAutoRange()


# ---------------------------------------------------------------------- running alone
def demo_histories(cells: Sequence[str] = ("rnn", "lstm", "gru")) -> dict[str, RunHistory]:
    """Made-up histories (not from any model) of a few cells, for previews and tests."""
    from rnnviz.gui.views.demo import demo_history

    return {c.upper(): demo_history(c, layers=1, seed=i) for i, c in enumerate(cells)}


def main(argv: list[str] | None = None) -> int:
    """Show the compare view alone on demo data (``--screenshot PATH`` saves a PNG)."""
    import argparse
    import sys

    from PySide6.QtWidgets import QApplication

    from rnnviz.gui.views.demo import DEMO_NOTE

    parser = argparse.ArgumentParser(prog="python -m rnnviz.gui.views.compare_view")
    parser.add_argument("--screenshot", metavar="PATH")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = CompareView()
    view.render(demo_histories())
    view.set_subtitle(DEMO_NOTE)
    view.setWindowTitle(f"rnnviz · Compare — {DEMO_NOTE}")
    view.resize(1300, 850)
    view.show()
    if args.screenshot:
        app.processEvents()
        view.grab().save(args.screenshot, "PNG")
        view.close()
        return 0
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
