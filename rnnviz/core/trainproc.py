"""Training in a child process that streams its events back (no Qt).

Why: a window that trains on a thread of its own process shares Python's GIL with it;
every millisecond the GUI draws is a millisecond training waits, and every millisecond
training runs Python the GUI's input waits. A child process has its own interpreter: the
window draws on one core while training runs on another, and neither waits for the other.

How it works:

* :class:`TrainingProcess` starts one child (a new ``python``, talking through two
  inherited pipes: safe with Qt and CUDA, unlike ``fork``) that imports torch once and then runs any number of
  jobs, one after another. Start it early (:meth:`TrainingProcess.warm_up`) and the first
  run does not wait for torch to import.
* A job is ``train(data, run, control=..., model=...)``, exactly as in this process. Its
  events (the immutable objects of :mod:`rnnviz.core.events`) are pickled to the parent as
  they come; a thread of the parent reads them and hands each message to the job's
  ``sink`` callback. Windows are pickled compactly (:class:`~rnnviz.core.windows.Windows`
  sends the series they view, not every window).
* :class:`RemoteControl` has the methods of
  :class:`~rnnviz.core.training.TrainingControl`; each sends a command to the child, where
  a listener thread applies it to the job's real control between batches.
  :meth:`RemoteControl.wait_until_blocked` also brings back the weights as they are while
  paused, so the parent's copy of the model (:class:`JobMessage` ``"model"`` and
  ``"weights"``) can be saved mid-run.

Messages to the sink (``JobMessage.kind``):

``"model"``
    The model the job trains, as built (a CPU copy); sent before the first event.
``"event"``
    One training event, in order.
``"weights"``
    The final weights (state dict of CPU tensors), after the last event.
``"failed"``
    The job raised: ``value`` is ``(exception, formatted traceback)``.
``"ended"``
    The job is over (always the last message of a job).
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rnnviz.core.config import check_live_lr

log = logging.getLogger(__name__)

__all__ = ["BroadcastControl", "JobMessage", "RemoteControl", "TrainingProcess",
           "free_process", "shared_process"]

_ids = itertools.count(1)


@dataclass(frozen=True)
class JobMessage:
    """One message from a job in the child process (see the module docstring)."""

    job: int
    kind: str
    value: Any = None


CHILD_IMPORTS = (
    "torch",
    "torch._dynamo",  # torch's optimizers import it on first use: 1-2 s before batch one
    "rnnviz.core.training",
    "rnnviz.core.models",
    "rnnviz.core.probes",
    "rnnviz.core.forecast",
    "rnnviz.core.metrics",
)
"""What the child imports before it says it is ready (the first run then starts at once)."""


def _dumps(obj: Any) -> bytes:
    # plain pickle, not Connection.send: that uses multiprocessing's pickler, for which
    # torch registers tensor reductions through shared memory and a resource-sharer server;
    # a plain copy of each tensor is simpler and these tensors are small
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


# ---------------------------------------------------------------------------- child side
def _cpu_state(model: Any) -> dict[str, Any]:
    """The model's weights as CPU tensors (detached copies)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _cpu_model(model: Any) -> Any:
    """A CPU copy of ``model`` for the parent (the model itself when it is on the CPU: it is
    pickled, i.e. copied, anyway)."""
    import copy

    params = list(model.parameters())
    if not params or params[0].device.type == "cpu":
        return model
    return copy.deepcopy(model).to("cpu")


def _portable_error(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its type and text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any exception that does not pickle is replaced
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class _ForwardingControl:
    """TrainingControl's commands, noted (paused, stopped) and passed on by :meth:`_forward`."""

    def __init__(self, *, paused: bool = False) -> None:
        self._paused = paused
        self._stop = False

    def _forward(self, name: str, *args: Any) -> None:
        raise NotImplementedError

    def pause(self) -> None:
        """Stop before the next batch until resumed."""
        self._paused = True
        self._forward("pause")

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self._paused = False
        self._forward("resume")

    def step_once(self) -> None:
        """Run exactly one more batch, then stay paused."""
        self._paused = True
        self._forward("step_once")

    def stop(self) -> None:
        """End training before the next batch (also while paused)."""
        self._stop = True
        self._forward("stop")

    def set_lr(self, lr: float) -> None:
        """Use this learning rate from the next batch on (checked here: a bad one raises
        at once)."""
        self._forward("set_lr", check_live_lr(lr))

    @property
    def paused(self) -> bool:
        """True while a pause is requested."""
        return self._paused

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop


class BroadcastControl(_ForwardingControl):
    """The control of a ``call`` job that trains several models (a lesson's comparison):
    each command goes to every control :meth:`make` has made, and a control made later
    starts in the state the commands so far left (paused, stopped)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._controls: list[Any] = []

    def make(self) -> Any:
        """A new TrainingControl that follows this one."""
        from rnnviz.core.training import TrainingControl

        c = TrainingControl()
        with self._lock:
            if self._paused:
                c.pause()
            if self._stop:
                c.stop()
            self._controls.append(c)
        return c

    def _forward(self, name: str, *args: Any) -> None:
        with self._lock:
            controls = list(self._controls)
        for c in controls:
            getattr(c, name)(*args)

    def wait_until_blocked(self, timeout: float | None = None) -> bool:
        with self._lock:
            controls = list(self._controls)
        return all(c.wait_until_blocked(timeout) for c in controls)


class _Child:
    """The child process: commands from ``commands`` (a listener thread), jobs on the main
    thread, messages to ``out``."""

    def __init__(self, commands: Any, out: Any) -> None:
        self._commands = commands
        self._out = out
        self._send_lock = threading.Lock()
        self._jobs: list[tuple[Any, ...]] = []
        self._jobs_ready = threading.Condition()
        self._control: Any = None
        self._model: Any = None
        self._job = 0
        self._quit = False

    @staticmethod
    def _new_control() -> Any:
        from rnnviz.core.training import TrainingControl

        return TrainingControl()

    def send(self, job: int, kind: str, value: Any = None) -> None:
        try:
            with self._send_lock:
                self._out.send_bytes(_dumps(JobMessage(job, kind, value)))
        except OSError:  # the window is gone (killed, or closed while we trained): leave
            os._exit(0)

    # -- the listener thread: every command from the parent
    def listen(self) -> None:
        while True:
            try:
                cmd = pickle.loads(self._commands.recv_bytes())
            except (EOFError, OSError):  # the parent is gone: stop whatever runs and leave
                cmd = ("quit",)
            name = cmd[0]
            if name in ("train", "call", "quit"):
                with self._jobs_ready:
                    if name == "quit":
                        self._quit = True
                        if self._control is not None:
                            self._control.stop()
                    else:
                        # the control exists from now on, so commands that follow at once
                        # (step, stop) reach it even before the job has unpacked its data
                        _, job, paused, payload = cmd
                        control = self._new_control() if name == "train" else BroadcastControl()
                        if paused:
                            control.pause()
                        self._job, self._control = job, control
                        self._jobs.append((name, job, payload, control))
                    self._jobs_ready.notify_all()
                if name == "quit":
                    return
                continue
            job, args = cmd[1], cmd[2:]
            control = self._control
            if control is None or job != self._job:
                if name == "sync":  # the job already ended: nothing to wait for
                    self.send(job, "synced", (args[0], False, None))
                continue
            if name == "sync":
                threading.Thread(target=self._sync, args=(job, control, *args),
                                 daemon=True).start()
            else:
                try:
                    getattr(control, name)(*args)
                except Exception as exc:  # noqa: BLE001 - a bad command must not end the child
                    log.warning("command %s failed in the training process: %s", name, exc)

    def _sync(self, job: int, control: Any, token: int, timeout: float) -> None:
        """Reply to ``wait_until_blocked``: whether the trainer is paused and, if it is, its
        weights (nothing changes them while it is blocked)."""
        ok = bool(control.wait_until_blocked(timeout))
        state = _cpu_state(self._model) if ok and self._model is not None else None
        self.send(job, "synced", (token, ok, state))

    # -- the main thread: jobs, one at a time
    def run(self) -> None:
        threading.Thread(target=self.listen, name="rnnviz-commands", daemon=True).start()
        self.send(0, "ready")
        while True:
            with self._jobs_ready:
                while not self._jobs and not self._quit:
                    self._jobs_ready.wait()
                if self._quit:
                    return
                kind, job, payload, control = self._jobs.pop(0)
            self._run_job(kind, job, payload, control)

    def _run_job(self, kind: str, job: int, payload: bytes, control: Any) -> None:
        from rnnviz.core.training import make_model, train

        try:
            if kind == "call":  # fn(*args, control=control) yields what is sent
                fn, args = pickle.loads(payload)
                for item in fn(*args, control=control):
                    self.send(job, "event", item)
                return
            data, run, model, options = pickle.loads(payload)
            if model is None:
                model = make_model(data, run)
            self._model = model
            self.send(job, "model", _cpu_model(model))
            for event in train(data, run, control=control, model=model, **options):
                self.send(job, "event", event)
            self.send(job, "weights", _cpu_state(model))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, never lost
            self.send(job, "failed", (_portable_error(exc), traceback.format_exc()))
        finally:
            with self._jobs_ready:
                if self._job == job:
                    self._control = None
                self._model = None
            self.send(job, "ended")


def child_main(commands_fd: int, out_fd: int) -> None:
    """Entry point of the child process: commands are read from ``commands_fd`` and
    messages written to ``out_fd`` (pipe ends it inherited)."""
    import importlib

    commands = Connection(commands_fd, writable=False)
    out = Connection(out_fd, readable=False)
    for name in CHILD_IMPORTS:  # once, before the first job needs them
        importlib.import_module(name)
    _Child(commands, out).run()


# ---------------------------------------------------------------------------- parent side
class RemoteControl(_ForwardingControl):
    """The :class:`~rnnviz.core.training.TrainingControl` of a job in the child process.

    Commands take effect between batches, as with a local control. ``set_lr`` checks its
    value here, so a bad rate raises at once.
    """

    def __init__(self, proc: TrainingProcess, job: int, *, paused: bool = False) -> None:
        super().__init__(paused=paused)
        self._proc = proc
        self._job = job
        self.weights: dict[str, Any] | None = None
        """Weights brought back by the last successful :meth:`wait_until_blocked`."""
        self.on_weights: Callable[[dict[str, Any]], None] | None = None
        """Called (on the caller's thread) with the weights each successful
        :meth:`wait_until_blocked` brings back."""

    def _forward(self, name: str, *args: Any) -> None:
        self._proc._command((name, self._job, *args))

    def wait_until_blocked(self, timeout: float | None = None) -> bool:
        """Block until the trainer waits in a pause; then :attr:`weights` holds its weights.

        Returns False on timeout, when the job has ended, or when the process is gone.
        """
        wait = 2.0 if timeout is None else float(timeout)
        reply = self._proc._sync(self._job, wait)
        if reply is None:
            return False
        ok, state = reply
        if ok and state is not None:
            self.weights = state
            if self.on_weights is not None:
                self.on_weights(state)
        return bool(ok)


class _Outbox:
    """Commands on their way to the child, sent in order by a thread of their own, so the
    caller never waits on the pipe (a big series takes a while to go through it)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="rnnviz-training-commands",
                                        daemon=True)
        self._thread.start()

    def put(self, blob: bytes) -> None:
        self._queue.put(blob)

    def close(self, timeout: float = 2.0) -> None:
        """Send what is queued, then close the pipe."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        broken = False
        while (blob := self._queue.get()) is not None:
            if broken:
                continue
            try:
                self._conn.send_bytes(blob)
            except (OSError, ValueError) as exc:  # the child is gone; the reader reports it
                log.warning("the training process stopped taking commands: %s", exc)
                broken = True
        self._conn.close()


class TrainingProcess:
    """A child process that runs training jobs, one at a time.

    Notes
    -----
    One job at a time: :meth:`start` raises while a job is running. The process lives until
    :meth:`close` (or the parent exits: it is a daemon and it leaves when its command pipe
    closes).
    """

    def __init__(self) -> None:
        self._proc: Any = None
        self._gone = threading.Event()
        self._commands: _Outbox | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._job = 0
        self._sink: Callable[[JobMessage], None] | None = None
        self._ended = threading.Event()
        self._ended.set()
        self._told = threading.Event()  # the sink has returned from the job's "ended"
        self._told.set()
        self._ready = threading.Event()
        self._syncs: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._tokens = itertools.count(1)

    # -- life
    @property
    def alive(self) -> bool:
        """True while the child process runs."""
        # the reader sees the pipe close (the child died) a moment before the exit status
        # can be read: trust either
        return (self._proc is not None and not self._gone.is_set()
                and self._proc.poll() is None)

    @property
    def busy(self) -> bool:
        """True while a job runs (from :meth:`start` until its ``"ended"`` message)."""
        return not self._ended.is_set()

    def warm_up(self) -> None:
        """Start the child now (it imports torch in the background); returns at once."""
        with self._lock:
            if self.alive:
                return
            self._spawn()

    def _spawn(self) -> None:
        # A plain ``python -c`` child with two inherited pipes, not multiprocessing's
        # "spawn": that one re-imports the parent's main script in the child, which fails
        # (or starts a second window) for scripts without an ``if __name__ == "__main__"``
        # guard. "fork" is unsafe with Qt's and torch's threads.
        if self._commands is not None:  # the previous child's (it died): end its sender
            self._commands.close(timeout=0)
            self._commands = None
        cmd_r, cmd_w = os.pipe()  # commands: parent writes, child reads
        ev_r, ev_w = os.pipe()  # messages: child writes, parent reads
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        code = f"from rnnviz.core.trainproc import child_main; child_main({cmd_r}, {ev_w})"
        self._ready.clear()
        try:
            proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(cmd_r, ev_w),
                                    stdin=subprocess.DEVNULL, env=env)
        finally:
            os.close(cmd_r)  # the child's ends: it holds its own copies
            os.close(ev_w)
        self._proc = proc
        self._gone = gone = threading.Event()
        self._commands = _Outbox(Connection(cmd_w, readable=False))
        events = Connection(ev_r, writable=False)
        self._reader = threading.Thread(target=self._read, args=(events, gone),
                                        name="rnnviz-training-events", daemon=True)
        self._reader.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the child has imported torch and waits for jobs."""
        return self._ready.wait(timeout)

    # -- jobs
    def start(self, data: Any, run: Any, *, model: Any = None, paused: bool = False,
              sink: Callable[[JobMessage], None],
              options: dict[str, Any] | None = None) -> RemoteControl:
        """Run ``train(data, run, model=model, **options)`` in the child; its messages go to
        ``sink``.

        ``sink`` is called on a reader thread, in order; the job's last message is
        ``"ended"``. Raises RuntimeError while another job runs, and pickling errors for
        data that cannot be sent.
        """
        payload = _dumps((data, run, model, dict(options or {})))
        return self._begin("train", payload, sink, paused)

    def start_call(self, fn: Callable[..., Any], args: tuple[Any, ...], *,
                   sink: Callable[[JobMessage], None], paused: bool = False) -> RemoteControl:
        """Run ``fn(*args, control=control)`` in the child and send each item it yields
        (``"event"`` messages; no model or weights). ``fn`` must be a module-level function
        (it is pickled by name); ``control`` is a :class:`BroadcastControl`.
        """
        return self._begin("call", _dumps((fn, tuple(args))), sink, paused)

    def _begin(self, kind: str, payload: bytes, sink: Callable[[JobMessage], None],
               paused: bool) -> RemoteControl:
        with self._lock:
            if self.busy:
                raise RuntimeError("the training process is busy with another run")
            if not self.alive:
                self._spawn()
            self._job = job = next(_ids)
            self._sink = sink
            self._ended.clear()
            self._told.clear()
        self._command((kind, job, bool(paused), payload))
        return RemoteControl(self, job, paused=paused)

    def wait_ended(self, timeout: float | None = None) -> bool:
        """Wait until the current job (if any) has sent ``"ended"`` and its sink has
        returned from it (so the sink's owner may be deleted once this returns True)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._ended.wait(timeout):
            return False
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._told.wait(left)

    def _command(self, cmd: tuple[Any, ...]) -> None:
        blob = _dumps(cmd)
        with self._lock:
            if self._commands is not None:
                self._commands.put(blob)

    def _sync(self, job: int, timeout: float) -> tuple[bool, Any] | None:
        token = next(self._tokens)
        done = threading.Event()
        box: list[Any] = []
        self._syncs[token] = (done, box)
        try:
            self._command(("sync", job, token, timeout))
            if not done.wait(timeout + 1.0):
                return None
            return box[0]
        finally:
            self._syncs.pop(token, None)

    # -- the reader thread
    def _read(self, conn: Any, gone: threading.Event) -> None:
        while True:
            try:
                msg: JobMessage = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            except Exception as exc:  # noqa: BLE001 - a message that does not unpickle
                msg = JobMessage(self._job, "failed", (
                    RuntimeError(f"a message from the training process was unreadable: {exc}"),
                    traceback.format_exc()))
            if msg.kind == "ready":
                self._ready.set()
                continue
            if msg.kind == "synced":
                token, ok, state = msg.value
                waiter = self._syncs.get(token)
                if waiter is not None:
                    waiter[1].append((ok, state))
                    waiter[0].set()
                continue
            self._deliver(msg)
        gone.set()
        conn.close()
        # the child is gone: end a job it left running, with a clear message
        if self.busy and gone is self._gone:
            code = self._proc.poll() if self._proc is not None else None
            self._deliver(JobMessage(self._job, "failed", (RuntimeError(
                f"the training process ended unexpectedly (exit code {code})"), "")))
            self._deliver(JobMessage(self._job, "ended"))

    def _deliver(self, msg: JobMessage) -> None:
        if msg.job != self._job:
            return  # from a job that was given up
        sink = self._sink
        if msg.kind == "ended":
            # free before the sink hears of the end: whoever it tells may start the next
            # job at once, and must not find the process still busy
            self._sink = None
            self._ended.set()
        if sink is not None:
            try:
                sink(msg)
            except Exception:  # noqa: BLE001 - the reader must keep reading
                log.exception("a training message could not be handled")
        if msg.kind == "ended" and msg.job == self._job:  # (not if a next job has begun)
            self._told.set()

    def close(self, timeout: float = 5.0) -> bool:
        """Stop the current job and the child; True when it left in time (else it is killed)."""
        with self._lock:
            proc, commands = self._proc, self._commands
            self._proc = None
        if proc is None:
            return True
        if commands is not None:
            commands.put(_dumps(("quit",)))
        try:
            proc.wait(timeout)
            clean = True
        except subprocess.TimeoutExpired:
            clean = False
            proc.kill()
            proc.wait(2.0)
        with self._lock:
            self._commands = None
        if commands is not None:
            commands.close()
        if self._reader is not None:
            self._reader.join(2.0)
        return clean

    def abandon(self) -> None:
        """Give up the current job: its later messages are dropped and the child is
        killed (used when a job does not stop in time)."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._job = -1
            self._sink = None
            commands, self._commands = self._commands, None
        self._ended.set()
        self._told.set()
        if proc is not None:
            proc.kill()
            proc.wait(2.0)
        if commands is not None:
            commands.close()


_shared: TrainingProcess | None = None
_shared_lock = threading.Lock()


def shared_process() -> TrainingProcess:
    """The process-wide :class:`TrainingProcess` (made on first use; the child starts on
    :meth:`~TrainingProcess.warm_up` or the first job, and is told to leave at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TrainingProcess()
            atexit.register(_shared.close, 2.0)
        return _shared


def close_shared(timeout: float = 2.0) -> None:
    """Tell the shared process's child to leave now, if one was made (what exit does)."""
    with _shared_lock:
        shared = _shared
    if shared is not None:
        shared.close(timeout)


def free_process(current: TrainingProcess | None = None) -> TrainingProcess:
    """A process for a new job: ``current`` when it runs and is free, else the shared one
    when it is free, else a new one (a second window training at the same time)."""
    if current is not None and current.alive and not current.busy:
        return current
    shared = shared_process()
    return shared if not shared.busy else TrainingProcess()
