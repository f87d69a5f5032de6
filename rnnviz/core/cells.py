"""Hand-written recurrent cells: the *twin* of PyTorch's fused modules.

The functions here compute RNN, LSTM and GRU layers step by step with every gate a named
variable, reading the very parameter tensors of a module (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0`` ...): no copies are made, so gradients flow
back into the module's own parameters and the twin is always the model being trained.

Equations (PyTorch's conventions and row order, ``*`` is elementwise)::

    RNN   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)              act = tanh or relu
    LSTM  rows i, f, g, o of W_ih (4H, F), W_hh (4H, H)
          I = sigmoid(.)   F = sigmoid(.)   C~ = tanh(.)   O = sigmoid(.)
          c_t = F * c_{t-1} + I * C~          h_t = O * tanh(c_t)
    GRU   rows r, z, n of W_ih (3H, F), W_hh (3H, H)
          R = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
          Z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
          N = tanh(W_in x + b_in + R * (W_hn h + b_hn))
          h_t = (1 - Z) * N + Z * h_{t-1}

Teaching variants (they have no fused module: they train through these functions):

- ``lstm_peephole``: the gates also look at the cell state through diagonal peephole
  weights ``weight_ci``, ``weight_cf``, ``weight_co`` (each (H,)):
  ``I = sigmoid(. + w_ci * c_{t-1})``, ``F = sigmoid(. + w_cf * c_{t-1})``,
  ``O = sigmoid(. + w_co * c_t)`` (the output gate sees the *new* cell state).
- ``lstm_coupled``: no input gate; rows f, g, o (3H) and ``c_t = F * c_{t-1} + (1 - F) * C~``.

The input projection ``W_ih x_t + b_ih`` is computed for all steps at once and the loop walks
it with ``unbind(1)``; indexing ``XP[:, t]`` inside the loop makes the backward pass about 36x
slower (measured, see DESIGN.md).
"""

# Gate names I and O are the textbook ones (DESIGN.md: math names inside cells).
# ruff: noqa: E741

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

State = Tensor | tuple[Tensor, Tensor]

LSTM_FAMILY = ("lstm", "lstm_peephole", "lstm_coupled")
GATE_BLOCKS = {"rnn": 1, "lstm": 4, "lstm_peephole": 4, "lstm_coupled": 3, "gru": 3}
"""Number of H-row blocks in ``weight_ih`` / ``weight_hh`` per cell type."""
PEEPHOLE_NAMES = ("weight_ci", "weight_cf", "weight_co")


@dataclass
class LayerSteps:
    """Everything one layer computed, one tensor per time step (still in the graph).

    Attributes
    ----------
    hidden : list of Tensor
        ``T`` tensors (B, H): h_t.
    cell : list of Tensor or None
        ``T`` tensors (B, H): c_t (LSTM family only).
    gates : dict of str to list of Tensor
        Gate name (``input``, ``forget``, ``cell``, ``output`` / ``reset``, ``update``,
        ``new``) to ``T`` tensors (B, H).
    """

    hidden: list[Tensor]
    cell: list[Tensor] | None = None
    gates: dict[str, list[Tensor]] = field(default_factory=dict)


@dataclass
class TwinResult:
    """What :func:`twin_forward` returns.

    Attributes
    ----------
    output : Tensor
        (B, T, H) hidden states of the last layer, as a fused module's ``output``.
    state : Tensor or tuple of Tensor
        Final ``h_n`` (L, B, H), or ``(h_n, c_n)`` for the LSTM family.
    layers : list of LayerSteps
        Per-layer, per-step tensors (h_t, c_t, gates), in the autograd graph.
    """

    output: Tensor
    state: State
    layers: list[LayerSteps]


def rnn_layer(
    X: Tensor, H0: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None, nonlinearity: str = "tanh",
) -> LayerSteps:
    """One plain (Elman) RNN layer, step by step.

    Parameters
    ----------
    X : Tensor, shape (B, T, F)
    H0 : Tensor, shape (B, H)
    W_ih : Tensor, shape (H, F)
    W_hh : Tensor, shape (H, H)
    b_ih, b_hh : Tensor of shape (H,) or None
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    LayerSteps
        Hidden states only (a plain RNN has no gates).
    """
    act = torch.tanh if nonlinearity == "tanh" else torch.relu
    XP = nnf.linear(X, W_ih, b_ih)  # (B, T, H)
    H = H0  # (B, H)
    hs: list[Tensor] = []
    for XP_t in XP.unbind(1):  # each (B, H)
        H = act(XP_t + nnf.linear(H, W_hh, b_hh))  # (B, H)
        hs.append(H)
    return LayerSteps(hidden=hs)


def lstm_layer(
    X: Tensor, H0: Tensor, C0: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> LayerSteps:
    """One standard LSTM layer (PyTorch row order i, f, g, o), step by step.

    Parameters
    ----------
    X : Tensor, shape (B, T, F)
    H0, C0 : Tensor, shape (B, H)
    W_ih : Tensor, shape (4H, F)
    W_hh : Tensor, shape (4H, H)
    b_ih, b_hh : Tensor of shape (4H,) or None

    Returns
    -------
    LayerSteps
        h_t, c_t and the gates ``input``, ``forget``, ``cell`` (candidate), ``output``.
    """
    XP = nnf.linear(X, W_ih, b_ih)  # (B, T, 4H)
    H, C = H0, C0  # (B, H), (B, H)
    out = LayerSteps(hidden=[], cell=[], gates={k: [] for k in ("input", "forget", "cell", "output")})
    for XP_t in XP.unbind(1):  # each (B, 4H)
        A = XP_t + nnf.linear(H, W_hh, b_hh)  # (B, 4H) pre-activations
        A_i, A_f, A_g, A_o = A.chunk(4, 1)  # each (B, H)
        I = torch.sigmoid(A_i)  # (B, H) input gate
        F = torch.sigmoid(A_f)  # (B, H) forget gate
        C_tilde = torch.tanh(A_g)  # (B, H) candidate cell
        O = torch.sigmoid(A_o)  # (B, H) output gate
        C = F * C + I * C_tilde  # (B, H)
        H = O * torch.tanh(C)  # (B, H)
        _keep(out, H, C, input=I, forget=F, cell=C_tilde, output=O)
    return out


def peephole_lstm_layer(
    X: Tensor, H0: Tensor, C0: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None, w_ci: Tensor, w_cf: Tensor, w_co: Tensor,
) -> LayerSteps:
    """One LSTM layer with diagonal peephole connections, step by step.

    Parameters
    ----------
    X : Tensor, shape (B, T, F)
    H0, C0 : Tensor, shape (B, H)
    W_ih : Tensor, shape (4H, F)
        Rows i, f, g, o as in PyTorch.
    W_hh : Tensor, shape (4H, H)
    b_ih, b_hh : Tensor of shape (4H,) or None
    w_ci, w_cf, w_co : Tensor, shape (H,)
        Peephole weights from the cell state to the input, forget and output gates.

    Returns
    -------
    LayerSteps
        h_t, c_t and the gates ``input``, ``forget``, ``cell``, ``output``.
    """
    XP = nnf.linear(X, W_ih, b_ih)  # (B, T, 4H)
    H, C = H0, C0  # (B, H), (B, H)
    out = LayerSteps(hidden=[], cell=[], gates={k: [] for k in ("input", "forget", "cell", "output")})
    for XP_t in XP.unbind(1):  # each (B, 4H)
        A = XP_t + nnf.linear(H, W_hh, b_hh)  # (B, 4H)
        A_i, A_f, A_g, A_o = A.chunk(4, 1)  # each (B, H)
        I = torch.sigmoid(A_i + w_ci * C)  # (B, H) input gate peeks at c_{t-1}
        F = torch.sigmoid(A_f + w_cf * C)  # (B, H) forget gate peeks at c_{t-1}
        C_tilde = torch.tanh(A_g)  # (B, H)
        C = F * C + I * C_tilde  # (B, H) c_t
        O = torch.sigmoid(A_o + w_co * C)  # (B, H) output gate peeks at the new c_t
        H = O * torch.tanh(C)  # (B, H)
        _keep(out, H, C, input=I, forget=F, cell=C_tilde, output=O)
    return out


def coupled_lstm_layer(
    X: Tensor, H0: Tensor, C0: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> LayerSteps:
    """One LSTM layer whose input gate is tied to the forget gate (I = 1 - F).

    Parameters
    ----------
    X : Tensor, shape (B, T, F)
    H0, C0 : Tensor, shape (B, H)
    W_ih : Tensor, shape (3H, F)
        Rows f, g, o.
    W_hh : Tensor, shape (3H, H)
    b_ih, b_hh : Tensor of shape (3H,) or None

    Returns
    -------
    LayerSteps
        h_t, c_t and the gates ``forget``, ``cell``, ``output``.
    """
    XP = nnf.linear(X, W_ih, b_ih)  # (B, T, 3H)
    H, C = H0, C0  # (B, H), (B, H)
    out = LayerSteps(hidden=[], cell=[], gates={k: [] for k in ("forget", "cell", "output")})
    for XP_t in XP.unbind(1):  # each (B, 3H)
        A = XP_t + nnf.linear(H, W_hh, b_hh)  # (B, 3H)
        A_f, A_g, A_o = A.chunk(3, 1)  # each (B, H)
        F = torch.sigmoid(A_f)  # (B, H) forget gate; the input gate is 1 - F
        C_tilde = torch.tanh(A_g)  # (B, H)
        O = torch.sigmoid(A_o)  # (B, H)
        C = F * C + (1.0 - F) * C_tilde  # (B, H)
        H = O * torch.tanh(C)  # (B, H)
        _keep(out, H, C, forget=F, cell=C_tilde, output=O)
    return out


def gru_layer(
    X: Tensor, H0: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> LayerSteps:
    """One GRU layer (PyTorch row order r, z, n), step by step.

    Parameters
    ----------
    X : Tensor, shape (B, T, F)
    H0 : Tensor, shape (B, H)
    W_ih : Tensor, shape (3H, F)
    W_hh : Tensor, shape (3H, H)
    b_ih, b_hh : Tensor of shape (3H,) or None

    Returns
    -------
    LayerSteps
        h_t and the gates ``reset``, ``update``, ``new``.
    """
    XP = nnf.linear(X, W_ih, b_ih)  # (B, T, 3H)
    H = H0  # (B, H)
    out = LayerSteps(hidden=[], gates={k: [] for k in ("reset", "update", "new")})
    for XP_t in XP.unbind(1):  # each (B, 3H)
        X_r, X_z, X_n = XP_t.chunk(3, 1)  # each (B, H)
        H_r, H_z, H_n = nnf.linear(H, W_hh, b_hh).chunk(3, 1)  # each (B, H)
        R = torch.sigmoid(X_r + H_r)  # (B, H) reset gate
        Z = torch.sigmoid(X_z + H_z)  # (B, H) update gate
        N = torch.tanh(X_n + R * H_n)  # (B, H) new (candidate) state
        H = (1.0 - Z) * N + Z * H  # (B, H)
        _keep(out, H, None, reset=R, update=Z, new=N)
    return out


def _keep(out: LayerSteps, H: Tensor, C: Tensor | None, **gates: Tensor) -> None:
    out.hidden.append(H)
    if C is not None and out.cell is not None:
        out.cell.append(C)
    for name, value in gates.items():
        out.gates[name].append(value)


def cell_type_of(rnn: nn.Module) -> str:
    """Cell type of a recurrent module: ``rnn``, ``lstm``, ``gru`` or a variant's name.

    Parameters
    ----------
    rnn : nn.Module
        ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` or a module with a ``cell_type`` attribute
        (:class:`rnnviz.core.models.VariantLSTM`).
    """
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "rnn"
    kind = getattr(rnn, "cell_type", None)
    if kind in GATE_BLOCKS:
        return str(kind)
    raise TypeError(f"not a recurrent module rnnviz knows: {type(rnn).__name__}")


def twin_forward(
    rnn: nn.Module, x: Tensor, state: State | None = None, *, training: bool = False,
) -> TwinResult:
    """Run a recurrent module's layers through the hand-written cells.

    Parameters
    ----------
    rnn : nn.Module
        ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` with ``batch_first=True``, or a
        :class:`~rnnviz.core.models.VariantLSTM`. Its parameters are read, not copied.
    x : Tensor, shape (B, T, F)
    state : Tensor (L, B, H) or tuple of two, optional
        Initial ``h_0`` (or ``(h_0, c_0)`` for the LSTM family); zeros when omitted.
    training : bool
        Apply the module's between-layer dropout (as the fused module does in train mode).

    Returns
    -------
    TwinResult
        Output (B, T, H), final state and per-step tensors of every layer.
    """
    kind = cell_type_of(rnn)
    n_layers = int(rnn.num_layers)
    hidden = int(rnn.hidden_size)
    B = x.shape[0]
    lstm_like = kind in LSTM_FAMILY
    if state is None:
        h0 = x.new_zeros(n_layers, B, hidden)  # (L, B, H)
        c0 = x.new_zeros(n_layers, B, hidden) if lstm_like else None  # (L, B, H)
    elif lstm_like:
        h0, c0 = state  # type: ignore[misc]
    else:
        h0, c0 = state, None  # type: ignore[assignment]
    p_drop = float(getattr(rnn, "dropout", 0.0) or 0.0)
    layers: list[LayerSteps] = []
    inp = x  # (B, T, F)
    for k in range(n_layers):
        if k > 0 and p_drop > 0.0 and training:
            inp = nnf.dropout(inp, p_drop, training=True)  # (B, T, H)
        W_ih = getattr(rnn, f"weight_ih_l{k}")
        W_hh = getattr(rnn, f"weight_hh_l{k}")
        b_ih = getattr(rnn, f"bias_ih_l{k}", None)
        b_hh = getattr(rnn, f"bias_hh_l{k}", None)
        if kind == "rnn":
            steps = rnn_layer(inp, h0[k], W_ih, W_hh, b_ih, b_hh, rnn.nonlinearity)
        elif kind == "lstm":
            steps = lstm_layer(inp, h0[k], c0[k], W_ih, W_hh, b_ih, b_hh)  # type: ignore[index]
        elif kind == "lstm_peephole":
            peep = [getattr(rnn, f"{n}_l{k}") for n in PEEPHOLE_NAMES]
            steps = peephole_lstm_layer(inp, h0[k], c0[k], W_ih, W_hh, b_ih, b_hh, *peep)  # type: ignore[index]
        elif kind == "lstm_coupled":
            steps = coupled_lstm_layer(inp, h0[k], c0[k], W_ih, W_hh, b_ih, b_hh)  # type: ignore[index]
        else:
            steps = gru_layer(inp, h0[k], W_ih, W_hh, b_ih, b_hh)
        layers.append(steps)
        inp = torch.stack(steps.hidden, 1)  # (B, T, H)
    h_n = torch.stack([s.hidden[-1] for s in layers], 0)  # (L, B, H)
    if lstm_like:
        c_n = torch.stack([s.cell[-1] for s in layers], 0)  # type: ignore[index]  # (L, B, H)
        return TwinResult(output=inp, state=(h_n, c_n), layers=layers)
    return TwinResult(output=inp, state=h_n, layers=layers)
