"""CompareView: draws several histories together, holds the arrays it drew, exports them."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from rnnviz.core.compare import RunResult
from rnnviz.core.history import smooth
from rnnviz.gui.views.compare_view import SECTIONS, CompareView, demo_histories


@pytest.fixture
def view(qtbot):
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(1200, 800)
    return v


def test_empty_view_shows_its_message(view):
    view.render({})
    assert view.message is not None and "Train" in view.message


def test_every_model_is_drawn_with_the_arrays_of_its_history(view):
    hs = demo_histories()
    view.render(hs)
    assert view.message is None
    assert view.labels == ["RNN", "LSTM", "GRU"]
    cols = view.data_columns()
    for lab, h in hs.items():
        e = h.epoch_arrays()
        np.testing.assert_array_equal(cols[f"{lab}|epoch_val_loss"], e["val_loss"])
        b = h.batch_arrays()
        w = max(1, min(50, b["step"].size // 10))
        np.testing.assert_allclose(cols[f"{lab}|loss_batch_smoothed_{w}"],
                                   smooth(b["loss"], w).astype(np.float32))
        # gradient per step: median over the probed windows of the latest probe, last layer
        g = np.asarray(h.snapshots[-1].trace.grad_hidden[-1], np.float64)
        np.testing.assert_allclose(cols[f"{lab}|grad_median"], np.median(g, axis=0), rtol=1e-5)
        np.testing.assert_array_equal(cols[f"{lab}|forecast_recursive"],
                                      h.forecast.recursive[:, 0])
        err = np.abs(h.forecast.recursive[:, 0].astype(np.float64) - h.forecast.actual[:, 0])
        np.testing.assert_allclose(cols[f"{lab}|recursive_abs_error"], err, rtol=1e-5)
    assert view.table.rowCount() == 3
    assert view.table.item(1, 0).text() == "LSTM"
    assert view.gate_views["LSTM"].trace is hs["LSTM"].latest_trace


def test_legend_states_each_models_gradient_ratio(view):
    hs = demo_histories()
    view.render(hs)
    item = view._curves[("GRU", "grad")]
    text = view.grad_legend.getLabel(item).text
    r = hs["GRU"].latest_trace.gradient_ratio()
    assert f"{r:.2g}" in text and text.startswith("GRU")


def test_results_replace_the_live_numbers_in_the_table(view):
    hs = demo_histories(("rnn", "gru"))
    res = {"RNN": RunResult(label="RNN", cell="rnn", epochs_run=12, test_mse=0.1234,
                            gradient_ratio_start=1e-9, gradient_ratio=2e-10,
                            finish_reason="completed",
                            test_metrics={"model": {"mae": 0.25}})}
    view.render(hs, res)
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    row = {h: view.table.item(0, c).text() for c, h in enumerate(headers)}
    assert row["test MSE"] == "0.1234"
    assert row["test MAE (units)"] == "0.25"
    assert "1e-09" in row["grad ratio h1/hT"] and "2e-10" in row["grad ratio h1/hT"]
    assert view.table.item(1, headers.index("status")).text() == "finished"


def test_sequence_tasks_plot_predictions_against_true_values(view):
    hs = demo_histories(("lstm",))
    hs["LSTM"].forecast = None  # a sequence task sends no forecasts
    y = np.array([[1.0], [2.0], [3.0]], np.float32)
    p = np.array([[1.1], [1.9], [3.2]], np.float32)
    res = {"LSTM": RunResult(label="LSTM", cell="lstm", test_targets=y, test_predictions=p)}
    view.render(hs, res)
    cols = view.data_columns()
    np.testing.assert_array_equal(cols["LSTM|true"], y.ravel())
    np.testing.assert_array_equal(cols["LSTM|predicted"], p.ravel())


def test_render_is_cheap_when_nothing_changed(view, monkeypatch):
    hs = demo_histories()
    view.render(hs)
    calls = []
    monkeypatch.setattr(view, "_draw_all", lambda: calls.append(1))
    view.render(hs)
    assert calls == []
    view.refresh()
    assert calls == [1]


def test_sections_follow_the_lesson(view):
    view.set_sections(["forecast", "horizon", "loss", "results"])
    assert view.top.count() == 2
    assert view.top.widget(0) is view.fc_graphics and view.top.widget(1) is view.hz_graphics
    tabs = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    assert tabs == ["Loss", "Results"]
    with pytest.raises(ValueError):
        view.set_sections(["loss", "weather"])
    assert set(SECTIONS) >= set(view.sections)


def test_exports_write_the_drawn_data_and_a_picture(view, tmp_path):
    hs = demo_histories()
    view.render(hs)
    path = view.export_data(tmp_path / "compare.csv")
    with open(path) as fh:
        header = next(csv.reader(fh))
    assert "LSTM|grad_median" in header and "RNN|epoch_val_loss" in header
    png = view.export_image(tmp_path / "compare.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_new_models_replace_the_old_ones(view):
    view.render(demo_histories())
    view.render(demo_histories(("gru", "lstm")))
    assert view.labels == ["GRU", "LSTM"]
    assert set(view.gate_views) == {"GRU", "LSTM"}
    assert ("RNN", "val") not in view._curves
    assert view.table.rowCount() == 2


def test_diverged_model_draws_quietly(view):
    hs = demo_histories(("rnn",))
    view.render(hs, {"RNN": RunResult(label="RNN", cell="rnn", test_mse=math.inf,
                                      diverged="Training diverged", finish_reason="diverged")})
    assert view.table.item(0, 5).text() == "—"
    assert view.table.item(0, 9).text() == "diverged"


def test_runs_alone(qtbot, tmp_path, monkeypatch):
    from rnnviz.gui.views import compare_view

    shot = tmp_path / "alone.png"
    assert compare_view.main(["--screenshot", str(shot)]) == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_current_epoch_is_the_engines_epoch_of_the_last_batch():
    """current_epoch counts as BatchDone.epoch (the epoch being trained), never the epochs
    done: checked after every event of a real run of the engine."""
    from rnnviz.core.config import ModelConfig, RunConfig, TrainConfig
    from rnnviz.core.events import BatchDone, EpochDone
    from rnnviz.core.history import RunHistory
    from rnnviz.core.tasks import lag_task
    from rnnviz.core.training import train
    from rnnviz.gui.views.compare_view import current_epoch

    data = lag_task(length=6, lag=1, n_train=40, n_val=10, n_test=10)
    run = RunConfig(model=ModelConfig(cell="gru", hidden=4),
                    train=TrainConfig(epochs=3, batch_size=16, probe_every_batches=2))
    h = RunHistory()
    assert current_epoch(h) == 0
    last = None
    mid_epoch = 0
    for ev in train(data, run):
        h.add(ev)
        if isinstance(ev, BatchDone):
            last = ev
        assert current_epoch(h) == (last.epoch if last else 0)
        if last is not None and len(h.epochs) < last.epoch:
            mid_epoch += 1
        if isinstance(ev, EpochDone):
            assert current_epoch(h) == ev.epoch == len(h.epochs)
    assert last is not None and last.epoch == 3 and h.started.batches_per_epoch == 3
    assert mid_epoch >= 6  # epochs under way were seen (where "epochs done" lags by one)


@pytest.mark.parametrize(("sections", "top", "beside", "tabs"), [
    (["gates", "loss", "gradients", "results"], ["gates"], ["loss"], ["Gradient per time step",
                                                                     "Results"]),
    (["gates", "loss", "gradients", "states", "results"], ["gates"], ["loss"],
     ["Gradient per time step", "States", "Results"]),
    (["gates", "states", "loss"], ["gates"], ["loss"], ["States"]),
    (["forecast", "loss", "gates", "results"], ["forecast", "loss"], [], ["Gates", "Results"]),
    (["gates", "results"], ["gates"], [], ["Results"]),
])
def test_per_model_pages_have_the_top_row_alone(view, sections, top, beside, tabs):
    """Gates and States (one page per model) never share the top row with a plot: that plot
    goes left of the tabs, where it keeps a usable width."""
    view.set_sections(sections)
    widgets = view.section_widgets
    assert [view.top.widget(i) for i in range(view.top.count())] == [widgets[s] for s in top]
    assert [view.bottom.widget(i) for i in range(view.bottom.count() - 1)] == \
        [widgets[s] for s in beside]
    assert view.bottom.widget(view.bottom.count() - 1) is view.tabs
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == tabs
    assert view.arrangement(sections) == (top, beside)


def test_loss_beside_the_tabs_gets_room(qtbot):
    view = CompareView(sections=["gates", "loss", "gradients", "results"])
    qtbot.addWidget(view)
    view.resize(1150, 850)
    view.show()
    view.render(demo_histories(("lstm", "lstm_peephole", "lstm_coupled")))
    qtbot.waitUntil(lambda: view.loss_graphics.width() > 0)
    assert view.loss_graphics.width() >= 0.25 * view.width()
    assert view.loss_graphics.height() >= 200
    assert view.gates_box.width() >= 0.9 * view.content.width()


def test_prebuild_lays_each_models_page_out_at_its_size(qtbot):
    view = CompareView(sections=["gates", "loss", "results"])
    qtbot.addWidget(view)
    view.prepare(["LSTM", "GRU"])
    assert view.prebuild_steps() == [("gates", "LSTM"), ("gates", "GRU"), ("states", "LSTM"),
                                     ("states", "GRU"), ("plots", "")]
    view.resize(1100, 800)
    view.show()
    qtbot.waitExposed(view)
    view.prebuild()
    assert view.message is not None  # the view still shows its message
    for lab in ("LSTM", "GRU"):
        g = view.gate_views[lab]
        assert g._rows and g._laid_out_at == g._stack.size() and g._stack.width() > 300
        s = view.state_views[lab]
        assert s._laid_out_at is None  # out of sight (not a section): items only
    assert [view.prebuild_step(step) for step in view.prebuild_steps()] == [False] * 5
    view.render(demo_histories(("lstm", "gru")))
    assert view.labels == ["LSTM", "GRU"]
    assert view.gate_views["LSTM"].message is None


def test_hidden_per_model_pages_draw_when_they_come_into_sight(view):
    view.set_sections(["gates", "loss", "results"])
    hs = demo_histories(("lstm",))
    view.render(hs)
    assert view.state_views["LSTM"]._trace is None  # not a section: not drawn
    view.set_sections(["gates", "loss", "states", "results"])
    assert view.state_views["LSTM"]._trace is hs["LSTM"].latest_trace
