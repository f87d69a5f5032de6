"""Forecaster shapes, state carrying, initialisation knobs, parameter groups, devices."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from rnnviz.core.cells import twin_forward
from rnnviz.core.config import CELLS, ModelConfig
from rnnviz.core.errors import ConfigError
from rnnviz.core.models import build_model, group_grad_norms, param_groups, resolve_device

B, T, F, HOR, K = 3, 6, 4, 2, 2


def _model(**kw):
    torch.manual_seed(0)
    cfg = ModelConfig(**{"hidden": 6, **kw})
    return build_model(cfg, F, HOR, K)


@pytest.mark.parametrize("cell", CELLS)
def test_output_shapes_last_and_sequence(cell):
    last = _model(cell=cell, layers=2, output="last")
    seq = _model(cell=cell, layers=2, output="sequence")  # same seed: same weights
    x = torch.randn(B, T, F)
    y_last, _ = last(x)
    y_seq, state = seq(x)
    assert y_last.shape == (B, HOR, K)
    assert y_seq.shape == (B, T, HOR, K)
    torch.testing.assert_close(y_seq[:, -1], y_last)
    h = state[0] if cell.startswith("lstm") else state
    assert h.shape == (2, B, 6)


@pytest.mark.parametrize("cell", CELLS)
def test_state_carries_a_sequence_one_step_at_a_time(cell):
    model = _model(cell=cell, layers=2, output="sequence").eval()
    x = torch.randn(B, T, F)
    with torch.no_grad():
        y_all, _ = model(x)
        state = None
        for t in range(T):
            y_t, state = model(x[:, t:t + 1], state)
            torch.testing.assert_close(y_t[:, 0], y_all[:, t], atol=1e-6, rtol=1e-5)


def test_fused_flags_and_speed_note():
    for cell in ("rnn", "lstm", "gru"):
        m = _model(cell=cell)
        assert m.fused and not m.slow and m.speed_note == ""
        assert isinstance(m.rnn, torch.nn.RNNBase)
    for cell in ("lstm_peephole", "lstm_coupled"):
        m = _model(cell=cell)
        assert m.slow and not m.fused
        assert "hand-written cells" in m.speed_note and "slower" in m.speed_note


def test_recurrent_part_uses_torch_parameter_names():
    m = _model(cell="lstm", layers=2)
    names = set(m.state_dict())
    for k in (0, 1):
        for stem in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            assert f"rnn.{stem}_l{k}" in names
    assert {"head.weight", "head.bias"} <= names
    p = _model(cell="lstm_peephole", layers=1)
    assert {"rnn.weight_ci_l0", "rnn.weight_cf_l0", "rnn.weight_co_l0"} <= set(p.state_dict())
    assert p.rnn.weight_ci_l0.shape == (6,)
    c = _model(cell="lstm_coupled", layers=1)
    assert c.rnn.weight_ih_l0.shape == (3 * 6, F)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "lstm_peephole", "lstm_coupled"])
def test_orthogonal_init_makes_every_recurrent_gate_block_orthogonal(cell):
    m = _model(cell=cell, layers=2, init="orthogonal")
    H = 6
    for k in range(2):
        W = getattr(m.rnn, f"weight_hh_l{k}").detach().double()
        for blk in W.split(H, 0):
            torch.testing.assert_close(blk @ blk.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", ["lstm", "lstm_peephole", "lstm_coupled"])
def test_forget_bias_sets_the_forget_gate_opening(cell):
    # With zero input and zero state the first forget gate is sigmoid(b_ih + b_hh) of its rows.
    m = _model(cell=cell, layers=2, forget_bias=2.0).eval()
    with torch.no_grad():
        res = twin_forward(m.rnn, torch.zeros(1, 1, F))
    got = res.layers[0].gates["forget"][0]  # (1, H)
    torch.testing.assert_close(got, torch.full_like(got, 1.0 / (1.0 + math.exp(-2.0))))
    bias_hh = m.rnn.bias_hh_l1.detach()
    rows = slice(0, 6) if cell == "lstm_coupled" else slice(6, 12)
    assert torch.count_nonzero(bias_hh[rows]) == 0
    assert torch.all(m.rnn.bias_ih_l1.detach()[rows] == 2.0)
    if cell != "lstm_coupled":  # the input gate rows keep their random values
        assert not torch.all(m.rnn.bias_ih_l1.detach()[0:6] == 2.0)


def test_forget_bias_without_bias_terms_is_refused():
    with pytest.raises(ConfigError) as err:
        _model(cell="lstm", forget_bias=1.0, bias=False)
    assert "bias" in err.value.message


def test_settings_that_do_not_apply_are_noted():
    assert any("forget_bias" in n for n in _model(cell="gru", forget_bias=1.0).notes)
    assert any("spectral_radius" in n for n in _model(cell="lstm", spectral_radius=0.5).notes)
    assert _model(cell="lstm", forget_bias=1.0).notes == ()


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.7])
@pytest.mark.parametrize("init", ["default", "orthogonal"])
def test_spectral_radius_of_plain_rnn(radius, init):
    m = _model(cell="rnn", layers=2, spectral_radius=radius, init=init, hidden=12)
    for k in range(2):
        W = getattr(m.rnn, f"weight_hh_l{k}").detach().double().numpy()
        assert abs(np.abs(np.linalg.eigvals(W)).max() - radius) < 1e-5


def test_dropout_between_layers_and_before_head():
    x = torch.randn(B, T, F)
    m = _model(cell="lstm", layers=2, dropout=0.5)
    assert m.rnn.dropout == 0.5 and m.dropout.p == 0.5
    m.train()
    torch.manual_seed(1)
    a = m(x)[0]
    b = m(x)[0]
    assert not torch.allclose(a, b)
    m.eval()
    torch.testing.assert_close(m(x)[0], m(x)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns about dropout with one layer
        one = _model(cell="gru", layers=1, dropout=0.3)
    assert one.rnn.dropout == 0.0 and one.dropout.p == 0.3


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_param_groups_cover_every_parameter_once(cell, bias):
    m = _model(cell=cell, layers=2, bias=bias)
    groups = param_groups(m)
    assert set(groups) == {"input", "recurrent", "bias", "head"}
    ids = [id(p) for ps in groups.values() for p in ps]
    assert len(ids) == len(set(ids)) == len(list(m.parameters()))
    assert [p.shape[1] for p in groups["input"]] == [F, 6]
    assert len(groups["bias"]) == (4 if bias else 0)
    assert len(groups["recurrent"]) == (8 if cell == "lstm_peephole" else 2)


def test_group_grad_norms_match_a_numpy_computation():
    m = _model(cell="lstm_peephole", layers=2)
    assert group_grad_norms(m) == {"input": 0.0, "recurrent": 0.0, "bias": 0.0, "head": 0.0}
    y, _ = m(torch.randn(B, T, F))
    y.square().sum().backward()
    got = group_grad_norms(m)
    assert all(isinstance(v, float) for v in got.values())
    flat: dict[str, list[np.ndarray]] = {"input": [], "recurrent": [], "bias": [], "head": []}
    for name, p in m.named_parameters():
        key = ("head" if name.startswith("head") else "input" if "weight_ih" in name
               else "bias" if ".bias" in name else "recurrent")
        flat[key].append(p.grad.double().numpy().ravel())
    for key, parts in flat.items():
        assert got[key] == pytest.approx(np.linalg.norm(np.concatenate(parts)), rel=1e-5)
    m_nb = _model(cell="gru", bias=False)
    m_nb(torch.randn(B, T, F))[0].sum().backward()
    assert group_grad_norms(m_nb)["bias"] == 0.0


def test_resolve_device(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ConfigError) as err:
        resolve_device("cuda")
    assert err.value.code == "no_cuda" and "cpu" in err.value.message
    with pytest.raises(ConfigError):
        build_model(ModelConfig(), F, HOR, K, device="cuda")
    with pytest.raises(ConfigError):
        resolve_device("banana")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"


def test_bad_sizes_are_refused():
    with pytest.raises(ConfigError):
        build_model(ModelConfig(), 0, HOR, K)
    with pytest.raises(ConfigError):
        build_model(ModelConfig(), F, 1.5, K)
