"""Demo data for running a view alone: plausible fake events, clearly labelled as such.

Nothing here comes from a model. :func:`demo_events` makes the events a short training run
would yield (loss falling, a learning-rate change, probes whose gates sharpen and whose
gradients reach further back as "training" goes on, forecasts that improve), on a made-up
daily series. Views use it in their ``if __name__ == "__main__":`` block through
:func:`run_alone`, and tests use :func:`build_demo_view`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.core.events import (
    BatchDone,
    EpochDone,
    Finished,
    ForecastReady,
    ProbeReady,
    Started,
)
from rnnviz.core.history import RunHistory
from rnnviz.core.trace import GATE_NAMES, SIGMOID_GATES, Trace, demo_trace

DEMO_NOTE = "demo data: made-up numbers, not a trained model"
SEASON = 30


@dataclass(frozen=True)
class DemoSeries:
    """A PreparedSeries look-alike (the fields the views read), made up for demos."""

    times: np.ndarray | None  # (N,) datetime64[ns] or None
    raw: np.ndarray  # (N, F) float64, data units
    target_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    train_end: int
    val_end: int

    @property
    def n_rows(self) -> int:
        """Number of rows N."""
        return int(self.raw.shape[0])


def demo_series(n: int = 420, *, seed: int = 0, with_times: bool = True) -> DemoSeries:
    """A made-up daily series with a 30-day cycle, a trend and noise (70/15/15 split).

    Parameters
    ----------
    n : int
        Rows.
    seed : int
    with_times : bool
        Give daily time stamps from 2021-01-01 (else row numbers only).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    y = 50 + 10 * np.sin(2 * np.pi * t / SEASON) + 0.03 * t + rng.normal(0, 1.0, n)
    times = (np.datetime64("2021-01-01", "ns") + np.arange(n) * np.timedelta64(1, "D")
             if with_times else None)
    train_end = int(round(0.7 * n))
    val_end = int(round(0.85 * n))
    return DemoSeries(times=times, raw=y[:, None], target_names=("demand (demo)",),
                      feature_names=("demand (demo)",), train_end=train_end, val_end=val_end)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def demo_probe_trace(cell_type: str = "lstm", *, progress: float = 1.0, layers: int = 2,
                     windows: int = 3, steps: int = 40, hidden: int = 16, seed: int = 0,
                     series: DemoSeries | None = None, step: int = 0, epoch: int = 0) -> Trace:
    """A Trace whose gates and states follow the input and sharpen with ``progress``.

    The states obey the cell equations applied to the made-up gates (c = f*c + i*g,
    h = o*tanh(c) for LSTM; h = (1-z)*n + z*h for GRU), so the pictures look like a real
    probe's; the numbers mean nothing.

    Parameters
    ----------
    cell_type : str
        A key of :data:`rnnviz.core.trace.GATE_NAMES`.
    progress : float
        0 (untrained) .. 1 (trained).
    layers, windows, steps, hidden : int
        L, W, T, H.
    seed : int
        Fixes the per-unit parameters (the same for every progress value).
    series : DemoSeries, optional
        Where the input windows come from (default :func:`demo_series`).
    step, epoch : int
        Stamped on the Trace.
    """
    L, W, T, H = layers, windows, steps, hidden
    series = series or demo_series()
    base = demo_trace(cell_type, layers=L, windows=W, steps=T, hidden=H, seed=seed)
    rng = np.random.default_rng(seed)
    raw = series.raw[:, 0]
    mu, sd = raw[: series.train_end].mean(), raw[: series.train_end].std()
    scaled = (raw - mu) / sd
    starts = np.linspace(10, series.val_end - T - 2, W).astype(np.int64)
    x = np.stack([scaled[s:s + T] for s in starts])  # (W, T)
    k = 0.6 + 3.0 * progress  # sharper gates as training goes on
    gate_names = GATE_NAMES[cell_type]
    a = rng.normal(0, 1, (L, len(gate_names) + 1, H))
    b = rng.normal(0, 1, (L, len(gate_names) + 1, H))
    noise = np.random.default_rng(seed + int(1000 * progress) + 1)
    gates: dict[str, np.ndarray] = {}
    for gi, g in enumerate(gate_names):
        bias = b[:, gi] + (1.5 * progress if g == "forget" else 0.0)
        z = k * (a[:, gi, None, None, :] * x[None, :, :, None]) + bias[:, None, None, :]
        z = z + noise.normal(0, 0.6 * (1 - 0.5 * progress), (L, W, T, H))
        gates[g] = (_sigmoid(z) if g in SIGMOID_GATES else np.tanh(z)).astype(np.float32)
    h = np.zeros((L, W, T, H), np.float32)
    c = np.zeros((L, W, T, H), np.float32) if cell_type.startswith("lstm") else None
    h_prev = np.zeros((L, W, H))
    c_prev = np.zeros((L, W, H))
    for t in range(T):
        if cell_type.startswith("lstm"):
            f = gates["forget"][:, :, t]
            i = gates["input"][:, :, t] if "input" in gates else 1.0 - f
            c_prev = f * c_prev + i * gates["cell"][:, :, t]
            h_prev = gates["output"][:, :, t] * np.tanh(c_prev)
            c[:, :, t] = c_prev  # type: ignore[index]
        elif cell_type == "gru":
            zt = gates["update"][:, :, t]
            h_prev = (1 - zt) * gates["new"][:, :, t] + zt * h_prev
        else:
            h_prev = np.tanh(0.8 * h_prev + k * a[:, -1, None, :] * x[None, :, t, None]
                             + 0.3 * b[:, -1, None, :])
        h[:, :, t] = h_prev
    tau = {"rnn": 2.5, "gru": 4.0 + 8.0 * progress}.get(cell_type, 5.0 + 12.0 * progress)
    decay = np.exp(-np.arange(T)[::-1] / tau)  # (T,) 1 at the last step
    mag = 0.2 * (1 - 0.7 * progress)
    layer_scale = 0.5 ** np.arange(L)[::-1]  # (L,) lower layers receive less
    grad_h = (mag * layer_scale[:, None, None] * decay[None, None, :]
              * rng.uniform(0.6, 1.4, (L, W, 1)) * np.exp(noise.normal(0, 0.15, (L, W, T))))
    influence = (0.8 * np.exp(-np.arange(T)[::-1] / (tau * 1.2))[None, :]
                 * rng.uniform(0.6, 1.4, (W, 1)) * np.exp(noise.normal(0, 0.1, (W, T))))
    target = x[:, -1:, None]  # (W, 1, 1) stand-in
    prediction = target + noise.normal(0, 0.5 * (1 - progress) + 0.05, target.shape)
    sat = {g: np.stack([(v < 0.1).mean(axis=(1, 2, 3)), (v > 0.9).mean(axis=(1, 2, 3))], 1)
           .astype(np.float32) for g, v in gates.items()}
    return dataclasses.replace(
        base,
        step=step,
        epoch=epoch,
        inputs=x[:, :, None].astype(np.float32),
        hidden=h,
        cell=c,
        gates=gates,
        grad_hidden=grad_h.astype(np.float32),
        grad_cell=(grad_h * 1.1).astype(np.float32) if c is not None else None,
        influence=influence.astype(np.float32),
        saturation=sat,
        prediction=prediction.astype(np.float32),
        target=target.astype(np.float32),
        window_start=starts,
        loss=float(np.mean((prediction - target) ** 2)),
        feature_names=series.feature_names,
    )


def _metrics(actual: np.ndarray, pred: np.ndarray, scale: float) -> dict[str, float]:
    err = actual - pred
    ok = np.isfinite(err)
    err, a, p = err[ok], actual[ok], pred[ok]
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err ** 2))),
        "mase": float(np.mean(np.abs(err)) / scale),
        "smape": float(200 * np.mean(np.abs(err) / (np.abs(a) + np.abs(p)))),
    }


def _forecast(series: DemoSeries, progress: float, epoch: int, rng: np.random.Generator,
              future_steps: int = 30) -> ForecastReady:
    raw = series.raw[:, 0]
    n = raw.size
    idx = np.arange(series.train_end, n, dtype=np.int64)
    t = np.arange(n + future_steps, dtype=np.float64)
    clean = 50 + 10 * np.sin(2 * np.pi * t / SEASON) + 0.03 * t
    actual = raw[idx]
    err = 1 - progress
    one_step = actual + rng.normal(0, 0.8 + 2.5 * err, idx.size)
    h = np.arange(idx.size)
    recursive = clean[idx] + (3 * err + 0.5) * np.sin(h / 15.0) + 0.02 * err * h
    fut_h = np.arange(idx.size, idx.size + future_steps)
    future = clean[n:] + (3 * err + 0.5) * np.sin(fut_h / 15.0) + 0.02 * err * fut_h
    scale = float(np.mean(np.abs(np.diff(raw[: series.train_end]))))
    last_value = raw[idx - 1]
    seasonal = raw[idx - SEASON]
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    for split, lo, hi in (("validation", series.train_end, series.val_end),
                          ("test", series.val_end, n)):
        m = (idx >= lo) & (idx < hi)
        metrics[split] = {
            name: _metrics(actual[m], pred[m], scale)
            for name, pred in (("one_step", one_step), ("recursive", recursive),
                               ("last_value", last_value), ("seasonal_naive", seasonal))
        }
    return ForecastReady(
        epoch=epoch, index=idx, actual=actual[:, None], one_step=one_step[:, None],
        recursive=recursive[:, None], future=future[:, None], metrics=metrics,
        note="demo: no exogenous inputs",
    )


def demo_events(cell_type: str = "lstm", *, epochs: int = 12, batches_per_epoch: int = 40,
                layers: int = 2, windows: int = 3, steps: int = 40, hidden: int = 16,
                seed: int = 0, series: DemoSeries | None = None) -> list[Any]:
    """The events of a made-up training run, in the order ``train()`` would yield them.

    Started, a probe before training (step 0), then per epoch: its BatchDone events,
    EpochDone, ProbeReady and ForecastReady; Finished at the end. The learning rate drops
    from 1e-3 to 3e-4 after two thirds of the epochs.
    """
    series = series or demo_series(seed=seed)
    rng = np.random.default_rng(seed)
    scaled = (series.raw[:, 0] - series.raw[: series.train_end, 0].mean()) / \
        series.raw[: series.train_end, 0].std()
    val = slice(series.train_end, series.val_end)
    baselines = {
        "last_value": float(np.mean((scaled[val] - np.roll(scaled, 1)[val]) ** 2)),
        "seasonal_naive": float(np.mean((scaled[val] - np.roll(scaled, SEASON)[val]) ** 2)),
    }
    total = epochs * batches_per_epoch
    shape = dict(layers=layers, windows=windows, steps=steps, hidden=hidden, seed=seed,
                 series=series)
    events: list[Any] = [
        Started(epochs=epochs, batches_per_epoch=batches_per_epoch, n_train=batches_per_epoch
                * 32, n_val=60, n_test=60, device="cpu", baseline_losses=baselines,
                note=DEMO_NOTE),
        ProbeReady(step=0, epoch=0,
                   trace=demo_probe_trace(cell_type, progress=0.0, step=0, epoch=0, **shape)),
    ]
    step = 0
    lr_drop = max(1, (2 * epochs) // 3)
    for epoch in range(1, epochs + 1):
        lr = 1e-3 if epoch <= lr_drop else 3e-4
        losses, norms = [], []
        for batch in range(1, batches_per_epoch + 1):
            step += 1
            loss = (0.03 + 0.6 * np.exp(-step / (0.15 * total))) * float(
                np.exp(rng.normal(0, 0.25)))
            gnorm = 0.5 * loss ** 0.5 * float(np.exp(rng.normal(0, 0.3)))
            groups = {"input": 0.4 * gnorm, "recurrent": 0.8 * gnorm, "bias": 0.2 * gnorm,
                      "head": 0.5 * gnorm}
            events.append(BatchDone(epoch=epoch, batch=batch, step=step, loss=loss,
                                    grad_norm=gnorm, group_norms=groups, lr=lr))
            losses.append(loss)
            norms.append(gnorm)
        train_loss = float(np.mean(losses))
        val_loss = train_loss * 1.15 + 0.01 + 0.004 * float(rng.normal())
        progress = epoch / epochs
        fc = _forecast(series, progress, epoch, rng)
        events.append(EpochDone(epoch=epoch, step=step, train_loss=train_loss, val_loss=val_loss,
                                lr=lr, grad_norm=float(np.mean(norms)), seconds=0.5,
                                metrics=dict(fc.metrics["validation"]["one_step"]),
                                improved=True))
        events.append(ProbeReady(step=step, epoch=epoch, trace=demo_probe_trace(
            cell_type, progress=progress, step=step, epoch=epoch, **shape)))
        events.append(fc)
    events.append(Finished(reason="completed", epochs_run=epochs, steps=step, best_epoch=epochs,
                           best_val_loss=val_loss, seconds=0.5 * epochs))
    return events


def demo_history(cell_type: str = "lstm", **kwargs: Any) -> RunHistory:
    """A RunHistory holding :func:`demo_events` (same arguments)."""
    history = RunHistory()
    for ev in demo_events(cell_type, **kwargs):
        history.add(ev)
    return history


def build_demo_view(view_cls: type, *, cell_type: str = "lstm",
                    history: RunHistory | None = None) -> Any:
    """Make a view, give it the demo series (when it takes one) and draw the demo history.

    Needs a QApplication. Does not show the view or start an event loop.
    """
    view = view_cls()
    if hasattr(view, "set_series"):
        view.set_series(demo_series())
    view.render(history if history is not None else demo_history(cell_type))
    view.set_note(DEMO_NOTE)
    view.setWindowTitle(f"rnnviz · {view.title} — {DEMO_NOTE}")
    return view


def run_alone(view_cls: type, argv: list[str] | None = None) -> int:
    """Show one view on demo data in its own window (``python -m rnnviz.gui.views.X``).

    Options: ``--cell {rnn,lstm,gru,lstm_peephole,lstm_coupled}``, ``--live`` (feed the
    events a few at a time, as a run would), ``--screenshot PATH`` (save a PNG and exit).
    """
    parser = argparse.ArgumentParser(prog=f"python -m {view_cls.__module__}",
                                     description=f"{view_cls.title} view on demo data")
    parser.add_argument("--cell", default="lstm", choices=sorted(GATE_NAMES))
    parser.add_argument("--live", action="store_true", help="replay the events as a live run")
    parser.add_argument("--screenshot", metavar="PATH", help="save a PNG of the view and exit")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    history = RunHistory()
    events = demo_events(args.cell)
    if not args.live:
        for ev in events:
            history.add(ev)
    view = build_demo_view(view_cls, cell_type=args.cell, history=history)
    view.resize(1100, 700)
    view.show()
    if args.screenshot:
        view.render(history)
        app.processEvents()
        view.grab().save(args.screenshot, "PNG")
        view.close()
        return 0
    if args.live:
        feed = iter(events)
        timer = QTimer(view)

        def tick() -> None:
            for _ in range(8):
                ev = next(feed, None)
                if ev is None:
                    timer.stop()
                    break
                history.add(ev)
            view.render(history)

        timer.timeout.connect(tick)
        timer.start(50)
    return app.exec()
