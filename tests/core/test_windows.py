"""Windows: index arithmetic against a hand-built loop, views not copies, no leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.core.config import DataConfig
from rnnviz.core.errors import DataError
from rnnviz.core.series import Windows, build_windows, prepare_series, rows_per_window


def _row_numbered(n: int, missing_rows=()) -> pd.DataFrame:
    """Column 'row' holds the row number (so X values name the rows read); 'neg' is -row."""
    row = np.arange(n, dtype=np.float64)
    frame = pd.DataFrame({"row": row, "neg": -row})
    for r in missing_rows:
        frame.loc[r, "neg"] = np.nan
    return frame


def _loop_windows(n, train_end, val_end, valid, T, H, step, delay, stride):
    """The windows each part should hold, built the slow obvious way."""
    parts = {"train": [], "val": [], "test": []}
    start = 0
    while True:
        inputs = [start + j * step for j in range(T)]
        end = inputs[-1]
        targets = [end + delay + h for h in range(1, H + 1)]
        if targets[-1] >= n:
            break
        first, last = targets[0], targets[-1]
        if all(valid[r] for r in inputs + targets):
            if last < train_end:
                parts["train"].append((start, inputs, targets))
            elif train_end <= first and last < val_end:
                parts["val"].append((start, inputs, targets))
            elif val_end <= first:
                parts["test"].append((start, inputs, targets))
        start += stride
    return parts


def _check_against_loop(n, cfg, missing_rows=()):
    series = prepare_series(_row_numbered(n, missing_rows), cfg)
    splits = build_windows(series, cfg)
    expected = _loop_windows(
        n, series.train_end, series.val_end, series.valid, cfg.lookback, cfg.horizon, cfg.step,
        cfg.delay, cfg.stride,
    )
    for name, windows in splits.parts().items():
        exp = expected[name]
        assert len(windows) == len(exp), name
        assert windows.X.shape == (len(exp), cfg.lookback, 2)
        assert windows.Y.shape == (len(exp), cfg.horizon, 1)
        if not exp:
            continue
        np.testing.assert_array_equal(windows.start, [e[0] for e in exp])
        np.testing.assert_array_equal(windows.X[:, :, 0], [e[1] for e in exp])
        np.testing.assert_array_equal(windows.X[:, :, 1], -np.array([e[1] for e in exp]))
        np.testing.assert_array_equal(windows.Y[:, :, 0], [e[2] for e in exp])
        np.testing.assert_array_equal(windows.target_rows, [e[2] for e in exp])
    return series, splits


@pytest.mark.parametrize(
    "n, kw",
    [
        (60, dict(lookback=5, horizon=1)),
        (60, dict(lookback=5, horizon=3)),
        (200, dict(lookback=10, horizon=2, step=6, delay=4)),  # the Jena generator's step
        (97, dict(lookback=4, horizon=2, stride=3)),
        (80, dict(lookback=3, horizon=1, delay=7, stride=2, split=(0.5, 0.25, 0.25))),
        (50, dict(lookback=1, horizon=1)),
    ],
)
def test_windows_match_a_hand_built_loop(n, kw):
    _check_against_loop(n, DataConfig(target="row", inputs=("neg",), scaler="none", **kw))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(30, 150),
    T=st.integers(1, 8),
    H=st.integers(1, 4),
    step=st.integers(1, 4),
    delay=st.integers(0, 3),
    stride=st.integers(1, 4),
)
def test_window_arithmetic_property(n, T, H, step, delay, stride):
    cfg = DataConfig(
        target="row", inputs=("neg",), scaler="none", lookback=T, horizon=H, step=step,
        delay=delay, stride=stride, split=(0.6, 0.2, 0.2),
    )
    train_end = int(round(n * 0.6))
    val_end = train_end + int(round(n * 0.2))
    expected = _loop_windows(n, train_end, val_end, [True] * n, T, H, step, delay, stride)
    if any(len(v) == 0 for v in expected.values()):  # every part was asked for
        with pytest.raises(DataError) as err:
            build_windows(prepare_series(_row_numbered(n), cfg), cfg)
        assert err.value.code in ("part_too_small", "too_short")
        assert str(rows_per_window(T, H, step, delay)) in err.value.message
        return
    _check_against_loop(n, cfg)


def test_dropped_rows_leave_out_the_windows_that_read_them():
    cfg = DataConfig(target="row", inputs=("neg",), scaler="none", missing="drop", lookback=4,
                     horizon=2, step=2)
    series, splits = _check_against_loop(120, cfg, missing_rows=(10, 11, 50, 101))
    assert list(np.flatnonzero(~series.valid)) == [10, 11, 50, 101]
    assert any("missing" in n for n in splits.notes)
    for w in splits.parts().values():
        assert np.isfinite(w.X).all() and np.isfinite(w.Y).all()


def test_with_step_a_missing_row_between_samples_is_not_read():
    # lookback 2, step 3: a window starting at 0 reads rows 0 and 3 and predicts row 4.
    cfg = DataConfig(target="row", inputs=("neg",), scaler="none", missing="drop", lookback=2,
                     horizon=1, step=3)
    series = prepare_series(_row_numbered(60, missing_rows=(1,)), cfg)
    splits = build_windows(series, cfg)
    assert 0 in splits.train.start  # row 1 lies between the samples 0 and 3
    assert 1 not in splits.train.start  # window 1 reads rows 1 and 4


def test_x_and_y_are_views_of_the_scaled_series_not_copies():
    cfg = DataConfig(lookback=12, horizon=3, step=2, stride=2)
    frame = pd.DataFrame({"a": np.sin(np.arange(400) / 7.0), "b": np.cos(np.arange(400) / 5.0)})
    cfg = cfg.replace(target="a", inputs=("b",))
    series = prepare_series(frame, cfg)
    splits = build_windows(series, cfg)
    for w in splits.parts().values():
        assert np.shares_memory(w.X, series.scaled)
        assert np.shares_memory(w.Y, series.scaled)
        assert w.X.dtype == np.float32 and w.Y.dtype == np.float32
        assert not w.X.flags.writeable  # a view over shared data must not be written through
    # consecutive time steps are `step` rows apart, consecutive windows `stride` rows apart
    row_bytes = series.scaled.strides[0]
    assert splits.train.X.strides[:2] == (2 * row_bytes, 2 * row_bytes)


@pytest.mark.parametrize("missing_rows", [(), (40, 41, 150)], ids=["views", "gathered"])
def test_pickled_windows_are_equal_read_only_and_do_not_copy_every_window(missing_rows):
    import pickle

    cfg = DataConfig(lookback=48, horizon=2, step=1, split=(0.7, 0.15, 0.15))
    n = 3000
    series = prepare_series(_row_numbered(n, missing_rows), cfg)
    splits = build_windows(series, cfg)
    blob = pickle.dumps(splits)
    back = pickle.loads(blob)
    for name, w in splits.parts().items():
        b = back.parts()[name]
        np.testing.assert_array_equal(b.X, w.X)
        np.testing.assert_array_equal(b.Y, w.Y)
        np.testing.assert_array_equal(b.start, w.start)
        np.testing.assert_array_equal(b.target_rows, w.target_rows)
        assert not b.X.flags.writeable
    # with the windows as views: the series (n x 2 float32) a few times, far below the
    # 48 copies of each row that pickling every window would write
    every_window = sum(w.X.nbytes + w.Y.nbytes for w in splits.parts().values())
    if not missing_rows:
        assert len(blob) < every_window / 5
        # still views of the one series underneath
        assert np.shares_memory(back.train.X, back.series.scaled)
        assert np.shares_memory(back.test.Y, back.series.scaled)


def test_no_leakage_across_parts():
    cfg = DataConfig(lookback=7, horizon=5, delay=2, split=(0.5, 0.3, 0.2))
    series = prepare_series(pd.DataFrame({"v": np.arange(300.0)}), cfg)
    s = build_windows(series, cfg)
    assert s.train.target_rows.max() < series.train_end
    assert s.val.target_rows.min() >= series.train_end
    assert s.val.target_rows.max() < series.val_end
    assert s.test.target_rows.min() >= series.val_end
    assert s.test.target_rows.max() < series.n_rows
    # the windows' own arrays agree with the rows they name
    rows = s.test.target_rows
    np.testing.assert_array_equal(s.test.Y[:, :, 0], series.scaled[rows, 0])


def test_zero_fraction_leaves_a_part_empty_without_error():
    cfg = DataConfig(lookback=5, split=(0.8, 0.2, 0.0))
    series = prepare_series(pd.DataFrame({"v": np.arange(100.0)}), cfg)
    s = build_windows(series, cfg)
    assert len(s.test) == 0 and s.test.X.shape == (0, 5, 1)
    assert len(s.val) > 0


def test_part_without_a_clean_window_says_so():
    cfg = DataConfig(target="row", inputs=("neg",), missing="drop", lookback=5, horizon=1,
                     split=(0.6, 0.2, 0.2))
    # every validation row (60..79) is missing
    series = prepare_series(_row_numbered(100, missing_rows=range(60, 80)), cfg)
    with pytest.raises(DataError) as err:
        build_windows(series, cfg)
    assert err.value.code == "part_too_small"
    assert "validation" in err.value.message and "missing" in err.value.message


def test_splits_carry_the_series_settings():
    cfg = DataConfig(lookback=6, horizon=2, step=3, delay=1)
    series = prepare_series(pd.DataFrame({"v": np.arange(200.0)}), cfg)
    s = build_windows(series, cfg)
    assert s.series is series and s.scaler is series.scaler
    assert (s.lookback, s.horizon, s.step, s.delay) == (6, 2, 3, 1)
    assert s.feature_names == ("v",) and s.target_names == ("v",)


def test_from_arrays_refuses_nan():
    X = np.zeros((3, 4, 1))
    X[1, 2, 0] = np.nan
    with pytest.raises(DataError):
        Windows.from_arrays(X, np.zeros((3, 1, 1)))


def test_rows_per_window_formula():
    assert rows_per_window(24, 1) == 25
    assert rows_per_window(240, 1, step=6, delay=143) == 239 * 6 + 143 + 1 + 1
