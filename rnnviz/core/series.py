"""From a table to a clean, scaled series ready to be cut into windows.

:func:`prepare_series` does, in this order:

1. pick the time column (kept as ``times``), the target and the input columns (the target
   comes first in ``feature_names``);
2. turn infinite values into missing ones;
3. resample to a regular step if ``cfg.resample`` is set (mean, or sum for totals);
4. apply the missing-value policy: ``"interpolate"`` (time-aware when there are times),
   ``"ffill"``, or ``"drop"`` (rows flagged in ``valid``; windows touching them are left out);
5. split the rows chronologically (fractions, or dates with ``split_at``) and check every part
   can hold a window;
6. fit the scaler on the training rows only and scale everything;
7. infer the season length from the median time step (or take ``cfg.season``).

Every step that changes the data says so in ``PreparedSeries.notes``. Nothing non-finite is
left in ``scaled``; :func:`build_windows` then cuts it into strided views.

Also here: :func:`aggregate_by_period` (e.g. half-hourly readings to daily totals, as in the
solar-panel deck), :func:`day_rows` (one row per day, one column per reading time), the
split helpers and :func:`infer_season`. ``Scaler`` lives in :mod:`rnnviz.core.scaling` and the
window types in :mod:`rnnviz.core.windows`; both are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rnnviz.core.config import RESAMPLE_EXAMPLES, DataConfig, parse_resample
from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.scaling import Scaler
from rnnviz.core.windows import (
    Windows,
    WindowSplits,
    build_windows,
    rows_per_window,
    window_rows,
)

__all__ = [
    "PreparedSeries",
    "Scaler",
    "Windows",
    "WindowSplits",
    "aggregate_by_period",
    "build_windows",
    "day_rows",
    "default_target",
    "describe_step",
    "infer_season",
    "is_index_like",
    "median_step",
    "prepare_series",
    "rows_per_window",
    "split_rows",
    "split_rows_by_dates",
    "window_rows",
]

AGGREGATIONS = ("mean", "sum", "max", "min", "first", "last")
_DAY = 86_400.0


@dataclass(frozen=True, eq=False)
class PreparedSeries:
    """A clean series in original and scaled units, with its split and scaler.

    Attributes
    ----------
    times : numpy.ndarray or None
        (N,) datetime64[ns] time stamps, or ``None`` when rows are only numbered.
    raw : numpy.ndarray
        (N, F) float64 in original units after the missing-value policy. With
        ``missing="drop"`` the rows whose ``valid`` is False keep their NaN (plots show the gap;
        metrics must mask with ``valid``).
    scaled : numpy.ndarray
        (N, F) float32, scaler fitted on rows ``[0, train_end)`` only. Always finite: rows
        left invalid by ``"drop"`` hold 0.0 here, and no window reads them.
    feature_names : tuple of str
        F model inputs; the targets come first.
    target_names : tuple of str
        K targets (features ``0 .. K-1``).
    scaler : Scaler
        The fitted scaler.
    train_end, val_end : int
        Train rows ``[0, train_end)``, validation ``[train_end, val_end)``, test ``[val_end, N)``.
    valid : numpy.ndarray
        (N,) bool, False where a value was missing and the policy is "drop".
    season : int or None
        Season length in rows (from ``cfg.season`` or inferred from the time step).
    notes : tuple of str
        What preparation did, in words.
    imputed : numpy.ndarray or None
        (N,) bool, True on rows where a missing value was filled in (interpolate / ffill).
    time_step : numpy.timedelta64 or None
        Median time step (after resampling), ``None`` without times.
    parts_requested : tuple of bool
        Whether the split asked for a training, validation and test part (a fraction of 0
        leaves a part empty on purpose).
    """

    times: np.ndarray | None
    raw: np.ndarray
    scaled: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    scaler: Scaler
    train_end: int
    val_end: int
    valid: np.ndarray
    season: int | None
    notes: tuple[str, ...]
    imputed: np.ndarray | None = None
    time_step: np.timedelta64 | None = None
    parts_requested: tuple[bool, bool, bool] = (True, True, True)

    @property
    def n_rows(self) -> int:
        """N, the number of rows."""
        return int(self.raw.shape[0])

    @property
    def n_features(self) -> int:
        """F, the number of model inputs."""
        return int(self.raw.shape[1])

    @property
    def n_targets(self) -> int:
        """K, the number of targets."""
        return len(self.target_names)

    def part_slices(self) -> dict[str, slice]:
        """Row slices of the three parts: ``{"train": slice(0, train_end), ...}``."""
        return {
            "train": slice(0, self.train_end),
            "val": slice(self.train_end, self.val_end),
            "test": slice(self.val_end, self.n_rows),
        }


# ---------------------------------------------------------------------------- time helpers
def _as_datetime_index(values: Any, column: str) -> pd.DatetimeIndex:
    """Time stamps as a tz-naive DatetimeIndex (tz-aware ones converted to UTC)."""
    s = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_any_dtype(s.dtype):
        try:
            s = pd.to_datetime(s, errors="raise")
        except (ValueError, TypeError, OverflowError):
            raise DataError(
                "bad_time_column",
                f"The time column {column!r} does not hold dates or times that could be read. "
                "Choose another time column, or none to use row numbers.",
            ) from None
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    try:
        return pd.DatetimeIndex(s.astype("datetime64[ns]"))
    except (ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        raise DataError(
            "bad_time_column",
            f"The time column {column!r} holds dates outside the years 1678-2261 that pandas "
            "can store to the nanosecond; use row numbers (no time column) instead.",
        ) from None


def median_step(times: np.ndarray | pd.DatetimeIndex | None) -> np.timedelta64 | None:
    """Median difference between consecutive time stamps (``None`` for fewer than 2)."""
    if times is None or len(times) < 2:
        return None
    t = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    d = np.diff(t)
    d = d[d > 0]
    if d.size == 0:
        return None
    return np.timedelta64(int(np.median(d)), "ns")


def _step_seconds(step: np.timedelta64 | None) -> float | None:
    if step is None:
        return None
    return float(step / np.timedelta64(1, "s"))


def describe_step(step: np.timedelta64 | None) -> str:
    """A time step in words: ``"half-hourly"``, ``"weekly"``, ``"every 10 minutes"``..."""
    sec = _step_seconds(step)
    if sec is None:
        return "row by row"
    named = {
        60.0: "minute by minute",
        1800.0: "half-hourly",
        3600.0: "hourly",
        _DAY: "daily",
        7 * _DAY: "weekly",
    }
    for value, name in named.items():
        if abs(sec - value) < 1e-6 * value:
            return name
    days = sec / _DAY
    if 28 <= days <= 31:
        return "monthly"
    if 89 <= days <= 92:
        return "quarterly"
    if 365 <= days <= 366:
        return "yearly"
    if sec < 60:
        return f"every {sec:g} seconds"
    if sec < 3600:
        return f"every {sec / 60:g} minutes"
    if sec < _DAY:
        return f"every {sec / 3600:g} hours"
    return f"every {days:g} days"


def infer_season(times: np.ndarray | pd.DatetimeIndex | None) -> int | None:
    """Season length in rows, from the median time step.

    Daily -> 7 (a week), steps that divide a day -> steps per day (hourly 24, half-hourly 48,
    10 minutes 144, up to 1440 for minutes), weekly -> 52, monthly -> 12, quarterly -> 4;
    yearly, irregular or no times -> ``None``.

    Parameters
    ----------
    times : array of datetime64 or None

    Returns
    -------
    int or None
    """
    sec = _step_seconds(median_step(times))
    if sec is None or sec <= 0:
        return None
    days = sec / _DAY
    if abs(sec - _DAY) < 1e-6 * _DAY:
        return 7
    if sec < _DAY:
        per_day = _DAY / sec
        if abs(per_day - round(per_day)) < 1e-6 and 2 <= round(per_day) <= 1440:
            return int(round(per_day))
        return None
    if abs(days - 7) < 1e-6:
        return 52
    if 28 <= days <= 31:
        return 12
    if 89 <= days <= 92:
        return 4
    return None


# ---------------------------------------------------------------------------- splits
def split_rows(n: int, split: Sequence[float]) -> tuple[int, int]:
    """Chronological split of ``n`` rows by fractions.

    Parameters
    ----------
    n : int
        Number of rows.
    split : sequence of 3 floats
        Train, validation and test fractions (summing to 1).

    Returns
    -------
    train_end, val_end : int
        Train rows ``[0, train_end)``, validation ``[train_end, val_end)``, test the rest.
    """
    f_train, f_val, f_test = (float(f) for f in split)
    train_end = min(n, int(round(n * f_train)))
    if f_test <= 0:
        return train_end, n
    if f_val <= 0:
        return train_end, train_end
    val_end = min(n, train_end + int(round(n * f_val)))
    return train_end, val_end


def _timestamp(value: Any, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise DataError(
            "bad_split_date",
            f"The {what} date {value!r} could not be read; write it like 2015-06-30.",
        )
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def split_rows_by_dates(times: np.ndarray | pd.DatetimeIndex | None, val_start: Any,
                        test_start: Any = None) -> tuple[int, int]:
    """Chronological split at dates.

    Parameters
    ----------
    times : array of datetime64
        (N,) sorted time stamps.
    val_start : str or datetime-like
        First time of the validation part.
    test_start : str or datetime-like, optional
        First time of the test part; ``None`` means no test part.

    Returns
    -------
    train_end, val_end : int
        Rows before ``val_start`` train; rows before ``test_start`` validate; the rest test.

    Raises
    ------
    DataError
        Without times, with unreadable dates, or when ``test_start`` comes before ``val_start``.
    """
    if times is None:
        raise DataError(
            "no_time_column",
            "Splitting at dates needs a time column; choose one, or split by fractions.",
        )
    t = np.asarray(times, dtype="datetime64[ns]")
    v = _timestamp(val_start, "validation start").to_datetime64()
    train_end = int(np.searchsorted(t, v, side="left"))
    if test_start is None:
        return train_end, len(t)
    s = _timestamp(test_start, "test start").to_datetime64()
    if s < v:
        raise DataError(
            "bad_split_date",
            f"The test part must start after the validation part; got validation from "
            f"{pd.Timestamp(v)} and test from {pd.Timestamp(s)}.",
        )
    return train_end, int(np.searchsorted(t, s, side="left"))


def _check_parts(n: int, train_end: int, val_end: int, requested: tuple[bool, bool, bool],
                 cfg: DataConfig, how: str) -> None:
    span = rows_per_window(cfg.lookback, cfg.horizon, cfg.step, cfg.delay)
    formula = (
        f"(lookback-1)*step + delay + horizon + 1 = ({cfg.lookback}-1)*{cfg.step} + "
        f"{cfg.delay} + {cfg.horizon} + 1 = {span}"
    )
    if n < span:
        raise DataError(
            "too_short",
            f"The series has {n} rows but one window needs {span} rows ({formula}). "
            "Use a shorter lookback or horizon, or a longer series.",
        )
    if train_end < span:
        need = ""
        if how == "fractions" and cfg.split[0] > 0:
            need = (
                f" With a training fraction of {cfg.split[0]:g} the series needs at least "
                f"{math.ceil(span / cfg.split[0])} rows."
            )
        raise DataError(
            "part_too_small",
            f"The training part has {train_end} rows but one window needs {span} rows "
            f"({formula}).{need} Use a shorter lookback or horizon, a larger training part, "
            "or a longer series.",
        )
    for title, rows, asked in (
        ("validation", val_end - train_end, requested[1]),
        ("test", n - val_end, requested[2]),
    ):
        if asked and rows < cfg.horizon:
            raise DataError(
                "part_too_small",
                f"The {title} part has {rows} rows but needs at least {cfg.horizon} (the "
                f"horizon) to hold one window's targets; each window spans {span} rows "
                f"({formula}), the earlier rows coming from the parts before it. Make the "
                f"{title} part larger, shorten the horizon, or use a longer series.",
            )


# ---------------------------------------------------------------------------- aggregation
def _resample(frame: pd.DataFrame, index: pd.DatetimeIndex, rule: str, how: str) -> pd.DataFrame:
    if how not in AGGREGATIONS:
        raise DataError(
            "bad_aggregation", f"Aggregation must be one of {', '.join(AGGREGATIONS)}; got {how!r}."
        )
    try:
        offset = parse_resample(rule)
    except ConfigError as exc:  # a setting of the data: reported like the data's problems
        raise DataError(exc.code, exc.message) from None
    framed = frame.set_axis(index, axis=0)
    try:
        grouped = framed.resample(offset)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        raise DataError(
            "bad_period",
            f"The data cannot be resampled to {rule!r}. Use a step such as {RESAMPLE_EXAMPLES}.",
        ) from None
    if how == "sum":
        return grouped.sum(min_count=1)  # an empty period is missing, not zero
    return getattr(grouped, how)()


def aggregate_by_period(frame: pd.DataFrame, time_column: str, period: str = "1D",
                        how: str = "mean") -> pd.DataFrame:
    """Aggregate the numeric columns per period (e.g. half-hourly readings to days).

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with a time column.
    time_column : str
        Name of the time column.
    period : str
        pandas offset alias: ``"1D"``, ``"1h"``, ``"W"``, ``"MS"``...
    how : {"mean", "sum", "max", "min", "first", "last"}
        Aggregation; ``"sum"`` leaves periods without readings missing (not zero).

    Returns
    -------
    pandas.DataFrame
        The time column (period starts) and the aggregated numeric columns, RangeIndex.

    Raises
    ------
    DataError
        When the time column is missing or unreadable, or the period is not a pandas alias.
    """
    if time_column not in frame.columns:
        raise DataError(
            "unknown_column",
            f"There is no column {time_column!r}; columns: {', '.join(map(str, frame.columns))}.",
        )
    index = _as_datetime_index(frame[time_column], time_column)
    numeric = [c for c in frame.columns if c != time_column and _is_numeric(frame[c])]
    ok = ~index.isna()
    values = frame.loc[ok, numeric].astype(np.float64)
    out = _resample(values, index[ok], period, how)
    out.index.name = time_column
    return out.reset_index()


def day_rows(frame: pd.DataFrame, time_column: str, column: str, *,
             complete_only: bool = True) -> pd.DataFrame:
    """Reshape sub-daily readings into one row per day, one column per time of day.

    Half-hourly data becomes a table of days with 48 columns ``"00:00" .. "23:30"`` (for a
    day-ahead lesson: yesterday's 48 readings in, today's out).

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with a time column.
    time_column : str
        Name of the time column.
    column : str
        Numeric column to spread across the day.
    complete_only : bool
        Drop days with a missing reading (default). Otherwise they keep NaN cells.

    Returns
    -------
    pandas.DataFrame
        Column ``"date"`` (datetime64, midnight) then one column per reading time.

    Raises
    ------
    DataError
        When the step does not divide a day or readings are off the step grid.
    """
    for c in (time_column, column):
        if c not in frame.columns:
            raise DataError(
                "unknown_column",
                f"There is no column {c!r}; columns: {', '.join(map(str, frame.columns))}.",
            )
    index = _as_datetime_index(frame[time_column], time_column)
    step = median_step(index)
    sec = _step_seconds(step)
    if sec is None or sec >= _DAY or abs(_DAY / sec - round(_DAY / sec)) > 1e-9:
        raise DataError(
            "bad_step",
            f"Day rows need readings at a step that divides a day (30 min, 1 h...); this "
            f"series is {describe_step(step)}.",
        )
    per_day = int(round(_DAY / sec))
    day = index.normalize()
    offset = (index - day).total_seconds().to_numpy() / sec
    slot = np.round(offset).astype(np.int64)
    if np.any(np.abs(offset - slot) > 1e-6):
        raise DataError(
            "off_grid",
            f"Some readings are not on the {describe_step(step)} grid; resample the series "
            "first (aggregate_by_period).",
        )
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64)
    table = (
        pd.DataFrame({"date": day, "slot": slot, "value": values})
        .pivot_table(index="date", columns="slot", values="value", aggfunc="mean", dropna=False)
        .reindex(columns=range(per_day))
    )
    labels = [
        (pd.Timestamp(0) + pd.Timedelta(seconds=i * sec)).strftime("%H:%M") for i in range(per_day)
    ]
    table.columns = labels
    if complete_only:
        table = table.dropna(how="any")
    out = table.reset_index()
    out.columns.name = None
    return out


# ---------------------------------------------------------------------------- preparation
def _is_numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)


INDEX_LIKE_MIN_ROWS = 3
"""Fewest values a column needs before it can be called a row counter (two values always
differ by a constant step)."""


def is_index_like(values: Any) -> bool:
    """True when a column is a row counter rather than a measurement.

    A column is index-like when it has at least :data:`INDEX_LIKE_MIN_ROWS` values, every one
    a finite whole number, increasing by the same positive step over the whole column
    (``0, 1, 2, ...``; ``1949, 1950, ...``; ``10, 20, 30, ...``), whatever its name. As a
    target it only teaches the model a straight line.

    Decisions on the edge cases:

    - whole numbers written with a decimal point (``0.0, 1.0, 2.0``) count: the loader reads
      every numeric column as float64, so ``0`` and ``0.0`` cannot be told apart;
    - a ramp with a fractional step (``0.0, 0.5, 1.0``) does not: that is a measurement (a
      time in hours, a distance), not a count of rows;
    - a constant column (step 0), a decreasing one, a column with a missing value, and a
      column that is regular only in part are not index-like.

    Parameters
    ----------
    values : array-like
        (N,) the column, in row order.

    Returns
    -------
    bool
    """
    try:
        x = np.asarray(values, dtype=np.float64)  # (N,)
    except (TypeError, ValueError):
        return False
    if x.ndim != 1 or x.size < INDEX_LIKE_MIN_ROWS:
        return False
    d0 = x[1] - x[0]
    if not (math.isfinite(d0) and d0 > 0 and d0 == round(d0)):
        return False
    if not np.isfinite(x).all() or (x != np.round(x)).any():
        return False
    return bool((np.diff(x) == d0).all())


def default_target(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[str, str]:
    """The column to forecast when none is chosen, and a note saying why.

    The first of ``columns`` that is not a row counter (:func:`is_index_like`); the first of
    them when every one is. The window's Data panel and :func:`prepare_series` both use it, so
    the window and ``rnnviz train`` pick the same target.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : sequence of str
        The numeric candidate columns in file order (the time column left out); not empty.

    Returns
    -------
    target : str
    note : str
        ``"Target: x (the first numeric column)."``, or naming the skipped row counters:
        ``"Target: x (the first numeric column that is not a row counter; skipped step: it
        counts 0, 1, 2, ... 399 in steps of 1). Choose the target to use another column."``
    """
    columns = list(columns)
    skipped: list[str] = []
    for name in columns:
        col = frame[name]
        if not is_index_like(col.to_numpy()):
            break
        x = col.to_numpy(np.float64)
        skipped.append(f"{name}: it counts {_g(x[0])}, {_g(x[1])}, {_g(x[2])}, ... {_g(x[-1])} "
                       f"in steps of {_g(x[1] - x[0])}")
    else:  # every column counts rows: keep the first
        note = (f"Target: {columns[0]} (the first numeric column, although it only counts rows "
                f"up by a constant step: {'; '.join(skipped)}). Choose the column to forecast "
                "(--target on the command line, Target in the Data panel).")
        return str(columns[0]), note
    target = columns[len(skipped)]
    if not skipped:
        return str(target), f"Target: {target} (the first numeric column)."
    return str(target), (
        f"Target: {target} (the first numeric column that is not a row counter; skipped "
        f"{'; '.join(skipped)}). Choose another target with --target on the command line, "
        "or Target in the Data panel."
    )


def _g(v: float) -> str:
    return f"{v:.15g}"


def _unpack(table: Any, time_column: str | None, cfg: DataConfig) -> tuple[pd.DataFrame, str | None]:
    if isinstance(table, pd.DataFrame):
        return table, time_column or cfg.time_column
    frame = getattr(table, "frame", None)
    if isinstance(frame, pd.DataFrame):
        return frame, time_column or cfg.time_column or getattr(table, "time_column", None)
    raise DataError(
        "bad_table",
        f"prepare_series needs a loaded table or a pandas DataFrame; got {type(table).__name__}.",
    )


def _choose_columns(frame: pd.DataFrame, tcol: str | None, cfg: DataConfig,
                    notes: list[str]) -> tuple[str, list[str]]:
    numeric = [c for c in frame.columns if c != tcol and _is_numeric(frame[c])]
    listing = ", ".join(map(str, numeric)) if numeric else "(none)"

    def check(name: str, role: str) -> None:
        if name not in frame.columns:
            raise DataError(
                "unknown_column",
                f"There is no column {name!r} for the {role}. Numeric columns: {listing}.",
            )
        if name == tcol:
            raise DataError(
                "time_as_value",
                f"{name!r} is the time column and cannot also be the {role}. Numeric columns: "
                f"{listing}.",
            )
        if name not in numeric:
            raise DataError(
                "not_numeric",
                f"Column {name!r} holds text, not numbers, so it cannot be the {role}. "
                f"Numeric columns: {listing}.",
            )

    if not numeric:
        raise DataError(
            "no_numeric_columns",
            "The table has no numeric column to forecast. Check that numbers were read as "
            "numbers (decimal marks, units inside cells).",
        )
    if cfg.target is not None:
        target = cfg.target
    else:
        target, why = default_target(frame, numeric)
        notes.append(why)
    check(target, "target")
    inputs: list[str] = []
    for name in cfg.inputs:
        if name == target or name in inputs:
            continue
        check(name, "inputs")
        inputs.append(name)
    return target, inputs


def _fill_missing(values: pd.DataFrame, index: pd.DatetimeIndex | None, policy: str,
                  notes: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Apply the policy; return (values, valid (N,), imputed (N,))."""
    missing = values.isna().to_numpy()
    n = len(values)
    valid = np.ones(n, dtype=bool)
    imputed = np.zeros(n, dtype=bool)
    if not missing.any():
        return values, valid, imputed
    counts = missing.sum(axis=0)
    for name, count in zip(values.columns, counts, strict=True):
        if count == n:
            raise DataError(
                "empty_column",
                f"Column {name!r} has no values at all; choose another column.",
            )
    what = ", ".join(
        f"{count} in {name}" for name, count in zip(values.columns, counts, strict=True) if count
    )
    rows = missing.any(axis=1)
    if policy == "drop":
        valid = ~rows
        notes.append(
            f"Missing values ({what}): {int(rows.sum())} row(s) marked invalid; windows that "
            "touch them are left out."
        )
        return values, valid, imputed
    arr = values.to_numpy(np.float64, copy=True)  # (N, F)
    if index is not None:
        i8 = index.asi8
        x = (i8 - i8[0]).astype(np.float64)  # time in ns since the first row
    else:
        x = np.arange(n, dtype=np.float64)
    positions = np.arange(n)
    n_edge = 0
    for j in np.flatnonzero(counts):
        m = missing[:, j]
        known = np.flatnonzero(~m)
        if policy == "interpolate":
            n_edge += int(known[0] + (n - 1 - known[-1]))
            # straight line between the neighbours in time (np.interp holds the end values flat)
            arr[m, j] = np.interp(x[m], x[known], arr[known, j])
        else:  # ffill: the last known value; before the first one, the first one
            n_edge += int(known[0])
            last = np.maximum.accumulate(np.where(m, -1, positions))
            last[last < 0] = known[0]
            arr[:, j] = arr[last, j]
    filled = pd.DataFrame(arr, columns=values.columns)
    if policy == "interpolate":
        how = "interpolated in time" if index is not None else "interpolated linearly"
        extra = f"; {n_edge} at the start or end took the nearest value" if n_edge else ""
    else:
        how = "filled forward from the last value"
        extra = f"; {n_edge} at the start took the first value" if n_edge else ""
    notes.append(f"Missing values ({what}) {how}{extra}.")
    imputed = rows
    return filled, valid, imputed


def prepare_series(table: Any, cfg: DataConfig, *, time_column: str | None = None,
                   split_at: tuple[Any, Any] | None = None) -> PreparedSeries:
    """Turn a table into a clean, split, scaled series.

    Parameters
    ----------
    table : LoadedTable or pandas.DataFrame
        A :class:`rnnviz.core.csvload.LoadedTable` (its ``frame`` and ``time_column`` are
        used) or a plain DataFrame.
    cfg : DataConfig
        Target, inputs, missing-value policy, resampling, split, scaler, window sizes
        (to check that each part can hold a window) and season.
    time_column : str, optional
        Time column; overrides ``cfg.time_column`` and the table's own.
    split_at : (val_start, test_start), optional
        Split at these dates instead of ``cfg.split`` (``test_start`` may be ``None``).

    Returns
    -------
    PreparedSeries

    Raises
    ------
    DataError
        Unknown or non-numeric columns (the message lists the numeric ones), an unreadable
        time column, a column without values, a bad resampling step, parts too small for
        one window (the message gives the rows needed), values too large to scale.
    """
    frame, tcol = _unpack(table, time_column, cfg)
    notes: list[str] = []
    if tcol is not None and tcol not in frame.columns:
        raise DataError(
            "unknown_column",
            f"There is no time column {tcol!r}; columns: {', '.join(map(str, frame.columns))}.",
        )
    target, inputs = _choose_columns(frame, tcol, cfg, notes)
    names = [target, *inputs]
    values = frame[names].astype(np.float64).reset_index(drop=True)

    index: pd.DatetimeIndex | None = None
    if tcol is not None:
        col = frame[tcol]
        if _is_numeric(col) and not pd.api.types.is_datetime64_any_dtype(col.dtype):
            notes.append(f"Time column {tcol!r} holds plain numbers; rows are used in order.")
        else:
            index = _as_datetime_index(col, tcol)
            bad = np.asarray(index.isna())
            if bad.all():
                raise DataError(
                    "bad_time_column", f"The time column {tcol!r} has no readable times."
                )
            if bad.any():
                notes.append(f"Left out {int(bad.sum())} row(s) without a time.")
                values = values.loc[~bad].reset_index(drop=True)
                index = index[~bad]
            if not index.is_monotonic_increasing:
                order = np.argsort(index.to_numpy(), kind="stable")
                values = values.iloc[order].reset_index(drop=True)
                index = index[order]
                notes.append("Rows were sorted by time.")

    arr = values.to_numpy()
    infinite = np.isinf(arr)
    if infinite.any():
        values = values.mask(infinite)
        notes.append(f"{int(infinite.sum())} infinite value(s) treated as missing.")

    if cfg.resample is not None:
        if index is None:
            raise DataError(
                "no_time_column",
                "Resampling needs a time column; choose one, or switch resampling off.",
            )
        before = len(values)
        values = _resample(values, index, cfg.resample, cfg.resample_how)
        index = pd.DatetimeIndex(values.index)
        values = values.reset_index(drop=True)
        empty = int(values.isna().all(axis=1).sum())
        notes.append(
            f"Resampled to {cfg.resample} ({cfg.resample_how}): {before} rows became "
            f"{len(values)}" + (f", {empty} period(s) without readings." if empty else ".")
        )

    values, valid, imputed = _fill_missing(values, index, cfg.missing, notes)
    raw = np.ascontiguousarray(values.to_numpy(np.float64))  # (N, F)
    n = raw.shape[0]

    if split_at is not None:
        train_end, val_end = split_rows_by_dates(index, *split_at)
        requested = (True, True, split_at[1] is not None)
        how = "dates"
    else:
        train_end, val_end = split_rows(n, cfg.split)
        requested = (True, cfg.split[1] > 0, cfg.split[2] > 0)
        how = "fractions"
    _check_parts(n, train_end, val_end, requested, cfg, how)

    train_rows = raw[:train_end][valid[:train_end]]
    scaler = Scaler.fit(train_rows, cfg.scaler, names)
    notes.extend(scaler.notes)
    if cfg.scaler != "none":
        notes.append(
            f"Scaling ({cfg.scaler}) fitted on the {train_end} training rows only."
        )
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = scaler.transform(raw).astype(np.float32)  # (N, F)
    scaled[~valid] = 0.0
    if not np.isfinite(scaled).all():
        raise DataError(
            "too_large",
            "Some values are too large to scale into 32-bit numbers (beyond about 1e38 after "
            "scaling). Check the units of the columns, or rescale them before loading.",
        )
    scaled.setflags(write=False)
    raw.setflags(write=False)
    valid.setflags(write=False)
    imputed.setflags(write=False)

    times = None if index is None else index.to_numpy(dtype="datetime64[ns]")
    step = median_step(times)
    if cfg.season is not None:
        season = cfg.season
    else:
        season = infer_season(times)
        if season is not None:
            notes.append(f"Season of {season} rows inferred from the time step ({describe_step(step)}).")
    if times is not None and step is not None and n > 2:
        d = np.diff(times.astype(np.int64))
        med = int(step.astype(np.int64))
        # calendar steps (months, quarters, years) vary by a few days and are still regular
        tol = 0.1 * med if med >= 28 * 86_400 * 10**9 else 0
        off = int(np.sum(np.abs(d - med) > tol))
        if off > 0.01 * (n - 1):
            notes.append(
                f"The time step is irregular ({off} of {n - 1} steps differ from the median "
                f"{describe_step(step)} step); windows count rows, not time. Resample for a "
                "regular step."
            )
    return PreparedSeries(
        times=times,
        raw=raw,
        scaled=scaled,
        feature_names=tuple(str(c) for c in names),
        target_names=(str(target),),
        scaler=scaler,
        train_end=int(train_end),
        val_end=int(val_end),
        valid=valid,
        season=season,
        notes=tuple(notes),
        imputed=imputed,
        time_step=step,
        parts_requested=requested,
    )
