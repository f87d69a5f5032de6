"""CompareSession: runs a comparison (two or three models) in the training process or a
worker thread.

A lesson (:meth:`CompareSession.start_lesson`) trains in the training process
(:func:`rnnviz.core.lessons.lesson_events` run by :mod:`rnnviz.core.trainproc`), so the
lesson window draws while the models train on another core without sharing Python's GIL;
its items wait in a box that the redraw timer empties (only the end and a failure wake the
window at once). ``RNNVIZ_TRAIN_IN_THREAD=1`` or ``in_process=False`` -- and any
:meth:`CompareSession.start` with a factory -- use the worker thread described below.

Same approach as :mod:`rnnviz.gui.session` (DESIGN.md §3), for several runs at once:

1. :meth:`CompareSession.start` takes a *factory* that builds the
   :class:`~rnnviz.core.compare.Comparison` (data generation and model building happen on the
   worker thread, so the window never waits for them). A
   :class:`~rnnviz.gui.mailbox.Worker`, moved to a QThread that the session parents,
   iterates ``comparison.events()`` and emits every ``(label, event)`` pair through a queued
   signal, as the training process sends a lesson's.
2. The slot on the GUI thread adds engine events to :attr:`histories` (one
   :class:`~rnnviz.core.history.RunHistory` per label) and stores each
   :class:`~rnnviz.core.compare.RunResult` in :attr:`results`.
3. A QTimer at ``redraw_hz`` calls ``view.render(histories, results)`` on the views when
   something changed; the redraw rate does not depend on training speed.
4. Pause, resume, step, stop and learning-rate changes go to every run's TrainingControl
   (checked between batches).
5. :meth:`shutdown` requests a stop and waits (bounded) for the worker; a running thread is
   never destroyed.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from rnnviz.core.errors import RnnvizError
from rnnviz.core.history import RunHistory
from rnnviz.gui.mailbox import Mailbox, Worker

log = logging.getLogger(__name__)

IDLE, RUNNING, PAUSED, STOPPING, FINISHED = "idle", "running", "paused", "stopping", "finished"


def _compare_work(factory: Callable[[], Any], threads: int | None, holder: dict[str, Any],
                  emit: Callable[[object], None]) -> None:
    """Build the comparison (on the worker thread) and emit ``(label, item)`` pairs: first
    ``(LABELS_ITEM, labels)``, then every event and result, as the training process's
    lesson job sends them (:func:`rnnviz.core.lessons.lesson_events`)."""
    from rnnviz.core.lessons import LABELS_ITEM

    if threads:
        import torch

        torch.set_num_threads(threads)
    cmp = factory()
    holder["comparison"] = cmp
    if holder.get("stop"):
        cmp.stop()
    if holder.get("paused"):
        cmp.control.pause()
    emit((LABELS_ITEM, list(cmp.labels)))
    for label, event in cmp.events():
        emit((label, event))


class CompareSession(QObject):
    """Owns the histories of a comparison, its worker thread and the redraw timer.

    Parameters
    ----------
    parent : QObject, optional
    redraw_hz : float
        Rate of the redraw timer.
    torch_threads : int or None
        torch threads for the worker (process-wide; 1 keeps the window smooth on 2 cores).

    Signals
    -------
    state_changed(str)
        ``idle``, ``running``, ``paused``, ``stopping`` or ``finished``.
    labels_known(list)
        The models' labels, once the comparison is built.
    result_ready(str, object)
        A model finished: its label and :class:`~rnnviz.core.compare.RunResult`.
    finished()
        Every model finished (or the run failed or was stopped).
    failed(str, str, str)
        Title, plain message and details (traceback; empty for user errors).
    redrawn()
        After each timer tick that redrew.
    """

    state_changed = Signal(str)
    labels_known = Signal(object)
    result_ready = Signal(str, object)
    finished = Signal()
    failed = Signal(str, str, str)
    redrawn = Signal()

    def __init__(self, parent: QObject | None = None, *, redraw_hz: float = 15.0,
                 torch_threads: int | None = 1, in_process: bool | None = None) -> None:
        super().__init__(parent)
        from rnnviz.gui.session import process_training_default

        self.in_process = process_training_default() if in_process is None else bool(in_process)
        """Lessons (:meth:`start_lesson`) train in the training process (its own Python, so
        drawing and training do not share the GIL); a factory (:meth:`start`) on a thread."""
        self.summary: dict[str, Any] = {}
        """What the last lesson run reported at its end (``mean_baseline``)."""
        self._remote: Any = None  # (process, control) of a lesson in the training process
        self._own_process: Any = None
        # what the training process sends; its end and failures wake the window at once
        self._box = Mailbox(self, wakes=lambda msg: msg.kind in ("failed", "ended"))
        self._box.posted.connect(self._drain)
        self.torch_threads = torch_threads
        self.histories: dict[str, RunHistory] = {}
        self.results: dict[str, Any] = {}
        self.state = IDLE
        self.redraws = 0
        self._views: list[Any] = []
        self._thread: QThread | None = None
        self._worker: Worker | None = None
        self._holder: dict[str, Any] = {}
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000.0 / redraw_hz)))
        self._timer.timeout.connect(self._on_timer_timeout)

    # ------------------------------------------------------------------ views
    def set_views(self, views: list[Any]) -> None:
        """Views redrawn by the timer; each has ``render(histories, results)``."""
        self._views = list(views)

    def render_views(self) -> None:
        """Redraw every view now."""
        for v in self._views:
            try:
                v.render(self.histories, self.results)
            except Exception:  # noqa: BLE001 - one broken view must not stop the run
                log.error("compare view failed to draw:\n%s", traceback.format_exc())
        self._dirty = False
        self.redraws += 1
        self.redrawn.emit()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._drain()
        if self._dirty:
            self.render_views()

    # ------------------------------------------------------------------ state
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    @property
    def is_active(self) -> bool:
        """True while the worker (or the lesson in the training process) runs."""
        return self._thread is not None or self._remote is not None

    @property
    def comparison(self) -> Any:
        """The Comparison being trained (None until the worker built it)."""
        return self._holder.get("comparison")

    # ------------------------------------------------------------------ control
    def start_lesson(self, lesson: Any) -> None:
        """Train ``lesson`` (parameters applied): in the training process, or on a thread.

        Raises
        ------
        RuntimeError
            When a comparison is already running.
        """
        if not self.in_process:
            from rnnviz.core.lessons import make_comparison

            self.start(lambda: make_comparison(lesson))
            return
        if self.is_active:
            raise RuntimeError("a comparison is already running; stop it first")
        from rnnviz.core.lessons import lesson_events
        from rnnviz.core.trainproc import free_process, shared_process

        self.histories = {}
        self.results = {}
        self.summary = {}
        self._holder = {}
        self._dirty = True
        self._box.take()
        proc = free_process(self._own_process)  # a process of its own while the window trains
        if proc is not shared_process():
            self._own_process = proc

        try:
            control = proc.start_call(lesson_events, (lesson, self.torch_threads),
                                      sink=self._box.put)
        except OSError as exc:  # no Python to start: train on a thread
            log.warning("could not start the training process (%s); training on a thread", exc)
            self.in_process = False
            self.start_lesson(lesson)
            return
        self._remote = (proc, control)
        self._set_state(RUNNING)
        self._timer.start()

    @Slot()
    def _drain(self) -> None:
        """Hand what the training process sent to the same slots the thread worker uses."""
        if self._remote is None:
            return
        for msg in self._box.take():
            if msg.kind == "event":
                self._on_worker_pair(msg.value)
            elif msg.kind == "failed":
                self._on_worker_failed(*msg.value)
            elif msg.kind == "ended":
                self._remote = None
                self._timer.stop()
                self.render_views()
                self._set_state(FINISHED if self.histories else IDLE)
                self.finished.emit()
                return

    def start(self, factory: Callable[[], Any]) -> None:
        """Build a comparison with ``factory()`` on a worker thread and train it.

        Raises
        ------
        RuntimeError
            When a comparison is already running.
        """
        if self._thread is not None:
            raise RuntimeError("a comparison is already running; stop it first")
        self.histories = {}
        self.results = {}
        self._holder = {}
        self._dirty = True
        thread = QThread(self)  # parented: never destroyed by Python while running
        thread.setObjectName("rnnviz-compare")
        worker = Worker(functools.partial(_compare_work, factory, self.torch_threads,
                                          self._holder))
        worker.moveToThread(thread)
        worker.emitted.connect(self._on_worker_pair)
        worker.failed.connect(self._on_worker_failed)
        worker.ended.connect(thread.quit)
        worker.ended.connect(self._on_worker_ended)
        thread.started.connect(worker.run)
        self._thread, self._worker = thread, worker
        thread.start()
        self._set_state(RUNNING)
        self._timer.start()

    def _control(self) -> Any:
        if self._remote is not None:
            return self._remote[1]
        cmp = self.comparison
        return cmp.control if cmp is not None else None

    def pause(self) -> None:
        """Pause every model between batches."""
        if self.state != RUNNING:
            return
        self._holder["paused"] = True
        c = self._control()
        if c is not None:
            c.pause()
        self._set_state(PAUSED)

    def resume(self) -> None:
        """Resume after :meth:`pause`."""
        if self.state != PAUSED:
            return
        self._holder["paused"] = False
        c = self._control()
        if c is not None:
            c.resume()
        self._set_state(RUNNING)

    def step(self) -> None:
        """Train one more batch of every model, then stay paused."""
        if self.state == RUNNING:
            self.pause()
        c = self._control()
        if self.state == PAUSED and c is not None:
            c.step_once()

    def stop(self) -> None:
        """Stop every model after its current batch."""
        if not self.is_active or self.state == STOPPING:
            return
        self._holder["stop"] = True
        c = self._control()
        if c is not None:
            c.stop()
        self._set_state(STOPPING)

    def set_lr(self, lr: float) -> None:
        """Change every model's learning rate from its next batch."""
        c = self._control()
        if c is not None:
            c.set_lr(float(lr))

    # ------------------------------------------------------------------ slots
    @Slot(object)
    def _on_worker_pair(self, pair: object) -> None:
        """One ``(label, item)`` of the worker thread or the training process."""
        from rnnviz.core.lessons import LABELS_ITEM, SUMMARY_ITEM

        label, item = pair  # type: ignore[misc]
        if label == LABELS_ITEM:
            self._on_worker_labels_known(item)
        elif label == SUMMARY_ITEM:
            self.summary = dict(item)
        else:
            self._on_worker_emitted(label, item)

    def _on_worker_labels_known(self, labels: list[str]) -> None:
        self.histories = {lab: RunHistory() for lab in labels}
        self._dirty = True
        self.labels_known.emit(list(labels))

    def _on_worker_emitted(self, label: str, item: object) -> None:
        from rnnviz.core.compare import RunResult

        if isinstance(item, RunResult):
            self.results[label] = item
            self.result_ready.emit(label, item)
        else:
            h = self.histories.get(label)
            if h is None:
                h = self.histories[label] = RunHistory()
            h.add(item)
        self._dirty = True

    @Slot(object, str)
    def _on_worker_failed(self, exc: object, details: str) -> None:
        if isinstance(exc, RnnvizError):
            self.failed.emit("The lesson could not run", exc.message, "")
        else:
            self.failed.emit(
                "Training stopped by an error",
                f"Training stopped because of an unexpected error: {type(exc).__name__}: {exc}. "
                "The window stays usable. If it happens again, please report the details.",
                details,
            )

    @Slot()
    def _on_worker_ended(self) -> None:
        thread = self._thread
        self._thread, self._worker = None, None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        self._timer.stop()
        self.render_views()
        self._set_state(FINISHED if self.histories else IDLE)
        self.finished.emit()

    # ------------------------------------------------------------------ shutdown
    def threads_running(self) -> int:
        """1 while the worker thread (or the lesson in the training process) runs, else 0."""
        return int(self._thread is not None and self._thread.isRunning()
                   or self._remote is not None)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the worker before the window closes; True when it ended in time."""
        self._timer.stop()
        ok = True
        self._box.close()
        if self._remote is not None:
            proc, control = self._remote
            control.stop()
            if not proc.wait_ended(timeout_ms / 1000.0):
                ok = False
                log.warning("the lesson did not stop within %d ms; ended its process",
                            timeout_ms)
                proc.abandon()
            self._remote = None
            self._set_state(IDLE)
        if self._own_process is not None:
            self._own_process.close(timeout_ms / 1000.0)
            self._own_process = None
        if self._thread is None:
            return ok
        thread, worker = self._thread, self._worker
        self._holder["stop"] = True
        c = self._control()
        if c is not None:
            c.stop()
        if worker is not None:
            for sig in (worker.emitted, worker.failed, worker.ended):
                try:
                    sig.disconnect()
                except (RuntimeError, TypeError):
                    pass
        thread.quit()
        ok = bool(thread.wait(timeout_ms))
        if ok:
            thread.deleteLater()
        else:
            thread.setParent(None)  # outlive the session rather than be destroyed running
            _STRAGGLERS.append((thread, worker))
            log.warning("compare worker did not stop within %d ms", timeout_ms)
        self._thread, self._worker = None, None
        self._set_state(IDLE)
        return ok


_STRAGGLERS: list[tuple[QThread, Any]] = []
"""Threads whose worker did not stop in time at shutdown; kept so Python never destroys them."""
