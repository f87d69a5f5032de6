"""Compare mode: two or three models trained side by side on the same windows.

:class:`Comparison` builds one model per :class:`CompareRun` (each right after
``torch.manual_seed(run.train.seed)``, so a model starts exactly as it would in a run of its
own), starts one :func:`rnnviz.core.training.train` generator per model and interleaves
them, batch by batch (``interleave="batch"``) or epoch by epoch (``"epoch"``), so a window
can draw all of them as they learn. Same data, same split, same seed and therefore the same
batch order for every model: whatever differs in the results comes from the model.

Iterating yields ``(label, event)`` pairs: the engine's events (``Started``, ``BatchDone``,
``EpochDone``, ``ProbeReady``, ``ForecastReady``, ``Diverged``, ``Finished``), and, after a
run's ``Finished``, one :class:`RunResult` of its own (not an engine event: don't add it to
a :class:`~rnnviz.core.history.RunHistory`; :meth:`Comparison.events` already keeps one
history per label in :attr:`Comparison.histories`).

A :class:`RunResult` holds the row of the results table: final train / validation loss,
test loss and metrics, seconds per epoch (time spent in that model's own generator, so the
interleaving does not inflate it), and the gradient ratio
``||dL/dh_1|| / ||dL/dh_T||`` measured by a probe of the same fixed test windows before and
after training (median over the windows, last layer).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnviz.core.config import RunConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.events import BatchDone, Diverged, EpochDone, Finished, ForecastReady
from rnnviz.core.history import RunHistory

__all__ = [
    "CompareRun",
    "Comparison",
    "RunResult",
    "compare",
    "mean_baseline",
    "results_table",
]

INTERLEAVE = ("batch", "epoch")
PROBE_WINDOWS = 8
"""Test windows probed before and after training for the gradient ratio."""
KEPT_PREDICTIONS = 500
"""Test windows whose predictions a RunResult keeps for the prediction scatter plot."""
_NOT_IN_JSON = ("trace_start", "trace", "test_targets", "test_predictions")


@dataclass(frozen=True)
class CompareRun:
    """One model of a comparison.

    Attributes
    ----------
    label : str
        Name in legends and tables (unique within a comparison).
    run : RunConfig
    data : WindowSplits or None
        Windows of its own (lessons whose runs solve different toy problems); ``None`` uses
        the comparison's shared data.
    checks : tuple of dict
        ``{"input": (T, F) values, "expected": values, "label": str}`` in the data's units:
        after training the model answers each input and the result shows its answer.
    """

    label: str
    run: RunConfig
    data: Any = None
    checks: tuple[dict[str, Any], ...] = ()


@dataclass
class RunResult:
    """What one model achieved (a row of the results table).

    Attributes
    ----------
    label, cell : str
    finish_reason : str
        ``completed``, ``stopped``, ``early_stopping`` or ``diverged``.
    epochs_run, steps : int
    final_train_loss, final_val_loss : float
        Of the last epoch (model units, the training loss function).
    test_loss : float
        The training loss function on the test windows, after training.
    test_mse, test_mae : float
        On the test windows, in the units the model sees (a sequence task's own units).
    test_metrics : dict
        Test metrics in the data's units: the engine's forecast metrics (``one_step``,
        ``recursive`` and the baselines, each ``{mae, rmse, ...}``) for series; for
        sequence tasks ``{"model": {"mse", "mae", "rmse"}}`` after inverse scaling.
    seconds_per_epoch : float
        Mean time spent in this model's training per epoch.
    gradient_ratio_start, gradient_ratio : float
        Median over the probed windows of ||dL/dh_1|| / ||dL/dh_T|| before / after training.
    grad_per_step_start, grad_per_step : ndarray, shape (T,)
        Median over the probed windows of ||dL/dh_t|| for every t (last layer).
    diverged : str
        The engine's divergence message, or "".
    checks : list of dict
        ``{"label", "input", "expected", "predicted"}`` per check.
    n_parameters : int
    trace_start, trace : Trace or None
        The probes of the fixed test windows before and after training (not in ``to_dict``).
    test_targets, test_predictions : ndarray, shape (n, horizon * K)
        True values and the model's predictions for the first :data:`KEPT_PREDICTIONS` test
        windows, in the data's units (not in ``to_dict``).
    """

    label: str
    cell: str
    finish_reason: str = ""
    epochs_run: int = 0
    steps: int = 0
    final_train_loss: float = math.nan
    final_val_loss: float = math.nan
    test_loss: float = math.nan
    test_mse: float = math.nan
    test_mae: float = math.nan
    test_metrics: dict[str, Any] = field(default_factory=dict)
    seconds_per_epoch: float = math.nan
    gradient_ratio_start: float = math.nan
    gradient_ratio: float = math.nan
    grad_per_step_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    grad_per_step: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    diverged: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    n_parameters: int = 0
    trace_start: Any = field(default=None, repr=False)
    trace: Any = field(default=None, repr=False)
    test_targets: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    test_predictions: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (arrays become lists, NaN becomes None; the traces are left out)."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if k not in _NOT_IN_JSON:
                out[k] = _jsonable(v)
        return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return [_jsonable(float(x)) for x in v.ravel()] if v.ndim <= 1 else _jsonable(v.tolist())
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


class _Fanout:
    """A TrainingControl look-alike that passes each call to every run's control."""

    def __init__(self, controls: Sequence[Any]) -> None:
        self._controls = list(controls)

    def __getattr__(self, name: str) -> Callable[..., None]:
        def call(*args: Any) -> None:
            for c in self._controls:
                getattr(c, name)(*args)
        return call


class Comparison:
    """Train two or three models on the same windows, interleaved.

    Parameters
    ----------
    runs : sequence of CompareRun
        One to three runs with unique labels.
    data : WindowSplits, optional
        Shared windows (required unless every run has its own ``data``).
    interleave : {"batch", "epoch"}
        How often the generators take turns.
    train_fn : callable, optional
        ``train(data, run, *, control, model)``; defaults to :func:`rnnviz.core.training.train`.
    control_factory : callable, optional
        Makes each run's control; defaults to :class:`rnnviz.core.training.TrainingControl`.
    probe_windows : int
        Test windows probed before and after training for the gradient ratio.

    Attributes
    ----------
    histories : dict of str to RunHistory
        Filled by :meth:`events` as the events pass.
    models : dict of str to Forecaster
    results : dict of str to RunResult
        Filled as each run finishes.
    control : object
        ``pause()``, ``resume()``, ``step_once()``, ``stop()``, ``set_lr(x)`` for every run.
    """

    def __init__(self, runs: Sequence[CompareRun], data: Any = None, *, interleave: str = "batch",
                 train_fn: Callable[..., Iterator[Any]] | None = None,
                 control_factory: Callable[[], Any] | None = None,
                 probe_windows: int = PROBE_WINDOWS) -> None:
        runs = list(runs)
        if not 1 <= len(runs) <= 3:
            raise ConfigError("bad_compare", f"Compare one to three models; got {len(runs)}.")
        labels = [r.label for r in runs]
        if len(set(labels)) != len(labels):
            raise ConfigError("bad_compare", f"Model labels must differ; got {', '.join(labels)}.")
        if interleave not in INTERLEAVE:
            raise ConfigError("bad_choice", f"interleave must be batch or epoch; got {interleave!r}.")
        for r in runs:
            if not isinstance(r.run, RunConfig):
                raise ConfigError("bad_compare", f"Run '{r.label}' needs a RunConfig.")
            if r.data is None and data is None:
                raise ConfigError("bad_compare", f"Run '{r.label}' has no data to train on.")
        self.runs = runs
        self.data = data
        self.interleave = interleave
        self.probe_windows = int(probe_windows)
        self._train_fn = train_fn
        self._control_factory = control_factory
        self.histories: dict[str, RunHistory] = {r.label: RunHistory() for r in runs}
        self.models: dict[str, Any] = {}
        self.results: dict[str, RunResult] = {}
        self._controls = {r.label: self._make_control() for r in runs}
        self.control = _Fanout(list(self._controls.values()))
        self._started = False

    # ------------------------------------------------------------------ control
    def _make_control(self) -> Any:
        if self._control_factory is not None:
            return self._control_factory()
        from rnnviz.core.training import TrainingControl

        return TrainingControl()

    def control_of(self, label: str) -> Any:
        """The TrainingControl of one run."""
        return self._controls[label]

    def stop(self) -> None:
        """Ask every run to stop after its current batch."""
        self.control.stop()

    @property
    def labels(self) -> list[str]:
        """Labels of the runs, in order."""
        return [r.label for r in self.runs]

    def data_of(self, label: str) -> Any:
        """The windows a run trains on."""
        run = next(r for r in self.runs if r.label == label)
        return run.data if run.data is not None else self.data

    # ------------------------------------------------------------------ running
    def build_models(self) -> dict[str, Any]:
        """Build every model, each right after seeding torch with its run's seed."""
        import torch

        from rnnviz.core.models import build_model

        for r in self.runs:
            if r.label in self.models:
                continue
            d = self.data_of(r.label)
            torch.manual_seed(r.run.train.seed)
            self.models[r.label] = build_model(
                r.run.model, d.n_features, d.horizon, d.n_targets, device=r.run.train.device
            )
        return self.models

    def events(self) -> Iterator[tuple[str, Any]]:
        """Train every model, interleaved; yield ``(label, event)`` pairs.

        After a run's last engine event (``Finished``) comes ``(label, RunResult)``.
        """
        if self._started:
            raise RuntimeError("a Comparison runs once; make a new one to train again")
        self._started = True
        if self._train_fn is None:
            from rnnviz.core.training import train as train_fn
        else:
            train_fn = self._train_fn
        self.build_models()
        state: dict[str, dict[str, Any]] = {}
        for r in self.runs:
            d = self.data_of(r.label)
            start = self._probe(r.label)
            state[r.label] = {
                "gen": train_fn(d, r.run, control=self._controls[r.label], model=self.models[r.label]),
                "spent": 0.0,
                "epoch_spent": [],
                "mark": 0.0,
                "start_trace": start,
            }
        active = [r.label for r in self.runs]
        turn_ends = BatchDone if self.interleave == "batch" else EpochDone
        while active:
            for label in list(active):
                st = state[label]
                while True:
                    t0 = time.perf_counter()
                    try:
                        event = next(st["gen"])
                    except StopIteration:
                        st["spent"] += time.perf_counter() - t0
                        active.remove(label)
                        result = self._finish(label, st)
                        yield label, result
                        break
                    st["spent"] += time.perf_counter() - t0
                    if isinstance(event, EpochDone):
                        st["epoch_spent"].append(st["spent"] - st["mark"])
                        st["mark"] = st["spent"]
                    self.histories[label].add(event)
                    yield label, event
                    if isinstance(event, (turn_ends, Finished)):
                        break

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return self.events()

    # ------------------------------------------------------------------ results
    def _probe_windows(self, label: str) -> tuple[np.ndarray, np.ndarray]:
        d = self.data_of(label)
        part = d.test if d.test.n > 0 else d.val if d.val.n > 0 else d.train
        n = min(self.probe_windows, part.n)
        return np.asarray(part.X[:n]), np.asarray(part.Y[:n])

    def _probe(self, label: str):
        from rnnviz.core.probes import probe

        x, y = self._probe_windows(label)
        if x.shape[0] == 0:
            return None
        run = next(r for r in self.runs if r.label == label).run
        d = self.data_of(label)
        return probe(self.models[label], x, y, loss=run.train.loss, feature_names=d.feature_names)

    def _finish(self, label: str, st: dict[str, Any]) -> RunResult:
        from rnnviz.core.forecast import predict_windows
        from rnnviz.core.optim import loss_numpy

        r = next(x for x in self.runs if x.label == label)
        d = self.data_of(label)
        h = self.histories[label]
        model = self.models[label]
        res = RunResult(label=label, cell=r.run.model.cell)
        res.n_parameters = int(sum(p.numel() for p in model.parameters()))
        if h.finished is not None:
            res.finish_reason = h.finished.reason
            res.epochs_run = h.finished.epochs_run
            res.steps = h.finished.steps
        if h.epochs:
            res.final_train_loss = float(h.epochs[-1].train_loss)
            res.final_val_loss = float(h.epochs[-1].val_loss)
        if st["epoch_spent"]:
            res.seconds_per_epoch = float(np.mean(st["epoch_spent"]))
        if isinstance(h.diverged, Diverged):
            res.diverged = h.diverged.message
        test = d.test if d.test.n > 0 else d.val
        if test.n > 0:
            pred = predict_windows(model, test.X)  # (n, horizon, K)
            Y = np.asarray(test.Y, dtype=np.float64)
            res.test_loss = loss_numpy(r.run.train.loss, pred, Y)
            err = pred.astype(np.float64) - Y
            res.test_mse = float(np.mean(err**2))
            res.test_mae = float(np.mean(np.abs(err)))
            keep_p, keep_y = pred[:KEPT_PREDICTIONS].astype(np.float64), Y[:KEPT_PREDICTIONS]
            if d.scaler is not None:
                keep_p, keep_y = d.scaler.inverse_targets(keep_p), d.scaler.inverse_targets(keep_y)
            res.test_predictions = keep_p.reshape(keep_p.shape[0], -1).astype(np.float32)
            res.test_targets = keep_y.reshape(keep_y.shape[0], -1).astype(np.float32)
            if d.series is not None and isinstance(h.forecast, ForecastReady):
                res.test_metrics = dict(h.forecast.metrics.get("test", {}))
            else:
                p_units, y_units = pred.astype(np.float64), Y
                if d.scaler is not None:
                    p_units = d.scaler.inverse_targets(p_units)
                    y_units = d.scaler.inverse_targets(y_units)
                e = p_units - y_units
                res.test_metrics = {"model": {
                    "mse": float(np.mean(e**2)),
                    "mae": float(np.mean(np.abs(e))),
                    "rmse": float(np.sqrt(np.mean(e**2))),
                }}
        start = st["start_trace"]
        end = self._probe(label)
        res.trace_start, res.trace = start, end
        if start is not None:
            res.gradient_ratio_start = start.gradient_ratio()
            res.grad_per_step_start = _median_steps(start)
        if end is not None:
            res.gradient_ratio = end.gradient_ratio()
            res.grad_per_step = _median_steps(end)
        res.checks = [self._check(model, d, c) for c in r.checks]
        self.results[label] = res
        return res

    @staticmethod
    def _check(model: Any, d: Any, check: dict[str, Any]) -> dict[str, Any]:
        """The model's answer to one question from the slides (data units)."""
        from rnnviz.core.forecast import predict_windows

        x = np.asarray(check["input"], dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]  # (T, 1)
        if d.scaler is not None:
            x = d.scaler.transform(x)
        pred = predict_windows(model, x[None].astype(np.float32))[0]  # (horizon, K)
        if d.scaler is not None:
            pred = d.scaler.inverse_targets(pred.astype(np.float64))
        expected = np.asarray(check["expected"], dtype=np.float64).ravel()
        got = np.asarray(pred, dtype=np.float64).ravel()
        extra = {k: v for k, v in check.items() if k not in ("label", "input", "expected")}
        return {
            **extra,
            "label": str(check.get("label", "")),
            "input": np.asarray(check["input"], dtype=np.float64).ravel().tolist(),
            "expected": expected.tolist(),
            "predicted": got.tolist(),
            "max_abs_error": float(np.max(np.abs(got[: expected.size] - expected)))
            if expected.size and got.size >= expected.size else math.nan,
        }


def _median_steps(trace: Any) -> np.ndarray:
    """Median over windows of ||dL/dh_t|| for every t (last layer), shape (T,)."""
    g = np.asarray(trace.grad_hidden[-1], dtype=np.float64)  # (W, T)
    return np.median(g, axis=0).astype(np.float32)


def compare(runs: Sequence[CompareRun], data: Any = None, *, interleave: str = "batch",
            **kwargs: Any) -> Iterator[tuple[str, Any]]:
    """Train models side by side and yield ``(label, event)`` pairs.

    Shorthand for ``Comparison(runs, data, interleave=interleave, **kwargs).events()``.
    """
    return Comparison(runs, data, interleave=interleave, **kwargs).events()


def results_table(results: dict[str, RunResult] | Sequence[RunResult]) -> list[dict[str, Any]]:
    """Rows for a table or ``results.json``: one JSON-ready dict per model, in order.

    Columns: ``label, cell, final_train_loss, final_val_loss, test_loss, test_mse, test_mae,
    seconds_per_epoch, gradient_ratio_start, gradient_ratio, epochs_run, finish_reason``.
    """
    items = list(results.values()) if isinstance(results, dict) else list(results)
    keys = ("label", "cell", "final_train_loss", "final_val_loss", "test_loss", "test_mse",
            "test_mae", "seconds_per_epoch", "gradient_ratio_start", "gradient_ratio",
            "epochs_run", "finish_reason")
    return [{k: _jsonable(getattr(r, k)) for k in keys} for r in items]


def mean_baseline(data: Any) -> float:
    """Test MSE (model units) of always predicting the mean training target.

    For the adding problem this is about 1/6 (the variance of a sum of two U(0, 1) values).
    """
    test = data.test if data.test.n > 0 else data.val
    if test.n == 0 or data.train.n == 0:
        return math.nan
    mu = np.asarray(data.train.Y, dtype=np.float64).mean(axis=0)  # (horizon, K)
    return float(np.mean((np.asarray(test.Y, dtype=np.float64) - mu) ** 2))
