"""Findings of a new-user QA pass on the Forecast, Loss and Gradients views.

- Forecast: opening a file without a time column after one with a long time column left the
  plot on the old file's epoch seconds and drew nothing (the curves' automatic downsampling
  saw a view millions of rows wide and kept no point, so auto-range had nothing to fit).
- Loss and Gradients: after a run ended early the x axis kept the planned length of the run.
- Gradients: the legend's "earlier probes" sample was grey, the faded lines light blue.
- Loss: the help called a baseline "last value" that the plot names "naive".

Expected values come from the series and events given to the views, never from the views.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
import pytest

from rnnviz.core.events import BatchDone, Finished, ForecastReady, ProbeReady, Started
from rnnviz.core.trace import demo_trace
from rnnviz.gui.views.demo import DemoSeries, demo_series
from rnnviz.gui.views.forecast_view import ForecastView
from rnnviz.gui.views.gradients_view import N_EARLIER, GradientsView
from rnnviz.gui.views.loss_view import LossView
from tests.gui.test_views import covers, history_of


# ---------------------------------------------------------------------- helpers
def shown(qtbot, cls, size=(800, 500)):
    view = cls()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def batch(step: int) -> BatchDone:
    return BatchDone(epoch=1, batch=step, step=step, loss=1.0 / step, grad_norm=1.0,
                     group_norms={"input": 0.1, "recurrent": 0.2, "bias": 0.01, "head": 0.5},
                     lr=1e-3)


def started(epochs: int, batches_per_epoch: int, baselines=None) -> Started:
    return Started(epochs=epochs, batches_per_epoch=batches_per_epoch, n_train=10, n_val=5,
                   n_test=5, device="cpu", baseline_losses=baselines or {})


def finished(steps: int) -> Finished:
    return Finished(reason="stopped", epochs_run=1, steps=steps, best_epoch=1,
                    best_val_loss=0.5, seconds=1.0)


def x_range(plot) -> tuple[float, float]:
    return tuple(plot.getViewBox().viewRange()[0])


def y_range(plot) -> tuple[float, float]:
    return tuple(plot.getViewBox().viewRange()[1])


# ---------------------------------------------------------------------- Forecast: new series
def rows_series() -> DemoSeries:
    """30 rows without times, values 500 .. 558 (far from the dated demo's 40 .. 75)."""
    n = 30
    raw = np.stack([500.0 + 2.0 * np.arange(n), -np.arange(n, dtype=np.float64)], 1)
    return DemoSeries(times=None, raw=raw, target_names=("load", "temp"),
                      feature_names=("load", "temp"), train_end=18, val_end=24)


def forecast_of(series: DemoSeries) -> ForecastReady:
    """A forecast over the series' held-out rows (one-step +1, recursive -1, two future rows)."""
    idx = np.arange(series.train_end, series.n_rows, dtype=np.int64)
    actual = series.raw[idx]
    last = series.raw[-1]
    return ForecastReady(epoch=1, index=idx, actual=actual, one_step=actual + 1.0,
                         recursive=actual - 1.0, future=np.stack([last + 3.0, last + 4.0]),
                         metrics={}, note="")


def shown_points(item: pg.PlotDataItem) -> int:
    """Points the curve draws (after its downsampling and clipping)."""
    x, _y = item.getData()
    return 0 if x is None else int(np.isfinite(np.asarray(x)).sum())


def check_draws(qtbot, view: ForecastView, series: DemoSeries) -> None:
    """The plot shows the series' rows and values, and the forecast's curves hold and draw
    its arrays."""
    fc = forecast_of(series)
    view.render(history_of([fc]))
    n = series.n_rows
    if series.times is None:
        x = np.arange(n + 2, dtype=np.float64)  # rows, and the two future rows
    else:
        secs = series.times.astype("datetime64[ns]").astype(np.int64) / 1e9
        x = np.concatenate([secs, secs[-1] + np.diff(secs)[-1] * np.arange(1, 3)])
    y = np.concatenate([series.raw[:, 0], fc.one_step[:, 0], fc.recursive[:, 0],
                        fc.future[:, 0]])
    qtbot.waitUntil(lambda: covers(x_range(view.plot), x[0], x[-1])
                    and covers(y_range(view.plot), y.min(), y.max()))
    span = x[-1] - x[0]
    assert x_range(view.plot)[1] - x_range(view.plot)[0] < 2 * span  # nothing of the old file
    assert y_range(view.plot)[1] - y_range(view.plot)[0] < 2 * (y.max() - y.min())
    np.testing.assert_allclose(view.actual_curve.getOriginalDataset()[1], series.raw[:, 0],
                               rtol=1e-6)
    rx, ry = view.recursive_curve.getOriginalDataset()
    np.testing.assert_allclose(rx, x[series.train_end:n], rtol=1e-9)
    np.testing.assert_allclose(ry, fc.recursive[:, 0], rtol=1e-6)
    np.testing.assert_allclose(view.one_step_curve.getOriginalDataset()[1], fc.one_step[:, 0],
                               rtol=1e-6)
    # and every curve draws points in the view (not an empty, downsampled-away curve)
    for item in (view.actual_curve, view.one_step_curve, view.recursive_curve,
                 view.future_curve):
        assert shown_points(item) >= 2, item.name()


def test_forecast_view_draws_a_series_without_times_after_one_with_times(qtbot):
    view = shown(qtbot, ForecastView)
    dated = demo_series(with_times=True)  # 420 days: a view of 3.6e7 epoch seconds
    view.set_series(dated)
    check_draws(qtbot, view, dated)
    assert isinstance(view.plot.getAxis("bottom"), pg.DateAxisItem)

    rows = rows_series()
    view.set_series(rows)
    bottom = view.plot.getAxis("bottom")
    assert type(bottom) is pg.AxisItem  # a plain axis of row numbers, not dates
    check_draws(qtbot, view, rows)
    # the plain axis draws row numbers: no tick at the old file's epoch seconds
    ticks = [v for level in bottom.tickValues(*x_range(view.plot), 800) for v in level[1]]
    assert ticks and max(ticks) < 100


def test_forecast_view_draws_a_series_with_times_after_one_without(qtbot):
    view = shown(qtbot, ForecastView)
    rows = rows_series()
    view.set_series(rows)
    check_draws(qtbot, view, rows)
    dated = demo_series(with_times=True)
    view.set_series(dated)
    assert isinstance(view.plot.getAxis("bottom"), pg.DateAxisItem)
    check_draws(qtbot, view, dated)


def test_forecast_view_an_empty_series_after_a_dated_one_leaves_no_old_range(qtbot):
    # an empty file drew the old epoch seconds with a plain axis: "1.7042e+091.7044e+09..."
    view = shown(qtbot, ForecastView)
    view.set_series(demo_series(with_times=True))
    qtbot.waitUntil(lambda: x_range(view.plot)[1] > 1e9)
    empty = DemoSeries(times=None, raw=np.empty((0, 1)), target_names=("y",),
                       feature_names=("y",), train_end=0, val_end=0)
    view.set_series(empty)
    assert type(view.plot.getAxis("bottom")) is pg.AxisItem
    qtbot.waitUntil(lambda: abs(x_range(view.plot)[1]) < 100)
    assert abs(x_range(view.plot)[0]) < 100 and abs(y_range(view.plot)[1]) < 100


# ---------------------------------------------------------------------- Loss / Gradients x axis
PLANNED = (10, 20)  # epochs, batches per epoch: 200 batches planned
RUN = 20  # batches run before Stop


def _x_range_of(view) -> tuple[float, float]:
    plot = view.plot if isinstance(view, LossView) else view.group_plot
    return x_range(plot)


@pytest.mark.parametrize("cls", [LossView, GradientsView])
def test_x_axis_spans_the_planned_run_while_training_and_the_batches_run_after(qtbot, cls):
    view = shown(qtbot, cls)
    history = history_of([started(*PLANNED)] + [batch(s) for s in range(1, RUN + 1)])
    view.render(history)
    planned = PLANNED[0] * PLANNED[1]
    # while training: the planned length (the curve fills the plot like a progress bar)
    qtbot.waitUntil(lambda: covers(_x_range_of(view), 1, planned))
    assert _x_range_of(view)[1] < 1.2 * planned

    history.add(finished(RUN))  # Stop after RUN batches
    view.render(history)
    qtbot.waitUntil(lambda: _x_range_of(view)[1] < 2 * RUN)
    assert covers(_x_range_of(view), 1, RUN)  # every batch run is still in view


# ---------------------------------------------------------------------- Gradients legend
def _probe(step: int, layers: int) -> ProbeReady:
    import dataclasses

    trace = dataclasses.replace(demo_trace("lstm", seed=step, layers=layers, windows=2,
                                           steps=6, hidden=3), step=step)
    return ProbeReady(step=step, epoch=1, trace=trace)


@pytest.mark.parametrize("layers", [1, 2])
def test_gradients_legend_sample_of_earlier_probes_is_drawn_as_the_faded_lines(qtbot, layers):
    view = shown(qtbot, GradientsView)
    view.render(history_of([started(1, 10)] + [_probe(s, layers) for s in range(5)]))
    samples = {label.text: sample.item for sample, label in view.step_legend.items}
    pen = pg.mkPen(samples["earlier probes"].opts["pen"])
    faded = [pg.mkPen(c.opts["pen"]) for c in (row[0] for row in view.earlier_curves)]
    assert len(faded) == N_EARLIER
    assert all(shown_points(row[0]) for row in view.earlier_curves)  # they are drawn
    # the same colour as layer 1's faded lines (they differ only in opacity)
    assert {p.color().rgb() for p in faded} == {pen.color().rgb()}
    assert pen.color().getRgb() in {p.color().getRgb() for p in faded}
    assert pen.widthF() == faded[0].widthF()


# ---------------------------------------------------------------------- Loss help
@pytest.fixture(scope="module")
def real_baselines() -> dict[str, float]:
    """The baselines a real run reports (daily data, so seasonal naive is among them)."""
    from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from rnnviz.core.series import build_windows, prepare_series
    from rnnviz.core.training import train

    cfg = DataConfig(lookback=10, split=(0.6, 0.2, 0.2))
    t = np.arange(240)
    df = pd.DataFrame({"date": pd.date_range("2021-01-01", periods=240, freq="D"),
                       "y": np.sin(2 * np.pi * t / 20) + 0.1 * np.cos(t)})
    data = build_windows(prepare_series(df, cfg, time_column="date"), cfg)
    run = RunConfig(data=cfg, model=ModelConfig(cell="lstm", hidden=4),
                    train=TrainConfig(epochs=1, batch_size=16, probe_every_seconds=None))
    events = train(data, run)
    first = next(iter(events))
    events.close()
    assert isinstance(first, Started)
    return dict(first.baseline_losses)


def test_loss_help_names_and_explains_every_baseline_the_plot_shows(qtbot, real_baselines):
    assert len(real_baselines) == 4  # naive, seasonal naive, mean, dense
    view = shown(qtbot, LossView)
    view.render(history_of([started(1, 3, real_baselines), batch(1), batch(2)]))
    qtbot.waitUntil(lambda: len(view.margin.text_rects()) == len(real_baselines))
    labels = {text.split("\n")[0] for text in view.margin.text_rects()}  # "name\nvalue"
    for label in labels:
        assert f"<b>{label}</b>:" in view.help_text, label  # named and explained
    assert "last value" not in view.help_text.replace("last value, repeated", "")
