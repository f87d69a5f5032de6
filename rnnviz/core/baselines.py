"""Baselines a model must beat, computed on exactly the windows the model is scored on.

All work in scaled units on windows (inputs ``(n, T, F)``, predictions ``(n, horizon, K)``);
callers bring the predictions back to the data's units with the scaler before scoring.

- **naive** (last value, the Jena deck's "common-sense" baseline): every predicted step is the
  target's value on the window's last input row.
- **seasonal naive**: each target row gets the value one or more whole seasons earlier, the
  most recent such row at or before the window's last input row (``r - m * ceil((r - end) / m)``).
  Needs the underlying series, so it is left out for generated sequence tasks.
- **mean**: the mean of the training targets (per target), the same for every window.
- **dense**: a small fully connected network on the flattened window (the Jena deck's
  "densely connected" baseline: Flatten -> Dense(32, relu) -> Dense(horizon * K)), trained with
  Adam on the training windows for a fixed, seeded budget and kept at its best validation
  epoch. It standardises its inputs itself, so it also works on unscaled sequence tasks.

The targets are features ``0 .. K-1`` of a series' windows (see :mod:`rnnviz.core.windows`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from rnnviz.core.optim import loss_numpy, make_loss

__all__ = [
    "DenseBaseline",
    "as_tensor",
    "fit_dense",
    "last_value",
    "mean_value",
    "seasonal_naive",
]

DENSE_HIDDEN = 32
DENSE_MIN_STEPS = 200
DENSE_MAX_STEPS = 600
DENSE_EPOCHS = 20


def as_tensor(a: np.ndarray) -> torch.Tensor:
    """A float32 CPU tensor of an array, copying only when it is read-only or strided."""
    a = np.asarray(a, dtype=np.float32)
    if not (a.flags.writeable and a.flags.c_contiguous):
        a = np.array(a, dtype=np.float32, order="C", copy=True)
    return torch.from_numpy(a)


def last_value(X: np.ndarray, horizon: int, n_targets: int) -> np.ndarray:
    """Last-value forecast: the target on each window's last input row, for every step.

    Parameters
    ----------
    X : ndarray, shape (n, T, F)
        Windows whose first ``n_targets`` features are the targets.
    horizon : int
    n_targets : int

    Returns
    -------
    ndarray, shape (n, horizon, K), float32
    """
    last = np.asarray(X[:, -1, :n_targets], dtype=np.float32)  # (n, K)
    return np.repeat(last[:, None, :], horizon, axis=1)  # (n, horizon, K)


def seasonal_naive(
    values: np.ndarray, end_rows: np.ndarray, target_rows: np.ndarray, season: int
) -> np.ndarray:
    """Seasonal-naive forecast of target rows from the history up to each window's end.

    Parameters
    ----------
    values : ndarray, shape (N, K)
        The target series (scaled or original units; the result is in the same units).
    end_rows : ndarray of int, shape (n,)
        Last input row of each window.
    target_rows : ndarray of int, shape (n, horizon)
        Rows to forecast (each after its window's end).
    season : int
        Season length m >= 1.

    Returns
    -------
    ndarray, shape (n, horizon, K), float64
        ``values[r - m * ceil((r - end) / m)]``; NaN where that row is before the series.
    """
    values = np.asarray(values, dtype=np.float64)
    end = np.asarray(end_rows, dtype=np.int64)[:, None]  # (n, 1)
    rows = np.asarray(target_rows, dtype=np.int64)  # (n, h)
    m = int(season)
    ahead = rows - end  # (n, h) >= 1
    src = rows - m * (-(-ahead // m))  # r - m * ceil(ahead / m)  (n, h)
    ok = src >= 0
    out = np.full(rows.shape + (values.shape[1],), np.nan)
    out[ok] = values[src[ok]]
    return out


def mean_value(train_Y: np.ndarray, n: int) -> np.ndarray:
    """The training targets' mean per target, repeated for ``n`` windows.

    Parameters
    ----------
    train_Y : ndarray, shape (n_train, horizon, K)
    n : int

    Returns
    -------
    ndarray, shape (n, horizon, K), float32
    """
    Y = np.asarray(train_Y, dtype=np.float64)
    mu = Y.reshape(-1, Y.shape[-1]).mean(axis=0) if Y.size else np.zeros(Y.shape[-1])
    return np.broadcast_to(mu.astype(np.float32), (n, Y.shape[1], Y.shape[2])).copy()


class DenseBaseline(nn.Module):
    """Flatten -> Linear(T*F, 32) -> ReLU -> Linear(32, horizon*K), with built-in standardising.

    Parameters
    ----------
    lookback, n_features, horizon, n_targets : int
    x_mean, x_std : ndarray, shape (F,)
        Input standardisation (from the training windows).
    y_mean, y_std : ndarray, shape (K,)
        Target standardisation (from the training targets).
    """

    def __init__(self, lookback: int, n_features: int, horizon: int, n_targets: int,
                 x_mean: np.ndarray, x_std: np.ndarray, y_mean: np.ndarray,
                 y_std: np.ndarray) -> None:
        super().__init__()
        self.horizon, self.n_targets = horizon, n_targets
        self.register_buffer("x_mean", torch.as_tensor(x_mean, dtype=torch.float32))
        self.register_buffer("x_std", torch.as_tensor(x_std, dtype=torch.float32))
        self.register_buffer("y_mean", torch.as_tensor(y_mean, dtype=torch.float32))
        self.register_buffer("y_std", torch.as_tensor(y_std, dtype=torch.float32))
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(lookback * n_features, DENSE_HIDDEN),
            nn.ReLU(),
            nn.Linear(DENSE_HIDDEN, horizon * n_targets),
        )

    def forward_std(self, x: torch.Tensor) -> torch.Tensor:
        """Prediction in standardised target units: (B, T, F) -> (B, horizon, K)."""
        z = (x - self.x_mean) / self.x_std  # (B, T, F)
        return self.net(z).view(x.shape[0], self.horizon, self.n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Prediction in the windows' units: (B, T, F) -> (B, horizon, K)."""
        return self.forward_std(x) * self.y_std + self.y_mean

    @torch.no_grad()
    def predict(self, X: np.ndarray, batch: int = 4096) -> np.ndarray:
        """Predict windows given as numpy: (n, T, F) -> (n, horizon, K) float32."""
        self.eval()
        outs = []
        for i in range(0, X.shape[0], batch):
            xb = as_tensor(X[i:i + batch])
            outs.append(self(xb).numpy())
        if not outs:
            return np.zeros((0, self.horizon, self.n_targets), np.float32)
        return np.concatenate(outs).astype(np.float32, copy=False)


def _std(a: np.ndarray, axis: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    mu = a.mean(axis=axis)
    sd = a.std(axis=axis)
    sd = np.where(sd > 1e-8, sd, 1.0)
    return mu.astype(np.float32), sd.astype(np.float32)


def fit_dense(
    train_X: np.ndarray,
    train_Y: np.ndarray,
    val_X: np.ndarray | None = None,
    val_Y: np.ndarray | None = None,
    *,
    loss: str = "mse",
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 1e-3,
) -> DenseBaseline:
    """Train the dense baseline on training windows (on the CPU, seeded, fixed budget).

    The budget is :data:`DENSE_EPOCHS` epochs, but at least :data:`DENSE_MIN_STEPS` and at most
    :data:`DENSE_MAX_STEPS` optimisation steps. The weights of the epoch with the lowest
    validation loss are kept (the last epoch's when there are no validation windows). Neither
    torch's global RNG nor anything else outside is touched.

    Parameters
    ----------
    train_X : ndarray, shape (n, T, F)
    train_Y : ndarray, shape (n, horizon, K)
    val_X, val_Y : ndarray, optional
    loss : {"mse", "mae", "huber"}
        Trained on in standardised target units.
    seed : int
    batch_size : int
    lr : float

    Returns
    -------
    DenseBaseline
        In eval mode.
    """
    n, T, F = train_X.shape
    h, K = train_Y.shape[1], train_Y.shape[2]
    # Standardise from a bounded sample of training windows (cheap for long series).
    gen_np = np.random.default_rng(seed)
    sample = np.sort(gen_np.choice(n, size=min(n, 4096), replace=False)) if n else np.arange(0)
    xs = np.asarray(train_X[sample], dtype=np.float64)
    ys = np.asarray(train_Y[sample], dtype=np.float64)
    x_mean, x_std = _std(xs, (0, 1))
    y_mean, y_std = _std(ys, (0, 1))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DenseBaseline(T, F, h, K, x_mean, x_std, y_mean, y_std)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    loss_fn = make_loss(loss)
    y_mean_t, y_std_t = model.y_mean, model.y_std
    bs = max(1, min(batch_size, n))
    per_epoch = math.ceil(n / bs)
    epochs = max(DENSE_EPOCHS, math.ceil(DENSE_MIN_STEPS / per_epoch))
    epochs = max(1, min(epochs, DENSE_MAX_STEPS // per_epoch))
    has_val = val_X is not None and val_Y is not None and len(val_X) > 0
    best, best_state = math.inf, None
    steps_left = DENSE_MAX_STEPS
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen).numpy()
        for i in range(0, n, bs):
            if steps_left <= 0:
                break
            steps_left -= 1
            idx = perm[i:i + bs]
            xb = as_tensor(train_X[idx])
            yb = as_tensor(train_Y[idx])
            opt.zero_grad(set_to_none=True)
            out = model.forward_std(xb)  # (B, h, K)
            loss_t = loss_fn(out, (yb - y_mean_t) / y_std_t)
            loss_t.backward()
            opt.step()
        if has_val:
            val = loss_numpy(loss, model.predict(val_X), val_Y)
            if math.isfinite(val) and val < best:
                best = val
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return model
