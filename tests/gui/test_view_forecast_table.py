"""The Forecast view's metrics table shows every row in a small dock (QA: a 1280x800 window
showed 3 of its 8 rows; the rest were cut off)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from rnnviz.core.events import ForecastReady
from rnnviz.core.history import RunHistory
from rnnviz.gui.views.demo import demo_series
from rnnviz.gui.views.forecast_view import METRICS, ForecastView

DOCK_1280x800 = (507, 289)
"""The Forecast view's size in the default layout of a 1280x800 window (measured: MainWindow
resized to 1280x800, shown, ``views["forecast"].size()``)."""
DOCK_1600x1000 = (653, 375)
"""The same in a 1600x1000 window (the size of ``rnnviz gui --screenshot``)."""

ROWS = ("one_step", "recursive", "naive", "seasonal_naive", "mean", "dense", "naive_recursive",
        "seasonal_naive_recursive")
"""Every row a real run's table has with horizon 1 (rnnviz.core.forecast: the model's two
forecasts and the baselines)."""


def metrics_of(names: tuple[str, ...], offset: float) -> dict[str, dict[str, float]]:
    """Distinct values per row and column, as the engine gives them (data units)."""
    return {n: {"mae": 600.0 + 11.5 * i + offset, "rmse": 800.25 + i, "mase": 0.5 + 0.125 * i,
                "smape": 2.0 + i / 8} for i, n in enumerate(names)}


def forecast(note: str = "", val_rows: tuple[str, ...] = ROWS[:3]) -> ForecastReady:
    series = demo_series()
    idx = np.arange(series.train_end, series.raw.shape[0], dtype=np.int64)
    actual = series.raw[idx, :1]
    return ForecastReady(epoch=3, index=idx, actual=actual, one_step=actual + 0.5,
                         recursive=actual - 0.5, future=np.zeros((5, 1)) + 50.0,
                         metrics={"test": metrics_of(ROWS, 0.0),
                                  "validation": metrics_of(val_rows, 1000.0)},
                         note=note)


def shown_view(qtbot, size: tuple[int, int], fc: ForecastReady) -> ForecastView:
    view = ForecastView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_series(demo_series())
    history = RunHistory()
    history.add(fc)
    view.render(history)
    return view


def rows_inside(view: ForecastView) -> list[bool]:
    """For each row: are its first and last cells wholly inside the table's viewport?"""
    t = view.table
    port = t.viewport().rect()
    return [port.contains(t.visualRect(t.model().index(r, 0)))
            and port.contains(t.visualRect(t.model().index(r, t.columnCount() - 1)))
            for r in range(t.rowCount())]


def plot_height(view: ForecastView) -> float:
    return float(view.plot.getViewBox().size().height())


@pytest.mark.parametrize("size", [DOCK_1280x800, DOCK_1600x1000])
def test_every_row_of_the_table_is_in_view_in_the_default_dock(qtbot, size):
    view = shown_view(qtbot, size, forecast())
    assert view.table.rowCount() == len(ROWS)
    qtbot.waitUntil(lambda: all(rows_inside(view)))
    assert view.table.verticalScrollBar().maximum() == 0  # nothing to scroll to
    # the rows hold the engine's numbers, four significant digits
    expected = metrics_of(ROWS, 0.0)
    for r, name in enumerate(ROWS):
        assert view.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == name
        texts = [view.table.item(r, c).text() for c in range(1, 1 + len(METRICS))]
        assert texts == [f"{expected[name][k]:.4g}" for k, _ in METRICS]
    # and the plot above keeps a view of the series
    assert plot_height(view) >= 24
    assert view.graphics.width() >= view.width() - 20  # the table sits under the plot


def test_a_note_takes_one_line_and_the_rows_still_fit(qtbot):
    note = ("The recursive forecast uses the known values of the other inputs over the "
            "held-out rows; past the end of the data they are held at their last value.")
    view = shown_view(qtbot, DOCK_1280x800, forecast(note=note))
    qtbot.waitUntil(lambda: all(rows_inside(view)))
    label = view.note_label
    assert label.isVisible() and label.full_text == note
    assert label.height() <= label.fontMetrics().height() + 4  # one line
    assert label.text().endswith("…") and label.toolTip() == note  # the rest in its tooltip


def test_fewer_rows_give_the_plot_the_room(qtbot):
    view = shown_view(qtbot, DOCK_1280x800, forecast())
    qtbot.waitUntil(lambda: all(rows_inside(view)))
    tall_table, short_plot = view.table.height(), plot_height(view)
    view.split_combo.setCurrentText("validation")  # three rows there
    assert view.table.rowCount() == 3
    assert view.table.horizontalHeaderItem(0).text().startswith("validation")
    qtbot.waitUntil(lambda: view.table.height() == view.table_height())
    assert view.table.height() < tall_table - 4 * view.table.rowHeight(0)
    qtbot.waitUntil(lambda: plot_height(view) > short_plot + 4 * view.table.rowHeight(0))
    assert all(rows_inside(view))


def test_a_wide_short_view_puts_the_table_beside_the_plot(qtbot):
    # too short for the plot over eight rows, wide enough for both side by side
    view = shown_view(qtbot, (800, 240), forecast())
    qtbot.waitUntil(lambda: view.splitter.orientation() == Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: all(rows_inside(view)))
    assert view.graphics.width() >= 200
    assert view.table.horizontalScrollBar().maximum() == 0  # every column whole
