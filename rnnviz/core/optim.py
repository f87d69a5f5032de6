"""Factories for the optimizer, the learning-rate schedule and the loss of a training run.

Each reads a :class:`~rnnviz.core.config.TrainConfig`, so the settings saved with a run are
the whole recipe. Schedules step once per epoch (``plateau`` with the validation loss).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from rnnviz.core.config import TrainConfig
from rnnviz.core.errors import ConfigError

HUBER_DELTA = 1.0
"""Huber loss threshold, in scaled units (one standard deviation with the standard scaler)."""


def make_optimizer(params: Iterable[nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """Build the optimizer named by ``cfg.optimizer``.

    Parameters
    ----------
    params : iterable of Parameter
    cfg : TrainConfig
        Uses ``optimizer``, ``lr``, ``momentum`` (SGD, and RMSprop's momentum is left at 0)
        and ``weight_decay`` (decoupled for AdamW, L2 for the others). The multi-tensor
        (``foreach``) implementations are used on every device: on the CPU they take fewer
        Python-level steps for the many small tensors of a recurrent model.

    Returns
    -------
    torch.optim.Optimizer
    """
    params = list(params)
    name, lr, wd = cfg.optimizer, cfg.lr, cfg.weight_decay
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, weight_decay=wd,
                               foreach=True)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd, foreach=True)
    raise ConfigError("bad_choice", f"Unknown optimizer {name!r}.")


class Schedule:
    """Per-epoch learning-rate schedule that respects learning-rate changes made by hand.

    ``constant`` never changes the rate; ``step`` multiplies it by ``schedule_gamma`` every
    ``schedule_step`` epochs; ``cosine`` anneals it towards 0 over ``epochs`` epochs;
    ``plateau`` multiplies it by ``schedule_gamma`` after ``schedule_step`` epochs without a
    better validation loss. All are multiplicative on the optimizer's current rate, so a rate
    set with :meth:`rnnviz.core.training.TrainingControl.set_lr` is the new starting point.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    cfg : TrainConfig
    """

    def __init__(self, optimizer: torch.optim.Optimizer, cfg: TrainConfig) -> None:
        self.optimizer = optimizer
        self.kind = cfg.schedule
        self.every = cfg.schedule_step
        self.gamma = cfg.schedule_gamma
        self.epochs = cfg.epochs
        self.best = float("inf")
        self.bad_epochs = 0

    def _scale(self, factor: float) -> None:
        for g in self.optimizer.param_groups:
            g["lr"] = g["lr"] * factor

    def step(self, epoch: int, val_loss: float | None = None) -> None:
        """Update the rate after ``epoch`` (1-based) finished with ``val_loss``."""
        if self.kind == "step":
            if epoch % self.every == 0:
                self._scale(self.gamma)
        elif self.kind == "cosine":
            # ratio of consecutive cosine factors: lr_e = lr_0 * (1 + cos(pi e / E)) / 2
            E = self.epochs
            prev = (1 + math.cos(math.pi * (epoch - 1) / E)) / 2
            cur = (1 + math.cos(math.pi * min(epoch, E) / E)) / 2
            if prev > 0:
                self._scale(max(cur / prev, 0.0))
        elif self.kind == "plateau":
            if val_loss is None or not math.isfinite(val_loss):  # NaN counts as no improvement
                self.bad_epochs += 1
            elif val_loss < self.best * (1 - 1e-4):
                self.best = val_loss
                self.bad_epochs = 0
            else:
                self.bad_epochs += 1
            if self.bad_epochs >= self.every:
                self._scale(self.gamma)
                self.bad_epochs = 0

    @property
    def lr(self) -> float:
        """Current learning rate of the first parameter group."""
        return float(self.optimizer.param_groups[0]["lr"])


def make_schedule(optimizer: torch.optim.Optimizer, cfg: TrainConfig) -> Schedule:
    """Build the per-epoch schedule named by ``cfg.schedule`` (see :class:`Schedule`)."""
    return Schedule(optimizer, cfg)


def make_loss(name: str) -> nn.Module:
    """Loss module by name: ``mse``, ``mae`` (L1) or ``huber`` (delta :data:`HUBER_DELTA`).

    The loss is the mean over every element (batch, horizon, targets).
    """
    if name == "mse":
        return nn.MSELoss()
    if name == "mae":
        return nn.L1Loss()
    if name == "huber":
        return nn.HuberLoss(delta=HUBER_DELTA)
    raise ConfigError("bad_choice", f"loss must be one of mse, mae, huber; got {name!r}.")


def loss_numpy(name: str, pred, target) -> float:
    """The same loss as :func:`make_loss` on numpy arrays (NaN positions ignored).

    Used for baselines, which are not torch modules.
    """
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    m = np.isfinite(p) & np.isfinite(t)
    if not m.any():
        return float("nan")
    d = p[m] - t[m]
    if name == "mse":
        return float(np.mean(d**2))
    if name == "mae":
        return float(np.mean(np.abs(d)))
    if name == "huber":
        a = np.abs(d)
        return float(np.mean(np.where(a < HUBER_DELTA, 0.5 * d**2, HUBER_DELTA * (a - 0.5 * HUBER_DELTA))))
    raise ConfigError("bad_choice", f"loss must be one of mse, mae, huber; got {name!r}.")
