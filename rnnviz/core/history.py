"""RunHistory: everything a run has reported so far, kept for drawing and export.

The window's slot adds each event as it arrives (GUI thread only) and marks views dirty;
views read arrays from here at their own redraw rate. The command line uses the same class
to write ``history.csv`` and figures, so the window and the CLI show the same numbers.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from rnnviz.core.events import (
    BatchDone,
    Diverged,
    EpochDone,
    Finished,
    ForecastReady,
    ProbeReady,
    Started,
)

GROUPS = ("input", "recurrent", "bias", "head")
_BATCH_COLUMNS = ("step", "loss", "grad_norm", "lr") + tuple(f"grad_{g}" for g in GROUPS)
HISTORY_COLUMNS = ("epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds")


class RunHistory:
    """Accumulates the events of one training run.

    Parameters
    ----------
    max_snapshots : int
        Probe snapshots kept for the training-timeline slider. When exceeded, every other
        old snapshot is dropped (the first and the latest are always kept), so the timeline
        spans the whole run at a coarser resolution.

    Attributes
    ----------
    version : int
        Incremented by every event; a view redraws when it differs from what it drew.
    """

    def __init__(self, max_snapshots: int = 200) -> None:
        self.max_snapshots = max_snapshots
        self.clear()

    def clear(self) -> None:
        """Forget everything (a new run)."""
        self.started: Started | None = None
        self.last_batch: BatchDone | None = None  # the latest batch (its epoch, its step)
        # per-batch columns live in growing numpy buffers (capacity doubles), so reading
        # them costs O(1) per redraw instead of rebuilding arrays from lists
        self._n = 0
        self._buf: dict[str, np.ndarray] = {
            name: np.empty(1024, dtype=np.int64 if name == "step" else np.float64)
            for name in _BATCH_COLUMNS
        }
        self.epochs: list[EpochDone] = []
        self.snapshots: list[ProbeReady] = []
        self.forecast: ForecastReady | None = None
        self.diverged: Diverged | None = None
        self.finished: Finished | None = None
        self.lr_changes: list[tuple[int, float]] = []
        self.version = 0

    # ------------------------------------------------------------------ adding
    def add(self, event: object) -> None:
        """Record one event from :func:`rnnviz.core.training.train`."""
        if isinstance(event, BatchDone):
            n = self._n
            if n and not math.isclose(self._buf["lr"][n - 1], event.lr, rel_tol=1e-9):
                self.lr_changes.append((event.step, event.lr))
            if n == self._buf["step"].size:
                for name, a in self._buf.items():
                    grown = np.empty(2 * a.size, dtype=a.dtype)
                    grown[:n] = a[:n]
                    self._buf[name] = grown
            row = {"step": event.step, "loss": event.loss, "grad_norm": event.grad_norm,
                   "lr": event.lr}
            row.update({f"grad_{g}": event.group_norms.get(g, math.nan) for g in GROUPS})
            for name, value in row.items():
                self._buf[name][n] = value
            self._n = n + 1
            self.last_batch = event
        elif isinstance(event, EpochDone):
            self.epochs.append(event)
        elif isinstance(event, ProbeReady):
            self.snapshots.append(event)
            if len(self.snapshots) > self.max_snapshots:
                # every other older snapshot goes; [::2] keeps the first, then the latest
                self.snapshots = self.snapshots[:-1:2] + [self.snapshots[-1]]
        elif isinstance(event, ForecastReady):
            self.forecast = event
        elif isinstance(event, Started):
            self.started = event
        elif isinstance(event, Diverged):
            self.diverged = event
        elif isinstance(event, Finished):
            self.finished = event
        else:
            raise TypeError(f"RunHistory cannot record {type(event).__name__}")
        self.version += 1

    # ------------------------------------------------------------------ reading
    @property
    def n_batches(self) -> int:
        """Number of batches recorded."""
        return self._n

    @property
    def latest_trace(self):
        """The most recent :class:`~rnnviz.core.trace.Trace`, or None."""
        return self.snapshots[-1].trace if self.snapshots else None

    def batch_arrays(self) -> dict[str, np.ndarray]:
        """Per-batch series: ``step``, ``loss``, ``grad_norm``, ``lr`` and ``grad_<group>``
        for each parameter group.

        The arrays are read-only views of the history's buffers (no copy); copy them to keep
        them past the next event.
        """
        out = {}
        for name, a in self._buf.items():
            v = a[: self._n]
            v.flags.writeable = False
            out[name] = v
        return out

    def epoch_arrays(self) -> dict[str, np.ndarray]:
        """Per-epoch columns of ``history.csv`` as arrays (plus ``step``)."""
        cols = {c: [] for c in HISTORY_COLUMNS + ("step",)}
        for e in self.epochs:
            for c in cols:
                cols[c].append(getattr(e, c))
        return {c: np.asarray(v, dtype=np.int64 if c in ("epoch", "step") else np.float64)
                for c, v in cols.items()}

    def write_history_csv(self, path: str | Path) -> Path:
        """Write one row per epoch: epoch, train_loss, val_loss, lr, grad_norm, seconds."""
        path = Path(path)
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HISTORY_COLUMNS)
            for e in self.epochs:
                w.writerow([e.epoch] + [repr(float(getattr(e, c))) for c in HISTORY_COLUMNS[1:]])
        return path


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` points (shorter at the start), NaN-aware.

    Parameters
    ----------
    values : ndarray, shape (N,)
    window : int
        Number of points averaged; the plots state it.

    Returns
    -------
    ndarray, shape (N,)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0 or window <= 1:
        return v.copy()
    ok = np.isfinite(v)
    csum = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(ok)])
    idx = np.arange(1, v.size + 1)
    lo = np.maximum(0, idx - window)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (csum[idx] - csum[lo]) / (ccount[idx] - ccount[lo])
