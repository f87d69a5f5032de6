"""Baselines on hand-built windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.baselines import fit_dense, last_value, mean_value, seasonal_naive


def test_last_value_repeats_the_targets_last_input():
    X = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)  # (n=2, T=3, F=2)
    out = last_value(X, horizon=2, n_targets=1)
    assert out.shape == (2, 2, 1)
    assert out[:, :, 0].tolist() == [[4.0, 4.0], [10.0, 10.0]]  # X[:, -1, 0]


def test_seasonal_naive_takes_the_latest_same_phase_row_not_after_the_end():
    values = np.arange(20, dtype=np.float64)[:, None]  # value == row number
    end = np.array([10])
    rows = np.array([[11, 12, 13, 14, 15]])
    out = seasonal_naive(values, end, rows, season=4)[0, :, 0]
    # 11-4=7, 12-4=8, 13-4=9, 14-4=10, 15 is 5 ahead -> two seasons back: 7
    assert out.tolist() == [7.0, 8.0, 9.0, 10.0, 7.0]


def test_seasonal_naive_before_the_series_is_nan():
    values = np.ones((10, 1))
    out = seasonal_naive(values, np.array([1]), np.array([[2, 3]]), season=7)
    assert np.isnan(out).all()


def test_mean_value_is_the_training_target_mean_per_target():
    Y = np.array([[[1.0, 10.0]], [[3.0, 30.0]]])  # (2, 1, 2)
    out = mean_value(Y, 3)
    assert out.shape == (3, 1, 2)
    assert out[0, 0].tolist() == [2.0, 20.0]


def _sum_task(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5, 1)).astype(np.float32)
    Y = X.sum(axis=1, keepdims=True)  # (n, 1, 1): a linear function of the window
    return X, Y


def test_dense_baseline_learns_a_linear_window_function_and_is_deterministic():
    Xt, Yt = _sum_task(256, 0)
    Xv, Yv = _sum_task(64, 1)
    state = torch.get_rng_state()
    d1 = fit_dense(Xt, Yt, Xv, Yv, seed=3)
    assert torch.equal(state, torch.get_rng_state())  # the global RNG is untouched
    p1 = d1.predict(Xv)
    mse = float(np.mean((p1 - Yv) ** 2))
    assert mse < 0.05 * float(np.var(Yv))  # far better than predicting the mean
    p2 = fit_dense(Xt, Yt, Xv, Yv, seed=3).predict(Xv)
    assert np.array_equal(p1, p2)
    p3 = fit_dense(Xt, Yt, Xv, Yv, seed=4).predict(Xv)
    assert not np.array_equal(p1, p3)


def test_dense_baseline_handles_unscaled_values_and_read_only_views():
    X = np.arange(1, 46, dtype=np.float64).reshape(15, 3, 1)  # the toy many-to-one data
    Y = X.sum(axis=1, keepdims=True)
    X.setflags(write=False)
    d = fit_dense(X[:12], Y[:12], X[12:], Y[12:], seed=0)
    pred = d.predict(np.array([[[50.0], [51.0], [52.0]]]))
    assert pred.shape == (1, 1, 1)
    assert pred[0, 0, 0] == pytest.approx(153.0, abs=15.0)
