"""StatesView: hidden state h_t and cell state c_t heatmaps, and line plots of picked units.

Orientation as in the gates view: each heatmap's image is ``trace.hidden[layer, window].T``
(or ``trace.cell[...]``), an (H, T) array drawn row-major: x = time step, y = unit.

Colour levels are fixed for a probe (they never follow the mouse or the animation):

- h: -1..1 whenever every |h| in the probe is at most 1 (tanh-bounded: LSTM, GRU, tanh RNN);
  otherwise (a ReLU RNN) symmetric at the 99th percentile of |h| over the whole probe;
- c: not bounded, so symmetric at the 99th percentile of |c| over the whole probe (all
  layers and windows); the colour bar states the value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.history import RunHistory
from rnnviz.core.trace import Trace
from rnnviz.gui import theme
from rnnviz.gui.views.base import (
    BaseView,
    SnapshotSlider,
    f32,
    fill_combo,
    fit_legend_columns,
    fit_page_height,
    hold_layout,
    lay_out_hidden_page,
    layer_labels,
    put_into_layout,
    scroll_page,
    set_bar_levels,
    set_title,
    take_out_of_layout,
    window_labels,
)
from rnnviz.gui.views.gates_view import check_cell

AXIS_WIDTH = 52
MAP_MIN_PX = 36
"""Least height of each plot's data area; a shorter view scrolls its plots."""
DEFAULT_UNITS = 3

HELP = """
<p><b>What you see.</b> For one probed input window: the <b>cell state</b> c<sub>t</sub>
(LSTM family only, the long-term memory) and the <b>hidden state</b> h<sub>t</sub> (what the
layer outputs at each step) as heatmaps, x = time step (0 = oldest), y = unit; below, the
units ticked in the list on the right as lines (h, then c).</p>
<p><b>Colour scales.</b> h is bounded by tanh, so its scale is fixed at −1..1 (blue negative,
white zero, red positive). c is not bounded: its scale is symmetric at the 99th percentile of
|c| over the whole probe (stated in the heatmap's title as "p99"), fixed for that probe, so
switching layer or window does not change what a colour means.</p>
<p><b>How to read it.</b> Units whose c drifts steadily carry information along the window
(counters, running sums); units that follow the input closely react without remembering. A
plain RNN's h often forgets within a few steps: compare it with an LSTM's c on the same data.
Rows stuck at ±1 are saturated units, which pass almost no gradient.</p>
"""


def robust_max(a: np.ndarray | None, q: float = 99.0) -> float:
    """The q-th percentile of |a| over its finite values (1.0 when there are none or all 0)."""
    if a is None:
        return 1.0
    v = np.abs(np.asarray(a, dtype=np.float32))
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 1.0
    m = float(np.percentile(v, q))
    return m if m > 0 else 1.0


def hidden_levels(hidden: np.ndarray) -> tuple[tuple[float, float], str]:
    """Fixed levels for h and the words that describe them (for the heatmap's title)."""
    finite = np.asarray(hidden)[np.isfinite(hidden)]
    if finite.size == 0 or float(np.abs(finite).max()) <= 1.0 + 1e-6:
        return (-1.0, 1.0), "colours fixed −1..1"
    m = robust_max(hidden)
    return (-m, m), f"colours ±{m:.3g} (p99 of |h|)"


def cell_levels(cell: np.ndarray) -> tuple[tuple[float, float], str]:
    """Fixed (per probe) symmetric levels for c and the words that describe them."""
    m = robust_max(cell)
    return (-m, m), f"colours ±{m:.3g} (p99 of |c|)"


CELL_TITLE = "cell state c_t"
HIDDEN_TITLE = "hidden state h_t"


class StatesView(BaseView):
    """Cell and hidden state heatmaps plus line plots of the units the user picks."""

    title = "States"
    help_text = HELP
    empty_message = "No probe yet: the states appear with the first probe of a run."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("Recurrent layer to show (layer 1 reads the inputs).")
        self.window_combo = QComboBox()
        self.window_combo.setToolTip("Which probed input window to show.")
        self.add_header_widget(self.layer_combo)
        self.add_header_widget(self.window_combo)
        self.timeline = SnapshotSlider()

        self.graphics = theme.new_graphics()
        self.unit_list = QListWidget()
        self.unit_list.setToolTip("Tick units to draw them as lines under the heatmaps.")
        self.unit_list.setMaximumWidth(86)  # "unit 31" and its box; the heatmaps need the room
        side = QVBoxLayout()
        side.addWidget(QLabel("units"))
        side.addWidget(self.unit_list, 1)
        row = QHBoxLayout()
        # a small window scrolls the plots rather than squeezing each heatmap to a few pixels
        row.addWidget(scroll_page(self.graphics), 1)
        row.addLayout(side)
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.timeline)
        lay.addLayout(row, 1)

        g = self.graphics
        # what is shown (layer, window, probe) once above the plots; the plots' titles say
        # what each is and its colour scale
        self.info_item = pg.LabelItem("", justify="left", color=theme.FOREGROUND, size="10pt")
        g.addItem(self.info_item, row=0, col=0, colspan=2)
        self.cell_plot = g.addPlot(row=1, col=0)
        self.hidden_plot = g.addPlot(row=2, col=0)
        self.line_plot = g.addPlot(row=3, col=0)
        self.cell_line_plot = g.addPlot(row=4, col=0)
        self.cell_image = pg.ImageItem(axisOrder="row-major")
        self.hidden_image = pg.ImageItem(axisOrder="row-major")
        self.cell_plot.addItem(self.cell_image)
        self.hidden_plot.addItem(self.hidden_image)
        self.cell_bar = pg.ColorBarItem(values=(-1, 1), colorMap=theme.colormap("tanh"),
                                        interactive=False, width=12, colorMapMenu=False)
        self.hidden_bar = pg.ColorBarItem(values=(-1, 1), colorMap=theme.colormap("tanh"),
                                          interactive=False, width=12, colorMapMenu=False)
        self.cell_bar.setImageItem(self.cell_image)
        self.hidden_bar.setImageItem(self.hidden_image)
        # one-letter labels: longer ones ran past a short heatmap's bar into the next
        # bar's label; the scale's words are in the heatmap's title
        theme.style_colorbar(self.cell_bar, "c")
        theme.style_colorbar(self.hidden_bar, "h")
        g.addItem(self.cell_bar, row=1, col=1)
        g.addItem(self.hidden_bar, row=2, col=1)
        theme.style_plot(self.cell_plot, title=CELL_TITLE, y="unit", grid=False)
        theme.style_plot(self.hidden_plot, title=HIDDEN_TITLE, y="unit", grid=False)
        theme.style_plot(self.line_plot, y="h_t")
        theme.style_plot(self.cell_line_plot, x="time step in the window (0 = oldest)",
                         y="c_t")
        self.line_legend = pg.LegendItem(colCount=8, labelTextColor=theme.FOREGROUND,
                                         labelTextSize="9pt")
        g.addItem(self.line_legend, row=5, col=0, colspan=2)  # may be as wide as the page
        g.sigDeviceRangeChanged.connect(self._on_graphics_resized)
        for p in (self.cell_plot, self.hidden_plot, self.line_plot, self.cell_line_plot):
            p.getAxis("left").setWidth(AXIS_WIDTH)
            p.setMenuEnabled(False)
            p.getViewBox().setMinimumHeight(MAP_MIN_PX)
        for p in (self.cell_plot, self.hidden_plot, self.cell_line_plot):
            p.setXLink(self.line_plot)  # the h lines are always there
        for p in (self.cell_plot, self.hidden_plot, self.line_plot):
            p.getAxis("bottom").setStyle(showValues=False)
        self._cell_rows = True  # the c heatmap and c lines are in the layout
        self._rows_styled: bool | None = None  # has_cell the axes and stretches were set for
        self._unit_curves: dict[int, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._snap_key: tuple[int, int] | None = None
        self._snapshots: list = []
        self._trace: Trace | None = None
        self._levels: dict[str, tuple[float, float]] = {}
        self._prepared_cell: str | None = None  # the cell type prepare_cell was given
        self._n_units = 0
        self._n_steps = 0

        self.layer_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.window_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.timeline.snapshot_changed.connect(self._on_timeline_snapshot_changed)
        self.unit_list.itemChanged.connect(self._on_unit_list_item_changed)

    # ------------------------------------------------------------------ properties
    @property
    def layer(self) -> int:
        """0-based layer shown."""
        return max(0, self.layer_combo.currentIndex())

    @property
    def window(self) -> int:
        """0-based probed window shown."""
        return max(0, self.window_combo.currentIndex())

    @property
    def levels(self) -> dict[str, tuple[float, float]]:
        """Colour levels in use: ``{"hidden": (lo, hi), "cell": (lo, hi)}``."""
        return dict(self._levels)

    def picked_units(self) -> list[int]:
        """Units ticked in the list, in ascending order."""
        return [i for i in range(self.unit_list.count())
                if self.unit_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_picked_units(self, units: list[int]) -> None:
        """Tick exactly these units (others are unticked)."""
        self.unit_list.blockSignals(True)
        for i in range(self.unit_list.count()):
            self.unit_list.item(i).setCheckState(
                Qt.CheckState.Checked if i in units else Qt.CheckState.Unchecked)
        self.unit_list.blockSignals(False)
        self._update_lines()

    # ------------------------------------------------------------------ building
    def prebuild(self) -> None:
        """Build what the first probe needs and lay the page out (see
        :meth:`BaseView.prebuild` and :func:`~rnnviz.gui.views.base.lay_out_hidden_page`)."""
        super().prebuild()
        lay_out_hidden_page(self, self.graphics)

    def prepare_cell(self, cell: str) -> None:
        """Fit the page to a cell type ahead of its run's first probe: the c rows are taken
        out for a GRU or a plain RNN (no cell state) and put back for the LSTM family, and
        the page is laid out again. The main window calls it with the Gates view's
        :meth:`~rnnviz.gui.views.gates_view.GatesView.prepare_cell`. While a probe is shown
        the page keeps it; the cell is then fitted when the view is cleared for the next run.

        Parameters
        ----------
        cell : str
            One of ``rnnviz.core.config.CELLS``.

        Raises
        ------
        ValueError
            For another name (the message lists the known ones).
        """
        self._prepared_cell = check_cell(cell, self.title)
        if self._trace is None:
            self._show_cell_rows(cell.startswith("lstm"))
            lay_out_hidden_page(self, self.graphics)

    def _prebuild(self) -> None:
        """Get the page ready for the first probe of the default model (LSTM).

        What does not depend on the probe's shape is made now, not in the first probe's
        frame (it cost that frame 34-38 ms against 5-25 ms for later ones): the titles at a
        probe's length (no new layout for longer titles), the line and legend entry of each
        unit drawn by default (creating them and the legend's new row laid the page out and
        drew every axis again) and numpy's percentile (its first call imports ``numpy.ma``,
        30 ms, where nothing had imported it). Calling it again does nothing new.
        """
        if self._trace is None and not self.info_item.text:
            set_title(self.cell_plot, f"{CELL_TITLE}; colours ±0.000 (p99 of |c|)")
            set_title(self.hidden_plot, f"{HIDDEN_TITLE}; colours fixed −1..1")
            self.info_item.setText(self._info_text(0, 0, "lstm", 0, 0))
            hold_layout(self.info_item)
        if not self._unit_curves:
            for u in range(DEFAULT_UNITS):
                self._add_unit_curves(u)
            fit_legend_columns(self.line_legend, self.graphics)
        robust_max(np.zeros(2, np.float32))

    @staticmethod
    def _info_text(layer: int, w: int, cell: str, epoch: int, step: int) -> str:
        return (f"layer {layer + 1} · window {w + 1} · {cell.upper()} probe at "
                f"epoch {epoch}, step {step}")

    # ------------------------------------------------------------------ drawing
    def _draw(self, history: RunHistory) -> bool | None:
        snaps = history.snapshots
        if not snaps:
            self._clear()
            self.show_message(self.empty_message)
            return
        key = (len(snaps), id(snaps[-1]))
        if key == self._snap_key and self._trace is not None and self.message is None:
            return False  # no new probe: nothing to repaint
        self._snap_key = key
        self._snapshots = list(snaps)
        self._show_snapshot(self.timeline.update_snapshots(self._snapshots))

    def _show_snapshot(self, idx: int) -> None:
        trace = self._snapshots[idx].trace
        self._trace = trace
        self.show_content()
        L, W, T, H = trace.hidden.shape
        fill_combo(self.layer_combo, layer_labels(L))
        fill_combo(self.window_combo, window_labels(trace.window_start))
        if H != self._n_units:
            self._fill_units(H)
            # first and last unit only: more labels overprint on a short heatmap
            ticks = [[(0.0, "0")] + ([(float(H - 1), str(H - 1))] if H > 1 else []), []]
            for p in (self.cell_plot, self.hidden_plot):
                p.getAxis("left").setTicks(ticks)
        has_cell = trace.cell is not None
        self._show_cell_rows(has_cell)
        h_lv, h_txt = hidden_levels(trace.hidden)
        self._levels = {"hidden": h_lv}
        set_bar_levels(self.hidden_bar, h_lv)
        set_title(self.hidden_plot, f"{HIDDEN_TITLE}; {h_txt}")
        if has_cell:
            c_lv, c_txt = cell_levels(trace.cell)  # type: ignore[arg-type]
            self._levels["cell"] = c_lv
            set_bar_levels(self.cell_bar, c_lv)
            set_title(self.cell_plot, f"{CELL_TITLE}; {c_txt}")
        if T != self._n_steps:
            self.line_plot.setXRange(-0.5, T - 0.5, padding=0)
            self._n_steps = T
        self._update_images()
        self.set_subtitle(f"{trace.cell_type.upper()} · epoch {trace.epoch} · step {trace.step}")

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._on_resized)  # once the titles have re-wrapped

    def _on_graphics_resized(self, *_args: Any) -> None:
        fit_legend_columns(self.line_legend, self.graphics)

    def _on_resized(self) -> None:
        if self._trace is not None:
            fit_page_height(self.graphics)

    @property
    def shows_cell(self) -> bool:
        """True when the c heatmap and c lines are in the layout (LSTM family)."""
        return self._cell_rows

    def _show_cell_rows(self, has_cell: bool) -> None:
        """Put the c rows in the layout or take them out (hidden items would keep their
        space in a QGraphicsGridLayout)."""
        if has_cell != self._cell_rows:
            ci = self.graphics.ci
            if has_cell:
                put_into_layout(ci, self.cell_plot, 1, 0)
                put_into_layout(ci, self.cell_bar, 1, 1)
                put_into_layout(ci, self.cell_line_plot, 4, 0)
            else:
                for item in (self.cell_plot, self.cell_bar, self.cell_line_plot):
                    take_out_of_layout(ci, item)
            self._cell_rows = has_cell
        if has_cell == self._rows_styled:
            return  # restyling the axis each probe redrew it
        self._rows_styled = has_cell
        self.line_plot.getAxis("bottom").setStyle(showValues=not has_cell)
        self.line_plot.setLabel("bottom", "time step in the window (0 = oldest)",
                                **{"font-size": theme.LABEL_SIZE, "color": theme.FOREGROUND})
        self.line_plot.showLabel("bottom", not has_cell)
        stretch = ((3 if has_cell else 0), 3, 2, (2 if has_cell else 0))
        for r, f in enumerate(stretch, start=1):
            self.graphics.ci.layout.setRowStretchFactor(r, f)

    def _fill_units(self, n: int) -> None:
        keep = [u for u in self.picked_units() if u < n] or list(range(min(DEFAULT_UNITS, n)))
        self.unit_list.blockSignals(True)
        self.unit_list.clear()
        for u in range(n):
            item = QListWidgetItem(f"unit {u}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if u in keep else Qt.CheckState.Unchecked)
            self.unit_list.addItem(item)
        self.unit_list.blockSignals(False)
        self._n_units = n

    def _update_images(self) -> None:
        trace = self._trace
        if trace is None:
            return
        layer, w = self.layer, self.window
        T = trace.n_steps
        cols: dict[str, np.ndarray] = {"time_step": np.arange(T, dtype=np.int64)}
        h = f32(trace.hidden[layer, w].T)  # (H, T)
        self.hidden_image.setImage(h, autoLevels=False, levels=self._levels["hidden"])
        self.hidden_image.setRect(QRectF(-0.5, -0.5, h.shape[1], h.shape[0]))
        for u in range(h.shape[0]):
            cols[f"h_u{u}"] = h[u]
        if trace.cell is not None:
            c = f32(trace.cell[layer, w].T)  # (H, T)
            self.cell_image.setImage(c, autoLevels=False, levels=self._levels["cell"])
            self.cell_image.setRect(QRectF(-0.5, -0.5, c.shape[1], c.shape[0]))
            for u in range(c.shape[0]):
                cols[f"c_u{u}"] = c[u]
        else:
            self.cell_image.clear()
        self._columns = cols
        text = self._info_text(layer, w, trace.cell_type, trace.epoch, trace.step)
        if self.info_item.text != text:
            self.info_item.setText(text)
            hold_layout(self.info_item)
        fit_page_height(self.graphics)  # a longer title may take another line
        self._update_lines()

    def _update_lines(self) -> None:
        trace = self._trace
        picked = self.picked_units()
        changed = False  # units came or went: the legend's columns are fitted again
        for u in list(self._unit_curves):
            if trace is None and u < DEFAULT_UNITS:
                # kept, empty, for the next run's first probe (see _prebuild)
                for c in self._unit_curves[u]:
                    c.setData([], [])
                continue
            if u not in picked or trace is None:
                hc, cc = self._unit_curves.pop(u)
                self.line_plot.removeItem(hc)
                self.cell_line_plot.removeItem(cc)
                self.line_legend.removeItem(hc)
                changed = True
        if trace is None:
            if changed:
                fit_legend_columns(self.line_legend, self.graphics)
            return
        layer, w = self.layer, self.window
        x = np.arange(trace.n_steps, dtype=np.float32)
        for u in picked:
            if u not in self._unit_curves:
                self._add_unit_curves(u)
                changed = True
            hc, cc = self._unit_curves[u]
            hc.setData(x, f32(trace.hidden[layer, w, :, u]))
            if trace.cell is not None:
                cc.setData(x, f32(trace.cell[layer, w, :, u]))
            else:
                cc.setData([], [])
        if changed:
            fit_legend_columns(self.line_legend, self.graphics)

    def _add_unit_curves(self, u: int) -> None:
        """The h and c lines of unit ``u`` (empty) and its legend entry."""
        col = theme.palette_color(u)
        hc = pg.PlotDataItem(pen=theme.pen(col, 1.8))
        cc = pg.PlotDataItem(pen=theme.pen(col, 1.8))
        self.line_plot.addItem(hc)
        self.cell_line_plot.addItem(cc)
        self.line_legend.addItem(hc, f"unit {u}")
        self._unit_curves[u] = (hc, cc)

    def _image_widget(self) -> QWidget:
        """Pictures show the plots, not the timeline and the unit list."""
        return self.graphics if self.message is None else super()._image_widget()

    def _clear(self) -> None:
        self._trace = None
        self._snap_key = None
        self._snapshots = []
        self.cell_image.clear()
        self.hidden_image.clear()
        self.info_item.setText("")
        self._update_lines()
        self.timeline.update_snapshots([])
        self.set_subtitle("")
        if self._prepared_cell is not None:
            self._show_cell_rows(self._prepared_cell.startswith("lstm"))

    # ------------------------------------------------------------------ slots
    def _on_choice_changed(self, _i: int) -> None:
        self._update_images()

    def _on_timeline_snapshot_changed(self, idx: int) -> None:
        if 0 <= idx < len(self._snapshots):
            self._show_snapshot(idx)

    def _on_unit_list_item_changed(self, _item: QListWidgetItem) -> None:
        self._update_lines()


if __name__ == "__main__":
    from rnnviz.gui.views.demo import run_alone

    raise SystemExit(run_alone(StatesView))
