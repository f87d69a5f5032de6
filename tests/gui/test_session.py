"""TrainingSession: the worker thread, pause/step/stop/lr, errors, clean shutdown, no leaks.

Runs use the real engine (``rnnviz.core.training.train``) on a tiny sine series (a few
hundred rows, 4 hidden units, 2-3 batches per epoch) unless the test is about what the
session does with a particular event sequence; then a stand-in generator yields real event
dataclasses.
"""

from __future__ import annotations

import gc
import math
import threading
import tracemalloc

import pytest
import shiboken6
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QWidget

from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import DataError
from rnnviz.core.events import BatchDone, Diverged, Finished, Started
from rnnviz.core.series import build_windows, prepare_series
from rnnviz.core.tasks import sine_wave
from rnnviz.gui import session as S
from rnnviz.gui.session import TrainingSession

WAIT = 20_000  # ms; generous for a loaded 2-core machine, never slept


@pytest.fixture(scope="module")
def splits():
    cfg = DataConfig(lookback=8)
    return build_windows(prepare_series(sine_wave(300), cfg), cfg)


def run_config(**train) -> RunConfig:
    t = dict(epochs=2, max_batches_per_epoch=3, batch_size=16, probe_every_batches=2,
             threads=1) | train
    return RunConfig(data=DataConfig(lookback=8), model=ModelConfig(hidden=4),
                     train=TrainConfig(**t))


@pytest.fixture
def session(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    s = TrainingSession(holder)
    yield s
    s.shutdown(10_000)
    assert s.threads_running() == 0


def wait_finished(qtbot, s: TrainingSession):
    with qtbot.waitSignal(s.run_finished, timeout=WAIT) as blocker:
        pass
    return blocker.args[0]


def test_a_run_records_every_event_and_ends_finished(qtbot, session, splits):
    seen: list[object] = []
    session.run_started.connect(seen.append)
    with qtbot.waitSignal(session.run_finished, timeout=WAIT) as blocker:
        session.start(splits, run_config())
    fin = blocker.args[0]
    assert isinstance(fin, Finished) and fin.reason == "completed"
    assert isinstance(seen[0], Started)
    h = session.history
    # 2 epochs x 3 batches, steps numbered 1..6 by the engine
    assert list(h.batch_arrays()["step"]) == [1, 2, 3, 4, 5, 6]
    assert [e.epoch for e in h.epochs] == [1, 2]
    assert h.snapshots and h.forecast is not None
    assert session.state == S.FINISHED
    assert session.model is not None  # the trained model came back for saving
    assert session.threads_running() == 0


def recording(sent: list):
    """The real engine, counting the batches it sends (on the worker thread)."""

    def train_fn(data, run, *, control=None, model=None):
        from rnnviz.core.training import train

        for ev in train(data, run, control=control, model=model):
            if isinstance(ev, BatchDone):
                sent.append(ev)
            yield ev

    return train_fn


def test_pause_step_resume_and_stop_go_through_the_control(qtbot, splits):
    holder = QWidget()
    qtbot.addWidget(holder)
    sent: list[BatchDone] = []
    session = TrainingSession(holder, train_fn=recording(sent))

    def settle() -> int:  # every batch the blocked engine sent has arrived
        qtbot.waitUntil(lambda: session.history.n_batches == len(sent), timeout=WAIT)
        return len(sent)

    session.start(splits, run_config(epochs=50), paused=True)
    assert session.state == S.PAUSED
    assert session.control.wait_until_blocked(WAIT / 1000)
    assert session.history.n_batches == 0  # paused before the first batch
    session.step()
    qtbot.waitUntil(lambda: session.history.n_batches == 1, timeout=WAIT)
    assert session.control.wait_until_blocked(WAIT / 1000)  # paused again after one batch
    assert settle() == 1
    session.resume()
    assert session.state == S.RUNNING
    qtbot.waitUntil(lambda: session.history.n_batches >= 4, timeout=WAIT)
    session.pause()
    assert session.control.wait_until_blocked(WAIT / 1000)
    n = settle()
    with qtbot.waitSignal(session.run_finished, timeout=WAIT) as blocker:
        session.stop()
    assert blocker.args[0].reason == "stopped"
    assert len(sent) == n  # stop while paused trains no further batch
    assert session.state == S.FINISHED
    session.shutdown()


def test_learning_rate_changed_mid_run_is_used_by_the_next_batch(qtbot, session, splits):
    session.start(splits, run_config(epochs=50, lr=1e-3), paused=True)
    session.step()
    qtbot.waitUntil(lambda: session.history.n_batches == 1, timeout=WAIT)
    session.set_lr(0.0123)
    session.step()
    qtbot.waitUntil(lambda: session.history.n_batches == 2, timeout=WAIT)
    lr = session.history.batch_arrays()["lr"]
    assert lr[0] == pytest.approx(1e-3)
    assert lr[1] == pytest.approx(0.0123)
    assert session.history.lr_changes == [(2, pytest.approx(0.0123))]


def test_an_exception_in_the_worker_becomes_one_failed_signal(qtbot, splits):
    holder = QWidget()
    qtbot.addWidget(holder)

    def broken(data, run, *, control=None, model=None):
        yield Started(epochs=1, batches_per_epoch=1, n_train=1, n_val=0, n_test=0, device="cpu")
        raise ZeroDivisionError("boom in the engine")

    s = TrainingSession(holder, train_fn=broken, model_factory=lambda d, r: None,
                        control_factory=_Control)
    failures: list[tuple[str, str, str]] = []
    s.failed.connect(lambda *a: failures.append(a))
    with qtbot.waitSignal(s.run_finished, timeout=WAIT) as blocker:
        s.start(splits, run_config())
    assert blocker.args[0] is None  # no Finished event: it failed
    assert len(failures) == 1
    title, message, details = failures[0]
    assert "ZeroDivisionError" in message and "boom in the engine" in message
    assert "Traceback" in details
    assert s.threads_running() == 0
    assert not s.is_active  # usable again
    s.shutdown()


def test_a_user_error_in_the_worker_shows_its_message_without_a_traceback(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)

    def refuses(data, run, *, control=None, model=None):
        raise DataError("no_training_windows", "There are no training windows: use a shorter lookback.")
        yield  # pragma: no cover - makes this a generator

    s = TrainingSession(holder, train_fn=refuses, model_factory=lambda d, r: None,
                        control_factory=_Control)
    failures = []
    s.failed.connect(lambda *a: failures.append(a))
    with qtbot.waitSignal(s.run_finished, timeout=WAIT):
        s.start(object(), run_config())
    assert failures == [("Training stopped",
                         "There are no training windows: use a shorter lookback.", "")]
    assert s.state == S.IDLE
    s.shutdown()


class _Control:
    """Minimal stand-in for TrainingControl (the stand-in generators ignore it)."""

    def __init__(self):
        self.calls: list[str] = []

    def pause(self):
        self.calls.append("pause")

    def resume(self):
        self.calls.append("resume")

    def step_once(self):
        self.calls.append("step")

    def stop(self):
        self.calls.append("stop")

    def set_lr(self, lr):
        self.calls.append(f"lr={lr}")


def test_a_diverged_event_pauses_and_is_signalled_once(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    release = threading.Event()

    def diverging(data, run, *, control=None, model=None):
        yield Started(epochs=1, batches_per_epoch=2, n_train=2, n_val=0, n_test=0, device="cpu")
        yield BatchDone(epoch=1, batch=1, step=1, loss=1.0, grad_norm=1.0, group_norms={}, lr=10.0)
        yield Diverged(step=2, epoch=1, batch=2, what="loss",
                       message="The loss became NaN at step 2: lower the learning rate.")
        release.wait(10)
        yield Finished(reason="diverged", epochs_run=1, steps=1, best_epoch=0,
                       best_val_loss=math.nan, seconds=0.1)

    s = TrainingSession(holder, train_fn=diverging, model_factory=lambda d, r: None,
                        control_factory=_Control)
    events = []
    s.diverged.connect(events.append)
    s.start(object(), run_config())
    qtbot.waitUntil(lambda: len(events) == 1, timeout=WAIT)
    assert events[0].message.startswith("The loss became NaN at step 2")
    assert s.state == S.PAUSED
    assert s.control.calls == ["pause"]
    with qtbot.waitSignal(s.run_finished, timeout=WAIT) as blocker:
        release.set()
    assert blocker.args[0].reason == "diverged"
    assert s.history.diverged is events[0]
    s.shutdown()


def test_real_nan_run_reports_divergence(qtbot, session, splits):
    # plain RNN, recurrent matrix with spectral radius 3 and a huge learning rate
    run = RunConfig(data=DataConfig(lookback=8),
                    model=ModelConfig(cell="rnn", hidden=8, spectral_radius=3.0),
                    train=TrainConfig(epochs=20, lr=10.0, optimizer="sgd", batch_size=16,
                                      max_batches_per_epoch=5, threads=1))
    events = []
    session.diverged.connect(events.append)
    session.start(splits, run)
    fin = wait_finished(qtbot, session)
    assert len(events) == 1
    assert fin.reason == "diverged"
    assert "learning rate" in events[0].message.lower()


def test_redraw_timer_renders_visible_views_only(qtbot, session, splits):
    class Probe(QWidget):
        def __init__(self):
            super().__init__()
            self.versions: list[int] = []

        def render(self, history):  # noqa: D102 - the view API
            self.versions.append(history.version)

    shown, hidden = Probe(), Probe()
    qtbot.addWidget(shown)
    qtbot.addWidget(hidden)
    shown.show()
    session.set_views([shown, hidden])
    session.start(splits, run_config())
    wait_finished(qtbot, session)
    assert shown.versions and hidden.versions == []
    assert shown.versions[-1] == session.history.version  # the last draw saw everything
    # the timer redraws only when something changed: no version drawn twice in a row
    assert all(a != b for a, b in zip(shown.versions, shown.versions[1:], strict=False))


def test_closing_mid_training_stops_the_worker_without_qt_warnings(qtbot, splits):
    holder = QWidget()
    qtbot.addWidget(holder)
    s = TrainingSession(holder)
    s.start(splits, run_config(epochs=10_000))
    qtbot.waitUntil(lambda: s.history.n_batches >= 2, timeout=WAIT)
    assert s.threads_running() == 1
    assert s.shutdown(10_000) is True
    assert s.threads_running() == 0
    assert not s.is_active and s.state == S.IDLE
    # (the autouse guard fails the test on "QThread: Destroyed while thread is still running")


class _StoppableControl(_Control):
    def __init__(self):
        super().__init__()
        self.stopped = threading.Event()

    def stop(self):
        super().stop()
        self.stopped.set()


def endless(data, run, *, control=None, model=None):
    """Stand-in engine: real events, a probe trace every 10 batches, until stopped."""
    from rnnviz.core.events import ProbeReady
    from rnnviz.core.trace import demo_trace

    yield Started(epochs=1, batches_per_epoch=10**6, n_train=1, n_val=0, n_test=0, device="cpu")
    step = 0
    while not control.stopped.is_set():
        step += 1
        yield BatchDone(epoch=1, batch=step, step=step, loss=1.0 / step, grad_norm=1.0,
                        group_norms={"input": 1.0}, lr=1e-3)
        if step % 10 == 0:  # a fresh ~150 kB trace each time, as the engine sends
            trace = demo_trace("lstm", layers=1, windows=4, steps=50, hidden=32, seed=step)
            yield ProbeReady(step=step, epoch=1, trace=trace)
        control.stopped.wait(0.001)
    yield Finished(reason="stopped", epochs_run=0, steps=step, best_epoch=0,
                   best_val_loss=math.nan, seconds=0.0)


def test_ten_train_stop_cycles_leave_no_thread_and_no_growing_memory(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    session = TrainingSession(holder, train_fn=endless, model_factory=lambda d, r: None,
                              control_factory=_StoppableControl)
    base_threads = threading.active_count()

    def cycle():
        session.start(object(), run_config())
        qtbot.waitUntil(lambda: len(session.history.snapshots) >= 4, timeout=WAIT)
        with qtbot.waitSignal(session.run_finished, timeout=WAIT):
            session.stop()
        assert session.threads_running() == 0

    cycle()  # warm-up: first-run allocations
    tracemalloc.start()
    try:
        cycle()
        # both measurements without the last run's history (its size depends on how many
        # probes came before the stop: a busy machine gave runs of different sizes)
        session.reset()
        gc.collect()
        before = tracemalloc.take_snapshot()
        for _ in range(8):
            cycle()
        qtbot.waitUntil(lambda: not session.findChildren(QThread), timeout=WAIT)
        session.reset()
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(st.size_diff for st in after.compare_to(before, "filename"))
    # one cycle holds >= 4 traces (> 600 kB): keeping even one old run would exceed this
    assert grown < 500_000, f"memory grew by {grown} bytes over 8 cycles"
    assert threading.active_count() <= base_threads
    assert session.findChildren(QThread) == []  # every QThread was deleted
    session.shutdown()


@pytest.mark.parametrize("in_process", [True, False], ids=["process", "thread"])
def test_real_train_stop_cycles_leave_no_thread(qtbot, splits, in_process, monkeypatch):
    import rnnviz.core.trainproc as trainproc

    own = trainproc.TrainingProcess()  # not the shared one another test may still hold
    monkeypatch.setattr(trainproc, "shared_process", lambda: own)
    holder = QWidget()
    qtbot.addWidget(holder)
    session = TrainingSession(holder, in_process=in_process)
    run = run_config(epochs=10_000)

    def cycle() -> None:
        session.start(splits, run)
        qtbot.waitUntil(lambda: session.history.n_batches >= 1, timeout=WAIT)
        with qtbot.waitSignal(session.run_finished, timeout=WAIT):
            session.stop()
        assert session.threads_running() == 0

    cycle()  # the first run may start the training process and its reader thread
    qtbot.waitUntil(lambda: not session.findChildren(QThread), timeout=WAIT)
    base_threads = threading.active_count()
    first_process = session._process
    for _ in range(3):
        cycle()
    qtbot.waitUntil(lambda: not session.findChildren(QThread), timeout=WAIT)
    assert threading.active_count() <= base_threads, [t.name for t in threading.enumerate()]
    # process mode: every run went to the same child process (none was started per run)
    assert session._process is first_process
    assert (first_process is not None and first_process.alive) == in_process
    assert session.shutdown(10_000)
    assert own.close(10.0)


def test_big_csv_is_read_on_a_worker_with_progress(qtbot, session, tmp_path):
    path = tmp_path / "series.csv"
    lines = ["time,value"] + [f"2020-01-01 {h:02d}:00:00,{h * 1.5}" for h in range(24)]
    path.write_text("\n".join(lines) + "\n")
    progress: list[float] = []
    session.load_progressed.connect(progress.append)
    with qtbot.waitSignal(session.table_loaded, timeout=WAIT) as blocker:
        session.load_table(path, big_bytes=0)  # force the background path
        assert session.is_loading
    loaded_path, table = blocker.args
    assert loaded_path == str(path)
    assert list(table.frame["value"]) == [h * 1.5 for h in range(24)]
    assert progress and progress[0] == 0.0
    assert not session.is_loading and session.threads_running() == 0


def test_a_bad_csv_reports_its_data_error(qtbot, session, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with qtbot.waitSignal(session.table_failed, timeout=WAIT) as blocker:
        session.load_table(path)
    assert isinstance(blocker.args[1], DataError)
    assert blocker.args[1].message  # a plain message for the dialog


def test_progress_reports_epoch_batch_loss_rate_and_eta(qtbot, session, splits):
    session.start(splits, run_config(epochs=3))
    wait_finished(qtbot, session)
    p = session.progress()
    last = session.history.batch_arrays()
    assert p["epoch"] == 3 and p["epochs"] == 3
    assert p["batch"] == 3 and p["batches"] == 3
    assert p["step"] == 9 and p["total_steps"] == 9
    assert p["loss"] == last["loss"][-1]
    assert p["rate"] > 0


def test_the_batch_rate_comes_from_the_engines_clock_not_from_when_events_arrive(qtbot):
    # events reach the window in bunches; their arrival times made 137,205 batches/s of 12
    # batches trained in 0.7 s. Here 12 batches of 0.1 s each arrive at once: 10 per second
    holder = QWidget()
    qtbot.addWidget(holder)

    def bunch(data, run, *, control=None, model=None):
        yield Started(epochs=1, batches_per_epoch=12, n_train=1, n_val=0, n_test=0, device="cpu")
        for step in range(1, 13):
            yield BatchDone(epoch=1, batch=step, step=step, loss=1.0, grad_norm=1.0,
                            group_norms={}, lr=1e-3, elapsed=0.5 + 0.1 * step)
        yield Finished(reason="completed", epochs_run=1, steps=12, best_epoch=0,
                       best_val_loss=math.nan, seconds=1.7)

    s = TrainingSession(holder, train_fn=bunch, model_factory=lambda d, r: None,
                        control_factory=_Control)
    with qtbot.waitSignal(s.run_finished, timeout=WAIT):
        s.start(object(), run_config())
    assert s.progress()["rate"] == pytest.approx(10.0)
    s.shutdown()


def test_frames_redraw_the_stalest_views_first_within_a_budget(qtbot, monkeypatch):
    from rnnviz.core.history import RunHistory  # noqa: F401 - the session's history type

    class Probe(QWidget):
        def __init__(self, name, log):
            super().__init__()
            self.name, self.log = name, log

        def render(self, history):  # noqa: D102 - the view API
            self.log.append((self.name, history.version))

    holder = QWidget()
    qtbot.addWidget(holder)
    s = TrainingSession(holder)
    log: list[tuple[str, int]] = []
    views = [Probe(n, log) for n in "abc"]
    for v in views:
        qtbot.addWidget(v)
        v.show()
    s.set_views(views)
    monkeypatch.setattr(S, "FRAME_BUDGET_MS", 0.0)  # every frame draws exactly one view
    s.history.add(BatchDone(epoch=1, batch=1, step=1, loss=1.0, grad_norm=1.0,
                            group_norms={}, lr=1e-3))
    v1 = s.history.version
    for _ in range(3):
        s._on_timer_timeout()
    assert log == [("a", v1), ("b", v1), ("c", v1)]
    s._on_timer_timeout()  # nothing changed: no frame
    assert len(log) == 3
    s.history.add(BatchDone(epoch=1, batch=2, step=2, loss=1.0, grad_norm=1.0,
                            group_norms={}, lr=1e-3))
    v2 = s.history.version
    s._on_timer_timeout()
    assert log[-1] == ("a", v2)  # a was drawn longest ago
    views[1].hide()  # b leaves the screen: it is skipped, c is next
    s._on_timer_timeout()
    assert log[-1] == ("c", v2)
    # the pace: the next frame waits at least frame time / the share of its mode
    t, ms, n = s.frames[-1]
    assert n == 1
    share = S.MAX_GUI_SHARE_PROCESS if s.in_process else S.MAX_GUI_SHARE
    expected = int(min(max(s._base_interval, ms / share), S.MAX_INTERVAL_MS))
    assert s._timer.interval() == expected
    s.shutdown()


def test_without_a_python_to_start_training_falls_back_to_a_thread(qtbot, splits, monkeypatch):
    import rnnviz.core.trainproc as trainproc

    def no_python(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "python")

    monkeypatch.setattr(trainproc.subprocess, "Popen", no_python)
    monkeypatch.setattr(trainproc, "shared_process", trainproc.TrainingProcess)
    holder = QWidget()
    qtbot.addWidget(holder)
    s = TrainingSession(holder, in_process=True)
    s.prepare()  # at start-up: no dialog, no exception
    assert not s.in_process
    s2 = TrainingSession(holder, in_process=True)
    errors = []
    s2.failed.connect(lambda *a: errors.append(a))
    with qtbot.waitSignal(s2.run_finished, timeout=WAIT) as blocker:
        s2.start(splits, run_config())  # at Start: the run trains on a thread instead
    assert not s2.in_process and errors == []
    assert blocker.args[0].reason == "completed" and s2.history.n_batches == 6
    assert s.shutdown() and s2.shutdown()


def test_a_second_session_training_at_the_same_time_gets_its_own_process(qtbot, splits):
    holder = QWidget()
    qtbot.addWidget(holder)
    first = TrainingSession(holder, in_process=True)
    second = TrainingSession(holder, in_process=True)
    first.start(splits, run_config(epochs=100_000))
    qtbot.waitUntil(lambda: first.history.n_batches >= 1, timeout=WAIT)
    with qtbot.waitSignal(second.run_finished, timeout=WAIT) as blocker:
        second.start(splits, run_config())
    assert blocker.args[0].reason == "completed"
    own = second._process
    assert own is not first._process and first.state == S.RUNNING
    assert second.shutdown(10_000)
    assert not own.alive  # the second one's own process ended with its session
    assert first.shutdown(10_000)
    from rnnviz.core.trainproc import shared_process

    assert shared_process().alive  # the shared one stays for the next window


def test_a_mailbox_deleted_with_its_window_takes_puts_from_other_threads_quietly(qtbot):
    # a training process's reader thread may still put into a mailbox whose window has
    # just been deleted; that must neither crash nor raise (CI segfaulted in Signal.emit)
    parent = QWidget()
    box = S.Mailbox(parent)
    woken = []
    box.posted.connect(lambda: woken.append(1))
    box.put(f"item {1}")  # wakes
    qtbot.waitUntil(lambda: woken == [1])
    box.take()
    parent.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(box))
    errors = []

    def put_many() -> None:
        try:
            for i in range(200):
                box.put(f"item {i}")
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    t = threading.Thread(target=put_many)
    t.start()
    t.join(10)
    qtbot.wait(50)  # the doorbell's queued wake, if any, has run
    assert errors == [] and woken == [1]


def test_a_closed_mailbox_drops_what_comes_after(qtbot):
    box = S.Mailbox()
    woken = []
    box.posted.connect(lambda: woken.append(1))
    box.put(f"item {1}")
    box.close()
    box.put(f"item {2}")
    qtbot.wait(50)
    assert box.take() == [] and woken == []
