"""``rnnviz trace``: export gates, states and per-step gradients of a saved model to ``.npz``.

::

    rnnviz trace MODEL_DIR FILE.csv [--windows N | --at TIME] [--out trace.npz]

The CSV is required (``model.json`` keeps only the last lookback rows of the training data,
too few for a window with its targets) and is prepared exactly as for training (the model's saved data settings: columns,
missing-value policy, resampling, lookback, horizon, step, delay) and scaled with the scaler
saved in ``model.json`` -- never refitted on the new file. ``--windows N`` (default 4) probes
N windows spread evenly over the file's test part (the model's split fractions applied to
this file; a window belongs to the part holding its first target row). ``--at TIME`` probes
the one window whose last input row is at or just before TIME (a date/time, or a row number
when the data have no time column). The arrays written are listed in
:mod:`rnnviz.core.trace` (``docs/models.md`` has the table); load them with ``numpy.load`` or
:func:`rnnviz.core.trace.load_trace`; ``meta_json`` names the step and epoch training ended at
(``extra.step`` / ``extra.epoch`` in ``model.json``, written by ``rnnviz train``).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("model_dir", metavar="MODEL_DIR",
                        help="folder with model.json and model.safetensors (from rnnviz train)")
    parser.add_argument("csv", metavar="FILE.csv",
                        help="CSV file with the columns the model was trained on (required: "
                        "model.json keeps only the last lookback rows, too few for a window "
                        "with its targets)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--windows", type=int, default=None, metavar="N",
                       help="probe N windows spread evenly over the test part (default 4)")
    which.add_argument("--at", default=None, metavar="TIME",
                       help="probe the window ending at or just before TIME (a date/time, "
                            "or a row number when the data have no time column)")
    parser.add_argument("--out", default="trace.npz", metavar="trace.npz",
                        help="where to write the arrays (default: trace.npz; an existing file "
                        "is refused without --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                        help="where to run the model (default: cpu)")


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit status."""
    from pathlib import Path

    from rnnviz.core.checkpoint import load_model
    from rnnviz.core.csvload import load_csv
    from rnnviz.core.errors import DataError
    from rnnviz.core.probes import probe
    from rnnviz.core.runner import check_out_file
    from rnnviz.core.trace import save_trace

    n_windows = 4 if args.windows is None else args.windows
    if n_windows < 1:
        raise DataError("bad_option", f"--windows must be 1 or more; got {n_windows}.")
    check_out_file(args.out, what="the trace", example="trace.npz",
                   overwrite=bool(getattr(args, "overwrite", False)))
    loaded = load_model(args.model_dir, device=args.device)
    table = load_csv(args.csv)
    series, windows = _windows(loaded, table)
    if args.at is not None:
        idx = _window_at(series, windows, loaded.run.data, args.at)
        chosen = f"the window ending at or before {args.at}"
    else:
        idx = _test_windows(series, windows, loaded.run.data, n_windows)
        chosen = f"{len(idx)} window(s) from the test part"
    extra = loaded.meta.get("extra") or {}
    trace = probe(
        loaded.model,
        windows.X[idx],
        windows.Y[idx],
        loss=loaded.run.train.loss,
        step=_int(extra, "step"),
        epoch=_int(extra, "epoch"),
        window_start=windows.start[idx],
        feature_names=series.feature_names,
    )
    out = Path(args.out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    save_trace(trace, out)
    ratio = trace.gradient_ratio()
    print(
        f"Wrote {out}: {chosen}, {trace.n_steps} steps, {trace.n_layers} layer(s) of "
        f"{trace.cell_type} (hidden {trace.hidden.shape[-1]}); loss {trace.loss:.4g} (scaled); "
        f"||dL/dh_1|| / ||dL/dh_T|| = {ratio:.3g} (last layer, median over windows)."
    )
    return 0


def _int(extra: dict[str, Any], key: str) -> int:
    """The weights' training moment from model.json's ``extra``, else 0 (before training).

    ``rnnviz train`` stores ``step`` (batches run) and ``epoch`` (epochs run) at the top of
    ``extra``, the numbers the engine's own final probe carries; folders written before that
    have them only in ``extra["training"]`` as ``steps`` and ``epochs_run``.
    """
    value = extra.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        training = extra.get("training") if isinstance(extra.get("training"), dict) else {}
        value = training.get({"step": "steps", "epoch": "epochs_run"}[key])
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return 0


def _windows(loaded, table):
    """Prepare the file with the model's data settings and its saved scaler.

    Returns the series (scaled with the saved scaler) and every complete window of the file.
    """
    import dataclasses

    import numpy as np

    from rnnviz.core.errors import DataError
    from rnnviz.core.scaling import Scaler
    from rnnviz.core.series import build_windows, prepare_series

    # One part holding every row: the file may be too short for the model's three parts, and
    # the test part is picked below with the model's own split fractions.
    cfg = loaded.run.data.replace(split=(1.0, 0.0, 0.0))
    series = prepare_series(table, cfg)
    if tuple(series.feature_names) != loaded.feature_names:
        raise DataError(
            "columns_mismatch",
            f"The model was trained on the columns {', '.join(loaded.feature_names)} (in this "
            f"order) but this file gives {', '.join(series.feature_names)}. Use a file with "
            "the same columns.",
        )
    scaler = Scaler.from_dict(loaded.scaler)
    if scaler.n_features != series.n_features:
        raise DataError(
            "scaler_mismatch",
            f"The saved scaler has {scaler.n_features} features but the model reads "
            f"{series.n_features}; the model folder is inconsistent. Save the model again.",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = scaler.transform(series.raw).astype(np.float32)  # (N, F)
    scaled[~series.valid] = 0.0
    if not np.isfinite(scaled).all():
        raise DataError(
            "too_large",
            "Some values of this file are too large to scale with the model's saved scaler.",
        )
    scaled.setflags(write=False)
    series = dataclasses.replace(series, scaled=scaled, scaler=scaler)
    windows = build_windows(series, cfg).train
    if windows.n == 0:
        raise DataError(
            "too_short",
            f"This file holds no complete window of {cfg.lookback} steps plus the forecast "
            f"horizon {cfg.horizon}; use a longer file.",
        )
    return series, windows


def _test_windows(series, windows, cfg, n: int):
    """Indices of ``n`` windows spread evenly over the file's test part."""
    import numpy as np

    from rnnviz.core.errors import DataError
    from rnnviz.core.series import split_rows

    _, val_end = split_rows(series.n_rows, cfg.split)
    first_target = windows.target_rows[:, 0]
    test = np.flatnonzero(first_target >= val_end)
    if test.size == 0:
        raise DataError(
            "no_test_windows",
            f"This file's test part (the last {cfg.split[2]:.0%} of its {series.n_rows} rows) "
            "holds no complete window. Use --at TIME to pick a window, or a longer file.",
        )
    pick = np.unique(np.round(np.linspace(0, test.size - 1, min(n, test.size))).astype(np.int64))
    return test[pick]


def _window_at(series, windows, cfg, when: str):
    """Index (as a length-1 array) of the window whose last input row is at or before ``when``."""
    import numpy as np
    import pandas as pd

    from rnnviz.core.errors import DataError

    ends = windows.start + (cfg.lookback - 1) * cfg.step  # (n,) last input row
    if series.times is None:
        try:
            limit = int(when)
        except ValueError:
            raise DataError(
                "bad_time",
                f"--at {when!r}: these data have no time column, so give a row number.",
            ) from None
        keys = ends
        first = f"row {int(ends[0])}"
    else:
        try:
            stamp = pd.Timestamp(when)
        except (ValueError, TypeError):
            raise DataError(
                "bad_time", f"--at {when!r} is not a date or time (try e.g. 2024-03-01 12:00)."
            ) from None
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        limit = np.datetime64(stamp.to_datetime64(), "ns")
        keys = series.times[ends]
        first = str(pd.Timestamp(keys[0]))
    ok = np.flatnonzero(keys <= limit)
    if ok.size == 0:
        raise DataError(
            "no_window_at",
            f"No complete window ends at or before {when}: the first one ends at {first}.",
        )
    return ok[-1:]
