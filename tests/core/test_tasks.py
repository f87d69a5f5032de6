"""Teaching generators: sine series, the adding problem, the lag task and the Keras toy shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.series import build_windows, prepare_series
from rnnviz.core.tasks import (
    TOY_CHECKS,
    TOY_SLIDE_PREDICTIONS,
    adding_problem,
    lag_task,
    noisy_sine_trend,
    sine_wave,
    toy_many_to_many,
    toy_many_to_one,
    toy_one_to_many,
)


# ---------------------------------------------------------------------------- series
def test_sine_wave_defaults_are_the_tf_exercise():
    f = sine_wave()
    x = np.linspace(0, 50, 501)
    np.testing.assert_allclose(f["t"], x, atol=1e-12)
    np.testing.assert_allclose(f["value"], np.sin(x), atol=1e-12)


def test_sine_wave_noise_is_seeded():
    a = sine_wave(2000, noise=0.5, seed=1)
    b = sine_wave(2000, noise=0.5, seed=1)
    c = sine_wave(2000, noise=0.5, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["value"], c["value"])
    residual = a["value"] - np.sin(a["t"])
    assert residual.std() == pytest.approx(0.5, rel=0.08)


def test_sine_wave_with_dates_goes_through_prepare_series():
    f = sine_wave(240, dt=1.0, period=24.0, freq="h")
    assert list(f.columns) == ["time", "value"]
    s = prepare_series(f, DataConfig(time_column="time", lookback=24))
    assert s.season == 24 and s.target_names == ("value",)
    # with the plain "t" column, name it as the time column so it is not taken as the target
    s = prepare_series(sine_wave(), DataConfig(time_column="t", lookback=20))
    assert s.target_names == ("value",) and s.times is None


def test_noisy_sine_trend_without_noise_follows_its_formula():
    f = noisy_sine_trend(200, period=40.0, amplitude=2.0, trend=0.5, level=3.0, noise=0.0)
    assert f["value"][0] == pytest.approx(3.0)
    assert f["value"][10] == pytest.approx(3.0 + 0.5 * 10 + 2.0)  # a quarter period: the peak
    assert f["value"][20] == pytest.approx(3.0 + 0.5 * 20, abs=1e-9)  # half a period: zero
    noisy = noisy_sine_trend(200, period=40.0, amplitude=2.0, trend=0.5, level=3.0, noise=1.0)
    assert not np.allclose(noisy["value"], f["value"])


@pytest.mark.parametrize("kw", [dict(n=1), dict(period=0.0), dict(noise=-1.0), dict(dt=-0.1),
                                dict(freq="every now and then")])
def test_series_generators_refuse_bad_options(kw):
    with pytest.raises(ConfigError):
        sine_wave(**kw)


# ---------------------------------------------------------------------------- adding problem
def test_adding_problem_shapes_markers_and_sums():
    s = adding_problem(length=20, n_train=300, n_val=50, n_test=40, seed=3)
    assert s.series is None and s.scaler is None
    assert (len(s.train), len(s.val), len(s.test)) == (300, 50, 40)
    assert s.feature_names == ("value", "marker") and s.target_names == ("sum",)
    assert (s.lookback, s.horizon) == (20, 1)
    X, Y = s.train.X, s.train.Y
    assert X.shape == (300, 20, 2) and Y.shape == (300, 1, 1) and X.dtype == np.float32
    assert ((X[:, :, 0] >= 0) & (X[:, :, 0] < 1)).all()
    for i in range(300):
        marked = np.flatnonzero(X[i, :, 1])
        assert len(marked) == 2 and set(X[i, :, 1]) <= {0.0, 1.0}
        assert marked[0] < 10 <= marked[1]  # one in each half
        assert Y[i, 0, 0] == pytest.approx(X[i, marked, 0].sum(), abs=1e-6)
    assert (s.train.target_rows == -1).all()


def test_predicting_the_mean_of_the_adding_problem_scores_one_sixth():
    s = adding_problem(length=10, n_train=20000, n_val=1, n_test=1, seed=0)
    y = s.train.Y[:, 0, 0].astype(np.float64)
    mse = np.mean((y - 1.0) ** 2)  # 1.0 = the expected sum of two U(0, 1) values
    assert mse == pytest.approx(1 / 6, abs=0.006)


def test_adding_problem_is_seeded_and_n_splits_70_15_15():
    a = adding_problem(length=8, n=200, seed=5)
    b = adding_problem(length=8, n=200, seed=5)
    np.testing.assert_array_equal(a.train.X, b.train.X)
    assert (len(a.train), len(a.val), len(a.test)) == (140, 30, 30)
    c = adding_problem(length=8, n=200, seed=6)
    assert not np.array_equal(a.train.X, c.train.X)
    with pytest.raises(ConfigError):
        adding_problem(length=1)


# ---------------------------------------------------------------------------- lag task
@pytest.mark.parametrize("lag", [0, 3, 9])
def test_lag_task_target_is_the_input_lag_steps_before_the_end(lag):
    s = lag_task(length=10, lag=lag, n_train=50, n_val=5, n_test=5, seed=1)
    X, Y = s.train.X, s.train.Y
    assert X.shape == (50, 10, 1) and Y.shape == (50, 1, 1)
    for i in range(50):
        assert Y[i, 0, 0] == X[i, 9 - lag, 0]


def test_lag_task_mean_baseline_and_limits():
    s = lag_task(length=5, lag=2, n_train=20000, n_val=1, n_test=1)
    assert np.mean(s.train.Y.astype(np.float64) ** 2) == pytest.approx(1 / 3, abs=0.01)
    with pytest.raises(ConfigError):
        lag_task(length=5, lag=5)
    with pytest.raises(ConfigError):
        lag_task(length=5, lag=-1)


# ---------------------------------------------------------------------------- toy shapes
def _all(split):
    X = np.concatenate([split.train.X, split.val.X])
    Y = np.concatenate([split.train.Y, split.val.Y])
    return X, Y


def test_one_to_many_is_the_slide_data():
    s = toy_one_to_many()
    X, Y = _all(s)
    # slide: input [1, 4, 7, ..., 43]; output [[2, 3], [5, 6], ..., [44, 45]]
    assert X[:, 0, 0].tolist() == [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40, 43]
    assert Y[:, :, 0].tolist()[:3] == [[2, 3], [5, 6], [8, 9]]
    assert Y[:, :, 0].tolist()[-1] == [44, 45]
    assert (len(s.train), len(s.val)) == (12, 3)  # Keras validation_split=0.2
    assert s.test.X[0, 0, 0] == 10 and s.test.Y[0, :, 0].tolist() == [11, 12]
    assert (s.lookback, s.horizon) == (1, 2)


def test_many_to_one_is_the_slide_data():
    s = toy_many_to_one()
    X, Y = _all(s)
    assert X[0, :, 0].tolist() == [1, 2, 3] and X[1, :, 0].tolist() == [4, 5, 6]
    assert Y[:5, 0, 0].tolist() == [6, 15, 24, 33, 42]
    assert len(X) == 15 and s.target_names == ("sum",)
    assert s.test.X[0, :, 0].tolist() == [50, 51, 52] and s.test.Y[0, 0, 0] == 153


def test_many_to_many_is_the_slide_data():
    s = toy_many_to_many()
    X, Y = _all(s)
    assert X[:3, :, 0].tolist() == [[5, 10, 15], [20, 25, 30], [35, 40, 45]]
    assert Y[:3, :, 0].tolist() == [[20, 25, 30], [35, 40, 45], [50, 55, 60]]
    assert (len(s.train), len(s.val)) == (16, 4)
    assert s.test.X[0, :, 0].tolist() == [300, 305, 310]
    assert s.test.Y[0, :, 0].tolist() == [315, 320, 325]
    assert (s.lookback, s.horizon) == (3, 3)


def test_toy_checks_and_slide_predictions_line_up():
    assert TOY_CHECKS["many_to_one"][1][0, 0, 0] == 153
    for name, (x, y) in TOY_CHECKS.items():
        assert x.ndim == 3 and y.ndim == 3
        assert y.shape[1] == len(TOY_SLIDE_PREDICTIONS[name])
        assert not x.flags.writeable


@pytest.mark.parametrize("make", [toy_one_to_many, toy_many_to_one, toy_many_to_many])
def test_scaled_toys_carry_a_scaler_that_undoes_them(make):
    raw = make()
    scaled = make(scaled=True)
    assert raw.scaler is None and scaled.scaler is not None
    # the training inputs are standardised ...
    x = scaled.train.X.astype(np.float64)
    assert x.mean() == pytest.approx(0.0, abs=1e-6) and x.std() == pytest.approx(1.0, rel=1e-5)
    # ... and the scaler brings every part back to the slide's numbers
    for a, b in zip(raw.parts().values(), scaled.parts().values(), strict=True):
        np.testing.assert_allclose(scaled.scaler.inverse_targets(b.Y), a.Y, rtol=1e-5)
        np.testing.assert_allclose(scaled.scaler.inverse(b.X), a.X, rtol=1e-5)


def test_task_windows_plug_into_the_series_types():
    # a sine series and a task produce the same kind of object for the trainer
    f = sine_wave(300, noise=0.05)
    cfg = DataConfig(time_column="t", lookback=30)
    series_splits = build_windows(prepare_series(f, cfg), cfg)
    task_splits = lag_task(length=30, lag=4, n=100)
    for s in (series_splits, task_splits):
        assert s.train.X.ndim == 3 and s.train.X.shape[1] == s.lookback
        assert s.train.Y.shape[1:] == (s.horizon, len(s.target_names))
        assert s.train.X.shape[2] == len(s.feature_names)
