"""Scaler: fitted on training rows only, exactly invertible, safe on constant columns, JSON-safe."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnnviz.core.config import DataConfig
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.scaling import Scaler
from rnnviz.core.series import prepare_series


def _data(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(50, 7, 200), rng.uniform(-3, 1, 200)])  # (200, 2)


def test_standard_matches_numpy_mean_and_population_std():
    x = _data()
    s = Scaler.fit(x, "standard", ("a", "b"))
    np.testing.assert_allclose(s.offset, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.scale, x.std(axis=0), rtol=1e-12)
    z = s.transform(x)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-12)


def test_minmax_maps_training_range_to_unit_interval():
    x = _data(1)
    s = Scaler.fit(x, "minmax")
    z = s.transform(x)
    np.testing.assert_allclose(z.min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.max(axis=0), 1.0, atol=1e-12)


def test_none_is_identity():
    x = _data(2)
    s = Scaler.fit(x, "none")
    np.testing.assert_array_equal(s.transform(x), x)
    np.testing.assert_array_equal(s.inverse(x), x)


@pytest.mark.parametrize("kind", ["standard", "minmax", "none"])
@settings(max_examples=40, deadline=None)
@given(
    x=arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 4)),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )
)
def test_inverse_of_transform_gives_back_the_values(kind, x):
    s = Scaler.fit(x, kind)
    back = s.inverse(s.transform(x))
    np.testing.assert_allclose(back, x, rtol=1e-9, atol=1e-6)
    assert np.isfinite(s.transform(x)).all()


def test_constant_column_gets_scale_one_and_a_note():
    x = np.column_stack([np.full(50, 4.5), np.arange(50.0)])
    s = Scaler.fit(x, "standard", ("flat", "ramp"))
    assert s.scale[0] == 1.0
    assert any("flat" in n and "constant" in n for n in s.notes)
    z = s.transform(x)
    np.testing.assert_array_equal(z[:, 0], 0.0)  # shifted by its value, not divided by zero
    assert np.isfinite(z).all()
    s2 = Scaler.fit(x, "minmax", ("flat", "ramp"))
    assert s2.scale[0] == 1.0 and np.isfinite(s2.transform(x)).all()


def test_fit_ignores_missing_values():
    x = np.array([[1.0], [np.nan], [3.0], [5.0]])
    s = Scaler.fit(x, "standard")
    assert s.offset[0] == pytest.approx(3.0)
    assert s.scale[0] == pytest.approx(np.std([1.0, 3.0, 5.0]))


def test_column_without_values_is_a_data_error():
    with pytest.raises(DataError) as err:
        Scaler.fit(np.array([[1.0, np.nan], [2.0, np.nan]]), "standard", ("a", "b"))
    assert "b" in err.value.message


def test_inverse_targets_uses_the_first_k_features():
    x = _data(3)
    s = Scaler.fit(x, "standard")
    y = np.array([[0.5], [-1.0]], dtype=np.float32)  # (2, K=1)
    expected = y[:, 0].astype(np.float64) * x[:, 0].std() + x[:, 0].mean()
    np.testing.assert_allclose(s.inverse_targets(y)[:, 0], expected, rtol=1e-6)
    assert s.inverse_targets(y).dtype == np.float32
    with pytest.raises(ConfigError):
        s.inverse_targets(np.zeros((2, 3)))


def test_to_dict_is_json_safe_and_round_trips():
    s = Scaler.fit(_data(4), "minmax", ("a", "b"))
    text = json.dumps(s.to_dict())
    back = Scaler.from_dict(json.loads(text))
    assert back == s
    x = _data(5)
    np.testing.assert_array_equal(back.transform(x), s.transform(x))


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"kind": "standard"},
        {"kind": "weird", "offset": [0.0], "scale": [1.0]},
        {"kind": "standard", "offset": [0.0], "scale": [0.0]},
        {"kind": "standard", "offset": ["x"], "scale": [1.0]},
        {"kind": "standard", "offset": [0.0, 1.0], "scale": [1.0]},
        {"kind": "standard", "offset": [0.0], "scale": [1.0], "extra": 1},
    ],
)
def test_from_dict_refuses_bad_descriptions(bad):
    with pytest.raises(ConfigError):
        Scaler.from_dict(bad)


def test_scaler_is_fitted_on_training_rows_only():
    rng = np.random.default_rng(7)
    n = 300
    values = rng.normal(10, 2, n)
    frame = pd.DataFrame({"value": values})
    cfg = DataConfig(lookback=5, split=(0.6, 0.2, 0.2))
    a = prepare_series(frame, cfg)
    changed = values.copy()
    changed[a.val_end:] *= 1000.0  # the test part changes wildly
    changed[a.train_end:a.val_end] -= 500.0  # and so does validation
    b = prepare_series(pd.DataFrame({"value": changed}), cfg)
    assert a.scaler == b.scaler
    np.testing.assert_array_equal(a.scaled[: a.train_end], b.scaled[: b.train_end])
    # ... and the scaler equals one fitted by hand on the first 60 % of the rows
    np.testing.assert_allclose(a.scaler.offset[0], values[:180].mean(), rtol=1e-12)
    np.testing.assert_allclose(a.scaler.scale[0], values[:180].std(), rtol=1e-12)


def test_huge_values_are_a_data_error_not_a_crash():
    x = np.array([[1e308], [-1e308], [5e307]])
    with pytest.raises(DataError):
        Scaler.fit(x, "standard")
