"""Optimizer, schedule and loss factories."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from rnnviz.core.config import TrainConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.optim import HUBER_DELTA, loss_numpy, make_loss, make_optimizer, make_schedule


def _params():
    return [nn.Parameter(torch.zeros(3))]


@pytest.mark.parametrize(
    ("name", "cls"),
    [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD),
     ("rmsprop", torch.optim.RMSprop), ("adagrad", torch.optim.Adagrad)],
)
def test_optimizer_by_name_with_lr_and_weight_decay(name, cls):
    opt = make_optimizer(_params(), TrainConfig(optimizer=name, lr=0.02, weight_decay=0.1))
    assert type(opt) is cls
    g = opt.param_groups[0]
    assert g["lr"] == 0.02
    assert g["weight_decay"] == 0.1


def test_sgd_uses_momentum():
    opt = make_optimizer(_params(), TrainConfig(optimizer="sgd", momentum=0.7))
    assert opt.param_groups[0]["momentum"] == 0.7


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_losses_match_torch_functional_and_numpy_twin(name):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(5, 2, 1, generator=g) * 2
    b = torch.randn(5, 2, 1, generator=g) * 2
    ref = {"mse": nn.functional.mse_loss(a, b), "mae": nn.functional.l1_loss(a, b),
           "huber": nn.functional.huber_loss(a, b, delta=HUBER_DELTA)}[name]
    assert float(make_loss(name)(a, b)) == pytest.approx(float(ref), rel=1e-6)
    assert loss_numpy(name, a.numpy(), b.numpy()) == pytest.approx(float(ref), rel=1e-5)


def test_loss_numpy_ignores_nan_and_unknown_loss_is_refused():
    assert loss_numpy("mae", np.array([1.0, np.nan]), np.array([3.0, 0.0])) == 2.0
    with pytest.raises(ConfigError):
        make_loss("hinge")


def _lrs(cfg: TrainConfig, val_losses=None, epochs=None):
    opt = make_optimizer(_params(), cfg)
    sched = make_schedule(opt, cfg)
    out = []
    for e in range(1, (epochs or cfg.epochs) + 1):
        sched.step(e, None if val_losses is None else val_losses[e - 1])
        out.append(sched.lr)
    return out


def test_step_schedule_halves_every_n_epochs():
    lrs = _lrs(TrainConfig(lr=1.0, schedule="step", schedule_step=2, schedule_gamma=0.5, epochs=6))
    assert lrs == pytest.approx([1.0, 0.5, 0.5, 0.25, 0.25, 0.125])


def test_cosine_schedule_follows_the_closed_form():
    E = 8
    lrs = _lrs(TrainConfig(lr=0.4, schedule="cosine", epochs=E), epochs=E - 1)
    expected = [0.4 * (1 + math.cos(math.pi * e / E)) / 2 for e in range(1, E)]
    assert lrs == pytest.approx(expected)


def test_plateau_schedule_waits_for_no_improvement():
    cfg = TrainConfig(lr=1.0, schedule="plateau", schedule_step=2, schedule_gamma=0.1, epochs=6)
    lrs = _lrs(cfg, val_losses=[1.0, 0.5, 0.6, 0.7, 0.4, 0.45])
    # epochs 3 and 4 do not improve on 0.5 -> decay after epoch 4; epoch 5 improves
    assert lrs == pytest.approx([1.0, 1.0, 1.0, 0.1, 0.1, 0.1])


def test_constant_schedule_keeps_a_hand_set_rate_and_step_continues_from_it():
    cfg = TrainConfig(lr=1.0, schedule="step", schedule_step=1, schedule_gamma=0.5, epochs=3)
    opt = make_optimizer(_params(), cfg)
    sched = make_schedule(opt, cfg)
    for g in opt.param_groups:
        g["lr"] = 0.2  # as TrainingControl.set_lr does
    sched.step(1)
    assert sched.lr == pytest.approx(0.1)
    const = make_schedule(opt, TrainConfig(schedule="constant"))
    const.step(1)
    assert const.lr == pytest.approx(0.1)
