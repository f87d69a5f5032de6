"""Forecast error metrics in the data's own units.

All functions take the actual values and the predictions as arrays of the same shape
(``(N,)``, ``(N, K)`` or ``(n, horizon, K)``; the last axis is the target when ``K`` matters)
and ignore positions where either is NaN, so a forecast that does not cover every row can be
scored on the rows it covers. They never warn: an empty selection gives NaN.

- MAE and RMSE: the usual, in the data's units.
- MASE: MAE divided by the in-sample MAE of the one-step naive forecast on the *training*
  part (Hyndman & Koehler 2006), per target, then averaged. Below 1 beats the naive forecast
  as it did on the training data.
- sMAPE: ``100 * mean(2 |y - yhat| / (|y| + |yhat|))`` in percent (0 where both are 0).
- MAPE: ``100 * mean(|y - yhat| / |y|)`` -- only defined when the series has no zeros;
  :func:`mape_allowed` decides, and :func:`score` leaves it out otherwise (a MAPE on a series
  that touches zero is infinite or meaningless).
"""

from __future__ import annotations

import math

import numpy as np

METRICS = ("mae", "rmse", "mase", "smape", "mape")


def _pair(actual: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    if a.shape != p.shape:
        raise ValueError(f"actual {a.shape} and prediction {p.shape} differ in shape")
    return a, p


def _mask(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.isfinite(a) & np.isfinite(p)


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


def mae(actual: np.ndarray, pred: np.ndarray) -> float:
    """Mean absolute error over the positions where both values are finite."""
    a, p = _pair(actual, pred)
    m = _mask(a, p)
    return _mean(np.abs(a[m] - p[m]))


def rmse(actual: np.ndarray, pred: np.ndarray) -> float:
    """Root mean squared error over the positions where both values are finite."""
    a, p = _pair(actual, pred)
    m = _mask(a, p)
    v = _mean((a[m] - p[m]) ** 2)
    return math.sqrt(v) if math.isfinite(v) else math.nan


def smape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Symmetric MAPE in percent, ``100 * mean(2|y - yhat| / (|y| + |yhat|))``; 0/0 counts 0."""
    a, p = _pair(actual, pred)
    m = _mask(a, p)
    a, p = a[m], p[m]
    den = np.abs(a) + np.abs(p)
    num = 2.0 * np.abs(a - p)
    ratio = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return 100.0 * _mean(ratio)


def mape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Mean absolute percentage error in percent; NaN when an actual value is zero."""
    a, p = _pair(actual, pred)
    m = _mask(a, p)
    a, p = a[m], p[m]
    if a.size == 0 or np.any(a == 0):
        return math.nan
    return 100.0 * _mean(np.abs(a - p) / np.abs(a))


def naive_scale(train_values: np.ndarray, lag: int = 1) -> np.ndarray:
    """In-sample MAE of the naive forecast ``y[t-lag]`` on the training part, per target.

    Parameters
    ----------
    train_values : ndarray, shape (N,) or (N, K)
        The training part of the target(s) in the data's units (NaN allowed).
    lag : int
        1 for the one-step naive forecast.

    Returns
    -------
    ndarray, shape (K,)
        NaN for a target with fewer than ``lag + 1`` finite values.
    """
    y = np.asarray(train_values, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    out = np.full(y.shape[1], math.nan)
    if y.shape[0] > lag:
        d = np.abs(y[lag:] - y[:-lag])  # (N - lag, K)
        for k in range(y.shape[1]):
            dk = d[:, k][np.isfinite(d[:, k])]
            if dk.size:
                out[k] = float(dk.mean())
    return out


def mase(actual: np.ndarray, pred: np.ndarray, scale: np.ndarray | float) -> float:
    """MAE divided by the training part's naive MAE, per target (last axis), then averaged.

    Parameters
    ----------
    actual, pred : ndarray, shape (..., K) or (N,)
    scale : float or ndarray of shape (K,)
        From :func:`naive_scale`. A zero or non-finite scale gives NaN for that target.
    """
    a, p = _pair(actual, pred)
    if a.ndim == 1:
        a, p = a[:, None], p[:, None]
    a = a.reshape(-1, a.shape[-1])
    p = p.reshape(-1, p.shape[-1])
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (a.shape[1],))
    vals = []
    for k in range(a.shape[1]):
        e = mae(a[:, k], p[:, k])
        if math.isfinite(e) and math.isfinite(s[k]) and s[k] > 0:
            vals.append(e / s[k])
        else:
            vals.append(math.nan)
    return float(np.mean(vals)) if vals and all(math.isfinite(v) for v in vals) else math.nan


def mape_allowed(values: np.ndarray) -> bool:
    """True when MAPE is meaningful: no value of the series is exactly zero (NaN ignored)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return bool(v.size) and not bool(np.any(v == 0))


def score(
    actual: np.ndarray,
    pred: np.ndarray,
    *,
    scale: np.ndarray | float | None = None,
    allow_mape: bool = False,
) -> dict[str, float]:
    """All metrics of one forecast as a JSON-ready dict.

    Parameters
    ----------
    actual, pred : ndarray, same shape
    scale : float or ndarray of shape (K,), optional
        Naive MAE of the training part (:func:`naive_scale`); without it MASE is left out.
    allow_mape : bool
        Include MAPE (pass :func:`mape_allowed` of the whole target series).

    Returns
    -------
    dict
        ``mae``, ``rmse``, ``smape``, ``mase`` (when ``scale`` is given), ``mape`` (when
        allowed) and ``n``, the number of scored values.
    """
    a, p = _pair(actual, pred)
    out = {"mae": mae(a, p), "rmse": rmse(a, p)}
    if scale is not None:
        out["mase"] = mase(a, p, scale)
    out["smape"] = smape(a, p)
    if allow_mape:
        out["mape"] = mape(a, p)
    out["n"] = int(_mask(a, p).sum())
    return out
