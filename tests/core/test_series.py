"""prepare_series and its helpers, on small hand-made tables and on the bundled real files."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.errors import DataError
from rnnviz.core.series import (
    aggregate_by_period,
    build_windows,
    day_rows,
    describe_step,
    infer_season,
    median_step,
    prepare_series,
    split_rows,
    split_rows_by_dates,
)
from tests.conftest import DATA

SMALL = dict(lookback=2, horizon=1, split=(0.6, 0.2, 0.2))


def _frame(n=20, **cols):
    data = {"date": pd.date_range("2021-01-01", periods=n, freq="D")}
    data.update(cols)
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------- columns
def test_target_defaults_to_first_numeric_column_and_comes_first():
    f = _frame(20, label=["x"] * 20, a=np.arange(20.0), b=np.arange(20.0) * 2)
    s = prepare_series(f, DataConfig(time_column="date", **SMALL))
    assert s.feature_names == ("a",) and s.target_names == ("a",)
    s = prepare_series(f, DataConfig(time_column="date", target="b", inputs=("a",), **SMALL))
    assert s.feature_names == ("b", "a") and s.target_names == ("b",)
    np.testing.assert_array_equal(s.raw[:, 0], np.arange(20.0) * 2)
    assert s.raw.dtype == np.float64 and s.scaled.dtype == np.float32
    assert s.times.dtype == np.dtype("datetime64[ns]")


def test_unknown_column_lists_the_numeric_ones():
    f = _frame(20, label=["x"] * 20, a=np.arange(20.0), b=np.ones(20))
    with pytest.raises(DataError) as err:
        prepare_series(f, DataConfig(time_column="date", target="temperature", **SMALL))
    assert err.value.code == "unknown_column"
    assert "temperature" in err.value.message and "a, b" in err.value.message
    with pytest.raises(DataError) as err:
        prepare_series(f, DataConfig(time_column="date", inputs=("nope",), **SMALL))
    assert "nope" in err.value.message


def test_text_target_is_refused():
    f = _frame(20, weather=["rain", "sun"] * 10, a=np.arange(20.0))
    with pytest.raises(DataError) as err:
        prepare_series(f, DataConfig(time_column="date", target="weather", **SMALL))
    assert err.value.code == "not_numeric" and "weather" in err.value.message
    assert "a" in err.value.message


def test_table_without_numbers_is_refused():
    with pytest.raises(DataError):
        prepare_series(_frame(20, t=["x"] * 20), DataConfig(time_column="date", **SMALL))


def test_loaded_table_is_duck_typed():
    f = _frame(20, a=np.arange(20.0))
    table = SimpleNamespace(frame=f, time_column="date")
    s = prepare_series(table, DataConfig(**SMALL))
    assert s.times is not None and s.times[0] == np.datetime64("2021-01-01")
    assert s.season == 7  # daily


def test_numeric_time_column_numbers_the_rows():
    f = pd.DataFrame({"t": np.arange(30) * 0.1, "value": np.sin(np.arange(30) * 0.1)})
    s = prepare_series(f, DataConfig(time_column="t", **SMALL))
    assert s.times is None and s.target_names == ("value",) and s.season is None


# ---------------------------------------------------------------------------- missing values
def test_interpolation_is_time_aware():
    # days 0, 1 and 4: the gap on day 1 is a quarter of the way from 0 to 40 -> 10
    f = pd.DataFrame(
        {"date": pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-05", "2021-01-06",
                                 "2021-01-07", "2021-01-08"]),
         "v": [0.0, np.nan, 40.0, 41.0, 42.0, 43.0]}
    )
    s = prepare_series(f, DataConfig(time_column="date", lookback=1, split=(0.5, 0.25, 0.25)))
    assert s.raw[1, 0] == pytest.approx(10.0)
    assert s.imputed.tolist() == [False, True, False, False, False, False]
    assert s.valid.all()
    # without times, linear by position: halfway -> 20
    s2 = prepare_series(f.drop(columns="date"), DataConfig(lookback=1, split=(0.5, 0.25, 0.25)))
    assert s2.raw[1, 0] == pytest.approx(20.0)


def test_leading_and_trailing_gaps_take_the_nearest_value():
    v = np.arange(20.0)
    v[[0, 1, 19]] = np.nan
    s = prepare_series(_frame(20, v=v), DataConfig(time_column="date", **SMALL))
    assert s.raw[0, 0] == 2.0 and s.raw[1, 0] == 2.0 and s.raw[19, 0] == 18.0
    assert any("start or end" in n for n in s.notes)


def test_forward_fill_and_its_start():
    v = np.array([np.nan, 1.0, np.nan, np.nan, 4.0] + [5.0] * 15)
    s = prepare_series(_frame(20, v=v), DataConfig(time_column="date", missing="ffill", **SMALL))
    np.testing.assert_array_equal(s.raw[:5, 0], [1.0, 1.0, 1.0, 1.0, 4.0])
    assert any("forward" in n for n in s.notes)


def test_drop_marks_rows_invalid_and_keeps_nan_out_of_scaled():
    v = np.arange(40.0)
    v[[5, 30]] = np.nan
    s = prepare_series(_frame(40, v=v), DataConfig(time_column="date", missing="drop", **SMALL))
    assert np.flatnonzero(~s.valid).tolist() == [5, 30]
    assert np.isnan(s.raw[[5, 30], 0]).all()
    assert np.isfinite(s.scaled).all()
    w = build_windows(s, DataConfig(time_column="date", missing="drop", **SMALL))
    for part in w.parts().values():
        assert not np.isin(part.start, [3, 4, 5, 28, 29, 30]).any()  # windows reading 5 or 30


def test_infinite_values_are_treated_as_missing():
    v = np.arange(20.0)
    v[7] = np.inf
    s = prepare_series(_frame(20, v=v), DataConfig(time_column="date", **SMALL))
    assert s.raw[7, 0] == pytest.approx(7.0) and np.isfinite(s.scaled).all()


def test_column_without_any_value_is_refused():
    f = _frame(20, a=np.arange(20.0), b=np.full(20, np.nan))
    with pytest.raises(DataError) as err:
        prepare_series(f, DataConfig(time_column="date", target="a", inputs=("b",), **SMALL))
    assert "b" in err.value.message


def test_unsorted_rows_are_sorted_with_a_note():
    f = _frame(20, v=np.arange(20.0)).iloc[::-1].reset_index(drop=True)
    s = prepare_series(f, DataConfig(time_column="date", **SMALL))
    np.testing.assert_array_equal(s.raw[:, 0], np.arange(20.0))
    assert any("sorted" in n for n in s.notes)


def test_time_zones_become_utc():
    f = pd.DataFrame({
        "date": pd.date_range("2021-03-27", periods=48, freq="h", tz="Europe/Berlin"),
        "v": np.arange(48.0),
    })
    s = prepare_series(f, DataConfig(time_column="date", **SMALL))
    assert s.times[0] == np.datetime64("2021-03-26T23:00")
    assert s.season == 24


# ---------------------------------------------------------------------------- resampling
def test_resample_mean_and_sum():
    times = pd.date_range("2021-01-01", periods=8 * 6, freq="30min")
    v = np.arange(48.0)
    f = pd.DataFrame({"date": times, "v": v})
    s = prepare_series(f, DataConfig(time_column="date", resample="1h", **SMALL))
    np.testing.assert_allclose(s.raw[:3, 0], [0.5, 2.5, 4.5])
    s = prepare_series(f, DataConfig(time_column="date", resample="1h", resample_how="sum", **SMALL))
    np.testing.assert_allclose(s.raw[:3, 0], [1.0, 5.0, 9.0])
    assert s.n_rows == 24 and s.season == 24


def test_resample_empty_period_is_missing_not_zero():
    times = pd.to_datetime(["2021-01-01 00:00", "2021-01-01 00:30", "2021-01-01 02:00",
                            "2021-01-01 02:30"] + [f"2021-01-01 {h:02d}:00" for h in range(3, 12)])
    v = np.array([1.0, 1.0, 3.0, 3.0] + [1.0] * 9)
    f = pd.DataFrame({"date": times, "v": v})
    s = prepare_series(f, DataConfig(time_column="date", resample="1h", resample_how="sum", **SMALL))
    # hour 1 had no reading: interpolated between 2 and 6, not a sum of 0
    assert s.raw[1, 0] == pytest.approx(4.0)
    assert any("without readings" in n for n in s.notes)


def test_bad_resample_alias_and_resample_without_time():
    f = _frame(20, v=np.arange(20.0))
    with pytest.raises(DataError) as err:
        prepare_series(f, DataConfig(time_column="date", resample="fortnightly", **SMALL))
    assert err.value.code == "bad_period"
    with pytest.raises(DataError) as err:
        prepare_series(f.drop(columns="date"), DataConfig(resample="1D", **SMALL))
    assert err.value.code == "no_time_column"


def test_aggregate_by_period_matches_a_groupby_by_date():
    times = pd.date_range("2021-06-01", periods=48 * 3, freq="30min")
    rng = np.random.default_rng(1)
    f = pd.DataFrame({"time": times, "current": rng.uniform(0, 50, times.size), "note": "x"})
    daily = aggregate_by_period(f, "time", "1D", how="sum")
    ref = f.groupby(f["time"].dt.date)["current"].sum()
    np.testing.assert_allclose(daily["current"].to_numpy(), ref.to_numpy())
    assert list(daily.columns) == ["time", "current"]
    peak = aggregate_by_period(f, "time", "1D", how="max")
    np.testing.assert_allclose(peak["current"], f.groupby(f["time"].dt.date)["current"].max())
    with pytest.raises(DataError):
        aggregate_by_period(f, "time", "1D", how="median-ish")


def test_day_rows_spread_half_hours_across_columns():
    times = pd.date_range("2021-06-01", periods=48 * 2 + 10, freq="30min")  # 2 days + a partial
    f = pd.DataFrame({"time": times, "demand": np.arange(times.size, dtype=float)})
    rows = day_rows(f, "time", "demand")
    assert rows.shape == (2, 49)
    assert rows.columns[1] == "00:00" and rows.columns[-1] == "23:30"
    assert rows.loc[1, "01:30"] == 48 + 3
    assert len(day_rows(f, "time", "demand", complete_only=False)) == 3
    with pytest.raises(DataError):
        day_rows(_frame(20, v=np.arange(20.0)), "date", "v")  # daily: nothing to spread


# ---------------------------------------------------------------------------- splits
def test_split_by_fractions():
    assert split_rows(100, (0.7, 0.15, 0.15)) == (70, 85)
    assert split_rows(10, (0.8, 0.2, 0.0)) == (8, 10)
    assert split_rows(10, (0.8, 0.0, 0.2)) == (8, 8)


def test_split_by_dates():
    times = pd.date_range("2020-01-01", periods=366, freq="D").to_numpy()
    assert split_rows_by_dates(times, "2020-11-01", "2020-12-01") == (305, 335)
    assert split_rows_by_dates(times, "2020-11-01") == (305, 366)
    with pytest.raises(DataError):
        split_rows_by_dates(times, "2020-12-01", "2020-11-01")
    with pytest.raises(DataError):
        split_rows_by_dates(times, "not a date")
    with pytest.raises(DataError):
        split_rows_by_dates(None, "2020-11-01")
    f = pd.DataFrame({"date": times, "v": np.arange(366.0)})
    s = prepare_series(f, DataConfig(time_column="date", lookback=7),
                       split_at=("2020-11-01", "2020-12-01"))
    assert (s.train_end, s.val_end) == (305, 335)


def test_too_short_parts_say_how_many_rows_are_needed():
    f = _frame(20, v=np.arange(20.0))
    # lookback 10, horizon 2: (10-1)*1 + 0 + 2 + 1 = 12 rows per window; training has 10
    with pytest.raises(DataError) as err:
        prepare_series(f, DataConfig(time_column="date", lookback=10, horizon=2,
                                     split=(0.5, 0.25, 0.25)))
    assert err.value.code == "part_too_small"
    assert "12 rows" in err.value.message and "10 rows" in err.value.message
    assert "24 rows" in err.value.message  # 12 / 0.5
    with pytest.raises(DataError) as err:  # the whole series is shorter than one window
        prepare_series(f, DataConfig(time_column="date", lookback=10, step=3, horizon=1))
    assert err.value.code == "too_short" and "29 rows" in err.value.message
    with pytest.raises(DataError) as err:  # a 2-row test part cannot hold a horizon of 3
        prepare_series(_frame(40, v=np.arange(40.0)),
                       DataConfig(time_column="date", lookback=3, horizon=3, split=(0.8, 0.15, 0.05)))
    assert "test part has 2 rows" in err.value.message


# ---------------------------------------------------------------------------- seasons
@pytest.mark.parametrize(
    "freq, season, words",
    [
        ("D", 7, "daily"),
        ("h", 24, "hourly"),
        ("30min", 48, "half-hourly"),
        ("10min", 144, "every 10 minutes"),
        ("W", 52, "weekly"),
        ("MS", 12, "monthly"),
        ("QS", 4, "quarterly"),
        ("YS", None, "yearly"),
    ],
)
def test_season_from_the_median_step(freq, season, words):
    times = pd.date_range("2001-01-01", periods=40, freq=freq)
    assert infer_season(times) == season
    assert describe_step(median_step(times)) == words


def test_configured_season_wins():
    s = prepare_series(_frame(30, v=np.arange(30.0)), DataConfig(time_column="date", season=3, **SMALL))
    assert s.season == 3
    assert infer_season(None) is None


# ---------------------------------------------------------------------------- real files
def test_co2_gaps_are_interpolated():
    f = pd.read_csv(DATA / "co2_weekly.csv", parse_dates=["date"])
    missing = f["co2"].isna().to_numpy()
    assert missing.sum() == 59
    cfg = DataConfig(time_column="date", lookback=52)
    s = prepare_series(f, cfg)
    assert s.n_rows == 2284 and np.isfinite(s.raw).all() and s.season == 52
    assert any("59" in n for n in s.notes)
    # a gap between two known weeks lies on the straight line between them (weekly steps)
    i = int(np.flatnonzero(missing & ~np.roll(missing, 1) & ~np.roll(missing, -1))[0])
    before, after = f["co2"].iloc[i - 1], f["co2"].iloc[i + 1]
    assert s.raw[i, 0] == pytest.approx((before + after) / 2)
    splits = build_windows(s, cfg)
    assert len(splits.train) == s.train_end - 52  # starts 0 .. train_end-53
    assert np.isfinite(splits.train.X).all()


def test_seattle_weather_is_multivariate_and_skips_text():
    f = pd.read_csv(DATA / "seattle_weather_daily.csv", parse_dates=["date"])
    cfg = DataConfig(time_column="date", target="temp_max", inputs=("temp_min", "wind"), lookback=14)
    s = prepare_series(f, cfg)
    assert s.feature_names == ("temp_max", "temp_min", "wind")
    np.testing.assert_allclose(s.raw[:, 2], f["wind"].to_numpy())
    w = build_windows(s, cfg)
    assert w.train.X.shape[1:] == (14, 3)
    with pytest.raises(DataError) as err:
        prepare_series(f, cfg.replace(target="weather"))
    assert "temp_max" in err.value.message  # lists the numeric columns


def test_glucose_irregular_sensor_resampled_with_gaps_dropped():
    f = pd.read_csv(DATA / "glucose_5min.csv", parse_dates=["time"], na_values=["nil"])
    cfg = DataConfig(time_column="time", target="glucose", inputs=("isig",), resample="5min",
                     missing="drop", lookback=36, horizon=6)
    s = prepare_series(f, cfg)
    assert s.season == 288  # 5-minute steps: a day
    assert not s.valid.all() and np.isfinite(s.scaled).all()
    w = build_windows(s, cfg)
    for part in w.parts().values():
        assert len(part) > 0 and np.isfinite(part.X).all()
        rows = part.start[:, None] + np.arange(36)
        assert s.valid[rows].all() and s.valid[part.target_rows].all()


def test_half_hourly_electricity_by_day():
    f = pd.read_csv(DATA / "electricity_halfhourly.csv", parse_dates=["date"])
    rows = day_rows(f, "date", "demand_mw")
    assert rows.shape == (4032 // 48, 49)
    daily = aggregate_by_period(f, "date", "1D", how="sum")
    np.testing.assert_allclose(daily["demand_mw"].to_numpy(), rows.iloc[:, 1:].sum(axis=1))


def test_irregular_steps_get_a_note_but_calendar_months_do_not():
    monthly = pd.read_csv(DATA / "airline_passengers.csv", parse_dates=["date"])
    s = prepare_series(monthly, DataConfig(time_column="date", lookback=12))
    assert not any("irregular" in n for n in s.notes)
    times = pd.date_range("2021-01-01", periods=100, freq="5min").to_numpy().copy()
    times[::10] += np.timedelta64(60, "s")  # every tenth reading a minute late
    f = pd.DataFrame({"time": times, "v": np.arange(100.0)})
    s = prepare_series(f, DataConfig(time_column="time", **SMALL))
    assert any("irregular" in n for n in s.notes)


# ---------------------------------------------------------------------------- row counters
@pytest.mark.parametrize(("values", "expected"), [
    (np.arange(400), True),                      # 0, 1, 2, ...
    (np.arange(1949, 1961), True),               # years
    (np.arange(10, 110, 10), True),              # any constant whole step
    (np.arange(5.0), True),                      # 0.0, 1.0, 2.0: the loader reads all as floats
    (np.arange(0.0, 5.0, 0.5), False),           # a fractional step is a measurement
    (np.full(50, 7.0), False),                   # constant: step 0 counts nothing
    (np.arange(50)[::-1], False),                # decreasing
    (np.array([0, 1, 2, 3, 5, 6]), False),       # regular only in part
    (np.array([0.0, 1.0, np.nan, 3.0]), False),  # a missing value
    (np.array([0, 1]), False),                   # two values always have a constant step
    (np.array([0.0, 1.0, np.inf]), False),
    (np.sin(np.arange(50)), False),
])
def test_index_like_columns(values, expected):
    from rnnviz.core.series import is_index_like

    assert is_index_like(values) is expected
    assert is_index_like(pd.Series(values)) is expected


def test_default_target_skips_row_counters_and_says_why():
    from rnnviz.core.series import default_target

    n = 400
    f = pd.DataFrame({"step": np.arange(n), "x": np.sin(np.arange(n) / 7.0), "y": np.arange(n)})
    name, note = default_target(f, ["step", "x", "y"])
    assert name == "x"
    assert "skipped step: it counts 0, 1, 2, ... 399 in steps of 1" in note
    assert "--target" in note and "Target in the Data panel" in note
    # an unnamed counter is recognised by its values, not its name
    g = f.rename(columns={"step": "Unnamed: 0"})
    assert default_target(g, ["Unnamed: 0", "x"])[0] == "x"
    # a measurement first: taken as before, nothing skipped
    assert default_target(f, ["x", "step"]) == ("x", "Target: x (the first numeric column).")
    # every column a counter: the first, with a note that it only counts rows
    name, note = default_target(f, ["step", "y"])
    assert name == "step" and "only counts rows" in note


def test_prepare_series_uses_the_default_target():
    n = 60
    f = pd.DataFrame({"row": np.arange(1, n + 1), "load": 50 + 10 * np.sin(np.arange(n) / 3.0)})
    s = prepare_series(f, DataConfig(**SMALL))
    assert s.target_names == ("load",) and s.feature_names == ("load",)
    assert any(n.startswith("Target: load (the first numeric column that is not a row counter;")
               and "skipped row" in n for n in s.notes)
    s = prepare_series(f, DataConfig(target="row", **SMALL))  # asked for: used
    assert s.target_names == ("row",)
    assert not any(n.startswith("Target:") for n in s.notes)


# ---------------------------------------------------------------------------- resample steps
@pytest.mark.parametrize(("rule", "words"), [
    ("1x", "'1x' is not a resampling step rnnviz can use."),
    ("fortnightly", "'fortnightly' is not a resampling step"),
    ("", "An empty text is not a resampling step"),
    ("0h", "'0h' is not longer than zero"),
    ("-1D", "'-1D' is not longer than zero"),
    ("1H", "pandas no longer reads the unit 'H'; write 1h"),
    ("5T", "write 5min"),
    ("M", "write MS (month start) or ME (month end)"),
])
def test_bad_resample_steps_get_plain_messages(rule, words):
    from rnnviz.core.config import parse_resample

    f = _frame(20, v=np.arange(20.0) ** 2)
    with pytest.raises(DataError) as err:
        prepare_series(f, DataConfig(time_column="date", resample=rule, **SMALL))
    assert err.value.code == "bad_period"
    msg = err.value.message
    assert words in msg and "30min, 1h, 1D, 7D or MS" in msg
    for raw in ("KeyError", "ValueError", "Invalid frequency", "Failed to parse"):
        assert raw not in msg
    with pytest.raises(Exception) as err2:
        parse_resample(rule)
    assert err2.value.message == msg


@pytest.mark.parametrize(("rule", "rows"), [("1D", 60), ("2D", 30), ("7D", 9), ("12h", 119),
                                            ("1.5D", 40)])
def test_good_resample_steps_still_work(rule, rows):
    # 60 days from 2021-01-01: bins of the step from the first day, the last holding day 60
    f = _frame(60, v=np.arange(60.0) ** 2)
    s = prepare_series(f, DataConfig(time_column="date", resample=rule, **SMALL))
    assert s.n_rows == rows
