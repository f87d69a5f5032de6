"""The real window training in its separate training process (the default).

The engine runs in a child process (:mod:`rnnviz.core.trainproc`), so its events cannot be
recorded on their way out of ``train()`` as in ``test_main_window.py``. Instead each test
runs the same ``train()`` here, with the run settings the window used (one torch thread, the
same seed), and compares: the window must hold exactly the numbers of that run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.events import BatchDone, Diverged, EpochDone, ForecastReady, ProbeReady
from rnnviz.core.training import TrainingControl, make_model, train
from rnnviz.gui import session as S
from rnnviz.gui.main_window import MainWindow
from rnnviz.gui.session import TrainingSession
from rnnviz.gui.settings import AppSettings
from tests.gui.test_main_window import (
    WAIT,
    Recorder,
    open_csv,
    small_settings,
    train_to_end,
    write_sine_csv,
)


@pytest.fixture
def window(qtbot):
    w = MainWindow(AppSettings(), session=TrainingSession(in_process=True))
    qtbot.addWidget(w)
    w.dialogs = Recorder()
    w.show()
    qtbot.waitExposed(w)
    yield w
    assert w.session.shutdown(10_000)


def run_here(window) -> list:
    """The events of the window's last run, trained again in this process."""
    return list(train(window.splits, window.session.run_config))


def test_the_window_shows_the_numbers_of_the_same_run_trained_here(qtbot, window, tmp_path):
    small_settings(window)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    fin = train_to_end(qtbot, window)
    assert window.session.in_process and fin.reason == "completed"
    events = run_here(window)
    batches = [e for e in events if isinstance(e, BatchDone)]
    epochs = [e for e in events if isinstance(e, EpochDone)]
    probes = [e for e in events if isinstance(e, ProbeReady)]
    forecasts = [e for e in events if isinstance(e, ForecastReady)]
    window.session.render_views(all_views=True)
    v = window.views
    loss = v["loss"].data_columns()
    assert np.array_equal(loss["step"], [b.step for b in batches])
    assert np.allclose(loss["batch_loss"], [b.loss for b in batches], rtol=1e-7, atol=0)
    at = np.isin(loss["step"], [e.step for e in epochs])  # an epoch on its last batch's row
    assert np.allclose(loss["epoch_val_loss"][at], [e.val_loss for e in epochs], rtol=1e-7)
    fc = forecasts[-1]
    cols = v["forecast"].data_columns()
    at = np.searchsorted(cols["row"], fc.index)
    assert np.allclose(cols["recursive"][at], fc.recursive[:, 0], rtol=1e-6)
    trace = probes[-1].trace
    gates = v["gates"].data_columns()
    for g, arr in trace.gates.items():
        assert np.allclose(gates[f"{g}_u0"], arr[0, 0, :, 0], rtol=1e-6)
    grads = v["gradients"].data_columns()
    assert np.allclose(grads["layer1_median"], np.nanmedian(trace.grad_hidden[0], axis=0),
                       rtol=1e-5)
    # the window's copy of the model holds the weights the run ended with
    here = make_model(window.splits, window.session.run_config)
    list(train(window.splits, window.session.run_config, model=here))
    for name, value in here.state_dict().items():
        assert torch.equal(window.session.model.state_dict()[name], value), name


def test_pause_step_save_and_learning_rate_reach_the_training_process(qtbot, window, tmp_path):
    small_settings(window, epochs=10_000, lr=1e-3, probe_every_batches=None)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.step_training()  # starts paused and trains one batch
    qtbot.waitUntil(lambda: window.session.history.n_batches == 1, timeout=WAIT)
    assert window.session.state == S.PAUSED
    window.lr_spin.setValue(0.02)
    window.step_training()
    window.step_training()
    qtbot.waitUntil(lambda: window.session.history.n_batches == 3, timeout=WAIT)
    # saving mid-run brings the weights back from the training process first
    folder = window.save_model(tmp_path / "model")
    assert folder is not None
    assert window.session.history.n_batches == 3  # no batch slipped through
    lrs = window.session.history.batch_arrays()["lr"]
    assert np.allclose(lrs, [1e-3, 0.02, 0.02])
    # the same three batches here, with the same learning rates
    run = window.session.run_config
    control = TrainingControl()
    control.pause()
    here = make_model(window.splits, run)
    done = 0
    gen = train(window.splits, run, control=control, model=here)
    control.step_once()
    for ev in gen:
        if isinstance(ev, BatchDone):
            done += 1
            if done == 3:
                break
            control.set_lr(0.02)
            control.step_once()
    gen.close()
    for name, value in here.state_dict().items():
        assert torch.equal(window.session.model.state_dict()[name], value), name
    from rnnviz.core.checkpoint import load_model

    saved = load_model(folder)
    for name, value in here.state_dict().items():
        assert torch.equal(saved.model.state_dict()[name].cpu(), value), name
    with qtbot.waitSignal(window.session.run_finished, timeout=WAIT) as blocker:
        window.act_stop.trigger()
    assert blocker.args[0].reason == "stopped"


def test_a_nan_run_shows_the_engines_divergence_message(qtbot, window, tmp_path):
    small_settings(window, cell="rnn", spectral_radius=3.0, lr=10.0, optimizer="sgd",
                   hidden=8, epochs=20, max_batches_per_epoch=5)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    fin = train_to_end(qtbot, window)
    assert fin.reason == "diverged"
    engine_msg = next(e.message for e in run_here(window) if isinstance(e, Diverged))
    assert [m for k, _, m in window.dialogs.shown if k == "diverged"] == [engine_msg]


def test_a_dead_training_process_becomes_one_dialog_and_the_next_start_trains(
        qtbot, window, tmp_path):
    small_settings(window, epochs=10_000)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.start_training()
    qtbot.waitUntil(lambda: window.session.history.n_batches >= 2, timeout=WAIT)
    with qtbot.waitSignal(window.session.run_finished, timeout=WAIT):
        window.session._process._proc.kill()  # e.g. the system ran out of memory
    assert window.dialogs.kinds() == ["error"]
    assert "ended unexpectedly" in window.dialogs.shown[0][2]
    assert window.act_start.isEnabled()
    small_settings(window, epochs=2)
    fin = train_to_end(qtbot, window)
    assert fin.reason == "completed" and window.dialogs.kinds() == ["error"]


def test_closing_mid_training_stops_the_run_in_the_process(qtbot, window, tmp_path):
    small_settings(window, epochs=10_000)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.start_training()
    qtbot.waitUntil(lambda: window.session.history.n_batches >= 3, timeout=WAIT)
    proc = window.session._process
    assert proc.busy
    window.close()
    assert not proc.busy  # the run ended (the process stays for the next window)
    assert not window.session.is_active and window.session.threads_running() == 0


def test_save_model_while_training_runs_pauses_saves_and_resumes(qtbot, window, tmp_path):
    small_settings(window, epochs=10_000)
    open_csv(qtbot, window, write_sine_csv(tmp_path / "sine.csv"))
    window.start_training()
    qtbot.waitUntil(lambda: window.session.history.n_batches >= 3, timeout=WAIT)
    assert window.act_save_model.isEnabled()  # on while it runs, not only when paused
    folder = window.save_model(tmp_path / "mid_run")
    assert folder is not None and window.dialogs.kinds() == []
    assert window.session.state == S.RUNNING  # it went on training
    from rnnviz.core.checkpoint import load_model

    saved = load_model(folder)
    assert saved.meta["extra"]["steps"] >= 3
    n = window.session.history.n_batches
    qtbot.waitUntil(lambda: window.session.history.n_batches > n, timeout=WAIT)
    with qtbot.waitSignal(window.session.run_finished, timeout=WAIT):
        window.act_stop.trigger()
