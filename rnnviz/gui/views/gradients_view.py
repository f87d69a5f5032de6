"""GradientsView: ||dL/dh_t|| against time step (the vanishing-gradient picture), live.

Top: for the latest probe, one line per layer = the median over the probed windows of
``trace.grad_hidden[layer]`` ((W, T) -> (T,)), with a band from the minimum to the maximum
over windows; a few earlier probes are drawn faded behind it. Log y axis whose range is whole
decades around the *latest* probe's values only (never an all-time min/max, which would make
any curve look flat or any change look like vanishing). Bottom: gradient norm of each
parameter group per batch over the whole run (``history.batch_arrays()["grad_<group>"]``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from rnnviz.core.history import GROUPS, RunHistory
from rnnviz.core.trace import Trace
from rnnviz.gui import theme
from rnnviz.gui.views.base import (
    BaseView,
    RangeAnchor,
    decade_range,
    f32,
    finite_positive,
    fit_legend_columns,
    fit_page_height,
    hold_layout,
    nan_reduce,
    row_legend,
    scroll_page,
    set_title,
    x_extent,
)

N_EARLIER = 3
"""Earlier probes drawn faded behind the latest."""
EARLIER_WIDTH = 1.2
"""Width of the faded lines of earlier probes (px)."""


def earlier_pen(layer: int, k: int) -> object:
    """Pen of the ``k``-th faded line (0 = the oldest, the faintest) of a layer: the layer's
    colour, more opaque for newer probes."""
    return theme.pen(theme.palette_color(layer), EARLIER_WIDTH, alpha=50 + 35 * k)

AXIS_WIDTH = 60
PLOT_MIN_PX = 60
"""Least height of each plot's data area; a shorter view scrolls its page."""
STEP_TITLE = "‖∂L/∂h_t‖ per time step"

HELP = """
<p><b>What you see (top).</b> How strongly the loss reaches back to each time step of the
input window: ‖∂L/∂h<sub>t</sub>‖, the size of the gradient arriving at the hidden state of
step t, for the latest probe. The line is the median over the probed windows, the band spans
their minimum to maximum; one colour per layer. Faded lines in the layer's colour are up to
three earlier probes (the fainter, the older), so you can see the picture change as training
goes on. The y axis is logarithmic: each grid line is ten times the one below.</p>
<p><b>How to read it.</b> The loss is computed at the end of the window, so the gradient is
largest at the right. If the line falls by several decades towards the left, the gradient
<i>vanishes</i>: the first steps barely change the weights, so the model cannot learn
long-range patterns (typical of a plain RNN). A line that stays within a decade or two means
the model can learn from the whole window (LSTM, GRU). A line that rises to the left means
exploding gradients: lower the learning rate or enable clipping. The ratio
‖∂L/∂h<sub>1</sub>‖ / ‖∂L/∂h<sub>T</sub>‖ above the plot sums it up (below 1e-4: vanishing).</p>
<p><b>Honest axes.</b> The y range is set to whole decades around the latest probe only, never
stretched to the smallest and largest values ever seen, which would flatten the curve or fake
a vanishing gradient. Earlier (faded) probes may fall outside it.</p>
<p><b>Bottom.</b> The gradient norm of each parameter group (input weights, recurrent weights,
biases, output head) at every batch, on a log axis. Spikes warn of instability; a steady
fall is normal as the loss falls.</p>
"""


def verdict(ratio: float) -> str:
    """Plain words for a gradient ratio ||dL/dh_1|| / ||dL/dh_T||."""
    if not np.isfinite(ratio):
        return "n/a"
    if ratio < 1e-4:
        return "vanishes before the start of the window"
    if ratio < 1e-2:
        return "fades strongly towards the start"
    if ratio > 1e2:
        return "grows towards the start: exploding"
    return "reaches the start of the window"


class GradientsView(BaseView):
    """Per-step gradient norm of the latest probe (log y) and per-group norms over training."""

    title = "Gradients"
    help_text = HELP
    empty_message = "No gradients yet: they appear with the first batch of a run."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = theme.new_graphics()
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        # a small window scrolls the page rather than squeezing each plot to a few pixels
        lay.addWidget(scroll_page(self.graphics), 1)
        # the ratio text lives in the scene so SVG exports carry it too
        self.ratio_item = pg.LabelItem("", justify="left", color=theme.FOREGROUND, size="10pt")
        self.graphics.addItem(self.ratio_item, row=0, col=0)
        self.step_plot: pg.PlotItem = theme.add_log_plot(self.graphics, 1, 0)
        theme.style_plot(self.step_plot, title=STEP_TITLE,
                         x="time step in the window (0 = oldest)", y="‖∂L/∂h_t‖")
        # legends in rows of their own: inside a small plot they covered the curves and
        # were cut by the plot's box
        self.step_legend = row_legend(self.graphics, 2)
        self.group_plot: pg.PlotItem = theme.add_log_plot(self.graphics, 3, 0)
        theme.style_plot(self.group_plot, title="gradient norm per parameter group, every batch",
                         x="global step (batches)", y="‖∂L/∂θ‖")
        self.group_legend = row_legend(self.graphics, 4)
        for p in (self.step_plot, self.group_plot):
            p.getAxis("left").setWidth(AXIS_WIDTH)
            p.getViewBox().setMinimumHeight(PLOT_MIN_PX)
        self.graphics.ci.layout.setRowStretchFactor(1, 3)
        self.graphics.ci.layout.setRowStretchFactor(3, 2)
        self.graphics.sigDeviceRangeChanged.connect(self._on_graphics_resized)

        self.group_curves: dict[str, pg.PlotDataItem] = {}
        for g in GROUPS:
            c = pg.PlotDataItem(pen=theme.pen(theme.GROUP_COLORS[g], 1), name=g,
                                connect="finite")
            self.group_plot.addItem(c)
            theme.decimate(c)  # after addItem, which resets it
            self.group_legend.addItem(c, g)
            self.group_curves[g] = c
        self.group_anchor = RangeAnchor(self.group_plot)  # axes change in steps

        self.median_curves: list[pg.PlotDataItem] = []
        self.min_curves: list[pg.PlotDataItem] = []
        self.max_curves: list[pg.PlotDataItem] = []
        self.bands: list[pg.FillBetweenItem] = []
        self.earlier_curves: list[list[pg.PlotDataItem]] = []  # [k][layer]
        # the legend's sample is drawn as the newest faded line of the first layer (it was
        # grey while the lines were in the layer's light colour)
        self._earlier_sample = pg.PlotDataItem(pen=earlier_pen(0, N_EARLIER - 1))
        self._n_layers = -1
        self._snap_key: tuple[int, int] | None = None
        self._step_columns: dict[str, np.ndarray] = {}
        self._group_columns: dict[str, np.ndarray] = {}
        self.trace: Trace | None = None

    @property
    def ratio_text(self) -> str:
        """The gradient-ratio sentence above the plots (HTML)."""
        return str(self.ratio_item.text)

    # ------------------------------------------------------------------ layout
    def _fit_legends(self) -> bool:
        a = fit_legend_columns(self.step_legend, self.graphics)
        b = fit_legend_columns(self.group_legend, self.graphics)
        return a or b

    def _on_graphics_resized(self, *_args: object) -> None:
        self._fit_legends()
        # a legend may take more or fewer rows: the page's height follows (no change when
        # it is within 2 px, so this settles)
        QTimer.singleShot(0, self, self._fit_height)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)  # type: ignore[arg-type]
        QTimer.singleShot(0, self, self._fit_height)  # once the texts have re-wrapped

    def _fit_height(self) -> None:
        """The page is as tall as its rows need (PLOT_MIN_PX per plot); the view scrolls."""
        fit_page_height(self.graphics)

    # ------------------------------------------------------------------ building
    def _prebuild(self) -> None:
        """Curves for one layer (the default model), made before the first probe needs
        them (~13 ms otherwise spent while the run trains)."""
        if self._n_layers < 0:
            self._build_layers(1)

    def _build_layers(self, n_layers: int) -> None:
        if n_layers == self._n_layers:
            return
        for item in (self.median_curves + self.min_curves + self.max_curves + self.bands
                     + [c for row in self.earlier_curves for c in row]):
            self.step_plot.removeItem(item)
        self.step_legend.clear()
        self.median_curves, self.min_curves, self.max_curves, self.bands = [], [], [], []
        self.earlier_curves = []
        for k in range(N_EARLIER):
            row = []
            for layer in range(n_layers):
                c = pg.PlotDataItem(pen=earlier_pen(layer, k), connect="finite")
                c.setZValue(-10)
                self.step_plot.addItem(c)
                row.append(c)
            self.earlier_curves.append(row)
        for layer in range(n_layers):
            col = theme.palette_color(layer)
            # invisible edges (a None pen would leave the curve empty and the band unfilled)
            lo = pg.PlotDataItem(pen=pg.mkPen((0, 0, 0, 0)), connect="finite")
            hi = pg.PlotDataItem(pen=pg.mkPen((0, 0, 0, 0)), connect="finite")
            band = pg.FillBetweenItem(lo, hi, brush=theme.brush(theme.palette_color(layer, 45)))
            med = pg.PlotDataItem(pen=theme.pen(col, 2.4), connect="finite")
            for item in (lo, hi, band, med):
                self.step_plot.addItem(item)
            self.step_legend.addItem(med, f"layer {layer + 1}, median")
            self.min_curves.append(lo)
            self.max_curves.append(hi)
            self.bands.append(band)
            self.median_curves.append(med)
        band_sample = pg.PlotDataItem(pen=None, fillLevel=0,
                                      fillBrush=theme.brush(theme.palette_color(0, 70)))
        self.step_legend.addItem(band_sample, "min–max over windows")
        self.step_legend.addItem(self._earlier_sample, "earlier probes")
        self._n_layers = n_layers
        self._fit_legends()
        self._fit_height()

    # ------------------------------------------------------------------ drawing
    def _draw(self, history: RunHistory) -> None:
        snaps = history.snapshots
        b = history.batch_arrays()
        if not snaps and b["step"].size == 0:
            self._clear()
            self.show_message(self.empty_message)
            return
        self.show_content()
        step = f32(b["step"])
        gcols: dict[str, np.ndarray] = {"step": b["step"]}
        for g, curve in self.group_curves.items():
            y = finite_positive(b[f"grad_{g}"])
            curve.setData(step, y)
            gcols[f"grad_{g}"] = y
        self._group_columns = gcols
        if step.size:
            last = float(b["step"][-1])  # not the float32 copy: exact past 2**24
            self.group_anchor.update(last, [gcols[f"grad_{g}"] for g in GROUPS], log_y=True,
                                     x_max=x_extent(history, last))
        else:
            self.group_anchor.reset()

        key = (len(snaps), id(snaps[-1])) if snaps else None
        if key != self._snap_key:
            self._snap_key = key
            self._draw_steps(snaps)
        self._columns = {**self._step_columns, **self._group_columns}

    def _draw_steps(self, snaps: list) -> None:
        if not snaps:
            self.trace = None
            self._step_columns = {}
            self.ratio_item.setText("No probe yet: the per-step gradients appear with the "
                                     "first probe.")
            set_title(self.step_plot, STEP_TITLE)
            for item in self.median_curves + self.min_curves + self.max_curves:
                item.setData([], [])
            for row in self.earlier_curves:
                for c in row:
                    c.setData([], [])
            return
        trace = snaps[-1].trace
        self.trace = trace
        g = np.asarray(trace.grad_hidden, dtype=np.float32)  # (L, W, T)
        L, _W, T = g.shape
        self._build_layers(L)
        x = np.arange(T, dtype=np.float32)
        cols: dict[str, np.ndarray] = {"time_step": np.arange(T, dtype=np.int64)}
        shown: list[np.ndarray] = []
        with np.errstate(all="ignore"):
            for layer in range(L):
                med = finite_positive(nan_reduce(np.nanmedian, g[layer]))  # (T,)
                lo = finite_positive(nan_reduce(np.nanmin, g[layer]))
                hi = finite_positive(nan_reduce(np.nanmax, g[layer]))
                self.min_curves[layer].setData(x, lo)
                self.max_curves[layer].setData(x, hi)
                self.median_curves[layer].setData(x, med)
                cols[f"layer{layer + 1}_median"] = med
                cols[f"layer{layer + 1}_min"] = lo
                cols[f"layer{layer + 1}_max"] = hi
                shown += [lo, hi, med]
        earlier = snaps[:-1]
        picks: list[int] = []
        if earlier:
            picks = sorted(set(np.linspace(0, len(earlier) - 1, min(N_EARLIER, len(earlier)))
                               .round().astype(int).tolist()))
        for k, row in enumerate(self.earlier_curves):
            # row 0 is the faintest: the oldest pick goes there
            j = k - (N_EARLIER - len(picks))
            snap = earlier[picks[j]] if 0 <= j < len(picks) else None
            eg = None if snap is None else np.asarray(snap.trace.grad_hidden, np.float32)
            for layer, c in enumerate(row):
                if eg is None or eg.shape[0] <= layer or eg.shape[2] != T:
                    c.setData([], [])
                    continue
                with np.errstate(all="ignore"):
                    em = finite_positive(nan_reduce(np.nanmedian, eg[layer]))
                c.setData(x, em)
                cols[f"earlier_step{snap.step}_layer{layer + 1}_median"] = em
        # the earlier probes' steps go in the title: a legend entry that changed its width
        # each probe laid the whole page out again
        steps_txt = ", ".join(str(earlier[i].step) for i in picks)
        set_title(self.step_plot, f"{STEP_TITLE}, probe at step {trace.step}"
                  + (f" (faded: {steps_txt})" if picks else ""))
        rng = decade_range(*shown)
        if rng is not None:
            # a hair beyond the decades so their labels are drawn
            self.step_plot.setYRange(rng[0] - 0.02, rng[1] + 0.02, padding=0)
        self.step_plot.setXRange(-0.5, T - 0.5, padding=0.02)
        self._step_columns = cols
        parts = []
        for layer in range(L):
            r = trace.gradient_ratio(layer)
            parts.append(f"layer {layer + 1}: <b>{r:.2g}</b> ({verdict(r)})")
        self.ratio_item.setText(
            "‖∂L/∂h<sub>1</sub>‖ / ‖∂L/∂h<sub>T</sub>‖, median over windows — "
            + "; ".join(parts))
        hold_layout(self.ratio_item)
        self._fit_height()  # a longer text may take another line
        self.set_subtitle(f"{trace.cell_type.upper()} · probe at epoch {trace.epoch}, "
                          f"step {trace.step}")

    def _image_widget(self) -> QWidget:
        """Pictures show the whole page of plots, also the part scrolled out of view."""
        return self.graphics if self.message is None else super()._image_widget()

    def _clear(self) -> None:
        self._snap_key = None
        self._draw_steps([])
        for c in self.group_curves.values():
            c.setData([], [])
        self.group_anchor.reset()
        self._group_columns = {}
        self.set_subtitle("")


if __name__ == "__main__":
    from rnnviz.gui.views.demo import run_alone

    raise SystemExit(run_alone(GradientsView))
