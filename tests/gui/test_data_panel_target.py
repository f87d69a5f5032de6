"""The Data panel's default target: the same column ``rnnviz train`` picks (row counters skipped)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnviz.core.config import DataConfig
from rnnviz.core.csvload import load_csv
from rnnviz.core.series import prepare_series


def _open(tmp_path, frame: pd.DataFrame, sep: str = ","):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, sep=sep)
    return path, load_csv(path)


def _combo_items(panel):
    return [panel.target_combo.itemText(i) for i in range(panel.target_combo.count())]


def test_a_row_counter_is_not_the_default_target(qtbot, data_panel, tmp_path):
    n = 400
    frame = pd.DataFrame({"step": np.arange(n), "x": np.sin(np.arange(n) / 7),
                          "y": np.cos(np.arange(n) / 9)})
    path, table = _open(tmp_path, frame, sep=" ")
    data_panel.set_table(path, table)
    assert _combo_items(data_panel) == ["step", "x", "y"]  # the counter can still be chosen
    assert data_panel.target_combo.currentText() == "x"
    assert data_panel.data_fields()["target"] == "x"
    items = [data_panel.inputs_list.item(i).text() for i in range(data_panel.inputs_list.count())]
    assert items == ["step", "y"]  # every numeric column but the target
    # the window and the command line agree: the CLI's default (no target given) is the same
    assert prepare_series(table, DataConfig(lookback=4)).target_names == ("x",)


def test_a_reading_number_beside_the_time_column_is_skipped_too(qtbot, data_panel, tmp_path):
    n = 120
    frame = pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n, freq="D")
                          .strftime("%Y-%m-%d"), "reading": np.arange(1000, 1000 + 5 * n, 5),
                          "load": 50 + np.sin(np.arange(n) / 5)})
    path, table = _open(tmp_path, frame)
    data_panel.set_table(path, table)
    assert data_panel.time_column() == "date"
    assert _combo_items(data_panel) == ["reading", "load"]
    assert data_panel.target_combo.currentText() == "load"


def test_a_measurement_first_stays_the_default(qtbot, data_panel, tmp_path):
    n = 60
    frame = pd.DataFrame({"temp": 10 + np.sin(np.arange(n) / 5), "row": np.arange(n)})
    path, table = _open(tmp_path, frame)
    data_panel.set_table(path, table)
    assert data_panel.target_combo.currentText() == "temp"


def test_when_every_column_counts_rows_the_first_is_kept(qtbot, data_panel, tmp_path):
    n = 60
    frame = pd.DataFrame({"a": np.arange(n), "b": np.arange(0, 2 * n, 2)})
    path, table = _open(tmp_path, frame)
    data_panel.set_table(path, table)
    assert data_panel.target_combo.currentText() == "a"


def test_a_config_given_with_the_table_still_wins(qtbot, data_panel, tmp_path):
    n = 100
    frame = pd.DataFrame({"step": np.arange(n), "x": np.sin(np.arange(n) / 7)})
    path, table = _open(tmp_path, frame)
    data_panel.set_table(path, table, config=DataConfig(target="step"))
    assert data_panel.target_combo.currentText() == "step"
