"""Forecasts: recursive modes against independent loops, held-out rows against baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from rnnviz.core.config import DataConfig, ModelConfig
from rnnviz.core.errors import DataError
from rnnviz.core.forecast import (
    format_times,
    format_value,
    future_forecast,
    future_times,
    held_out_forecast,
    predict_windows,
    recursive_forecast,
    row_windows,
)
from rnnviz.core.models import build_model
from rnnviz.core.series import build_windows, prepare_series


class LastValue(nn.Module):
    """A stand-in model with Forecaster's interface that repeats the last target value."""

    def __init__(self, n_targets: int = 1, horizon: int = 1) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.n_targets = n_targets
        self.horizon = horizon

    def forward(self, x, state=None):
        y = x[:, -1:, : self.n_targets].expand(-1, self.horizon, -1) + 0 * self.w
        return y, state


def _frame(n=200, inputs=False):
    t = np.arange(n)
    df = pd.DataFrame({
        "date": pd.date_range("2020-01-01", periods=n, freq="D"),
        "y": 10 + np.sin(2 * np.pi * t / 7) + 0.01 * t,
    })
    if inputs:
        df["x"] = np.cos(2 * np.pi * t / 7)
    return df


def _data(cfg: DataConfig, **kw):
    series = prepare_series(_frame(**kw), cfg, time_column="date")
    return build_windows(series, cfg)


def _model(F=1, h=1, cell="lstm", seed=0, **kw):
    torch.manual_seed(seed)
    return build_model(ModelConfig(cell=cell, hidden=8, **kw), F, h, 1)


def test_row_windows_match_slicing_and_flag_out_of_range():
    s = np.arange(30, dtype=np.float32).reshape(15, 2)
    X, ok = row_windows(s, np.array([5, 1, 14]), lookback=3, step=2)
    assert ok.tolist() == [True, False, True]
    assert np.array_equal(X[0], s[[1, 3, 5]])
    assert np.array_equal(X[2], s[[10, 12, 14]])
    valid = np.ones(15, bool)
    valid[12] = False
    _, ok2 = row_windows(s, np.array([5, 14]), lookback=3, step=2, valid=valid)
    assert ok2.tolist() == [True, False]


def test_predict_windows_uses_eval_mode_and_restores_train_mode():
    m = _model(layers=2, dropout=0.5)
    m.train()
    X = np.random.default_rng(0).normal(size=(5, 6, 1)).astype(np.float32)
    a = predict_windows(m, X)
    b = predict_windows(m, X)
    assert np.array_equal(a, b)  # no dropout noise
    assert m.training
    m.eval()
    with torch.no_grad():
        ref = m(torch.from_numpy(X))[0].numpy()
    assert np.allclose(a, ref)


def _window_reference(model, warm, steps, exog=None):
    """Re-run the last T rows for every chunk (written independently of the engine)."""
    T = warm.shape[0]
    rows = [r.copy() for r in warm]
    out = []
    model.eval()
    with torch.no_grad():
        while len(out) < steps:
            x = torch.tensor(np.array(rows[-T:], dtype=np.float32))[None]
            y = model(x)[0][0, :, 0].numpy()
            for v in y:
                k = len(out)
                row = [v] + ([] if exog is None else list(exog[min(k, len(exog) - 1)]))
                rows.append(np.array(row, dtype=np.float32))
                out.append(v)
    return np.array(out[:steps])


@pytest.mark.parametrize("h", [1, 3])
def test_window_mode_equals_rerunning_the_last_window(h):
    m = _model(h=h)
    warm = np.random.default_rng(1).normal(size=(10, 1)).astype(np.float32)
    got = recursive_forecast(m, warm, 11, mode="window")[:, 0]
    assert np.allclose(got, _window_reference(m, warm, 11), atol=1e-6)


def test_window_mode_feeds_known_exogenous_values():
    m = _model(F=2, cell="gru")
    rng = np.random.default_rng(2)
    warm = rng.normal(size=(8, 2)).astype(np.float32)
    exog = rng.normal(size=(6, 1)).astype(np.float32)
    got = recursive_forecast(m, warm, 6, exog=exog, mode="window")[:, 0]
    assert np.allclose(got, _window_reference(m, warm, 6, exog), atol=1e-6)
    other = recursive_forecast(m, warm, 6, exog=exog + 1.0, mode="window")[:, 0]
    assert not np.allclose(got[1:], other[1:])  # the exogenous values are really read


def test_state_mode_carries_the_state_one_step_at_a_time():
    m = _model()
    warm = np.random.default_rng(3).normal(size=(10, 1)).astype(np.float32)
    got = recursive_forecast(m, warm, 20, mode="state")[:, 0]
    ref = []
    m.eval()
    with torch.no_grad():
        y, st = m(torch.tensor(warm)[None])
        for _ in range(20):
            v = float(y[0, 0, 0])
            ref.append(v)
            y, st = m(torch.tensor([[[v]]]), st)
    assert np.allclose(got, ref, atol=1e-6)
    assert not np.allclose(got, recursive_forecast(m, warm, 20, mode="window")[:, 0])


def test_held_out_forecast_of_a_last_value_model_equals_the_naive_baselines():
    cfg = DataConfig(lookback=10, split=(0.6, 0.2, 0.2))
    data = _data(cfg)
    held = held_out_forecast(LastValue(), data)
    s = data.series
    rows = np.arange(s.train_end, s.n_rows)
    assert np.array_equal(held.index, rows)
    assert np.allclose(held.actual[:, 0], s.raw[rows, 0])
    assert np.allclose(held.one_step, held.baselines["naive"])
    assert np.allclose(held.one_step[:, 0], s.raw[rows - 1, 0])  # the previous row
    assert np.allclose(held.recursive[:, 0], s.raw[s.train_end - 1, 0])  # flat from training end
    assert np.allclose(held.recursive, held.baselines["naive_recursive"])
    assert s.season == 7  # daily data
    assert np.allclose(held.baselines["seasonal_naive"][:, 0], s.raw[rows - 7, 0])
    for split in ("validation", "test"):
        m = held.metrics[split]
        assert m["one_step"]["mae"] == pytest.approx(m["naive"]["mae"])
        assert m["recursive"]["rmse"] == pytest.approx(m["naive_recursive"]["rmse"])
        assert {"mae", "rmse", "mase", "smape", "mape"} <= set(m["one_step"])
    assert held.split[0] == "validation" and held.split[-1] == "test"


def test_held_out_with_step_2_has_no_recursive_forecast_and_says_why():
    cfg = DataConfig(lookback=5, step=2, split=(0.6, 0.2, 0.2))
    held = held_out_forecast(LastValue(), _data(cfg))
    assert np.isnan(held.recursive).all()
    assert "step 1" in held.note
    assert np.isfinite(held.one_step).any()


def test_multivariate_held_out_uses_known_inputs_and_future_holds_them():
    cfg = DataConfig(lookback=8, inputs=("x",), split=(0.6, 0.2, 0.2))
    data = _data(cfg, inputs=True)
    m = _model(F=2)
    held = held_out_forecast(m, data, future_steps=5)
    assert "known values" in held.note and "'x'" not in held.note and "x" in held.note
    assert "held at their last known value" in held.note
    assert held.future.shape == (5, 1)
    # the held-out recursive forecast equals an independent loop fed with the file's x values
    s = data.series
    te = s.train_end
    ref = _window_reference(m, s.scaled[te - 8:te], s.n_rows - te, s.scaled[te:, 1:])
    assert np.allclose(held.recursive[:, 0], s.scaler.inverse_targets(ref[:, None])[:, 0], atol=1e-4)


def test_direct_multi_step_metrics_when_horizon_is_above_one():
    cfg = DataConfig(lookback=10, horizon=3, split=(0.6, 0.2, 0.2))
    held = held_out_forecast(LastValue(horizon=3), _data(cfg))
    test = held.metrics["test"]
    assert test["direct"]["mae"] == pytest.approx(test["direct_naive"]["mae"])


def test_future_forecast_warms_up_on_the_last_window():
    m = LastValue()
    scaled = np.arange(12, dtype=np.float32)[:, None]
    fut, note = future_forecast(m, scaled, 4, lookback=5)
    assert fut[:, 0].tolist() == [11.0] * 4
    assert note == ""


def test_future_times_continue_the_calendar():
    months = pd.date_range("2000-01-01", periods=6, freq="MS").values
    got = pd.DatetimeIndex(future_times(months, 6, 3))
    assert list(got.strftime("%Y-%m-%d")) == ["2000-07-01", "2000-08-01", "2000-09-01"]
    assert future_times(None, 10, 3).tolist() == [10, 11, 12]


def _ns(*stamps: str) -> np.ndarray:
    return np.array(stamps, dtype="datetime64[ns]")


@pytest.mark.parametrize("unit", ["ns", "us"])
def test_future_times_stop_at_the_last_time_pandas_stores(unit):
    months = pd.date_range("1956-01-01", periods=60, freq="MS").values.astype(f"datetime64[{unit}]")
    # from 1961-01 to 2262-04: 301 years and 4 months of monthly steps
    fits = 301 * 12 + 4
    got = future_times(months, 60, fits)
    assert got.dtype == np.dtype("datetime64[ns]")
    assert str(got[-1])[:10] == "2262-04-01" and (np.diff(got.astype(np.int64)) > 0).all()
    for steps in (fits + 1, 100_000):
        with pytest.raises(DataError) as err:
            future_times(months, 60, steps)
        assert f"at most {fits:,} steps fit" in err.value.message


def test_future_times_of_irregular_data_refuse_overflow_without_warnings():
    import warnings

    times = _ns("2262-03-30", "2262-03-31T12", "2262-04-01", "2262-04-02T12")  # median 1.5 days
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning from an overflowing cast fails here
        ok = future_times(times, 4, 6)
        assert str(ok[-1]) == "2262-04-11T12:00:00.000000000"
        with pytest.raises(DataError) as err:
            future_times(times, 4, 7)
    assert "at most 6 steps fit" in err.value.message


def test_format_times_is_as_short_as_the_values_allow():
    assert format_times(_ns("1961-01-01", "1961-02-01")) == ["1961-01-01", "1961-02-01"]
    assert format_times(_ns("1961-01-01", "1961-01-01T06:00")) == [
        "1961-01-01T00:00:00", "1961-01-01T06:00:00"]
    assert format_times(_ns("2020-01-01T00:00:00.5", "NaT")) == ["2020-01-01T00:00:00.500", ""]
    assert format_times(_ns("1900-03-01")) == ["1900-03-01"]  # before 1970 too
    assert format_times(_ns()) == []


def test_format_value_keeps_ten_significant_digits():
    assert format_value(406.0) == "406"
    assert format_value(1 / 3) == "0.3333333333"
    assert format_value(-123456.789012345) == "-123456.789"
    assert format_value(2.5e-12) == "2.5e-12"
    assert format_value(float("nan")) == "" and format_value(float("inf")) == ""
    assert abs(float(format_value(np.float32(0.1))) - 0.1) < 1e-8
