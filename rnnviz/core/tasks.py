"""Generated data for teaching: series, memory tasks and the toy shapes of the Keras slides.

Series (pandas DataFrames, to go through :func:`~rnnviz.core.series.prepare_series` like a CSV):

- :func:`sine_wave` - the TF-course exercise (``t = 0, 0.1, ..., 50``, ``value = sin(t)``);
- :func:`noisy_sine_trend` - a seasonal series with trend and noise.

Pass ``time_column="t"`` (or ``"time"`` when ``freq`` was given) to ``prepare_series`` so the
position column is not taken for the target.

Sequence tasks (a :class:`~rnnviz.core.windows.WindowSplits` with ``series=None``; each
``Windows.start`` holds the sample number and ``target_rows`` is -1, as there is no series):

- :func:`adding_problem` - two marked values among ``length`` random ones; predict their sum
  (Hochreiter & Schmidhuber 1997; Bai, Kolter & Koltun 2018). Predicting the mean (1.0) scores
  an MSE of 1/6 ~ 0.167: a model must beat that to show it remembers;
- :func:`lag_task` - predict the input seen ``lag`` steps before the end of the window;
- :func:`toy_one_to_many`, :func:`toy_many_to_one`, :func:`toy_many_to_many` - the data of
  the Keras slides (``shared/seeds/002``); their test part is the slide's check example,
  also in :data:`TOY_CHECKS`.

For sequence tasks the targets are not among the input features (``target_names`` name them
separately). Everything is seeded and uses numpy only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rnnviz.core.errors import ConfigError
from rnnviz.core.scaling import Scaler
from rnnviz.core.windows import Windows, WindowSplits

__all__ = [
    "TOY_CHECKS",
    "TOY_SLIDE_PREDICTIONS",
    "adding_problem",
    "lag_task",
    "noisy_sine_trend",
    "sine_wave",
    "toy_many_to_many",
    "toy_many_to_one",
    "toy_one_to_many",
]

_MAX_VALUES = 50_000_000  # n * length * features: about 200 MB of float32

TOY_CHECKS: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "one_to_many": (np.array([[[10.0]]]), np.array([[[11.0], [12.0]]])),
    "many_to_one": (np.array([[[50.0], [51.0], [52.0]]]), np.array([[[153.0]]])),
    "many_to_many": (
        np.array([[[300.0], [305.0], [310.0]]]),
        np.array([[[315.0], [320.0], [325.0]]]),
    ),
}
"""The slides' check examples, ``name -> (x (1, T, 1), expected y (1, horizon, 1))``."""
for _x, _y in TOY_CHECKS.values():
    _x.setflags(write=False)
    _y.setflags(write=False)

TOY_SLIDE_PREDICTIONS: dict[str, tuple[float, ...]] = {
    "one_to_many": (11.01, 12.14),
    "many_to_one": (152.93,),
    "many_to_many": (315.30, 321.04, 327.00),
}
"""What the slides' Keras models predicted for :data:`TOY_CHECKS` (to compare in a lesson)."""


# ---------------------------------------------------------------------------- checks
def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ConfigError(
            "out_of_range", f"{name} must be a whole number from {lo} to {hi}; got {value!r}."
        )
    return int(value)


def _check_float(name: str, value: object, lo: float, hi: float, *, open_lo: bool = False) -> float:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.floating, np.integer))
        and math.isfinite(float(value))
        and (lo < float(value) if open_lo else lo <= float(value))
        and float(value) <= hi
    )
    if not ok:
        low = f"more than {lo:g}" if open_lo else f"from {lo:g}"
        raise ConfigError("out_of_range", f"{name} must be a number {low} to {hi:g}; got {value!r}.")
    return float(value)


def _positions(n: int, dt: float, freq: str | None, start: str) -> tuple[str, object]:
    if freq is None:
        return "t", np.arange(n, dtype=np.float64) * dt
    try:
        return "time", pd.date_range(start=start, periods=n, freq=freq)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            "bad_freq", f"freq={freq!r} / start={start!r} is not a pandas time step ({exc})."
        ) from None


# ---------------------------------------------------------------------------- series
def sine_wave(n: int = 501, *, dt: float = 0.1, period: float = 2 * math.pi,
              amplitude: float = 1.0, noise: float = 0.0, phase: float = 0.0, seed: int = 0,
              freq: str | None = None, start: str = "2000-01-01") -> pd.DataFrame:
    """A sine wave, optionally with Gaussian noise.

    The defaults reproduce the TF-course exercise: ``t = np.linspace(0, 50, 501)`` and
    ``value = sin(t)`` (one cycle every ``period / dt`` ~ 62.8 rows).

    Parameters
    ----------
    n : int
        Number of rows.
    dt : float
        Spacing of ``t``.
    period : float
        Length of one cycle in units of ``t``.
    amplitude : float
        Peak value of the clean wave.
    noise : float
        Standard deviation of the added Gaussian noise.
    phase : float
        Phase at ``t = 0``, in radians.
    seed : int
        Seed of the noise.
    freq : str, optional
        A pandas alias: a ``"time"`` column of dates from ``start`` replaces ``"t"``.
    start : str
        First date when ``freq`` is given.

    Returns
    -------
    pandas.DataFrame
        Columns ``"t"`` (or ``"time"``) and ``"value"``.
    """
    n = _check_int("n", n, 2, 10_000_000)
    dt = _check_float("dt", dt, 0.0, 1e12, open_lo=True)
    period = _check_float("period", period, 0.0, 1e12, open_lo=True)
    amplitude = _check_float("amplitude", amplitude, -1e12, 1e12)
    noise = _check_float("noise", noise, 0.0, 1e12)
    phase = _check_float("phase", phase, -1e6, 1e6)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    t = np.arange(n, dtype=np.float64) * dt
    value = amplitude * np.sin(2 * np.pi * t / period + phase)
    if noise > 0:
        value = value + noise * np.random.default_rng(seed).standard_normal(n)
    name, pos = _positions(n, dt, freq, start)
    return pd.DataFrame({name: pos, "value": value})


def noisy_sine_trend(n: int = 1000, *, dt: float = 1.0, period: float = 50.0,
                     amplitude: float = 1.0, trend: float = 0.005, level: float = 0.0,
                     noise: float = 0.1, seed: int = 0, freq: str | None = None,
                     start: str = "2000-01-01") -> pd.DataFrame:
    """A seasonal series with a linear trend and Gaussian noise.

    ``value = level + trend * t + amplitude * sin(2 pi t / period) + noise * N(0, 1)``.

    Parameters
    ----------
    n : int
        Number of rows.
    dt : float
        Spacing of ``t``.
    period : float
        Season length in units of ``t`` (default 50 rows).
    amplitude : float
        Seasonal amplitude.
    trend : float
        Change of the level per unit of ``t``.
    level : float
        Value of the trend at ``t = 0``.
    noise : float
        Standard deviation of the noise.
    seed : int
        Seed of the noise.
    freq, start : str, optional
        As in :func:`sine_wave`.

    Returns
    -------
    pandas.DataFrame
        Columns ``"t"`` (or ``"time"``) and ``"value"``.
    """
    n = _check_int("n", n, 2, 10_000_000)
    dt = _check_float("dt", dt, 0.0, 1e12, open_lo=True)
    period = _check_float("period", period, 0.0, 1e12, open_lo=True)
    amplitude = _check_float("amplitude", amplitude, -1e12, 1e12)
    trend = _check_float("trend", trend, -1e12, 1e12)
    level = _check_float("level", level, -1e12, 1e12)
    noise = _check_float("noise", noise, 0.0, 1e12)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    t = np.arange(n, dtype=np.float64) * dt
    value = level + trend * t + amplitude * np.sin(2 * np.pi * t / period)
    if noise > 0:
        value = value + noise * np.random.default_rng(seed).standard_normal(n)
    name, pos = _positions(n, dt, freq, start)
    return pd.DataFrame({name: pos, "value": value})


# ---------------------------------------------------------------------------- memory tasks
def _part_sizes(n: int | None, n_train: int, n_val: int, n_test: int) -> tuple[int, int, int]:
    if n is not None:
        n = _check_int("n", n, 3, 10_000_000)
        n_train = int(round(0.7 * n))
        n_val = int(round(0.15 * n))
        n_test = n - n_train - n_val
    return (
        _check_int("n_train", n_train, 1, 10_000_000),
        _check_int("n_val", n_val, 0, 10_000_000),
        _check_int("n_test", n_test, 0, 10_000_000),
    )


def _check_size(n: int, length: int, features: int) -> None:
    if n * length * features > _MAX_VALUES:
        raise ConfigError(
            "too_large",
            f"{n} samples of {length} steps would need {n * length * features * 4 / 1e6:.0f} MB; "
            "use fewer samples or shorter sequences.",
        )


def _adding_part(rng: np.random.Generator, n: int, length: int) -> Windows:
    values = rng.random((n, length))  # (n, T) uniform in [0, 1)
    half = length // 2
    first = rng.integers(0, half, size=n)  # marked position in the first half
    second = rng.integers(half, length, size=n)  # ... and in the second half
    marker = np.zeros((n, length))
    rows = np.arange(n)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    X = np.stack([values, marker], axis=-1)  # (n, T, 2)
    Y = (values[rows, first] + values[rows, second])[:, None, None]  # (n, 1, 1)
    return Windows.from_arrays(X, Y)


def adding_problem(length: int = 50, n: int | None = None, seed: int = 0, *,
                   n_train: int = 2000, n_val: int = 500, n_test: int = 500) -> WindowSplits:
    """The adding problem: remember two marked numbers and add them.

    Each sample has ``length`` steps of two features: a random value in [0, 1) and a marker
    that is 1 at exactly two steps (one in the first half, one in the second) and 0 elsewhere.
    The target is the sum of the two marked values. Always predicting the mean sum (1.0) gives
    an MSE of 1/6 ~ 0.167, the bar a model has to get under.

    Parameters
    ----------
    length : int
        Steps per sample, T (at least 2).
    n : int, optional
        Total samples, split 70 / 15 / 15; overrides ``n_train``, ``n_val``, ``n_test``.
    seed : int
        Random seed; the training samples depend only on ``seed``, ``length`` and ``n_train``.
    n_train, n_val, n_test : int
        Samples per part.

    Returns
    -------
    WindowSplits
        X (n, length, 2) with features ``("value", "marker")``; Y (n, 1, 1) with target
        ``("sum",)``; ``series=None``, ``scaler=None`` (values are already in [0, 2)).
    """
    length = _check_int("length", length, 2, 100_000)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    sizes = _part_sizes(n, n_train, n_val, n_test)
    _check_size(sum(sizes), length, 2)
    rng = np.random.default_rng(seed)
    train, val, test = (_adding_part(rng, k, length) for k in sizes)
    return WindowSplits(
        train, val, test, None, ("value", "marker"), ("sum",), 1, length,
        notes=("Predicting the mean sum (1.0) scores an MSE of about 0.167.",),
    )


def lag_task(length: int = 30, lag: int = 10, n: int | None = None, seed: int = 0, *,
             n_train: int = 2000, n_val: int = 500, n_test: int = 500) -> WindowSplits:
    """A memory task: output the input seen ``lag`` steps before the end of the window.

    Inputs are independent uniform values in [-1, 1); the target of a window ``x_0 .. x_{T-1}``
    is ``x_{T-1-lag}``. ``lag=0`` asks for the last input (easy); a large lag needs memory
    across ``lag`` steps. Predicting the mean (0) gives an MSE of 1/3.

    Parameters
    ----------
    length : int
        Steps per sample, T.
    lag : int
        How many steps before the last one the target was seen (``0 <= lag < length``).
    n : int, optional
        Total samples, split 70 / 15 / 15; overrides ``n_train``, ``n_val``, ``n_test``.
    seed : int
        Random seed.
    n_train, n_val, n_test : int
        Samples per part.

    Returns
    -------
    WindowSplits
        X (n, length, 1) feature ``("value",)``; Y (n, 1, 1) target ``("value lag <lag>",)``;
        ``series=None``, ``scaler=None``.
    """
    length = _check_int("length", length, 1, 100_000)
    lag = _check_int("lag", lag, 0, length - 1)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    sizes = _part_sizes(n, n_train, n_val, n_test)
    _check_size(sum(sizes), length, 1)
    rng = np.random.default_rng(seed)
    parts = []
    for k in sizes:
        X = rng.uniform(-1.0, 1.0, size=(k, length, 1))  # (n, T, 1)
        Y = X[:, length - 1 - lag, :][:, None, :]  # (n, 1, 1)
        parts.append(Windows.from_arrays(X, Y))
    return WindowSplits(
        parts[0], parts[1], parts[2], None, ("value",), (f"value lag {lag}",), 1, length,
        notes=(f"Target: the input {lag} step(s) before the last one; the mean scores MSE 1/3.",),
    )


# ---------------------------------------------------------------------------- toy shapes
def _toy(name: str, X: np.ndarray, Y: np.ndarray, target: str, scaled: bool) -> WindowSplits:
    """Keras-style split: the last 20 % validate (``validation_split=0.2``); test = the check."""
    n_train = int(len(X) * 0.8)
    check_x, check_y = TOY_CHECKS[name]
    parts = [(X[:n_train], Y[:n_train]), (X[n_train:], Y[n_train:]), (check_x, check_y)]
    scaler = None
    notes = ["Values in original units, as on the slides."]
    if scaled:
        scaler = Scaler.fit(X[:n_train].reshape(-1, 1), "standard", ("value",))
        parts = [(scaler.transform(x), scaler.transform(y)) for x, y in parts]
        notes = ["Inputs and targets scaled with the training inputs' mean and spread."]
    starts = [np.arange(n_train), np.arange(n_train, len(X)), np.array([len(X)])]
    train, val, test = (
        Windows.from_arrays(x, y, s) for (x, y), s in zip(parts, starts, strict=True)
    )
    return WindowSplits(
        train, val, test, None, ("value",), (target,), Y.shape[1], X.shape[1],
        scaler=scaler, notes=tuple(notes),
    )


def toy_one_to_many(*, scaled: bool = False) -> WindowSplits:
    """One input value ``x`` -> the next two numbers ``[x+1, x+2]`` (``x = 1, 4, ..., 43``).

    Parameters
    ----------
    scaled : bool
        Standardise with the training inputs' mean and spread (the scaler is carried in
        ``WindowSplits.scaler``); by default the slide's raw values.

    Returns
    -------
    WindowSplits
        15 samples, X (n, 1, 1), Y (n, 2, 1): 12 train, 3 validation (the last 20 %, as
        Keras' ``validation_split=0.2``), test = the check ``10 -> [11, 12]``.
    """
    x = np.arange(1, 44, 3, dtype=np.float64)  # 1, 4, ..., 43
    X = x[:, None, None]  # (15, 1, 1)
    Y = np.stack([x + 1, x + 2], axis=1)[:, :, None]  # (15, 2, 1)
    return _toy("one_to_many", X, Y, "value", scaled)


def toy_many_to_one(*, scaled: bool = False) -> WindowSplits:
    """Three steps ``[k, k+1, k+2]`` -> their sum (``k = 1, 4, ..., 43``).

    Parameters
    ----------
    scaled : bool
        As in :func:`toy_one_to_many`.

    Returns
    -------
    WindowSplits
        15 samples, X (n, 3, 1), Y (n, 1, 1) target ``("sum",)``: 12 train, 3 validation,
        test = the check ``[50, 51, 52] -> 153``.
    """
    X = np.arange(1, 46, dtype=np.float64).reshape(15, 3, 1)  # [[1, 2, 3], [4, 5, 6], ...]
    Y = X.sum(axis=1, keepdims=True)  # (15, 1, 1)
    return _toy("many_to_one", X, Y, "sum", scaled)


def toy_many_to_many(*, scaled: bool = False) -> WindowSplits:
    """Three multiples of 5 -> the next three (``[5, 10, 15] -> [20, 25, 30]``, ...).

    Parameters
    ----------
    scaled : bool
        As in :func:`toy_one_to_many`.

    Returns
    -------
    WindowSplits
        20 samples, X (n, 3, 1), Y (n, 3, 1) (horizon 3): 16 train, 4 validation,
        test = the check ``[300, 305, 310] -> [315, 320, 325]``.
    """
    X = np.arange(5, 301, 5, dtype=np.float64).reshape(20, 3, 1)  # 5 .. 300
    Y = np.arange(20, 316, 5, dtype=np.float64).reshape(20, 3, 1)  # 20 .. 315
    return _toy("many_to_many", X, Y, "value", scaled)
