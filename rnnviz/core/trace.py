"""A Trace: what a probe saw inside the network on a few windows.

A Trace holds float32 numpy arrays only (never tensors), so it is safe to hand to another
thread and cheap to keep a history of. Shapes use these letters:

- ``L`` recurrent layers, ``W`` probed windows, ``T`` time steps, ``H`` hidden units,
  ``F`` input features.

Arrays saved by :func:`save_trace` (``rnnviz trace ... --out trace.npz``), by name:

==========================  ===============  =============================================
name                        shape            meaning
==========================  ===============  =============================================
``inputs``                  (W, T, F)        the scaled input windows
``hidden``                  (L, W, T, H)     h_t of every layer
``cell``                    (L, W, T, H)     c_t (LSTM family only)
``gate_<name>``             (L, W, T, H)     each gate, e.g. ``gate_forget``
``grad_hidden``             (L, W, T)        ||dL/dh_t||
``grad_cell``               (L, W, T)        ||dL/dc_t|| (LSTM family only)
``influence``               (W, T)           ||d y_hat / d x_t||
``saturation_<name>``       (L, 2)           share of gate values < 0.1 and > 0.9
``prediction``              (W, horizon, K)  the model's output (scaled), K targets
``target``                  (W, horizon, K)  the true values (scaled)
``window_start``            (W,)             row index of each window's first step
``meta_json``               (n,) uint8       UTF-8 JSON: ``cell_type``, ``step``, ``epoch``,
                                             ``loss``, ``feature_names``
==========================  ===============  =============================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GATE_NAMES = {
    "rnn": (),
    "lstm": ("input", "forget", "cell", "output"),
    "lstm_peephole": ("input", "forget", "cell", "output"),
    "lstm_coupled": ("forget", "cell", "output"),
    "gru": ("reset", "update", "new"),
}
"""Gate keys per cell type, in PyTorch's row order. ``cell`` is the LSTM candidate g."""

SIGMOID_GATES = frozenset({"input", "forget", "output", "reset", "update"})
"""Gates bounded to 0..1 (the others are tanh, -1..1)."""


@dataclass(frozen=True)
class Trace:
    """Gates, states and per-step gradients of a few windows, at one moment of training.

    Attributes
    ----------
    cell_type : str
        One of ``rnnviz.core.config.CELLS``.
    step : int
        Global batch number when the probe ran (0 = before training).
    epoch : int
        Epoch (1-based) during which it ran; 0 before training.
    inputs : ndarray, shape (W, T, F)
    hidden : ndarray, shape (L, W, T, H)
    cell : ndarray or None, shape (L, W, T, H)
    gates : dict of str to ndarray, each (L, W, T, H)
    grad_hidden : ndarray, shape (L, W, T)
    grad_cell : ndarray or None, shape (L, W, T)
    influence : ndarray, shape (W, T)
    saturation : dict of str to ndarray, each (L, 2)
    prediction : ndarray, shape (W, horizon, K)
    target : ndarray, shape (W, horizon, K)
    window_start : ndarray of int64, shape (W,)
    loss : float
        Loss of the probed windows (scaled units).
    """

    cell_type: str
    step: int
    epoch: int
    inputs: np.ndarray
    hidden: np.ndarray
    cell: np.ndarray | None
    gates: dict[str, np.ndarray]
    grad_hidden: np.ndarray
    grad_cell: np.ndarray | None
    influence: np.ndarray
    saturation: dict[str, np.ndarray]
    prediction: np.ndarray
    target: np.ndarray
    window_start: np.ndarray
    loss: float = float("nan")
    feature_names: tuple[str, ...] = field(default=())

    @property
    def n_layers(self) -> int:
        """Number of recurrent layers L."""
        return int(self.hidden.shape[0])

    @property
    def n_steps(self) -> int:
        """Number of time steps T."""
        return int(self.hidden.shape[2])

    def gradient_ratio(self, layer: int = -1) -> float:
        """Median over windows of ||dL/dh_1|| / ||dL/dh_T|| for one layer.

        Below 1e-4 the gradient vanishes before it reaches the start of the window.
        """
        g = self.grad_hidden[layer]  # (W, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = g[:, 0] / g[:, -1]
        ratio = ratio[np.isfinite(ratio)]
        return float(np.median(ratio)) if ratio.size else float("nan")


def save_trace(trace: Trace, path: str | Path) -> Path:
    """Write a Trace to an ``.npz`` file (names in the module docstring).

    Parameters
    ----------
    trace : Trace
    path : str or Path

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "inputs": trace.inputs,
        "hidden": trace.hidden,
        "grad_hidden": trace.grad_hidden,
        "influence": trace.influence,
        "prediction": trace.prediction,
        "target": trace.target,
        "window_start": trace.window_start,
    }
    if trace.cell is not None:
        arrays["cell"] = trace.cell
    if trace.grad_cell is not None:
        arrays["grad_cell"] = trace.grad_cell
    for name, a in trace.gates.items():
        arrays[f"gate_{name}"] = a
    for name, a in trace.saturation.items():
        arrays[f"saturation_{name}"] = a
    meta = {
        "cell_type": trace.cell_type,
        "step": trace.step,
        "epoch": trace.epoch,
        "loss": trace.loss,
        "feature_names": list(trace.feature_names),
    }
    arrays["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_trace(path: str | Path) -> Trace:
    """Read a Trace written by :func:`save_trace` (no pickles are loaded)."""
    with np.load(Path(path), allow_pickle=False) as z:
        meta = json.loads(bytes(z["meta_json"]).decode())
        gates = {k[5:]: z[k] for k in z.files if k.startswith("gate_")}
        sat = {k[11:]: z[k] for k in z.files if k.startswith("saturation_")}
        return Trace(
            cell_type=meta["cell_type"],
            step=int(meta["step"]),
            epoch=int(meta["epoch"]),
            inputs=z["inputs"],
            hidden=z["hidden"],
            cell=z["cell"] if "cell" in z.files else None,
            gates=gates,
            grad_hidden=z["grad_hidden"],
            grad_cell=z["grad_cell"] if "grad_cell" in z.files else None,
            influence=z["influence"],
            saturation=sat,
            prediction=z["prediction"],
            target=z["target"],
            window_start=z["window_start"],
            loss=float(meta["loss"]),
            feature_names=tuple(meta.get("feature_names", ())),
        )


def demo_trace(cell_type: str = "lstm", *, layers: int = 1, windows: int = 2, steps: int = 40,
               hidden: int = 16, seed: int = 0) -> Trace:
    """A plausible-looking Trace from random numbers, for running views alone.

    Not the output of any model: use it only to preview a view's layout.
    """
    rng = np.random.default_rng(seed)
    L, W, T, H = layers, windows, steps, hidden
    t = np.linspace(0, 4 * np.pi, T, dtype=np.float32)
    inputs = np.sin(t)[None, :, None].repeat(W, 0).astype(np.float32)

    def sig(shape: tuple[int, ...]) -> np.ndarray:
        return (1 / (1 + np.exp(-rng.normal(0, 2, shape)))).astype(np.float32)

    gates = {
        g: (sig((L, W, T, H)) if g in SIGMOID_GATES else np.tanh(rng.normal(0, 1, (L, W, T, H))))
        .astype(np.float32)
        for g in GATE_NAMES[cell_type]
    }
    hidden_a = np.tanh(rng.normal(0, 1, (L, W, T, H))).astype(np.float32)
    lstm = cell_type.startswith("lstm")
    decay = np.exp(-np.arange(T)[::-1] / (8.0 if lstm else 3.0)).astype(np.float32)
    grad_h = (decay[None, None, :] * rng.uniform(0.5, 1.5, (L, W, 1))).astype(np.float32)
    return Trace(
        cell_type=cell_type,
        step=0,
        epoch=0,
        inputs=inputs,
        hidden=hidden_a,
        cell=(rng.normal(0, 1, (L, W, T, H)).astype(np.float32) if lstm else None),
        gates=gates,
        grad_hidden=grad_h,
        grad_cell=(grad_h * 1.1).astype(np.float32) if lstm else None,
        influence=(decay[None, :] * rng.uniform(0.5, 1.5, (W, 1))).astype(np.float32),
        saturation={
            g: np.stack([(a < 0.1).mean(axis=(1, 2, 3)), (a > 0.9).mean(axis=(1, 2, 3))], 1)
            .astype(np.float32)
            for g, a in gates.items()
        },
        prediction=np.zeros((W, 1, 1), np.float32),
        target=np.zeros((W, 1, 1), np.float32),
        window_start=np.arange(W, dtype=np.int64) * T,
    )
