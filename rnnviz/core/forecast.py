"""Forecasts from a trained model: teacher-forced one-step, recursive, direct and future.

The rules (also in ``docs/cli.md``)
----------------------------------
**One-step (teacher-forced).** Each held-out row ``r`` is predicted from the real window whose
last input row is ``r - delay - 1`` (the window the model would see in use). With
``horizon > 1`` the row gets that window's first predicted step. Rows whose window would start
before the series, or touch a missing row, get NaN.

**Direct multi-step** (``horizon > 1``). The model predicts ``horizon`` rows at once from each
window; :func:`held_out_forecast` scores it on the validation and test windows (entry
``direct``) beside the last-value baseline on the same windows (``direct_naive``).

**Recursive (free-running).** Starts where the training part ends: the model warms up on the
last lookback window of the training part (rows ``train_end - T .. train_end - 1``), predicts
the next ``horizon`` rows, then feeds its own predictions back as the next inputs, as in the
TF deck's sine-wave exercise. It never sees a held-out target value. Two ways to run it
(:func:`recursive_forecast`): ``mode="window"`` (the default) predicts each chunk from the last
``T`` rows, starting from a zero state, exactly as the model was trained; ``mode="state"``
carries the recurrent state ``(h, c)`` from step to step and reads only the fed-back rows
(O(steps), about ``T`` times less work), which is only faithful when the network's memory
fades within ``T`` steps -- on the sine exercise an LSTM's carried-state forecast drifted off
for some seeds while its window forecast did not, so the window mode is the default and the
state mode an option for long forecasts. It needs ``step == 1`` and ``delay == 0`` (each
prediction must be the very next input row); otherwise it is left empty (NaN) and the note
says why.

**Other input columns.** A recursive forecast also needs the future values of input columns
other than the targets. Over the held-out rows the file has them: they are used as they are
(known future values) and the note says so. Past the end of the data nobody knows them: the
future forecast holds each such input at its last known value, and the note says so. (A model
trained on several inputs cannot run on the target alone, so this is the only way to go on
without inventing data; re-train on the target alone to avoid the assumption.)

**Future forecast.** Warms up on the last lookback window of the data and runs recursively
for the number of steps asked.

**Baselines** (:mod:`rnnviz.core.baselines`) are computed on exactly the rows and windows the
model is scored on: ``naive`` (last value), ``seasonal_naive``, ``mean``, ``dense`` beside the
one-step forecast; ``naive_recursive`` (the last training value held flat) and
``seasonal_naive_recursive`` (the last training season repeated) beside the recursive one. All
metrics are in the data's units (:mod:`rnnviz.core.metrics`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from rnnviz.core import baselines as bl
from rnnviz.core.baselines import as_tensor
from rnnviz.core.errors import DataError
from rnnviz.core.metrics import mape_allowed, naive_scale, score

if TYPE_CHECKING:  # pragma: no cover
    from rnnviz.core.windows import WindowSplits

__all__ = [
    "RECURSIVE_MODES",
    "HeldOut",
    "future_forecast",
    "format_times",
    "format_value",
    "future_times",
    "held_out_forecast",
    "predict_windows",
    "recursive_forecast",
    "row_windows",
]

SPLIT_NAMES = ("validation", "test")


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _last(y: torch.Tensor) -> torch.Tensor:
    """(B, h, K) stays; a sequence model's (B, T, h, K) gives its last step."""
    return y[:, -1] if y.dim() == 4 else y


class _EvalMode:
    """Context manager: eval mode and inference mode (no autograd at all), restoring the
    previous mode. Inference mode cuts ~20 % off each small forward pass of a recursion."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __enter__(self) -> nn.Module:
        self.was_training = self.model.training
        self.guard = torch.inference_mode()
        self.guard.__enter__()
        self.model.eval()
        return self.model

    def __exit__(self, *exc: object) -> None:
        self.model.train(self.was_training)
        self.guard.__exit__(None, None, None)


def predict_windows(model: nn.Module, X: np.ndarray | torch.Tensor, *,
                    batch: int = 2048) -> np.ndarray:
    """Teacher-forced predictions for a stack of windows (eval mode, no grad, no RNG).

    Parameters
    ----------
    model : Forecaster
    X : ndarray or Tensor, shape (n, T, F)
        Scaled windows.
    batch : int
        Windows per forward pass.

    Returns
    -------
    ndarray, shape (n, horizon, K), float32
        Scaled predictions (a sequence model's last step).
    """
    dev = _device(model)
    outs: list[np.ndarray] = []
    with _EvalMode(model):
        for i in range(0, X.shape[0], batch):
            xb = X[i:i + batch]
            if not isinstance(xb, torch.Tensor):
                xb = as_tensor(xb)
            y, _ = model(xb.to(dev))
            outs.append(_last(y).float().cpu().numpy())
    if not outs:
        return np.zeros((0, model.horizon, model.n_targets), np.float32)
    return np.concatenate(outs)


def row_windows(scaled: np.ndarray, ends: np.ndarray, lookback: int, step: int = 1,
                valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gather the windows that end at the given rows.

    Parameters
    ----------
    scaled : ndarray, shape (N, F)
    ends : ndarray of int, shape (n,)
        Last input row of each window.
    lookback, step : int
    valid : ndarray of bool, shape (N,), optional
        False rows make their windows unusable.

    Returns
    -------
    X : ndarray, shape (n, T, F), float32
        Unusable windows are filled with zeros.
    ok : ndarray of bool, shape (n,)
        Windows that lie inside the series and touch no invalid row.
    """
    N = scaled.shape[0]
    ends = np.asarray(ends, dtype=np.int64)
    rows = ends[:, None] - step * np.arange(lookback - 1, -1, -1, dtype=np.int64)  # (n, T)
    ok = (rows[:, 0] >= 0) & (rows[:, -1] < N)
    safe = np.clip(rows, 0, max(N - 1, 0))
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)[safe].all(axis=1)
    X = np.asarray(scaled, dtype=np.float32)[safe]  # (n, T, F)
    X[~ok] = 0.0
    return X, ok


RECURSIVE_MODES = ("window", "state")


def recursive_forecast(model: nn.Module, warm: np.ndarray, steps: int, *,
                       exog: np.ndarray | None = None, mode: str = "window") -> np.ndarray:
    """Free-running forecast: start from a real window, then feed predictions back.

    Parameters
    ----------
    model : Forecaster
        Trained with ``step == 1`` and ``delay == 0``.
    warm : ndarray, shape (T, F)
        The scaled window just before the first forecast row.
    steps : int
        Rows to forecast.
    exog : ndarray, shape (steps, F - K), optional
        Scaled values of the non-target inputs on the forecast rows (required when
        ``F > K``; hold them at their last value if they are unknown).
    mode : {"window", "state"}
        ``"window"`` (default): every prediction is made from the last ``T`` rows (real, then
        predicted), starting from a zero state, exactly as the model was trained; costs
        ``ceil(steps / horizon)`` forward passes of ``T`` steps. ``"state"``: the recurrent
        state ``(h, c)`` is carried from step to step and each forward pass reads only the
        fed-back rows, O(steps) in all (about ``T`` times less work) -- but the network then
        runs on histories longer than the ``T`` steps it was trained on, which is only safe
        when its memory fades within ``T`` steps (measured on the sine exercise: LSTM RMSE
        0.01-0.02 with ``"window"``, 0.01-0.49 with ``"state"`` depending on the seed).

    Returns
    -------
    ndarray, shape (steps, K), float32
        Scaled predictions.
    """
    if mode not in RECURSIVE_MODES:
        raise ValueError(f"mode must be one of {RECURSIVE_MODES}, got {mode!r}")
    K, h = model.n_targets, model.horizon
    T, F = warm.shape
    if F > K and (exog is None or exog.shape[0] < steps):
        raise ValueError("recursive_forecast needs exog values for every forecast row")
    dev = _device(model)
    n_chunks = -(-steps // h)
    with _EvalMode(model):
        # buf rows: T warm-up rows, then the forecast rows (predicted targets + exog)
        buf = torch.zeros(T + n_chunks * h, F, device=dev)  # (T + S', F)
        buf[:T] = as_tensor(warm).to(dev)
        if F > K:
            ex = as_tensor(exog[:steps]).to(dev)  # (steps, F - K)
            buf[T:T + steps, K:] = ex
            buf[T + steps:, K:] = ex[-1]
        if mode == "window":
            for c in range(n_chunks):
                t = c * h
                y, _ = model(buf[t:t + T][None])  # (1, h, K)
                buf[T + t:T + t + h, :K] = _last(y)[0]
        else:
            y, state = model(buf[:T][None])  # (1, h, K)
            for c in range(n_chunks):
                t = c * h
                buf[T + t:T + t + h, :K] = _last(y)[0]
                if c + 1 < n_chunks:
                    # feed back rows t .. t+h-1 (the predictions just made), carrying state
                    y, state = model(buf[T + t:T + t + h][None], state)  # (1, h, K)
        out = buf[T:T + steps, :K].float().cpu().numpy()
    return out


def future_forecast(model: nn.Module, scaled: np.ndarray, steps: int, *, lookback: int,
                    valid: np.ndarray | None = None,
                    mode: str = "window") -> tuple[np.ndarray, str]:
    """Forecast past the end of the data (rows ``N .. N + steps - 1``).

    Parameters
    ----------
    model : Forecaster
    scaled : ndarray, shape (N, F)
        The series in model units (targets first).
    steps : int
    lookback : int
    valid : ndarray of bool, shape (N,), optional
    mode : {"window", "state"}
        See :func:`recursive_forecast`.

    Returns
    -------
    forecast : ndarray, shape (steps, K), float32, scaled
    note : str
        How other input columns were treated (empty when the model reads the targets only).
    """
    K = model.n_targets
    N, F = scaled.shape
    if N < lookback:
        raise ValueError(f"need at least {lookback} rows to warm up, have {N}")
    warm = np.asarray(scaled[N - lookback:], dtype=np.float32)
    if valid is not None and not np.asarray(valid[N - lookback:]).all():
        raise ValueError("the last lookback window holds missing values")
    exog = None
    note = ""
    if F > K:
        exog = np.repeat(warm[-1:, K:], steps, axis=0)  # (steps, F - K)
        note = ("Past the end of the data the future values of the other input columns are "
                "unknown: they are held at their last known value.")
    return recursive_forecast(model, warm, steps, exog=exog, mode=mode), note


def future_times(times: np.ndarray | None, n_rows: int, steps: int) -> np.ndarray:
    """Time stamps (or row numbers) of the ``steps`` rows after the data.

    Uses the median time step of the data; row numbers ``n_rows ..`` when there are no times.
    Calendar months / years are kept (a monthly series continues on the same day of month).

    Raises
    ------
    DataError
        When the last time stamp would fall after 2262-04-11, the last time pandas can store
        (the message gives the most steps that fit).
    """
    if times is None or len(times) < 2:
        return np.arange(n_rows, n_rows + steps, dtype=np.int64)
    import pandas as pd

    t = pd.DatetimeIndex(times)
    last = int(t.values[-1].astype("datetime64[ns]").astype(np.int64))
    d = int(np.median(np.diff(t.values.astype("datetime64[ns]").astype(np.int64))))
    if d <= 0:
        raise DataError("bad_time_step", "The data's times do not advance, so the forecast's "
                        "times cannot be continued.")

    def too_far(fits: int) -> DataError:
        return DataError(
            "steps_past_2262",
            f"{steps:,} steps after {pd.Timestamp(last)} run past "
            f"{pd.Timestamp.max:%Y-%m-%d}, the last time pandas can store; at this data's step "
            f"at most {max(0, fits):,} steps fit. Ask for fewer steps.",
        )

    freq = None
    if len(t) >= 3:
        with warnings.catch_warnings():  # pandas 3 warns that the return type will change
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(t[-min(len(t), 50):])  # str or offset: date_range takes both
    limit = pd.Timestamp.max  # the last time datetime64[ns] holds (2262-04-11)
    if freq is not None:
        start = t[-1].as_unit("us") if t[-1].nanosecond == 0 else t[-1]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # in microseconds, which reach far beyond 2262 (nanoseconds stop there)
                out = pd.date_range(start, periods=steps + 1, freq=freq)[1:]
        except (ValueError, OverflowError):  # OutOfBoundsDatetime even in its own unit
            out = None
        if out is not None and len(out) == steps and out[-1] <= limit:
            return out.values.astype("datetime64[ns]")
        try:  # past 2262: count the stamps that fit (fewer than asked, so cheap)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fits = len(pd.date_range(start, limit.as_unit("us"), freq=freq)) - 1
        except (ValueError, OverflowError):  # pragma: no cover - exotic frequencies
            fits = (int(limit.value) - last) // d
        raise too_far(fits)
    fits = (int(limit.value) - last) // d  # Python ints: no overflow
    if steps > fits:
        raise too_far(fits)
    return (last + d * np.arange(1, steps + 1, dtype=np.int64)).astype("datetime64[ns]")


_DAY_NS = 86_400 * 10**9


def format_times(times: np.ndarray) -> list[str]:
    """ISO 8601 text for time stamps, as short as the values allow.

    Dates only (``1961-01-01``) when every stamp is at midnight; otherwise date and time to
    the second (``2023-01-01T00:30:00``), with fractions of a second only when some stamp has
    them. NaT becomes an empty string.

    Parameters
    ----------
    times : ndarray of datetime64
        (N,) time stamps.

    Returns
    -------
    list of str
    """
    t = np.asarray(times, dtype="datetime64[ns]")
    ok = ~np.isnat(t)
    ns = t[ok].astype(np.int64)
    if ns.size and not (ns % _DAY_NS).any():
        unit = "D"
    elif not (ns % 10**9).any():
        unit = "s"
    elif not (ns % 10**6).any():
        unit = "ms"
    elif not (ns % 10**3).any():
        unit = "us"
    else:
        unit = "ns"
    text = np.datetime_as_string(t, unit=unit)
    return [str(s) if good else "" for s, good in zip(text, ok, strict=True)]


def format_value(v: float) -> str:
    """A number for a CSV cell: up to 10 significant digits; empty when not finite."""
    v = float(v)
    return format(v, ".10g") if np.isfinite(v) else ""


@dataclass(frozen=True)
class HeldOut:
    """Forecasts over the validation and test rows, in the data's units.

    Attributes
    ----------
    index : ndarray of int64, shape (N_h,)
        Rows ``train_end .. N-1``.
    split : ndarray of str, shape (N_h,)
        ``"validation"`` or ``"test"`` per row.
    actual, one_step, recursive : ndarray, shape (N_h, K), float64
    baselines : dict of str to ndarray (N_h, K)
        ``naive``, ``seasonal_naive`` (when a season is known), ``mean``, ``dense`` (when
        given), ``naive_recursive``, ``seasonal_naive_recursive``.
    future : ndarray, shape (S, K)
        Forecast past the end of the data.
    metrics : dict
        ``{split: {name: {metric: value}}}``.
    note : str
    """

    index: np.ndarray
    split: np.ndarray
    actual: np.ndarray
    one_step: np.ndarray
    recursive: np.ndarray
    baselines: dict[str, np.ndarray]
    future: np.ndarray
    metrics: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    note: str = ""


def held_out_forecast(model: nn.Module, data: WindowSplits, *, dense: nn.Module | None = None,
                      season: int | None = None, future_steps: int = 0,
                      recursive: bool = True, mode: str = "window") -> HeldOut:
    """One-step, recursive (and direct) forecasts over validation and test, with baselines.

    Parameters
    ----------
    model : Forecaster
    data : WindowSplits
        Built from a series (``data.series`` is not None).
    dense : DenseBaseline, optional
        A fitted dense baseline (:func:`rnnviz.core.baselines.fit_dense`).
    season : int, optional
        Season length for the seasonal-naive baselines; default ``data.series.season``.
    future_steps : int
        Rows to forecast past the end of the data.
    recursive : bool
        Set False to skip the recursive forecast (NaN).
    mode : {"window", "state"}
        How the recursive and future forecasts run (:func:`recursive_forecast`).

    Returns
    -------
    HeldOut
    """
    s = data.series
    if s is None:
        raise ValueError("held_out_forecast needs windows built from a series")
    scaler = data.scaler if data.scaler is not None else s.scaler
    K, T, step, delay, h = data.n_targets, data.lookback, data.step, data.delay, data.horizon
    N = s.scaled.shape[0]
    te, ve = int(s.train_end), int(s.val_end)
    m = season if season is not None else s.season
    valid = np.asarray(s.valid, dtype=bool)
    raw_t = np.asarray(s.raw[:, :K], dtype=np.float64).copy()  # (N, K)
    raw_t[~valid] = np.nan
    rows = np.arange(te, N, dtype=np.int64)
    split = np.where(rows < ve, "validation", "test")
    actual = raw_t[rows]
    notes: list[str] = []

    def inv(y: np.ndarray) -> np.ndarray:
        return scaler.inverse_targets(np.asarray(y, dtype=np.float64))

    # ---- one-step (teacher-forced) and the baselines on the same windows
    ends = rows - delay - 1
    X, ok = row_windows(s.scaled, ends, T, step, valid)  # (n, T, F)
    one = np.full((rows.size, K), np.nan)
    base: dict[str, np.ndarray] = {}
    if ok.any():
        one[ok] = inv(predict_windows(model, X[ok])[:, 0])
    safe_end = np.clip(ends, 0, N - 1)
    base["naive"] = np.where(ok[:, None], raw_t[safe_end], np.nan)
    if m:
        sn = bl.seasonal_naive(raw_t, safe_end, rows[:, None], m)[:, 0]
        base["seasonal_naive"] = np.where(ok[:, None], sn, np.nan)
    mu = inv(bl.mean_value(data.train.Y, 1)[0, 0])  # (K,)
    base["mean"] = np.where(ok[:, None], mu[None, :], np.nan)
    if dense is not None:
        d = np.full((rows.size, K), np.nan)
        if ok.any():
            d[ok] = inv(dense.predict(X[ok])[:, 0])
        base["dense"] = d

    # ---- recursive from the end of the training part
    rec = np.full((rows.size, K), np.nan)
    F = s.scaled.shape[1]
    if not recursive:
        pass
    elif step != 1 or delay != 0:
        notes.append(f"No recursive forecast: it needs step 1 and delay 0 (this run has step "
                     f"{step}, delay {delay}), because each prediction must be the next input row.")
    elif te < T or not valid[te - T:te].all():
        notes.append("No recursive forecast: the last training window holds missing values.")
    else:
        warm = s.scaled[te - T:te]
        exog = None
        if F > K:
            exog = np.asarray(s.scaled[te:, K:], dtype=np.float32).copy()
            bad = ~valid[te:]
            if bad.any():  # forward-fill unusable rows (never feed NaN)
                last = np.asarray(s.scaled[te - 1, K:], dtype=np.float32)
                for i in range(exog.shape[0]):
                    if bad[i]:
                        exog[i] = last
                    else:
                        last = exog[i]
            names = ", ".join(data.feature_names[K:])
            notes.append(f"The recursive forecast uses the known values of the other inputs "
                         f"({names}) from the file for the held-out rows.")
        rec = inv(recursive_forecast(model, warm, rows.size, exog=exog, mode=mode))
    base["naive_recursive"] = np.repeat(raw_t[te - 1:te], rows.size, axis=0)
    if m:
        base["seasonal_naive_recursive"] = bl.seasonal_naive(
            raw_t, np.array([te - 1]), rows[None, :], m)[0]

    # ---- future
    future = np.zeros((0, K))
    if future_steps > 0 and step == 1 and delay == 0 and N >= T and valid[N - T:].all():
        fut, fnote = future_forecast(model, s.scaled, future_steps, lookback=T, mode=mode)
        future = inv(fut)
        if fnote:
            notes.append(fnote)

    # ---- metrics in the data's units
    scale = naive_scale(raw_t[:te])
    allow = mape_allowed(raw_t)
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    for name in SPLIT_NAMES:
        sel = split == name
        if not sel.any():
            continue
        entry = {"one_step": score(actual[sel], one[sel], scale=scale, allow_mape=allow),
                 "recursive": score(actual[sel], rec[sel], scale=scale, allow_mape=allow)}
        for bname, pred in base.items():
            entry[bname] = score(actual[sel], pred[sel], scale=scale, allow_mape=allow)
        metrics[name] = entry
    if h > 1:
        for name, part in (("validation", data.val), ("test", data.test)):
            if part.n == 0 or name not in metrics:
                continue
            y_true = inv(part.Y)
            metrics[name]["direct"] = score(y_true, inv(predict_windows(model, part.X)),
                                            scale=scale, allow_mape=allow)
            metrics[name]["direct_naive"] = score(y_true, inv(bl.last_value(part.X, h, K)),
                                                  scale=scale, allow_mape=allow)
    return HeldOut(rows, split, actual, one, rec, base, future, metrics, " ".join(notes))
