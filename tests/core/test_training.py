"""The training generator: events, determinism, control, divergence, early stopping."""

from __future__ import annotations

import dataclasses
import math
import queue
import threading

import numpy as np
import pandas as pd
import pytest
import torch

import rnnviz.core.training as training
from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.events import (
    BatchDone,
    Diverged,
    EpochDone,
    Finished,
    ForecastReady,
    ProbeReady,
    Started,
)
from rnnviz.core.series import build_windows, prepare_series
from rnnviz.core.tasks import toy_many_to_one
from rnnviz.core.trace import Trace
from rnnviz.core.training import TrainingControl, make_model, train

DATA_CFG = DataConfig(lookback=10, split=(0.6, 0.2, 0.2))


@pytest.fixture(scope="module")
def data():
    t = np.arange(240)
    df = pd.DataFrame({
        "date": pd.date_range("2021-01-01", periods=240, freq="D"),
        "y": np.sin(2 * np.pi * t / 20) + 0.1 * np.cos(t),
    })
    series = prepare_series(df, DATA_CFG, time_column="date")
    return build_windows(series, DATA_CFG)


def _run(**train_kw) -> RunConfig:
    model_kw = train_kw.pop("model_kw", {})
    base = dict(epochs=2, batch_size=16, lr=0.01, probe_every_seconds=None)
    base.update(train_kw)
    return RunConfig(data=DATA_CFG, model=ModelConfig(cell="lstm", hidden=8, **model_kw),
                     train=TrainConfig(**base))


def _losses(events):
    return [e.loss for e in events if isinstance(e, BatchDone)]


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_event_sequence_and_counts(data):
    run = _run(probe_every_batches=5)
    events = list(train(data, run))
    assert isinstance(events[0], Started)
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    bpe = math.ceil(data.train.n / 16)
    assert events[0].batches_per_epoch == bpe
    assert events[0].n_train == data.train.n and events[0].n_val == data.val.n
    batches = [e for e in events if isinstance(e, BatchDone)]
    assert [b.step for b in batches] == list(range(1, 2 * bpe + 1))
    assert [e.epoch for e in events if isinstance(e, EpochDone)] == [1, 2]
    probes = [e for e in events if isinstance(e, ProbeReady)]
    assert probes[0].step == 0
    assert [p.step for p in probes[1:]] == [s for s in range(5, 2 * bpe + 1, 5)] + (
        [2 * bpe] if (2 * bpe) % 5 else [])
    assert isinstance(probes[0].trace, Trace)
    forecasts = [e for e in events if isinstance(e, ForecastReady)]
    assert forecasts and events.index(forecasts[-1]) == len(events) - 2  # final forecast
    assert events[-1].steps == 2 * bpe and events[-1].epochs_run == 2


def test_events_hold_no_tensors(data):
    def check(obj, where):
        assert not isinstance(obj, torch.Tensor), where
        if isinstance(obj, np.ndarray):
            assert obj.dtype != object
        elif isinstance(obj, dict):
            for k, v in obj.items():
                check(v, f"{where}.{k}")
        elif dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                check(getattr(obj, f.name), f"{where}.{f.name}")

    for ev in train(data, _run(epochs=1, probe_every_batches=3)):
        check(ev, type(ev).__name__)


def test_same_seed_same_losses_bit_for_bit_and_probes_do_not_change_them(data):
    kw = dict(model_kw={"layers": 2, "dropout": 0.3})
    a = _losses(train(data, _run(**kw)))
    b = _losses(train(data, _run(**kw)))
    c = _losses(train(data, _run(probe_every_batches=1, **kw)))
    assert a == b
    assert a == c
    d = _losses(train(data, _run(seed=1, **kw)))
    assert a != d


def test_group_norms_add_up_to_the_global_norm(data):
    for ev in train(data, _run(epochs=1)):
        if isinstance(ev, BatchDone):
            total = math.sqrt(sum(v**2 for v in ev.group_norms.values()))
            assert total == pytest.approx(ev.grad_norm, rel=1e-4)
            assert set(ev.group_norms) == {"input", "recurrent", "bias", "head"}


def test_baseline_losses_are_scored_on_the_validation_windows(data):
    started = next(iter(train(data, _run(epochs=1))))
    val = data.val
    naive = np.mean((val.X[:, -1, 0] - val.Y[:, 0, 0]) ** 2)  # mse of the last value
    assert started.baseline_losses["naive"] == pytest.approx(float(naive), rel=1e-5)
    mean = np.mean((data.train.Y.mean() - val.Y) ** 2)
    assert started.baseline_losses["mean"] == pytest.approx(float(mean), rel=1e-4)
    assert started.baseline_losses["seasonal_naive"] >= 0  # daily data: season 7
    assert "dense" in started.baseline_losses


def test_stop_ends_within_one_batch(data):
    control = TrainingControl()
    events = []
    for ev in train(data, _run(epochs=5), control=control):
        events.append(ev)
        if isinstance(ev, BatchDone) and ev.step == 3:
            control.stop()
    assert len(_losses(events)) == 3
    assert events[-1].reason == "stopped"


@pytest.mark.parametrize("limit, expect_forecast", [(1e9, True), (0.0, False)])
def test_a_stopped_run_forecasts_at_the_end_only_when_that_is_quick(data, monkeypatch, limit,
                                                                     expect_forecast):
    # on a long series the final recursive forecast can take a minute; Stop must not wait
    monkeypatch.setattr(training, "STOPPED_FORECAST_MAX_S", limit)
    control = TrainingControl()
    events = []
    for ev in train(data, _run(epochs=5), control=control):
        events.append(ev)
        if isinstance(ev, BatchDone) and ev.step == 3:
            control.stop()
    after_stop = events[[i for i, e in enumerate(events) if isinstance(e, BatchDone)][-1]:]
    assert any(isinstance(e, ForecastReady) for e in after_stop) == expect_forecast
    assert events[-1].reason == "stopped"


@pytest.mark.parametrize("share, epochs_forecast", [(1e9, [1, 2, 3, 4]), (0.0, [1, 4])])
def test_forecast_share_sets_how_often_forecasts_come_during_training(data, share,
                                                                      epochs_forecast):
    events = list(train(data, _run(epochs=4), forecast_share=share))
    assert [e.epoch for e in events if isinstance(e, ForecastReady)] == epochs_forecast


def test_set_lr_applies_to_the_next_batch(data):
    control = TrainingControl()
    lrs = []
    for ev in train(data, _run(epochs=1), control=control):
        if isinstance(ev, BatchDone):
            lrs.append(ev.lr)
            if ev.step == 2:
                control.set_lr(0.5)
    assert lrs[:2] == [0.01, 0.01]
    assert set(lrs[2:]) == {0.5}
    with pytest.raises(ConfigError):
        control.set_lr(-1.0)


def _consume(gen, q):
    for ev in gen:
        q.put(ev)
    q.put(None)


def test_pause_step_once_and_stop_while_paused(data):
    control = TrainingControl()
    control.pause()
    q: queue.Queue = queue.Queue()
    worker = threading.Thread(target=_consume, args=(train(data, _run(epochs=3), control=control), q))
    worker.start()
    try:
        assert control.wait_until_blocked(30)
        seen = []
        while not q.empty():
            seen.append(q.get())
        assert not any(isinstance(e, BatchDone) for e in seen)  # paused before the first batch
        control.step_once()
        ev = q.get(timeout=30)
        while not isinstance(ev, BatchDone):
            ev = q.get(timeout=30)
        assert ev.step == 1
        assert control.wait_until_blocked(30)  # paused again after exactly one batch
        assert q.empty()
        control.stop()
        worker.join(timeout=10)
        assert not worker.is_alive()  # stop while paused ends promptly
    finally:
        control.stop()
        worker.join(timeout=10)
    rest = []
    while True:
        item = q.get(timeout=5)
        if item is None:
            break
        rest.append(item)
    assert not any(isinstance(e, BatchDone) for e in rest)
    assert isinstance(rest[-1], Finished) and rest[-1].reason == "stopped"
    assert rest[-1].steps == 1


def _nan_loss_at(monkeypatch, step):
    """Make the training loss NaN at one training step (validation losses stay finite)."""
    real = training.make_loss
    calls = {"n": 0}

    def fake(name):
        fn = real(name)

        def loss(pred, target):
            out = fn(pred, target)
            if torch.is_grad_enabled():
                calls["n"] += 1
                if calls["n"] == step:
                    return out * float("nan")
            return out

        return loss

    monkeypatch.setattr(training, "make_loss", fake)


def test_nan_loss_is_caught_at_its_step_and_weights_are_the_pre_step_weights(data, monkeypatch):
    _nan_loss_at(monkeypatch, 7)
    run = _run(epochs=3)
    model = make_model(data, run)
    before = None
    events = []
    for ev in train(data, run, model=model):
        events.append(ev)
        if isinstance(ev, BatchDone) and ev.step == 6:
            before = _weights(model)  # after step 6 = the weights step 7 starts from
    div = [e for e in events if isinstance(e, Diverged)]
    assert len(div) == 1 and div[0].step == 7 and div[0].what == "loss"
    assert "learning rate" in div[0].message and "clipping" in div[0].message
    assert len(_losses(events)) == 6
    assert events[-1].reason == "diverged"
    assert _same(_weights(model), before)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_weights_blown_up_by_a_step_are_restored_to_the_last_finite_ones(data):
    run = _run(epochs=3)
    model = make_model(data, run)
    saved = None
    events = []
    for ev in train(data, run, model=model):
        events.append(ev)
        if isinstance(ev, BatchDone) and ev.step == 4:
            saved = _weights(model)  # the weights step 5 starts from
        if isinstance(ev, BatchDone) and ev.step == 5:
            with torch.no_grad():  # as if step 5's update had overflowed
                model.head.weight.fill_(float("inf"))
    div = [e for e in events if isinstance(e, Diverged)]
    assert div and div[0].step == 6
    assert _same(_weights(model), saved)


def test_a_divergence_after_an_epoch_restores_the_best_epochs_weights(data):
    # the steps before a divergence often have finite but exploding weights; the best
    # epoch's are the ones worth keeping (and forecasting with)
    run = _run(epochs=3)
    model = make_model(data, run)
    epoch1 = None
    events = []
    for ev in train(data, run, model=model):
        events.append(ev)
        if isinstance(ev, EpochDone) and ev.epoch == 1:
            epoch1 = _weights(model)
        if isinstance(ev, BatchDone) and ev.epoch == 2 and ev.batch == 2:
            with torch.no_grad():  # as if this step's update had overflowed
                model.head.weight.fill_(float("inf"))
    div = [e for e in events if isinstance(e, Diverged)]
    assert len(div) == 1 and div[0].epoch == 2
    assert "epoch 1" in div[0].message and "restored" in div[0].message
    assert _same(_weights(model), epoch1)
    fin = events[-1]
    assert fin.reason == "diverged" and fin.best_epoch == 1


def test_without_restore_best_a_divergence_keeps_the_last_finite_step(data):
    run = _run(epochs=3, restore_best=False)
    model = make_model(data, run)
    saved = None
    events = []
    for ev in train(data, run, model=model):
        events.append(ev)
        if isinstance(ev, BatchDone) and ev.epoch == 2 and ev.batch == 1:
            saved = _weights(model)
        if isinstance(ev, BatchDone) and ev.epoch == 2 and ev.batch == 2:
            with torch.no_grad():
                model.head.weight.fill_(float("inf"))
    div = [e for e in events if isinstance(e, Diverged)]
    assert div and "last finite step" in div[0].message
    assert _same(_weights(model), saved)


def test_early_stopping_and_restore_best(data, monkeypatch):
    real = training.evaluate
    scores = iter([1.0, 2.0, 3.0, 4.0, 5.0])

    def fake(model, windows, loss, **kw):
        value, pred = real(model, windows, loss, **kw)
        return next(scores), pred

    monkeypatch.setattr(training, "evaluate", fake)
    run = _run(epochs=5, patience=2)
    model = make_model(data, run)
    best = None
    events = []
    for ev in train(data, run, model=model):
        events.append(ev)
        if isinstance(ev, EpochDone) and ev.epoch == 1:
            best = _weights(model)
    fin = events[-1]
    assert fin.reason == "early_stopping"
    assert fin.epochs_run == 3 and fin.best_epoch == 1 and fin.best_val_loss == 1.0
    assert [e.improved for e in events if isinstance(e, EpochDone)] == [True, False, False]
    assert _same(_weights(model), best)


def test_clip_norm_bounds_each_update(data):
    run = _run(epochs=1, optimizer="sgd", momentum=0.0, lr=1.0, clip_norm=1e-3)
    model = make_model(data, run)
    prev = [p.detach().clone() for p in model.parameters()]
    for ev in train(data, run, model=model):
        if isinstance(ev, BatchDone):
            now = [p.detach().clone() for p in model.parameters()]
            step = math.sqrt(sum(float(((a - b) ** 2).sum()) for a, b in zip(now, prev, strict=True)))
            assert step <= 1e-3 * (1 + 1e-4)
            assert ev.grad_norm > 1e-3  # the reported norm is the one before clipping
            prev = now


def test_max_batches_per_epoch_and_schedule(data):
    run = _run(epochs=3, max_batches_per_epoch=2, schedule="step", schedule_step=1,
               schedule_gamma=0.5)
    events = list(train(data, run))
    assert len(_losses(events)) == 6
    assert [e.lr for e in events if isinstance(e, EpochDone)] == pytest.approx(
        [0.005, 0.0025, 0.00125])


def test_sequence_task_trains_without_forecasts():
    data = toy_many_to_one(scaled=True)
    run = RunConfig(model=ModelConfig(cell="gru", hidden=8),
                    train=TrainConfig(epochs=2, batch_size=4, probe_every_seconds=None))
    events = list(train(data, run))
    assert not any(isinstance(e, ForecastReady) for e in events)
    started = events[0]
    assert set(started.baseline_losses) == {"mean", "dense"}
    assert events[-1].reason == "completed"
    loss, pred = training.evaluate(make_model(data, run), data.test, "mse")
    assert pred.shape == (1, 1, 1) and math.isfinite(loss)


def test_batch_elapsed_time_grows_and_leaves_pauses_out(data):
    # BatchDone.elapsed is the engine's training clock: a window computes its rate from it
    run = _run(epochs=1)
    control = TrainingControl()
    gen = train(data, run, control=control)
    batches = []
    for ev in gen:
        if isinstance(ev, BatchDone):
            batches.append(ev)
            if ev.step == 2:
                control.pause()
                threading.Timer(0.6, control.resume).start()  # paused 0.6 s before step 3
            if ev.step == 4:
                control.stop()
    elapsed = [b.elapsed for b in batches]
    assert all(math.isfinite(e) for e in elapsed)
    assert elapsed == sorted(elapsed)
    assert elapsed[2] - elapsed[1] < 0.4  # the 0.6 s pause is not training time


def test_a_divergence_whose_best_epoch_is_far_above_the_mean_baseline_says_so(data, monkeypatch):
    # restoring weights whose loss is 1.5e15 is no help: the message must say the model is
    # not worth keeping, and the forecast names the epoch whose weights it uses
    real = training.evaluate
    scores = iter([5e14])  # epoch 1's validation loss: far above the mean baseline's

    def fake(model, windows, loss, **kw):
        value, pred = real(model, windows, loss, **kw)
        return next(scores, value), pred

    monkeypatch.setattr(training, "evaluate", fake)
    run = _run(epochs=3)
    model = make_model(data, run)
    events = []
    for ev in train(data, run, model=model):
        events.append(ev)
        if isinstance(ev, BatchDone) and ev.epoch == 2 and ev.batch == 1:
            with torch.no_grad():
                model.head.weight.fill_(float("inf"))
    started = events[0]
    div = [e for e in events if isinstance(e, Diverged)]
    assert len(div) == 1 and div[0].epoch == 2
    msg = div[0].message
    assert "not worth keeping" in msg and "epoch 1" in msg and "5e+14" in msg
    assert f"{started.baseline_losses['mean']:.3g}" in msg
    forecasts = [e for e in events if isinstance(e, ForecastReady)]
    assert forecasts and forecasts[-1].epoch == 1  # the weights it forecasts with
