"""The real main window, driven as a user would: open, train, pause, export, close.

Dialogs go through ``window.dialogs``; most tests replace it by :class:`Recorder`, which
answers file choosers and records messages instead of blocking on a modal box. Training
uses the real engine on a small hourly sine CSV written by the test, with tiny models and a
few batches per epoch. The engine's events are recorded on their way out of ``train()``
(before the window sees them) so the views can be compared with what the engine sent.
"""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QTabBar

from rnnviz.core.csvload import load_csv
from rnnviz.core.errors import DataError
from rnnviz.core.events import BatchDone, EpochDone, ForecastReady, ProbeReady
from rnnviz.gui import session as S
from rnnviz.gui.main_window import MainWindow
from rnnviz.gui.session import TrainingSession
from rnnviz.gui.settings import AppSettings

WAIT = 30_000


class Recorder:
    """Stands in for :class:`rnnviz.gui.dialogs.Dialogs`."""

    def __init__(self):
        self.shown: list[tuple[str, str, str]] = []
        self.answers: dict[str, list[str]] = {"open": [], "save": [], "folder": []}

    def error(self, title, message, details=""):
        self.shown.append(("error", title, message))

    def warning(self, title, message):
        self.shown.append(("warning", title, message))

    def info(self, title, message):
        self.shown.append(("info", title, message))

    def diverged(self, message):
        self.shown.append(("diverged", "Training diverged", message))

    def view_help(self, views, current=0):
        self.shown.append(("help", "How to read each view", "|".join(v.title for v in views)))

    def shortcuts(self, actions):
        self.shown.append(("shortcuts", "", ""))

    def about(self):
        self.shown.append(("about", "", ""))

    def ask_open_file(self, *a):
        return self.answers["open"].pop(0)

    def ask_save_file(self, *a):
        return self.answers["save"].pop(0)

    def ask_folder(self, *a):
        return self.answers["folder"].pop(0)

    def close_all(self):
        pass

    def kinds(self):
        return [k for k, _, _ in self.shown]


def write_sine_csv(path, rows=300):
    t = pd.date_range("2021-01-01", periods=rows, freq="h")
    v = 10 + 3 * np.sin(np.arange(rows) * 2 * np.pi / 24)
    pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M:%S"), "load": v}).to_csv(path, index=False)
    return path


@pytest.fixture
def events():
    return []


@pytest.fixture
def window(qtbot, events):
    """A shown main window whose session records every engine event."""

    def recording_train(data, run, *, control=None, model=None):
        from rnnviz.core.training import train

        for ev in train(data, run, control=control, model=model):
            events.append(ev)
            yield ev

    session = TrainingSession(train_fn=recording_train)
    w = MainWindow(AppSettings(), session=session)
    qtbot.addWidget(w)
    w.dialogs = Recorder()
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.session.shutdown(10_000)


def small_settings(w: MainWindow, **extra):
    values = dict(hidden=4, lookback=8, epochs=2, max_batches_per_epoch=3, batch_size=16,
                  probe_every_batches=2) | extra
    for k, v in values.items():
        w.model_panel.set_value(k, v)


def open_csv(qtbot, w, path):
    with qtbot.waitSignal(w.data_ready, timeout=WAIT):
        w.open_csv(path)


def train_to_end(qtbot, w):
    with qtbot.waitSignal(w.session.run_finished, timeout=WAIT) as blocker:
        w.start_training()
    return blocker.args[0]


# ---------------------------------------------------------------------- opening data
def test_open_csv_fills_the_data_panel_and_cuts_windows(qtbot, window, tmp_path):
    path = write_sine_csv(tmp_path / "sine.csv", rows=300)
    small_settings(window)
    open_csv(qtbot, window, path)
    dp = window.data_panel
    assert dp.time_column() == "time"
    assert [dp.target_combo.itemText(i) for i in range(dp.target_combo.count())] == ["load"]
    assert dp.report["rows"] == 300
    assert dp.preview_model.rowCount() == 200  # the first rows, as read
    assert dp.preview_model.data(dp.preview_model.index(0, 1)) == f"{10.0:.6g}"
    # every window has its first target in exactly one part: 300 rows - lookback 8 windows
    parts = window.splits.parts()
    assert sum(p.n for p in parts.values()) == 300 - 8
    assert all(p.n > 0 for p in parts.values())
    # the series plot draws the target in its own units
    x, y = dp.curve.getOriginalDataset()
    assert np.allclose(y, pd.read_csv(path)["load"].to_numpy())
    assert window.act_start.isEnabled()
    assert str(path.resolve()) in window.settings.recent_files()


def test_choosing_a_cell_fits_the_gates_page_to_its_gates_before_start(qtbot, window, tmp_path):
    # the first probe of a GRU run must not build its page in a frame (~20 ms + paint)
    with qtbot.waitSignal(window.views_prebuilt, timeout=WAIT):
        open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    gates = window.views["gates"]
    assert list(gates.images) == ["input", "forget", "cell", "output"]  # the default LSTM
    window.model_panel.set_value("cell", "gru")
    qtbot.waitUntil(lambda: list(gates.images) == ["reset", "update", "new"], timeout=WAIT)
    window.model_panel.set_value("cell", "lstm_coupled")
    qtbot.waitUntil(lambda: list(gates.images) == ["forget", "cell", "output"], timeout=WAIT)


def test_a_bad_csv_shows_its_data_error_and_the_window_stays_usable(qtbot, window, tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    with pytest.raises(DataError) as info:
        load_csv(bad)
    window.open_csv(bad)
    qtbot.waitUntil(lambda: bool(window.dialogs.shown), timeout=WAIT)
    kind, title, message = window.dialogs.shown[-1]
    assert kind == "error" and "empty.csv" in title
    assert message == info.value.message  # the loader's own words, not a traceback
    assert "Traceback" not in message
    good = write_sine_csv(tmp_path / "good.csv")
    open_csv(qtbot, window, good)
    assert window.splits is not None


def test_a_window_too_long_for_the_data_is_explained_in_the_panel(qtbot, window, tmp_path):
    path = write_sine_csv(tmp_path / "short.csv", rows=60)
    open_csv(qtbot, window, path)
    with qtbot.waitSignal(window.data_ready, timeout=WAIT):
        window.model_panel.set_value("lookback", 500)
    assert window.splits is None
    assert window.problem and "lookback" in window.problem.lower() or "rows" in window.problem
    assert window.problem in window.data_panel.banner.text() or "✖" in window.data_panel.banner.text()
    window.start_training()
    assert window.dialogs.kinds()[-1] == "error"
    assert not window.session.is_active
    # 60 rows, lookback 500, horizon 1: one window spans 500 + 1 rows
    assert not window.act_start.isEnabled() and not window.act_step.isEnabled()
    status = window.state_label.text()
    assert "Cannot train" in status and "501 rows" in status and "60 rows" in status
    assert "Ready" not in status
    assert "needs 501 rows; the series has 60" in window.data_panel.legend_label.text()
    with qtbot.waitSignal(window.data_ready, timeout=WAIT):
        window.model_panel.set_value("lookback", 8)
    assert window.problem is None and window.act_start.isEnabled()
    assert "needs" not in window.data_panel.legend_label.text()
    # the command line's settings are prepared at once, not 200 ms later (after a picture)
    window.model_panel.set_value("lookback", 400)
    assert window.flush_prepare()
    assert window.problem is not None and not window.act_start.isEnabled()
    assert not window.flush_prepare()  # nothing left pending


def test_a_file_too_short_to_prepare_says_so_and_start_stays_off(qtbot, window, tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("date,value\n2021-01-01,1\n2021-01-02,2\n2021-01-03,3\n")
    open_csv(qtbot, window, path)
    assert window.splits is None and window.problem
    assert not window.act_start.isEnabled() and not window.act_step.isEnabled()
    dp = window.data_panel
    # no empty axes with "1e-31" ticks: the plot says where the reason is
    assert not dp.plot.getAxis("bottom").isVisible()
    assert dp.empty_text.isVisible() and "message above" in dp.empty_text.toPlainText()


def test_the_default_sample_opens_ready_to_train(qtbot, window):
    with qtbot.waitSignal(window.data_ready, timeout=WAIT):
        window.open_default_sample()
    assert window.splits is not None and window.splits.train.n > 0
    assert window.act_start.isEnabled()
    assert window.sample_name is not None


def test_dropping_a_csv_on_the_window_opens_it(qtbot, window, tmp_path):
    path = write_sine_csv(tmp_path / "dropped.csv")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.data_ready, timeout=WAIT):
        window.dropEvent(event)
    assert window.data_panel.path == str(path)


def test_a_big_csv_is_read_in_the_background(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(S, "BIG_FILE_BYTES", 0)
    path = write_sine_csv(tmp_path / "big.csv")
    with qtbot.waitSignal(window.data_ready, timeout=WAIT):
        window.open_csv(path)
        assert window.session.is_loading  # returned at once, the worker reads
    assert window.splits is not None


# ---------------------------------------------------------------------- training
def test_the_forecast_view_fills_after_the_first_epoch_even_when_forecasts_are_costly(
        qtbot, window, events, tmp_path, monkeypatch):
    from rnnviz.core import training

    # no later forecast is ever cheap enough: only "the first one after epoch 1" remains
    monkeypatch.setattr(training, "FORECAST_SHARE", 0.0)
    small_settings(window, epochs=3)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    train_to_end(qtbot, window)
    kinds = [(type(e).__name__, getattr(e, "epoch", None)) for e in events]
    assert [e.epoch for e in events if isinstance(e, ForecastReady)] == [1, 3]
    assert kinds.index(("ForecastReady", 1)) < kinds.index(("EpochDone", 2))
    window.session.render_views(all_views=True)
    assert window.views["forecast"].subtitle == "forecast after epoch 3"


def test_training_fills_every_view_with_the_engine_arrays(qtbot, window, events, tmp_path):
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    fin = train_to_end(qtbot, window)
    assert fin.reason == "completed"
    window.session.render_views(all_views=True)
    batches = [e for e in events if isinstance(e, BatchDone)]
    epochs = [e for e in events if isinstance(e, EpochDone)]
    probes = [e for e in events if isinstance(e, ProbeReady)]
    forecasts = [e for e in events if isinstance(e, ForecastReady)]
    assert len(batches) == 6 and len(epochs) == 2 and probes and forecasts
    v = window.views
    loss = v["loss"].data_columns()
    assert np.array_equal(loss["step"], [b.step for b in batches])
    assert np.allclose(loss["batch_loss"], [b.loss for b in batches], rtol=1e-6)
    at = np.isin(loss["step"], [e.step for e in epochs])  # an epoch on its last batch's row
    assert np.allclose(loss["epoch_val_loss"][at], [e.val_loss for e in epochs], rtol=1e-6)
    assert np.isnan(loss["epoch_val_loss"][~at]).all()
    fc = forecasts[-1]
    cols = v["forecast"].data_columns()
    at = np.searchsorted(cols["row"], fc.index)  # the table has one row per series row
    assert np.array_equal(cols["row"][at], fc.index)
    assert np.allclose(cols["recursive"][at], fc.recursive[:, 0], rtol=1e-6)
    assert np.allclose(cols["actual"][at], fc.actual[:, 0], rtol=1e-6)
    trace = probes[-1].trace
    gates = v["gates"].data_columns()
    for g, arr in trace.gates.items():
        assert np.allclose(gates[f"{g}_u0"], arr[0, 0, :, 0])  # layer 1, window 1, unit 1
    states = v["states"].data_columns()
    assert np.allclose(states["h_u1"], trace.hidden[0, 0, :, 1])
    assert np.allclose(states["c_u1"], trace.cell[0, 0, :, 1])
    grads = v["gradients"].data_columns()
    med = np.nanmedian(trace.grad_hidden[0], axis=0)
    assert np.allclose(grads["layer1_median"], med, rtol=1e-5)
    infl = v["influence"].data_columns()
    assert np.allclose(infl["median"], np.nanmedian(trace.influence, axis=0), rtol=1e-5)
    # the status bar shows where the run ended
    assert window.epoch_label.text() == "epoch 2/2"
    assert window.batch_label.text() == "batch 3/3"
    assert window.loss_label.text() == f"loss {batches[-1].loss:.4g}"
    assert window.progress.value() == window.progress.maximum() == 100  # percent


def settle(qtbot, window, events) -> int:
    """Wait until every batch the (blocked) engine sent has reached the window."""
    sent = lambda: sum(isinstance(e, BatchDone) for e in events)  # noqa: E731
    qtbot.waitUntil(lambda: window.session.history.n_batches == sent(), timeout=WAIT)
    return sent()


def test_space_starts_and_the_train_menu_pauses_resumes_steps_and_stops(qtbot, window, events,
                                                                        tmp_path):
    small_settings(window, epochs=10_000)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.session.state == S.RUNNING
    assert not window.act_start.isEnabled() and window.act_pause.isEnabled()
    qtbot.waitUntil(lambda: window.session.history.n_batches >= 2, timeout=WAIT)
    window.act_pause.trigger()
    assert window.session.state == S.PAUSED and window.act_resume.isEnabled()
    assert window.session.control.wait_until_blocked(10)
    n = settle(qtbot, window, events)
    window.act_step.trigger()
    qtbot.waitUntil(lambda: window.session.history.n_batches == n + 1, timeout=WAIT)
    assert window.session.control.wait_until_blocked(10)
    assert settle(qtbot, window, events) == n + 1  # exactly one batch
    qtbot.keyClick(window, Qt.Key.Key_Space)  # Space resumes a paused run
    assert window.session.state == S.RUNNING
    qtbot.waitUntil(lambda: window.session.history.n_batches > n + 3, timeout=WAIT)
    with qtbot.waitSignal(window.session.run_finished, timeout=WAIT) as blocker:
        window.act_stop.trigger()
    assert blocker.args[0].reason == "stopped"
    assert window.act_start.isEnabled()


def test_the_status_bar_says_when_an_epoch_is_being_validated(qtbot, tmp_path):
    gate = threading.Event()

    def slow_validation(data, run, *, control=None, model=None):
        from rnnviz.core.training import train

        for ev in train(data, run, control=control, model=model):
            if isinstance(ev, EpochDone) and ev.epoch == 1:
                gate.wait(30)  # as a long validation and forecast would
            yield ev

    w = MainWindow(AppSettings(), session=TrainingSession(train_fn=slow_validation))
    qtbot.addWidget(w)
    w.dialogs = Recorder()
    small_settings(w, epochs=2)
    open_csv(qtbot, w, write_sine_csv(tmp_path / "sine.csv"))
    w.start_training()
    qtbot.waitUntil(lambda: w.session.history.n_batches == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: w.rate_label.text() == "validating epoch 1…", timeout=WAIT)
    gate.set()
    qtbot.waitUntil(lambda: w.session.history.n_batches > 3, timeout=WAIT)
    qtbot.waitUntil(lambda: w.rate_label.text().endswith("batches/s"), timeout=WAIT)
    qtbot.waitUntil(lambda: not w.session.is_active, timeout=WAIT)
    w.session.shutdown()


def test_step_one_batch_before_any_run_trains_exactly_one(qtbot, window, tmp_path):
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.act_step.trigger()
    qtbot.waitUntil(lambda: window.session.history.n_batches == 1, timeout=WAIT)
    assert window.session.state == S.PAUSED
    assert window.session.control.wait_until_blocked(10)
    assert window.session.history.n_batches == 1


def test_settings_freeze_while_training_and_the_learning_rate_applies_mid_run(
        qtbot, window, events, tmp_path):
    small_settings(window, epochs=10_000, lr=1e-3)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.step_training()
    qtbot.waitUntil(lambda: window.session.history.n_batches == 1, timeout=WAIT)
    mp = window.model_panel
    assert mp.is_frozen("hidden") and mp.is_frozen("epochs") and mp.is_frozen("cell")
    assert not mp.is_frozen("lr")
    assert not window.data_panel.setup_tab.isEnabled()
    window.lr_spin.setValue(0.02)  # the toolbar's learning-rate box
    assert mp.lr == pytest.approx(0.02)
    window.step_training()
    qtbot.waitUntil(lambda: window.session.history.n_batches == 2, timeout=WAIT)
    sent = [e.lr for e in events if isinstance(e, BatchDone)]
    assert sent == [pytest.approx(1e-3), pytest.approx(0.02)]
    with qtbot.waitSignal(window.session.run_finished, timeout=WAIT):
        window.session.stop()
    assert not mp.is_frozen("hidden") and window.data_panel.setup_tab.isEnabled()


def test_a_nan_run_shows_the_divergence_dialog(qtbot, window, events, tmp_path):
    small_settings(window, cell="rnn", spectral_radius=3.0, lr=10.0, optimizer="sgd",
                   hidden=8, epochs=20, max_batches_per_epoch=5)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    fin = train_to_end(qtbot, window)
    assert fin.reason == "diverged"
    diverged = [m for k, _, m in window.dialogs.shown if k == "diverged"]
    d = next(e for e in events if type(e).__name__ == "Diverged")
    assert diverged == [d.message]
    # the status line counts what the views show: the batch that diverged was not trained
    trained = sum(type(e).__name__ == "BatchDone" for e in events)
    assert trained == d.step - 1
    status = window.state_label.text()
    assert f"diverged at batch {d.step} (epoch {d.epoch})" in status
    assert f"{trained} batches trained" in status


def test_an_error_in_the_worker_becomes_one_dialog_and_the_app_stays_usable(qtbot, tmp_path):
    calls = []

    def flaky(data, run, *, control=None, model=None):
        from rnnviz.core.training import train

        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("simulated engine bug")
        yield from train(data, run, control=control, model=model)

    w = MainWindow(AppSettings(), session=TrainingSession(train_fn=flaky))
    qtbot.addWidget(w)
    w.dialogs = Recorder()
    small_settings(w)
    open_csv(qtbot, w, write_sine_csv(tmp_path / "sine.csv"))
    with qtbot.waitSignal(w.session.run_finished, timeout=WAIT):
        w.start_training()
    assert w.dialogs.kinds() == ["error"]
    assert "simulated engine bug" in w.dialogs.shown[0][2]
    fin = train_to_end(qtbot, w)  # usable: the next Start trains
    assert fin.reason == "completed"
    w.session.shutdown()


def test_the_real_error_dialog_opens_and_closes(qtbot, tmp_path):
    w = MainWindow(AppSettings())
    qtbot.addWidget(w)
    w.show()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 64)  # a zip (xlsx) renamed .csv
    w.open_csv(bad)
    qtbot.waitUntil(lambda: any(isinstance(x, QMessageBox) and x.isVisible()
                                for x in QApplication.topLevelWidgets()), timeout=WAIT)
    box = next(x for x in QApplication.topLevelWidgets()
               if isinstance(x, QMessageBox) and x.isVisible())
    with pytest.raises(DataError) as info:
        load_csv(bad)
    assert box.text() == info.value.message
    box.close()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT)
    w.close()


# ---------------------------------------------------------------------- closing
def test_closing_mid_training_stops_cleanly(qtbot, window, tmp_path):
    small_settings(window, epochs=10_000)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.start_training()
    qtbot.waitUntil(lambda: window.session.history.n_batches >= 3, timeout=WAIT)
    before = threading.active_count()
    assert window.session.threads_running() == 1
    window.close()
    assert window.session.threads_running() == 0
    assert not window.session.is_active
    assert threading.active_count() <= before
    # the autouse guard fails on "QThread: Destroyed while thread is still running"


# ---------------------------------------------------------------------- exports
def test_export_all_writes_every_view_the_history_and_the_window(qtbot, window, events, tmp_path):
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    train_to_end(qtbot, window)
    out = tmp_path / "export"
    window.dialogs.answers["folder"].append(str(out))
    window.act_export_all.trigger()
    for key in window.views:
        for suffix in ("png", "svg", "csv"):
            f = out / f"{key}.{suffix}"
            assert f.is_file() and f.stat().st_size > 100, f
    loss = pd.read_csv(out / "loss.csv")
    batches = [e for e in events if isinstance(e, BatchDone)]
    assert np.allclose(loss["batch_loss"].dropna(), [b.loss for b in batches], rtol=1e-6)
    hist = pd.read_csv(out / "history.csv")
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert list(hist["epoch"]) == [1, 2]
    assert np.allclose(hist["val_loss"], [e.val_loss for e in epochs])
    assert (out / "window.png").stat().st_size > 1000
    assert json.loads((out / "settings.json").read_text())["model"]["hidden"] == 4
    fc = next(e for e in reversed(events) if isinstance(e, ForecastReady))
    target = tmp_path / "fc.csv"
    window.dialogs.answers["save"].append(str(target))
    window.ask_export_view("forecast", "csv")
    got = pd.read_csv(target).set_index("row")
    assert np.allclose(got.loc[fc.index, "recursive"], fc.recursive[:, 0], rtol=1e-6)
    assert window.dialogs.kinds() == []  # no error on the way


def test_export_all_into_a_folder_with_files_writes_a_new_folder_and_overwrites_nothing(
        qtbot, window, tmp_path):
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    train_to_end(qtbot, window)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "loss.png").write_bytes(b"my own picture")
    window.dialogs.answers["folder"].append(str(mine))
    window.act_export_all.trigger()
    assert (mine / "loss.png").read_bytes() == b"my own picture"
    made = [p for p in mine.iterdir() if p.is_dir()]
    assert len(made) == 1 and made[0].name.startswith("rnnviz-export-")
    assert (made[0] / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(made[0]) in window.statusBar().currentMessage()
    # an empty folder (e.g. just made with the dialog's New Folder button) is used as it is
    empty = tmp_path / "empty"
    empty.mkdir()
    window.dialogs.answers["folder"].append(str(empty))
    window.act_export_all.trigger()
    assert (empty / "history.csv").is_file()
    assert window.dialogs.kinds() == []


def test_export_menu_writes_a_view_picture(qtbot, window, tmp_path):
    target = tmp_path / "pics" / "loss"
    window.dialogs.answers["save"].append(str(target))
    window.ask_export_view("loss", "png")
    assert (tmp_path / "pics" / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------- models and sessions
def test_save_model_then_load_it_to_continue(qtbot, window, tmp_path):
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    train_to_end(qtbot, window)
    trained = {k: v.clone() for k, v in window.session.model.state_dict().items()}
    folder = tmp_path / "model"
    assert window.save_model(folder) == folder
    window.reset_training()
    assert window.session.model is None
    window.model_panel.set_value("hidden", 9)
    assert window.load_model(folder)
    assert window.model_panel.value("hidden") == 4  # the model's settings came back
    loaded = window.session.model_for_continuation()
    assert loaded is not None
    for k, v in loaded.state_dict().items():
        assert np.array_equal(v.numpy(), trained[k].numpy()), k
    fin = train_to_end(qtbot, window)  # continues from the loaded weights
    assert fin.reason == "completed"
    assert window.session.model is loaded


def test_a_model_of_other_columns_is_not_loaded_onto_the_open_file(qtbot, window, tmp_path):
    # a model trained on `load` was continued on a file of `value`: trained on data it never read
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    train_to_end(qtbot, window)
    folder = tmp_path / "model"
    assert window.save_model(folder) == folder
    other = tmp_path / "other.csv"
    pd.read_csv(tmp_path / "sine.csv").rename(columns={"load": "value"}).to_csv(other,
                                                                               index=False)
    open_csv(qtbot, window, other)
    window.reset_training()
    assert not window.load_model(folder)
    (kind, title, message), = window.dialogs.shown
    assert kind == "error" and "load" in message and "value" not in message
    assert "Open a file with those columns" in message
    assert window.session.model_for_continuation() is None


def test_load_model_from_a_bad_folder_says_so(qtbot, window, tmp_path):
    (tmp_path / "nomodel").mkdir()
    assert not window.load_model(tmp_path / "nomodel")
    assert window.dialogs.kinds() == ["error"]


def test_a_session_name_typed_without_an_extension_gets_one(qtbot, window, tmp_path):
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.dialogs.answers["save"].append(str(tmp_path / "lesson1"))
    window.ask_save_session()
    assert not (tmp_path / "lesson1").exists()
    saved = tmp_path / "lesson1.rnnviz.json"
    assert json.loads(saved.read_text())["run"]["model"]["hidden"] == 4


def test_session_round_trip_and_a_moved_csv(qtbot, window, tmp_path):
    path = write_sine_csv(tmp_path / "sine.csv")
    small_settings(window, hidden=6)
    open_csv(qtbot, window, path)
    window.data_panel.val_spin.setValue(20)
    sess = window.save_session(tmp_path / "s.rnnviz.json")
    saved = json.loads(sess.read_text())
    assert saved["data_path"] == str(path.resolve())
    assert saved["run"]["model"]["hidden"] == 6
    assert saved["run"]["data"]["split"][1] == pytest.approx(0.2)

    other = MainWindow(AppSettings(), session=TrainingSession())
    qtbot.addWidget(other)
    other.dialogs = Recorder()
    with qtbot.waitSignal(other.data_ready, timeout=WAIT):
        assert other.open_session(sess)
    assert other.model_panel.value("hidden") == 6
    assert other.data_panel.val_spin.value() == 20
    assert other.data_panel.path == str(path.resolve())

    path.rename(tmp_path / "elsewhere.csv")
    assert not other.open_session(sess)
    kind, _, message = other.dialogs.shown[-1]
    assert kind == "error" and "no longer there" in message
    (tmp_path / "broken.json").write_text('{"format": "rnnviz-session", "version": 1,')
    assert not other.open_session(tmp_path / "broken.json")
    assert "broken" in other.dialogs.shown[-1][2] and "JSON" in other.dialogs.shown[-1][2]
    other.session.shutdown()


# ---------------------------------------------------------------------- remembering
def test_geometry_layout_recent_files_and_settings_are_remembered(qtbot, tmp_path):
    path = write_sine_csv(tmp_path / "sine.csv")
    first = MainWindow(AppSettings())
    qtbot.addWidget(first)
    first.dialogs = Recorder()
    first.show()
    first.resize(1000, 640)
    open_csv(qtbot, first, path)
    first.model_panel.set_value("hidden", 13)
    first.model_panel.set_value("cell", "gru")
    first.docks["influence"].hide()
    first.close()

    second = MainWindow(AppSettings())
    qtbot.addWidget(second)
    second.show()
    assert second.height() == 640 and second.height() != 1000  # the geometry came back
    assert not second.docks["influence"].isVisible()
    assert second.model_panel.value("hidden") == 13
    assert second.model_panel.value("cell") == "gru"
    assert second.settings.recent_files()[0] == str(path.resolve())
    second.menu_recent.aboutToShow.emit()
    texts = [a.text() for a in second.menu_recent.actions()]
    assert any("sine.csv" in t for t in texts)
    second.reset_layout()
    assert second.docks["influence"].isVisibleTo(second) or not second.docks["influence"].isHidden()
    assert not second.docks["influence"].isHidden()
    second.close()


def _dock_tab_bars(window):
    """(tab texts, geometry) of the window's visible dock tab bars."""
    bars = window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
    return [(tuple(b.tabText(i) for i in range(b.count())), b.geometry().getRect())
            for b in bars if b.isVisible()]


def test_a_restored_or_reset_layout_leaves_no_stray_tab_bar(qtbot):
    # from the second launch on, the default layout's tab bars stayed visible after the saved
    # layout was restored; one ("Gradients | Influence") sat over the File and Train menus
    first = MainWindow(AppSettings())
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.close()
    second = MainWindow(AppSettings())
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    expected = {("Data", "Model and training"), ("Gates", "States"), ("Gradients", "Influence")}
    for _ in range(2):
        qtbot.waitUntil(lambda: {t for t, _ in _dock_tab_bars(second)} == expected)
        bars = _dock_tab_bars(second)
        assert len(bars) == 3  # one bar per tabbed group: none left over, none doubled
        menu_bottom = second.menuBar().geometry().bottom()
        assert all(rect[1] > menu_bottom for _, rect in bars)  # none over the menus
        second.reset_layout()  # and View > Reset layout leaves none either
    second.remember_settings = False
    second.close()


def test_command_line_settings_are_used_once_and_never_remembered(qtbot):
    from rnnviz.gui.app import Launcher, LaunchOptions

    first = MainWindow(AppSettings())
    qtbot.addWidget(first)
    first.model_panel.set_value("epochs", 7)  # what the user chose in an earlier session
    first.model_panel.set_value("hidden", 12)
    first.close()

    # rnnviz gui --epochs 50 --cell gru --hidden 5
    second = MainWindow(AppSettings())
    qtbot.addWidget(second)
    opts = LaunchOptions(epochs=50, cell="gru", overrides={"hidden": 5})
    Launcher(second, opts)._apply_settings()
    assert (second.model_panel.value("epochs"), second.model_panel.value("cell"),
            second.model_panel.value("hidden")) == (50, "gru", 5)
    second.model_panel.set_value("hidden", 9)  # the user changes one of them in the panel
    second.close()

    third = MainWindow(AppSettings())
    qtbot.addWidget(third)
    assert third.model_panel.value("epochs") == 7
    assert third.model_panel.value("cell") == "lstm"  # the default: never chosen by the user
    assert third.model_panel.value("hidden") == 9
    third.close()


def test_menus_hold_every_command_with_its_shortcut(qtbot, window):
    def texts(menu):
        return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]

    file_items = texts(window.menu_file)
    for name in ("Open CSV…", "Open Sample", "Open Lesson", "Open Recent", "Save Model…",
                 "Load Model…",
                 "Save Session…", "Open Session…", "Export", "Quit"):
        assert name in file_items, name
    assert texts(window.menu_train) == ["Start", "Pause", "Resume", "Step one batch", "Stop",
                                        "Reset"]
    view_items = texts(window.menu_view)
    assert {"Data", "Model and training", "Loss", "Forecast", "Gates", "States", "Gradients",
            "Influence", "Reset layout"} <= set(view_items)
    assert texts(window.menu_help) == ["How to read each view", "Keyboard shortcuts",
                                       "About rnnviz"]
    assert window.act_open.shortcut().toString() == "Ctrl+O"
    assert window.act_save_model.shortcut().toString() == "Ctrl+S"
    assert window.act_quit.shortcut().toString() == "Ctrl+Q"
    assert window.act_start.shortcut().toString() == "Space"
    window.menu_samples.aboutToShow.emit()
    assert len([a for a in window.menu_samples.actions() if a.isEnabled()]) >= 3
    # Qt shows "&&" as "&" and takes a lone "&" for a shortcut mark ("England _Wales")
    from rnnviz.core.samples import get_sample

    title = get_sample("electricity_halfhourly").title
    assert "England & Wales" in title
    assert "England && Wales" in " ".join(a.text() for a in window.menu_samples.actions())
    window.act_help_views.trigger()
    assert window.dialogs.shown[-1][2] == "Loss|Forecast|Gates|States|Gradients|Influence"


def test_help_dialogs_open_for_real(qtbot):
    w = MainWindow(AppSettings())
    qtbot.addWidget(w)
    dlg = w.dialogs.view_help(list(w.views.values()))
    assert dlg.isVisible()
    tabs = dlg.findChildren(type(dlg.layout().itemAt(0).widget()))[0]
    assert [tabs.tabText(i) for i in range(tabs.count())] == [v.title for v in w.views.values()]
    dlg.close()
    sc = w.dialogs.shortcuts(w.actions())
    table = sc.layout().itemAt(0).widget()
    rows = {table.item(i, 0).text(): table.item(i, 1).text() for i in range(table.rowCount())}
    assert rows["Open CSV"] == "Ctrl+O" and rows["Step one batch"] == "F10"
    sc.close()
    assert math.isfinite(1.0)


# ---------------------------------------------------------------------- start-up
def test_in_a_short_window_the_forecast_dock_keeps_room_for_its_plot_and_table(qtbot, window):
    # at 1264x752 the default layout gave the forecast view 290 px: its 8-row table left
    # the plot a 30 px strip
    window.resize(1264, 752)
    window.reset_layout()
    qtbot.waitUntil(lambda: window.docks["forecast"].height() >= 380)
    assert window.docks["gradients"].height() >= 200  # and the view under it still shows
    window.resize(1600, 1000)
    window.reset_layout()  # a tall window keeps the usual split (the lower row is taller)
    qtbot.waitUntil(lambda: window.docks["gates"].height() > window.docks["loss"].height())


def test_default_size_fits_a_small_screen_and_keeps_1600x1000_on_a_big_one():
    from PySide6.QtCore import QRect

    from rnnviz.gui.main_window import DEFAULT_SIZE, default_size

    assert DEFAULT_SIZE == (1600, 1000)
    assert default_size(QRect(0, 0, 1920, 1200)) == (1600, 1000)
    assert default_size(QRect(0, 0, 1280, 770)) == (1280 - 16, 770 - 48)
    assert default_size(None) == (1600, 1000)


def test_on_a_1280x800_screen_the_window_opens_inside_the_screen(tmp_path):
    import subprocess
    import sys

    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [
        {"name": "laptop", "x": 0, "y": 0, "width": 1280, "height": 800}]}))
    code = (
        "from rnnviz.gui.app import make_application\n"
        "from rnnviz.gui.main_window import MainWindow\n"
        "app = make_application()\n"
        "w = MainWindow(deferred=True); w.remember_settings = False\n"
        "w.show(); app.processEvents()\n"
        "g = w.frameGeometry()\n"
        "print(g.width(), g.height())\n"
        "w.close()\n"
    )
    env = dict(__import__("os").environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen}",
               RNNVIZ_SETTINGS_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    width, height = map(int, out.stdout.split())
    assert width <= 1280 and height <= 800
    assert width >= 1200 and height >= 700  # and it still uses the screen


def test_the_bare_window_shows_before_pyqtgraph_and_torch_are_imported(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from rnnviz.gui.app import make_application\n"
        "from rnnviz.gui.main_window import MainWindow\n"
        "app = make_application()\n"
        "w = MainWindow(deferred=True)\n"
        "w.show(); app.processEvents()\n"
        "print(w.isVisible(), 'pyqtgraph' in sys.modules, 'torch' in sys.modules,"
        " 'pandas' in sys.modules, w.act_start.isEnabled(), w.act_open.isEnabled())\n"
        "w.build_content()\n"
        "print(sorted(w.views) == sorted(['loss','forecast','gates','states','gradients',"
        "'influence']), w.act_open.isEnabled())\n"
        "w.remember_settings = False; w.close()\n"
    )
    env = dict(__import__("os").environ, QT_QPA_PLATFORM="offscreen",
               RNNVIZ_SETTINGS_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    first, second = out.stdout.split("\n")[:2]
    # visible, no pyqtgraph, no torch, no pandas yet; nothing to click until the content is built
    assert first == "True False False False False False"
    assert second == "True True"


def test_start_up_opens_the_data_without_torch_and_the_views_get_ready_after(tmp_path):
    # the window stays live during start-up: pandas and pyqtgraph are imported on a
    # background thread, the content is built and the data opened in steps, and torch is
    # not imported by the window at all before the data are shown (it froze it 2-4 s)
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from rnnviz.gui.app import Launcher, LaunchOptions, make_application\n"
        "from rnnviz.gui.main_window import MainWindow\n"
        "app = make_application()\n"
        "w = MainWindow(deferred=True); w.remember_settings = False\n"
        "w.show(); app.processEvents()\n"
        "seen = []\n"
        "w.data_ready.connect(lambda: seen.append(('data', 'torch' in sys.modules, "
        "len(w._prebuild_queue))))\n"
        "w.views_prebuilt.connect(lambda: (seen.append(('views', len(w._prebuild_queue))), "
        "app.quit()))\n"
        "launcher = Launcher(w, LaunchOptions())\n"
        "QTimer.singleShot(0, launcher.finish_startup)\n"
        "QTimer.singleShot(60000, app.quit)\n"
        "app.exec()\n"
        "print(seen, w.session.in_process)\n"
        "w.session.shutdown(); w.close()\n"
    )
    env = dict(__import__("os").environ, QT_QPA_PLATFORM="offscreen",
               RNNVIZ_SETTINGS_DIR=str(tmp_path))
    env.pop("RNNVIZ_TRAIN_IN_THREAD", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    # data shown with no torch, six views still to prebuild; then all of them ready
    assert out.stdout.strip().splitlines()[-1] == "[('data', False, 6), ('views', 0)] True"


def test_a_deferred_window_builds_its_content_in_place(qtbot):
    w = MainWindow(AppSettings(), deferred=True)
    qtbot.addWidget(w)
    w.show()
    assert not w.content_ready and w.views == {}
    assert w.docks["loss"].widget().text() == "Loading…"
    w.build_content()
    assert w.content_ready
    assert w.docks["loss"].widget() is w.views["loss"]
    assert w.docks["data"].widget() is w.data_panel
    assert w.docks["model"].widget() is w.model_panel
    assert [w.docks[k].windowTitle() for k in w.views] == [v.title for v in w.views.values()]


def test_open_lesson_opens_its_window_and_closing_the_main_window_closes_it(qtbot):
    from rnnviz.core.lessons import list_lessons

    w = MainWindow(AppSettings())
    qtbot.addWidget(w)
    w.show()
    w.menu_lessons.aboutToShow.emit()
    titles = [a.text() for a in w.menu_lessons.actions()]
    lessons = list_lessons()
    assert titles == [lesson.title for lesson in lessons]
    w.menu_lessons.actions()[0].trigger()
    lesson_windows = [c for c in w.findChildren(QMainWindow) if c is not w]
    assert len(lesson_windows) == 1 and lesson_windows[0].isVisible()
    assert lessons[0].title in lesson_windows[0].windowTitle()
    w.remember_settings = False
    w.close()
    assert not lesson_windows[0].isVisible()
