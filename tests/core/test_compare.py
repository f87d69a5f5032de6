"""Compare mode: interleaving, same batches as a run alone, results, and the gradient picture."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnviz.core.compare import (
    CompareRun,
    Comparison,
    RunResult,
    compare,
    mean_baseline,
    results_table,
)
from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.events import BatchDone, EpochDone, Finished, ProbeReady, Started
from rnnviz.core.tasks import adding_problem
from rnnviz.core.training import make_model, train


def _run(cell: str, T: int, **train_kw) -> RunConfig:
    tc = dict(lr=3e-3, batch_size=32, epochs=2, max_batches_per_epoch=3, seed=3,
              probe_every_seconds=None)
    tc.update(train_kw)
    return RunConfig(DataConfig(lookback=T), ModelConfig(cell=cell, hidden=8), TrainConfig(**tc))


@pytest.fixture(scope="module")
def small():
    return adding_problem(8, n=300, seed=1)


def test_batch_interleaving_takes_turns(small):
    runs = [CompareRun("A", _run("rnn", 8)), CompareRun("B", _run("gru", 8))]
    pairs = list(compare(runs, small))
    batch_labels = [lab for lab, ev in pairs if isinstance(ev, BatchDone)]
    assert batch_labels == ["A", "B"] * 6  # 2 epochs x 3 batches, alternating
    for lab in ("A", "B"):
        mine = [ev for la, ev in pairs if la == lab]
        assert isinstance(mine[0], Started)
        assert isinstance(mine[-2], Finished) and isinstance(mine[-1], RunResult)


def test_epoch_interleaving_takes_turns_per_epoch(small):
    runs = [CompareRun("A", _run("rnn", 8)), CompareRun("B", _run("lstm", 8))]
    pairs = list(Comparison(runs, small, interleave="epoch").events())
    epoch_labels = [lab for lab, ev in pairs if isinstance(ev, EpochDone)]
    assert epoch_labels == ["A", "B", "A", "B"]
    first_b = next(i for i, (lab, _) in enumerate(pairs) if lab == "B")
    a_batches_before_b = sum(1 for lab, ev in pairs[:first_b] if isinstance(ev, BatchDone))
    assert a_batches_before_b == 3  # A ran its whole first epoch before B started


def test_each_model_trains_exactly_as_it_would_alone(small):
    # same seed, same batches: interleaving must not change a single loss
    runs = [CompareRun("RNN", _run("rnn", 8)), CompareRun("LSTM", _run("lstm", 8)),
            CompareRun("GRU", _run("gru", 8))]
    cmp = Comparison(runs, small)
    got: dict[str, list[float]] = {r.label: [] for r in runs}
    for lab, ev in cmp.events():
        if isinstance(ev, BatchDone):
            got[lab].append(ev.loss)
    for r in runs:
        model = make_model(small, r.run)
        alone = [ev.loss for ev in train(small, r.run, model=model) if isinstance(ev, BatchDone)]
        assert got[r.label] == alone, r.label
        # and the trained weights are the same
        for (n1, p1), (n2, p2) in zip(model.state_dict().items(),
                                      cmp.models[r.label].state_dict().items(), strict=True):
            assert n1 == n2
            torch.testing.assert_close(p1, p2, rtol=0, atol=0)


def test_results_hold_test_loss_time_and_gradient_ratio(small):
    runs = [CompareRun("RNN", _run("rnn", 8)), CompareRun("GRU", _run("gru", 8))]
    cmp = Comparison(runs, small, probe_windows=4)
    for _ in cmp.events():
        pass
    X = torch.from_numpy(np.asarray(small.test.X, np.float32))
    Y = np.asarray(small.test.Y, np.float64)
    for lab in ("RNN", "GRU"):
        r = cmp.results[lab]
        model = cmp.models[lab].eval()
        with torch.no_grad():
            pred = model(X)[0].double().numpy()
        assert r.test_mse == pytest.approx(float(np.mean((pred - Y) ** 2)), rel=1e-6)
        assert r.test_metrics["model"]["mae"] == pytest.approx(float(np.mean(np.abs(pred - Y))),
                                                              rel=1e-6)
        assert r.epochs_run == 2 and r.steps == 6 and r.finish_reason == "completed"
        assert r.final_train_loss == cmp.histories[lab].epochs[-1].train_loss
        assert r.seconds_per_epoch > 0
        g = np.asarray(r.trace.grad_hidden[-1], np.float64)  # (W, T)
        assert g.shape == (4, 8)
        assert r.gradient_ratio == pytest.approx(float(np.median(g[:, 0] / g[:, -1])), rel=1e-6)
        assert r.grad_per_step.shape == (8,)
        np.testing.assert_allclose(r.grad_per_step, np.median(g, axis=0), rtol=1e-6)
        assert r.n_parameters == sum(p.numel() for p in model.parameters())
    rows = results_table(cmp.results)
    assert [row["label"] for row in rows] == ["RNN", "GRU"]
    assert all(isinstance(row["test_mse"], float) for row in rows)


def test_mean_baseline_of_the_adding_problem_is_about_one_sixth():
    data = adding_problem(20, n=6000, seed=0)
    # by hand: Var(U1 + U2) = 2/12 for independent U(0, 1) values
    assert mean_baseline(data) == pytest.approx(1 / 6, abs=0.02)


def test_gradient_ratio_direction_at_50_steps_before_training():
    """The vanishing-gradient effect at T = 50 needs no training to be seen.

    A plain RNN loses the gradient on the way back through 50 steps (ratio below 1e-4).
    Gates that start open keep a path: an LSTM with forget bias 3 (f ~ 0.95) and a GRU with
    its update gate biased open (z ~ 0.95) pass more than 1e-2 of it back to the first step.
    The full trained result is the benchmark (benchmarks/lesson_results.py, docs/lessons.md).
    """
    data = adding_problem(50, n=200, seed=0)
    runs = [
        CompareRun("RNN", RunConfig(DataConfig(lookback=50), ModelConfig(cell="rnn", hidden=64),
                                    TrainConfig(seed=0))),
        CompareRun("LSTM", RunConfig(DataConfig(lookback=50),
                                     ModelConfig(cell="lstm", hidden=64, forget_bias=3.0),
                                     TrainConfig(seed=0))),
        CompareRun("GRU", RunConfig(DataConfig(lookback=50), ModelConfig(cell="gru", hidden=64),
                                    TrainConfig(seed=0))),
    ]
    cmp = Comparison(runs, data, probe_windows=8)
    models = cmp.build_models()
    with torch.no_grad():  # GRU rows r, z, n: open the update gate z
        gru = models["GRU"].rnn
        gru.bias_ih_l0[64:128] = 3.0
        gru.bias_hh_l0[64:128] = 0.0
    ratio = {lab: cmp._probe(lab).gradient_ratio() for lab in cmp.labels}
    assert ratio["RNN"] < 1e-4
    assert ratio["LSTM"] > 1e-2
    assert ratio["GRU"] > 1e-2


def test_per_run_data_is_used(small):
    other = adding_problem(5, n=200, seed=2)
    runs = [CompareRun("A", _run("rnn", 8)), CompareRun("B", _run("rnn", 5), data=other)]
    cmp = Comparison(runs, small)
    traces = {}
    for lab, ev in cmp.events():
        if isinstance(ev, ProbeReady):
            traces[lab] = ev.trace
    assert cmp.results["A"].trace.n_steps == 8
    assert cmp.results["B"].trace.n_steps == 5


def test_stop_ends_every_run(small):
    runs = [CompareRun("A", _run("rnn", 8, epochs=50)), CompareRun("B", _run("gru", 8, epochs=50))]
    cmp = Comparison(runs, small)
    seen = 0
    for _lab, ev in cmp.events():
        if isinstance(ev, BatchDone):
            seen += 1
            if seen == 3:
                cmp.stop()
    assert seen <= 4  # the other model finishes its current batch at most
    assert {r.finish_reason for r in cmp.results.values()} == {"stopped"}


def test_checks_answer_in_data_units():
    from rnnviz.core.tasks import toy_many_to_one

    data = toy_many_to_one(scaled=True)
    run = CompareRun("m2o", RunConfig(DataConfig(lookback=3), ModelConfig(cell="rnn", hidden=4),
                                      TrainConfig(epochs=1, seed=0, probe_every_seconds=None)),
                     checks=({"label": "q", "input": [[50.0], [51.0], [52.0]], "expected": [153.0],
                              "slides_model": [152.93]},))
    cmp = Comparison([run], data)
    for _ in cmp.events():
        pass
    check = cmp.results["m2o"].checks[0]
    # by hand: scale the input, run the model, unscale the answer
    x = (np.array([50.0, 51.0, 52.0]) - data.scaler.offset[0]) / data.scaler.scale[0]
    with torch.no_grad():
        y = cmp.models["m2o"].eval()(torch.tensor(x, dtype=torch.float32).view(1, 3, 1))[0]
    expected = float(y.item()) * data.scaler.scale[0] + data.scaler.offset[0]
    assert check["predicted"][0] == pytest.approx(expected, rel=1e-5)
    assert check["slides_model"] == [152.93]
    assert check["max_abs_error"] == pytest.approx(abs(expected - 153.0), rel=1e-5)


@pytest.mark.parametrize("kwargs, words", [
    ({"runs": []}, "one to three"),
    ({"labels": ["A", "A"]}, "must differ"),
    ({"interleave": "step"}, "batch or epoch"),
    ({"no_data": True}, "no data"),
])
def test_bad_comparisons_are_refused(small, kwargs, words):
    labels = kwargs.get("labels", ["A", "B"])
    runs = [] if "runs" in kwargs else [CompareRun(lab, _run("rnn", 8)) for lab in labels]
    with pytest.raises(ConfigError, match=words):
        Comparison(runs, None if kwargs.get("no_data") else small,
                   interleave=kwargs.get("interleave", "batch"))


def test_result_to_dict_is_json_ready(small):
    cmp = Comparison([CompareRun("A", _run("rnn", 8))], small)
    for _ in cmp.events():
        pass
    d = cmp.results["A"].to_dict()
    import json

    json.dumps(d)  # no numpy, no NaN
    assert "trace" not in d and isinstance(d["grad_per_step"], list)
    assert all(v is None or math.isfinite(v) for v in d["grad_per_step"])
