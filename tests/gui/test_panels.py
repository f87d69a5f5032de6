"""Data panel and model panel on their own: they show what was read, and build valid settings.

Expected values come from the config classes' own defaults and ranges, from pandas, or from
the window arithmetic written out by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from rnnviz.core import config as C
from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.csvload import load_csv
from rnnviz.core.series import prepare_series
from rnnviz.gui.panels import ModelPanel
from rnnviz.gui.panels.model_panel import FIELDS, SciSpinBox


def table(tmp_path, frame: pd.DataFrame, name="t.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, load_csv(path)


def multivariate(rows=120) -> pd.DataFrame:
    t = pd.date_range("2022-01-01", periods=rows, freq="D")
    i = np.arange(rows)
    return pd.DataFrame({"date": t.strftime("%Y-%m-%d"), "temp": 10 + np.sin(i / 5),
                         "rain": (i % 7).astype(float), "wind": 3 + np.cos(i / 3)})


# ---------------------------------------------------------------------- model panel
@pytest.fixture
def model_panel(qtbot):
    p = ModelPanel()
    qtbot.addWidget(p)
    return p


def test_every_engine_setting_has_an_editor_with_a_teaching_tooltip(model_panel):
    wanted = {f.name for f in dataclasses.fields(ModelConfig)} | {
        f.name for f in dataclasses.fields(TrainConfig)} | {
        "lookback", "horizon", "step", "delay", "stride", "season"}
    assert set(model_panel.editors) == wanted
    for f in FIELDS:
        assert len(f.tip) > 40, f"{f.name}: tooltip too short to teach"
        assert model_panel.editors[f.name].editor.toolTip() == f.tip
    assert "remember" in model_panel.editors["forget_bias"].field.tip
    assert "clip" in model_panel.editors["clip_norm"].field.tip.lower()
    assert "vanish" in model_panel.editors["spectral_radius"].field.tip


def test_defaults_are_the_engines_defaults_except_one_torch_thread(model_panel):
    run = model_panel.run_config()
    assert run.model == ModelConfig()
    assert run.train == TrainConfig(threads=1)
    d = DataConfig()
    assert (run.data.lookback, run.data.horizon, run.data.step, run.data.delay,
            run.data.stride, run.data.season) == (d.lookback, d.horizon, d.step, d.delay,
                                                   d.stride, d.season)


def test_ranges_are_the_config_validation_ranges(model_panel):
    ed = model_panel.editors
    assert (ed["layers"].editor.minimum(), ed["layers"].editor.maximum()) == (1, 4)
    assert (ed["dropout"].editor.minimum(), ed["dropout"].editor.maximum()) == (0.0, 0.9)
    assert (ed["lr"].editor.minimum(), ed["lr"].editor.maximum()) == (1e-8, 10.0)
    assert ed["hidden"].editor.maximum() == 4096
    assert [ed["cell"].editor.itemText(i) for i in range(ed["cell"].editor.count())] == list(C.CELLS)
    ed["layers"].editor.setValue(99)  # the spin box refuses what the config would refuse
    assert model_panel.value("layers") == 4
    ModelConfig(layers=model_panel.value("layers"))


def test_a_config_round_trips_through_the_panel(model_panel):
    run = RunConfig(
        data=DataConfig(lookback=48, horizon=6, step=2, delay=3, stride=4, season=24),
        model=ModelConfig(cell="rnn", hidden=17, layers=2, dropout=0.25, nonlinearity="relu",
                          output="sequence", init="orthogonal", spectral_radius=0.5,
                          bias=False),
        train=TrainConfig(optimizer="sgd", lr=0.03, momentum=0.5, schedule="step",
                          schedule_step=3, schedule_gamma=0.25, batch_size=8, epochs=7,
                          loss="huber", clip_norm=2.5, clip_value=None, weight_decay=1e-4,
                          patience=3, restore_best=False, seed=11, threads=2,
                          probe_every_batches=7, probe_every_seconds=None, probe_windows=3,
                          max_batches_per_epoch=9),
    )
    model_panel.set_config(run)
    assert model_panel.run_config(DataConfig()) == run


def test_optional_settings_switch_off_to_none(model_panel):
    ed = model_panel.editors["clip_norm"]
    ed.toggle.setChecked(True)
    ed.editor.setValue(0.75)
    assert model_panel.train_config().clip_norm == 0.75
    ed.toggle.setChecked(False)
    assert model_panel.train_config().clip_norm is None
    assert not ed.editor.isEnabled()


def test_settings_that_do_not_apply_are_disabled(model_panel):
    model_panel.set_value("cell", "lstm")
    assert model_panel.is_frozen("spectral_radius") and model_panel.is_frozen("nonlinearity")
    assert not model_panel.is_frozen("forget_bias")
    model_panel.set_value("cell", "rnn")
    assert not model_panel.is_frozen("spectral_radius")
    assert model_panel.is_frozen("forget_bias")
    model_panel.set_value("optimizer", "adam")
    assert model_panel.is_frozen("momentum")
    model_panel.set_value("optimizer", "sgd")
    assert not model_panel.is_frozen("momentum")


def test_training_freezes_everything_but_the_learning_rate(qtbot, model_panel):
    model_panel.set_training(True)
    frozen = {name for name in model_panel.editors if model_panel.is_frozen(name)}
    assert frozen == set(model_panel.editors) - {"lr"}
    with qtbot.waitSignal(model_panel.lr_changed) as blocker:
        model_panel.editors["lr"].editor.setValue(0.05)
    assert blocker.args == [pytest.approx(0.05)]
    model_panel.set_training(False)
    assert not model_panel.is_frozen("hidden")


def test_restore_defaults_resets_model_and_training_but_keeps_the_window(qtbot, model_panel):
    # remembered settings carried a diverging run (RNN, SGD, lr 10) into a class's next launch
    model_panel.set_config(RunConfig(
        data=DataConfig(lookback=48, horizon=3),
        model=ModelConfig(cell="rnn", hidden=8),
        train=TrainConfig(optimizer="sgd", lr=10.0, epochs=5, threads=1)))
    model_panel.set_training(True)
    assert not model_panel.defaults_button.isEnabled()  # frozen like the settings
    model_panel.set_training(False)
    qtbot.mouseClick(model_panel.defaults_button, Qt.MouseButton.LeftButton)
    run = model_panel.run_config()
    assert run.model == ModelConfig()
    assert run.train == TrainConfig(threads=1)
    assert (run.data.lookback, run.data.horizon) == (48, 3)  # suits the data: kept


def test_window_settings_signal_their_change(qtbot, model_panel):
    with qtbot.waitSignal(model_panel.window_changed):
        model_panel.set_value("lookback", 12)
    assert model_panel.window_fields()["lookback"] == 12


def test_sci_spin_box_reads_and_steps_in_decades(qtbot):
    box = SciSpinBox()
    qtbot.addWidget(box)
    box.setRange(1e-8, 10)
    box.setValue(1e-3)
    assert box.text() == "0.001"
    box.stepBy(3)  # three steps: one decade up
    assert box.value() == pytest.approx(1e-2)
    assert box.valueFromText("2.5e-4") == pytest.approx(2.5e-4)
    box.lineEdit().setText("3e-5")
    box.interpretText()
    assert box.value() == pytest.approx(3e-5)


# ---------------------------------------------------------------------- data panel
def test_table_columns_report_and_preview_are_shown(qtbot, data_panel, tmp_path):
    frame = multivariate()
    path, t = table(tmp_path, frame)
    data_panel.set_table(path, t)
    assert data_panel.time_column() == "date"
    assert [data_panel.target_combo.itemText(i) for i in range(data_panel.target_combo.count())] \
        == ["temp", "rain", "wind"]
    items = [data_panel.inputs_list.item(i).text() for i in range(data_panel.inputs_list.count())]
    assert items == ["rain", "wind"]  # every numeric column but the target
    assert "t.csv" in data_panel.banner.text() and "120 rows" in data_panel.banner.text()
    assert "Rows:</b> 120" in data_panel.report_view.toHtml().replace("\n", "") or \
        "120" in data_panel.report_view.toPlainText()
    m = data_panel.preview_model
    assert (m.rowCount(), m.columnCount()) == (120, 4)
    assert m.headerData(1, Qt.Orientation.Horizontal) == "temp"
    assert float(m.data(m.index(3, 1))) == pytest.approx(frame["temp"][3], rel=1e-5)


@pytest.mark.parametrize(("text", "named"), [
    ("date value\n2022-01-01 1.5\n2022-01-02 2.5\n2022-01-03 3.5\n",
     "delimiter: spaces (runs of spaces or tabs)"),
    ("date\tvalue\n2022-01-01\t1.5\n2022-01-02\t2.5\n2022-01-03\t3.5\n", "delimiter: tab"),
    ("date;value\n2022-01-01;1,5\n2022-01-02;2,5\n2022-01-03;3,5\n",
     "delimiter: semicolon ';'"),
])
def test_the_report_names_the_delimiter_in_words(qtbot, data_panel, tmp_path, text, named):
    # the report showed ' ' and '\t' (Python's repr) for spaces and tabs
    path = tmp_path / "d.txt"
    path.write_text(text)
    data_panel.set_table(path, load_csv(path))
    assert named in data_panel.report_view.toPlainText()


def test_warnings_are_visible_in_the_banner_and_the_report(qtbot, data_panel, tmp_path):
    path = tmp_path / "gappy.csv"
    path.write_text("date,value\n2022-01-03,3\n2022-01-01,1\n2022-01-02,\n2022-01-04,4\n"
                    "2022-01-05,5\n2022-01-06,6\n")
    t = load_csv(path)
    warnings = t.report.to_dict()["warnings"]
    assert warnings  # unsorted rows and a missing value: the loader warns
    data_panel.set_table(path, t)
    text = data_panel.banner.text()
    assert "⚠" in text
    plain = data_panel.report_view.toPlainText()
    for w in warnings:
        assert w["message"] in plain
    assert data_panel.tabs.tabText(1) == f"Report ⚠ {len(warnings)}"


def test_data_fields_make_a_valid_config(qtbot, data_panel, tmp_path):
    path, t = table(tmp_path, multivariate())
    data_panel.set_table(path, t)
    data_panel.target_combo.setCurrentText("wind")
    data_panel.set_inputs(["temp"])
    data_panel.missing_combo.setCurrentText("ffill")
    data_panel.resample_combo.setCurrentText("1W")
    data_panel.how_combo.setCurrentText("sum")
    data_panel.train_spin.setValue(60)
    data_panel.val_spin.setValue(25)
    data_panel.scaler_combo.setCurrentText("minmax")
    cfg = DataConfig(**data_panel.data_fields())
    assert cfg == DataConfig(time_column="date", target="wind", inputs=("temp",), missing="ffill",
                             resample="1W", resample_how="sum", split=(0.6, 0.25, 0.15),
                             scaler="minmax")
    assert data_panel.test_label.text().startswith("test 15 %")


def test_split_never_exceeds_one_hundred_percent(qtbot, data_panel):
    data_panel.train_spin.setValue(80)
    data_panel.val_spin.setValue(40)
    assert data_panel.train_spin.value() + data_panel.val_spin.value() == 100
    assert data_panel.test_label.text().startswith("test 0 %")


def test_series_plot_shades_the_parts_and_draws_the_window(qtbot, data_panel, tmp_path):
    path, t = table(tmp_path, multivariate())
    data_panel.set_table(path, t)
    cfg = DataConfig(**data_panel.data_fields()).replace(lookback=10, horizon=3, step=2, delay=1)
    series = prepare_series(t, cfg)
    data_panel.set_series(series)
    data_panel.set_window(10, 3, 2, 1)
    x = pd.to_datetime(multivariate()["date"]).to_numpy().astype("datetime64[ns]").astype(np.int64) / 1e9
    a, b = data_panel.regions["validation"].getRegion()
    assert a == pytest.approx(x[series.train_end]) and b == pytest.approx(x[series.val_end])
    inputs, targets = data_panel.window_rows()
    # by hand: the window's first target is the first validation row
    first_target = series.train_end
    end = first_target - 1 - 1  # delay 1
    assert list(inputs) == [end - 2 * k for k in range(9, -1, -1)]
    assert list(targets) == [first_target, first_target + 1, first_target + 2]
    dots_x, dots_y = data_panel.sample_dots.getData()
    assert np.allclose(dots_x, x[inputs])
    assert np.allclose(dots_y, multivariate()["temp"].to_numpy()[inputs])
    legend = data_panel.legend_label.text()
    assert "every 2nd" in legend and "next 3" in legend
    # the window's sentence starts its own line (it wrapped mid-sentence after the parts)
    parts, window = legend.split("<br>")
    assert "test" in parts and window.startswith("One window") and "next 3" in window


def test_a_problem_is_shown_plainly_and_cleared(qtbot, data_panel, tmp_path):
    path, t = table(tmp_path, multivariate())
    data_panel.set_table(path, t)
    data_panel.show_problem("The training part has 20 rows; lookback 48 needs 49.")
    assert "needs 49" in data_panel.banner.text()
    data_panel.show_problem(None)
    assert "needs 49" not in data_panel.banner.text()


def test_data_settings_freeze_while_training(qtbot, data_panel):
    data_panel.set_training(True)
    assert not data_panel.setup_tab.isEnabled()
    data_panel.set_training(False)
    assert data_panel.setup_tab.isEnabled()
