"""Every lesson opens in its window, trains briefly (quick budget) and shows its views."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

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
