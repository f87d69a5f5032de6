"""Probes: what they record is right, and they leave training exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as nnf

from rnnviz.core.config import CELLS, ModelConfig
from rnnviz.core.errors import DataError
from rnnviz.core.models import build_model
from rnnviz.core.probes import gradient_ratio, probe
from rnnviz.core.trace import GATE_NAMES

W, T, F, HOR, K, H = 3, 8, 3, 2, 2, 5


def _data(seed=0, w=W):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(w, T, F)).astype(np.float32),
            rng.normal(size=(w, HOR, K)).astype(np.float32))


def _model(cell="lstm", **kw):
    torch.manual_seed(0)
    return build_model(ModelConfig(cell=cell, hidden=H, **kw), F, HOR, K)


@pytest.mark.parametrize("cell", CELLS)
def test_trace_shapes_and_types(cell):
    model = _model(cell, layers=2)
    x, y = _data()
    tr = probe(model, x, y, step=7, epoch=2, window_start=[10, 20, 30], feature_names=("a", "b", "c"))
    lstm = cell.startswith("lstm")
    assert tr.cell_type == cell and tr.step == 7 and tr.epoch == 2
    assert tr.hidden.shape == (2, W, T, H)
    assert (tr.cell is not None) == lstm and (tr.grad_cell is not None) == lstm
    if lstm:
        assert tr.cell.shape == (2, W, T, H) and tr.grad_cell.shape == (2, W, T)
    assert set(tr.gates) == set(GATE_NAMES[cell])
    assert set(tr.saturation) == set(GATE_NAMES[cell])
    for g in tr.gates.values():
        assert g.shape == (2, W, T, H)
    for s in tr.saturation.values():
        assert s.shape == (2, 2)
    assert tr.grad_hidden.shape == (2, W, T) and tr.influence.shape == (W, T)
    assert tr.prediction.shape == tr.target.shape == (W, HOR, K)
    assert tr.window_start.tolist() == [10, 20, 30] and tr.window_start.dtype == np.int64
    assert tr.feature_names == ("a", "b", "c")
    arrays = [tr.inputs, tr.hidden, tr.grad_hidden, tr.influence, tr.prediction, tr.target,
              *tr.gates.values(), *tr.saturation.values()]
    for a in arrays:
        assert isinstance(a, np.ndarray) and a.dtype == np.float32
    assert not np.shares_memory(tr.inputs, x)
    assert np.isfinite(tr.grad_hidden).all() and (tr.grad_hidden > 0).all()


@pytest.mark.parametrize("cell", CELLS)
def test_prediction_hidden_and_loss_match_the_model(cell):
    model = _model(cell, layers=2).eval()
    x, y = _data(1)
    tr = probe(model, x, y)
    with torch.no_grad():
        y_hat, _ = model(torch.from_numpy(x))
        out, _ = model.rnn(torch.from_numpy(x))
    np.testing.assert_allclose(tr.prediction, y_hat.numpy(), atol=1e-5)
    np.testing.assert_allclose(tr.hidden[-1], out.numpy(), atol=1e-5)
    assert tr.loss == pytest.approx(float(np.mean((y_hat.numpy() - y) ** 2)), rel=1e-5)
    np.testing.assert_array_equal(tr.target, y)
    np.testing.assert_array_equal(tr.inputs, x)
    assert tr.window_start.tolist() == [-1, -1, -1]


@pytest.mark.parametrize("cell", ["lstm", "lstm_peephole", "lstm_coupled"])
def test_lstm_gates_are_named_right(cell):
    # c_t = f * c_{t-1} + i * g and h_t = o * tanh(c_t), recomputed from the trace arrays.
    tr = probe(_model(cell, layers=2), *_data(2))
    g = tr.gates
    c_prev = np.concatenate([np.zeros_like(tr.cell[:, :, :1]), tr.cell[:, :, :-1]], 2)
    i = g["input"] if "input" in g else 1.0 - g["forget"]
    np.testing.assert_allclose(tr.cell, g["forget"] * c_prev + i * g["cell"], atol=1e-5)
    np.testing.assert_allclose(tr.hidden, g["output"] * np.tanh(tr.cell), atol=1e-5)
    assert g["forget"].min() >= 0 and g["forget"].max() <= 1


def test_gru_gates_are_named_right():
    tr = probe(_model("gru", layers=2), *_data(3))
    g = tr.gates
    h_prev = np.concatenate([np.zeros_like(tr.hidden[:, :, :1]), tr.hidden[:, :, :-1]], 2)
    np.testing.assert_allclose(tr.hidden, (1 - g["update"]) * g["new"] + g["update"] * h_prev, atol=1e-5)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_grad_hidden_equals_restarting_the_fused_module_at_each_step(cell):
    # dL/dh_t (total) is the gradient w.r.t. the initial state of a fused run started at t+1
    # from (h_t, c_t): computed here without the twin cells. For the cell, the BPTT cell
    # gradient adds the path through h_t = o_t * tanh(c_t):
    #     dL/dc_t = (dL/dc_t at fixed h_t) + dL/dh_t * o_t * (1 - tanh(c_t)^2).
    model = _model(cell, layers=1).eval()
    x, y = _data(4)
    tr = probe(model, x, y)
    lstm = cell == "lstm"
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    for t in range(T):
        h_t = torch.tensor(tr.hidden[0, :, t][None], requires_grad=True)  # (1, W, H)
        c_t = torch.tensor(tr.cell[0, :, t][None], requires_grad=True) if lstm else None
        if t == T - 1:
            out = h_t[0][:, None, :]  # (W, 1, H)
        else:
            out, _ = model.rnn(X[:, t + 1:], (h_t, c_t) if lstm else h_t)
        per_window = nnf.mse_loss(model.readout(out), Y, reduction="none").flatten(1).mean(1)
        wrt = [h_t, c_t] if lstm else [h_t]
        grads = torch.autograd.grad(per_window.sum(), wrt, allow_unused=True)
        g_h = grads[0][0].numpy()  # (W, H)
        np.testing.assert_allclose(tr.grad_hidden[0, :, t], np.linalg.norm(g_h, axis=1), rtol=1e-4, atol=1e-7)
        if lstm:
            g_c = grads[1][0].numpy() if grads[1] is not None else 0.0
            o_t, c_val = tr.gates["output"][0, :, t], tr.cell[0, :, t]
            total = g_c + g_h * o_t * (1.0 - np.tanh(c_val) ** 2)
            np.testing.assert_allclose(tr.grad_cell[0, :, t], np.linalg.norm(total, axis=1), rtol=1e-4, atol=1e-7)


def test_grad_hidden_of_the_top_layer_last_step_is_the_head_gradient():
    model = _model("gru", layers=3).eval()
    x, y = _data(5)
    tr = probe(model, x, y)
    with torch.no_grad():
        y_hat = model(torch.from_numpy(x))[0].numpy()  # (W, HOR, K)
    dy = 2.0 * (y_hat - y) / (HOR * K)  # d mean-squared-error / d y_hat
    expected = np.linalg.norm(dy.reshape(W, -1) @ model.head.weight.detach().numpy(), axis=1)
    np.testing.assert_allclose(tr.grad_hidden[-1, :, -1], expected, rtol=1e-4)


@pytest.mark.parametrize("cell", CELLS)
def test_influence_is_the_input_gradient_of_the_forecast(cell):
    model = _model(cell, layers=2).eval()
    x, y = _data(6)
    tr = probe(model, x, y)
    X = torch.from_numpy(x).requires_grad_(True)
    (dx,) = torch.autograd.grad(model(X)[0].sum(), X)
    np.testing.assert_allclose(tr.influence, dx.norm(dim=2).numpy(), rtol=1e-4, atol=1e-7)


def test_sequence_output_scores_the_last_step():
    model = _model("lstm", output="sequence").eval()
    x, y = _data(7)
    tr = probe(model, x, y)
    with torch.no_grad():
        y_hat = model(torch.from_numpy(x))[0][:, -1].numpy()
    np.testing.assert_allclose(tr.prediction, y_hat, atol=1e-6)
    assert tr.loss == pytest.approx(float(np.mean((y_hat - y) ** 2)), rel=1e-5)
    y4 = np.repeat(y[:, None], T, axis=1)  # (W, T, HOR, K): score every step
    assert probe(model, x, y4).target.shape == (W, HOR, K)


@pytest.mark.parametrize("cand_bias,cand_expected", [(-10.0, [1.0, 0.0]), (-0.5, [0.0, 0.0]), (10.0, [0.0, 1.0])])
def test_saturation_on_gates_forced_open_and_shut(cand_bias, cand_expected):
    model = _model("lstm", layers=1)
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.zero_()
        b = model.rnn.bias_ih_l0  # rows i, f, g, o
        b[0:H], b[H:2 * H], b[2 * H:3 * H], b[3 * H:] = -10.0, 10.0, cand_bias, 0.0
    tr = probe(model, *_data(8))
    np.testing.assert_allclose(tr.saturation["input"], [[1.0, 0.0]])
    np.testing.assert_allclose(tr.saturation["forget"], [[0.0, 1.0]])
    np.testing.assert_allclose(tr.saturation["output"], [[0.0, 0.0]])  # sigmoid(0) = 0.5
    np.testing.assert_allclose(tr.saturation["cell"], [cand_expected])


def test_gradient_ratio_reads_first_over_last_step():
    tr = probe(_model("rnn"), *_data(9))
    g = tr.grad_hidden[-1]
    assert gradient_ratio(tr) == pytest.approx(float(np.median(g[:, 0] / g[:, -1])))


def test_probe_leaves_grad_rng_and_modes_alone():
    model = _model("lstm", layers=2, dropout=0.5)
    x, y = _data(10)
    model(torch.from_numpy(x))[0].sum().backward()
    grads = {n: (p.grad, p.grad.clone()) for n, p in model.named_parameters()}
    model.train()
    model.head.eval()  # a mixed state must come back as it was
    modes = [m.training for m in model.modules()]
    rng = torch.get_rng_state()
    probe(model, x, y)
    assert torch.equal(torch.get_rng_state(), rng)
    assert [m.training for m in model.modules()] == modes
    for n, p in model.named_parameters():
        assert p.grad is grads[n][0] and torch.equal(p.grad, grads[n][1]), n
    fresh = _model("gru")
    probe(fresh, x, y)
    assert all(p.grad is None for p in fresh.parameters())
    assert fresh.training


def test_probe_works_inside_no_grad_and_inference_mode():
    model = _model("gru")
    x, y = _data(14)
    ref = probe(model, x, y)
    with torch.no_grad():
        a = probe(model, x, y)
    with torch.inference_mode():
        b = probe(model, x, y)
    np.testing.assert_array_equal(a.grad_hidden, ref.grad_hidden)
    np.testing.assert_array_equal(b.influence, ref.influence)


def test_probe_runs_in_eval_mode_even_when_training():
    model = _model("gru", layers=2, dropout=0.5).train()
    x, y = _data(11)
    a, b = probe(model, x, y), probe(model, x, y)
    np.testing.assert_array_equal(a.hidden, b.hidden)  # no dropout masks
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(a.prediction, model(torch.from_numpy(x))[0].numpy(), atol=1e-6)


def _train(cell: str, with_probes: bool):
    torch.manual_seed(123)
    model = build_model(ModelConfig(cell=cell, hidden=6, layers=2, dropout=0.3), F, HOR, K)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x_all, y_all = _data(12, w=40)
    X, Y = torch.from_numpy(x_all), torch.from_numpy(y_all)
    xp, yp = x_all[:2], y_all[:2]
    losses = []
    for _ in range(5):
        if with_probes:
            probe(model, xp, yp)
        idx = torch.randperm(40)[:8]  # draws from the training RNG
        opt.zero_grad()
        loss = nnf.mse_loss(model(X[idx])[0], Y[idx])  # dropout draws too
        loss.backward()
        if with_probes:  # between backward and step: .grad must survive
            probe(model, xp, yp)
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("cell", ["lstm", "gru", "lstm_peephole"])
def test_training_with_probes_every_batch_is_bit_identical(cell):
    losses_a, params_a = _train(cell, with_probes=False)
    losses_b, params_b = _train(cell, with_probes=True)
    assert losses_a == losses_b
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))


def test_bad_windows_are_refused_with_a_data_error():
    model = _model("lstm")
    x, y = _data(13)
    with pytest.raises(DataError) as err:
        probe(model, x[:, :, :2], y)
    assert err.value.code == "feature_mismatch"
    with pytest.raises(DataError):
        probe(model, x, y[:, :1])
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(DataError):
        probe(model, bad, y)
