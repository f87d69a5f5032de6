"""Metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.metrics import mae, mape, mape_allowed, mase, naive_scale, rmse, score, smape


def test_mae_rmse_by_hand():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([2.0, 2.0, 1.0, 4.0])  # errors 1, 0, 2, 0
    assert mae(y, p) == pytest.approx(0.75)
    assert rmse(y, p) == pytest.approx(math.sqrt(5 / 4))


def test_nan_positions_are_ignored_on_both_sides():
    y = np.array([1.0, np.nan, 3.0, 5.0])
    p = np.array([2.0, 7.0, np.nan, 5.0])  # only rows 0 and 3 count: errors 1, 0
    assert mae(y, p) == pytest.approx(0.5)
    assert score(y, p)["n"] == 2


def test_empty_selection_is_nan_without_warnings():
    y = np.array([np.nan, np.nan])
    p = np.array([1.0, 2.0])
    assert math.isnan(mae(y, p))
    assert math.isnan(rmse(y, p))
    assert math.isnan(smape(y, p))


def test_smape_by_hand_and_zero_over_zero():
    # 2*10/(100+110) = 0.095238..., and 0/0 counts as 0
    assert smape(np.array([100.0]), np.array([110.0])) == pytest.approx(100 * 20 / 210)
    assert smape(np.array([0.0, 100.0]), np.array([0.0, 110.0])) == pytest.approx(50 * 20 / 210)


def test_mape_by_hand_and_refused_with_zeros():
    assert mape(np.array([100.0, 50.0]), np.array([110.0, 40.0])) == pytest.approx(15.0)
    assert math.isnan(mape(np.array([0.0, 50.0]), np.array([1.0, 40.0])))
    assert mape_allowed(np.array([1.0, np.nan, 3.0]))
    assert not mape_allowed(np.array([1.0, 0.0, 3.0]))


def test_naive_scale_and_mase_by_hand():
    train = np.array([1.0, 3.0, 6.0])  # naive errors 2, 3 -> 2.5
    assert naive_scale(train)[0] == pytest.approx(2.5)
    y = np.array([10.0, 12.0])
    p = np.array([11.0, 14.0])  # MAE 1.5
    assert mase(y, p, naive_scale(train)) == pytest.approx(1.5 / 2.5)


def test_mase_averages_per_target_scales():
    train = np.array([[0.0, 0.0], [1.0, 10.0], [2.0, 20.0]])  # scales 1 and 10
    y = np.zeros((2, 2))
    p = np.array([[1.0, 10.0], [1.0, 10.0]])  # MAE 1 and 10 -> MASE 1 and 1
    assert mase(y, p, naive_scale(train)) == pytest.approx(1.0)
    p2 = np.array([[2.0, 10.0], [2.0, 10.0]])  # MASE 2 and 1 -> 1.5
    assert mase(y, p2, naive_scale(train)) == pytest.approx(1.5)


def test_mase_with_zero_scale_is_nan():
    assert math.isnan(mase(np.array([1.0]), np.array([2.0]), np.array([0.0])))


def test_score_keys_follow_the_options():
    y = np.array([1.0, 2.0, 4.0])
    p = np.array([1.5, 2.0, 3.0])
    s = score(y, p)
    assert set(s) == {"mae", "rmse", "smape", "n"}
    s = score(y, p, scale=np.array([1.0]), allow_mape=True)
    assert set(s) == {"mae", "rmse", "smape", "mase", "mape", "n"}
    assert s["mape"] == pytest.approx(100 * (0.5 / 1 + 0 + 1 / 4) / 3)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError):
        mae(np.zeros(3), np.zeros(4))
