"""What a probe costs, and how much slower the hand-written cells train than fused modules.

For LSTM, GRU and RNN at (B64, T50, H32), (B64, T50, H128) and (B64, T200, H64) it prints:

- ``probe ms``: median time of one probe of 4 windows (all gates, states, ||dL/dh_t||,
  ||dL/dc_t||, input influence) through the twin cells;
- ``fused step ms``: median time of one fused training step (forward, MSE, backward, Adam)
  at batch 64;
- ``probe/epoch``: the probe as a share of one epoch of 10k windows (157 fused steps of 64);
  the goal is at most 2 % (one probe per epoch; the share grows with probes per epoch);
- ``twin/fused``: training-step time through the twin cells over the fused step (what the
  peephole and coupled LSTM variants pay, since they train through the same kind of loop).

Run: ``.venv/bin/python benchmarks/probe_cost.py [--threads N] [--reps R]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as nnf

from rnnviz.core.cells import twin_forward
from rnnviz.core.config import ModelConfig
from rnnviz.core.models import build_model
from rnnviz.core.probes import probe

SIZES = ((64, 50, 32), (64, 50, 128), (64, 200, 64))
CELLS = ("lstm", "gru", "rnn")
N_FEATURES = 4
PROBE_WINDOWS = 4
BATCHES_PER_EPOCH = 157  # ceil(10_000 / 64)


def _interleaved_ms(fns: dict, reps: int, warmup: int = 2) -> dict[str, float]:
    """Median milliseconds of each function, run in turn in every repetition.

    Interleaving spreads any load from other processes evenly over the things compared.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: 1000.0 * statistics.median(v) for k, v in times.items()}


def _measure(cell: str, B: int, T: int, H: int, reps: int) -> dict[str, float]:
    torch.manual_seed(0)
    model = build_model(ModelConfig(cell=cell, hidden=H), N_FEATURES, 1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(B, T, N_FEATURES)).astype(np.float32))
    y = torch.from_numpy(rng.normal(size=(B, 1, 1)).astype(np.float32))
    xp, yp = x[:PROBE_WINDOWS].numpy(), y[:PROBE_WINDOWS].numpy()

    def fused_step() -> None:
        opt.zero_grad(set_to_none=True)
        nnf.mse_loss(model(x)[0], y).backward()
        opt.step()

    def twin_step() -> None:
        opt.zero_grad(set_to_none=True)
        out = twin_forward(model.rnn, x, training=True).output
        nnf.mse_loss(model.readout(out), y).backward()
        opt.step()

    model.train()
    ms = _interleaved_ms(
        {"fused": fused_step, "twin": twin_step, "probe": lambda: probe(model, xp, yp)}, reps
    )
    ms["share"] = ms["probe"] / (ms["fused"] * BATCHES_PER_EPOCH)
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--reps", type=int, default=15, help="timed repetitions (median)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), float32 CPU, "
          f"F={N_FEATURES}, probe of {PROBE_WINDOWS} windows, epoch = {BATCHES_PER_EPOCH} "
          f"fused steps of batch 64, median of {args.reps}")
    header = (f"{'cell':5} {'B':>3} {'T':>4} {'H':>4} | {'probe ms':>9} {'fused step ms':>13} "
              f"{'probe/epoch':>11} | {'twin step ms':>12} {'twin/fused':>10}")
    print(header)
    print("-" * len(header))
    for cell in CELLS:
        for B, T, H in SIZES:
            r = _measure(cell, B, T, H, args.reps)
            print(f"{cell:5} {B:>3} {T:>4} {H:>4} | {r['probe']:9.2f} {r['fused']:13.2f} "
                  f"{100 * r['share']:10.2f}% | {r['twin']:12.2f} {r['twin'] / r['fused']:9.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
