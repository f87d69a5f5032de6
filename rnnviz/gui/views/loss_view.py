"""LossView: training and validation loss over the run, with baselines and learning rate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QCheckBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from rnnviz.core.history import RunHistory, smooth
from rnnviz.gui import theme
from rnnviz.gui.views.base import (
    BaseView,
    RangeAnchor,
    TextStrip,
    f32,
    fit_legend_columns,
    row_legend,
    x_extent,
)

BASELINE_LEADER_PX = 8.0
"""Length of the short line from a baseline's end to its label in the right margin (px)."""
BASELINE_LABEL_GAP = 1.0
"""Pixels between two stacked baseline labels."""

HELP = """
<p><b>What you see.</b> The loss (the training objective, in the model's scaled units) against
the global step (one step = one batch). The thin light-blue line is the loss of every training
batch; the thick blue line is its trailing moving average over the number of batches stated in
the legend ("train, 50-batch mean"). Dots joined by lines are per-epoch means: blue for training, orange for
<b>validation</b> (windows the model never trains on).</p>
<p><b>Baselines</b> (grey dashed, named with their value in the right margin) are the
validation loss of simple forecasts on the same windows. A model worth having ends below
them.</p>
<ul>
<li><b>naive</b>: the window's last value, repeated for every step predicted (tomorrow =
today).</li>
<li><b>seasonal naive</b>: the value one season earlier (the same hour yesterday for hourly
data, the same day last week for daily data); shown when the data's time step gives a
season, or one is set.</li>
<li><b>mean</b>: the mean of the training targets, the same for every window.</li>
<li><b>dense</b>: a small fully connected network (one hidden layer of 32 ReLU units) on the
flattened lookback window, trained briefly on the training windows: what a model without
recurrence achieves.</li>
</ul>
<p><b>Purple vertical lines</b> mark learning-rate changes.</p>
<p><b>How to read it.</b> Both curves falling: learning. Training falling while validation
rises: over-fitting (stop earlier, add dropout, or use more data). Flat from the start: the
learning rate is too low or the model cannot use the inputs. Tick <i>log y</i> when the loss
spans several decades.</p>
"""


def loss_table(b: dict[str, np.ndarray], e: dict[str, np.ndarray],
               baselines: dict[str, float], window: int) -> dict[str, np.ndarray]:
    """The Loss view's CSV: one row per batch, keyed by its global step.

    ``epoch`` is the epoch the batch belongs to; the epoch's train and validation losses sit
    on the row of its last batch (empty elsewhere); ``lr`` is the rate the batch used (a
    change shows where it changes); each baseline's validation loss is a column of its own.
    Earlier exports set a batch table, an epoch table, the baselines and the learning-rate
    changes side by side in the same rows, which read as one table and was not.

    Parameters
    ----------
    b, e : dict of str to ndarray
        ``RunHistory.batch_arrays()`` and ``RunHistory.epoch_arrays()``.
    baselines : dict of str to float
    window : int
        The smoothing window (named in the smoothed column).
    """
    steps = np.asarray(b["step"], dtype=np.int64)
    e_steps = np.asarray(e["step"], dtype=np.int64)
    # the epoch a batch belongs to: the first epoch whose last step is at or after it
    epoch_of = np.searchsorted(e_steps, steps) + 1
    where = np.searchsorted(steps, e_steps)
    found = (where < steps.size) & (steps[np.minimum(where, max(steps.size - 1, 0))] == e_steps)
    e_train = np.full(steps.size, np.nan)
    e_val = np.full(steps.size, np.nan)
    e_train[where[found]] = np.asarray(e["train_loss"], dtype=np.float64)[found]
    e_val[where[found]] = np.asarray(e["val_loss"], dtype=np.float64)[found]
    out: dict[str, np.ndarray] = {
        "step": steps,
        "epoch": epoch_of.astype(np.int64),
        "batch_loss": np.asarray(b["loss"], dtype=np.float64),
        f"batch_loss_smoothed_{window}": smooth(np.asarray(b["loss"], dtype=np.float64),
                                                window),
        "lr": np.asarray(b["lr"], dtype=np.float64),
        "epoch_train_loss": e_train,
        "epoch_val_loss": e_val,
    }
    for name, value in baselines.items():
        out[f"baseline_{name}"] = np.full(steps.size, float(value))
    return out


def spread_labels(centres: list[float], size: float, lo: float, hi: float) -> list[float]:
    """Tops of labels of height ``size`` centred on ``centres`` (sorted, ascending) where
    they do not overlap; labels that would are stacked, centred on their centres' mean,
    and kept between ``lo`` and ``hi`` as far as they fit.

    Parameters
    ----------
    centres : list of float
        Wanted centres, ascending (pixels, y down).
    size : float
        Height of a label plus the gap to the next.
    lo, hi : float
        Room available.

    Returns
    -------
    list of float
        One top per centre, in the same order, each at least ``size`` below the previous.
    """
    groups: list[list[float]] = [[c] for c in centres]

    def top(group: list[float]) -> float:
        t = sum(group) / len(group) - len(group) * size / 2
        return max(lo, min(t, hi - len(group) * size))

    merged = True
    while merged:
        merged = False
        for i in range(len(groups) - 1):
            if top(groups[i]) + len(groups[i]) * size > top(groups[i + 1]) + 1e-9:
                groups[i] += groups.pop(i + 1)
                merged = True
                break
    tops: list[float] = []
    for group in groups:
        t = top(group)
        tops += [t + k * size for k in range(len(group))]
    return tops


class LossView(BaseView):
    """Per-batch and per-epoch loss, baselines, learning-rate changes, log-scale toggle."""

    title = "Loss"
    help_text = HELP
    empty_message = "No loss yet: press Start (Space) to start a run."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.smooth_spin = QSpinBox()
        self.smooth_spin.setRange(1, 10_000)
        self.smooth_spin.setValue(50)
        self.smooth_spin.setSuffix(" batches")
        self.smooth_spin.setToolTip("Width of the trailing moving average of the batch loss.")
        self.log_check = QCheckBox("log y")
        self.log_check.setToolTip("Logarithmic loss axis (useful when the loss spans decades).")
        self.add_header_widget(QLabel("smoothing"))
        self.add_header_widget(self.smooth_spin)
        self.add_header_widget(self.log_check)

        self.graphics = theme.new_graphics(self.content)
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graphics)
        self.plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0)
        theme.style_plot(self.plot, x="global step (batches)", y="loss (scaled units)")
        # the legend sits in a row of its own under the plot: inside the plot it covered the
        # curves (the first batches and the baselines run through every corner of it)
        self.legend = row_legend(self.graphics, 1)
        self.graphics.ci.layout.setRowStretchFactor(0, 1)
        self.graphics.ci.layout.setRowStretchFactor(1, 0)
        # the baselines are named in the right margin (the plot's right axis, without ticks),
        # at the height of their line, stacked when lines are close: inside the plot the
        # names covered the curves that end near them, and each other
        self.margin = TextStrip("right")
        self.plot.setAxisItems({"right": self.margin})
        self.plot.showAxis("right", False)
        self._metrics = QFontMetricsF(theme.tick_font())
        self._label_height = 2 * float(self._metrics.lineSpacing())
        self._baseline_texts: dict[str, str] = {}  # name -> the two lines drawn

        def curve(name: str, **kw: object) -> pg.PlotDataItem:
            item = pg.PlotDataItem(name=name, **kw)
            self.plot.addItem(item)
            theme.decimate(item)  # after addItem, which resets it
            self.legend.addItem(item, name)
            return item

        self.batch_curve = curve("train, each batch", pen=theme.pen("train_raw", 1))
        self.smooth_curve = curve("train, 50-batch mean", pen=theme.pen("train", 2))
        self.epoch_train_curve = curve(
            "train, epoch mean", pen=theme.pen("train", 1.5, dashed=True), symbol="o",
            symbolSize=6, symbolBrush=theme.color("train"), symbolPen=None)
        self.epoch_val_curve = curve(
            "validation, epoch", pen=theme.pen("validation", 2), symbol="o", symbolSize=7,
            symbolBrush=theme.color("validation"), symbolPen=None)
        # legend samples for the line kinds that are not curves
        self._lr_sample = pg.PlotDataItem(pen=theme.pen("lr", 1.2, dotted=True))
        self._baseline_lines: dict[str, pg.InfiniteLine] = {}
        self._baseline_values: dict[str, float] = {}
        self._lr_lines: list[pg.InfiniteLine] = []
        self._legend_extra: set[str] = set()
        self.anchor = RangeAnchor(self.plot)  # axes change in steps, not at every frame
        self._epoch_key: object = None  # what the epoch curves, baselines and learning-rate
        self._baseline_key: object = None  # lines show (redrawn only when it changes)
        self._lr_key: object = None

        self.smooth_spin.valueChanged.connect(self._on_smooth_spin_value_changed)
        self.log_check.toggled.connect(self._on_log_check_toggled)
        vb = self.plot.getViewBox()
        vb.sigRangeChanged.connect(self._on_view_box_range_changed)
        vb.sigResized.connect(self._on_view_box_resized)
        self.graphics.sigDeviceRangeChanged.connect(self._on_graphics_resized)

    # ------------------------------------------------------------------ drawing
    @property
    def smooth_window(self) -> int:
        """Number of batches in the moving average."""
        return int(self.smooth_spin.value())

    def _draw(self, history: RunHistory) -> None:
        b = history.batch_arrays()
        e = history.epoch_arrays()
        if b["step"].size == 0 and e["step"].size == 0:
            self._clear()
            self.show_message(self.empty_message)
            return
        self.show_content()
        window = self.smooth_window
        step = f32(b["step"])
        loss = f32(b["loss"])
        smoothed = f32(smooth(b["loss"], window))
        e_step = f32(e["step"])
        e_train = f32(e["train_loss"])
        e_val = f32(e["val_loss"])
        self.batch_curve.setData(step, loss)
        self.smooth_curve.setData(step, smoothed)
        # the epoch curves (symbols are costly to set) change once per epoch, not per frame
        ekey = (history.started, len(history.epochs),
                history.epochs[-1] if history.epochs else None)
        if ekey != self._epoch_key:
            self.epoch_train_curve.setData(e_step, e_train)
            self.epoch_val_curve.setData(e_step, e_val)
            self._epoch_key = ekey
        label = self.legend.getLabel(self.smooth_curve)
        text = f"train, {window}-batch mean"
        if label is not None and label.text != text:  # relabelling relays out the legend
            label.setText(text)
            fit_legend_columns(self.legend, self.graphics, (4, 2))

        baselines = dict(history.started.baseline_losses) if history.started else {}
        if (baselines, self.log_check.isChecked()) != self._baseline_key:
            self._set_baselines(baselines)
            self._baseline_key = (baselines, self.log_check.isChecked())
        last = float(b["step"][-1]) if b["step"].size else float(e["step"][-1])
        self.anchor.update(last, [loss, smoothed, e_train, e_val,
                                  np.asarray(list(baselines.values()), np.float64)],
                           log_y=self.log_check.isChecked(), x_max=x_extent(history, last))
        if history.lr_changes != self._lr_key:
            self._set_lr_changes(list(history.lr_changes))
            self._lr_key = list(history.lr_changes)
        self._table_args = (b, e, dict(baselines), window)  # the CSV is made on export
        epochs_txt = f"epoch {int(e['epoch'][-1])}" if e["epoch"].size else ""
        self.set_subtitle(f"{epochs_txt} · {b['step'].size} batches".strip(" ·"))

    def data_columns(self) -> dict[str, np.ndarray]:
        """The arrays last drawn, one row per batch (:func:`loss_table`)."""
        args = getattr(self, "_table_args", None)
        return {} if args is None else loss_table(*args)

    def _y_pos(self, value: float) -> float:
        """Position of a horizontal line in view coordinates (log10 in log mode)."""
        if self.log_check.isChecked():
            return math.log10(value) if value > 0 else float("nan")
        return value

    def _set_baselines(self, baselines: dict[str, float]) -> None:
        for name in list(self._baseline_lines):
            if name not in baselines:
                self.plot.removeItem(self._baseline_lines.pop(name))
                self._baseline_texts.pop(name, None)
        for name, value in baselines.items():
            line = self._baseline_lines.get(name)
            if line is None:
                line = pg.InfiniteLine(angle=0, movable=False,
                                       pen=theme.pen("baseline", 1.5, dashed=True))
                line.setZValue(-5)
                self.plot.addItem(line, ignoreBounds=False)
                self._baseline_lines[name] = line
            # two short lines: the margin stays narrow
            self._baseline_texts[name] = f"{name.replace('_', ' ')}\n{value:.3g}"
            line.setValue(self._y_pos(value))
        self._baseline_values = dict(baselines)
        widest = max((self._text_width(t) for t in self._baseline_texts.values()), default=0.0)
        self.plot.showAxis("right", bool(baselines))
        self.margin.setWidth(int(math.ceil(widest + BASELINE_LEADER_PX + 6)))
        self._place_baseline_labels()

    def _text_width(self, text: str) -> float:
        return max(self._metrics.horizontalAdvance(s) for s in text.split("\n")) + 2

    def _place_baseline_labels(self) -> None:
        """Put each baseline's name in the right margin at the height of its line, stacked
        without overlap when lines are close (a short line joins each name to its line).

        The margin is repainted only when a place changed (called when the baselines, the
        axis range or the plot's size change, not at every frame).
        """
        vb = self.plot.getViewBox()
        (_x0, _x1), (y0, y1) = vb.viewRange()
        height = float(self.margin.height())
        if not self._baseline_texts or height <= 0 or y1 <= y0:
            self.margin.set_marks([])
            return
        ends: list[tuple[float, str]] = []  # (pixel y in the margin, name)
        for name in self._baseline_texts:
            y = self._y_pos(self._baseline_values.get(name, float("nan")))
            if math.isfinite(y) and y0 <= y <= y1:
                scene_y = vb.mapViewToScene(QPointF(0.0, y)).y()
                ends.append((float(self.margin.mapFromScene(QPointF(0.0, scene_y)).y()), name))
        ends.sort()
        size = self._label_height + BASELINE_LABEL_GAP
        # a name's first line (the name) at its line's height: the block's centre a quarter
        # of its height lower
        tops = spread_labels([e + self._label_height / 4 for e, _ in ends], size, 0.0, height)
        texts, lines = [], []
        grey = theme.color("message")
        for (end, name), top in zip(ends, tops, strict=True):
            text = self._baseline_texts[name]
            rect = QRectF(BASELINE_LEADER_PX + 1, top, self._text_width(text),
                          self._label_height)
            texts.append((rect, text, grey))
            middle = top + self._label_height / 4  # the name's line
            lines.append((QPointF(0.0, end), QPointF(BASELINE_LEADER_PX - 1, middle)))
        self.margin.set_marks(texts, lines)

    def baseline_label_rects(self) -> dict[str, Any]:
        """Scene rectangles of the baseline names shown, by baseline (for checks)."""
        by_text = self.margin.text_rects()
        return {n: by_text[t] for n, t in self._baseline_texts.items() if t in by_text}

    def baseline_leaders(self) -> dict[str, Any]:
        """The short line from each baseline's end to its name (scene points), by baseline."""
        shown = [n for n, t in self._baseline_texts.items() if t in self.margin.text_rects()]
        order = sorted(shown, key=lambda n: self.margin.text_rects()[self._baseline_texts[n]].y())
        return dict(zip(order, self.margin.lines(), strict=True))

    def _set_lr_changes(self, changes: list[tuple[int, float]]) -> None:
        while len(self._lr_lines) < len(changes):
            line = pg.InfiniteLine(angle=90, movable=False, pen=theme.pen("lr", 1.2, dotted=True),
                                   label="", labelOpts={"position": 0.97, "color":
                                                        theme.COLORS["lr"], "rotateAxis": (1, 0),
                                                        "anchors": [(1, 1), (1, 1)]})
            line.setZValue(-5)
            self.plot.addItem(line, ignoreBounds=True)
            self._lr_lines.append(line)
        while len(self._lr_lines) > len(changes):
            self.plot.removeItem(self._lr_lines.pop())
        for line, (step, lr) in zip(self._lr_lines, changes, strict=True):
            line.setValue(float(step))
            text = f"lr → {lr:.2g}"
            if line.label.format != text:
                line.label.setFormat(text)
        self._legend_entry(self._lr_sample, "lr change", bool(changes))

    def _legend_entry(self, sample: pg.PlotDataItem, name: str, show: bool) -> None:
        if show and name not in self._legend_extra:
            self.legend.addItem(sample, name)
            self._legend_extra.add(name)
            fit_legend_columns(self.legend, self.graphics, (4, 2))
        elif not show and name in self._legend_extra:
            self.legend.removeItem(name)
            self._legend_extra.discard(name)
            fit_legend_columns(self.legend, self.graphics, (4, 2))

    def _clear(self) -> None:
        for item in (self.batch_curve, self.smooth_curve, self.epoch_train_curve,
                     self.epoch_val_curve):
            item.setData([], [])
        self._set_baselines({})
        self._set_lr_changes([])
        self._epoch_key = self._baseline_key = self._lr_key = None
        self._table_args = None
        self.anchor.reset()
        self.set_subtitle("")

    # ------------------------------------------------------------------ slots
    def _on_smooth_spin_value_changed(self, _value: int) -> None:
        self.refresh()

    def _on_view_box_range_changed(self, *_args: object) -> None:
        self._place_baseline_labels()

    def _on_view_box_resized(self, *_args: object) -> None:
        self._place_baseline_labels()

    def _on_graphics_resized(self, *_args: object) -> None:
        fit_legend_columns(self.legend, self.graphics, (4, 2))

    def _on_log_check_toggled(self, checked: bool) -> None:
        self.plot.setLogMode(y=checked)
        for name, line in self._baseline_lines.items():
            line.setValue(self._y_pos(self._baseline_values[name]))
        self.refresh()  # the range anchor follows the axis kind
        self.plot.enableAutoRange()


if __name__ == "__main__":
    from rnnviz.gui.views.demo import run_alone

    raise SystemExit(run_alone(LossView))
