"""The training loop as a generator of small immutable events.

:func:`train` yields :mod:`rnnviz.core.events` objects (plain numbers and float32 numpy
copies, never live tensors) and knows nothing of who listens: the command line prints them,
the window draws them. A :class:`TrainingControl` passed in is checked before every batch, so
pause, single steps, stop and learning-rate changes take effect within one batch.

What happens, in order
----------------------
1. ``torch.set_num_threads(threads)`` when set (process-wide), device chosen, the model built
   with ``torch.manual_seed(seed)`` unless one is passed (:func:`make_model` builds the same).
2. Baselines on the validation windows (last value, seasonal naive, mean, the dense network)
   scored with the run's loss in scaled units -> :class:`~rnnviz.core.events.Started`.
3. A probe of a few fixed validation windows before training (step 0).
4. For each epoch: batches in an order drawn from a dedicated ``torch.Generator`` seeded with
   ``seed`` (so probes, forecasts and baselines never shift the training RNG), one
   :class:`BatchDone` per step; probes every ``probe_every_batches`` steps, or at most every
   ``probe_every_seconds`` seconds and never more than :data:`PROBE_SHARE` of the time; then
   the validation loss, the schedule, early stopping and :class:`EpochDone`; then, when the
   windows come from a series, :class:`ForecastReady`: always after the first epoch (so a
   window shows a forecast early), then whenever the forecast costs at most
   :data:`FORECAST_SHARE` of the training time since the last one (every epoch for short
   series; every k epochs for long ones).
5. At the end the best validation weights are restored (``restore_best``), a last probe and a
   last forecast of the final weights are sent, then :class:`Finished`.

Divergence: the loss and the global gradient norm of every step are checked (they come to the
host in the one transfer each step needs anyway). When one is NaN or infinite the step is not
taken; if the weights themselves are no longer finite (an earlier step blew them up) they are
restored from a copy taken before the previous step. Then :class:`Diverged` names the step and
the fix, and :class:`Finished` has ``reason="diverged"``.

Same seed, same data, same settings -> the same losses, bit for bit, on the same machine.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from rnnviz.core import baselines as bl
from rnnviz.core.baselines import as_tensor
from rnnviz.core.config import RunConfig, check_live_lr
from rnnviz.core.errors import DataError
from rnnviz.core.events import (
    BatchDone,
    Diverged,
    EpochDone,
    Event,
    Finished,
    ForecastReady,
    ProbeReady,
    Started,
)
from rnnviz.core.optim import loss_numpy, make_loss, make_optimizer, make_schedule

if TYPE_CHECKING:  # pragma: no cover
    from rnnviz.core.models import Forecaster
    from rnnviz.core.windows import Windows, WindowSplits

__all__ = [
    "FORECAST_SHARE",
    "STOPPED_FORECAST_MAX_S",
    "PROBE_SHARE",
    "TrainingControl",
    "evaluate",
    "make_model",
    "probe_indices",
    "train",
]

GROUPS = ("input", "recurrent", "bias", "head")
PROBE_SHARE = 0.03
"""Time-based probing never takes more than this share of the wall time."""
FORECAST_SHARE = 0.04
"""Forecasts during training never take more than this share of the training time."""
STOPPED_FORECAST_MAX_S = 2.0
"""A stopped run ends with a last forecast only when one takes at most this long (measured
on the last one, or estimated): on a long series a recursive forecast over the whole test
part can take a minute, and Stop must end the run at once (the last forecast stays)."""
FUTURE_STEPS_MAX = 200
"""Rows forecast past the end of the data in each ForecastReady (for display)."""
EVAL_BATCH = 2048


class TrainingControl:
    """Thread-safe remote control for a running :func:`train` generator.

    Any thread may call the methods; the trainer checks them before every batch. Pausing
    blocks the generator (and so the thread iterating it) until :meth:`resume`,
    :meth:`step_once` or :meth:`stop`.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._stop = False
        self._steps = 0
        self._lr: float | None = None
        self._waiting = threading.Event()

    def pause(self) -> None:
        """Stop before the next batch until resumed."""
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        with self._cond:
            self._paused = False
            self._steps = 0
            self._cond.notify_all()

    def step_once(self) -> None:
        """Run exactly one more batch, then stay paused (pauses a running trainer too)."""
        with self._cond:
            self._paused = True
            self._steps += 1
            self._cond.notify_all()

    def stop(self) -> None:
        """End training before the next batch (also while paused); ``Finished.reason`` is
        ``"stopped"``."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def set_lr(self, lr: float) -> None:
        """Use this learning rate from the next batch on (schedules continue from it)."""
        lr = check_live_lr(lr)
        with self._cond:
            self._lr = lr

    @property
    def paused(self) -> bool:
        """True while a pause is requested."""
        return self._paused

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop

    def wait_until_blocked(self, timeout: float | None = None) -> bool:
        """Block until the trainer is actually waiting in a pause (for tests and the GUI's
        "Paused" label); return False on timeout."""
        return self._waiting.wait(timeout)

    # ---- used by the trainer
    def _turn(self) -> bool:
        """Wait while paused; return False when training must stop."""
        with self._cond:
            while self._paused and not self._stop and self._steps == 0:
                self._waiting.set()
                self._cond.wait()
            self._waiting.clear()
            if self._stop:
                return False
            if self._paused and self._steps > 0:
                self._steps -= 1
            return True

    def _take_lr(self) -> float | None:
        with self._cond:
            lr, self._lr = self._lr, None
            return lr


def make_model(data: WindowSplits, run: RunConfig) -> Forecaster:
    """Build the model :func:`train` would build: seeded with ``run.train.seed``.

    Pass it to ``train(..., model=model)`` to keep a handle on the trained weights.
    """
    from rnnviz.core.models import build_model, resolve_device

    torch.manual_seed(run.train.seed)
    device = resolve_device(run.train.device)
    return build_model(run.model, data.n_features, data.horizon, data.n_targets, device=device)


def probe_indices(n: int, count: int) -> np.ndarray:
    """``count`` evenly spaced window numbers out of ``n`` (first and last included)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, min(count, n)).round().astype(np.int64))


class _Source:
    """Batches of one part as tensors on the device, gathered from the series by index.

    Windows built from a series are gathered from the (N, F) series tensor with row indices,
    so the (n, T, F) windows are never copied whole. Sequence-task windows are plain arrays.
    """

    def __init__(self, win: Windows, data: WindowSplits | None, device: torch.device) -> None:
        self.n = win.n
        self.K = win.Y.shape[2]
        self.gather = False
        s = data.series if data is not None else None
        if s is not None and self.n and win.target_rows.min() >= 0:
            base = as_tensor(s.scaled).to(device)
            self.base = base  # (N, F)
            self.base_y = base[:, : self.K].contiguous()  # (N, K)
            self.offsets = torch.arange(win.lookback, device=device) * data.step  # (T,)
            self.starts = torch.from_numpy(np.asarray(win.start, np.int64)).to(device)
            self.rows = torch.from_numpy(np.asarray(win.target_rows, np.int64)).to(device)
            self.gather = True
            probe_i = torch.tensor([0, self.n - 1], device=device)
            x, y = self.get(probe_i)
            ends = [0, self.n - 1]
            if not (np.array_equal(x.cpu().numpy(), np.asarray(win.X[ends], np.float32))
                    and np.array_equal(y.cpu().numpy(), np.asarray(win.Y[ends], np.float32))):
                self.gather = False
        if not self.gather:
            self.X = as_tensor(win.X).to(device)
            self.Y = as_tensor(win.Y).to(device)

    def get(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows ``idx`` (a long tensor on the device): x (B, T, F), y (B, horizon, K)."""
        if self.gather:
            rows = self.starts[idx, None] + self.offsets  # (B, T)
            return self.base[rows], self.base_y[self.rows[idx]]  # (B, T, F), (B, h, K)
        return self.X[idx], self.Y[idx]


def _last(y: torch.Tensor) -> torch.Tensor:
    return y[:, -1] if y.dim() == 4 else y  # (B, h, K)


def evaluate(model: nn.Module, windows: Windows | _Source, loss: str, *,
             data: WindowSplits | None = None) -> tuple[float, np.ndarray]:
    """Mean loss (scaled units) and predictions of a model on a part's windows.

    Parameters
    ----------
    model : Forecaster
    windows : Windows
        A part of a :class:`~rnnviz.core.windows.WindowSplits`.
    loss : {"mse", "mae", "huber"}
    data : WindowSplits, optional
        Needed only to gather windows from their series (faster for long series).

    Returns
    -------
    loss : float
        NaN when there are no windows.
    pred : ndarray, shape (n, horizon, K), float32
    """
    if isinstance(windows, _Source):
        src = windows
    else:
        src = _Source(windows, data, next(model.parameters()).device)
    loss_fn = make_loss(loss)
    if src.n == 0:
        return math.nan, np.zeros((0, model.horizon, model.n_targets), np.float32)
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=dev)
    preds = []
    with torch.no_grad():
        for i in range(0, src.n, EVAL_BATCH):
            idx = torch.arange(i, min(i + EVAL_BATCH, src.n), device=dev)
            x, y = src.get(idx)
            y_hat = _last(model(x)[0])
            total += loss_fn(y_hat, y).double() * y.numel()
            preds.append(y_hat)
    model.train(was)
    n_el = src.n * model.horizon * model.n_targets
    pred = torch.cat(preds).float().cpu().numpy()
    return float(total.item() / n_el), pred


def _baselines(data: WindowSplits, run: RunConfig) -> tuple[dict[str, float], nn.Module | None, int | None]:
    """Validation loss of each baseline (scaled units) and the fitted dense baseline."""
    tc = run.train
    val, tr = data.val, data.train
    K, h = data.n_targets, data.horizon
    season = None
    dense = bl.fit_dense(tr.X, tr.Y, val.X, val.Y, loss=tc.loss, seed=tc.seed)
    out: dict[str, float] = {}
    if val.n == 0:
        return out, dense, season
    s = data.series
    if s is not None:
        out["naive"] = loss_numpy(tc.loss, bl.last_value(val.X, h, K), val.Y)
        season = run.data.season or s.season
        if season:
            ends = val.start + (data.lookback - 1) * data.step
            pred = bl.seasonal_naive(s.scaled[:, :K], ends, val.target_rows, season)
            out["seasonal_naive"] = loss_numpy(tc.loss, pred, val.Y)
    out["mean"] = loss_numpy(tc.loss, bl.mean_value(tr.Y, val.n), val.Y)
    out["dense"] = loss_numpy(tc.loss, dense.predict(val.X), val.Y)
    return out, dense, season


def _restore(params: list[torch.Tensor], snapshot: list[torch.Tensor]) -> None:
    with torch.no_grad():
        torch._foreach_copy_(params, snapshot)


def _finite_params(params: list[torch.Tensor]) -> bool:
    return bool(torch.stack([torch.isfinite(p).all() for p in params]).all().item())


def _diverged_message(what: str, value: float, step: int, epoch: int, lr: float,
                      clipped: bool, kept: str) -> str:
    kind = "NaN" if math.isnan(value) else "infinite"
    fix = f"Lower the learning rate (it was {lr:g}; try {lr / 10:g})"
    if not clipped:
        fix += " or turn on gradient clipping (a clip norm of 1.0 is a good start)"
    return (f"Training diverged: the {what} became {kind} at step {step} (epoch {epoch}). "
            f"Training stopped and {kept}. {fix}. "
            "Unscaled or extreme input values can also cause this.")


USELESS_LOSS_FACTOR = 10.0
"""After a divergence, the best epoch's weights count as useless when its loss is more than
this many times the loss of always predicting the training mean."""


def _recover(model: nn.Module, params: list[torch.Tensor], snapshot: list[torch.Tensor],
             best_state: dict[str, torch.Tensor] | None, best_epoch: int, best_loss: float,
             mean_loss: float | None, epoch: int) -> tuple[str, int]:
    """Put back usable weights after a divergence; say which, for the message.

    The best epoch's weights when they were kept (``restore_best``): the steps just before
    a divergence often have finite but already exploding weights (losses of 1e30 and
    forecasts to match). Otherwise the last finite step's. When even the best epoch's loss
    is far above the mean baseline's, the message says the weights are not worth keeping.

    Returns
    -------
    str
        What the model now holds, for the message.
    int
        The epoch those weights come from.
    """
    if best_state is not None:
        model.load_state_dict(best_state)
        if (mean_loss is not None and math.isfinite(mean_loss) and mean_loss > 0
                and not best_loss <= USELESS_LOSS_FACTOR * mean_loss):
            return (f"no epoch reached a useful loss (the best, epoch {best_epoch}, had "
                    f"{best_loss:.3g}, against {mean_loss:.3g} for always predicting the mean), "
                    "so the model is not worth keeping", best_epoch)
        return (f"the weights of epoch {best_epoch}, the best so far (loss {best_loss:.4g}), "
                "were restored", best_epoch)
    if not _finite_params(params):
        _restore(params, snapshot)
    return "the weights of the last finite step were kept", epoch


def train(data: WindowSplits, run: RunConfig, *, control: TrainingControl | None = None,
          model: Forecaster | None = None,
          forecast_share: float | None = None) -> Iterator[Event]:
    """Train a model and yield what happens, as immutable events.

    Parameters
    ----------
    data : WindowSplits
        Training, validation and test windows (``series`` may be None for sequence tasks;
        then no forecasts are sent).
    run : RunConfig
        All settings; ``run.train`` drives this loop.
    control : TrainingControl, optional
        Pause / step / stop / learning rate from another thread.
    model : Forecaster, optional
        Trained in place; built with :func:`make_model` when omitted (pass one to keep the
        trained weights).
    forecast_share : float, optional
        Forecasts during training take at most this share of the training time (default
        :data:`FORECAST_SHARE`; the window, which shows them, passes a larger one).

    Yields
    ------
    Started, ProbeReady, BatchDone, EpochDone, ForecastReady, Diverged, Finished
        ``Finished`` is always the last event.

    Raises
    ------
    DataError
        When there are no training windows.
    """
    tc = run.train
    t0 = time.perf_counter()
    share = FORECAST_SHARE if forecast_share is None else float(forecast_share)
    control = control if control is not None else TrainingControl()
    if data.train.n == 0:
        raise DataError("no_training_windows", "There are no training windows: use a longer "
                        "series, a shorter lookback or a larger training part.")
    if tc.threads is not None:
        torch.set_num_threads(tc.threads)
    from rnnviz.core.models import param_groups, resolve_device

    device = resolve_device(tc.device)
    if model is None:
        model = make_model(data, run)
    model.to(device)
    model.train()
    torch.manual_seed(tc.seed)  # dropout masks: the same whether the model was passed or built

    loss_fn = make_loss(tc.loss)
    opt = make_optimizer(model.parameters(), tc)
    sched = make_schedule(opt, tc)
    gen = torch.Generator().manual_seed(tc.seed)  # batch order only
    train_src = _Source(data.train, data, device)
    val_src = _Source(data.val, data, device)
    n = train_src.n
    bs = min(tc.batch_size, n)
    bpe = math.ceil(n / bs)
    if tc.max_batches_per_epoch is not None:
        bpe = min(bpe, tc.max_batches_per_epoch)

    groups = param_groups(model)
    params: list[torch.Tensor] = []
    owner: list[int] = []
    for gi, g in enumerate(GROUPS):
        for p in groups.get(g, []):
            params.append(p)
            owner.append(gi)
    owner_t = torch.tensor(owner, device=device)
    snapshot = [p.detach().clone() for p in params]

    baseline_losses, dense, season = _baselines(data, run)
    mean_loss = baseline_losses.get("mean")
    notes = [model.speed_note] if getattr(model, "speed_note", "") else []
    notes += list(getattr(model, "notes", ()))
    if tc.threads is not None:
        notes.append(f"torch uses {tc.threads} thread(s) (a process-wide setting).")
    yield Started(epochs=tc.epochs, batches_per_epoch=bpe, n_train=data.train.n,
                  n_val=data.val.n, n_test=data.test.n, device=str(device),
                  baseline_losses=baseline_losses, note=" ".join(notes))

    # ---- probes: fixed windows chosen from validation (training when there is none)
    probe_part = data.val if data.val.n else data.train
    p_idx = probe_indices(probe_part.n, tc.probe_windows)
    probe_x = np.asarray(probe_part.X[p_idx], dtype=np.float32)
    probe_y = np.asarray(probe_part.Y[p_idx], dtype=np.float32)
    probe_start = np.asarray(probe_part.start[p_idx], dtype=np.int64)
    probing = tc.probe_every_batches is not None or tc.probe_every_seconds is not None

    def do_probe(step: int, epoch: int) -> ProbeReady:
        from rnnviz.core.probes import probe

        was = model.training
        trace = probe(model, probe_x, probe_y, loss=tc.loss, step=step, epoch=epoch,
                      window_start=probe_start, feature_names=data.feature_names)
        model.train(was)
        return ProbeReady(step=step, epoch=epoch, trace=trace)

    next_probe_at = 0.0
    if probing:
        tp = time.perf_counter()
        yield do_probe(0, 0)
        next_probe_at = time.perf_counter() + _probe_gap(tc, time.perf_counter() - tp)

    def do_forecast(epoch: int) -> ForecastReady:
        from rnnviz.core.forecast import held_out_forecast

        s = data.series
        fut = min(FUTURE_STEPS_MAX, max(data.horizon, s.n_rows - s.val_end))
        held = held_out_forecast(model, data, dense=dense, season=season, future_steps=fut)
        f32 = np.float32
        return ForecastReady(epoch=epoch, index=held.index.astype(np.int64),
                             actual=held.actual.astype(f32), one_step=held.one_step.astype(f32),
                             recursive=held.recursive.astype(f32), future=held.future.astype(f32),
                             metrics=held.metrics, note=held.note)

    forecasting = data.series is not None
    forecast_cost = _estimate_forecast_cost(model, data, FUTURE_STEPS_MAX) if forecasting else 0.0
    train_since_forecast = 0.0
    forecasts_sent = 0

    step = 0
    epoch = 0
    best_loss, best_epoch, best_state = math.inf, 0, None
    waited = 0.0  # seconds spent paused (left out of BatchDone.elapsed)
    weights_epoch = 0  # after a divergence: the epoch whose weights the model holds
    bad_epochs = 0
    reason = "completed"
    clip = tc.clip_norm is not None or tc.clip_value is not None
    scaler = data.scaler
    last_probe_step = 0

    while epoch < tc.epochs and reason == "completed":
        epoch += 1
        te = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        losses: list[float] = []
        norms: list[float] = []
        for b in range(bpe):
            tw = time.perf_counter()
            go_on = control._turn()
            waited += time.perf_counter() - tw  # paused: not training time
            if not go_on:
                reason = "stopped"
                break
            new_lr = control._take_lr()
            if new_lr is not None:
                for g in opt.param_groups:
                    g["lr"] = new_lr
            lr = float(opt.param_groups[0]["lr"])
            xb, yb = train_src.get(perm[b * bs:(b + 1) * bs])
            opt.zero_grad(set_to_none=True)
            y_hat, _ = model(xb)
            loss = loss_fn(_last(y_hat), yb)
            loss.backward()
            step += 1
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            pn = torch.stack(torch._foreach_norm(grads)).float()  # (P,)
            gsq = torch.zeros(len(GROUPS), device=device).index_add_(0, owner_t, pn.square())
            total = gsq.sum().sqrt()
            vals = torch.cat([loss.detach().float().reshape(1), total.reshape(1), gsq.sqrt()])
            v = vals.cpu().tolist()  # the one host transfer of the step
            if not (math.isfinite(v[0]) and math.isfinite(v[1])):
                what, bad = ("loss", v[0]) if not math.isfinite(v[0]) else ("gradient", v[1])
                opt.zero_grad(set_to_none=True)
                kept, weights_epoch = _recover(model, params, snapshot, best_state,
                                               best_epoch, best_loss, mean_loss, epoch)
                yield Diverged(step=step, epoch=epoch, batch=b + 1, what=what,
                               message=_diverged_message(what, bad, step, epoch, lr, clip, kept))
                reason = "diverged"
                break
            with torch.no_grad():
                torch._foreach_copy_(snapshot, params)  # the last finite weights
            if tc.clip_value is not None:
                torch.nn.utils.clip_grad_value_(params, tc.clip_value)
            if tc.clip_norm is not None:
                if tc.clip_value is not None:
                    total = torch.nn.utils.get_total_norm(grads)
                torch.nn.utils.clip_grads_with_norm_(params, tc.clip_norm, total)
            opt.step()
            losses.append(v[0])
            norms.append(v[1])
            yield BatchDone(epoch=epoch, batch=b + 1, step=step, loss=v[0], grad_norm=v[1],
                            group_norms=dict(zip(GROUPS, v[2:], strict=True)), lr=lr,
                            elapsed=time.perf_counter() - t0 - waited)
            if probing:
                due = (step % tc.probe_every_batches == 0 if tc.probe_every_batches is not None
                       else time.perf_counter() >= next_probe_at)
                if due:
                    tp = time.perf_counter()
                    yield do_probe(step, epoch)
                    last_probe_step = step
                    next_probe_at = time.perf_counter() + _probe_gap(tc, time.perf_counter() - tp)
        if not losses:  # stopped or diverged before this epoch's first step
            epoch -= 1
            break
        if reason == "diverged":
            break
        # ---- end of epoch
        val_loss, val_pred = evaluate(model, val_src, tc.loss)
        if val_src.n and not math.isfinite(val_loss):
            kept, weights_epoch = _recover(model, params, snapshot, best_state, best_epoch,
                                           best_loss, mean_loss, epoch)
            yield Diverged(step=step, epoch=epoch, batch=len(losses), what="loss",
                           message=_diverged_message("validation loss", val_loss, step, epoch,
                                                     float(opt.param_groups[0]["lr"]), clip,
                                                     kept))
            reason = "diverged"
            break
        score_loss = val_loss if val_src.n else float(np.mean(losses))
        improved = score_loss < best_loss
        if improved:
            best_loss, best_epoch, bad_epochs = score_loss, epoch, 0
            if tc.restore_best:
                best_state = {k: t.detach().clone() for k, t in model.state_dict().items()}
        else:
            bad_epochs += 1
        sched.step(epoch, score_loss)
        metrics = _val_metrics(val_pred, data.val.Y, scaler)
        seconds = time.perf_counter() - te
        yield EpochDone(epoch=epoch, step=step, train_loss=float(np.mean(losses)),
                        val_loss=val_loss, lr=sched.lr, grad_norm=float(np.mean(norms)),
                        seconds=seconds, metrics=metrics, improved=improved)
        if reason == "completed" and tc.patience is not None and bad_epochs >= tc.patience:
            reason = "early_stopping"
        train_since_forecast += seconds
        last_epoch = epoch == tc.epochs or reason != "completed"
        # the first forecast comes after epoch 1 whatever it costs (the window shows something
        # early); later ones when they cost at most FORECAST_SHARE of the training since
        first_forecast = forecasts_sent == 0
        if forecasting and not last_epoch and (
                first_forecast or forecast_cost <= share * train_since_forecast):
            tf = time.perf_counter()
            yield do_forecast(epoch)
            forecast_cost = time.perf_counter() - tf
            train_since_forecast = 0.0
            forecasts_sent += 1

    # ---- the end
    if reason != "diverged" and best_state is not None and best_epoch != epoch:
        model.load_state_dict(best_state)
    if step > 0 and reason != "diverged":
        if probing and last_probe_step != step:
            yield do_probe(step, epoch)
        if forecasting and (reason != "stopped" or forecast_cost <= STOPPED_FORECAST_MAX_S):
            yield do_forecast(epoch)
    elif reason == "diverged" and forecasting and step > 1:
        yield do_forecast(weights_epoch)  # the restored weights, named by their epoch
    model.train()
    yield Finished(reason=reason, epochs_run=epoch, steps=step, best_epoch=best_epoch,
                   best_val_loss=float(best_loss) if best_epoch else math.nan,
                   seconds=time.perf_counter() - t0)


def _estimate_forecast_cost(model: nn.Module, data: WindowSplits, future_steps: int) -> float:
    """Seconds one ForecastReady will take, from timing a few recursive steps."""
    from rnnviz.core.forecast import recursive_forecast

    s = data.series
    h, T = data.horizon, data.lookback
    n_rows = s.n_rows - s.train_end + min(future_steps, max(h, s.n_rows - s.val_end))
    warm = np.zeros((T, data.n_features), np.float32)
    exog = np.zeros((4 * h, data.n_features - data.n_targets), np.float32)
    t0 = time.perf_counter()
    recursive_forecast(model, warm, 4 * h, exog=exog if exog.shape[1] else None)
    per_chunk = (time.perf_counter() - t0) / 4
    return per_chunk * math.ceil(n_rows / h) * 1.2  # + one-step pass and baselines


def _probe_gap(tc, cost: float) -> float:
    """Seconds until the next time-based probe: the setting, or longer for costly probes."""
    every = tc.probe_every_seconds if tc.probe_every_seconds is not None else 0.0
    return max(every, cost / PROBE_SHARE - cost)


def _val_metrics(pred: np.ndarray, Y: np.ndarray, scaler) -> dict[str, float]:
    """MAE and RMSE of validation windows in the data's units (scaled units without a scaler)."""
    if pred.shape[0] == 0:
        return {}
    y = np.asarray(Y, dtype=np.float64)
    p = pred.astype(np.float64)
    if scaler is not None:
        y, p = scaler.inverse_targets(y), scaler.inverse_targets(p)
    from rnnviz.core.metrics import mae, rmse

    return {"mae": mae(y, p), "rmse": rmse(y, p)}
