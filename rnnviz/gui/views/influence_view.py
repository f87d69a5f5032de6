"""InfluenceView: ||d y_hat / d x_t|| against time step — how far back the model looks.

Draws ``trace.influence`` ((W, T)) of the latest probe: one thin line per probed window, their
median in bold, and the medians of a few earlier probes faded behind. Log y axis with whole
decades around the latest probe's values. The "reach" is the number of steps, counted back
from the latest, over which the median stays at or above 1% of its peak.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from rnnviz.core.history import RunHistory
from rnnviz.gui import theme
from rnnviz.gui.views.base import (
    BaseView,
    decade_range,
    finite_positive,
    fit_legend_columns,
    hold_layout,
    nan_reduce,
    row_legend,
    set_title,
)

N_EARLIER = 3
REACH_FRACTION = 0.01
AXIS_WIDTH = 60
TITLE = "‖∂ŷ/∂x_t‖ per time step"

HELP = """
<p><b>What you see.</b> How much the model's prediction would change if the input at time
step t changed a little: ‖∂ŷ/∂x<sub>t</sub>‖, for each probed window (thin lines) and their
median (bold), for the latest probe; faded lines are earlier probes. x is the time step in
the input window (0 = oldest, right = the latest step before the prediction). The y axis is
logarithmic: each grid line is ten times the one below.</p>
<p><b>How far back the model looks.</b> The dashed vertical line marks the oldest step whose
influence is still at least 1% of the peak; the text above gives that reach in steps. A plain
RNN usually looks back only a few steps (its gradient vanishes); an LSTM or GRU trained on
data with long patterns reaches further. If the reach is much shorter than the window, a
shorter lookback would do; if the influence is still high at step 0, a longer lookback may
help.</p>
<p><b>Honest axes.</b> The y range is whole decades around the latest probe's values only,
never the all-time extremes, so a change in shape is not hidden or faked by rescaling.</p>
"""


def reach(median: np.ndarray, fraction: float = REACH_FRACTION) -> tuple[int, int] | None:
    """Oldest step whose value is at least ``fraction`` of the peak, and the reach in steps.

    Parameters
    ----------
    median : ndarray, shape (T,)
    fraction : float

    Returns
    -------
    (t_oldest, steps) or None
        ``steps = T - t_oldest``; None when there is no finite positive value.
    """
    m = np.asarray(median, dtype=np.float64)
    ok = np.isfinite(m) & (m > 0)
    if not ok.any():
        return None
    peak = m[ok].max()
    above = np.flatnonzero(ok & (m >= fraction * peak))
    t0 = int(above[0])
    return t0, m.size - t0


class InfluenceView(BaseView):
    """Input influence per time step of the latest probe, log y, with the model's reach."""

    title = "Influence"
    help_text = HELP
    empty_message = "No probe yet: the input influence appears with the first probe of a run."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = theme.new_graphics()
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graphics, 1)
        self.reach_item = pg.LabelItem("", justify="left", color=theme.FOREGROUND, size="10pt")
        self.graphics.addItem(self.reach_item, row=0, col=0)
        self.plot: pg.PlotItem = theme.add_log_plot(self.graphics, 1, 0)
        theme.style_plot(self.plot, title=TITLE,
                         x="time step in the window (0 = oldest)", y="‖∂ŷ/∂x_t‖")
        self.plot.getAxis("left").setWidth(AXIS_WIDTH)
        # under the plot, not over the curves (in a small plot it covered most of them)
        self.legend = row_legend(self.graphics, 2)
        self.graphics.sigDeviceRangeChanged.connect(
            lambda *_a: fit_legend_columns(self.legend, self.graphics))
        self.earlier_curves: list[pg.PlotDataItem] = []
        for k in range(N_EARLIER):
            c = pg.PlotDataItem(pen=theme.pen("#7f7f7f", 1.2, alpha=60 + 40 * k),
                                connect="finite")
            c.setZValue(-10)
            self.plot.addItem(c)
            self.earlier_curves.append(c)
        self.window_curves: list[pg.PlotDataItem] = []
        self.median_curve = pg.PlotDataItem(pen=theme.pen("actual", 2.6), connect="finite")
        self.plot.addItem(self.median_curve)
        self.legend.addItem(self.median_curve, "median over windows")
        self.reach_line = pg.InfiniteLine(angle=90, movable=False,
                                          pen=theme.pen("cursor", 1.5, dashed=True),
                                          label="1% of peak",
                                          labelOpts={"position": 0.04, "color":
                                                     theme.COLORS["cursor"],
                                                     "anchors": [(0, 1), (0, 1)]})
        self.reach_line.setVisible(False)
        self.plot.addItem(self.reach_line, ignoreBounds=True)
        self._window_sample = pg.PlotDataItem(pen=theme.pen(theme.palette_color(0), 1.0,
                                                            alpha=120))
        self._earlier_sample = pg.PlotDataItem(pen=theme.pen("#7f7f7f", 1.2, alpha=140))
        self.legend.addItem(self._window_sample, "each probed window")
        self.legend.addItem(self._earlier_sample, "earlier probes (median)")
        fit_legend_columns(self.legend, self.graphics)
        self._snap_key: tuple[int, int] | None = None
        self.reach_steps: int | None = None

    @property
    def reach_text(self) -> str:
        """The sentence above the plot (HTML)."""
        return str(self.reach_item.text)

    def _draw(self, history: RunHistory) -> bool | None:
        snaps = history.snapshots
        if not snaps:
            self._clear()
            self.show_message(self.empty_message)
            return
        key = (len(snaps), id(snaps[-1]))
        if key == self._snap_key and self.message is None:
            return False  # no new probe: nothing to repaint
        self._snap_key = key
        self.show_content()
        trace = snaps[-1].trace
        infl = np.asarray(trace.influence, dtype=np.float32)  # (W, T)
        W, T = infl.shape
        x = np.arange(T, dtype=np.float32)
        while len(self.window_curves) < W:
            i = len(self.window_curves)
            c = pg.PlotDataItem(pen=theme.pen(theme.palette_color(i), 1.0, alpha=120),
                                connect="finite")
            self.plot.addItem(c)
            self.window_curves.append(c)
        while len(self.window_curves) > W:
            self.plot.removeItem(self.window_curves.pop())
        cols: dict[str, np.ndarray] = {"time_step": np.arange(T, dtype=np.int64)}
        for w, c in enumerate(self.window_curves):
            y = finite_positive(infl[w])
            c.setData(x, y)
            cols[f"window{w + 1}_row{int(trace.window_start[w])}"] = y
        with np.errstate(all="ignore"):
            med = finite_positive(nan_reduce(np.nanmedian, infl))  # (T,)
        self.median_curve.setData(x, med)
        cols["median"] = med

        earlier = snaps[:-1]
        picks: list[int] = []
        if earlier:
            picks = sorted(set(np.linspace(0, len(earlier) - 1, min(N_EARLIER, len(earlier)))
                               .round().astype(int).tolist()))
        for k, c in enumerate(self.earlier_curves):
            j = k - (N_EARLIER - len(picks))
            snap = earlier[picks[j]] if 0 <= j < len(picks) else None
            ei = None if snap is None else np.asarray(snap.trace.influence, np.float32)
            if ei is None or ei.shape[1] != T:
                c.setData([], [])
                continue
            with np.errstate(all="ignore"):
                em = finite_positive(nan_reduce(np.nanmedian, ei))
            c.setData(x, em)
            cols[f"earlier_step{snap.step}_median"] = em
        # the earlier probes' steps go in the title: a legend entry that changed its width
        # each probe laid the whole page out again
        steps = ", ".join(str(earlier[i].step) for i in picks)
        set_title(self.plot, f"{TITLE}, probe at step {trace.step}"
                  + (f" (faded: {steps})" if picks else ""))

        rng = decade_range(infl)
        if rng is not None:
            self.plot.setYRange(rng[0] - 0.02, rng[1] + 0.02, padding=0)
        self.plot.setXRange(-0.5, T - 0.5, padding=0.02)
        r = reach(med)
        if r is None:
            self.reach_steps = None
            self.reach_line.setVisible(False)
            self.reach_item.setText("No finite influence in this probe.")
        else:
            t0, steps = r
            self.reach_steps = steps
            self.reach_line.setValue(float(t0))
            self.reach_line.setVisible(True)
            if t0 == 0:
                self.reach_item.setText(
                    f"The model looks back over the whole window (<b>{steps}</b> of {T} "
                    "steps): the median influence is still above 1% of its peak at step 0, "
                    "so a longer lookback may help.")
            else:
                self.reach_item.setText(
                    f"The model looks back about <b>{steps}</b> of {T} steps: the median "
                    f"influence stays at or above 1% of its peak from step {t0} to step {T - 1}.")
        hold_layout(self.reach_item)
        self._columns = cols
        self.set_subtitle(f"{trace.cell_type.upper()} · probe at epoch {trace.epoch}, "
                          f"step {trace.step}")

    def _clear(self) -> None:
        self._snap_key = None
        self.reach_steps = None
        for c in self.window_curves + self.earlier_curves + [self.median_curve]:
            c.setData([], [])
        self.reach_line.setVisible(False)
        self.reach_item.setText("")
        set_title(self.plot, TITLE)
        self.set_subtitle("")


if __name__ == "__main__":
    from rnnviz.gui.views.demo import run_alone

    raise SystemExit(run_alone(InfluenceView))
