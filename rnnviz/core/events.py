"""Immutable events yielded by :func:`rnnviz.core.training.train`.

Events carry plain Python numbers and float32 numpy copies only, never live tensors, so
the window can keep them after the worker thread has moved on. The consumer (command line,
window, lesson runner) decides what to do with them; the trainer knows nothing of who
listens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.trace import Trace


@dataclass(frozen=True)
class Started:
    """Training is about to begin.

    Attributes
    ----------
    epochs : int
        Epochs planned.
    batches_per_epoch : int
    n_train, n_val, n_test : int
        Number of windows in each part.
    device : str
        ``"cpu"`` or ``"cuda:0"``.
    baseline_losses : dict of str to float
        Validation loss (same loss function, scaled units) of each baseline on the same
        windows, for the horizontal lines of the loss plot.
    note : str
        Anything the user should know (e.g. "peephole LSTM trains through hand-written
        cells: about 3x slower").
    """

    epochs: int
    batches_per_epoch: int
    n_train: int
    n_val: int
    n_test: int
    device: str
    baseline_losses: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class BatchDone:
    """One optimisation step finished.

    Attributes
    ----------
    epoch : int
        1-based epoch.
    batch : int
        1-based batch within the epoch.
    step : int
        1-based global step.
    loss : float
        Training loss of this batch (scaled units).
    grad_norm : float
        Global L2 norm of the gradient before clipping.
    group_norms : dict of str to float
        Gradient norm per parameter group: ``input``, ``recurrent``, ``bias``, ``head``.
    lr : float
        Learning rate used for this step.
    elapsed : float
        Seconds of training since the run began, on the engine's clock, time spent paused
        left out (NaN when unknown). Rates computed from it do not depend on when the
        events reach a window.
    """

    epoch: int
    batch: int
    step: int
    loss: float
    grad_norm: float
    group_norms: dict[str, float]
    lr: float
    elapsed: float = math.nan


@dataclass(frozen=True)
class EpochDone:
    """One epoch finished.

    Attributes
    ----------
    train_loss, val_loss : float
        Mean loss over the epoch's training batches, and on the validation windows.
    lr : float
        Learning rate at the end of the epoch.
    grad_norm : float
        Mean global gradient norm over the epoch.
    seconds : float
        Wall time of the epoch (training and validation).
    metrics : dict
        Validation metrics in the data's units, e.g. ``{"mae": ..., "rmse": ...}``.
    improved : bool
        True when the validation loss is the best so far.
    """

    epoch: int
    step: int
    train_loss: float
    val_loss: float
    lr: float
    grad_norm: float
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    improved: bool = False


@dataclass(frozen=True)
class ProbeReady:
    """A probe replayed the fixed windows through the twin cells."""

    step: int
    epoch: int
    trace: Trace


@dataclass(frozen=True)
class ForecastReady:
    """Forecasts over the held-out part, in the data's units.

    Attributes
    ----------
    epoch : int
    index : ndarray of int64, shape (N,)
        Row numbers of the series that ``actual``, ``one_step`` and ``recursive`` cover
        (validation and test rows).
    actual : ndarray, shape (N, K)
    one_step : ndarray, shape (N, K)
        Teacher-forced one-step-ahead predictions (NaN where no window ends before the row).
    recursive : ndarray, shape (N, K)
        Free-running forecast started where the training part ends, each prediction fed
        back as the next input.
    future : ndarray, shape (S, K)
        Forecast past the end of the data (rows ``n_rows .. n_rows + S - 1``).
    metrics : dict
        ``{split: {name: {metric: value}}}`` for split in ``validation``/``test`` and name
        in ``one_step``, ``recursive`` and each baseline.
    note : str
        How exogenous inputs were handled in the recursive forecast.
    """

    epoch: int
    index: np.ndarray
    actual: np.ndarray
    one_step: np.ndarray
    recursive: np.ndarray
    future: np.ndarray
    metrics: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Diverged:
    """The loss or a gradient became NaN or infinite; training stops.

    The model then holds the best epoch's weights (with ``restore_best`` and at least one
    epoch done) or the last finite step's; the message says which.

    Attributes
    ----------
    step, epoch, batch : int
        Where it happened.
    what : str
        ``"loss"`` or ``"gradient"``.
    message : str
        Plain-language explanation with the fix (lower the learning rate, enable clipping).
    """

    step: int
    epoch: int
    batch: int
    what: str
    message: str


@dataclass(frozen=True)
class Finished:
    """Training ended.

    Attributes
    ----------
    reason : {"completed", "stopped", "early_stopping", "diverged"}
    epochs_run : int
    steps : int
    best_epoch : int
        Epoch of the lowest validation loss (0 when none ran).
    best_val_loss : float
    seconds : float
    """

    reason: str
    epochs_run: int
    steps: int
    best_epoch: int
    best_val_loss: float
    seconds: float


Event = Started | BatchDone | EpochDone | ProbeReady | ForecastReady | Diverged | Finished
