"""The Data panel's series plot: a readable window label and a clean empty state.

Expected values are written out by hand (window arithmetic, ordinals) or read from the data
with numpy; positions are checked in scene pixels, as a user would see them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QFormLayout, QLabel

from rnnviz.core.config import DataConfig
from rnnviz.core.csvload import load_csv
from rnnviz.core.series import prepare_series
from rnnviz.gui.panels import DataPanel
from rnnviz.gui.panels.data_panel import EMPTY_MESSAGES, ordinal

ROWS = 120


def frame(rows: int = ROWS) -> pd.DataFrame:
    """Daily series whose top is a spike: a curve drawn to the top of the plot."""
    t = pd.date_range("2022-01-01", periods=rows, freq="D")
    i = np.arange(rows)
    value = 10 + np.sin(i / 5)
    value[rows // 2] = 40.0  # one tall spike near the window
    return pd.DataFrame({"date": t.strftime("%Y-%m-%d"), "value": value,
                         "other": (i % 7).astype(float)})


@pytest.fixture
def panel(data_panel):
    """The shared Data panel (tests/gui/conftest.py)."""
    return data_panel


def open_table(panel: DataPanel, tmp_path, df: pd.DataFrame | None = None):
    path = tmp_path / "s.csv"
    (frame() if df is None else df).to_csv(path, index=False)
    t = load_csv(path)
    panel.set_table(path, t)
    return t


def draw(panel: DataPanel, t, *, lookback: int, horizon: int, step: int = 1, delay: int = 0,
         split: tuple[float, float, float] | None = None):
    fields = panel.data_fields()
    if split is not None:
        fields["split"] = split
    cfg = DataConfig(**fields).replace(lookback=lookback, horizon=horizon, step=step,
                                       delay=delay)
    series = prepare_series(t, cfg)
    panel.set_series(series)
    panel.set_window(lookback, horizon, step, delay)
    return series


def label_inside_view_top(panel: DataPanel) -> bool:
    vb = panel.plot.getViewBox()
    view = vb.sceneBoundingRect()
    lab = panel.window_label.sceneBoundingRect()
    return (lab.width() > 20 and view.contains(lab.adjusted(1, 1, -1, -1))
            and lab.top() - view.top() < 0.25 * view.height())


# ---------------------------------------------------------------------- window label
def test_window_label_is_drawn_above_the_curve_and_names_the_settings(qtbot, panel, tmp_path):
    t = open_table(panel, tmp_path)
    draw(panel, t, lookback=10, horizon=3)
    label = panel.window_label
    assert label.isVisible()
    below = [panel.curve, panel.sample_dots, panel.target_dots,
             *panel.regions.values(), *panel.window_regions.values()]
    assert all(label.zValue() > item.zValue() for item in below)
    text = label.toPlainText()
    assert "lookback 10" in text and "horizon 3" in text
    # an opaque fill behind the text: the curve cannot show through it
    assert label.fill.color().alpha() >= 200
    # new settings, new text
    panel.set_window(7, 5, 2, 1)
    text = label.toPlainText()
    assert "lookback 7" in text and "horizon 5" in text
    assert "step 2" in text and "delay 1" in text


def test_window_label_sits_in_the_plots_top_area_over_room_left_free(qtbot, panel, tmp_path):
    t = open_table(panel, tmp_path)
    draw(panel, t, lookback=10, horizon=3)
    qtbot.waitUntil(lambda: label_inside_view_top(panel))
    vb = panel.plot.getViewBox()
    y = frame()["value"].to_numpy()
    x = panel._x()
    (x0, x1), (y0, y1) = vb.viewRange()
    # the whole series is in view, with room above its highest point
    assert x0 <= x[0] and x1 >= x[-1]
    assert y0 < y.min() and y1 > y.max() + 0.2 * (y.max() - y.min())
    # so the label's box ends above the spike's pixel row: the curve does not cross the text
    spike_row = vb.mapViewToScene(QPointF(x[ROWS // 2], y.max())).y()
    assert panel.window_label.sceneBoundingRect().bottom() <= spike_row


@pytest.mark.parametrize("split", [(0.05, 0.9, 0.05), (0.9, 0.1, 0.0)])
def test_window_label_stays_inside_the_plot_near_either_edge(qtbot, panel, tmp_path, split):
    t = open_table(panel, tmp_path)
    series = draw(panel, t, lookback=3, horizon=2, split=split)
    inputs, targets = panel.window_rows()
    # the window is where the test put it: at the left, or at the right, end of the series
    if split[0] < 0.5:
        assert inputs[0] < 0.1 * ROWS
    else:
        assert targets[-1] > 0.85 * ROWS and series.train_end > 0.85 * ROWS
    qtbot.waitUntil(lambda: label_inside_view_top(panel))


def test_window_label_follows_a_pan(qtbot, panel, tmp_path):
    t = open_table(panel, tmp_path)
    draw(panel, t, lookback=10, horizon=3)
    vb = panel.plot.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    vb.setRange(yRange=(y0 - 5, y1 - 5), padding=0)
    _, (_, top) = vb.viewRange()
    assert panel.window_label.pos().y() == pytest.approx(top)
    qtbot.waitUntil(lambda: label_inside_view_top(panel))


def test_a_long_label_wraps_inside_a_narrow_plot(qtbot, panel, tmp_path):
    t = open_table(panel, tmp_path)
    draw(panel, t, lookback=10, horizon=3)
    panel.resize(230, 700)
    panel.set_window(12, 10, 3, 4)  # "lookback 12, step 3 | delay 4 · horizon 10": wider
    qtbot.waitUntil(lambda: panel.plot.getViewBox().width() < 200)
    qtbot.waitUntil(lambda: label_inside_view_top(panel))
    assert "horizon 10" in panel.window_label.toPlainText()


def test_every_row_is_read_with_step_one_so_no_dots_cover_the_curve(qtbot, panel, tmp_path):
    t = open_table(panel, tmp_path)
    draw(panel, t, lookback=10, horizon=3, step=1)
    xs, _ = panel.sample_dots.getData()
    assert len(xs) == 0
    tx, _ = panel.target_dots.getData()
    assert len(tx) == 3
    panel.set_window(4, 3, 3, 0)
    xs, _ = panel.sample_dots.getData()
    assert len(xs) == 4 and np.allclose(np.diff(xs), 3 * 86400.0)  # every 3rd day


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                     (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"),
                                     (101, "101st"), (111, "111th"), (112, "112th")])
def test_ordinal(n, text):
    assert ordinal(n) == text


# ---------------------------------------------------------------------- empty state
def test_an_empty_plot_shows_a_plain_message_and_no_axes(qtbot, panel):
    bottom, left = panel.plot.getAxis("bottom"), panel.plot.getAxis("left")
    assert not bottom.isVisible() and not left.isVisible()
    assert panel.empty_text.isVisible()
    assert panel.empty_text.toPlainText() == EMPTY_MESSAGES["no_table"]
    assert "Open a CSV" in panel.empty_text.toPlainText()
    assert not panel.window_label.isVisible()
    assert not any(r.isVisible() for r in (*panel.regions.values(),
                                           *panel.window_regions.values()))
    assert panel.legend_label.isHidden()
    # the message is in the middle of the view, not panned away
    (x0, x1), (y0, y1) = panel.plot.getViewBox().viewRange()
    assert x0 <= 0.5 <= x1 and y0 <= 0.5 <= y1


def test_each_empty_state_says_why(qtbot, panel, tmp_path):
    t = open_table(panel, tmp_path)
    assert panel.empty_text.toPlainText() == EMPTY_MESSAGES["pending"]
    draw(panel, t, lookback=10, horizon=3)
    assert not panel.empty_text.isVisible()
    assert panel.plot.getAxis("bottom").isVisible() and panel.plot.getAxis("left").isVisible()
    assert not panel.legend_label.isHidden()
    panel.set_series(None, "lookback 500 needs 501 rows")
    assert panel.empty_text.isVisible()
    assert panel.empty_text.toPlainText() == EMPTY_MESSAGES["problem"]
    assert not panel.plot.getAxis("bottom").isVisible()
    assert not panel.window_label.isVisible()
    assert len(panel.curve.getData()[0] if panel.curve.getData()[0] is not None else []) == 0
    panel.target_combo.setCurrentIndex(-1)  # no target chosen
    panel.set_series(None)
    assert panel.empty_text.toPlainText() == EMPTY_MESSAGES["no_target"]
    panel.clear_table()
    assert panel.empty_text.toPlainText() == EMPTY_MESSAGES["no_table"]


def test_a_problem_without_a_series_points_to_the_banner(qtbot, panel, tmp_path):
    open_table(panel, tmp_path)
    panel.show_problem("The training part has 20 rows; lookback 48 needs 49.")
    assert panel.empty_text.toPlainText() == EMPTY_MESSAGES["problem"]
    panel.show_problem(None)
    assert panel.empty_text.toPlainText() == EMPTY_MESSAGES["pending"]


def test_a_new_file_does_not_keep_the_old_files_curve(qtbot, panel, tmp_path):
    t = open_table(panel, tmp_path)
    draw(panel, t, lookback=10, horizon=3)
    assert len(panel.curve.getData()[0]) == ROWS
    open_table(panel, tmp_path, frame(60))
    assert panel.series is None and panel.empty_text.isVisible()
    assert not panel.window_label.isVisible()


# ---------------------------------------------------------------------- the form
def test_combine_by_applies_only_while_resampling(qtbot, panel):
    assert panel.resample_combo.currentText() == "off"
    assert not panel.how_combo.isEnabled()
    panel.resample_combo.setCurrentText("1W")
    assert panel.how_combo.isEnabled()
    panel.set_data_config(DataConfig(resample=None))
    assert not panel.how_combo.isEnabled()


def test_every_form_label_explains_its_setting(qtbot, panel):
    form = panel.setup_tab.layout().itemAt(0).layout()
    assert isinstance(form, QFormLayout)
    labels = [form.itemAt(r, QFormLayout.ItemRole.LabelRole) for r in range(form.rowCount())]
    labels = [item.widget() for item in labels if item is not None]
    assert len(labels) == 8
    for label in labels:
        assert isinstance(label, QLabel)
        assert len(label.toolTip()) > 40, label.text()


def test_the_test_share_is_shown_beside_the_split(qtbot, panel):
    panel.train_spin.setValue(60)
    panel.val_spin.setValue(25)
    assert panel.test_label.text() == "test 15 %"
    assert panel.test_label.parent() is panel.train_spin.parent()
