"""Throughput of ``train()`` against a bare PyTorch loop, recursive-forecast time, and memory.

Prints, in one run:

1. the wall time of :func:`rnnviz.core.training.train` with the default settings (probes every
   0.5 s at most, forecasts each epoch within their time budget, baselines, events) against a
   bare loop on the same model, the same batches (same order) and the same epochs, with a
   validation pass per epoch; the ratio bare / train is the throughput ratio (goal >= 0.9);
2. where train()'s extra time went (baselines, probes, forecasts, the per-step bookkeeping);
3. the time of a 1000-step recursive forecast in both modes (window, state);
4. the resident memory (RSS) before, at the end of the first epoch and at its peak over a
   longer run whose events are kept in a RunHistory (as the window does).

Run: ``python benchmarks/train_overhead.py`` (``--quick`` for a smoke run). Single-threaded
torch by default so the figures are stable on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import threading
import time

import numpy as np
import pandas as pd
import torch

from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.events import BatchDone, EpochDone, ForecastReady, ProbeReady, Started
from rnnviz.core.forecast import recursive_forecast
from rnnviz.core.history import RunHistory
from rnnviz.core.optim import make_loss, make_optimizer
from rnnviz.core.series import build_windows, prepare_series
from rnnviz.core.training import make_model, train


def rss_mb() -> float:
    """Current resident memory of this process in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """Samples RSS every 10 ms in a thread and keeps the maximum."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakRss:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_mb())


def make_data(rows: int, lookback: int):
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    y = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 365) + 0.1 * rng.normal(size=rows)
    df = pd.DataFrame({"y": y})
    cfg = DataConfig(lookback=lookback, split=(0.8, 0.1, 0.1))
    series = prepare_series(df, cfg)
    return build_windows(series, cfg), cfg


def bare_loop(data, run: RunConfig) -> tuple[float, list[float]]:
    """The same model, batches and epochs without the engine: time and losses."""
    tc = run.train
    model = make_model(data, run)
    torch.manual_seed(tc.seed)
    opt = make_optimizer(model.parameters(), tc)
    loss_fn = make_loss(tc.loss)
    gen = torch.Generator().manual_seed(tc.seed)
    X = torch.tensor(np.asarray(data.train.X))
    Y = torch.tensor(np.asarray(data.train.Y))
    Xv = torch.tensor(np.asarray(data.val.X))
    Yv = torch.tensor(np.asarray(data.val.Y))
    n = X.shape[0]
    bs = tc.batch_size
    losses = []
    t0 = time.perf_counter()
    for _ in range(tc.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for b in range(math.ceil(n / bs)):
            idx = perm[b * bs:(b + 1) * bs]
            opt.zero_grad(set_to_none=True)
            y_hat, _ = model(X[idx])
            loss = loss_fn(y_hat, Y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            for i in range(0, Xv.shape[0], 2048):
                loss_fn(model(Xv[i:i + 2048])[0], Yv[i:i + 2048]).item()
    return time.perf_counter() - t0, losses


def engine(data, run: RunConfig) -> dict:
    """train() with timings of each kind of event gap."""
    out = {"probe": 0.0, "n_probe": 0, "forecast": 0.0, "n_forecast": 0, "started": 0.0,
           "final": 0.0}
    losses = []
    t0 = time.perf_counter()
    last = t0
    first_batch = last_epoch = None
    for ev in train(data, run):
        now = time.perf_counter()
        gap = now - last
        if isinstance(ev, Started):
            out["started"] = gap
        elif isinstance(ev, ProbeReady):
            if ev.step == 0:
                out["started"] += gap
            else:
                out["probe"] += gap
                out["n_probe"] += 1
        elif isinstance(ev, ForecastReady):
            if last_epoch is not None and ev.epoch == run.train.epochs:
                out["final"] += gap  # the forecast of the final weights, after training
            else:
                out["forecast"] += gap
                out["n_forecast"] += 1
        elif isinstance(ev, BatchDone):
            if first_batch is None:
                first_batch = last  # training starts after the previous event
            losses.append(ev.loss)
        elif isinstance(ev, EpochDone):
            if ev.epoch == run.train.epochs:
                last_epoch = now
        last = time.perf_counter()
    out["total"] = time.perf_counter() - t0
    out["training"] = last_epoch - first_batch
    out["losses"] = losses
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=12_600, help="series length (~10k training windows)")
    ap.add_argument("--lookback", type=int, default=50)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--long-epochs", type=int, default=20, help="epochs of the memory run")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2, help="best of N for the timings")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.epochs, args.long_epochs, args.repeats = 2000, 2, 3, 1
    torch.set_num_threads(args.threads)
    rss0 = rss_mb()
    data, cfg = make_data(args.rows, args.lookback)
    run = RunConfig(data=cfg, model=ModelConfig(cell=args.cell, hidden=args.hidden),
                    train=TrainConfig(epochs=args.epochs, batch_size=64, lr=1e-3, seed=0))
    print(f"rnnviz train() overhead - torch {torch.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cores, {args.threads} torch thread(s)")
    print(f"data: {data.train.n} training windows, {data.val.n} validation, {data.test.n} test; "
          f"{args.cell.upper()} H{args.hidden}, T{args.lookback}, B64, {args.epochs} epochs, "
          f"default probing (every {run.train.probe_every_seconds} s)")
    # warm-up (first Adam step imports parts of torch; first forward allocates)
    bare_loop(data, run.replace(train=run.train.replace(epochs=1, max_batches_per_epoch=5)))
    list(train(data, run.replace(train=run.train.replace(epochs=1, max_batches_per_epoch=5))))

    bare_t, bare_losses, eng = math.inf, None, None
    for _ in range(args.repeats):
        t, bare_losses = bare_loop(data, run)
        bare_t = min(bare_t, t)
        e = engine(data, run)
        if eng is None or e["total"] < eng["total"]:
            eng = e
    steps = len(bare_losses)
    same = eng["losses"] == bare_losses
    print()
    print(f"bare loop (steps + a validation pass per epoch): {bare_t:6.2f} s "
          f"{steps / bare_t:7.1f} steps/s")
    print(f"train(), first batch to last epoch end:          {eng['training']:6.2f} s "
          f"{steps / eng['training']:7.1f} steps/s")
    print(f"  training throughput ratio train()/bare = {bare_t / eng['training']:.3f} "
          "(goal >= 0.9); includes the probes and forecasts sent while training:")
    print(f"  probes   : {eng['n_probe']:3d} taking {eng['probe']:.2f} s")
    print(f"  forecasts: {eng['n_forecast']:3d} taking {eng['forecast']:.2f} s")
    print(f"  same losses as the bare loop, bit for bit: {same}")
    print(f"train(), whole call:                             {eng['total']:6.2f} s "
          f"(ratio {bare_t / eng['total']:.3f}) with one-time costs:")
    print(f"  before training: baselines incl. the dense network, forecast-cost estimate, "
          f"step-0 probe: {eng['started']:.2f} s")
    print(f"  after training: final probe and forecast of the final weights: "
          f"{eng['total'] - eng['training'] - eng['started']:.2f} s "
          f"(forecast {eng['final']:.2f} s)")

    # ---- 1000-step recursive forecast
    model = make_model(data, run)
    warm = np.asarray(data.series.scaled[-args.lookback:], np.float32)
    recursive_forecast(model, warm, 10, mode="window")
    print()
    for mode in ("window", "state"):
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            recursive_forecast(model, warm, 1000, mode=mode)
            best = min(best, time.perf_counter() - t0)
        print(f"1000-step recursive forecast, mode={mode:<6}: {1000 * best:7.1f} ms")

    # ---- memory over a long run, events kept in a RunHistory
    long_run = run.replace(train=run.train.replace(epochs=args.long_epochs))
    history = RunHistory()
    rss_epoch1 = None
    with PeakRss() as peak:
        t0 = time.perf_counter()
        for ev in train(data, long_run):
            history.add(ev)
            if isinstance(ev, EpochDone) and ev.epoch == 1:
                rss_epoch1 = rss_mb()
        long_t = time.perf_counter() - t0
    print()
    print(f"memory over a {args.long_epochs}-epoch run ({history.n_batches} steps, "
          f"{len(history.snapshots)} probe snapshots kept, {long_t:.1f} s):")
    print(f"  RSS before data {rss0:.0f} MB, after epoch 1 {rss_epoch1:.0f} MB, "
          f"at the end {rss_mb():.0f} MB, peak {peak.peak:.0f} MB")


if __name__ == "__main__":
    main()
