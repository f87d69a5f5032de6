"""RunHistory keeps exactly what the events said, in order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.events import BatchDone, EpochDone, ProbeReady
from rnnviz.core.history import RunHistory, smooth
from rnnviz.core.trace import demo_trace


def _batch(i: int, lr: float = 1e-3) -> BatchDone:
    return BatchDone(epoch=1, batch=i, step=i, loss=1.0 / i, grad_norm=float(i),
                     group_norms={"input": 0.5 * i, "recurrent": 2.0 * i}, lr=lr)


def test_batch_arrays_hold_every_event_past_buffer_growth():
    h = RunHistory()
    n = 3000  # more than the initial capacity, so buffers grow twice
    for i in range(1, n + 1):
        h.add(_batch(i))
    b = h.batch_arrays()
    assert h.n_batches == n
    np.testing.assert_array_equal(b["step"], np.arange(1, n + 1))
    np.testing.assert_allclose(b["loss"], 1.0 / np.arange(1, n + 1))
    np.testing.assert_allclose(b["grad_recurrent"], 2.0 * np.arange(1, n + 1))
    assert np.isnan(b["grad_head"]).all()  # a group the events never named
    with pytest.raises(ValueError):
        b["loss"][0] = 5.0  # views are read-only


def test_learning_rate_changes_are_recorded_where_they_happen():
    h = RunHistory()
    for i, lr in enumerate([1e-3, 1e-3, 5e-4, 5e-4, 1e-2], start=1):
        h.add(_batch(i, lr))
    assert h.lr_changes == [(3, 5e-4), (5, 1e-2)]


def test_history_csv_has_one_row_per_epoch(tmp_path):
    h = RunHistory()
    for e in (1, 2):
        h.add(EpochDone(epoch=e, step=10 * e, train_loss=0.5 / e, val_loss=0.6 / e, lr=1e-3,
                        grad_norm=1.5, seconds=0.25))
    text = (h.write_history_csv(tmp_path / "history.csv")).read_text().splitlines()
    assert text[0] == "epoch,train_loss,val_loss,lr,grad_norm,seconds"
    assert len(text) == 3
    assert text[2].split(",")[:3] == ["2", "0.25", "0.3"]


def test_snapshots_thin_out_but_keep_first_and_latest():
    h = RunHistory(max_snapshots=10)
    trace = demo_trace("gru", steps=5, hidden=2)
    for s in range(1, 40):
        h.add(ProbeReady(step=s, epoch=1, trace=trace))
    steps = [p.step for p in h.snapshots]
    assert len(steps) <= 10
    assert steps[0] == 1 and steps[-1] == 39
    assert steps == sorted(steps)


def test_smooth_is_a_trailing_mean_that_skips_nan():
    v = np.array([1.0, 3.0, math.nan, 5.0, 7.0])
    out = smooth(v, 2)
    np.testing.assert_allclose(out, [1.0, 2.0, 3.0, 5.0, 6.0])


def test_unknown_events_are_refused():
    with pytest.raises(TypeError):
        RunHistory().add("not an event")


def test_last_batch_is_the_latest_batch_event_until_cleared():
    h = RunHistory()
    assert h.last_batch is None
    first = BatchDone(epoch=1, batch=3, step=3, loss=0.5, grad_norm=1.0, group_norms={},
                      lr=1e-3)
    second = BatchDone(epoch=2, batch=1, step=4, loss=0.4, grad_norm=1.0, group_norms={},
                       lr=1e-3)
    h.add(first)
    h.add(EpochDone(epoch=1, step=3, train_loss=0.5, val_loss=0.6, lr=1e-3, grad_norm=1.0,
                    seconds=0.1, metrics={}, improved=True))
    assert h.last_batch is first  # an epoch's end does not change it
    h.add(second)
    assert h.last_batch is second and h.last_batch.epoch == 2
    h.clear()
    assert h.last_batch is None
