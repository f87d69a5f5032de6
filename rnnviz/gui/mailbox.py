"""How items get from a worker thread or the training process to the GUI thread.

:class:`Worker` runs a function on a :class:`QThread` and forwards what it emits, its error
and its end. :class:`Mailbox` queues items put from any thread and wakes the GUI thread only
for the items that need an answer at once, through the application's doorbell (see
:class:`_Doorbell`), never through a signal of its own emitted from another thread.
"""

from __future__ import annotations

import threading
import traceback
from collections import deque
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

from rnnviz.core.events import BatchDone, EpochDone, ForecastReady, ProbeReady


class Worker(QObject):
    """Runs ``fn(emit)`` on its thread; forwards what it emits, its error and its end."""

    emitted = Signal(object)
    failed = Signal(object, str)  # exception, formatted traceback
    ended = Signal()

    def __init__(self, fn: Callable[[Callable[[object], None]], None]) -> None:
        super().__init__()
        self._fn = fn

    @Slot()
    def run(self) -> None:
        try:
            self._fn(self.emitted.emit)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never swallowed
            self.failed.emit(exc, traceback.format_exc())
        finally:
            app = QCoreApplication.instance()
            if app is not None:
                # hand the worker back to the GUI thread so it is deleted there, not here
                self.moveToThread(app.thread())
            self.ended.emit()


QUIET_EVENTS = (BatchDone, EpochDone, ProbeReady, ForecastReady)
"""Events only the views draw: they wait in the mailbox for the next redraw frame instead of
waking the GUI thread (the others -- started, diverged, finished -- wake it at once)."""


def _wakes(item: object) -> bool:
    return not isinstance(item, QUIET_EVENTS)


class _Doorbell(QObject):
    """Wakes mailboxes from other threads without ever touching one that may be deleted.

    A worker that emitted a mailbox's own signal raced the GUI thread deleting that
    mailbox with its window (a segfault in CI, in ``Signal.emit``). Foreign threads ring
    this one instead, which lives as long as the application; its queued slot runs on the
    GUI thread, where a mailbox can only be deleted between slots, and passes the wake on
    to mailboxes still alive.
    """

    rang = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.rang.connect(self._answer, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _answer(self, mailbox: Mailbox) -> None:
        if shiboken6.isValid(mailbox) and not mailbox.closed:
            mailbox.posted.emit()


_doorbell: _Doorbell | None = None


def _the_doorbell() -> _Doorbell:
    """The doorbell of this application (made on the GUI thread at the first mailbox)."""
    global _doorbell
    if _doorbell is None or not shiboken6.isValid(_doorbell):
        _doorbell = _Doorbell()
        app = QCoreApplication.instance()
        if app is not None and _doorbell.thread() is not app.thread():
            _doorbell.moveToThread(app.thread())
    return _doorbell


class Mailbox(QObject):
    """A worker's items on their way to the GUI thread, in order, in bunches.

    The worker :meth:`put` s every item in a queue. Only items that need an answer at once
    (``wakes(item)``; by default every event but batches, epochs, probes and forecasts) wake
    the GUI thread, with one queued ``posted`` signal until the queue is taken; the rest wait
    for the next redraw frame, which :meth:`take` s everything queued. One queued signal per
    batch woke the GUI thread, and took Python's GIL from the training thread, 100-300
    times a second. Items stay the immutable objects the engine made.

    The wake goes through the application's doorbell, never through this object from the
    worker's thread, so the mailbox may be deleted (with its window) while a worker still
    puts items in it; :meth:`close` drops what comes after.
    """

    posted = Signal()

    def __init__(self, parent: QObject | None = None, *,
                 wakes: Callable[[object], bool] = _wakes) -> None:
        super().__init__(parent)
        self._items: deque[object] = deque()
        self._lock = threading.Lock()
        self._woken = False
        self._wakes = wakes
        self._bell = _the_doorbell()
        self.closed = False

    def put(self, item: object) -> None:
        """Queue ``item`` (any thread); wake the GUI thread when it needs an answer."""
        with self._lock:
            if self.closed:
                return
            self._items.append(item)
            wake = not self._woken and self._wakes(item)
            if wake:
                self._woken = True
        if wake:
            self._bell.rang.emit(self)

    def close(self) -> None:
        """Drop everything queued and everything put from now on (GUI thread)."""
        with self._lock:
            self.closed = True
            self._items.clear()

    def take(self) -> list[object]:
        """Everything queued, oldest first (GUI thread)."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
            self._woken = False
        return items
