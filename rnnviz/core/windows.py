"""Training windows: strided views of a prepared series, split without leakage.

Window semantics (``docs/architecture.md``)
------------------------------------------
With lookback ``T``, sampling ``step``, ``delay`` and ``horizon``, a window that starts at row
``start`` reads the input rows ``start, start+step, ..., end`` with ``end = start + (T-1)*step``
and predicts the target rows ``end+delay+1 .. end+delay+horizon``. One window therefore spans
``rows_per_window = (T-1)*step + delay + horizon + 1`` rows. Window starts lie on the grid
``0, stride, 2*stride, ...``.

A window belongs to the part (train / validation / test) that holds its first target row.
Training windows also have every target row before ``train_end``, and validation windows
every target row before ``val_end``, so no value of a later part is ever used as a target of
an earlier one (inputs may reach back into earlier parts: that is history, not leakage).
Windows that read a row whose ``valid`` flag is False (missing values with the "drop"
policy) are left out.

``Windows.X`` and ``Windows.Y`` are read-only strided views of ``PreparedSeries.scaled``
(``numpy.lib.stride_tricks.sliding_window_view``), not copies. Only when the "drop" policy
removes windows from the middle of a part are they gathered into a copy, because the kept
starts are then no longer evenly spaced. Index them (``X[batch_rows]``) to get a contiguous,
writeable batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnviz.core.errors import ConfigError, DataError
from rnnviz.core.scaling import Scaler

if TYPE_CHECKING:  # pragma: no cover
    from rnnviz.core.config import DataConfig
    from rnnviz.core.series import PreparedSeries

__all__ = ["Windows", "WindowSplits", "build_windows", "rows_per_window", "window_rows"]

PARTS = ("train", "val", "test")
PART_TITLES = {"train": "training", "val": "validation", "test": "test"}


def rows_per_window(lookback: int, horizon: int, step: int = 1, delay: int = 0) -> int:
    """Rows one window spans: ``(lookback-1)*step + delay + horizon + 1``.

    Parameters
    ----------
    lookback, horizon, step, delay : int
        As in :class:`~rnnviz.core.config.DataConfig`.

    Returns
    -------
    int
    """
    return (lookback - 1) * step + delay + horizon + 1


def window_rows(start: int, lookback: int, horizon: int, step: int = 1, delay: int = 0):
    """Input rows and target rows of the window starting at ``start``.

    Returns
    -------
    inputs : numpy.ndarray
        (lookback,) int64 rows ``start, start+step, ..., end``.
    targets : numpy.ndarray
        (horizon,) int64 rows ``end+delay+1 .. end+delay+horizon``.
    """
    inputs = start + step * np.arange(lookback, dtype=np.int64)
    end = int(inputs[-1])
    targets = end + delay + 1 + np.arange(horizon, dtype=np.int64)
    return inputs, targets


@dataclass(frozen=True, eq=False)
class Windows:
    """The windows of one part (train, validation or test).

    Attributes
    ----------
    X : numpy.ndarray
        (n, T, F) float32 model inputs (scaled); a read-only strided view when built from a
        series.
    Y : numpy.ndarray
        (n, horizon, K) float32 targets (scaled).
    start : numpy.ndarray
        (n,) int64 first row of each window (for sequence tasks: the sample number).
    target_rows : numpy.ndarray
        (n, horizon) int64 rows each target comes from (for sequence tasks, which have no
        underlying series: -1).
    """

    X: np.ndarray
    Y: np.ndarray
    start: np.ndarray
    target_rows: np.ndarray

    def __post_init__(self) -> None:
        X, Y = self.X, self.Y
        if X.ndim != 3 or Y.ndim != 3 or X.shape[0] != Y.shape[0]:
            raise ConfigError(
                "bad_windows",
                f"Windows need X (n, T, F) and Y (n, horizon, K) with the same n; "
                f"got {X.shape} and {Y.shape}.",
            )
        n = X.shape[0]
        if self.start.shape != (n,) or self.target_rows.shape != (n, Y.shape[1]):
            raise ConfigError(
                "bad_windows",
                f"Windows.start must be ({n},) and target_rows ({n}, {Y.shape[1]}); got "
                f"{self.start.shape} and {self.target_rows.shape}.",
            )

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # X and Y view the series (every window overlaps the next): pickled as they are,
        # numpy would copy each window whole (lookback times the data); pickle the series
        # and where the views lie in it instead (for the training process)
        return _unpickle_windows, (_pack_view(self.X), _pack_view(self.Y), self.start,
                                   self.target_rows)

    @property
    def n(self) -> int:
        """Number of windows."""
        return int(self.X.shape[0])

    @property
    def lookback(self) -> int:
        """Time steps per window, T."""
        return int(self.X.shape[1])

    @property
    def horizon(self) -> int:
        """Predicted steps per window."""
        return int(self.Y.shape[1])

    @classmethod
    def from_arrays(cls, X: np.ndarray, Y: np.ndarray, start: np.ndarray | None = None) -> Windows:
        """Windows of a sequence task, from plain arrays (copied to float32).

        Parameters
        ----------
        X : numpy.ndarray
            (n, T, F) inputs.
        Y : numpy.ndarray
            (n, horizon, K) targets.
        start : numpy.ndarray, optional
            (n,) sample numbers; default ``0 .. n-1``.

        Raises
        ------
        DataError
            When a value is NaN or infinite (nothing non-finite may reach a model).
        """
        X = np.ascontiguousarray(X, dtype=np.float32)
        Y = np.ascontiguousarray(Y, dtype=np.float32)
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise DataError("non_finite", "Sequence-task windows contain NaN or infinite values.")
        n = X.shape[0] if X.ndim == 3 else -1
        start_arr = np.arange(n, dtype=np.int64) if start is None else np.asarray(start, np.int64)
        rows = np.full((max(n, 0), Y.shape[1] if Y.ndim == 3 else 0), -1, dtype=np.int64)
        return cls(X, Y, start_arr, rows)

    @classmethod
    def empty(cls, lookback: int, n_features: int, horizon: int, n_targets: int) -> Windows:
        """A part with no windows (for a split fraction of 0)."""
        return cls(
            np.zeros((0, lookback, n_features), np.float32),
            np.zeros((0, horizon, n_targets), np.float32),
            np.zeros(0, np.int64),
            np.zeros((0, horizon), np.int64),
        )


def _owner(a: np.ndarray) -> np.ndarray:
    """The array whose memory ``a`` views (through slices and ``as_strided`` wrappers)."""
    root = a
    while True:
        base = root.base
        if isinstance(base, np.ndarray):
            root = base
        elif base is not None and isinstance(getattr(base, "base", None), np.ndarray):
            root = base.base  # as_strided / sliding_window_view keep x in a DummyArray
        else:
            return root


def _pack_view(a: np.ndarray) -> Any:
    """``a``, or ``("view", owner, offset, shape, strides, writeable)`` when ``a`` is a
    non-negative-strided view of a C-contiguous array of its dtype (far smaller to pickle)."""
    root = _owner(a)
    if (root is a or not root.flags.c_contiguous or root.dtype != a.dtype
            or any(st < 0 for st in a.strides) or a.size == 0):
        return a
    offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    last = offset + sum((n - 1) * st for n, st in zip(a.shape, a.strides, strict=True))
    if offset < 0 or last + a.itemsize > root.nbytes:
        return a
    return ("view", root, offset, a.shape, a.strides, bool(a.flags.writeable))


def _unpack_view(p: Any) -> np.ndarray:
    """The array :func:`_pack_view` packed."""
    if isinstance(p, np.ndarray):
        return p
    _, root, offset, shape, strides, writeable = p
    out = np.ndarray(shape, root.dtype, buffer=root, offset=offset, strides=strides)
    out.flags.writeable = writeable and root.flags.writeable
    return out


def _unpickle_windows(X: Any, Y: Any, start: np.ndarray, target_rows: np.ndarray) -> Windows:
    return Windows(_unpack_view(X), _unpack_view(Y), start, target_rows)


@dataclass(frozen=True, eq=False)
class WindowSplits:
    """Train, validation and test windows and what they were built from.

    Attributes
    ----------
    train, val, test : Windows
        The three parts; a part whose split fraction is 0 holds no windows.
    series : PreparedSeries or None
        The series the windows view; ``None`` for generated sequence tasks.
    feature_names : tuple of str
        F input names (targets first when built from a series).
    target_names : tuple of str
        K target names.
    horizon : int
        Steps predicted per window.
    lookback : int
        Time steps per window, T.
    scaler : Scaler or None
        The scaling that was applied to X and Y (``scaler.inverse_targets(Y)`` gives original
        units); ``None`` means X and Y are already in original units. ``build_windows`` sets
        it to ``series.scaler``.
    step : int
        Sampling stride inside a window.
    delay : int
        Steps between a window's last input row and its first target row, minus one.
    """

    train: Windows
    val: Windows
    test: Windows
    series: PreparedSeries | None
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    horizon: int
    lookback: int
    scaler: Scaler | None = None
    step: int = 1
    delay: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def n_features(self) -> int:
        """F, the number of model inputs."""
        return len(self.feature_names)

    @property
    def n_targets(self) -> int:
        """K, the number of targets."""
        return len(self.target_names)

    def parts(self) -> dict[str, Windows]:
        """``{"train": ..., "val": ..., "test": ...}``."""
        return {"train": self.train, "val": self.val, "test": self.test}


def _grid_range(lo: int, hi: int, stride: int) -> tuple[int, int]:
    """Indices k (into the start grid ``k*stride``) with ``lo <= k*stride <= hi``: [k0, k1)."""
    if hi < lo or hi < 0:
        return 0, 0
    k0 = -(-max(lo, 0) // stride)
    k1 = hi // stride + 1
    return k0, max(k0, k1)


def build_windows(series: PreparedSeries, cfg: DataConfig) -> WindowSplits:
    """Cut a prepared series into train / validation / test windows.

    Parameters
    ----------
    series : PreparedSeries
        Output of :func:`rnnviz.core.series.prepare_series`.
    cfg : DataConfig
        ``lookback``, ``horizon``, ``step``, ``delay`` and ``stride`` are used.

    Returns
    -------
    WindowSplits
        With ``scaler=series.scaler``.

    Raises
    ------
    DataError
        When the training part, or a validation / test part that the split asks for, holds no
        complete window, or when the data hold non-finite values.
    """
    T, H, step, delay, stride = cfg.lookback, cfg.horizon, cfg.step, cfg.delay, cfg.stride
    scaled = series.scaled  # (N, F)
    N, F = scaled.shape
    K = len(series.target_names)
    span = rows_per_window(T, H, step, delay)
    if not np.isfinite(scaled).all():  # prepare_series guarantees it; never let NaN through
        raise DataError(
            "non_finite",
            "The prepared series still holds NaN or infinite values; prepare it with a "
            "missing-value policy before building windows.",
        )
    lead = (T - 1) * step + delay + 1  # first target row = start + lead
    n_starts = N - span + 1
    notes: list[str] = []
    if n_starts <= 0:
        raise DataError(
            "too_short",
            f"The series has {N} rows but one window needs {span} rows "
            f"((lookback-1)*step + delay + horizon + 1 = ({T}-1)*{step} + {delay} + {H} + 1). "
            "Use a shorter lookback or horizon, or a longer series.",
        )
    # All windows on the start grid, as views: (n_all, T, F) and (n_all, H, K).
    X_all = sliding_window_view(scaled, (T - 1) * step + 1, axis=0)[::stride, :, ::step]
    X_all = X_all.transpose(0, 2, 1)  # (n_all, T, F)
    Y_all = sliding_window_view(scaled[lead:, :K], H, axis=0)[::stride].transpose(0, 2, 1)
    n_all = min(X_all.shape[0], Y_all.shape[0])  # both are ceil(n_starts / stride)
    bad_all = None
    if not series.valid.all():
        bad_rows = ~series.valid
        bad_in = sliding_window_view(bad_rows, (T - 1) * step + 1)[::stride, ::step].any(axis=1)
        bad_out = sliding_window_view(bad_rows[lead:], H)[::stride].any(axis=1)
        bad_all = bad_in[:n_all] | bad_out[:n_all]

    bounds = {
        # part: (first target row >= a, last target row < b)
        "train": (0, series.train_end),
        "val": (series.train_end, series.val_end),
        "test": (series.val_end, N),
    }
    requested = dict(zip(PARTS, series.parts_requested, strict=True))
    parts: dict[str, Windows] = {}
    for name, (a, b) in bounds.items():
        # start + lead >= a  and  start + lead + H - 1 <= b - 1
        k0, k1 = _grid_range(a - lead, b - lead - H, stride)
        k1 = min(k1, n_all)
        k0 = min(k0, k1)
        starts = np.arange(k0, k1, dtype=np.int64) * stride
        X, Y = X_all[k0:k1], Y_all[k0:k1]
        if bad_all is not None:
            keep = ~bad_all[k0:k1]
            dropped = int((~keep).sum())
            if dropped:
                notes.append(
                    f"Left out {dropped} {PART_TITLES[name]} window(s) that touch missing values."
                )
                X, Y, starts = X[keep], Y[keep], starts[keep]
        if len(starts) == 0 and requested[name]:
            raise DataError("part_too_small", _too_small_message(name, series, cfg, a, b))
        target_rows = starts[:, None] + lead + np.arange(H, dtype=np.int64)
        parts[name] = Windows(X, Y, starts, target_rows)
    return WindowSplits(
        parts["train"],
        parts["val"],
        parts["test"],
        series,
        tuple(series.feature_names),
        tuple(series.target_names),
        H,
        T,
        scaler=series.scaler,
        step=step,
        delay=delay,
        notes=tuple(notes),
    )


def _too_small_message(name: str, series: PreparedSeries, cfg: DataConfig, a: int, b: int) -> str:
    span = rows_per_window(cfg.lookback, cfg.horizon, cfg.step, cfg.delay)
    title = PART_TITLES[name]
    formula = (
        f"(lookback-1)*step + delay + horizon + 1 = ({cfg.lookback}-1)*{cfg.step} + "
        f"{cfg.delay} + {cfg.horizon} + 1 = {span}"
    )
    if not series.valid.all():
        why = (
            f"The {title} part (rows {a}-{b - 1}) holds no window free of missing values. "
            f"Each window reads {span} rows ({formula}). Use missing='interpolate' or "
            "'ffill', or a shorter lookback."
        )
        return why
    if name == "train":
        return (
            f"The training part has {b} rows but one window needs {span} rows ({formula}). "
            "Use a shorter lookback or horizon, a larger training fraction, or a longer series."
        )
    if b - a >= cfg.horizon and cfg.stride > 1:
        return (
            f"The {title} part has {b - a} rows, but with {cfg.stride} rows between window "
            f"starts (stride) no window's {cfg.horizon} target rows fall inside it; it needs up "
            f"to horizon + stride - 1 = {cfg.horizon + cfg.stride - 1} rows. Each window spans "
            f"{span} rows ({formula}). Use a smaller stride or a larger {title} part."
        )
    return (
        f"The {title} part has {b - a} rows but needs at least {cfg.horizon} (the horizon) to "
        f"hold one window's targets; each window spans {span} rows ({formula}). Make the "
        f"{title} fraction larger, shorten the horizon, or use a longer series."
    )
