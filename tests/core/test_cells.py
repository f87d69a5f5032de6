"""The twin cells must be exactly the model that trains.

Fused cells are checked against PyTorch's own modules (outputs, every h_t and c_t of every
layer, final states, gradients). The two variants have no fused module: they are checked
against straightforward float64 loops written here from the deck's equations, and against
nn.LSTM in the cases where they reduce to it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from rnnviz.core.cells import twin_forward
from rnnviz.core.models import VariantLSTM

B, T, F, H = 3, 7, 4, 5
TOL = dict(atol=1e-5, rtol=1e-5)

FUSED_CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)]


def _fused(kind: str, nonlinearity: str | None, layers: int, bias: bool, n_in: int = F) -> nn.Module:
    common = dict(input_size=n_in, hidden_size=H, num_layers=layers, bias=bias, batch_first=True)
    if kind == "lstm":
        return nn.LSTM(**common)
    if kind == "gru":
        return nn.GRU(**common)
    return nn.RNN(nonlinearity=nonlinearity, **common)


def _layer_module(mod: nn.Module, kind: str, nonlinearity: str | None, k: int) -> nn.Module:
    """A one-layer fused module holding copies of layer k's parameters."""
    single = _fused(kind, nonlinearity, 1, mod.bias, n_in=F if k == 0 else H)
    with torch.no_grad():
        for name, p in single.named_parameters():
            p.copy_(getattr(mod, name.replace("_l0", f"_l{k}")))
    return single


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("kind,nonlinearity", FUSED_CASES)
def test_twin_matches_fused_module(kind, nonlinearity, layers, bias):
    torch.manual_seed(layers * 10 + bias)
    mod = _fused(kind, nonlinearity, layers, bias)
    lstm = kind == "lstm"
    x = torch.randn(B, T, F, requires_grad=True)
    h0 = (0.5 * torch.randn(layers, B, H)).requires_grad_(True)
    c0 = (0.5 * torch.randn(layers, B, H)).requires_grad_(True)
    state = (h0, c0) if lstm else h0

    out_f, st_f = mod(x, state)
    twin = twin_forward(mod, x, state)

    torch.testing.assert_close(twin.output, out_f, **TOL)
    if lstm:
        torch.testing.assert_close(twin.state[0], st_f[0], **TOL)
        torch.testing.assert_close(twin.state[1], st_f[1], **TOL)  # c_T of every layer
    else:
        torch.testing.assert_close(twin.state, st_f, **TOL)

    # Every h_t (and c_t) of every layer, from one-layer fused modules chained by hand.
    inp = x.detach()
    for k in range(layers):
        single = _layer_module(mod, kind, nonlinearity, k)
        st_k = (h0[k:k + 1].detach(), c0[k:k + 1].detach()) if lstm else h0[k:k + 1].detach()
        out_k, _ = single(inp, st_k)
        torch.testing.assert_close(torch.stack(twin.layers[k].hidden, 1), out_k, **TOL)
        if lstm:
            for t in range(T):
                _, (_, c_t) = single(inp[:, : t + 1], st_k)
                torch.testing.assert_close(twin.layers[k].cell[t], c_t[0], **TOL)
        inp = out_k

    # Gradients of the same scalar with respect to parameters, input and initial state.
    gen = torch.Generator().manual_seed(1)
    w_out = torch.randn(out_f.shape, generator=gen)
    w_h = torch.randn(layers, B, H, generator=gen)
    w_c = torch.randn(layers, B, H, generator=gen)

    def scalar(out, st):
        if lstm:
            return (out * w_out).sum() + (st[0] * w_h).sum() + (st[1] * w_c).sum()
        return (out * w_out).sum() + (st * w_h).sum()

    wrt = [*mod.parameters(), x, h0] + ([c0] if lstm else [])
    g_fused = torch.autograd.grad(scalar(out_f, st_f), wrt)
    g_twin = torch.autograd.grad(scalar(twin.output, twin.state), wrt)
    for a, b in zip(g_twin, g_fused, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_twin_reads_the_modules_parameters_not_copies():
    torch.manual_seed(0)
    mod = nn.LSTM(F, H, batch_first=True)
    x = torch.randn(B, T, F)
    before = twin_forward(mod, x).output.detach().clone()
    with torch.no_grad():
        mod.weight_hh_l0.mul_(2.0)
    after = twin_forward(mod, x).output.detach()
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, mod(x)[0].detach(), **TOL)


def test_twin_applies_between_layer_dropout_only_when_training():
    torch.manual_seed(0)
    mod = nn.GRU(F, H, num_layers=2, dropout=0.5, batch_first=True)
    x = torch.randn(B, T, F)
    eval_out = twin_forward(mod, x, training=False).output
    torch.testing.assert_close(eval_out, twin_forward(mod, x, training=False).output)
    torch.manual_seed(1)
    train_out = twin_forward(mod, x, training=True).output
    assert not torch.allclose(train_out, eval_out)


# ----------------------------------------------------------------------------- variants


def _sig(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _reference_variant(mod: VariantLSTM, x: np.ndarray):
    """Deck equations, one window and one step at a time, in float64 numpy.

    Returns h (L, B, T, H), c (L, B, T, H) and gates {name: (L, B, T, H)}.
    """
    p = {k: v.detach().double().numpy() for k, v in mod.named_parameters()}
    L, Hn = mod.num_layers, mod.hidden_size
    peep = mod.cell_type == "lstm_peephole"
    names = ("input", "forget", "cell", "output") if peep else ("forget", "cell", "output")
    hs = np.zeros((L, x.shape[0], x.shape[1], Hn))
    cs = np.zeros_like(hs)
    gates = {n: np.zeros_like(hs) for n in names}
    seq = x.astype(np.float64)
    for k in range(L):
        W, U = p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"]
        b = p[f"bias_ih_l{k}"] + p[f"bias_hh_l{k}"] if mod.bias else np.zeros(W.shape[0])
        blocks = {n: slice(j * Hn, (j + 1) * Hn) for j, n in enumerate(names)}

        def pre(n, xt, h, W=W, U=U, b=b, blocks=blocks):
            r = blocks[n]
            return W[r] @ xt + U[r] @ h + b[r]

        for w in range(x.shape[0]):
            h, c = np.zeros(Hn), np.zeros(Hn)
            for t in range(x.shape[1]):
                xt = seq[w, t]
                if peep:
                    f = _sig(pre("forget", xt, h) + p[f"weight_cf_l{k}"] * c)
                    i = _sig(pre("input", xt, h) + p[f"weight_ci_l{k}"] * c)
                    g = np.tanh(pre("cell", xt, h))
                    c = f * c + i * g
                    o = _sig(pre("output", xt, h) + p[f"weight_co_l{k}"] * c)
                    gates["input"][k, w, t] = i
                else:
                    f = _sig(pre("forget", xt, h))
                    g = np.tanh(pre("cell", xt, h))
                    c = f * c + (1.0 - f) * g
                    o = _sig(pre("output", xt, h))
                h = o * np.tanh(c)
                hs[k, w, t], cs[k, w, t] = h, c
                gates["forget"][k, w, t], gates["cell"][k, w, t] = f, g
                gates["output"][k, w, t] = o
        seq = hs[k]
    return hs, cs, gates


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("kind", ["lstm_peephole", "lstm_coupled"])
def test_variant_cells_follow_the_deck_equations(kind, layers, bias):
    torch.manual_seed(3)
    mod = VariantLSTM(kind, F, H, num_layers=layers, bias=bias)
    with torch.no_grad():  # make the peepholes matter
        for name, p in mod.named_parameters():
            if "_c" in name:
                p.uniform_(-1.5, 1.5)
    x = np.random.default_rng(0).normal(size=(B, T, F)).astype(np.float32)
    with torch.no_grad():
        twin = twin_forward(mod, torch.from_numpy(x))
    h_ref, c_ref, g_ref = _reference_variant(mod, x)
    for k in range(layers):
        got_h = torch.stack(twin.layers[k].hidden, 1).double().numpy()
        got_c = torch.stack(twin.layers[k].cell, 1).double().numpy()
        np.testing.assert_allclose(got_h, h_ref[k], atol=1e-5)
        np.testing.assert_allclose(got_c, c_ref[k], atol=1e-5)
        assert set(twin.layers[k].gates) == set(g_ref)
        for name, ref in g_ref.items():
            got = torch.stack(twin.layers[k].gates[name], 1).double().numpy()
            np.testing.assert_allclose(got, ref[k], atol=1e-5, err_msg=name)
    with torch.no_grad():
        out, (h_n, c_n) = mod(torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), h_ref[-1], atol=1e-5)
    np.testing.assert_allclose(c_n.detach().numpy(), c_ref[:, :, -1], atol=1e-5)


@pytest.mark.parametrize("layers", [1, 2])
def test_peephole_with_zero_peepholes_is_the_standard_lstm(layers):
    torch.manual_seed(4)
    mod = VariantLSTM("lstm_peephole", F, H, num_layers=layers)
    with torch.no_grad():
        for name, p in mod.named_parameters():
            if name.startswith("weight_c"):
                p.zero_()
    ref = nn.LSTM(F, H, num_layers=layers, batch_first=True)
    state = {k: v for k, v in mod.state_dict().items() if not k.startswith("weight_c")}
    ref.load_state_dict(state)
    x = torch.randn(B, T, F)
    out, (h, c) = mod(x)
    out_r, (h_r, c_r) = ref(x)
    torch.testing.assert_close(out, out_r, **TOL)
    torch.testing.assert_close(c, c_r, **TOL)
    g = torch.autograd.grad(out.sum() + c.sum(), [mod.weight_ih_l0, mod.weight_hh_l0])
    g_r = torch.autograd.grad(out_r.sum() + c_r.sum(), [ref.weight_ih_l0, ref.weight_hh_l0])
    for a, b in zip(g, g_r, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_coupled_lstm_is_a_standard_lstm_whose_input_gate_is_one_minus_forget():
    # 1 - sigmoid(a) = sigmoid(-a): a standard LSTM whose input-gate rows are the negated
    # forget-gate rows has i = 1 - f, which is the coupled cell.
    torch.manual_seed(5)
    mod = VariantLSTM("lstm_coupled", F, H, num_layers=2)
    ref = nn.LSTM(F, H, num_layers=2, batch_first=True)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            f_blk, g_blk, o_blk = getattr(mod, name).chunk(3, 0)
            p.copy_(torch.cat([-f_blk, f_blk, g_blk, o_blk], 0))
    x = torch.randn(B, T, F)
    state = (torch.randn(2, B, H), torch.randn(2, B, H))
    out, (h, c) = mod(x, state)
    out_r, (h_r, c_r) = ref(x, state)
    torch.testing.assert_close(out, out_r, **TOL)
    torch.testing.assert_close(h, h_r, **TOL)
    torch.testing.assert_close(c, c_r, **TOL)


def test_variant_gradients_reach_every_parameter():
    torch.manual_seed(6)
    mod = VariantLSTM("lstm_peephole", F, H, num_layers=2, dropout=0.2)
    out, (h, c) = mod(torch.randn(B, T, F))
    (out.square().sum() + c.sum()).backward()
    for name, p in mod.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
