"""Gates and States views get ready before a run's first probe (prebuild, prepare_cell), and
that first probe reuses what was built and draws its arrays exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from rnnviz.core.events import ProbeReady
from rnnviz.core.history import RunHistory
from rnnviz.core.trace import GATE_NAMES, demo_trace
from rnnviz.gui.views.gates_view import GATE_TITLES, NO_GATES, GatesView
from rnnviz.gui.views.states_view import DEFAULT_UNITS, StatesView

SIZE = (397, 362)
"""About the size of the Gates and States views in a 1280x800 window."""


def probe(cell: str, step: int = 0, seed: int = 0) -> ProbeReady:
    trace = dataclasses.replace(demo_trace(cell, layers=2, windows=2, steps=7, hidden=5,
                                           seed=seed), step=step, epoch=step)
    return ProbeReady(step=step, epoch=step, trace=trace)


def history_of(*events) -> RunHistory:
    h = RunHistory()
    for e in events:
        h.add(e)
    return h


def shown(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    qtbot.waitExposed(view)
    return view


def settle() -> None:
    """Run what the views left to the event loop (zero-time timers, layout requests)."""
    for _ in range(3):
        QApplication.processEvents()


class Spy:
    """Records calls to some methods of some objects (and still makes them)."""

    def __init__(self, monkeypatch, targets: list[tuple[object, str]]) -> None:
        self.calls: list[str] = []
        for obj, name in targets:
            real = getattr(obj, name)

            def record(*a, _real=real, _name=name, **k):
                self.calls.append(_name)
                return _real(*a, **k)

            monkeypatch.setattr(obj, name, record)


class ResizeCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            self.count += 1
        return False


def first_probe(view, monkeypatch, cell: str, targets: list[tuple[object, str]]):
    """Draw a run's first probe on a prepared view (after what it left to the event loop);
    return the probe, the calls made to ``targets`` and the page's resizes meanwhile."""
    settle()
    spy = Spy(monkeypatch, targets)
    resizes = ResizeCounter()
    view.graphics.installEventFilter(resizes)
    p = probe(cell)
    view.render(history_of(p))
    settle()
    return p, spy.calls, resizes.count


# ---------------------------------------------------------------------- Gates
def test_prepared_gru_page_is_what_the_first_gru_probe_uses(qtbot, monkeypatch):
    view = shown(qtbot, GatesView)
    view.prebuild()
    view.prepare_cell("gru")
    gates = GATE_NAMES["gru"]
    assert tuple(view.images) == gates  # the GRU rows, before any probe
    for g in gates:
        assert view.gate_plots[g].titleLabel.text == GATE_TITLES[g]
    assert tuple(view.colorbars["new"].levels()) == (-1.0, 1.0)  # the tanh candidate
    assert tuple(view.colorbars["reset"].levels()) == (0.0, 1.0)
    built = {g: (view.gate_plots[g], view.images[g], view.colorbars[g]) for g in gates}
    p, calls, resizes = first_probe(
        view, monkeypatch, "gru",
        [(view.graphics.ci, "addItem"), (view.graphics.ci, "removeItem")]
        + [(bar, "setColorMap") for _p, _img, bar in view._rows])
    assert view.message is None
    assert {g: (view.gate_plots[g], view.images[g], view.colorbars[g]) for g in gates} == built
    assert all(view.images[g] is built[g][1] for g in gates)
    assert calls == []  # no row was put in or taken out, no bar recoloured
    assert resizes == 0  # the page had its size already
    for g in gates:
        drawn = view.images[g].image
        assert drawn.dtype == np.float32
        np.testing.assert_array_equal(drawn, p.trace.gates[g][0, 0].T)  # (H, T)
    view.layer_combo.setCurrentIndex(1)
    view.window_combo.setCurrentIndex(1)
    for g in gates:
        np.testing.assert_array_equal(view.images[g].image, p.trace.gates[g][1, 1].T)


def test_prepare_cell_waits_while_a_probe_shows_and_applies_at_clear(qtbot):
    view = shown(qtbot, GatesView)
    p = probe("lstm")
    view.render(history_of(p))
    view.prepare_cell("gru")  # the finished run's probe keeps its page
    assert tuple(view.images) == GATE_NAMES["lstm"]
    np.testing.assert_array_equal(view.images["forget"].image, p.trace.gates["forget"][0, 0].T)
    view.clear()  # the next run
    assert tuple(view.images) == GATE_NAMES["gru"]
    q = probe("gru", step=3, seed=4)
    view.render(history_of(q))
    np.testing.assert_array_equal(view.images["update"].image, q.trace.gates["update"][0, 0].T)


def test_prepare_cell_coupled_lstm_has_three_rows_and_rnn_keeps_the_message(qtbot):
    view = shown(qtbot, GatesView)
    view.prebuild()
    view.prepare_cell("lstm_coupled")
    assert tuple(view.images) == ("forget", "cell", "output")
    view.prepare_cell("rnn")  # no gates: nothing to build, the probe shows why
    view.render(history_of(probe("rnn")))
    assert view.message == NO_GATES


@pytest.mark.parametrize("cls", [GatesView, StatesView])
def test_prepare_cell_names_the_known_cells_for_a_wrong_one(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    with pytest.raises(ValueError, match="Unknown cell type 'transformer'.*lstm_coupled"):
        view.prepare_cell("transformer")


# ---------------------------------------------------------------------- States
def test_states_prebuild_makes_the_default_units_lines_the_first_probe_uses(qtbot, monkeypatch):
    view = shown(qtbot, StatesView)
    view.prebuild()
    assert sorted(view._unit_curves) == list(range(DEFAULT_UNITS))
    built = dict(view._unit_curves)
    p, calls, resizes = first_probe(
        view, monkeypatch, "lstm",
        [(view.line_plot, "addItem"), (view.cell_line_plot, "addItem"),
         (view.line_legend, "addItem"), (view.graphics.ci, "addItem"),
         (view.graphics.ci, "removeItem")])
    assert view.message is None
    assert view._unit_curves == built and all(view._unit_curves[u] is built[u] for u in built)
    assert calls == []
    assert resizes == 0
    tr = p.trace
    np.testing.assert_array_equal(view.hidden_image.image, tr.hidden[0, 0].T)
    np.testing.assert_array_equal(view.cell_image.image, tr.cell[0, 0].T)
    for u, (hc, cc) in built.items():
        np.testing.assert_array_equal(hc.getOriginalDataset()[1], tr.hidden[0, 0, :, u])
        np.testing.assert_array_equal(cc.getOriginalDataset()[1], tr.cell[0, 0, :, u])


def test_states_lines_survive_a_clear_for_the_next_run(qtbot):
    view = shown(qtbot, StatesView)
    view.prebuild()
    built = dict(view._unit_curves)
    view.render(history_of(probe("lstm")))
    view.clear()
    assert view._unit_curves == built
    assert all(hc.getOriginalDataset()[1] is None or hc.getOriginalDataset()[1].size == 0
               for hc, _cc in built.values())  # nothing of the old run is drawn
    q = probe("lstm", step=2, seed=3)
    view.render(history_of(q))
    np.testing.assert_array_equal(built[1][0].getOriginalDataset()[1], q.trace.hidden[0, 0, :, 1])


def test_states_prepare_cell_gru_takes_the_c_rows_out_before_the_probe(qtbot, monkeypatch):
    view = shown(qtbot, StatesView)
    view.prebuild()
    view.prepare_cell("gru")
    assert not view.shows_cell and view.cell_plot not in view.graphics.ci.items
    assert not view.cell_plot.isVisible()  # out of the layout (and hidden in its scene)
    p, calls, _resizes = first_probe(
        view, monkeypatch, "gru",
        [(view.graphics.ci, "addItem"), (view.graphics.ci, "removeItem")])
    assert calls == []
    np.testing.assert_array_equal(view.hidden_image.image, p.trace.hidden[0, 0].T)
    view.prepare_cell("lstm")  # a probe shows: wait for the next run
    assert not view.shows_cell
    view.clear()
    assert view.shows_cell and view.cell_plot.scene() is view.graphics.scene()
