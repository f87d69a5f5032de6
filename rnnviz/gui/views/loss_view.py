"""LossView: training and validation loss over the run, with baselines and learning rate."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QCheckBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from rnnviz.core.history import RunHistory, smooth
from rnnviz.gui import theme
from rnnviz.gui.views.base import BaseView, RangeAnchor, f32

BASELINE_LABEL_RIGHT = 0.97
"""A baseline's label ends here along its line (share of the plot's width) unless taken."""
BASELINE_LABEL_GAP = 10.0
"""Pixels between two baseline labels put side by side."""
BASELINE_LABEL_PX = 22.0
"""Height of a baseline label (pixels): labels of lines closer than this go to other places."""

HELP = """
<p><b>What you see.</b> The loss (the training objective, in the model's scaled units) against
the global step (one step = one batch). The thin light-blue line is the loss of every training
batch; the thick blue line is its trailing moving average over the number of batches stated in
the legend. Dots joined by lines are per-epoch means: blue for training, orange for
<b>validation</b> (windows the model never trains on).</p>
<p><b>Baselines</b> (grey dashed) are the validation loss of simple forecasts on the same
windows, e.g. "last value" (tomorrow = today) and "seasonal naive". A model worth having ends
below them. <b>Purple vertical lines</b> mark learning-rate changes.</p>
<p><b>How to read it.</b> Both curves falling: learning. Training falling while validation
rises: over-fitting (stop earlier, add dropout, or use more data). Flat from the start: the
learning rate is too low or the model cannot use the inputs. Tick <i>log y</i> when the loss
spans several decades.</p>
"""


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
        self.plot: pg.PlotItem = self.graphics.addPlot()
        theme.style_plot(self.plot, x="global step (batches)", y="loss (scaled units)")
        self.legend = theme.add_legend(self.plot)

        def curve(name: str, **kw: object) -> pg.PlotDataItem:
            item = pg.PlotDataItem(name=name, **kw)
            self.plot.addItem(item)
            theme.decimate(item)  # after addItem, which resets it
            return item

        self.batch_curve = curve("train, each batch", pen=theme.pen("train_raw", 1))
        self.smooth_curve = curve("train, smoothed", pen=theme.pen("train", 2))
        self.epoch_train_curve = curve(
            "train, epoch mean", pen=theme.pen("train", 1.5, dashed=True), symbol="o",
            symbolSize=6, symbolBrush=theme.color("train"), symbolPen=None)
        self.epoch_val_curve = curve(
            "validation, epoch", pen=theme.pen("validation", 2), symbol="o", symbolSize=7,
            symbolBrush=theme.color("validation"), symbolPen=None)
        # legend samples for the line kinds that are not curves
        self._baseline_sample = pg.PlotDataItem(pen=theme.pen("baseline", 1.5, dashed=True))
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
        text = f"train, smoothed ({window} batches)"
        if label is not None and label.text != text:  # relabelling relays out the legend
            label.setText(text)

        baselines = dict(history.started.baseline_losses) if history.started else {}
        if (baselines, self.log_check.isChecked()) != self._baseline_key:
            self._set_baselines(baselines)
            self._baseline_key = (baselines, self.log_check.isChecked())
        s = history.started
        last = float(b["step"][-1]) if b["step"].size else float(e["step"][-1])
        self.anchor.update(last, [loss, smoothed, e_train, e_val,
                                  np.asarray(list(baselines.values()), np.float64)],
                           log_y=self.log_check.isChecked(),
                           x_max=float(s.epochs * s.batches_per_epoch) if s else None)
        if history.lr_changes != self._lr_key:
            self._set_lr_changes(list(history.lr_changes))
            self._lr_key = list(history.lr_changes)
        self._columns = {
            "step": b["step"],
            "batch_loss": loss,
            f"batch_loss_smoothed_{window}": smoothed,
            "epoch": e["epoch"],
            "epoch_step": e["step"],
            "epoch_train_loss": e_train,
            "epoch_val_loss": e_val,
            "baseline": np.asarray(list(baselines), dtype=object),
            "baseline_val_loss": np.asarray(list(baselines.values()), dtype=np.float64),
            "lr_change_step": np.asarray([s for s, _ in history.lr_changes], dtype=np.int64),
            "lr_change_value": np.asarray([v for _, v in history.lr_changes], dtype=np.float64),
        }
        epochs_txt = f"epoch {int(e['epoch'][-1])}" if e["epoch"].size else ""
        self.set_subtitle(f"{epochs_txt} · {b['step'].size} batches".strip(" ·"))

    def _y_pos(self, value: float) -> float:
        """Position of a horizontal line in view coordinates (log10 in log mode)."""
        if self.log_check.isChecked():
            return math.log10(value) if value > 0 else float("nan")
        return value

    def _set_baselines(self, baselines: dict[str, float]) -> None:
        for name in list(self._baseline_lines):
            if name not in baselines:
                self.plot.removeItem(self._baseline_lines.pop(name))
        for name, value in baselines.items():
            line = self._baseline_lines.get(name)
            text = f"{name.replace('_', ' ')} {value:.3g}"
            if line is None:
                line = pg.InfiniteLine(
                    angle=0, movable=False, pen=theme.pen("baseline", 1.5, dashed=True),
                    label=text,
                    labelOpts={"position": 0.97, "anchors": [(1, 1), (1, 1)],
                               "color": theme.COLORS["baseline"]},
                )
                line.setZValue(-5)
                self.plot.addItem(line, ignoreBounds=False)
                self._baseline_lines[name] = line
            elif line.label.format != text:
                line.label.setFormat(text)
            line.setValue(self._y_pos(value))
        self._baseline_values = dict(baselines)
        self._place_baseline_labels()
        self._legend_entry(self._baseline_sample, "baselines (validation)", bool(baselines))

    def _place_baseline_labels(self) -> None:
        """Put each baseline's label where it overprints no other label and not the legend.

        A label sits above the right end of its line; when that place is taken (lines closer
        than a label's height, or the legend's box) it moves left, one label width at a time,
        to the first free place, then under the line; with no free place left, to where it
        overlaps least.
        """
        vb = self.plot.getViewBox()
        (_x0, _x1), (y0, y1) = vb.viewRange()
        width, height = float(vb.width()), float(vb.height())
        if not self._baseline_lines or height <= 0 or y1 <= y0:
            return
        taken = []  # boxes in the view box's pixels (y down): the legend, labels placed
        if self.legend.isVisible() and self.legend.scene() is not None:
            taken.append(self.legend.mapRectToItem(vb, self.legend.boundingRect()))
        lines = sorted(((self._y_pos(self._baseline_values[n]), n)
                        for n in self._baseline_lines if n in self._baseline_values),
                       key=lambda t: (not math.isfinite(t[0]), t[0]))
        for y, name in lines:
            label = self._baseline_lines[name].label
            if not math.isfinite(y):
                continue
            top = height - (y - y0) / (y1 - y0) * height  # the line, in pixels from the top
            w = float(label.boundingRect().width())
            # right ends to try: the line's right end, then one label width further left...
            ends = [BASELINE_LABEL_RIGHT * width]
            while ends[-1] - 2 * w - BASELINE_LABEL_GAP >= 0:
                ends.append(ends[-1] - w - BASELINE_LABEL_GAP)
            # ... above the line first, then under it; else where it overlaps least
            tries = [(e, above) for above in (True, False) for e in ends]

            def box(end: float, above: bool, w: float = w, top: float = top) -> QRectF:
                y = top - BASELINE_LABEL_PX if above else top
                return QRectF(end - w, y, w, BASELINE_LABEL_PX)

            def overlap(r: QRectF) -> float:
                return sum(r.intersected(t).width() * r.intersected(t).height() for t in taken)

            end, above = min(tries, key=lambda t: overlap(box(*t)))  # the first of the best
            taken.append(box(end, above))
            place, anchor = end / width, (1, 1) if above else (1, 0)
            if abs(label.orthoPos - place) > 1e-6 or label.anchors[0] != anchor:
                label.anchors = [anchor, anchor]
                label.setPosition(place)

    def _set_lr_changes(self, changes: list[tuple[int, float]]) -> None:
        while len(self._lr_lines) < len(changes):
            line = pg.InfiniteLine(angle=90, movable=False, pen=theme.pen("lr", 1.2, dotted=True),
                                   label="", labelOpts={"position": 0.7, "color":
                                                        theme.COLORS["lr"], "rotateAxis": (1, 0),
                                                        "anchors": [(0, 1), (0, 1)]})
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
        self._legend_entry(self._lr_sample, "learning-rate change", bool(changes))

    def _legend_entry(self, sample: pg.PlotDataItem, name: str, show: bool) -> None:
        if show and name not in self._legend_extra:
            self.legend.addItem(sample, name)
            self._legend_extra.add(name)
        elif not show and name in self._legend_extra:
            self.legend.removeItem(name)
            self._legend_extra.discard(name)

    def _clear(self) -> None:
        for item in (self.batch_curve, self.smooth_curve, self.epoch_train_curve,
                     self.epoch_val_curve):
            item.setData([], [])
        self._set_baselines({})
        self._set_lr_changes([])
        self._epoch_key = self._baseline_key = self._lr_key = None
        self.anchor.reset()
        self.set_subtitle("")

    # ------------------------------------------------------------------ slots
    def _on_smooth_spin_value_changed(self, _value: int) -> None:
        self.refresh()

    def _on_view_box_range_changed(self, *_args: object) -> None:
        self._place_baseline_labels()

    def _on_view_box_resized(self, *_args: object) -> None:
        self._place_baseline_labels()

    def _on_log_check_toggled(self, checked: bool) -> None:
        self.plot.setLogMode(y=checked)
        for name, line in self._baseline_lines.items():
            line.setValue(self._y_pos(self._baseline_values[name]))
        self.refresh()  # the range anchor follows the axis kind
        self.plot.enableAutoRange()


if __name__ == "__main__":
    from rnnviz.gui.views.demo import run_alone

    raise SystemExit(run_alone(LossView))
