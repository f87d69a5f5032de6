"""Training in a child process: the same numbers as in this process, control, errors."""

from __future__ import annotations

import dataclasses
import pickle
import threading
import time

import pytest
import torch

from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ConfigError, DataError, RnnvizError
from rnnviz.core.events import BatchDone, EpochDone, Finished, Started
from rnnviz.core.series import Windows, build_windows, prepare_series
from rnnviz.core.tasks import sine_wave
from rnnviz.core.training import TrainingControl, make_model, train
from rnnviz.core.trainproc import TrainingProcess

WAIT = 60.0


@pytest.fixture(scope="module")
def splits():
    cfg = DataConfig(lookback=8)
    return build_windows(prepare_series(sine_wave(400), cfg), cfg)


def run_config(**train_opts) -> RunConfig:
    t = dict(epochs=2, max_batches_per_epoch=5, batch_size=16, probe_every_batches=2,
             threads=1, seed=3) | train_opts
    return RunConfig(data=DataConfig(lookback=8), model=ModelConfig(hidden=5),
                     train=TrainConfig(**t))


@pytest.fixture(scope="module")
def proc():
    p = TrainingProcess()
    p.warm_up()
    yield p
    assert p.close(10.0)  # it leaves when told to
    assert not p.alive


class Collect:
    """A sink that keeps every message and notes the end of the job."""

    def __init__(self) -> None:
        self.messages = []
        self.done = threading.Event()

    def __call__(self, msg) -> None:
        self.messages.append(msg)
        if msg.kind == "ended":
            self.done.set()

    def kinds(self) -> list[str]:
        return [m.kind for m in self.messages]

    def events(self, kind=object) -> list:
        return [m.value for m in self.messages if m.kind == "event" and isinstance(m.value, kind)]


def test_a_run_in_the_process_gives_the_numbers_of_a_run_here(proc, splits):
    run = run_config()
    sink = Collect()
    proc.start(splits, run, sink=sink)
    assert sink.done.wait(WAIT)
    kinds = sink.kinds()
    assert kinds[0] == "model" and kinds[-2:] == ["weights", "ended"]
    assert "failed" not in kinds
    here_model = make_model(splits, run)
    here = list(train(splits, run, model=here_model))
    there = sink.events()
    assert [type(e) for e in there] == [type(e) for e in here]
    # every loss and gradient norm equal to the bit: the same seed, data and thread count
    assert ([(e.loss, e.grad_norm) for e in there if isinstance(e, BatchDone)]
            == [(e.loss, e.grad_norm) for e in here if isinstance(e, BatchDone)])
    assert ([e.val_loss for e in there if isinstance(e, EpochDone)]
            == [e.val_loss for e in here if isinstance(e, EpochDone)])
    assert isinstance(there[0], Started) and isinstance(there[-1], Finished)
    # the final weights are those of the model trained here
    final = sink.messages[-2].value
    for name, value in here_model.state_dict().items():
        assert torch.equal(final[name], value), name
    # the model sent first is the one built before training (same class and settings)
    built = sink.messages[0].value
    assert type(built) is type(here_model) and built.cfg == run.model
    assert not proc.busy


def test_pause_step_and_sync_bring_back_the_weights_of_exactly_those_batches(proc, splits):
    run = run_config(epochs=1, max_batches_per_epoch=20, probe_every_batches=None,
                     probe_every_seconds=None)
    sink = Collect()
    control = proc.start(splits, run, paused=True, sink=sink)
    for _ in range(3):
        control.step_once()
    assert control.wait_until_blocked(WAIT)
    got = control.weights
    control.stop()
    assert sink.done.wait(WAIT)
    assert len(sink.events(BatchDone)) == 3  # stop while paused: no further batch
    # the same three batches here, stepped with a local control
    local = TrainingControl()
    local.pause()
    model = make_model(splits, run)
    gen = train(splits, run, control=local, model=model)
    done = 0
    for _ in range(3):
        local.step_once()
    for ev in gen:
        done += isinstance(ev, BatchDone)
        if done == 3:
            break
    gen.close()
    assert got is not None
    for name, value in model.state_dict().items():
        assert torch.equal(got[name], value), name


def test_learning_rate_and_stop_reach_the_running_job(proc, splits):
    run = run_config(epochs=1000, max_batches_per_epoch=5)
    sink = Collect()
    control = proc.start(splits, run, sink=sink)
    with pytest.raises(ConfigError):
        control.set_lr(-1.0)  # checked here, at once
    control.set_lr(0.0123)
    control.stop()
    assert sink.done.wait(WAIT)
    events = sink.events()
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    lrs = [e.lr for e in events if isinstance(e, BatchDone)]
    assert all(lr == pytest.approx(0.0123) for lr in lrs[1:])  # from the next batch on


def test_a_user_error_in_the_job_arrives_whole_and_the_process_goes_on(proc, splits):
    no_train = dataclasses.replace(splits, train=Windows.empty(8, 1, 1, 1))
    sink = Collect()
    proc.start(no_train, run_config(), sink=sink)
    assert sink.done.wait(WAIT)
    assert sink.kinds() == ["model", "failed", "ended"]  # the model was built, then train refused
    exc, details = sink.messages[1].value
    assert isinstance(exc, DataError) and exc.code == "no_training_windows"
    assert "shorter lookback" in exc.message and "Traceback" in details
    # the process is still there for the next job
    sink2 = Collect()
    proc.start(splits, run_config(epochs=1, max_batches_per_epoch=1), sink=sink2)
    assert sink2.done.wait(WAIT) and "failed" not in sink2.kinds()


def test_wait_ended_returns_only_after_the_sink_has_handled_the_end(proc, splits):
    # a window deletes its mailbox once wait_ended says the job is over: the reader thread
    # must be out of the sink by then (CI crashed when it was still emitting into it)
    handled = threading.Event()

    def slow_sink(msg) -> None:
        if msg.kind == "ended":
            time.sleep(0.3)
            handled.set()

    control = proc.start(splits, run_config(epochs=1000), sink=slow_sink)
    control.stop()
    assert proc.wait_ended(WAIT)
    assert handled.is_set()
    assert not proc.busy


def test_one_job_at_a_time(proc, splits):
    sink = Collect()
    control = proc.start(splits, run_config(epochs=1000), sink=sink)
    with pytest.raises(RuntimeError, match="busy"):
        proc.start(splits, run_config(), sink=Collect())
    control.stop()
    assert sink.done.wait(WAIT)


def test_a_killed_process_ends_its_job_with_a_message_and_a_new_one_starts():
    p = TrainingProcess()
    cfg = DataConfig(lookback=8)
    data = build_windows(prepare_series(sine_wave(200), cfg), cfg)
    sink = Collect()
    p.start(data, run_config(epochs=100_000), sink=sink)
    assert p.wait_ready(WAIT)
    p._proc.kill()
    assert sink.done.wait(WAIT)
    assert sink.kinds()[-2:] == ["failed", "ended"]
    exc, _ = sink.messages[-2].value
    assert "ended unexpectedly" in str(exc)
    sink2 = Collect()
    p.start(data, run_config(epochs=1, max_batches_per_epoch=1), sink=sink2)
    assert sink2.done.wait(WAIT) and "failed" not in sink2.kinds()
    assert p.close(10.0)


def test_errors_survive_pickling_with_code_and_message():
    for exc in (RnnvizError("a", "b"), DataError("empty_file", "The file is empty.")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc)
        assert (back.code, back.message, str(back)) == (exc.code, exc.message, str(exc))


def test_a_lesson_runs_in_the_process_with_the_numbers_of_a_run_here(proc):
    from rnnviz.core.compare import RunResult
    from rnnviz.core.lessons import (
        LABELS_ITEM,
        SUMMARY_ITEM,
        lesson_events,
        load_lesson,
        make_comparison,
    )

    lesson = load_lesson("adding_problem").quick_version()
    sink = Collect()
    proc.start_call(lesson_events, (lesson, 1), sink=sink)
    assert sink.done.wait(WAIT) and "failed" not in sink.kinds()
    items = [m.value for m in sink.messages if m.kind == "event"]
    assert items[0] == (LABELS_ITEM, list(lesson.labels))
    assert items[-1][0] == SUMMARY_ITEM and "mean_baseline" in items[-1][1]
    results = {lab: r for lab, r in items if isinstance(r, RunResult)}
    assert set(results) == set(lesson.labels)
    # the same comparison here gives the same losses, model by model
    here = {}
    for lab, ev in make_comparison(lesson).events():
        if isinstance(ev, BatchDone):
            here.setdefault(lab, []).append(ev.loss)
    there = {}
    for lab, ev in items[1:-1]:
        if isinstance(ev, BatchDone):
            there.setdefault(lab, []).append(ev.loss)
    assert there == here


def test_stop_reaches_every_model_of_a_lesson(proc):
    from rnnviz.core.compare import RunResult
    from rnnviz.core.lessons import lesson_events, load_lesson

    lesson = load_lesson("adding_problem")  # the full budget: it runs until stopped
    sink = Collect()
    control = proc.start_call(lesson_events, (lesson, 1), sink=sink)
    control.stop()  # before or while the models are built: each run's control stops
    assert sink.done.wait(WAIT) and "failed" not in sink.kinds()
    results = [v for m in sink.messages if m.kind == "event"
               for v in [m.value[1]] if isinstance(v, RunResult)]
    assert {r.finish_reason for r in results} == {"stopped"}
    assert len(results) == len(lesson.labels)
