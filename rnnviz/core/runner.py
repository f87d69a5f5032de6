"""Headless pipeline: train on a CSV file and write a run folder.

The command line (``rnnviz train``) and the window's "train and save" use the same steps:

1. :func:`prepare_csv` -- load the CSV, prepare the series, cut windows, and fill in the
   settings chosen by default (target, time column, inputs) so the saved settings are the
   ones that ran;
2. :func:`train_run` -- run :func:`rnnviz.core.training.train`, pass every event to a
   callback, keep a :class:`~rnnviz.core.history.RunHistory`;
3. :func:`write_run` -- write the folder.

Files written (see ``docs/cli.md``): ``model.safetensors`` and ``model.json`` (through
:func:`rnnviz.core.checkpoint.save_model`, atomically), ``settings.json``, ``history.csv``,
``metrics.json``, ``forecast.csv`` and the figures ``loss.png``, ``forecast.png``,
``gates.png``, ``gradients.png``. The model is saved first: if that fails (disk full), nothing
else in the folder is touched and the previous model there stays loadable. Every other file is
also written to a temporary file in the same folder and moved into place.
"""

from __future__ import annotations

import csv
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
from rnnviz.core.errors import RnnvizError
from rnnviz.core.events import Finished, ForecastReady

if TYPE_CHECKING:  # pragma: no cover
    from rnnviz.core.forecast import HeldOut
    from rnnviz.core.history import RunHistory
    from rnnviz.core.models import Forecaster
    from rnnviz.core.training import TrainingControl
    from rnnviz.core.windows import WindowSplits

__all__ = ["RunResult", "prepare_csv", "run_csv", "train_run", "write_run"]

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
    """

    folder: Path | None
    run: RunConfig
    data: WindowSplits
    model: Forecaster
    history: RunHistory
    held: HeldOut | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def prepare_csv(path: str | Path, run: RunConfig) -> tuple[WindowSplits, RunConfig]:
    """Load a CSV file and cut it into windows.

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
    from rnnviz.core.csvload import load_csv
    from rnnviz.core.series import build_windows, prepare_series

    table = load_csv(path)
    series = prepare_series(table, run.data)
    K = len(series.target_names)
    dcfg = run.data.replace(
        target=series.target_names[0],
        inputs=tuple(series.feature_names[K:]),
        time_column=run.data.time_column or table.time_column,
    )
    data = build_windows(series, dcfg)
    return data, run.replace(data=dcfg)


def train_run(data: WindowSplits, run: RunConfig, *, control: TrainingControl | None = None,
              on_event: Callable[[object], None] | None = None,
              model: Forecaster | None = None) -> RunResult:
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
    result = RunResult(None, run, data, model, history)
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
    out["notes"] = [n for n in ([held.note] if held.note else []) if n]
    return _clean(out)


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

    def num(v: float) -> str:
        return "" if not math.isfinite(v) else repr(float(v))

    nan = np.full((held.index.size, K), np.nan)
    arrays = [held.actual, held.one_step, held.recursive, held.baselines.get("naive", nan),
              held.baselines.get("seasonal_naive", nan)]
    for i, row in enumerate(held.index):
        t = str(np.datetime_as_string(times[row], unit="s")) if times is not None else str(row)
        vals = [num(a[i, k]) for k in range(K) for a in arrays]
        w.writerow([t, held.split[i], *vals])
    return buf.getvalue()


def _tail(data: WindowSplits) -> dict[str, Any]:
    """The last rows a future forecast needs, stored in model.json (no CSV needed later)."""
    s = data.series
    n = min(s.n_rows, max(data.lookback * data.step, 1), TAIL_ROWS_MAX)
    out: dict[str, Any] = {"raw": s.raw[-n:].tolist(), "valid": s.valid[-n:].tolist(),
                           "n_rows": int(s.n_rows)}
    if s.times is not None:
        out["times"] = [str(np.datetime_as_string(t, unit="s")) for t in s.times[-min(n, 50):]]
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
        With ``folder`` and ``files`` set.

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
        raise RnnvizError(
            "write_failed",
            f"The model was saved in {folder}, but writing the other results failed: "
            f"{exc.strerror or exc}. Free some disk space or choose another folder and run again.",
        ) from exc
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
    if result.held is not None:
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
            figures: bool = True) -> RunResult:
    """Load, prepare, train and write: the whole ``rnnviz train`` in one call.

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

    Returns
    -------
    RunResult
    """
    data, run = prepare_csv(path, run)
    result = train_run(data, run, control=control, on_event=on_event)
    return write_run(result, out, figures=figures)
