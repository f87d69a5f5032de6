"""``rnnviz train FILE.csv --out DIR``: train a model on a CSV file and write a run folder.

Everything but the file and the output folder has a default (target: the first numeric
column that is not a row counter; time: the detected time column; one torch thread; a bundled
sample's own data settings for its file, as in the window). Before any work, an output folder
that already holds files is refused unless ``--overwrite`` is given (no saved work is lost).
Before training, the output folder is checked (created, written to) and the loader's warnings
and notes on settings that do nothing go to standard error, one line each (``warning: ...``, ``note: ...``); the same text
goes into ``metrics.json``'s ``notes``. Progress goes to standard error: a one-line bar (epoch,
loss, ETA) on a terminal, one plain line per epoch otherwise. The summary (test metrics beside
the baselines, a plain sentence when the model loses to the last value, and where the files
are) goes to standard output. See ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from rnnviz.core.config import (
    CELLS,
    DEVICES,
    LOSSES,
    MISSING_POLICIES,
    NONLINEARITIES,
    OPTIMIZERS,
    SCALERS,
    SCHEDULES,
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
)
from rnnviz.core.errors import ConfigError

# argparse dest -> (config section, field)
_FIELDS: dict[str, tuple[str, str]] = {
    "target": ("data", "target"),
    "time": ("data", "time_column"),
    "inputs": ("data", "inputs"),
    "missing": ("data", "missing"),
    "resample": ("data", "resample"),
    "split": ("data", "split"),
    "scaler": ("data", "scaler"),
    "lookback": ("data", "lookback"),
    "horizon": ("data", "horizon"),
    "step": ("data", "step"),
    "delay": ("data", "delay"),
    "stride": ("data", "stride"),
    "season": ("data", "season"),
    "cell": ("model", "cell"),
    "hidden": ("model", "hidden"),
    "layers": ("model", "layers"),
    "dropout": ("model", "dropout"),
    "nonlinearity": ("model", "nonlinearity"),
    "forget_bias": ("model", "forget_bias"),
    "optimizer": ("train", "optimizer"),
    "lr": ("train", "lr"),
    "schedule": ("train", "schedule"),
    "batch": ("train", "batch_size"),
    "epochs": ("train", "epochs"),
    "loss": ("train", "loss"),
    "clip": ("train", "clip_norm"),
    "clip_value": ("train", "clip_value"),
    "weight_decay": ("train", "weight_decay"),
    "patience": ("train", "patience"),
    "seed": ("train", "seed"),
    "threads": ("train", "threads"),
    "device": ("train", "device"),
}

# config field -> the option that sets it (for messages from the settings' validation)
OPTION_NAMES: dict[str, str] = {
    field: "--" + dest.replace("_", "-") for dest, (_, field) in _FIELDS.items()
}

DEFAULT_THREADS = 1
"""torch threads unless --threads says otherwise: on 2 cores, 1 thread trained the default
model 1-20x faster than torch's default of one per core (see docs/cli.md)."""


def option_message(message: str) -> str:
    """Name the command-line option instead of the settings field a message starts with.

    ``"batch_size must be a whole number from 1 to 65536; got 0."`` becomes
    ``"--batch must be ..."``.
    """
    m = re.match(r"([a-z_]+)(?= )", message)
    if m and m.group(1) in OPTION_NAMES:
        return OPTION_NAMES[m.group(1)] + message[m.end():]
    return message


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("file", metavar="FILE.csv", help="the CSV file to learn from")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the model, metrics, forecast and figures (created; "
                        "one that already holds files is refused without --overwrite)")
    d = parser.add_argument_group("data")
    d.add_argument("--target", metavar="COL", help="column to forecast (default: the first numeric column that is not a row counter)")
    d.add_argument("--time", metavar="COL", help="time column (default: the one detected)")
    d.add_argument("--inputs", nargs="+", metavar="COL", help="extra input columns (multivariate)")
    d.add_argument("--missing", choices=MISSING_POLICIES, help="missing values: interpolate (default), ffill or drop")
    d.add_argument("--resample", metavar="RULE", help="regular time step first, e.g. 1h, 1D")
    d.add_argument("--split", nargs=3, type=float, metavar=("TRAIN", "VAL", "TEST"),
                   help="chronological fractions (default 0.7 0.15 0.15)")
    d.add_argument("--scaler", choices=SCALERS, help="scaling fitted on the training part (default standard)")
    d.add_argument("--lookback", type=int, metavar="N", help="time steps the model sees (default 24; a bundled sample's own for its file)")
    d.add_argument("--horizon", type=int, metavar="N", help="steps predicted at once (default 1)")
    d.add_argument("--step", type=int, metavar="N", help="sampling stride inside a window (default 1)")
    d.add_argument("--delay", type=int, metavar="N", help="extra steps between window and target (default 0)")
    d.add_argument("--stride", type=int, metavar="N", help="distance between window starts (default 1)")
    d.add_argument("--season", type=int, metavar="N", help="season length for the seasonal-naive baseline (default: from the time step)")
    m = parser.add_argument_group("model")
    m.add_argument("--cell", choices=CELLS, help="recurrent cell (default lstm)")
    m.add_argument("--hidden", type=int, metavar="N", help="hidden units per layer (default 32)")
    m.add_argument("--layers", type=int, metavar="N", help="stacked layers, 1-4 (default 1)")
    m.add_argument("--dropout", type=float, metavar="P", help="dropout between layers and before the head (default 0)")
    m.add_argument("--nonlinearity", choices=NONLINEARITIES, help="plain RNN only: tanh (default) or relu")
    m.add_argument("--forget-bias", type=float, metavar="X", help="LSTM forget-gate bias at start")
    t = parser.add_argument_group("training")
    t.add_argument("--epochs", type=int, metavar="N", help="passes over the training windows (default 20)")
    t.add_argument("--batch", type=int, metavar="N", help="windows per batch (default 64)")
    t.add_argument("--lr", type=float, metavar="X", help="learning rate (default 0.001)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, help="default adam")
    t.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule (default constant)")
    t.add_argument("--loss", choices=LOSSES, help="default mse")
    t.add_argument("--clip", type=float, metavar="X", help="clip the gradient norm to X")
    t.add_argument("--clip-value", type=float, metavar="X", help="clip each gradient value to ±X")
    t.add_argument("--weight-decay", type=float, metavar="X", help="default 0")
    t.add_argument("--patience", type=int, metavar="N", help="early stopping after N epochs without a better validation loss")
    t.add_argument("--seed", type=int, metavar="N", help="random seed (default 0): same seed, same result")
    t.add_argument("--threads", type=int, metavar="N", help="torch threads (default 1, the fastest for small models on a busy machine; raise it for large models)")
    t.add_argument("--device", choices=DEVICES, help="cpu (default), cuda or auto")
    o = parser.add_argument_group("output")
    o.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    o.add_argument("--overwrite", action="store_true",
                   help="write into an --out folder that already holds files, replacing a "
                   "previous run's (files of other names are kept)")
    o.add_argument("--quiet", action="store_true", help="no progress display")


def sample_settings(path: str, args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    """A bundled sample's recommended data settings that no option on the command line sets.

    ``rnnviz train resources/data/electricity_halfhourly.csv`` then trains with the settings
    the window uses for that file (lookback 48...), so both give the same numbers; an option
    given on the command line replaces the sample's value.

    Returns
    -------
    fields : dict
        DataConfig fields to use unless given (empty for a file that is no sample).
    note : str or None
        What was applied, for the user (None when nothing was).
    """
    from rnnviz.core.samples import sample_for_path

    sample = sample_for_path(path)
    if sample is None:
        return {}, None
    given = {name for dest, (section, name) in _FIELDS.items()
             if section == "data" and getattr(args, dest, None) is not None}
    plain = DataConfig()
    fields = {k: v for k, v in sample.data_config().to_dict().items()
              if k not in given and getattr(plain, k) != (tuple(v) if isinstance(v, list) else v)}
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    if not fields:
        return {}, None
    shown = " ".join(f"{OPTION_NAMES.get(k, k)} {' '.join(v) if isinstance(v, tuple) else v}"
                     for k, v in fields.items())
    note = (f"{Path(path).name} is the bundled sample {sample.name!r}: using its recommended "
            f"settings {shown}, as the window does. Options given on the command line replace "
            "them.")
    return fields, note


def build_run(args: argparse.Namespace, base: dict[str, Any] | None = None) -> RunConfig:
    """Settings from the command line; unset options keep the defaults.

    Parameters
    ----------
    args : argparse.Namespace
    base : dict, optional
        DataConfig fields to use where no option is given (a bundled sample's settings,
        from :func:`sample_settings`).

    Raises
    ------
    ConfigError
        A value out of range (the message names the option and the allowed range).
    """
    parts: dict[str, dict[str, Any]] = {"data": dict(base or {}), "model": {}, "train": {}}
    for dest, (section, name) in _FIELDS.items():
        value = getattr(args, dest, None)
        if value is not None:
            parts[section][name] = tuple(value) if isinstance(value, list) else value
    # a probe for the figures is enough on the command line: no time-based probing
    parts["train"].setdefault("probe_every_seconds", None)
    parts["train"].setdefault("threads", DEFAULT_THREADS)
    try:
        return RunConfig(
            data=DataConfig(**parts["data"]),
            model=ModelConfig(**parts["model"]),
            train=TrainConfig(**parts["train"]),
        )
    except ConfigError as exc:
        raise ConfigError(exc.code, option_message(exc.message)) from None


def _fmt_time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Shows training progress on a stream: a redrawn bar on a terminal, lines otherwise."""

    def __init__(self, stream: TextIO, *, tty: bool | None = None, width: int = 24) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.width = width
        self.total = 1
        self.epochs = 1
        self.t0 = time.perf_counter()
        self.last_draw = 0.0
        self.val = math.nan
        self.loss = math.nan

    def __call__(self, ev: object) -> None:
        name = type(ev).__name__
        if name == "Started":
            self.epochs = ev.epochs
            self.total = max(1, ev.epochs * ev.batches_per_epoch)
            self.t0 = time.perf_counter()
            line = (f"training on {ev.n_train} windows ({ev.n_val} validation, {ev.n_test} test), "
                    f"{ev.epochs} epochs of {ev.batches_per_epoch} batches on {ev.device}")
            self._line(line + (f"\n  {ev.note}" if ev.note else ""))
        elif name == "BatchDone":
            self.loss = ev.loss
            if self.tty:
                now = time.perf_counter()
                if now - self.last_draw >= 0.1:
                    self.last_draw = now
                    self._bar(ev.epoch, ev.step)
        elif name == "EpochDone":
            self.val = ev.val_loss
            if self.tty:
                self._bar(ev.epoch, ev.step, force=True)
            else:
                self._line(f"epoch {ev.epoch}/{self.epochs}  train_loss {ev.train_loss:.5g}  "
                           f"val_loss {ev.val_loss:.5g}  lr {ev.lr:.3g}  {ev.seconds:.1f}s"
                           + ("  (best)" if ev.improved else ""))
        elif name == "Diverged":
            self._line(ev.message)
        elif name == "Finished":
            why = {"completed": "done", "stopped": "stopped", "early_stopping":
                   "stopped early (no better validation loss)", "diverged": "diverged"}
            self._line(f"{why.get(ev.reason, ev.reason)}: {ev.epochs_run} epoch(s), {ev.steps} "
                       f"batches in {_fmt_time(ev.seconds)}; best validation loss "
                       f"{ev.best_val_loss:.5g} at epoch {ev.best_epoch}")

    def _bar(self, epoch: int, step: int, force: bool = False) -> None:
        frac = min(1.0, step / self.total)
        elapsed = time.perf_counter() - self.t0
        eta = elapsed * (1 - frac) / frac if frac > 0 else math.nan
        fill = int(round(frac * self.width))
        bar = "#" * fill + "-" * (self.width - fill)
        text = (f"\repoch {epoch}/{self.epochs} [{bar}] {100 * frac:3.0f}%  loss {self.loss:.4g}"
                f"  val {self.val:.4g}  ETA {_fmt_time(eta)} ")
        self.stream.write(text)
        self.stream.flush()

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        self.stream.flush()


def summary(result: Any) -> str:
    """The text printed after training: metrics beside the baselines, a verdict, the files."""
    from rnnviz.core.runner import baseline_verdict, held_out_notes

    lines = []
    metrics = result.metrics
    if "test" in metrics or "validation" in metrics:
        split = "test" if "test" in metrics else "validation"
        entry = metrics[split]
        lines.append(f"{split} metrics ({metrics.get('target')}, data units):")
        lines.append(f"  {'forecast':<26}{'MAE':>12}{'RMSE':>12}{'MASE':>9}{'sMAPE %':>9}")
        for name in ("one_step", "recursive", "naive", "seasonal_naive", "mean", "dense",
                     "naive_recursive", "seasonal_naive_recursive", "direct", "direct_naive"):
            if name not in entry:
                continue
            e = entry[name]

            def f(key: str, fmt: str, e: dict = e) -> str:
                v = e.get(key)
                if isinstance(v, (int, float)):
                    return format(v, fmt)
                return format("-", ">" + fmt.split(".")[0])

            lines.append(f"  {name:<26}{f('mae', '12.4g')}{f('rmse', '12.4g')}"
                         f"{f('mase', '9.3f')}{f('smape', '9.2f')}")
        for note in held_out_notes(result):
            lines.append(f"note: {note}")
        verdict = baseline_verdict(metrics, lr=result.run.train.lr)
        if verdict:
            lines.append(verdict)
    elif metrics:
        for split in ("validation", "test"):
            if split in metrics:
                lines.append(f"{split} loss: {metrics[split]['loss']:.5g}")
    if result.folder is not None:
        lines.append(f"wrote {', '.join(p.name for p in result.files)} in {result.folder}")
    return "\n".join(lines)


def _tell(prep: Any, stream: TextIO) -> None:
    """The loader's warnings and the notes on settings, one line each, before training."""
    for text in prep.warnings:
        stream.write(f"warning: {text}\n")
    for text in prep.notes:
        stream.write(f"note: {text}\n")
    stream.flush()


def run(args: argparse.Namespace) -> int:
    """Train and write the run folder; return 0 (2 for bad input, raised as RnnvizError)."""
    from rnnviz.core.errors import DataError

    base, sample_note = sample_settings(args.file, args)
    run_cfg = build_run(args, base)
    if not Path(args.file).is_file():
        raise DataError("no_file", f"There is no file {args.file!r}. Check the path.")
    from rnnviz.core.runner import (
        check_out_folder,
        prepare_run,
        refuse_existing,
        remove_created,
        train_run,
        write_run,
    )

    overwrite = bool(getattr(args, "overwrite", False))
    if Path(args.out).is_dir():  # before any work (an existing file is named further on)
        refuse_existing(args.out, what="the run", overwrite=overwrite)
    try:
        prep = prepare_run(args.file, run_cfg)
    except ConfigError as exc:
        raise ConfigError(exc.code, option_message(exc.message)) from None
    if sample_note:
        prep = replace(prep, notes=(sample_note, *prep.notes))
    created = check_out_folder(args.out, overwrite=overwrite)
    _tell(prep, sys.stderr)
    progress = None if args.quiet else Progress(sys.stderr)
    try:
        result = train_run(prep.data, prep.run, on_event=progress, warnings=prep.warnings,
                           notes=prep.notes)
    except BaseException:
        remove_created(created)
        raise
    write_run(result, args.out, figures=not args.no_figures)
    print(summary(result))
    return 0
