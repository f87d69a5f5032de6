"""TrainingSession: the one place where background work starts and stops.

How training reaches the screen (DESIGN.md §3):

1. :meth:`TrainingSession.start` runs :func:`rnnviz.core.training.train` in the training
   process (:mod:`rnnviz.core.trainproc`: its own interpreter, so drawing and training do
   not share Python's GIL), or -- with ``in_process=False`` -- in a worker object moved to a
   :class:`QThread` that the session parents. Each event the generator yields goes into a
   mailbox (from the process's reader thread, or the worker thread); events that need an
   answer (started, diverged, finished, the end of the run) wake the GUI thread with a
   queued signal, the others (batches, epochs, probes, forecasts) are taken by the next
   redraw frame, so the GUI thread is not woken for every batch.
2. On the GUI thread each event is only added to :attr:`TrainingSession.history` (a
   :class:`~rnnviz.core.history.RunHistory`), in order, and the numbers the status bar
   shows are noted.
3. A :class:`QTimer` at ``redraw_hz`` (15 Hz) calls ``render(history)`` on the views on
   screen whose data changed, and paints them at once (a view whose ``render`` returns
   False had nothing new, e.g. the gates while only batches arrive, and is not painted).
   The redraw rate does not depend on how fast training runs. A frame redraws the stalest
   views first and stops after :data:`FRAME_BUDGET_MS` (the rest follow in the next
   frames), so input is never blocked for long; and when frames are costly the interval
   stretches so that drawing holds Python's GIL at most :data:`MAX_GUI_SHARE` of the time:
   with a training thread, the GUI thread shares the GIL, and every millisecond it holds
   it is a millisecond training waits (measured as the GUI thread's CPU time); with the
   training process, frames may take up to half the GUI thread's time.
4. Pause, resume, step, stop and learning-rate changes go through the engine's
   ``TrainingControl`` (or its :class:`~rnnviz.core.trainproc.RemoteControl`) and take
   effect between batches. :attr:`TrainingSession.model` is the trained model (in process
   mode a copy, updated at the end of the run and by ``control.wait_until_blocked``).
5. :meth:`shutdown` (window closing) requests a stop, waits a bounded time for the worker
   and only then lets the thread go. A running thread is never destroyed; a training
   process that does not stop in time is killed.

CSV files bigger than :data:`BIG_FILE_BYTES` are read on a worker thread too, with progress.
"""

from __future__ import annotations

import logging
import math
import os
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from rnnviz.core.errors import RnnvizError
from rnnviz.core.events import (
    BatchDone,
    Diverged,
    Finished,
    Started,
)
from rnnviz.core.history import RunHistory
from rnnviz.gui.mailbox import Mailbox, Worker

log = logging.getLogger(__name__)

BIG_FILE_BYTES = 5 * 1024 * 1024
"""CSV files larger than this are read on a worker thread, with progress."""

MAX_GUI_SHARE = 0.2
"""Training on a thread of this process: drawing may hold the GIL (use the GUI thread's
CPU) at most this share of the time: the interval stretches after costly frames. Training
loses about 1.2x this share."""
MAX_GUI_SHARE_PROCESS = 0.5
"""Training in a separate process: drawing does not slow training (it runs on another core
with its own GIL), so frames may take up to this share of the GUI thread's time; the rest
stays free for input."""
FRAME_BUDGET_MS = 16.0
"""A frame stops redrawing further views once it has taken this long (wall clock; the rest
follow in the next frames, stalest first), so one frame never blocks input for long."""
MAX_INTERVAL_MS = 250
"""Longest redraw interval (4 Hz) however slow the views are."""

RATE_WINDOW_S = 3.0
"""The status bar's batches per second are counted over about this many seconds of training."""
WINDOW_FORECAST_SHARE = 0.25
"""The window shows the recursive forecast as it changes: in the training process,
forecasts may take up to this share of the training time (every epoch when one costs at most
a quarter of an epoch; the engine's own default, for the command line, is 4%)."""

IDLE, RUNNING, PAUSED, STOPPING, FINISHED = "idle", "running", "paused", "stopping", "finished"
STATES = (IDLE, RUNNING, PAUSED, STOPPING, FINISHED)


@dataclass(frozen=True)
class ModelBuilt:
    """Internal message: the worker built (or received) the model it trains."""

    model: Any


@dataclass(frozen=True)
class _FinalWeights:
    """Internal message (training process): the weights the run ended with."""

    state: Any


@dataclass(frozen=True)
class _JobFailed:
    """Internal message (training process): the run raised ``exc``."""

    exc: Any
    details: str


@dataclass(frozen=True)
class _JobEnded:
    """Internal message (training process): the run is over; nothing follows."""


def process_training_default() -> bool:
    """Whether sessions train in a separate process by default: on POSIX systems, unless
    the environment variable ``RNNVIZ_TRAIN_IN_THREAD`` is set to 1."""
    return os.name == "posix" and os.environ.get("RNNVIZ_TRAIN_IN_THREAD", "") != "1"


def on_screen(widget: Any) -> bool:
    """True when some of ``widget`` can be seen: shown, and not behind another dock's tab."""
    if not widget.isVisible():
        return False
    region = getattr(widget, "visibleRegion", None)
    return True if region is None else not region().isEmpty()


class _Job:
    """A worker and the thread it runs on."""

    def __init__(self, name: str, thread: QThread, worker: Worker) -> None:
        self.name = name
        self.thread = thread
        self.worker = worker


class _RemoteJob:
    """A run in the training process (:mod:`rnnviz.core.trainproc`)."""

    name = "train"

    def __init__(self, proc: Any, control: Any) -> None:
        self.proc = proc
        self.control = control


# ---------------------------------------------------------------------------- session
class TrainingSession(QObject):
    """Owns the run history, the worker threads and the redraw timer.

    Parameters
    ----------
    parent : QObject, optional
    train_fn : callable, optional
        ``train(data, run, *, control, model) -> Iterator[event]``; defaults to
        :func:`rnnviz.core.training.train` (imported when first needed, so the window can
        appear before torch is imported).
    control_factory : callable, optional
        Makes the control object handed to ``train_fn``; defaults to
        :class:`rnnviz.core.training.TrainingControl`.
    model_factory : callable, optional
        ``(data, run) -> model``; builds the model on the worker thread when none is given.
        Defaults to :func:`rnnviz.core.training.make_model` (seeded with
        ``run.train.seed``, the model ``train`` itself would build). Return None to let
        ``train_fn`` build its own.
    redraw_hz : float
        Rate of the redraw timer.
    torch_threads : int
        torch threads for runs whose ``train.threads`` is None (process-wide; 1 keeps the
        GUI smooth on small machines).
    in_process : bool, optional
        Train in a separate process (:mod:`rnnviz.core.trainproc`) rather than on a thread
        of this one, so drawing and training never wait for each other's hold on Python's
        GIL. Default: :func:`process_training_default`, and never when ``train_fn``,
        ``control_factory`` or ``model_factory`` is given (they live in this process).

    Signals
    -------
    state_changed(str)
        One of ``idle, running, paused, stopping, finished``.
    run_started(Started)
    diverged(Diverged)
        Training paused (or ended) because the loss or a gradient became NaN/inf.
    run_finished(object)
        The worker ended; the :class:`Finished` event or None when it failed.
    failed(str, str, str)
        Title, plain message and details (traceback, empty for user errors).
    redrawn()
        After every timer tick that redrew something (the status bar reads :meth:`progress`).
    table_loaded(str, object)
        A CSV was read: path and :class:`LoadedTable`.
    table_failed(str, object)
        Reading a CSV failed: path and the exception (a DataError for bad files).
    load_progressed(float)
        Fraction 0..1 of a background CSV read.
    """

    state_changed = Signal(str)
    run_started = Signal(object)
    diverged = Signal(object)
    run_finished = Signal(object)
    failed = Signal(str, str, str)
    redrawn = Signal()
    table_loaded = Signal(str, object)
    table_failed = Signal(str, object)
    load_progressed = Signal(float)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        train_fn: Callable[..., Iterator[object]] | None = None,
        control_factory: Callable[[], Any] | None = None,
        model_factory: Callable[[Any, Any], Any] | None = None,
        redraw_hz: float = 15.0,
        torch_threads: int = 1,
        in_process: bool | None = None,
    ) -> None:
        super().__init__(parent)
        injected = any(f is not None for f in (train_fn, control_factory, model_factory))
        if in_process is None:
            in_process = process_training_default() and not injected
        elif in_process and injected:
            raise ValueError("train_fn, control_factory and model_factory need in_process=False")
        self.in_process = bool(in_process)
        self.max_gui_share = MAX_GUI_SHARE_PROCESS if self.in_process else MAX_GUI_SHARE
        """Longest share of the time frames may take (the redraw interval stretches)."""
        self._process: Any = None
        self._train_fn = train_fn
        self._control_factory = control_factory
        self._model_factory = model_factory
        self.torch_threads = int(torch_threads)
        self.history = RunHistory()
        self.state = IDLE
        self.control: Any = None
        self.model: Any = None
        self.run_config: Any = None
        self.data: Any = None
        self.finished_event: Finished | None = None
        self.redraws = 0
        self.frames: deque[tuple[float, float, int]] = deque(maxlen=10_000)
        """Timer frames that drew: (perf_counter at start, milliseconds of the GUI thread's
        CPU the frame used -- the time it held Python's GIL --, views drawn)."""
        self.frame_walls: deque[float] = deque(maxlen=10_000)
        """Wall-clock milliseconds of the same frames (longer: the GUI thread also waits
        for the GIL while training holds it)."""
        self.render_errors: list[str] = []
        self._views: list[Any] = []
        self._view_version: dict[int, int] = {}
        self._view_drawn_at: dict[int, float] = {}
        self._scenes: dict[int, list[Any]] = {}
        self._broken_views: set[int] = set()
        self._drawn_version = -1
        self._train_job: _Job | _RemoteJob | None = None
        self._load_job: _Job | None = None
        self._orphans: list[_Job] = []
        self._rate_marks: deque[tuple[float, int]] = deque()
        self._last_batch: BatchDone | None = None
        self._shut_down = False
        self._mailbox = Mailbox(self)
        self._mailbox.posted.connect(self._drain_train_events)
        self._timer = QTimer(self)
        self._base_interval = max(1, round(1000.0 / redraw_hz))
        self._timer.setInterval(self._base_interval)
        self._timer.timeout.connect(self._on_timer_timeout)

    # ------------------------------------------------------------------ views
    def set_views(self, views: Sequence[Any]) -> None:
        """Views redrawn by the timer (each has ``render(history)`` and ``isVisible()``; a view
        behind another dock's tab is not redrawn until its tab is chosen)."""
        self._views = list(views)
        self._view_version.clear()
        self._view_drawn_at.clear()
        self._scenes.clear()

    def render_views(self, *, all_views: bool = False) -> None:
        """Redraw now: the views on screen, or every view with ``all_views=True``."""
        for view in self._views:
            if all_views or on_screen(view):
                self._render(view)
                self._view_version[id(view)] = self.history.version
        self._drawn_version = self.history.version
        self.redraws += 1
        self.redrawn.emit()

    def render_view(self, view: Any) -> None:
        """Redraw one view now (e.g. when its dock becomes visible)."""
        self._render(view)

    def _render(self, view: Any) -> bool:
        """Redraw one view; False when it had nothing new to draw (it is then not painted)."""
        try:
            return view.render(self.history) is not False
        except Exception:  # noqa: BLE001 - one broken view must not stop the others
            key = id(view)
            details = traceback.format_exc()
            log.error("view %s failed to draw:\n%s", type(view).__name__, details)
            if key not in self._broken_views:
                self._broken_views.add(key)
                self.render_errors.append(details)
                title = getattr(view, "title", type(view).__name__)
                self.failed.emit(
                    "A view could not draw",
                    f"The {title} view failed to draw the latest results; the other views "
                    "keep working. This is a bug in rnnviz: please report the details.",
                    details,
                )
            return True

    @Slot()
    def _on_timer_timeout(self) -> None:
        """One frame: redraw the stalest changed views within a time budget, paint them, and
        pace the next frame so drawing stays a small share of the time."""
        self._drain_train_events()
        version = self.history.version
        if version == self._drawn_version:
            return
        t0 = time.perf_counter()
        c0 = time.thread_time()
        dirty = [v for v in self._views
                 if self._view_version.get(id(v)) != version and on_screen(v)]
        dirty.sort(key=lambda v: self._view_drawn_at.get(id(v), 0.0))
        done = 0
        finished = True
        for view in dirty:
            if done and (time.perf_counter() - t0) * 1000.0 >= FRAME_BUDGET_MS:
                finished = False  # the rest follow in the next frames, stalest first
                break
            self._view_version[id(view)] = version
            if not self._render(view):
                continue  # nothing it shows changed (e.g. a probe view while batches arrive)
            self._paint_now(view)
            self._view_drawn_at[id(view)] = time.perf_counter()
            done += 1
        if finished:
            self._drawn_version = version
        self.redrawn.emit()  # the status bar follows every new batch
        if not done:
            return
        self.redraws += 1
        ms = (time.thread_time() - c0) * 1000.0
        self.frames.append((t0, ms, done))
        self.frame_walls.append((time.perf_counter() - t0) * 1000.0)
        # A thread worker shares the GIL with the GUI thread: drawing may hold it at most
        # MAX_GUI_SHARE of the time, so costly frames get a longer interval (<= 250 ms). A
        # training process does not wait for drawing; the GUI thread keeps time for input.
        self._timer.setInterval(int(min(max(self._base_interval, ms / self.max_gui_share),
                                        MAX_INTERVAL_MS)))

    def _paint_now(self, view: Any) -> None:
        """Deliver the scene updates of ``view`` and paint the window now, so a frame's cost
        (data and paint) is measured where it is spent and the event loop is free after it."""
        scenes = self._scenes.get(id(view))
        if scenes is None:
            scenes = [gv.scene() for gv in view.findChildren(QGraphicsView)
                      if gv.scene() is not None] if hasattr(view, "findChildren") else []
            self._scenes[id(view)] = scenes
        # lay out first what drawing changed (a longer label, a new legend entry): otherwise
        # the layout runs after the frame and the view is painted a second time
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        for scene in scenes:
            QCoreApplication.sendPostedEvents(scene, QEvent.Type.MetaCall)
        window = QWidget.window(view) if isinstance(view, QWidget) else None
        if window is not None:
            QCoreApplication.sendPostedEvents(window, QEvent.Type.UpdateRequest)

    # ------------------------------------------------------------------ state
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    @property
    def is_active(self) -> bool:
        """True while a training worker exists (running, paused or stopping)."""
        return self._train_job is not None

    def _make_control(self) -> Any:
        if self._control_factory is not None:
            return self._control_factory()
        from rnnviz.core.training import TrainingControl

        return TrainingControl()

    def _get_train_fn(self) -> Callable[..., Iterator[object]]:
        if self._train_fn is not None:
            return self._train_fn
        from rnnviz.core.training import train

        return train

    def _build_model(self, data: Any, run: Any) -> Any:
        if self._model_factory is not None:
            return self._model_factory(data, run)
        from rnnviz.core.training import make_model

        return make_model(data, run)

    # ------------------------------------------------------------------ training
    def start(self, data: Any, run: Any, *, model: Any = None, paused: bool = False) -> None:
        """Start a new run on ``data`` (WindowSplits) with settings ``run`` (RunConfig).

        Parameters
        ----------
        data : WindowSplits
        run : RunConfig
        model : Forecaster, optional
            Continue training this model (e.g. one loaded from disk); otherwise a new one
            is built on the worker thread.
        paused : bool
            Start paused (used by "Step one batch" before any run).

        Raises
        ------
        RuntimeError
            When a run is already active (the window disables Start then).
        """
        if self._train_job is not None:
            raise RuntimeError("a training run is already active; stop it first")
        if self._shut_down:
            raise RuntimeError("the session was shut down")
        if self.in_process:
            control = None
        else:
            train_fn = self._get_train_fn()
            control = self._make_control()
            if paused:
                control.pause()
        self.history.clear()
        self.finished_event = None
        self.control = control
        self.run_config = run
        self.data = data
        self.model = model
        self._broken_views.clear()
        self._drawn_version = -1
        self._view_version.clear()  # a new run counts versions from 0 again
        self._rate_marks.clear()
        self._last_batch = None
        train_cfg = getattr(run, "train", None)
        if train_cfg is not None and train_cfg.threads is None and self.torch_threads:
            # the engine applies it (process-wide) before the first batch
            run = run.replace(train=train_cfg.replace(threads=self.torch_threads))
            self.run_config = run

        mailbox = self._mailbox
        mailbox.take()  # nothing of an earlier run is left, but be sure
        if self.in_process:
            self._start_remote(data, run, model, paused)
            return

        def work(emit: Callable[[object], None]) -> None:
            put = mailbox.put  # not emit: events reach the GUI thread in bunches
            m = model if model is not None else self._build_model(data, run)
            if m is not None:
                put(ModelBuilt(m))
            for event in train_fn(data, run, control=control, model=m):
                put(event)

        self._train_job = self._launch(
            "train", work, self._on_train_emitted, self._on_train_failed, self._on_train_ended
        )
        self._set_state(PAUSED if paused else RUNNING)
        self._timer.start()

    def prepare(self) -> None:
        """Start the training process now (it imports torch while the user looks at the
        data), so the first Start does not wait for it. Nothing in thread mode."""
        if self.in_process and not self._shut_down:
            try:
                self._training_process().warm_up()
            except OSError as exc:  # no Python to start (an embedded or frozen build)
                self._fall_back_to_thread(exc)

    def _fall_back_to_thread(self, exc: BaseException) -> None:
        log.warning("could not start the training process (%s); training on a thread", exc)
        self.in_process = False
        self.max_gui_share = MAX_GUI_SHARE
        self._process = None

    def _training_process(self) -> Any:
        from rnnviz.core.trainproc import free_process

        # the window's session uses the process-wide one; a second session running at the
        # same time (tests, a second window) gets its own
        self._process = free_process(self._process)
        return self._process

    def _start_remote(self, data: Any, run: Any, model: Any, paused: bool) -> None:
        """Start the run in the training process; its messages reach the mailbox."""
        put = self._mailbox.put
        kinds = {"event": lambda v: v, "model": ModelBuilt, "weights": _FinalWeights,
                 "failed": lambda v: _JobFailed(*v), "ended": lambda v: _JobEnded()}

        def sink(msg: Any) -> None:  # on the process's reader thread
            put(kinds[msg.kind](msg.value))

        proc = self._training_process()
        try:
            control = proc.start(data, run, model=model, paused=paused, sink=sink,
                                 options={"forecast_share": WINDOW_FORECAST_SHARE})
        except OSError as exc:  # the process could not be started: train on a thread
            self._fall_back_to_thread(exc)
            self.start(data, run, model=model, paused=paused)
            return
        except Exception as exc:  # noqa: BLE001 - e.g. data that cannot be pickled
            self._on_train_failed(exc, traceback.format_exc())
            self._set_state(IDLE)
            return
        control.on_weights = self._load_weights
        self.control = control
        self._train_job = _RemoteJob(proc, control)
        self._set_state(PAUSED if paused else RUNNING)
        self._timer.start()

    def _load_weights(self, state: Any) -> None:
        """Put weights from the training process into this process's copy of the model."""
        if self.model is not None and state is not None:
            self.model.load_state_dict(state)

    def pause(self) -> None:
        """Pause between batches."""
        if self.control is not None and self.state == RUNNING:
            self.control.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        """Resume a paused run."""
        if self.control is not None and self.state == PAUSED:
            self.control.resume()
            self._set_state(RUNNING)

    def step(self, data: Any = None, run: Any = None) -> None:
        """Train exactly one batch, then stay paused.

        With no active run, starts one paused on ``data``/``run`` first.
        """
        if self._train_job is None:
            if data is None or run is None:
                return
            self.start(data, run, model=self.model_for_continuation(), paused=True)
        if self.state == RUNNING:
            self.pause()
        if self.state == PAUSED:
            self.control.step_once()

    def stop(self) -> None:
        """Ask the run to stop after the current batch (answers within one batch)."""
        if self._train_job is not None and self.control is not None and self.state != STOPPING:
            self.control.stop()
            self._set_state(STOPPING)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate; it applies from the next batch."""
        if self.control is not None and self._train_job is not None:
            self.control.set_lr(float(lr))

    def reset(self) -> None:
        """Forget the run: history and model (a stop is requested if one is active)."""
        self.stop()
        self.history.clear()
        self.finished_event = None
        self.model = None
        self._last_batch = None
        self._rate_marks.clear()
        self._drawn_version = -1
        self._view_version.clear()  # a new run counts versions from 0 again
        for view in self._views:
            clear = getattr(view, "clear", None)
            if clear is not None:
                clear()
        if self._train_job is None:
            self._set_state(IDLE)
        self.redrawn.emit()

    def model_for_continuation(self) -> Any:
        """The model a new run continues from: one loaded from disk, else None."""
        return self.model if getattr(self, "_model_is_loaded", False) else None

    def set_loaded_model(self, model: Any) -> None:
        """Use ``model`` (loaded from disk) as the starting point of the next run."""
        self.model = model
        self._model_is_loaded = model is not None

    @Slot()
    def _drain_train_events(self) -> None:
        """Record what the worker queued since the last call, in order."""
        if self._train_job is None:
            return
        for item in self._mailbox.take():
            self._on_train_emitted(item)

    @Slot(object)
    def _on_train_emitted(self, item: object) -> None:
        if self._train_job is None:
            return
        if isinstance(item, ModelBuilt):
            self.model = item.model
            return
        if isinstance(item, _FinalWeights):
            self._load_weights(item.state)
            return
        if isinstance(item, _JobFailed):
            self._on_train_failed(item.exc, item.details)
            return
        if isinstance(item, _JobEnded):
            self._on_train_ended()
            return
        self.history.add(item)
        if isinstance(item, BatchDone):
            self._last_batch = item
            # the engine's clock when it has one: events come in bunches (one per frame), so
            # their arrival times made a rate of 137,205 batches/s out of 12 batches in 0.7 s
            now = item.elapsed if math.isfinite(item.elapsed) else time.perf_counter()
            self._rate_marks.append((now, item.step))
            while len(self._rate_marks) > 2 and now - self._rate_marks[0][0] > RATE_WINDOW_S:
                self._rate_marks.popleft()
        elif isinstance(item, Started):
            self.run_started.emit(item)
        elif isinstance(item, Diverged):
            if self.control is not None and self.state == RUNNING:
                self.control.pause()
                self._set_state(PAUSED)
            self.diverged.emit(item)
        elif isinstance(item, Finished):
            self.finished_event = item

    @Slot(object, str)
    def _on_train_failed(self, exc: object, details: str) -> None:
        if isinstance(exc, RnnvizError):
            self.failed.emit("Training stopped", exc.message, "")
        else:
            self.failed.emit(
                "Training stopped by an error",
                f"Training stopped because of an unexpected error: {type(exc).__name__}: "
                f"{exc}. The window stays usable; change a setting and press Start again. "
                "If it happens again, please report the details.",
                details,
            )

    @Slot()
    def _on_train_ended(self) -> None:
        job = self._train_job
        if job is None:
            return
        self._drain_train_events()  # the worker's last events came before its end
        self._train_job = None
        self._reap(job)
        self._model_is_loaded = False
        self._timer.stop()
        self.render_views()
        self._set_state(FINISHED if self.history.started is not None else IDLE)
        self.run_finished.emit(self.finished_event)

    # ------------------------------------------------------------------ progress
    def progress(self) -> dict[str, float]:
        """Numbers for the status bar.

        Returns
        -------
        dict
            ``epoch, epochs, batch, batches, step, total_steps, loss, rate`` (batches per
            second over the last few seconds) and ``eta`` (seconds, NaN when unknown).
        """
        b = self._last_batch
        s = self.history.started
        epochs = s.epochs if s else 0
        batches = s.batches_per_epoch if s else 0
        total = epochs * batches
        rate = math.nan
        if len(self._rate_marks) >= 2:
            (t0, s0), (t1, s1) = self._rate_marks[0], self._rate_marks[-1]
            if t1 > t0:
                rate = (s1 - s0) / (t1 - t0)
        if self.state not in (RUNNING, STOPPING):
            rate = math.nan if b is None else rate
        step = b.step if b else 0
        eta = (total - step) / rate if (rate and math.isfinite(rate) and rate > 0) else math.nan
        return {
            "epoch": b.epoch if b else 0,
            "epochs": epochs,
            "batch": b.batch if b else 0,
            "batches": batches,
            "step": step,
            "total_steps": total,
            "loss": b.loss if b else math.nan,
            "rate": rate,
            "eta": eta,
        }

    # ------------------------------------------------------------------ CSV loading
    def load_table(self, path: str | Path, *, big_bytes: int | None = None) -> None:
        """Read a CSV: on this thread when small, on a worker with progress when big.

        The result arrives through :attr:`table_loaded` or :attr:`table_failed` (for small
        files before this method returns).

        Parameters
        ----------
        path : str or Path
        big_bytes : int, optional
            Files larger than this are read in the background (default
            :data:`BIG_FILE_BYTES`).
        """
        path = Path(path)
        if big_bytes is None:
            big_bytes = BIG_FILE_BYTES
        from rnnviz.core.csvload import load_csv

        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        if size <= big_bytes:
            try:
                table = load_csv(path)
            except Exception as exc:  # noqa: BLE001 - DataError or a bug: the window decides
                self.table_failed.emit(str(path), exc)
                return
            self.table_loaded.emit(str(path), table)
            return
        if self._load_job is not None:
            self.table_failed.emit(
                str(path),
                RnnvizError("busy", "Another file is still being read; wait for it to finish."),
            )
            return

        def work(emit: Callable[[object], None]) -> None:
            table = load_csv(path, progress=lambda f: emit(("progress", float(f))))
            emit(("table", table))

        result: dict[str, Any] = {}

        def on_emitted(item: object) -> None:
            kind, value = item  # type: ignore[misc]
            if kind == "progress":
                self.load_progressed.emit(value)
            else:
                result["table"] = value

        def on_failed(exc: object, details: str) -> None:
            result["error"] = exc

        def on_ended() -> None:
            job = self._load_job
            self._load_job = None
            if job is not None:
                self._reap(job)
            if "table" in result:
                self.table_loaded.emit(str(path), result["table"])
            else:
                self.table_failed.emit(
                    str(path), result.get("error", RnnvizError("cancelled", "Reading stopped."))
                )

        self.load_progressed.emit(0.0)
        self._load_job = self._launch("load", work, on_emitted, on_failed, on_ended)

    @property
    def is_loading(self) -> bool:
        """True while a big CSV is being read."""
        return self._load_job is not None

    # ------------------------------------------------------------------ threads
    def _launch(
        self,
        name: str,
        fn: Callable[[Callable[[object], None]], None],
        on_emitted: Callable[[object], None],
        on_failed: Callable[[object, str], None],
        on_ended: Callable[[], None],
    ) -> _Job:
        thread = QThread(self)  # parented: never destroyed by Python while running
        thread.setObjectName(f"rnnviz-{name}")
        worker = Worker(fn)
        worker.moveToThread(thread)
        worker.emitted.connect(on_emitted)
        worker.failed.connect(on_failed)
        worker.ended.connect(thread.quit)
        worker.ended.connect(on_ended)
        thread.started.connect(worker.run)
        job = _Job(name, thread, worker)
        thread.start()
        return job

    def _reap(self, job: _Job | _RemoteJob) -> None:
        """Release a job whose worker has ended (called on the GUI thread)."""
        if isinstance(job, _RemoteJob):
            return  # the training process stays, for the next run
        job.thread.quit()
        job.thread.wait()
        job.thread.deleteLater()  # parented to the session, so Qt owns it; it has stopped

    def threads_running(self) -> int:
        """Number of this session's worker threads still running (0 when idle)."""
        jobs = [j for j in (self._train_job, self._load_job) if j is not None] + self._orphans
        return sum(1 for j in jobs if isinstance(j, _RemoteJob) or j.thread.isRunning())

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop everything before the window closes.

        Requests a stop, waits at most ``timeout_ms`` for each worker and stops the timer.

        Returns
        -------
        bool
            True when every worker ended in time. When one did not, its thread is kept
            referenced (never destroyed while running) and False is returned.
        """
        self._shut_down = True
        self._timer.stop()
        ok = True
        self._mailbox.close()  # what a stopping run still sends is not drawn any more
        for attr in ("_train_job", "_load_job"):
            job: _Job | None = getattr(self, attr)
            if job is None:
                continue
            if attr == "_train_job" and self.control is not None:
                self.control.stop()
            if isinstance(job, _RemoteJob):
                if not job.proc.wait_ended(timeout_ms / 1000.0):
                    ok = False
                    log.warning("the training process did not stop within %d ms; ended it",
                                timeout_ms)
                    job.proc.abandon()
                setattr(self, attr, None)
                continue
            for sig in (job.worker.emitted, job.worker.failed, job.worker.ended):
                try:
                    sig.disconnect()
                except (RuntimeError, TypeError):
                    pass
            job.thread.quit()
            if job.thread.wait(timeout_ms):
                job.thread.deleteLater()
            else:
                ok = False
                job.thread.setParent(None)  # outlive the session rather than be destroyed
                _STRAGGLERS.append(job)
                log.warning("worker %s did not stop within %d ms", job.name, timeout_ms)
            setattr(self, attr, None)
        proc = self._process
        if proc is not None:
            from rnnviz.core.trainproc import shared_process

            if proc is not shared_process():  # a second session's own process: end it
                proc.close(timeout_ms / 1000.0)
            self._process = None
        self._set_state(IDLE)
        return ok


_STRAGGLERS: list[_Job] = []
"""Jobs whose worker did not stop in time at shutdown; kept so Python never destroys them."""
