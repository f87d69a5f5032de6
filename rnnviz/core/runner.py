"""Headless pipeline: train on a CSV file and write a run folder.

The command line (``rnnviz train``) and the window's "train and save" use the same steps:

1. :func:`prepare_run` -- load the CSV, prepare the series, cut windows, and fill in the
   settings chosen by default (target, time column, inputs) so the saved settings are the
   ones that ran; keep the loader's warnings and notes on settings that do nothing
   (:func:`prepare_csv` is the same without them). A split without a validation part is
   refused here, before any training: early stopping, keeping the best weights and the loss
   plot need the validation loss. A split without a test part is allowed (the metrics are then
   on the validation part only, and the notes say so);
2. :func:`check_out_folder` -- make sure the run folder can be created and written to,
   before training;
3. :func:`train_run` -- run :func:`rnnviz.core.training.train`, pass every event to a
   callback, keep a :class:`~rnnviz.core.history.RunHistory`;
4. :func:`write_run` -- write the folder.

Files written (see ``docs/cli.md``): ``model.safetensors`` and ``model.json`` (through
:func:`rnnviz.core.checkpoint.save_model`, atomically), ``settings.json``, ``history.csv``,
``metrics.json``, ``forecast.csv`` and the figures ``loss.png``, ``forecast.png``,
``gates.png``, ``gradients.png``. The model is saved first: if that fails (disk full), nothing
else in the folder is touched and the previous model there stays loadable. Every other file is
also written to a temporary file in the same folder and moved into place.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rnnviz.core.config import RunConfig
from rnnviz.core.errors import ConfigError, DataError, RnnvizError
from rnnviz.core.events import Finished, ForecastReady

if TYPE_CHECKING:  # pragma: no cover
    from rnnviz.core.forecast import HeldOut
    from rnnviz.core.history import RunHistory
    from rnnviz.core.models import Forecaster
    from rnnviz.core.training import TrainingControl
    from rnnviz.core.windows import WindowSplits

__all__ = [
    "PreparedRun",
    "RunResult",
    "baseline_verdict",
    "check_out_file",
    "check_out_folder",
    "refuse_existing",
    "held_out_notes",
    "prepare_csv",
    "prepare_run",
    "remove_created",
    "run_csv",
    "train_run",
    "write_run",
]

FIGURES = ("loss.png", "forecast.png", "gates.png", "gradients.png")
TAIL_ROWS_MAX = 100_000


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    folder : Path or None
        The run folder (None before :func:`write_run`).
    run : RunConfig
        The settings that ran (defaults filled in).
    data : WindowSplits
    model : Forecaster
    history : RunHistory
    held : HeldOut or None
        Forecasts over validation and test (None for sequence tasks).
    metrics : dict
        What ``metrics.json`` holds.
    files : list of Path
    warnings : tuple of str
        The loader's warnings and warnings about the settings (one line each).
    notes : tuple of str
        Notes on settings that were adjusted or do nothing.
    """

    folder: Path | None
    run: RunConfig
    data: WindowSplits
    model: Forecaster
    history: RunHistory
    held: HeldOut | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreparedRun:
    """Windows ready to train on, and what the user should be told first.

    Attributes
    ----------
    data : WindowSplits
    run : RunConfig
        With ``data.target``, ``data.inputs`` and ``data.time_column`` filled in as used.
    warnings : tuple of str
        The loader's warnings (skipped preamble, assumed date order, gaps, merged duplicate
        times, unreadable cells...) and warnings about the settings (resampling to a finer
        step than the data's), one line each, without repeats.
    notes : tuple of str
        Settings that were adjusted or do nothing (e.g. ``nonlinearity`` on an LSTM).
    """

    data: WindowSplits
    run: RunConfig
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _unique(lines: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_one_line(x) for x in lines if x and str(x).strip()))


def check_split(run: RunConfig) -> None:
    """Refuse a split without a validation part (before anything is loaded or trained).

    Raises
    ------
    ConfigError
        When the validation fraction is 0.
    """
    tr, va, te = run.data.split
    if va <= 0:
        raise ConfigError(
            "no_validation_part",
            f"The split {tr:g} {va:g} {te:g} leaves no validation part, but training needs "
            "one: early stopping, keeping the best weights and the loss plot all use the "
            "validation loss. Give the validation part a share, e.g. --split 0.7 0.15 0.15 "
            "(a test share of 0 is allowed).",
        )


def prepare_run(path: str | Path, run: RunConfig) -> PreparedRun:
    """Load a CSV file, cut it into windows, and collect what the user should be told.

    Parameters
    ----------
    path : str or Path
    run : RunConfig

    Returns
    -------
    PreparedRun

    Raises
    ------
    ConfigError
        The split has no validation part.
    DataError
        The file cannot be read or does not fit the settings (the message says why).
    """
    from rnnviz.core.csvload import load_csv
    from rnnviz.core.series import build_windows, describe_step, median_step, prepare_series

    check_split(run)
    table = load_csv(path)
    warnings: list[str] = [w.message for w in table.report.warnings]
    notes: list[str] = []
    cfg = run.data
    try:
        series = prepare_series(table, cfg)
    except DataError as exc:
        tcol = cfg.time_column
        if exc.code == "no_numeric_columns" and tcol is not None and tcol in table.frame.columns \
                and tcol in table.numeric_columns:
            detected = (f" (the loader found the time column {table.time_column!r})"
                        if table.time_column and table.time_column != tcol else "")
            raise DataError(
                "time_is_only_numeric",
                f"The chosen time column {tcol!r} is the only numeric column, so nothing is "
                f"left to forecast. Leave --time out{detected} or choose a column of dates.",
            ) from None
        raise
    K = len(series.target_names)
    target = series.target_names[0]
    if target in cfg.inputs:
        notes.append(f"{target!r} is the target, which the model always reads; it was left "
                     "out of the extra inputs.")
    if run.model.nonlinearity != "tanh" and run.model.cell != "rnn":
        notes.append(f"The nonlinearity {run.model.nonlinearity!r} applies to the plain RNN "
                     f"(--cell rnn) only; the {run.model.cell} cell ignores it.")
    if cfg.resample is not None and series.time_step is not None:
        before = median_step(table.times)
        if before is not None and series.time_step < before * 0.99:
            n_before = int(table.frame.shape[0])
            filled = {"interpolate": "interpolated", "ffill": "filled forward",
                      "drop": "left out as missing"}.get(cfg.missing, cfg.missing)
            warnings.append(
                f"Resampling to {cfg.resample} is finer than the data's own "
                f"{describe_step(before)} step: {n_before:,} rows became "
                f"{series.n_rows:,}, and the new rows are {filled}, not measured. Resample to a step at least as long as the "
                "data's, or leave resampling out."
            )
    dcfg = cfg.replace(
        target=target,
        inputs=tuple(series.feature_names[K:]),
        time_column=cfg.time_column or table.time_column,
    )
    data = build_windows(series, dcfg)
    if data.val.n == 0:  # build_windows refuses an empty requested part; never train without
        raise DataError("no_validation_windows",
                        "The validation part holds no complete window; make it larger.")
    return PreparedRun(data, run.replace(data=dcfg), _unique(warnings), _unique(notes))


def prepare_csv(path: str | Path, run: RunConfig) -> tuple[WindowSplits, RunConfig]:
    """Load a CSV file and cut it into windows (:func:`prepare_run` without the messages).

    Parameters
    ----------
    path : str or Path
    run : RunConfig

    Returns
    -------
    data : WindowSplits
    run : RunConfig
        With ``data.target``, ``data.inputs`` and ``data.time_column`` filled in as used.

    Raises
    ------
    DataError
        The file cannot be read or does not fit the settings (the message says why).
    """
    p = prepare_run(path, run)
    return p.data, p.run


RUN_FILES = ("model.safetensors", "model.json", "settings.json", "history.csv", "metrics.json",
             "forecast.csv", *FIGURES)
"""Every file a run folder can hold (what :func:`write_run` writes)."""


def _listing(names: list[str], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def refuse_existing(path: str | Path, *, what: str, option: str = "--out",
                    overwrite: bool = False) -> None:
    """Refuse to write where saved work would be lost, unless overwriting was asked for.

    A folder that holds anything, or a file that exists, is refused: no saved model, figure
    or other file is replaced without ``--overwrite``.

    Parameters
    ----------
    path : str or Path
        The output folder or file.
    what : str
        What would be written, for the message (``"the run"``, ``"the forecast"``).
    option : str
        The option that named ``path``.
    overwrite : bool
        Allow it (nothing is checked).

    Raises
    ------
    RnnvizError
        ``out_not_empty`` (a folder that holds files) or ``out_exists`` (an existing file),
        naming the path, what it holds and the two ways out.
    """
    if overwrite:
        return
    path = Path(path)
    if path.is_dir():
        try:
            names = sorted(p.name for p in path.iterdir())
        except OSError:
            return  # unreadable: the write test that follows names the problem
        if not names:
            return
        model = [n for n in names if n in ("model.json", "model.safetensors")]
        others = [n for n in names if n not in model]
        if model:
            holds = "a saved model" + (f" and {len(others)} other file(s) ({_listing(others)})"
                                       if others else f" ({', '.join(model)})")
        else:
            holds = f"{len(names)} file(s) ({_listing(names)})"
        raise RnnvizError(
            "out_not_empty",
            f"The folder {path} already holds {holds}; writing {what} there would replace "
            f"saved work. Choose a new folder with {option}, or add --overwrite to write over "
            "the files rnnviz writes there (files of other names are kept).",
        )
    if path.exists():
        raise RnnvizError(
            "out_exists",
            f"The file {path} already exists; writing {what} would replace it. Choose "
            f"another name with {option}, or add --overwrite to replace it.",
        )


def check_out_file(path: str | Path, *, what: str, example: str, option: str = "--out",
                   overwrite: bool = False) -> None:
    """Refuse an output file that is a folder, or that exists (unless overwriting).

    Parameters
    ----------
    path : str or Path
    what : str
        What is written (``"the forecast"``), for the message.
    example : str
        A file name to suggest (``"forecast.csv"``).
    option : str
        The option that named ``path``.
    overwrite : bool
        Allow replacing an existing file.

    Raises
    ------
    RnnvizError
        ``out_is_folder`` or ``out_exists`` (see :func:`refuse_existing`).
    """
    path = Path(path)
    if path.is_dir():
        raise RnnvizError("out_is_folder", f"{option} {path} is a folder; {what} is written to "
                          f"a file. Give a file name, e.g. {option} {path / example}.")
    refuse_existing(path, what=what, option=option, overwrite=overwrite)


def check_out_folder(folder: str | Path, *, overwrite: bool = True) -> list[Path]:
    """Make sure the run folder exists and can be written to, before training.

    Creates the folder (and missing parents) and writes and removes a small test file. With
    ``overwrite=False`` a folder that already holds anything is refused first
    (:func:`refuse_existing`), as ``rnnviz train`` does without ``--overwrite``.

    Parameters
    ----------
    folder : str or Path
    overwrite : bool
        Allow a folder that already holds files (a previous run's are replaced).

    Returns
    -------
    list of Path
        The folders this call created (deepest last), for :func:`remove_created` if the run
        fails before anything is saved.

    Raises
    ------
    RnnvizError
        ``out_is_file``, ``out_not_empty``, ``out_not_creatable``, ``out_not_writable`` or
        ``out_disk_full``, with a message naming the real problem.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RnnvizError("out_is_file", f"The output folder {folder} is an existing file, not a "
                          "folder. Choose a folder name (it is created if missing).")
    refuse_existing(folder, what="the run", overwrite=overwrite)
    missing: list[Path] = []
    p = folder
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    if p.exists() and not p.is_dir():
        raise RnnvizError("out_not_creatable", f"Cannot create the folder {folder}: {p} is a "
                          "file, not a folder. Choose another place.")
    created: list[Path] = []
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
        probe = folder / f".rnnviz-write-test-{uuid.uuid4().hex}"
        with open(probe, "xb") as fh:
            fh.write(b"ok")
        probe.unlink()
    except OSError as exc:
        remove_created(created)
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise RnnvizError("out_disk_full", f"Cannot write in {folder}: {reason}. Free some "
                              "disk space or choose another folder.") from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise RnnvizError("out_not_writable", f"Cannot write in {folder}: {reason}. Choose "
                              "a folder you can write to.") from None
        raise RnnvizError("out_not_creatable", f"Cannot create or write the folder {folder}: "
                          f"{reason}. Choose another folder.") from None
    return created


def remove_created(created: list[Path]) -> None:
    """Remove folders made by :func:`check_out_folder` that are still empty (deepest first)."""
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            break


def train_run(data: WindowSplits, run: RunConfig, *, control: TrainingControl | None = None,
              on_event: Callable[[object], None] | None = None,
              model: Forecaster | None = None, warnings: tuple[str, ...] = (),
              notes: tuple[str, ...] = ()) -> RunResult:
    """Train and collect the events.

    Parameters
    ----------
    data : WindowSplits
    run : RunConfig
    control : TrainingControl, optional
    on_event : callable, optional
        Called with every event (progress display).
    model : Forecaster, optional
        Continue from this model; a new seeded one otherwise.
    warnings, notes : tuple of str
        From :func:`prepare_run`; kept in the result and in ``metrics["notes"]``.

    Returns
    -------
    RunResult
        ``held`` holds the final forecasts when the data come from a series.
    """
    from rnnviz.core.history import RunHistory
    from rnnviz.core.training import make_model, train

    if model is None:
        model = make_model(data, run)
    history = RunHistory()
    last_forecast: ForecastReady | None = None
    for ev in train(data, run, control=control, model=model):
        history.add(ev)
        if isinstance(ev, ForecastReady):
            last_forecast = ev
        if on_event is not None:
            on_event(ev)
    result = RunResult(None, run, data, model, history, warnings=tuple(warnings),
                       notes=tuple(notes))
    if data.series is not None:
        result.held = _final_forecast(model, data, last_forecast)
        result.metrics = _metrics_dict(result)
    else:
        result.metrics = _sequence_metrics(result)
    return result


def _final_forecast(model: Forecaster, data: WindowSplits,
                    last: ForecastReady | None) -> HeldOut:
    """Held-out forecasts of the final weights (reusing the engine's last forecast)."""
    from dataclasses import replace

    from rnnviz.core.forecast import held_out_forecast

    if last is None:  # stopped before the first step: forecast now (no dense baseline)
        return held_out_forecast(model, data)
    # The last ForecastReady was computed after the best weights were restored; recompute
    # only the cheap parts it does not carry (the per-row baselines for forecast.csv).
    base = held_out_forecast(model, data, recursive=False)
    return replace(base, one_step=last.one_step.astype(np.float64),
                   recursive=last.recursive.astype(np.float64), metrics=last.metrics,
                   note=last.note)


def _clean(obj: Any) -> Any:
    """JSON-ready: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _training_summary(history: RunHistory) -> dict[str, Any]:
    fin: Finished | None = history.finished
    out: dict[str, Any] = {}
    if fin is not None:
        out = {"reason": fin.reason, "epochs_run": fin.epochs_run, "steps": fin.steps,
               "best_epoch": fin.best_epoch, "best_val_loss": fin.best_val_loss,
               "seconds": round(fin.seconds, 3)}
    if history.started is not None:
        out["baseline_val_losses"] = dict(history.started.baseline_losses)
    if history.diverged is not None:
        out["diverged"] = {"step": history.diverged.step, "message": history.diverged.message}
    return out


def _metrics_dict(result: RunResult) -> dict[str, Any]:
    held = result.held
    s = result.data.series
    out: dict[str, Any] = {
        "target": result.data.target_names[0] if result.data.n_targets == 1
        else list(result.data.target_names),
        "units": "the data's own units (after inverse scaling)",
        "season": result.run.data.season or (s.season if s is not None else None),
    }
    for split, entry in held.metrics.items():
        out[split] = entry
    out["training"] = _training_summary(result.history)
    notes = [*result.warnings, *(s.notes if s is not None else ()), *result.data.notes,
             *result.notes, *held_out_notes(result)]
    verdict = baseline_verdict(out, lr=result.run.train.lr)
    if verdict:
        notes.append(verdict)
    out["notes"] = list(_unique(notes))
    return _clean(out)


def held_out_notes(result: RunResult) -> list[str]:
    """Notes on the held-out forecasts (printed after the metrics)."""
    held = result.held
    notes = [held.note] if held is not None and held.note else []
    if held is not None and "test" not in held.metrics and "validation" in held.metrics:
        notes.append("There is no test part (its share of the split is 0), so the metrics are "
                     "on the validation part, which also chose the best epoch: they flatter "
                     "the model.")
    return notes


FAR_WORSE_LOSS = 10.0
"""A validation loss this many times the mean baseline's means training went wrong."""
FAR_WORSE_RMSE = 3.0
"""A one-step RMSE this many times the mean baseline's (about FAR_WORSE_LOSS in MSE)."""


def _ratio(a: Any, b: Any) -> float:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return math.nan
    if not (math.isfinite(b) and b > 0) or math.isnan(a):
        return math.nan
    return a / b if math.isfinite(a) else math.inf


def baseline_verdict(metrics: dict[str, Any], *, lr: float | None = None) -> str | None:
    """A plain sentence when the model forecasts worse than a baseline, with what to try.

    Two cases, checked in this order:

    1. far worse than forecasting the training mean (the best validation loss at least
       :data:`FAR_WORSE_LOSS` times the mean baseline's, or the one-step RMSE at least
       :data:`FAR_WORSE_RMSE` times the mean forecast's): training itself went wrong, most
       often a learning rate too high; the sentence names the rate used and a tenth of it;
    2. worse than the last value (one-step RMSE above the naive one): the model has not
       learnt the series' shape; the sentence suggests a relu RNN for a trend, more epochs or
       a differenced target.

    The RMSEs come from the test part (the validation part when there is no test part).

    Parameters
    ----------
    metrics : dict
        ``metrics.json``'s object (``{split: {name: {"rmse": ...}}}``, ``training`` with
        ``best_val_loss`` and ``baseline_val_losses``).
    lr : float, optional
        The learning rate the run used (named in the first case).

    Returns
    -------
    str or None
        None when the model does at least as well as both, or when there is nothing to
        compare.
    """
    split = "test" if "test" in metrics else "validation"
    entry = metrics.get(split)
    if not isinstance(entry, dict):
        return None
    one_step = (entry.get("one_step") or {}).get("rmse")
    training = metrics.get("training") or {}
    loss_ratio = _ratio(training.get("best_val_loss"),
                        (training.get("baseline_val_losses") or {}).get("mean"))
    rmse_ratio = _ratio(one_step, (entry.get("mean") or {}).get("rmse"))
    if loss_ratio >= FAR_WORSE_LOSS or rmse_ratio >= FAR_WORSE_RMSE:
        if loss_ratio >= FAR_WORSE_LOSS:
            how = (f"its best validation loss is {float(training['best_val_loss']):.4g} against "
                   f"{float(training['baseline_val_losses']['mean']):.4g} for the mean")
        else:
            how = (f"its one-step {split} RMSE is {float(one_step):.4g} against "
                   f"{float(entry['mean']['rmse']):.4g} for the mean")
        if lr is not None and math.isfinite(lr) and lr > 0:
            rate = (f"The learning rate {lr:g} is the first suspect: train again with "
                    f"--lr {lr / 10:g} (a tenth of it)")
        else:
            rate = "The learning rate is the first suspect: train again with a tenth of it"
        return (f"The model forecasts far worse than simply predicting the training mean: {how}. "
                f"Training went wrong rather than the model being too simple. {rate}, "
                "and lower it further if the loss still jumps about; --clip 1 also tames "
                "exploding gradients.")
    try:
        model = float(entry["one_step"]["rmse"])
        naive = float(entry["naive"]["rmse"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(model) and math.isfinite(naive)) or model <= naive:
        return None
    return (f"The model forecasts worse than simply repeating the last value: its one-step "
            f"{split} RMSE is {model:.4g} against {naive:.4g} for the last-value baseline. "
            "Try --cell rnn --nonlinearity relu for a trending series, more --epochs, or a "
            "differenced target (forecast the change from one row to the next).")


def _sequence_metrics(result: RunResult) -> dict[str, Any]:
    from rnnviz.core.training import evaluate

    loss = result.run.train.loss
    out: dict[str, Any] = {"loss": loss}
    for name, part in (("validation", result.data.val), ("test", result.data.test)):
        value, _ = evaluate(result.model, part, loss)
        out[name] = {"loss": value}
    out["training"] = _training_summary(result.history)
    return _clean(out)


# ---------------------------------------------------------------------------- writing
def _atomic_bytes(path: Path, data: bytes) -> Path:
    """Write to a new hidden file in the same folder (normal permissions), then rename."""
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _atomic_text(path: Path, text: str) -> Path:
    return _atomic_bytes(path, text.encode("utf-8"))


def _forecast_csv(result: RunResult) -> str:
    """forecast.csv: ISO times (dates only when all are midnight), numbers to 10 digits."""
    from rnnviz.core.forecast import format_times, format_value

    held = result.held
    s = result.data.series
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    K = result.data.n_targets
    names = list(result.data.target_names)
    cols = ["actual", "one_step", "recursive", "naive", "seasonal_naive"]
    if K == 1:
        header = ["time", "split", *cols]
    else:
        header = ["time", "split"] + [f"{c}_{n}" for n in names for c in cols]
    w.writerow(header)
    times = s.times if s is not None else None
    if times is not None:
        stamps = format_times(times[held.index])
    else:
        stamps = [str(int(r)) for r in held.index]

    nan = np.full((held.index.size, K), np.nan)
    arrays = [held.actual, held.one_step, held.recursive, held.baselines.get("naive", nan),
              held.baselines.get("seasonal_naive", nan)]
    for i in range(held.index.size):
        vals = [format_value(a[i, k]) for k in range(K) for a in arrays]
        w.writerow([stamps[i], held.split[i], *vals])
    return buf.getvalue()


def _tail(data: WindowSplits) -> dict[str, Any]:
    """The last rows a future forecast needs, stored in model.json (no CSV needed later)."""
    s = data.series
    n = min(s.n_rows, max(data.lookback * data.step, 1), TAIL_ROWS_MAX)
    out: dict[str, Any] = {"raw": s.raw[-n:].tolist(), "valid": s.valid[-n:].tolist(),
                           "n_rows": int(s.n_rows)}
    if s.times is not None:
        from rnnviz.core.forecast import format_times

        out["times"] = format_times(s.times[-min(n, 50):])
    return _clean(out)


def write_run(result: RunResult, folder: str | Path, *, figures: bool = True) -> RunResult:
    """Write the run folder (model first; see the module docstring).

    Parameters
    ----------
    result : RunResult
    folder : str or Path
        Created if missing.
    figures : bool
        Draw the PNG figures (needs matplotlib).

    Returns
    -------
    RunResult
        With ``folder`` and ``files`` set. A file of :data:`RUN_FILES` left in the folder by an
        earlier run and not written by this one (a figure, after ``figures=False``) is
        removed, so the folder never mixes two runs; files of other names are left alone.

    Raises
    ------
    ModelFileError
        The model could not be saved (nothing else was written).
    RnnvizError
        Another file could not be written.
    """
    from rnnviz.core.checkpoint import save_model

    folder = Path(folder)
    data, run = result.data, result.run
    scaler = data.scaler
    scaler_dict = scaler.to_dict() if scaler is not None else None
    if scaler_dict is None:
        from rnnviz.core.scaling import Scaler

        scaler_dict = Scaler.identity(data.n_features, data.feature_names).to_dict()
    extra: dict[str, Any] = {"training": _training_summary(result.history)}
    fin = result.history.finished
    if fin is not None:  # the moment of the weights, as the engine's final probe names it
        extra["step"] = int(fin.steps)
        extra["epoch"] = int(fin.epochs_run)
    if data.series is not None:
        extra["tail"] = _tail(data)
        extra["season"] = run.data.season or data.series.season
    save_model(folder, result.model, run, scaler=scaler_dict, feature_names=data.feature_names,
               target_names=data.target_names, extra=_clean(extra))
    files = [folder / "model.safetensors", folder / "model.json"]
    try:
        files.append(_atomic_text(folder / "settings.json",
                                  json.dumps(run.to_dict(), indent=2) + "\n"))
        tmp = folder / ".history.csv.tmp"
        result.history.write_history_csv(tmp)
        os.replace(tmp, folder / "history.csv")
        files.append(folder / "history.csv")
        files.append(_atomic_text(folder / "metrics.json",
                                  json.dumps(result.metrics, indent=2, allow_nan=False) + "\n"))
        if result.held is not None:
            files.append(_atomic_text(folder / "forecast.csv", _forecast_csv(result)))
        if figures:
            files += _write_figures(result, folder)
    except OSError as exc:
        hint = ("Free some disk space or choose another folder and run again."
                if exc.errno in (errno.ENOSPC, errno.EDQUOT)
                else "Choose another folder and run again.")
        raise RnnvizError(
            "write_failed",
            f"The model was saved in {folder}, but writing the other results failed: "
            f"{exc.strerror or exc}. {hint}",
        ) from exc
    for name in RUN_FILES:  # a file of an earlier run this one did not write (--no-figures)
        stale = folder / name
        if stale not in files and stale.exists():
            try:
                stale.unlink()
            except OSError:
                pass
    result.folder = folder
    result.files = files
    return result


def _final_trace(result: RunResult):
    trace = result.history.latest_trace
    if trace is not None:
        return trace
    from rnnviz.core.probes import probe
    from rnnviz.core.training import probe_indices

    data = result.data
    part = data.val if data.val.n else data.train
    idx = probe_indices(part.n, result.run.train.probe_windows)
    fin = result.history.finished
    return probe(result.model, np.asarray(part.X[idx]), np.asarray(part.Y[idx]),
                 loss=result.run.train.loss, window_start=part.start[idx],
                 feature_names=data.feature_names, step=fin.steps if fin else 0,
                 epoch=fin.epochs_run if fin else 0)


def _write_figures(result: RunResult, folder: Path) -> list[Path]:
    from rnnviz.core import figures as fg

    out: list[Path] = []

    def draw(name: str, fn: Callable[[Path], Path]) -> None:
        tmp = folder / f".{name}.tmp.png"
        try:
            fn(tmp)
            os.replace(tmp, folder / name)
        finally:
            if tmp.exists():
                tmp.unlink()
        out.append(folder / name)

    draw("loss.png", lambda p: fg.loss_figure(result.history, p))
    if result.held is not None and result.held.index.size:
        s = result.data.series
        te = int(s.train_end)
        season = result.run.data.season or s.season or result.data.lookback
        lo = max(0, te - max(3 * season, result.data.lookback * 2))
        rows = np.arange(lo, te)
        raw = s.raw[:, : result.data.n_targets]
        draw("forecast.png", lambda p: fg.forecast_figure(
            result.held, p, times=s.times, history_rows=rows, history_values=raw[rows],
            target_name=result.data.target_names[0]))
    trace = _final_trace(result)
    draw("gates.png", lambda p: fg.gates_figure(trace, p))
    draw("gradients.png", lambda p: fg.gradients_figure(trace, p, history=result.history))
    return out


def run_csv(path: str | Path, run: RunConfig, out: str | Path, *,
            control: TrainingControl | None = None,
            on_event: Callable[[object], None] | None = None,
            figures: bool = True, overwrite: bool = False) -> RunResult:
    """Load, prepare, check the folder, train and write: the whole ``rnnviz train`` in one call.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    run : RunConfig
    out : str or Path
        The run folder.
    control : TrainingControl, optional
    on_event : callable, optional
    figures : bool
    overwrite : bool
        Replace a previous run in ``out``. By default a folder that holds anything is
        refused (no saved work is replaced unasked), as ``rnnviz train`` does without
        ``--overwrite``.

    Returns
    -------
    RunResult
    """
    prep = prepare_run(path, run)
    created = check_out_folder(out, overwrite=overwrite)
    try:
        result = train_run(prep.data, prep.run, control=control, on_event=on_event,
                           warnings=prep.warnings, notes=prep.notes)
    except BaseException:
        remove_created(created)
        raise
    return write_run(result, out, figures=figures)
