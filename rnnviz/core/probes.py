"""Probes: replay a few windows through the twin cells and record what happened inside.

A probe runs the model's recurrent part through :func:`rnnviz.core.cells.twin_forward` (the
hand-written cells reading the model's own parameters), then the model's head, and returns a
:class:`~rnnviz.core.trace.Trace` of float32 numpy copies:

- every gate, c_t and h_t of every layer and step;
- ``grad_hidden[l, w, t] = ||dL_w/dh_t||`` and ``grad_cell`` likewise for c_t (LSTM family),
  where ``L_w`` is window w's own loss (mean over horizon and targets) and the derivative is
  the total one (through later steps and the layers above; for c_t also through
  h_t = o_t * tanh(c_t), i.e. the usual BPTT cell gradient) from ``torch.autograd.grad`` on
  the per-step tensors;
- ``influence[w, t] = ||d(sum of window w's forecast values)/dx_t||`` (norm over features):
  how strongly the forecast still depends on the input t steps back;
- ``saturation[g]`` (L, 2): for the sigmoid gates (``input``, ``forget``, ``output``,
  ``reset``, ``update``) the share of values < 0.1 and > 0.9; for the tanh gates (``cell``,
  the LSTM candidate, and ``new``, the GRU candidate) the share < -0.9 and > 0.9, so the sum
  of the two columns is the share with |v| > 0.9 (saturated either way).

For many-to-many models (``output="sequence"``) the probe scores the forecast made at the
window's last step, which is the one the window's target belongs to; a 4-D ``y``
(W, T, horizon, K) scores every step instead.

A probe does not disturb training: it uses ``torch.autograd.grad`` (``.grad`` is never
touched), runs in eval mode (no dropout, so no random numbers are drawn) and restores every
submodule's previous train/eval mode, and works on whatever device the model is on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as nnf
from torch import Tensor

from rnnviz.core.cells import LSTM_FAMILY, twin_forward
from rnnviz.core.errors import DataError
from rnnviz.core.models import Forecaster
from rnnviz.core.trace import SIGMOID_GATES, Trace

__all__ = ["gradient_ratio", "probe", "saturation"]

SATURATION_LOW = 0.1
SATURATION_HIGH = 0.9


def probe(
    model: Forecaster,
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "mse",
    step: int = 0,
    epoch: int = 0,
    window_start: np.ndarray | Sequence[int] | None = None,
    feature_names: Sequence[str] = (),
) -> Trace:
    """Replay windows through the twin cells and return what the network did.

    Parameters
    ----------
    model : Forecaster
    x : ndarray, shape (W, T, F)
        Scaled input windows.
    y : ndarray, shape (W, horizon, K)
        Scaled targets (or (W, T, horizon, K) for a many-to-many model scored at every step).
    loss : {"mse", "mae", "huber"}
        Loss whose gradient ``grad_hidden`` / ``grad_cell`` measure.
    step, epoch : int
        Stored in the Trace (global batch number, 1-based epoch; 0 before training).
    window_start : array of int, shape (W,), optional
        Row of each window's first step; -1 (unknown) when omitted.
    feature_names : sequence of str
        Names of the F input features, stored in the Trace.

    Returns
    -------
    Trace
        See :mod:`rnnviz.core.trace` for the arrays and their shapes.

    Raises
    ------
    DataError
        When ``x`` or ``y`` do not have the shapes the model expects.
    """
    x_np, y_np = _check_inputs(model, x, y)
    W = x_np.shape[0]
    if window_start is None:
        starts = np.full(W, -1, dtype=np.int64)
    else:
        starts = np.asarray(window_start, dtype=np.int64).reshape(-1).copy()
        if starts.shape != (W,):
            raise DataError("bad_window_start", f"window_start needs {W} values, got {starts.size}.")
    kind = model.cell_type
    lstm_like = kind in LSTM_FAMILY
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.inference_mode(False), torch.enable_grad():  # even inside no_grad blocks
            dev = model.device
            # The windows run twice in one batch: rows [0, W) carry the loss (for dL/dh_t,
            # dL/dc_t), rows [W, 2W) the forecast sum (for d y_hat / d x_t). Rows of a batch
            # do not interact in eval mode, so one backward pass gives both.
            X_loss = torch.tensor(x_np, device=dev)  # (W, T, F)
            X_infl = torch.tensor(x_np, device=dev, requires_grad=True)  # (W, T, F)
            Y = torch.tensor(y_np, device=dev)  # (W, horizon, K) or (W, T, horizon, K)
            res = twin_forward(model.rnn, torch.cat([X_loss, X_infl], 0), training=False)
            y_hat = model.readout(res.output)  # (2W, horizon, K) or (2W, T, horizon, K)
            pred_all = y_hat if model.cfg.output == "last" else y_hat[:, -1]  # (2W, horizon, K)
            pred = pred_all[:W]  # (W, horizon, K)
            scored = y_hat[:W] if Y.dim() == 4 else pred
            per_window = _loss(scored, Y, loss).flatten(1).mean(1)  # (W,)
            hs = [h for layer in res.layers for h in layer.hidden]  # L*T of (2W, H)
            cs = [c for layer in res.layers for c in (layer.cell or [])] if lstm_like else []
            grads = torch.autograd.grad(
                per_window.sum() + pred_all[W:].sum(), [*hs, *cs, X_infl], allow_unused=True
            )
            dx = grads[-1]  # (W, T, F)
            n_layers, T = len(res.layers), x_np.shape[1]
            grad_h = _step_norms(grads[: len(hs)], hs, n_layers, T, W)  # (L, W, T)
            grad_c = _step_norms(grads[len(hs):-1], cs, n_layers, T, W) if lstm_like else None
            influence = torch.linalg.vector_norm(dx, dim=2)  # (W, T)
            hidden = _stack_layers([layer.hidden for layer in res.layers], W)  # (L, W, T, H)
            cell = _stack_layers([layer.cell for layer in res.layers], W) if lstm_like else None  # type: ignore[misc]
            gates = {
                name: _numpy(_stack_layers([layer.gates[name] for layer in res.layers], W))
                for name in res.layers[0].gates
            }  # each (L, W, T, H)
            trace = Trace(
                cell_type=kind,
                step=int(step),
                epoch=int(epoch),
                inputs=x_np.copy(),
                hidden=_numpy(hidden),
                cell=None if cell is None else _numpy(cell),
                gates=gates,
                grad_hidden=_numpy(grad_h),
                grad_cell=None if grad_c is None else _numpy(grad_c),
                influence=_numpy(influence),
                saturation={name: saturation(a, name) for name, a in gates.items()},
                prediction=_numpy(pred),
                target=(y_np[:, -1] if y_np.ndim == 4 else y_np).copy(),
                window_start=starts,
                loss=float(per_window.mean().item()),
                feature_names=tuple(str(n) for n in feature_names),
            )
    finally:
        for m, was_training in modes:
            m.training = was_training
    return trace


def saturation(gate: np.ndarray, name: str) -> np.ndarray:
    """Share of saturated gate values per layer.

    Parameters
    ----------
    gate : ndarray, shape (L, W, T, H)
    name : str
        Gate name; sigmoid gates use the thresholds 0.1 / 0.9, tanh gates -0.9 / 0.9.

    Returns
    -------
    ndarray, shape (L, 2), float32
        Column 0: share below the low threshold; column 1: share above 0.9.
    """
    low = SATURATION_LOW if name in SIGMOID_GATES else -SATURATION_HIGH
    flat = gate.reshape(gate.shape[0], -1)  # (L, W*T*H)
    return np.stack([(flat < low).mean(1), (flat > SATURATION_HIGH).mean(1)], 1).astype(np.float32)


def gradient_ratio(trace: Trace, layer: int = -1) -> float:
    """Median over windows of ||dL/dh_1|| / ||dL/dh_T|| (see :meth:`Trace.gradient_ratio`)."""
    return trace.gradient_ratio(layer)


def _check_inputs(model: Forecaster, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x_np = np.array(x, dtype=np.float32, copy=True)
    y_np = np.array(y, dtype=np.float32, copy=True)
    if x_np.ndim != 3 or x_np.shape[0] < 1 or x_np.shape[1] < 1:
        raise DataError("bad_probe_input", f"Probe windows must be (W, T, F) with W, T >= 1; got {x_np.shape}.")
    if x_np.shape[2] != model.n_features:
        raise DataError(
            "feature_mismatch",
            f"The model expects {model.n_features} input features per step but the windows have "
            f"{x_np.shape[2]}. Use the same input columns the model was trained with.",
        )
    want = (x_np.shape[0], model.horizon, model.n_targets)
    ok3 = y_np.shape == want
    ok4 = y_np.ndim == 4 and y_np.shape == (x_np.shape[0], x_np.shape[1], *want[1:])
    if not (ok3 or ok4):
        raise DataError("bad_probe_target", f"Probe targets must have shape {want}; got {y_np.shape}.")
    if not (np.isfinite(x_np).all() and np.isfinite(y_np).all()):
        raise DataError("nan_in_probe", "Probe windows contain missing or infinite values.")
    return x_np, y_np


def _loss(pred: Tensor, target: Tensor, kind: str) -> Tensor:
    if kind == "mse":
        return nnf.mse_loss(pred, target, reduction="none")
    if kind == "mae":
        return nnf.l1_loss(pred, target, reduction="none")
    if kind == "huber":
        return nnf.huber_loss(pred, target, reduction="none")
    raise DataError("bad_loss", f"loss must be one of mse, mae, huber; got {kind!r}.")


def _step_norms(grads: Sequence[Tensor | None], like: Sequence[Tensor], n_layers: int, T: int,
                W: int) -> Tensor:
    """Norms over H of per-step gradients of the first W rows, as (L, W, T).

    Steps the loss does not reach (``None`` gradients) count as zero.
    """
    full = [g[:W] if g is not None else torch.zeros_like(t[:W]) for g, t in zip(grads, like, strict=True)]
    G = torch.stack(full, 0)  # (L*T, W, H)
    norms = torch.linalg.vector_norm(G, dim=2)  # (L*T, W)
    return norms.view(n_layers, T, W).transpose(1, 2)  # (L, W, T)


def _stack_layers(per_layer: Sequence[Sequence[Tensor]], W: int) -> Tensor:
    """Lists of T tensors (2W, H) per layer -> (L, W, T, H) of the first W rows."""
    return torch.stack([torch.stack(list(steps), 1)[:W] for steps in per_layer], 0)


def _numpy(t: Tensor) -> np.ndarray:
    """A float32 numpy copy, detached from autograd and the device."""
    return t.detach().to(device="cpu", dtype=torch.float32).numpy().copy()
