"""Every lesson opens in its window, trains briefly (quick budget) and shows its views."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox

from rnnviz.core.events import BatchDone, EpochDone, ProbeReady, Started
from rnnviz.core.lessons import list_lessons, load_lesson
from rnnviz.gui.panels.lesson_panel import LessonPanel, LessonWindow, explanation_html, open_lesson

NAMES = [lesson.name for lesson in list_lessons()]
TIMEOUT_MS = 120_000


def _window(qtbot, name: str) -> LessonWindow:
    win = LessonWindow(load_lesson(name).quick_version())
    qtbot.addWidget(win)
    win.resize(1300, 850)
    win.show()
    return win


@pytest.mark.parametrize("name", NAMES)
def test_every_lesson_opens_trains_and_shows_its_views(qtbot, name):
    win = _window(qtbot, name)
    lesson = win.lesson
    assert win.compare_view.sections == tuple(
        v for v in lesson.views if not (win.panel.teacher_mode and v in lesson.hidden_in_teacher_mode))
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        assert win.start()
    assert win.session.threads_running() == 0
    view = win.compare_view
    assert view.message is None
    assert view.labels == list(lesson.labels)
    assert set(win.session.results) == set(lesson.labels)
    cols = view.data_columns()
    for lab in lesson.labels:
        h = win.session.histories[lab]
        assert len(h.epochs) == lesson.quick_version().runs[0].train.epochs
        np.testing.assert_array_equal(cols[f"{lab}|epoch_val_loss"], h.epoch_arrays()["val_loss"])
        assert f"{lab}|grad_median" in cols
    assert view.table.rowCount() == len(lesson.runs)
    assert "Finished" in win.panel.status_label.text()
    assert win.panel.train_button.isEnabled()


def test_a_lesson_trained_on_a_thread_shows_the_same_views(qtbot, monkeypatch):
    # RNNVIZ_TRAIN_IN_THREAD=1 (and systems without the training process) run the lesson on
    # a worker thread of this process: the same histories, results and status
    monkeypatch.setenv("RNNVIZ_TRAIN_IN_THREAD", "1")
    win = _window(qtbot, "why_rnns_forget")
    assert not win.session.in_process
    lesson = win.lesson
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        assert win.start()
    qtbot.waitUntil(lambda: win.session.threads_running() == 0, timeout=TIMEOUT_MS)
    assert set(win.session.results) == set(lesson.labels)
    for lab in lesson.labels:
        h = win.session.histories[lab]
        assert len(h.epochs) == lesson.quick_version().runs[0].train.epochs
    assert win.compare_view.labels == list(lesson.labels)
    assert "Finished" in win.panel.status_label.text()


def test_teacher_mode_hides_advanced_settings_and_views(qtbot):
    win = _window(qtbot, "inside_lstm")
    lesson = win.lesson
    advanced = {p.name for p in lesson.parameters if p.advanced}
    assert advanced
    win.panel.teacher_check.setChecked(True)
    assert not advanced & set(win.panel.visible_parameters())
    assert "states" not in win.compare_view.sections
    win.panel.teacher_check.setChecked(False)
    assert advanced <= set(win.panel.visible_parameters())
    assert "states" in win.compare_view.sections


def test_parameters_from_the_panel_reach_the_run(qtbot):
    win = _window(qtbot, "adding_problem")
    win.panel.editors["length"].set_value(12)
    assert win.panel.values()["length"] == 12
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        win.start()
    assert win.running_lesson.data.params["length"] == 12
    trace = win.session.results["LSTM"].trace
    assert trace.n_steps == 12
    win.panel.reset_values()
    assert win.panel.values()["length"] == 50


def _long_quick_lesson():
    """The quick adding lesson (small data) with many epochs: still training when stopped."""
    from rnnviz.core.lessons import parse_lesson

    raw = load_lesson("adding_problem").quick_version().to_dict()
    raw["train"].update(epochs=50, max_batches_per_epoch=50)
    raw.pop("quick")
    return parse_lesson(raw)


def test_stop_mid_training_ends_the_worker(qtbot):
    win = LessonWindow(_long_quick_lesson())
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: any(h.n_batches > 2 for h in win.session.histories.values()),
                    timeout=TIMEOUT_MS)
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        win.panel.stop_button.click()
    assert {r.finish_reason for r in win.session.results.values()} == {"stopped"}
    assert "Stopped" in win.panel.status_label.text()
    assert win.session.threads_running() == 0


def test_closing_during_training_stops_cleanly(qtbot):
    win = LessonWindow(_long_quick_lesson())
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: any(h.n_batches > 0 for h in win.session.histories.values()),
                    timeout=TIMEOUT_MS)
    win.close()
    assert win.session.threads_running() == 0


def test_a_setting_the_task_refuses_gives_a_message_and_the_window_stays_usable(qtbot):
    win = _window(qtbot, "why_rnns_forget")
    win.panel.editors["length"].set_value(10)  # lag 15 cannot fit in 10 steps
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        assert win.start()
    assert win.error_box is not None and "lag" in win.error_box.text()
    assert win.panel.status_label.text().startswith("Could not run")
    assert win.panel.train_button.isEnabled()
    win.error_box.close()
    win.panel.reset_values()
    assert win.current_lesson().data.params["length"] == 50


def test_open_lesson_hook(qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    assert open_lesson(None, "no_such_lesson") is None
    assert shown and "no lesson called" in shown[0]
    win = open_lesson(None, "sine_recursive")
    qtbot.addWidget(win)
    assert isinstance(win, LessonWindow) and win.isVisible()
    assert "Sine wave" in win.windowTitle()


def test_panel_shows_the_explanation(qtbot):
    lesson = load_lesson("adding_problem")
    panel = LessonPanel(lesson)
    qtbot.addWidget(panel)
    text = panel.explanation.toPlainText()
    assert "0.167" in text
    assert "<b>The task.</b>" in explanation_html("THE TASK. Remember.")


def test_the_model_plots_are_built_when_the_window_opens_not_in_the_run(qtbot):
    win = _window(qtbot, "adding_problem")
    assert win.compare_view.labels == list(win.lesson.labels)  # built already
    rebuilt = []
    real = win.compare_view._rebuild
    win.compare_view._rebuild = lambda labels: (rebuilt.append(labels), real(labels))
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        assert win.start()
    assert rebuilt == []  # the run's frames drew into the plots made at opening
    assert set(win.session.results) == set(win.lesson.labels)


def _counting_lesson():
    """The quick "Inside the LSTM" lesson (three gated cells) with 20 batches an epoch, probes
    every 7 batches (steps 7, 14 of epoch 1 and 21 of epoch 2) and plenty of epochs (it is
    stopped)."""
    from rnnviz.core.lessons import parse_lesson

    raw = load_lesson("inside_lstm").quick_version().to_dict()
    raw.pop("quick")
    raw["data"]["params"].update(n=3000, length=12)
    raw["data"]["config"]["lookback"] = 12
    raw["train"].update(max_batches_per_epoch=20, probe_every_batches=7,
                        probe_every_seconds=None)
    return parse_lesson(raw)


def test_status_subtitle_and_probes_count_epochs_as_the_engine(qtbot):
    """The status line, the view's subtitle and each model's probe pictures name the epoch
    being trained (the engine's BatchDone.epoch / ProbeReady.epoch, as the main window's
    status bar): a probe of epoch 2 is never shown beside "epoch 1/N"."""
    win = LessonWindow(_counting_lesson())
    qtbot.addWidget(win)
    win.resize(1300, 850)
    win.show()
    session = win.session
    seen: dict[str, dict[str, object]] = {}  # label -> latest engine event of each kind
    real = session._on_worker_emitted

    class Recorder(QObject):
        """Notes each engine event on its way to the session, on the GUI thread (a plain
        function as the slot would run on the worker's thread with RNNVIZ_TRAIN_IN_THREAD)."""

        @Slot(str, object)
        def record(self, label, item):
            kinds = seen.setdefault(label, {"epochs_done": 0})
            if isinstance(item, BatchDone):
                kinds["batch"] = item
            elif isinstance(item, ProbeReady):
                kinds["probe"] = item
                if item.epoch == 2:
                    session.pause()  # stay in the middle of epoch 2 (many batches are left)
            elif isinstance(item, EpochDone):
                kinds["epochs_done"] = item.epoch
            elif isinstance(item, Started):
                kinds["started"] = item
            real(label, item)

    recorder = Recorder(win)
    session._on_worker_emitted = recorder.record
    checks: list[tuple[str, int, str, int, int]] = []  # mid-epoch frames: what showed, truth
    mismatches: list[str] = []

    def on_redrawn():
        status = win.panel.status_label.text()
        shown = []
        for lab, ev in seen.items():
            batch, probe, started = ev.get("batch"), ev.get("probe"), ev.get("started")
            if batch is None or started is None:
                continue
            shown.append(batch.epoch)
            m = re.search(rf"{re.escape(lab)}: epoch (\d+)/(\d+)", status)
            if m is None or (int(m[1]), int(m[2])) != (batch.epoch, started.epochs):
                mismatches.append(f"status {status!r}, engine: {lab} epoch {batch.epoch}")
            if probe is not None and probe.epoch > 0:
                sub = win.compare_view.gate_views[lab].subtitle
                g = re.search(r"epoch (\d+)", sub)
                if g is None or int(g[1]) != probe.epoch:
                    mismatches.append(f"{lab} gates {sub!r}, engine: probe epoch {probe.epoch}")
                if ev["epochs_done"] < probe.epoch:  # the frame of the QA report
                    checks.append((lab, probe.epoch, status, batch.epoch, ev["epochs_done"]))
        if shown:
            m = re.search(r"epoch (\d+)", win.compare_view.subtitle)
            if m is None or int(m[1]) != max(shown):
                mismatches.append(f"subtitle {win.compare_view.subtitle!r}, engine {max(shown)}")

    session.redrawn.connect(on_redrawn)
    assert win.start()
    qtbot.waitUntil(lambda: session.state == "paused" and any(c[1] == 2 for c in checks),
                    timeout=TIMEOUT_MS)
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        win.panel.stop_button.click()
    assert mismatches == [], "\n".join(mismatches[:5])
    lab, probe_epoch, status, batch_epoch, done = next(c for c in checks if c[1] == 2)
    assert (probe_epoch, batch_epoch, done) == (2, 2, 1)  # epoch 2 in progress, 1 done
    assert f"{lab}: epoch 2/{win.session.histories[lab].started.epochs}" in status


def test_inside_lstm_shows_its_loss_curves_beside_the_gates(qtbot):
    """The three Gates pages once squeezed the loss plot beside them to ~60 px: the loss plot
    is in sight at a usable size and holds this run's loss arrays."""
    win = _window(qtbot, "inside_lstm")
    view = win.compare_view
    assert "loss" in view.sections and "gates" in view.sections
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        assert win.start()
    qtbot.waitUntil(lambda: view.loss_graphics.width() > 0)
    assert view.loss_graphics.isVisible()
    assert view.loss_graphics.width() >= 0.25 * view.width()
    assert view.loss_graphics.height() >= 200
    assert view.gates_box.isVisible() and view.gates_box.width() >= 0.9 * view.content.width()
    cols = view.data_columns()
    for i, lab in enumerate(win.lesson.labels):
        h = win.session.histories[lab]
        e = h.epoch_arrays()
        b = h.batch_arrays()
        assert b["loss"].size == 2 * 5  # the quick budget: 2 epochs of at most 5 batches
        np.testing.assert_array_equal(cols[f"{lab}|epoch_val_loss"], e["val_loss"])
        np.testing.assert_array_equal(cols[f"{lab}|loss_step"], b["step"])
        val = view._curves[(lab, "val")]  # xData / yData: as given (not log10 as drawn)
        np.testing.assert_allclose(val.yData, e["val_loss"].astype(np.float32), rtol=1e-6)
        np.testing.assert_array_equal(view._curves[(lab, "batch")].xData,
                                      b["step"].astype(np.float32))
        assert view.loss_plot.legend.items[i][1].text == f"{lab}: validation"


def test_the_models_pages_are_laid_out_before_the_run(qtbot):
    """Opening the window prepares each model's Gates page at its on-screen size, so the
    first probes neither create plot items nor lay the pages out."""
    win = _window(qtbot, "inside_lstm")
    view = win.compare_view
    gates = [view.gate_views[lab] for lab in win.lesson.labels]
    assert all(not g._rows for g in gates)  # nothing built before the window shows
    # laid out at the size each page has on screen (a second pass once they all are)
    qtbot.waitUntil(lambda: all(g._laid_out_at == g._stack.size() for g in gates)
                    and not win._prebuild_queue, timeout=10_000)
    for g in gates:
        assert g._rows  # the plot items
        assert g._stack.width() > 300 and g.graphics.width() > 200
        assert g.message is not None  # and still shows its message
    built = [[id(p) for p, _img, _bar in g._rows] for g in gates]
    rebuilt: list[object] = []
    for g in gates:
        real = g._prebuild
        g._prebuild = lambda g=g, real=real: (rebuilt.append(1) if not g._rows else None,
                                               real())
    with qtbot.waitSignal(win.training_finished, timeout=TIMEOUT_MS):
        assert win.start()
    assert rebuilt == []
    assert [[id(p) for p, _img, _bar in g._rows] for g in gates] == built  # the same plots
    assert all(g.message is None for g in gates)
