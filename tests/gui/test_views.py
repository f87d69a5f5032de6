"""The views draw exactly the arrays of the events they are given, and only when needed.

Each test builds a RunHistory from hand-made events (small, known arrays), renders a view,
and compares what the plot items hold with those arrays (expected values come from the
events or from numpy, never from the view).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from rnnviz.core.events import BatchDone, EpochDone, ForecastReady, ProbeReady, Started
from rnnviz.core.history import RunHistory
from rnnviz.core.trace import GATE_NAMES, demo_trace
from rnnviz.gui.views import VIEWS
from rnnviz.gui.views.demo import DemoSeries, build_demo_view, demo_history, run_alone
from rnnviz.gui.views.forecast_view import ForecastView
from rnnviz.gui.views.gates_view import NO_GATES, GatesView
from rnnviz.gui.views.gradients_view import GradientsView
from rnnviz.gui.views.influence_view import InfluenceView
from rnnviz.gui.views.loss_view import LossView
from rnnviz.gui.views.states_view import StatesView

VIEW_NAMES = ["loss", "forecast", "gates", "states", "gradients", "influence"]


# ---------------------------------------------------------------------- helpers
def history_of(events) -> RunHistory:
    h = RunHistory()
    for e in events:
        h.add(e)
    return h


def batch(step: int, loss: float, lr: float = 1e-3, epoch: int = 1,
          groups: dict[str, float] | None = None) -> BatchDone:
    return BatchDone(epoch=epoch, batch=step, step=step, loss=loss, grad_norm=loss * 2,
                     group_norms=groups or {"input": 0.1 * step, "recurrent": 0.2 * step,
                                            "bias": 0.01 * step, "head": 0.5 * step},
                     lr=lr)


def epoch_done(epoch: int, step: int, train: float, val: float) -> EpochDone:
    return EpochDone(epoch=epoch, step=step, train_loss=train, val_loss=val, lr=1e-3,
                     grad_norm=1.0, seconds=0.1)


def started(baselines: dict[str, float] | None = None) -> Started:
    return Started(epochs=2, batches_per_epoch=3, n_train=10, n_val=5, n_test=5, device="cpu",
                   baseline_losses=baselines or {})


def probe(cell: str = "lstm", *, step: int = 0, seed: int = 0, **kw) -> ProbeReady:
    shape = dict(layers=2, windows=2, steps=6, hidden=3) | kw
    trace = dataclasses.replace(demo_trace(cell, seed=seed, **shape), step=step, epoch=step)
    return ProbeReady(step=step, epoch=step, trace=trace)


def original(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The data given to setData (before any downsampling / clipping for display)."""
    ds = item.getOriginalDataset()
    return np.asarray(ds[0]), np.asarray(ds[1])


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path)


def make_view(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    return view


# ---------------------------------------------------------------------- registry and API
def test_registry_lists_the_views_in_order_without_importing_them():
    code = ("import sys\nfrom rnnviz.gui.views import VIEWS\n"
            "print(','.join(VIEWS), 'pyqtgraph' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [",".join(VIEW_NAMES), "False", "False"]


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_each_view_has_the_api_and_its_help_opens_from_the_view(qtbot, name):
    cls = VIEWS[name]
    assert cls.__name__.endswith("View")
    assert cls.title and len(cls.help_text) > 200
    view = make_view(qtbot, cls)
    for method in ("render", "clear", "export_image", "export_data"):
        assert callable(getattr(view, method))
    assert view.message == view.empty_message  # nothing drawn yet
    view.show()
    qtbot.mouseClick(view.help_button, Qt.MouseButton.LeftButton)
    box = view.findChild(QMessageBox)
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert box.text() == cls.help_text
    assert cls.title in box.windowTitle()
    box.close()


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_render_does_no_work_when_the_history_did_not_change(qtbot, name):
    view = make_view(qtbot, VIEWS[name])
    if name == "forecast":
        view.set_series(small_series())
    history = demo_history("lstm", epochs=2, batches_per_epoch=3, steps=8, hidden=4)
    calls = []
    draw = view._draw
    view._draw = lambda h: (calls.append(h.version), draw(h))
    view.render(history)
    view.render(history)
    assert calls == [history.version]
    history.add(batch(999, 0.5))
    view.render(history)
    view.render(history)
    assert calls == [history.version - 1, history.version]
    # a new history object with the same version number is drawn (a new run)
    other = demo_history("gru", epochs=2, batches_per_epoch=3, steps=8, hidden=4)
    assert other.version == history.version - 1
    view.render(other)
    assert len(calls) == 3


GROWING_CURVES = {
    # curves whose length grows with the data or the run (not with a window's T steps)
    "loss": lambda v: [v.batch_curve, v.smooth_curve, v.epoch_train_curve, v.epoch_val_curve],
    "forecast": lambda v: [v.actual_curve, v.one_step_curve, v.recursive_curve,
                           v.future_curve],
    "gradients": lambda v: list(v.group_curves.values()),
}


@pytest.mark.parametrize("name", sorted(GROWING_CURVES))
def test_curves_that_grow_with_the_data_draw_decimated_and_clipped(qtbot, name):
    # PlotItem.addItem resets a curve's downsampling to the plot's own (off): a curve set up
    # before it was added drew every point (0.75 s to paint a 1,000,000-row series)
    view = build_demo_view(VIEWS[name])
    qtbot.addWidget(view)
    curves = GROWING_CURVES[name](view)
    assert curves
    for c in curves:
        assert c.opts["autoDownsample"] and c.opts["clipToView"], c.opts.get("name")


def test_a_million_row_series_reaches_the_forecast_plot_decimated(qtbot):
    n = 1_000_000
    times = np.datetime64("2000-01-01T00:00") + np.arange(n).astype("timedelta64[m]")
    raw = np.sin(np.arange(n) / 500.0)[:, None]
    series = DemoSeries(times=times, raw=raw, target_names=("y",), feature_names=("y",),
                        train_end=700_000, val_end=850_000)
    view = make_view(qtbot, ForecastView)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_series(series)
    view.grab()  # lays out and paints: the view box knows its width
    drawn = view.actual_curve.curve.xData
    assert original(view.actual_curve)[0].size == n  # every row is kept for export
    assert drawn.size < 20_000  # at most a few points per pixel column reach the painter


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_clear_forgets_what_was_drawn(qtbot, name):
    view = make_view(qtbot, VIEWS[name])
    view.render(demo_history("lstm", epochs=2, batches_per_epoch=3, steps=8, hidden=4))
    assert view.data_columns()
    view.clear()
    assert view.data_columns() == {}
    assert view.message == view.empty_message


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_each_view_runs_alone_on_demo_data(qtbot, name, tmp_path):
    cls = VIEWS[name]
    module = importlib.import_module(cls.__module__)
    assert 'if __name__ == "__main__":' in open(module.__file__).read()
    view = build_demo_view(cls)
    qtbot.addWidget(view)
    assert view.message is None  # the content shows, not the "nothing yet" message
    assert "demo" in view.note
    assert all(np.asarray(v).size for v in view.data_columns().values() if v is not None)
    shot = tmp_path / "alone.png"
    assert run_alone(cls, ["--screenshot", str(shot), "--cell", "gru"]) == 0
    assert shot.stat().st_size > 5000


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_each_view_fits_a_small_dock_without_cutting_its_plots(qtbot, name):
    # a 1280x800 window gives a view about 390x330 px. A title, a legend or a header text
    # wider than that used to make the plots' scene wider than the view, which then cut the
    # right part off (titles, axes, legends, the last time steps), on screen and in pictures
    from PySide6.QtWidgets import QApplication

    from rnnviz.gui.views.demo import demo_series

    view = VIEWS[name]()
    qtbot.addWidget(view)
    view.resize(390, 330)
    view.show()
    qtbot.waitExposed(view)
    if name == "forecast":
        view.set_series(demo_series())
    view.render(demo_history("lstm"))
    for _ in range(3):  # deferred layout passes
        QApplication.processEvents()
    assert view.message is None
    for gv in view.findChildren(pg.GraphicsView):
        if not gv.isVisible():
            continue
        scene_width = gv.centralWidget.geometry().width()
        assert scene_width <= gv.width() + 1, (name, scene_width, gv.width())
        for item in gv.centralWidget.items if hasattr(gv.centralWidget, "items") else []:
            if isinstance(item, pg.PlotItem):  # every plot has room for its data
                assert item.getViewBox().height() >= 10, (name, item.titleLabel.text)


def test_gates_and_states_scroll_rather_than_squeeze_their_heatmaps(qtbot):
    from PySide6.QtWidgets import QApplication

    from rnnviz.gui.views.gates_view import MAP_MIN_PX

    history = demo_history("lstm")
    for cls in (GatesView, StatesView):
        view = make_view(qtbot, cls)
        view.resize(390, 300)
        view.show()
        qtbot.waitExposed(view)
        view.render(history)
        for _ in range(3):
            QApplication.processEvents()
        plots = ([view.input_plot, *view.gate_plots.values()] if cls is GatesView
                 else [view.cell_plot, view.hidden_plot, view.line_plot, view.cell_line_plot])
        heights = [p.getViewBox().height() for p in plots]
        assert min(heights) >= MAP_MIN_PX - 1, (cls.__name__, heights)
        area = view.graphics.parentWidget().parentWidget()  # viewport, then the scroll area
        assert view.graphics.height() > area.viewport().height()  # the page scrolls
        # pictures show the whole page, not the part scrolled into view
        assert view._image_widget().grab().height() == view.graphics.height()


# ---------------------------------------------------------------------- LossView
def loss_events():
    losses = [0.9, 0.7, 0.8, 0.5, 0.4, 0.45]
    events = [started({"last_value": 0.5, "seasonal_naive": 0.25})]
    for i, loss in enumerate(losses, start=1):
        events.append(batch(i, loss, lr=1e-3 if i < 4 else 5e-4, epoch=1 + (i > 3)))
        if i == 3:
            events.append(epoch_done(1, 3, train=0.8, val=0.85))
    events.append(epoch_done(2, 6, train=0.45, val=0.6))
    return losses, events


def test_loss_view_draws_the_batch_epoch_and_baseline_values(qtbot, tmp_path):
    losses, events = loss_events()
    view = make_view(qtbot, LossView)
    view.smooth_spin.setValue(2)
    view.render(history_of(events))

    x, y = original(view.batch_curve)
    np.testing.assert_array_equal(x, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(y, np.float32(losses))
    # trailing mean over 2 batches, by hand
    expected = [0.9, 0.8, 0.75, 0.65, 0.45, 0.425]
    np.testing.assert_allclose(original(view.smooth_curve)[1], expected, rtol=1e-6)
    assert view.legend.getLabel(view.smooth_curve).text == "train, 2-batch mean"
    np.testing.assert_array_equal(original(view.epoch_val_curve)[0], [3, 6])
    np.testing.assert_array_equal(original(view.epoch_val_curve)[1], np.float32([0.85, 0.6]))
    np.testing.assert_array_equal(original(view.epoch_train_curve)[1], np.float32([0.8, 0.45]))

    assert set(view._baseline_lines) == {"last_value", "seasonal_naive"}
    assert view._baseline_lines["last_value"].value() == pytest.approx(0.5)
    assert view._baseline_texts["last_value"] == "last value\n0.5"
    assert [line.value() for line in view._lr_lines] == [4.0]
    assert "0.0005" in view._lr_lines[0].label.format

    view.log_check.setChecked(True)
    assert view.plot.ctrl.logYCheck.isChecked()
    assert view._baseline_lines["seasonal_naive"].value() == pytest.approx(math.log10(0.25))

    # the CSV is one table: a row per batch, each column about that batch
    df = read_csv(view.export_data(tmp_path / "loss.csv"))
    np.testing.assert_array_equal(df["step"], [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(df["epoch"], [1, 1, 1, 2, 2, 2])
    np.testing.assert_allclose(df["batch_loss"], losses, rtol=1e-6)
    np.testing.assert_allclose(df["batch_loss_smoothed_2"], expected, rtol=1e-6)
    np.testing.assert_allclose(df["lr"], [1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 5e-4])
    # an epoch's losses on the row of its last batch, empty elsewhere
    np.testing.assert_allclose(df["epoch_val_loss"], [np.nan, np.nan, 0.85, np.nan, np.nan, 0.6])
    np.testing.assert_allclose(df["epoch_train_loss"], [np.nan, np.nan, 0.8, np.nan, np.nan, 0.45])
    np.testing.assert_allclose(df["baseline_last_value"], [0.5] * 6)
    np.testing.assert_allclose(df["baseline_seasonal_naive"], [0.25] * 6)


@pytest.mark.parametrize("size", [(390, 330), (499, 360), (700, 460)])
def test_loss_view_names_and_legend_cover_no_data_and_no_other_name(qtbot, size):
    # values of a run on electricity: naive 0.0269 and dense 0.0128 lie a few px apart; inside
    # the plot their names overprinted each other and the curves, and the legend the curves
    events = [started({"naive": 0.0269, "dense": 0.0128, "seasonal_naive": 0.323,
                       "mean": 0.94})]
    events += [batch(i, 1.0 / i) for i in range(1, 7)]
    events += [epoch_done(1, 3, train=0.5, val=0.03), epoch_done(2, 6, train=0.2, val=0.02)]
    view = _shown_at(qtbot, LossView, history_of(events), size=size)
    vb = view.plot.getViewBox()
    qtbot.waitUntil(lambda: vb.viewRange()[1][1] >= 0.94)
    plot_area = _scene_rect(vb)
    page = view.graphics.sceneRect()
    rects = view.baseline_label_rects()
    assert sorted(rects) == ["dense", "mean", "naive", "seasonal_naive"]
    names = sorted(rects)
    for i, a in enumerate(names):
        assert rects[a].width() > 10 and page.contains(rects[a]), (a, rects[a], page)
        assert rects[a].left() >= plot_area.right(), a  # in the margin: over no data
        for b in names[i + 1:]:
            assert not rects[a].intersects(rects[b]), (a, b)
    leaders = view.baseline_leaders()
    for name, value in {"naive": 0.0269, "dense": 0.0128, "mean": 0.94}.items():
        start, end = leaders[name]
        assert rects[name].left() - 3 <= end.x() <= rects[name].left()  # ends at its name
        line_y = vb.mapViewToScene(pg.Point(0, value)).y()
        assert start.y() == pytest.approx(line_y, abs=1.0), name  # joined to its own line
        assert start.x() == pytest.approx(plot_area.right(), abs=2.0)
    # "mean" is far from the others: its name's first line sits at its line's height
    mean = rects["mean"]
    assert mean.top() <= vb.mapViewToScene(pg.Point(0, 0.94)).y() <= mean.center().y()
    legend = _scene_rect(view.legend)
    assert page.contains(legend) and not legend.intersects(plot_area)
    for curve in (view.batch_curve, view.smooth_curve, view.epoch_train_curve,
                  view.epoch_val_curve):
        x, y = original(curve)
        for xi, yi in zip(x, y, strict=True):
            assert not legend.contains(vb.mapViewToScene(pg.Point(float(xi), float(yi))))


def test_spread_labels_stacks_close_labels_around_their_mean_inside_the_room():
    from rnnviz.gui.views.loss_view import spread_labels

    assert spread_labels([10.0, 50.0], 10.0, 0.0, 100.0) == [5.0, 45.0]  # apart: centred
    assert spread_labels([20.0, 22.0], 10.0, 0.0, 100.0) == [11.0, 21.0]  # mean 21, stacked
    assert spread_labels([96.0, 98.0], 10.0, 0.0, 100.0) == [80.0, 90.0]  # kept above 100
    assert spread_labels([1.0, 2.0, 3.0], 10.0, 0.0, 100.0) == [0.0, 10.0, 20.0]  # below 0
    assert spread_labels([], 10.0, 0.0, 100.0) == []


def test_loss_view_smoothing_window_change_redraws(qtbot):
    losses, events = loss_events()
    view = make_view(qtbot, LossView)
    view.render(history_of(events))
    view.smooth_spin.setValue(3)
    np.testing.assert_allclose(original(view.smooth_curve)[1][2], np.mean(losses[:3]), rtol=1e-6)
    assert view.legend.getLabel(view.smooth_curve).text == "train, 3-batch mean"


# ---------------------------------------------------------------------- ForecastView
def small_series(with_times: bool = True) -> DemoSeries:
    n = 20
    raw = np.stack([np.arange(n) * 1.5 + 10, np.arange(n) * -1.0], 1)  # (N, 2)
    times = (np.datetime64("2024-01-01T00:00", "ns") + np.arange(n) * np.timedelta64(1, "h")
             if with_times else None)
    return DemoSeries(times=times, raw=raw, target_names=("load", "temp"),
                      feature_names=("load", "temp"), train_end=12, val_end=16)


def small_forecast() -> ForecastReady:
    idx = np.arange(12, 20, dtype=np.int64)
    actual = np.stack([idx * 1.5 + 10, -idx * 1.0], 1)
    metrics = {
        "validation": {"one_step": {"mae": 0.11, "rmse": 0.12, "mase": 0.13, "smape": 1.4},
                       "recursive": {"mae": 0.21, "rmse": 0.22, "mase": 0.23, "smape": 2.4},
                       "last_value": {"mae": 1.5, "rmse": 1.6, "mase": 1.0, "smape": 5.5}},
        "test": {"one_step": {"mae": 0.31, "rmse": 0.32, "mase": 0.33, "smape": 3.4},
                 "recursive": {"mae": 0.41, "rmse": 0.42, "mase": 0.43, "smape": 4.4},
                 "last_value": {"mae": 1.25, "rmse": 1.75, "mase": 1.0, "smape": 6.5},
                 "seasonal_naive": {"mae": 2.5, "rmse": 2.75, "mase": 2.0, "smape": 9.5}},
    }
    return ForecastReady(epoch=3, index=idx, actual=actual, one_step=actual + 0.25,
                         recursive=actual - 0.5, future=np.array([[40.0, -20.0],
                                                                  [41.0, -21.0]]),
                         metrics=metrics, note="no exogenous inputs")


def table_rows(view: ForecastView) -> list[list[str]]:
    t = view.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_forecast_view_draws_series_forecasts_and_metrics(qtbot, tmp_path):
    view = make_view(qtbot, ForecastView)
    series = small_series()
    view.set_series(series)
    assert isinstance(view.plot.getAxis("bottom"), pg.DateAxisItem)
    assert view.subtitle.startswith("no forecast yet")
    fc = small_forecast()
    view.render(history_of([fc]))

    hours = (np.datetime64("2024-01-01T00:00", "s").astype(np.int64)
             + 3600 * np.arange(22)).astype(np.float64)
    x, y = original(view.actual_curve)
    np.testing.assert_array_equal(x, hours[:20])
    np.testing.assert_array_equal(y, np.float32(series.raw[:, 0]))
    x, y = original(view.one_step_curve)
    np.testing.assert_array_equal(x, hours[12:20])
    np.testing.assert_array_equal(y, np.float32(fc.one_step[:, 0]))
    np.testing.assert_array_equal(original(view.recursive_curve)[1],
                                  np.float32(fc.recursive[:, 0]))
    # the future line starts at the last recursive point, then one hour per step
    x, y = original(view.future_curve)
    np.testing.assert_array_equal(x, hours[19:22])
    np.testing.assert_array_equal(y, np.float32([fc.recursive[-1, 0], 40.0, 41.0]))
    # shading: validation covers rows 12..15, half a step either side
    lo, hi = view.regions["validation"].getRegion()
    assert (lo, hi) == pytest.approx((hours[12] - 1800, hours[15] + 1800))

    assert view.split == "test"
    assert table_rows(view) == [
        ["model (one-step)", "0.31", "0.32", "0.33", "3.4"],
        ["model (recursive)", "0.41", "0.42", "0.43", "4.4"],
        ["last value", "1.25", "1.75", "1", "6.5"],
        ["seasonal naive", "2.5", "2.75", "2", "9.5"],
    ]
    assert view.table.item(0, 1).data(Qt.ItemDataRole.UserRole) == 0.31
    view.split_combo.setCurrentText("validation")
    assert [r[0] for r in table_rows(view)] == ["model (one-step)", "model (recursive)",
                                                "last value"]
    assert table_rows(view)[2][1:] == ["1.5", "1.6", "1", "5.5"]

    view.target_combo.setCurrentIndex(1)  # the second target
    np.testing.assert_array_equal(original(view.actual_curve)[1], np.float32(series.raw[:, 1]))
    np.testing.assert_array_equal(original(view.one_step_curve)[1],
                                  np.float32(fc.one_step[:, 1]))

    df = read_csv(view.export_data(tmp_path / "forecast.csv"))
    np.testing.assert_array_equal(df["row"], np.arange(22))
    assert df["time"].iloc[0] == "2024-01-01T00:00"
    np.testing.assert_array_equal(df["actual"][:20], series.raw[:, 1])
    np.testing.assert_array_equal(df["one_step"][12:20], fc.one_step[:, 1])
    assert df["one_step"][:12].isna().all()
    np.testing.assert_array_equal(df["future"][20:], [-20.0, -21.0])
    m = read_csv(view.export_metrics(tmp_path / "metrics.csv"))
    assert list(m["forecast"]) == ["one_step", "recursive", "last_value"]
    np.testing.assert_array_equal(m["rmse"], [0.12, 0.22, 1.6])


def test_a_forecast_that_runs_off_to_1e22_is_drawn_clipped_and_says_so(qtbot, tmp_path):
    # a diverging model's forecast must not squash the data into a flat line
    view = make_view(qtbot, ForecastView)
    view.set_series(small_series())
    fc = small_forecast()
    rec = fc.recursive.copy()
    rec[4:, 0] = 1e22  # rows 16..19 explode
    fc = dataclasses.replace(fc, recursive=rec, future=np.array([[-3e21, 0.0], [1e22, 0.0]]))
    view.render(history_of([fc]))
    # target 0 runs 10 .. 38.5 (span 28.5): drawn within 10 - 2*28.5 .. 38.5 + 2*28.5
    lo, hi = 10 - 57.0, 38.5 + 57.0
    y = original(view.recursive_curve)[1]
    np.testing.assert_array_equal(y[:4], np.float32(rec[:4, 0]))  # in range: as they are
    np.testing.assert_array_equal(y[4:], np.float32(hi))
    np.testing.assert_array_equal(original(view.future_curve)[1], np.float32([hi, lo, hi]))
    view.plot.enableAutoRange()
    view.plot.getViewBox().updateAutoRange()
    y0, y1 = view.plot.getViewBox().viewRange()[1]
    assert y1 < 200 and y0 > -100
    assert "runs off the chart" in view.note_label.full_text
    assert "1e+22" in view.note_label.full_text
    assert "no exogenous inputs" in view.note_label.full_text  # the engine's note stays
    df = read_csv(view.export_data(tmp_path / "forecast.csv"))
    np.testing.assert_array_equal(df["recursive"][16:20], [1e22] * 4)  # the real values
    # a forecast within range has no such note
    view.render(history_of([small_forecast()]))
    assert "runs off" not in view.note_label.full_text


def test_forecast_view_without_times_uses_rows_and_without_series_uses_the_event(qtbot):
    view = make_view(qtbot, ForecastView)
    view.set_series(small_series(with_times=False))
    assert not isinstance(view.plot.getAxis("bottom"), pg.DateAxisItem)
    fc = small_forecast()
    view.render(history_of([fc]))
    np.testing.assert_array_equal(original(view.one_step_curve)[0], np.arange(12, 20))
    np.testing.assert_array_equal(original(view.future_curve)[0], [19, 20, 21])

    bare = make_view(qtbot, ForecastView)
    assert bare.message == bare.empty_message
    bare.render(history_of([fc]))
    assert bare.message is None
    x, y = original(bare.actual_curve)
    np.testing.assert_array_equal(x, np.arange(12, 20))
    np.testing.assert_array_equal(y, np.float32(fc.actual[:, 0]))
    assert not any(r.isVisible() for r in bare.regions.values())


def x_range(view: ForecastView) -> tuple[float, float]:
    return tuple(view.plot.getViewBox().viewRange()[0])


def y_range(view: ForecastView) -> tuple[float, float]:
    return tuple(view.plot.getViewBox().viewRange()[1])


def covers(rng: tuple[float, float], lo: float, hi: float) -> bool:
    return rng[0] <= lo and rng[1] >= hi


def test_forecast_view_in_a_small_dock_shows_every_row_and_the_forecast(qtbot):
    # a 1280x800 window gives the view about 480x300 px; the scene used to be wider than the
    # view (a 4-column legend, a 380 px table beside it) and the plot's right part was cut off
    from PySide6.QtWidgets import QApplication

    view = make_view(qtbot, ForecastView)
    view.resize(480, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_series(small_series(with_times=False))
    view.render(history_of([small_forecast()]))
    QApplication.processEvents()
    assert view.graphics.ci.geometry().width() <= view.graphics.width()
    assert view.graphics.width() >= view.width() - 20  # the table sits under the plot
    assert view.plot.mapRectToScene(view.plot.boundingRect()).right() <= view.graphics.width()
    # rows 0..19 and the two rows forecast past the end (rows 20, 21) are in view
    qtbot.waitUntil(lambda: covers(x_range(view), 0, 21))
    names = view.part_label_rects()  # each part is named above the plot
    assert set(names) >= {"train", "validation", "test"}


def test_forecast_view_new_series_forgets_the_old_axes_and_zoom(qtbot):
    view = make_view(qtbot, ForecastView)
    view.resize(800, 400)
    view.show()
    qtbot.waitExposed(view)
    n = 50
    big = DemoSeries(times=np.datetime64("2000-06-01", "ns") + np.arange(n) * np.timedelta64(30, "m"),
                     raw=(20000.0 + 100.0 * np.arange(n))[:, None], target_names=("demand",),
                     feature_names=("demand",), train_end=30, val_end=40)
    view.set_series(big)
    view.plot.setXRange(*view._x_of_rows(np.array([3, 5])))  # the user zooms in
    view.plot.setYRange(21000, 22000)
    assert not any(view.plot.getViewBox().autoRangeEnabled())

    small = small_series(with_times=False)
    view.set_series(small)
    assert not isinstance(view.plot.getAxis("bottom"), pg.DateAxisItem)
    lo, hi = float(small.raw[:, 0].min()), float(small.raw[:, 0].max())  # 10 .. 38.5
    qtbot.waitUntil(lambda: covers(x_range(view), 0, 19) and covers(y_range(view), lo, hi))
    assert y_range(view)[1] < 100  # nothing left of the 20000s
    assert x_range(view)[1] < 100  # rows, not the old epoch seconds


# ---------------------------------------------------------------------- GatesView
def test_gates_view_images_are_the_trace_gates_transposed(qtbot, tmp_path):
    p = probe("lstm", step=5)
    tr = p.trace
    view = make_view(qtbot, GatesView)
    view.render(history_of([p]))
    assert set(view.images) == set(GATE_NAMES["lstm"])
    for g, img in view.images.items():
        np.testing.assert_array_equal(img.image, tr.gates[g][0, 0].T)
        assert img.image.flags["C_CONTIGUOUS"] and img.image.dtype == np.float32
        assert tuple(img.levels) == ((0.0, 1.0) if g != "cell" else (-1.0, 1.0))
    view.layer_combo.setCurrentIndex(1)
    view.window_combo.setCurrentIndex(1)
    np.testing.assert_array_equal(view.images["forget"].image, tr.gates["forget"][1, 1].T)
    np.testing.assert_array_equal(original(view.input_curves[0])[1], tr.inputs[1, :, 0])

    df = read_csv(view.export_data(tmp_path / "gates.csv"))
    np.testing.assert_array_equal(df["time_step"], np.arange(6))
    np.testing.assert_array_equal(df["forget_u2"].to_numpy(np.float32),
                                  tr.gates["forget"][1, 1, :, 2])
    np.testing.assert_array_equal(df["x_1"].to_numpy(np.float32),
                                  tr.inputs[1, :, 0])
    # the input series (x_) and the LSTM's input gate (input_) cannot be mixed up
    assert not [c for c in df.columns if c.startswith("input_") and "_u" not in c]


def test_rows_taken_out_of_a_page_stay_in_its_scene_for_qt_to_delete(qtbot):
    # GraphicsLayout.removeItem also takes an item out of its scene: Python's garbage
    # collector then freed it, and its destructor called pyqtgraph's overrides of half-freed
    # children (aborts, segfaults and a hang in 2 of 8 runs of a test selection)
    gates = make_view(qtbot, GatesView)
    gates.render(history_of([probe("lstm")]))
    gates.render(history_of([probe("gru")]))  # 3 gates: the 4th row leaves the layout
    fourth = gates._rows[3][0]
    assert fourth.scene() is gates.graphics.scene() and not fourth.isVisible()
    gates.render(history_of([probe("lstm")]))  # and comes back, shown
    assert fourth.isVisible() and fourth in gates.graphics.ci.items
    states = make_view(qtbot, StatesView)
    states.render(history_of([probe("gru")]))  # no cell state: its rows leave the layout
    assert states.cell_plot.scene() is states.graphics.scene()
    assert not states.cell_plot.isVisible()


def test_gates_view_says_a_plain_rnn_has_no_gates(qtbot):
    view = make_view(qtbot, GatesView)
    view.render(history_of([probe("rnn")]))
    assert view.message == NO_GATES
    view.render(history_of([probe("gru")]))
    assert view.message is None
    assert list(view.images) == list(GATE_NAMES["gru"])


def test_gates_view_timeline_follows_the_latest_only_at_the_right_end(qtbot):
    history = history_of([probe("lstm", step=s, seed=s) for s in (0, 10, 20)])
    view = make_view(qtbot, GatesView)
    view.render(history)
    assert view.trace is history.snapshots[-1].trace
    view.timeline.slider.setValue(0)  # go back to the first probe
    assert view.trace is history.snapshots[0].trace
    np.testing.assert_array_equal(view.images["input"].image,
                                  history.snapshots[0].trace.gates["input"][0, 0].T)
    history.add(probe("lstm", step=30, seed=30))
    view.render(history)
    assert view.trace is history.snapshots[0].trace  # stays where the user put it
    view.timeline.slider.setValue(view.timeline.slider.maximum())
    history.add(probe("lstm", step=40, seed=40))
    view.render(history)
    assert view.trace is history.snapshots[-1].trace  # at the end: follows
    assert "5/5" in view.timeline.label.full_text and "step 40" in view.timeline.label.full_text


def test_in_a_narrow_view_the_timeline_slider_keeps_its_width_and_the_label_shortens(qtbot):
    # at 1264x752 the label's long text squeezed the slider to a bare handle
    view = make_view(qtbot, GatesView)
    view.render(history_of([probe("lstm", step=s, seed=s) for s in (0, 10)]))
    view.resize(380, 500)
    qtbot.waitUntil(lambda: view.width() == 380)
    bar = view.timeline
    assert bar.slider.width() >= 90
    assert bar.label.full_text.startswith("probe 2/2") and "step 10" in bar.label.full_text
    shown = bar.label.text()
    assert shown.endswith("…") and len(shown) < len(bar.label.full_text)
    assert bar.label.toolTip() == bar.label.full_text


def test_gates_view_plays_and_scrubs_the_cursor(qtbot):
    tr = probe("gru").trace
    view = make_view(qtbot, GatesView)
    view.render(history_of([ProbeReady(step=0, epoch=0, trace=tr)]))
    view.step_slider.setValue(3)
    assert all(line.value() == 3 for line in view._cursors)
    xs, ys = view.input_marker.getData()
    np.testing.assert_array_equal(xs, [3.0])
    np.testing.assert_array_equal(ys, tr.inputs[0, 3, :])
    view.show()
    qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
    assert view.timer.isActive()
    qtbot.waitUntil(lambda: view.time_step == 5, timeout=3000)
    qtbot.waitUntil(lambda: view.time_step == 0, timeout=3000)  # wraps around
    qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
    assert not view.timer.isActive()
    view.play_button.setChecked(True)
    view.hide()
    assert not view.timer.isActive()


# ---------------------------------------------------------------------- StatesView
def test_states_view_heatmaps_levels_and_picked_units(qtbot, tmp_path):
    p = probe("lstm", step=1)
    tr = p.trace
    view = make_view(qtbot, StatesView)
    view.render(history_of([p]))
    np.testing.assert_array_equal(view.hidden_image.image, tr.hidden[0, 0].T)
    np.testing.assert_array_equal(view.cell_image.image, tr.cell[0, 0].T)
    assert view.levels["hidden"] == (-1.0, 1.0)
    m = float(np.percentile(np.abs(tr.cell), 99))  # over the whole probe
    assert view.levels["cell"] == pytest.approx((-m, m))
    assert tuple(view.cell_image.levels) == pytest.approx((-m, m))
    assert view.picked_units() == [0, 1, 2]
    view.layer_combo.setCurrentIndex(1)
    view.set_picked_units([2])
    assert set(view._unit_curves) == {2}
    hc, cc = view._unit_curves[2]
    np.testing.assert_array_equal(original(hc)[1], tr.hidden[1, 0, :, 2])
    np.testing.assert_array_equal(original(cc)[1], tr.cell[1, 0, :, 2])
    # switching layer keeps the levels of the probe (fixed per probe)
    assert view.levels["cell"] == pytest.approx((-m, m))
    df = read_csv(view.export_data(tmp_path / "states.csv"))
    np.testing.assert_array_equal(df["h_u1"].to_numpy(np.float32), tr.hidden[1, 0, :, 1])
    np.testing.assert_array_equal(df["c_u0"].to_numpy(np.float32), tr.cell[1, 0, :, 0])


def test_states_view_gru_has_no_cell_and_relu_h_gets_data_levels(qtbot):
    view = make_view(qtbot, StatesView)
    view.render(history_of([probe("gru")]))
    assert not view.shows_cell and view.cell_plot not in view.graphics.ci.items
    assert not view.cell_plot.isVisible()  # out of the layout (and hidden in its scene)
    assert "cell" not in view.levels and view.cell_image.image is None
    tr = probe("rnn").trace
    big = dataclasses.replace(tr, hidden=(tr.hidden * 3 + 1.5).astype(np.float32))  # ReLU-like
    view.render(history_of([ProbeReady(step=0, epoch=0, trace=big)]))
    m = float(np.percentile(np.abs(big.hidden), 99))
    assert view.levels["hidden"] == pytest.approx((-m, m))
    view.render(history_of([probe("lstm")]))  # back to an LSTM: the c rows return
    assert view.shows_cell and view.cell_plot.scene() is view.graphics.scene()


# ---------------------------------------------------------------------- GradientsView
def gradient_trace(values: np.ndarray, step: int = 0):
    tr = demo_trace("rnn", layers=values.shape[0], windows=values.shape[1],
                    steps=values.shape[2], hidden=2)
    return dataclasses.replace(tr, grad_hidden=values.astype(np.float32), step=step)


def test_gradients_view_draws_median_and_band_per_layer_with_decade_range(qtbot, tmp_path):
    g = np.array([[[1e-3, 1e-2, 2e-2, 5e-2],
                   [2e-3, 3e-2, 1e-2, 4e-2],
                   [4e-3, 2e-2, 3e-2, 3e-2]]])  # (L=1, W=3, T=4)
    events = [batch(1, 0.5), batch(2, 0.4),
              ProbeReady(step=2, epoch=1, trace=gradient_trace(g, step=2))]
    view = make_view(qtbot, GradientsView)
    view.render(history_of(events))
    np.testing.assert_allclose(original(view.median_curves[0])[1],
                               [2e-3, 2e-2, 2e-2, 4e-2], rtol=1e-6)
    np.testing.assert_allclose(original(view.min_curves[0])[1], [1e-3, 1e-2, 1e-2, 3e-2],
                               rtol=1e-6)
    np.testing.assert_allclose(original(view.max_curves[0])[1], [4e-3, 3e-2, 3e-2, 5e-2],
                               rtol=1e-6)
    lo, hi = view.step_plot.viewRange()[1]  # log10 units
    assert (lo, hi) == pytest.approx((-3.02, -0.98))
    # ratio: median over windows of g[:, 0] / g[:, -1] = median(0.02, 0.05, 0.1333)
    assert "0.05" in view.ratio_text
    np.testing.assert_allclose(original(view.group_curves["recurrent"])[1], [0.2, 0.4],
                               rtol=1e-6)
    np.testing.assert_array_equal(original(view.group_curves["head"])[0], [1, 2])

    # a later probe with much smaller gradients: the range follows the latest probe only
    events.append(ProbeReady(step=3, epoch=1, trace=gradient_trace(g * 1e-6, step=3)))
    h = history_of(events)
    view.render(h)
    lo, hi = view.step_plot.viewRange()[1]
    assert (lo, hi) == pytest.approx((-9.02, -6.98))
    np.testing.assert_allclose(original(view.earlier_curves[-1][0])[1],
                               [2e-3, 2e-2, 2e-2, 4e-2], rtol=1e-6)
    df = read_csv(view.export_data(tmp_path / "grad.csv"))
    np.testing.assert_allclose(df["layer1_median"].dropna(), [2e-9, 2e-8, 2e-8, 4e-8],
                               rtol=1e-6)
    np.testing.assert_allclose(df["grad_input"].dropna(), [0.1, 0.2], rtol=1e-6)
    np.testing.assert_allclose(df["earlier_step2_layer1_median"].dropna(),
                               [2e-3, 2e-2, 2e-2, 4e-2], rtol=1e-6)


def test_gradients_view_names_a_vanishing_gradient(qtbot):
    g = np.array([[[1e-9, 1e-5, 1e-1]]])  # ratio 1e-8
    view = make_view(qtbot, GradientsView)
    view.render(history_of([ProbeReady(step=0, epoch=0, trace=gradient_trace(g))]))
    assert "1e-08" in view.ratio_text and "vanishes" in view.ratio_text


# ---------------------------------------------------------------------- InfluenceView
def test_influence_view_draws_each_window_the_median_and_the_reach(qtbot, tmp_path):
    infl = np.array([[0.001, 0.01, 0.2, 0.4, 1.0],
                     [0.003, 0.05, 0.1, 0.6, 3.0]])  # (W=2, T=5)
    tr = dataclasses.replace(demo_trace("lstm", windows=2, steps=5, hidden=2),
                             influence=infl.astype(np.float32))
    view = make_view(qtbot, InfluenceView)
    view.render(history_of([ProbeReady(step=0, epoch=0, trace=tr)]))
    np.testing.assert_array_equal(original(view.window_curves[1])[1], np.float32(infl[1]))
    median = np.float32([0.002, 0.03, 0.15, 0.5, 2.0])
    np.testing.assert_allclose(original(view.median_curve)[1], median, rtol=1e-6)
    # 1% of the peak (2.0) is 0.02: first reached at step 1 (0.03) -> 4 of 5 steps
    assert view.reach_steps == 4
    assert view.reach_line.value() == 1.0
    assert "<b>4</b> of 5 steps" in view.reach_text
    lo, hi = view.plot.viewRange()[1]
    assert (lo, hi) == pytest.approx((-3.02, 1.02))
    df = read_csv(view.export_data(tmp_path / "influence.csv"))
    np.testing.assert_allclose(df["median"], median, rtol=1e-6)
    np.testing.assert_allclose(df["window1_row0"], infl[0], rtol=1e-6)


# ---------------------------------------------------------------------- exports per view
@pytest.mark.parametrize("name", VIEW_NAMES)
def test_each_view_exports_png_svg_and_csv(qtbot, tmp_path, name):
    import xml.etree.ElementTree as ET

    from PySide6.QtGui import QImage

    view = build_demo_view(VIEWS[name])
    qtbot.addWidget(view)
    png = view.export_image(tmp_path / f"{name}.png")
    img = QImage(str(png))
    assert not img.isNull() and img.width() > 300 and img.height() > 200
    # not a blank picture: many distinct colours
    sample = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(sample) > 20
    svg = view.export_image(tmp_path / f"{name}.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 20
    cols = view.data_columns()
    df = read_csv(view.export_data(tmp_path / f"{name}.csv"))
    assert list(df.columns) == list(cols)
    for key, values in cols.items():
        values = np.asarray(values)
        got = df[key].iloc[: values.size]
        if values.dtype.kind == "f":
            np.testing.assert_array_equal(got.to_numpy(np.float64), values.astype(np.float64))
        elif values.dtype.kind in "iu":
            np.testing.assert_array_equal(got.to_numpy(np.int64), values)


def test_qt_warning_guard_catches_warnings(qt_message_guard):
    from PySide6.QtCore import qWarning

    qWarning("rnnviz test warning")
    assert any("rnnviz test warning" in m for m in qt_message_guard.unexpected)
    qt_message_guard.unexpected.clear()  # this one was on purpose


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_drawing_event_by_event_ends_like_drawing_all_at_once(qtbot, name):
    """A live run (render after every event) leaves the same arrays as one render at the end."""
    from rnnviz.gui.views.demo import demo_events

    events = demo_events("gru", epochs=3, batches_per_epoch=4, steps=7, hidden=3, windows=2)
    live, once = make_view(qtbot, VIEWS[name]), make_view(qtbot, VIEWS[name])
    history = RunHistory()
    for ev in events:
        history.add(ev)
        live.render(history)
    once.render(history_of(events))
    a, b = live.data_columns(), once.data_columns()
    assert list(a) == list(b) and a
    for key in a:
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)


def test_docs_views_md_has_a_section_per_view():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "views.md").read_text()
    for name in VIEW_NAMES:
        assert f"\n## {VIEWS[name].title}\n" in text
    assert "python -m rnnviz.gui.views.loss_view" in text


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_views_draw_a_diverged_run_with_nan_without_errors(qtbot, name):
    """NaN losses and a probe full of NaN (a diverged run) draw without exceptions."""
    tr = probe("lstm").trace
    nan_trace = dataclasses.replace(
        tr,
        hidden=np.full_like(tr.hidden, np.nan), cell=np.full_like(tr.cell, np.nan),
        gates={g: np.full_like(a, np.nan) for g, a in tr.gates.items()},
        grad_hidden=np.full_like(tr.grad_hidden, np.nan),
        influence=np.full_like(tr.influence, np.nan))
    events = [started({"last_value": 0.5}), batch(1, 0.5), batch(2, float("nan")),
              batch(3, 0.0), epoch_done(1, 3, float("nan"), float("inf")),
              ProbeReady(step=2, epoch=1, trace=nan_trace)]
    view = make_view(qtbot, VIEWS[name])
    view.render(history_of(events))
    assert view.data_columns() or name == "forecast"
    if name == "loss":
        view.log_check.setChecked(True)  # a loss of exactly 0 on a log axis


# ---------------------------------------------------------------------- cheap redraws
def settle():
    from PySide6.QtWidgets import QApplication

    for _ in range(3):  # deferred layout passes
        QApplication.processEvents()


def test_set_title_keeps_a_wrapped_title_row_and_skips_an_unchanged_text(qtbot, monkeypatch):
    # PlotItem.setTitle put the row back to 30 px at every call, so a two-line title's row
    # shrank and grew again after each probe (moving every plot of the page)
    from rnnviz.gui import theme
    from rnnviz.gui.views.base import set_title

    g = theme.new_graphics()
    qtbot.addWidget(g)
    g.resize(260, 300)
    g.show()
    qtbot.waitExposed(g)
    plot = g.addPlot()
    long_a = "input window 1 (scaled) · layer 1 · LSTM probe at epoch 1, step 40"
    long_b = "input window 1 (scaled) · layer 1 · LSTM probe at epoch 2, step 80"
    assert set_title(plot, long_a) is True
    settle()
    row = plot.titleLabel.maximumHeight()
    assert row > 30  # wrapped onto more lines than pyqtgraph's 30 px row holds
    calls = []
    monkeypatch.setattr(plot, "setTitle", lambda *a, **k: calls.append(a))
    assert set_title(plot, long_b) is True
    assert plot.titleLabel.text == long_b
    assert plot.titleLabel.maximumHeight() == row  # at once, no event loop needed
    assert set_title(plot, long_b) is False  # unchanged: nothing set
    assert calls == []


def test_held_label_keeps_the_room_of_its_tallest_text_until_its_width_changes(qtbot):
    from rnnviz.gui import theme
    from rnnviz.gui.views.base import hold_layout

    g = theme.new_graphics()
    qtbot.addWidget(g)
    g.resize(300, 200)
    g.show()
    qtbot.waitExposed(g)
    label = pg.LabelItem("", justify="left", size="10pt")
    g.addItem(label, row=0, col=0)
    g.addPlot(row=1, col=0)
    settle()
    label.setText("short")
    hold_layout(label)
    settle()
    one_line = label.minimumHeight()
    label.setText("a much longer sentence that cannot fit on one line of this narrow page")
    hold_layout(label)
    settle()
    two_lines = label.minimumHeight()
    assert two_lines > one_line * 1.5
    label.setText("short again")  # fewer lines at the same width: the room stays
    settle()
    assert label.minimumHeight() == two_lines
    g.resize(900, 200)  # another width: the label fits its text again
    settle()
    label.setText("short")
    settle()
    assert label.minimumHeight() == one_line


def test_colour_bar_levels_are_set_only_when_they_change(qtbot, monkeypatch):
    from rnnviz.gui.views.base import set_bar_levels

    bar = pg.ColorBarItem(values=(-1.0, 1.0), interactive=False)
    calls = []
    real = bar.setLevels
    monkeypatch.setattr(bar, "setLevels", lambda **kw: (calls.append(kw), real(**kw)))
    assert set_bar_levels(bar, (-1, 1)) is False
    assert calls == []
    assert set_bar_levels(bar, (-2.5, 2.5)) is True
    assert tuple(bar.levels()) == (-2.5, 2.5)
    assert len(calls) == 1


def test_axes_leave_out_only_tick_lines_too_faint_to_see(qtbot):
    from PySide6.QtGui import QPainter, QPicture

    from rnnviz.gui import theme
    from rnnviz.gui.views.base import FAINT_TICK_ALPHA, skip_faint_ticks

    g = theme.new_graphics()
    qtbot.addWidget(g)
    g.resize(500, 300)
    g.show()
    qtbot.waitExposed(g)
    plot = theme.add_log_plot(g, 0, 0)
    theme.style_plot(plot, y="y")
    plot.addItem(pg.PlotDataItem(np.arange(48.0), 10.0 ** np.linspace(-7, 0, 48)))
    settle()
    axis = plot.getAxis("left")

    def specs():
        pic = QPicture()
        painter = QPainter(pic)
        try:
            return axis.generateDrawSpecs(painter)
        finally:
            painter.end()

    before = specs()
    alphas = [t[0].color().alpha() for t in before[1]]
    assert min(alphas) < FAINT_TICK_ALPHA  # seven decades: pyqtgraph fades the 2..9 lines
    skip_faint_ticks(axis)
    skip_faint_ticks(axis)  # a second call changes nothing
    after = specs()
    kept = [(t[0].color().alpha(), t[1].y()) for t in after[1]]
    assert kept == [(t[0].color().alpha(), t[1].y()) for t in before[1]
                    if t[0].color().alpha() >= FAINT_TICK_ALPHA]
    assert len(kept) >= 8  # the decades (and their grid lines) are all still drawn
    assert [t[2] for t in after[2]] == [t[2] for t in before[2]]  # same tick labels


def test_a_new_probe_does_not_restyle_the_states_line_axis(qtbot, monkeypatch):
    view = make_view(qtbot, StatesView)
    h = history_of([started(), probe("lstm", step=0)])
    view.render(h)
    calls = []
    monkeypatch.setattr(view.line_plot, "setLabel", lambda *a, **k: calls.append(a))
    h.add(probe("lstm", step=3, seed=1))
    view.render(h)
    assert view.info_item.text.endswith("step 3")  # the probe was drawn
    assert calls == []
    h.add(probe("gru", step=6, seed=2))  # no c rows: the h lines get the time axis
    view.render(h)
    assert len(calls) == 1 and not view.shows_cell


def test_a_new_forecast_does_not_set_the_series_again(qtbot, monkeypatch):
    view = make_view(qtbot, ForecastView)
    view.set_series(small_series())
    calls = []
    real = view.actual_curve.setData
    monkeypatch.setattr(view.actual_curve, "setData",
                        lambda *a, **k: (calls.append(a), real(*a, **k)))
    h = history_of([started()])
    fc = small_forecast()
    h.add(fc)
    view.render(h)
    first_items = [view.table.item(r, 1) for r in range(view.table.rowCount())]
    h.add(dataclasses.replace(fc, epoch=4, one_step=fc.one_step + 1.0))  # same metrics
    view.render(h)
    assert calls == []  # the series did not change
    x, y = original(view.actual_curve)
    np.testing.assert_allclose(y, np.arange(20) * 1.5 + 10)  # and is still drawn
    np.testing.assert_allclose(original(view.one_step_curve)[1],
                               np.arange(12, 20) * 1.5 + 10 + 1.25)
    assert [view.table.item(r, 1) for r in range(view.table.rowCount())] == first_items
    view.target_combo.setCurrentIndex(1)  # another target: the series is set again
    assert len(calls) == 1
    np.testing.assert_allclose(original(view.actual_curve)[1], -np.arange(20.0))


# ---------------------------------------------------------------------- small docks (1280x800)
def _shown_at(qtbot, cls, history, size=(499, 360)):
    from PySide6.QtWidgets import QApplication

    view = make_view(qtbot, cls)
    view.resize(*size)  # about a view's size in a 1280x800 window
    view.show()
    qtbot.waitExposed(view)
    view.render(history)
    for _ in range(3):  # deferred layout passes
        QApplication.processEvents()
    return view


def _scene_rect(item):
    return item.mapRectToScene(item.boundingRect())


@pytest.mark.parametrize("cls", [GradientsView, InfluenceView])
def test_legends_sit_under_their_plots_and_inside_the_page(qtbot, cls):
    view = _shown_at(qtbot, cls, demo_history("lstm"))
    plots = ([view.step_plot, view.group_plot] if cls is GradientsView else [view.plot])
    legends = ([view.step_legend, view.group_legend] if cls is GradientsView
               else [view.legend])
    page = view.graphics.sceneRect()
    for legend in legends:
        rect = _scene_rect(legend)
        assert rect.height() > 5 and len(legend.items) >= 2
        assert page.contains(rect), (rect, page)  # nothing of it cut off
        for plot in plots:  # it covers no plot's data area
            assert not rect.intersects(_scene_rect(plot.getViewBox())), (rect, plot)


def test_gradients_picture_shows_the_whole_scrolled_page(qtbot):
    view = _shown_at(qtbot, GradientsView, demo_history("lstm"), size=(499, 250))
    area = view.graphics.parentWidget().parentWidget()
    assert view.graphics.height() > area.viewport().height()  # the page scrolls
    assert view._image_widget().grab().height() == view.graphics.height()


@pytest.mark.parametrize("size", [(390, 330), (499, 360), (700, 460)])
def test_states_colour_bar_labels_do_not_overlap(qtbot, size):
    p = probe("lstm", step=4, steps=12, hidden=8)
    tr = p.trace
    big = dataclasses.replace(tr, cell=(tr.cell * 123.456).astype(np.float32))  # a long p99
    view = _shown_at(qtbot, StatesView, history_of([ProbeReady(step=4, epoch=1, trace=big)]),
                     size=size)
    labels = [view.cell_bar.axis.label, view.hidden_bar.axis.label]
    rects = [_scene_rect(lb) for lb in labels]
    assert all(r.height() > 3 for r in rects)
    assert not rects[0].intersects(rects[1]), rects
    bars = [_scene_rect(view.cell_bar), _scene_rect(view.hidden_bar)]
    for bar, r in zip(bars, rects, strict=True):  # each along its own bar, not past its end
        assert bar.top() - 1 <= r.top() and r.bottom() <= bar.bottom() + 1, (bar, r)
    m = float(np.percentile(np.abs(big.cell), 99))
    assert f"±{m:.3g}" in view.cell_plot.titleLabel.text  # the scale's words moved here


def test_theme_set_title_keeps_a_wrapped_title_row(qtbot):
    from PySide6.QtWidgets import QApplication

    from rnnviz.gui import theme

    g = theme.new_graphics()
    qtbot.addWidget(g)
    g.resize(260, 300)
    g.show()
    qtbot.waitExposed(g)
    plot = g.addPlot(row=0, col=0)
    long_a = "a title long enough to wrap onto more lines in a narrow plot, probe at step 10"
    theme.set_title(plot, long_a)
    for _ in range(3):
        QApplication.processEvents()
    row = plot.titleLabel.maximumHeight()
    assert row > 30  # wrapped: more than one line of room
    assert theme.set_title(plot, long_a.replace("10", "20")) is True
    assert plot.titleLabel.maximumHeight() == row  # pyqtgraph's setTitle put it back to 30
    assert theme.set_title(plot, long_a.replace("10", "20")) is False  # unchanged: not set


@pytest.mark.parametrize("size", [(390, 300), (499, 360), (900, 600)])
def test_forecast_part_names_sit_above_the_data_and_the_target_name_inside_the_view(
        qtbot, size):
    from PySide6.QtWidgets import QApplication

    view = make_view(qtbot, ForecastView)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_series(small_series())
    view.render(history_of([small_forecast()]))
    for _ in range(3):
        QApplication.processEvents()
    plot_area = _scene_rect(view.plot.getViewBox())
    page = view.graphics.sceneRect()
    target = small_series().target_names[0]
    rects = view.part_label_rects()
    assert set(rects) - {target} == {"test", "train", "validation"}
    for name, r in rects.items():
        assert page.contains(r) and r.bottom() <= plot_area.top() + 0.5, (name, r)
    # each over its own part: train left of validation left of test, none overprinting
    assert rects["train"].right() < rects["validation"].left()
    assert rects["validation"].right() < rects["test"].left()
    axis = view.plot.getAxis("left")
    if target in rects:  # the y axis was too short: the whole name is above the plot
        assert axis.labelText == "" and rects[target].right() < rects["train"].left()
    else:  # along the axis, whole, and no longer than the plot is high
        assert axis.labelText == target
        r = _scene_rect(axis.label)
        assert page.contains(r), (r, page)
        assert plot_area.top() - 1 <= r.top() and r.bottom() <= plot_area.bottom() + 1
    if size[1] >= 600:
        assert target not in rects  # room enough along the axis


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("size", [(390, 330), (499, 600)])
def test_gates_colour_bars_are_as_high_as_their_heatmaps(qtbot, cell, size):
    view = _shown_at(qtbot, GatesView, history_of([probe(cell, steps=12, hidden=8)]),
                     size=size)
    assert len(view.colorbars) == len(GATE_NAMES[cell])
    heatmap_xs = set()
    for gate, plot in view.gate_plots.items():
        heatmap = _scene_rect(plot.getViewBox())
        bar = _scene_rect(view.colorbars[gate].getViewBox())
        assert abs(bar.top() - heatmap.top()) <= 1.5, (gate, bar, heatmap)
        assert abs(bar.bottom() - heatmap.bottom()) <= 1.5, (gate, bar, heatmap)
        assert bar.left() > heatmap.right()
        heatmap_xs.add((round(heatmap.left()), round(heatmap.right())))
    inputs = _scene_rect(view.input_plot.getViewBox())
    heatmap_xs.add((round(inputs.left()), round(inputs.right())))
    assert len(heatmap_xs) == 1  # time steps line up from the input down to the last gate


def test_a_subtitle_longer_than_its_room_ends_in_an_ellipsis(qtbot):
    from PySide6.QtWidgets import QApplication

    view = make_view(qtbot, LossView)
    view.resize(560, 200)
    view.show()
    qtbot.waitExposed(view)
    text = "epoch 6 · 264 batches and a long tail that cannot fit in a narrow header"
    view.set_subtitle(text)
    QApplication.processEvents()
    label = view._subtitle_label
    assert view.subtitle == text
    assert label.text().endswith("…") and len(label.text()) < len(text)
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    assert label.toolTip() == text
    view.resize(1400, 200)
    QApplication.processEvents()
    assert label.text() == text and label.toolTip() == ""
