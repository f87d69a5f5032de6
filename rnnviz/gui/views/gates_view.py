"""GatesView: one heatmap per gate (time step x unit), animated, with a training timeline.

Orientation: each heatmap's image is ``trace.gates[gate][layer, window].T``, an (H, T)
array (row = unit, column = time step) drawn with ``axisOrder="row-major"``, so x is the time
step (0 = oldest step of the window, T-1 = latest) and y is the unit (0 at the bottom). Pixel
centres sit on integer coordinates, so the cursor at x = t covers column t.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.history import RunHistory
from rnnviz.core.trace import GATE_NAMES, SIGMOID_GATES, Trace
from rnnviz.gui import theme
from rnnviz.gui.views.base import (
    BaseView,
    SnapshotSlider,
    f32,
    fill_combo,
    fit_page_height,
    lay_out_hidden_page,
    layer_labels,
    put_into_layout,
    scroll_page,
    set_bar_levels,
    set_title,
    take_out_of_layout,
    window_labels,
)

AXIS_WIDTH = 52
MAX_GATES = 4
"""Gate rows built once per view (LSTM has 4 gates, GRU 3)."""
MAP_MIN_PX = 36
"""Least height of a heatmap (and of the input curves); a shorter view scrolls its plots."""
BAR_TICKS = {"sigmoid": [(0.0, "0"), (0.5, "0.5"), (1.0, "1")],
             "tanh": [(-1.0, "−1"), (0.0, "0"), (1.0, "1")]}
"""The labels of the colour bars: their fixed scales' ends and middle."""
NO_GATES = "a plain RNN has no gates; see States"

GATE_TITLES = {
    "input": "input gate i — how much of the candidate is written (0..1)",
    "forget": "forget gate f — how much of the cell state is kept (0..1)",
    "cell": "candidate g — the new content proposed (−1..1)",
    "output": "output gate o — how much of the cell is shown in h (0..1)",
    "reset": "reset gate r — how much of the old h the candidate sees (0..1)",
    "update": "update gate z — how much of the old h is kept (0..1)",
    "new": "candidate n — the new content proposed (−1..1)",
}

HELP = """
<p><b>What you see.</b> One heatmap per gate for one probed input window: x is the time step
inside the window (0 = oldest, right = latest), y is the hidden unit. Sigmoid gates use a
fixed 0..1 colour scale (dark = closed, yellow = open); the candidate (<i>cell</i> / <i>new</i>,
a tanh) uses a fixed −1..1 blue-white-red scale. The scales never rescale themselves, so
colours mean the same thing in every snapshot.</p>
<p><b>Play / scrub</b> moves a cursor over the time steps; the marker on the input plot above
shows which input value the gates are reacting to.</p>
<p><b>Training timeline.</b> The slider replays the probes recorded during training, from
before the first batch to now. Left of the end it stays where you put it; at the right end it
follows new probes.</p>
<p><b>How to read it.</b> A forget gate (LSTM) or update gate (GRU) that stays near 1 keeps
information for many steps: that is how these cells remember. Rows stuck at 0 or 1 for every
step are saturated units. Gates that change with the input (vertical stripes following the
input) show the cell deciding when to write, keep and show its memory.</p>
"""


def check_cell(cell: str, view: str) -> str:
    """``cell`` when it is a known cell type; a ValueError naming the known ones otherwise."""
    if cell not in GATE_NAMES:
        raise ValueError(f"Unknown cell type {cell!r}: the {view} view knows "
                         f"{', '.join(GATE_NAMES)}.")
    return cell


def gate_levels(gate: str) -> tuple[float, float]:
    """Fixed colour levels: (0, 1) for sigmoid gates, (-1, 1) for tanh candidates."""
    return (0.0, 1.0) if gate in SIGMOID_GATES else (-1.0, 1.0)


class GatesView(BaseView):
    """Gate heatmaps with play/pause/scrub over time steps and a training-timeline slider."""

    title = "Gates"
    help_text = HELP
    empty_message = "No probe yet: the gates appear with the first probe of a run."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("Recurrent layer to show (layer 1 reads the inputs).")
        self.window_combo = QComboBox()
        self.window_combo.setToolTip("Which probed input window to show.")
        self.add_header_widget(self.layer_combo)
        self.add_header_widget(self.window_combo)

        self.play_button = QToolButton()
        self.play_button.setCheckable(True)
        self.play_button.setText("▶ play")
        self.play_button.setToolTip("Animate the cursor over the time steps of the window.")
        self.step_slider = QSlider()
        self.step_slider.setOrientation(self.step_slider.orientation().Horizontal)
        self.step_slider.setRange(0, 0)
        self.step_slider.setToolTip("Scrub over the time steps of the window.")
        self.step_label = QLabel("t = 0")
        self.step_label.setMinimumWidth(90)
        self.timeline = SnapshotSlider()
        self.timer = QTimer(self)
        self.timer.setInterval(120)

        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(self.play_button)
        controls.addWidget(QLabel("time step"))
        controls.addWidget(self.step_slider, 1)
        controls.addWidget(self.step_label)
        self.graphics = theme.new_graphics()
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(controls)
        lay.addWidget(self.timeline)
        # a small window scrolls the plots rather than squeezing each heatmap to a few pixels
        self.scroll = scroll_page(self.graphics)
        lay.addWidget(self.scroll, 1)
        self._units_ticked = 0  # units H the heatmaps' unit axes are labelled for

        self._structure: tuple[Any, ...] | None = None
        self._prepared_cell: str | None = None  # the cell type prepare_cell was given
        self._x_steps = 0
        self._snap_key: tuple[int, int] | None = None
        self._snapshots: list[Any] = []
        self._trace: Trace | None = None
        self.images: dict[str, pg.ImageItem] = {}
        self.gate_plots: dict[str, pg.PlotItem] = {}
        self.colorbars: dict[str, pg.ColorBarItem] = {}
        self._cursors: list[pg.InfiniteLine] = []
        self._rows: list[tuple[pg.PlotItem, pg.ImageItem, pg.ColorBarItem]] = []
        self._rows_shown = 0
        self.input_plot: pg.PlotItem | None = None
        self.input_curves: list[pg.PlotDataItem] = []
        self.input_marker: pg.ScatterPlotItem | None = None

        self.layer_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.window_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.play_button.toggled.connect(self._on_play_button_toggled)
        self.step_slider.valueChanged.connect(self._on_step_slider_value_changed)
        self.timeline.snapshot_changed.connect(self._on_timeline_snapshot_changed)
        self.timer.timeout.connect(self._on_timer_timeout)

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
    def time_step(self) -> int:
        """Time step under the cursor."""
        return int(self.step_slider.value())

    @property
    def trace(self) -> Trace | None:
        """The Trace shown (the snapshot picked on the timeline)."""
        return self._trace

    # ------------------------------------------------------------------ building
    def _prebuild(self) -> None:
        """Create the plot items now (a plot, an image and a colour bar per gate, ~0.1 s).

        The first probe otherwise pays for it while training runs, as a stall of the window;
        :meth:`prebuild` (the main window calls it when data are ready) calls this. Calling
        it again does nothing.
        """
        if self._rows:
            return
        ip = self.graphics.addPlot(row=0, col=0)
        theme.style_plot(ip, title="input window (scaled)", y="input")
        ip.setMenuEnabled(False)
        ip.getAxis("left").setWidth(AXIS_WIDTH)
        ip.getAxis("bottom").setStyle(showValues=False)
        self.input_marker = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1),
                                               brush=theme.color("cursor"))
        ip.addItem(self.input_marker)
        self.input_plot = ip
        ip.getViewBox().setMinimumHeight(MAP_MIN_PX)
        self._add_cursor(ip)
        # room as wide as a colour bar right of the input plot: its time steps line up with
        # the heatmaps' columns
        self._bar_room = pg.GraphicsWidget()
        ip.layout.addItem(self._bar_room, 2, 5)
        ip.layout.setColumnFixedWidth(4, 5)
        for r in range(1, MAX_GATES + 1):
            p = self.graphics.addPlot(row=r, col=0)
            theme.style_plot(p, title=" ", y="unit", grid=False)
            p.setMenuEnabled(False)
            p.getAxis("left").setWidth(AXIS_WIDTH)
            p.setXLink(ip)
            img = pg.ImageItem(axisOrder="row-major")
            p.addItem(img)
            bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=theme.colormap("sigmoid"),
                                  interactive=False, width=12, colorMapMenu=False)
            # in the plot's own layout, in the row of its heatmap: the bar is exactly as high
            # as the heatmap (in a column of the page it spanned the title and the time axis
            # too, and ran below the last heatmap)
            bar.setImageItem(img, insert_in=p)
            theme.style_colorbar(bar)
            self._add_cursor(p)
            self._rows.append((p, img, bar))
        bar_width = float(self._rows[0][2].effectiveSizeHint(Qt.SizeHint.PreferredSize).width())
        self._bar_room.setMinimumWidth(bar_width)
        self._bar_room.setMaximumWidth(bar_width)
        self._rows_shown = MAX_GATES
        self.graphics.ci.layout.setRowStretchFactor(0, 2)
        # the page of the default model (LSTM, one input), titles included, so that the
        # first probe changes only what differs (a GRU retitles and takes a row out)
        self._apply_structure(GATE_NAMES["lstm"], 1, ())
        set_title(self.input_plot, self._input_title(0, 0, "lstm", 0, 0))

    def prebuild(self) -> None:
        """Build the page of the default model (LSTM) and lay it out (see
        :meth:`BaseView.prebuild` and :func:`~rnnviz.gui.views.base.lay_out_hidden_page`)."""
        super().prebuild()
        lay_out_hidden_page(self, self.graphics)

    def prepare_cell(self, cell: str) -> None:
        """Build the page of a cell type ahead of its run's first probe.

        :meth:`prebuild` builds the page of the default model (LSTM); a GRU or a
        coupled-gate LSTM has other gates (titles, colour maps, scales, one row fewer), and
        fitting the page to them cost its first probe's frame about 20 ms of building and
        75 ms of painting. The main window calls this when the data are ready and whenever
        the model's cell setting changes (before Start). The page is fitted, laid out and
        painted once off screen now; a plain RNN (no gates) needs nothing.

        While a probe is shown (a finished run) the page keeps that probe's gates; the cell
        is then fitted when the view is cleared for the next run.

        Parameters
        ----------
        cell : str
            One of ``rnnviz.core.config.CELLS``: ``"rnn"``, ``"lstm"``, ``"gru"``,
            ``"lstm_peephole"``, ``"lstm_coupled"``.

        Raises
        ------
        ValueError
            For another name (the message lists the known ones).
        """
        self._prepared_cell = check_cell(cell, self.title)
        if self._trace is not None:
            return  # the shown probe keeps its page; _clear fits it to the cell
        self._fit_cell(cell)
        lay_out_hidden_page(self, self.graphics)

    def _fit_cell(self, cell: str) -> None:
        """Fit the prebuilt rows to a cell type's gates (a plain RNN keeps the page)."""
        gates = GATE_NAMES[cell][:MAX_GATES]
        if not gates:
            return
        self._prebuild()
        F, names = (self._structure[1], self._structure[2]) if self._structure else (1, ())
        self._apply_structure(gates, F, names)
        set_title(self.input_plot, self._input_title(0, 0, cell, 0, 0))

    def _build(self, trace: Trace) -> None:
        """Fit the prebuilt rows to the trace's gates (retitle, recolour, show as many rows
        as gates) and its input features; plot items are created once per view."""
        gates = tuple(g for g in GATE_NAMES.get(trace.cell_type, tuple(trace.gates))
                      if g in trace.gates)[:MAX_GATES]
        self._prebuild()
        self._apply_structure(gates, trace.inputs.shape[2], tuple(trace.feature_names))

    def _apply_structure(self, gates: tuple[str, ...], F: int, names: tuple[str, ...]) -> None:
        """Show one row per gate (titled, coloured) and one input curve per feature; rows
        whose gate did not change are left as they are."""
        key = (gates, F, names)
        if key == self._structure:
            return
        old = self._structure
        self._structure = key
        self._x_steps = 0
        if old is None or old[1:] != key[1:]:
            self._build_inputs(F, names)
        if old is not None and old[0] == gates:
            return
        self.images.clear()
        self.gate_plots.clear()
        self.colorbars.clear()
        ci = self.graphics.ci
        for r, (p, img, bar) in enumerate(self._rows):
            shown = r < len(gates)
            if shown and r >= self._rows_shown:  # put the row back in the layout
                put_into_layout(ci, p, r + 1, 0)
            elif not shown and r < self._rows_shown:  # hidden items would keep their space
                take_out_of_layout(ci, p)
            ci.layout.setRowStretchFactor(r + 1, 3 if shown else 0)
            p.getViewBox().setMinimumHeight(MAP_MIN_PX if shown else 0)
            if not shown:
                img.clear()
                continue
            g = gates[r]
            kind = "sigmoid" if g in SIGMOID_GATES else "tanh"
            if getattr(bar, "_rnnviz_kind", None) != kind:  # setting it again redrew the bar
                bar.setColorMap(theme.colormap(kind))
                # three labels (ends and middle): as high as a heatmap, the bar's own six
                # labels ran into each other
                bar.axis.setTicks([BAR_TICKS[kind], []])
                bar._rnnviz_kind = kind  # type: ignore[attr-defined]
            set_bar_levels(bar, gate_levels(g))
            set_title(p, GATE_TITLES.get(g, g))
            last = r == len(gates) - 1
            if getattr(p, "_rnnviz_last", None) != last:  # restyling redrew the axis
                p._rnnviz_last = last  # type: ignore[attr-defined]
                p.getAxis("bottom").setStyle(showValues=last)
                if last:
                    theme.style_plot(p, x="time step in the window (0 = oldest)", grid=False)
                p.showLabel("bottom", last)
            self.images[g] = img
            self.gate_plots[g] = p
            self.colorbars[g] = bar
        self._rows_shown = len(gates)
        self._fit_height()

    def _fit_height(self) -> None:
        """The page is as tall as its rows need (MAP_MIN_PX per heatmap); the view scrolls."""
        if self._rows_shown:
            fit_page_height(self.graphics)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._rows_shown:
            QTimer.singleShot(0, self, self._fit_height)  # once the titles have re-wrapped

    def _build_inputs(self, F: int, feature_names: tuple[str, ...]) -> None:
        """One curve per input feature in the input plot (cheap: no new plot)."""
        ip = self.input_plot
        assert ip is not None
        for c in self.input_curves:
            ip.removeItem(c)
        if ip.legend is not None:
            ip.legend.clear()
        names = list(feature_names) or [f"input {i + 1}" for i in range(F)]
        legend = ip.legend if ip.legend is not None else (theme.add_legend(ip) if F > 1
                                                          else None)
        self.input_curves = []
        for f in range(F):
            c = pg.PlotDataItem(pen=theme.pen(theme.palette_color(f), 1.6), name=names[f])
            ip.addItem(c)
            self.input_curves.append(c)
        if legend is not None:
            legend.setVisible(1 < F <= 8)

    def _add_cursor(self, plot: pg.PlotItem) -> None:
        line = pg.InfiniteLine(angle=90, movable=False, pen=theme.pen("cursor", 2))
        line.setZValue(10)
        plot.addItem(line, ignoreBounds=True)
        self._cursors.append(line)

    # ------------------------------------------------------------------ drawing
    def _draw(self, history: RunHistory) -> bool | None:
        snaps = history.snapshots
        if not snaps:
            self._clear()
            self.show_message(self.empty_message)
            return
        key = (len(snaps), id(snaps[-1]))
        if key == self._snap_key and self._trace is not None and self.message is None:
            return False  # batches arrived, no new probe: nothing to repaint
        self._snap_key = key
        self._snapshots = list(snaps)
        idx = self.timeline.update_snapshots(self._snapshots)
        self._show_snapshot(idx)

    def _show_snapshot(self, idx: int) -> None:
        trace = self._snapshots[idx].trace
        self._trace = trace
        if not GATE_NAMES.get(trace.cell_type, tuple(trace.gates)) or not trace.gates:
            self.play_button.setChecked(False)
            self.layer_combo.setVisible(False)
            self.window_combo.setVisible(False)
            self.show_message(NO_GATES)
            self._columns = {}
            return
        self.show_content()
        self.layer_combo.setVisible(True)
        self.window_combo.setVisible(True)
        self._build(trace)
        L, T = trace.n_layers, trace.n_steps
        fill_combo(self.layer_combo, layer_labels(L))
        fill_combo(self.window_combo, window_labels(trace.window_start))
        self.step_slider.setRange(0, T - 1)
        if self.input_plot is not None and self._x_steps != T:
            self.input_plot.setXRange(-0.5, T - 0.5, padding=0)
            self._x_steps = T
        self._update_images()
        self.set_subtitle(f"{trace.cell_type.upper()} · epoch {trace.epoch} · step {trace.step}")

    def _update_images(self) -> None:
        trace = self._trace
        if trace is None or not self.images:
            return
        layer, w = self.layer, self.window
        T = trace.n_steps
        cols: dict[str, np.ndarray] = {"time_step": np.arange(T, dtype=np.int64)}
        x = np.arange(T, dtype=np.float32)
        names = list(trace.feature_names) or [f"{i + 1}" for i in range(len(self.input_curves))]
        for f, curve in enumerate(self.input_curves):
            y = f32(trace.inputs[w, :, f])
            curve.setData(x, y)
            cols[f"x_{names[f]}"] = y  # x_t, the model's input ("input_" is the LSTM's gate)
        for g, img in self.images.items():
            a = f32(trace.gates[g][layer, w].T)  # (H, T): row = unit, column = time step
            img.setImage(a, autoLevels=False, levels=gate_levels(g))
            img.setRect(QRectF(-0.5, -0.5, a.shape[1], a.shape[0]))
            for u in range(a.shape[0]):
                cols[f"{g}_u{u}"] = a[u]
        H = next((int(trace.gates[g].shape[-1]) for g in self.images), 0)
        if H != self._units_ticked:
            # first and last unit only: more labels overprint on a short heatmap
            ticks = [[(0.0, "0")] + ([(float(H - 1), str(H - 1))] if H > 1 else []), []]
            for p in self.gate_plots.values():
                p.getAxis("left").setTicks(ticks)
            self._units_ticked = H
        self._columns = cols
        if self.input_plot is not None:
            set_title(self.input_plot, self._input_title(w, layer, trace.cell_type,
                                                         trace.epoch, trace.step))
            self._fit_height()  # a longer title may take another line
        self._set_cursor(self.time_step)

    @staticmethod
    def _input_title(w: int, layer: int, cell: str, epoch: int, step: int) -> str:
        return (f"input window {w + 1} (scaled) · layer {layer + 1} · "
                f"{cell.upper()} probe at epoch {epoch}, step {step}")

    def _set_cursor(self, t: int) -> None:
        trace = self._trace
        for line in self._cursors:
            line.setValue(float(t))
        if trace is None:
            return
        t = min(t, trace.n_steps - 1)
        if self.input_marker is not None:
            y = trace.inputs[self.window, t, :]
            self.input_marker.setData(np.full(y.shape, float(t), np.float32), f32(y))
        self.step_label.setText(f"t = {t} / {trace.n_steps - 1}")

    def _image_widget(self) -> QWidget:
        """Pictures show the plots, not the play and timeline controls."""
        return self.graphics if self.message is None else super()._image_widget()

    def _clear(self) -> None:
        self.timer.stop()
        self.play_button.setChecked(False)
        self._trace = None
        self._snap_key = None
        self._snapshots = []
        for img in self.images.values():
            img.clear()
        for c in self.input_curves:
            c.setData([], [])
        self.timeline.update_snapshots([])
        self.set_subtitle("")
        if self._prepared_cell is not None:
            self._fit_cell(self._prepared_cell)

    # ------------------------------------------------------------------ slots
    def _on_choice_changed(self, _i: int) -> None:
        self._update_images()

    def _on_timeline_snapshot_changed(self, idx: int) -> None:
        if 0 <= idx < len(self._snapshots):
            self._show_snapshot(idx)

    def _on_step_slider_value_changed(self, t: int) -> None:
        self._set_cursor(t)

    def _on_play_button_toggled(self, on: bool) -> None:
        self.play_button.setText("⏸ pause" if on else "▶ play")
        if on and self._trace is not None:
            self.timer.start()
        else:
            self.timer.stop()

    def _on_timer_timeout(self) -> None:
        n = self.step_slider.maximum() + 1
        self.step_slider.setValue((self.step_slider.value() + 1) % max(n, 1))

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        """Stop the animation when the view is hidden (no timer runs for nothing)."""
        self.play_button.setChecked(False)
        super().hideEvent(event)


if __name__ == "__main__":
    from rnnviz.gui.views.demo import run_alone

    raise SystemExit(run_alone(GatesView))
