"""``rnnviz forecast MODEL_DIR [FILE.csv] --steps N --out forecast.csv``.

Forecasts the ``N`` rows after the end of the data with a model saved by ``rnnviz train``.
Without a file it continues the data the model was trained on (the last rows are kept in
``model.json``); with a file it continues that file's data, prepared with the model's own
settings and scaled with the model's own scaler (fitted on its training part; never refitted).

The forecast warms up on the last lookback window and feeds each prediction back (see
:mod:`rnnviz.core.forecast`). A model that reads other input columns besides the target holds
them at their last known value past the end of the data, and says so. The output CSV has a
``time`` column (extended with the data's time step, ISO dates without a time of day when
every time is at midnight; row numbers without times) and one column per target, numbers to 10
significant digits. ``--steps`` is at most 100,000, and the times must stay before 2262-04-12
(the last time pandas stores); both are checked before the forecast runs.
"""

from __future__ import annotations

import argparse
import csv
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

MAX_STEPS = 100_000
"""Most rows one forecast writes (a recursive forecast this long is only a curiosity)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="a folder written by 'rnnviz train'")
    parser.add_argument("file", metavar="FILE.csv", nargs="?",
                        help="continue this file's data (default: the data the model was trained on)")
    parser.add_argument("--steps", type=int, required=True, metavar="N",
                        help=f"rows to forecast, 1 to {MAX_STEPS:,}")
    parser.add_argument("--out", required=True, metavar="forecast.csv",
                        help="CSV file to write (an existing one is refused without --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument("--mode", choices=("window", "state"), default="window",
                        help="window: each step re-reads the last lookback rows, as in training "
                        "(default); state: carry the recurrent state, faster for long forecasts")


def _series_from_file(path: str, loaded: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Raw values (N, F), times and valid flags of a CSV prepared with the model's settings."""
    from rnnviz.core.csvload import load_csv
    from rnnviz.core.errors import DataError
    from rnnviz.core.series import prepare_series

    names = loaded.feature_names
    K = len(loaded.target_names)
    dcfg = loaded.run.data.replace(target=loaded.target_names[0], inputs=tuple(names[K:]),
                                   split=(1.0, 0.0, 0.0))
    table = load_csv(path)
    missing = [n for n in names if n not in table.frame.columns]
    if missing:
        raise DataError("missing_columns",
                        f"The file has no column(s) {', '.join(missing)}, which the model reads "
                        f"({', '.join(names)}). Use a file with the same columns.")
    series = prepare_series(table, dcfg)
    if tuple(series.feature_names) != tuple(names):
        raise DataError("column_mismatch",
                        f"The file's columns ({', '.join(series.feature_names)}) do not match the "
                        f"model's inputs ({', '.join(names)}).")
    return series.raw, series.times, np.asarray(series.valid, dtype=bool)


def _series_from_meta(loaded: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    from rnnviz.core.errors import ModelFileError

    tail = (loaded.meta.get("extra") or {}).get("tail")
    if not tail:
        raise ModelFileError("no_data_in_model",
                             "This model folder does not keep the end of its training data. Give "
                             "the CSV file to continue: rnnviz forecast MODEL_DIR FILE.csv ...")
    raw = np.array([[math.nan if v is None else v for v in row] for row in tail["raw"]], dtype=np.float64)
    times = None
    if tail.get("times"):
        times = np.array(tail["times"], dtype="datetime64[ns]")
    valid = np.asarray(tail.get("valid", [True] * len(raw)), dtype=bool)
    return raw, times, valid


def run(args: argparse.Namespace) -> int:
    """Write the forecast; return 0."""
    with warnings.catch_warnings():
        # library warnings are not for the user: every result is checked below instead
        warnings.simplefilter("ignore")
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from rnnviz.core.checkpoint import load_model
    from rnnviz.core.errors import ConfigError, DataError
    from rnnviz.core.forecast import format_times, format_value, future_forecast, future_times
    from rnnviz.core.runner import check_out_file
    from rnnviz.core.scaling import Scaler

    if not 1 <= args.steps <= MAX_STEPS:
        raise ConfigError("out_of_range",
                          f"--steps must be from 1 to {MAX_STEPS:,}; got {args.steps:,}.")
    check_out_file(args.out, what="the forecast", example="forecast.csv",
                   overwrite=bool(getattr(args, "overwrite", False)))
    loaded = load_model(args.model_dir)
    model = loaded.model
    dcfg = loaded.run.data
    if dcfg.step != 1 or dcfg.delay != 0:
        raise ConfigError("no_recursive",
                          f"This model was trained with step {dcfg.step} and delay {dcfg.delay}; "
                          "a forecast that feeds predictions back needs step 1 and delay 0 "
                          "(each prediction must be the next input row). Train with --step 1 "
                          "--delay 0 to forecast past the data.")
    if args.file:
        raw, times, valid = _series_from_file(args.file, loaded)
    else:
        raw, times, valid = _series_from_meta(loaded)
    T = dcfg.lookback
    if raw.shape[0] < T:
        raise DataError("too_short", f"The model needs the last {T} rows (its lookback) to start "
                        f"the forecast; the data have {raw.shape[0]}.")
    if not valid[-T:].all() or not np.isfinite(raw[-T:]).all():
        raise DataError("missing_at_end", f"The last {T} rows of the data hold missing values, so "
                        "the forecast cannot start. Use --missing interpolate when training, or "
                        "a file that ends with complete rows.")
    n_rows = int(((loaded.meta.get("extra") or {}).get("tail") or {}).get("n_rows", raw.shape[0])) \
        if not args.file else raw.shape[0]
    stamps = future_times(times, n_rows, args.steps)  # before the work: may refuse the steps
    labels = format_times(stamps) if times is not None else [str(int(t)) for t in stamps]
    scaler = Scaler.from_dict(loaded.scaler)
    scaled = scaler.transform(raw[-T:]).astype(np.float32)  # (T, F)
    pred, note = future_forecast(model, scaled, args.steps, lookback=T, mode=args.mode)
    values = scaler.inverse_targets(pred.astype(np.float64))  # (steps, K)
    bad = int((~np.isfinite(values)).sum())
    out = Path(args.out)
    try:
        with open(out, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["time", *loaded.target_names])
            for i in range(args.steps):
                w.writerow([labels[i], *(format_value(v) for v in values[i])])
    except OSError as exc:
        raise DataError("write_failed", f"Could not write {out}: {exc.strerror or exc}.") from None
    print(f"wrote {args.steps} forecast rows of {', '.join(loaded.target_names)} to {out}")
    if note:
        print(f"note: {note}")
    if bad:
        print(f"warning: {bad} forecast value(s) ran off to infinity or NaN and were left empty; "
              "the model is unstable this far ahead. Ask for fewer steps.")
    return 0
