"""PNG figures of a run, drawn with matplotlib's Agg canvas (no display needed).

matplotlib is imported inside the functions (it costs ~0.3 s and only the command line and
exports need it). Every function builds a ``matplotlib.figure.Figure`` with a
``FigureCanvasAgg`` (never ``pyplot``, so no GUI backend and no global figure state) and writes
one PNG. The plots follow the window's conventions: raw and smoothed loss with the smoothing
window stated, log axes where values span decades, fixed colour ranges for gates (0..1 for
sigmoid gates, -1..1 for tanh).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rnnviz.core.history import GROUPS, smooth
from rnnviz.core.trace import SIGMOID_GATES, Trace

if TYPE_CHECKING:  # pragma: no cover
    from rnnviz.core.forecast import HeldOut
    from rnnviz.core.history import RunHistory

__all__ = ["forecast_figure", "gates_figure", "gradients_figure", "loss_figure"]

DPI = 110


def _figure(w: float, h: float) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.canvas


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def _positive(a: np.ndarray) -> bool:
    a = np.asarray(a, dtype=np.float64)
    a = a[np.isfinite(a)]
    return bool(a.size) and bool((a > 0).all())


def loss_figure(history: RunHistory, path: str | Path, *, window: int | None = None) -> Path:
    """Loss per batch (raw and smoothed) and per epoch, with the baselines' validation loss.

    Parameters
    ----------
    history : RunHistory
    path : str or Path
    window : int, optional
        Batches in the moving average; default about 2 % of the batches (at least 5).

    Returns
    -------
    Path
    """
    fig, _ = _figure(8, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    b = history.batch_arrays()
    e = history.epoch_arrays()
    bpe = history.started.batches_per_epoch if history.started else 1
    values = [b["loss"], e["train_loss"], e["val_loss"]]
    if b["step"].size:
        x = b["step"] / max(bpe, 1)
        w = window or max(5, b["step"].size // 50)
        ax.plot(x, b["loss"], color="0.75", lw=0.6, label="training loss per batch")
        ax.plot(x, smooth(b["loss"], w), color="C0", lw=1.2,
                label=f"training loss, mean of last {w} batches")
    if e["epoch"].size:
        ax.plot(e["epoch"], e["train_loss"], "o-", color="C0", ms=3, lw=0.8,
                label="training loss per epoch")
        ax.plot(e["epoch"], e["val_loss"], "o-", color="C1", ms=3, lw=1.2,
                label="validation loss per epoch")
    if history.started is not None:
        styles = {"naive": ":", "seasonal_naive": "-.", "mean": "--", "dense": (0, (5, 1, 1, 1))}
        for i, (name, v) in enumerate(history.started.baseline_losses.items()):
            if math.isfinite(v):
                ax.axhline(v, color=f"C{i + 2}", ls=styles.get(name, "--"), lw=1,
                           label=f"{name.replace('_', ' ')} baseline (validation)")
                values.append(np.array([v]))
    if history.diverged is not None:
        ax.axvline(history.diverged.step / max(bpe, 1), color="red", lw=1,
                   label=f"diverged at step {history.diverged.step}")
    if all(_positive(v) or not np.asarray(v).size for v in values):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled units)")
    ax.set_title("Loss")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    return _save(fig, path)


def forecast_figure(held: HeldOut, path: str | Path, *, times: np.ndarray | None = None,
                    history_rows: np.ndarray | None = None, history_values: np.ndarray | None = None,
                    future_x: np.ndarray | None = None, target: int = 0,
                    target_name: str = "target") -> Path:
    """The series with the one-step, recursive and naive forecasts over validation and test.

    Parameters
    ----------
    held : HeldOut
        From :func:`rnnviz.core.forecast.held_out_forecast`.
    path : str or Path
    times : ndarray, shape (N,), optional
        Time stamps of every row (row numbers are used without them).
    history_rows : ndarray of int, optional
        Training rows to draw before the held-out part (e.g. the last few seasons).
    history_values : ndarray, shape (len(history_rows), K), optional
    future_x : ndarray, optional
        x positions (times or rows) of ``held.future``.
    target : int
        Which target to draw.
    target_name : str

    Returns
    -------
    Path
    """
    fig, _ = _figure(9, 4.5)
    ax = fig.add_subplot(1, 1, 1)

    def xs(rows: np.ndarray) -> np.ndarray:
        return times[rows] if times is not None else rows

    k = target
    if history_rows is not None and history_values is not None and len(history_rows):
        ax.plot(xs(history_rows), history_values[:, k], color="0.3", lw=1, label="training data")
    x = xs(held.index)
    ax.plot(x, held.actual[:, k], color="black", lw=1.3, label="actual")
    ax.plot(x, held.one_step[:, k], color="C0", lw=1, label="one-step forecast (teacher-forced)")
    if np.isfinite(held.recursive[:, k]).any():
        ax.plot(x, held.recursive[:, k], color="C3", lw=1.2,
                label="recursive forecast (from the end of training)")
    if "naive" in held.baselines:
        ax.plot(x, held.baselines["naive"][:, k], color="C2", lw=0.8, ls=":",
                label="last-value baseline")
    if held.future.size and future_x is not None:
        ax.plot(future_x, held.future[:, k], color="C4", lw=1.2, ls="--",
                label="forecast past the data")
    test = held.split == "test"
    if test.any() and (~test).any():
        ax.axvline(x[int(np.argmax(test))], color="0.5", lw=0.8, ls="--")
        ax.text(x[int(np.argmax(test))], 1.0, " test", transform=ax.get_xaxis_transform(),
                va="top", fontsize=8, color="0.4")
    if len(x):  # no held-out rows (a split of 1 0 0): nothing to mark
        ax.axvline(x[0], color="0.5", lw=0.8, ls="--")
        ax.text(x[0], 1.0, " validation", transform=ax.get_xaxis_transform(), va="top",
                fontsize=8, color="0.4")
    ax.set_xlabel("time" if times is not None else "row")
    ax.set_ylabel(target_name)
    ax.set_title(f"Forecast of {target_name} over validation and test")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    if times is not None:
        fig.autofmt_xdate()
    return _save(fig, path)


def gates_figure(trace: Trace, path: str | Path, *, window: int = 0, layer: int = -1) -> Path:
    """Heat maps (time step x hidden unit) of each gate, the cell and hidden state of one window.

    Sigmoid gates are drawn on 0..1 and tanh quantities on -1..1 (fixed, so pictures from
    different moments compare). A plain RNN has no gates: its hidden state is drawn.
    """
    panels: list[tuple[str, np.ndarray, float, float]] = []
    for name, a in trace.gates.items():
        lo = 0.0 if name in SIGMOID_GATES else -1.0
        title = "candidate (cell) gate" if name == "cell" else f"{name} gate"
        panels.append((title, a[layer, window], lo, 1.0))
    if trace.cell is not None:
        c = trace.cell[layer, window]
        m = float(np.nanmax(np.abs(c))) if c.size else 1.0
        panels.append(("cell state c_t", c, -max(m, 1e-6), max(m, 1e-6)))
    h = trace.hidden[layer, window]
    h_max = float(np.nanmax(np.abs(h))) if h.size else 1.0
    if h_max > 1.0 + 1e-6:  # relu RNN: unbounded, non-negative
        panels.append(("hidden state h_t (relu)", h, 0.0, h_max))
    else:
        panels.append(("hidden state h_t", h, -1.0, 1.0))
    n = len(panels)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, _ = _figure(3.4 * cols, 2.8 * rows)
    from matplotlib.ticker import MaxNLocator

    L = trace.hidden.shape[0]
    lay = layer % L
    for i, (title, a, lo, hi) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        T_, H_ = a.shape
        im = ax.imshow(np.asarray(a, np.float32).T, aspect="auto", origin="lower",
                       cmap="viridis" if lo == 0.0 else "RdBu_r", vmin=lo, vmax=hi,
                       interpolation="nearest", extent=(0.5, T_ + 0.5, 0.5, H_ + 0.5))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("time step", fontsize=8)
        ax.set_ylabel("hidden unit", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.05)
    fig.suptitle(f"{trace.cell_type.upper()} layer {lay + 1}, window {window + 1}, "
                 f"step {trace.step}", fontsize=10)
    return _save(fig, path)


def gradients_figure(trace: Trace, path: str | Path, *,
                     history: RunHistory | None = None) -> Path:
    """||dL/dh_t|| per time step (the vanishing-gradient picture) and gradient norms per batch.

    Left: the gradient of the loss with respect to each time step's hidden state, per layer
    (median over the probed windows, the band from the smallest to the largest), on a log axis.
    Right (when ``history`` is given): each parameter group's gradient norm per batch.
    """
    with_hist = history is not None and history.n_batches > 0
    fig, _ = _figure(10 if with_hist else 6, 4)
    ax = fig.add_subplot(1, 2 if with_hist else 1, 1)
    g = np.asarray(trace.grad_hidden, dtype=np.float64)  # (L, W, T)
    t = np.arange(1, g.shape[2] + 1)
    for lay in range(g.shape[0]):
        med = np.median(g[lay], axis=0)
        ax.plot(t, med, lw=1.4, label=f"layer {lay + 1} (median of {g.shape[1]} windows)")
        ax.fill_between(t, g[lay].min(axis=0), g[lay].max(axis=0), alpha=0.2)
    if _positive(g):
        ax.set_yscale("log")
    ratio = trace.gradient_ratio()
    ax.set_title(f"||dL/dh_t|| per time step (first/last = {ratio:.2g})", fontsize=10)
    ax.set_xlabel("time step t (T = the last, nearest the output)")
    ax.set_ylabel("gradient norm")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    if with_hist:
        ax2 = fig.add_subplot(1, 2, 2)
        b = history.batch_arrays()
        for name in GROUPS:
            ax2.plot(b["step"], b[f"grad_{name}"], lw=0.8, label=name)
        ax2.plot(b["step"], b["grad_norm"], color="black", lw=0.8, label="all (before clipping)")
        if _positive(np.concatenate([b[f"grad_{n}"] for n in GROUPS] + [b["grad_norm"]])):
            ax2.set_yscale("log")
        ax2.set_title("Gradient norm per parameter group", fontsize=10)
        ax2.set_xlabel("step")
        ax2.grid(True, alpha=0.3)
        ax2.legend(fontsize=7)
    return _save(fig, path)
