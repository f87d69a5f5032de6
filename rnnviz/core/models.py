"""The forecaster that trains: a recurrent part and a linear head.

``rnn``, ``lstm`` and ``gru`` use PyTorch's fused ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``
(``batch_first=True``) because they are fast. The teaching variants ``lstm_peephole`` and
``lstm_coupled`` have no fused module; :class:`VariantLSTM` holds their parameters with the
same naming style (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, plus
the peephole vectors ``weight_ci_l0``, ``weight_cf_l0``, ``weight_co_l0``) and trains through
the hand-written cells of :mod:`rnnviz.core.cells`.

State-dict names: ``rnn.<torch name>`` for the recurrent part, ``head.weight`` and
``head.bias`` for the head, so ``rnn.*`` loads straight into a plain ``torch.nn.LSTM``.

Initialisation knobs (:class:`~rnnviz.core.config.ModelConfig`):

- ``init="orthogonal"``: each H x H gate block of every ``weight_hh`` is made orthogonal.
- ``forget_bias`` (LSTM family): the forget-gate rows of ``bias_ih`` get the value and the
  same rows of ``bias_hh`` get 0, so the effective forget bias (their sum) is exactly the
  value. Other cells ignore it (listed in :attr:`Forecaster.notes`).
- ``spectral_radius`` (plain RNN): ``weight_hh`` of every layer is rescaled so that its
  largest eigenvalue modulus (``torch.linalg.eigvals``) equals the value; applied after
  ``init``. Other cells ignore it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from rnnviz.core.cells import GATE_BLOCKS, LSTM_FAMILY, PEEPHOLE_NAMES, State, twin_forward
from rnnviz.core.config import ModelConfig
from rnnviz.core.devices import resolve_device
from rnnviz.core.errors import ConfigError

__all__ = [
    "Forecaster",
    "VariantLSTM",
    "build_model",
    "group_grad_norms",
    "param_groups",
    "resolve_device",
]

GROUPS = ("input", "recurrent", "bias", "head")

SLOWDOWN = {"lstm_peephole": 4, "lstm_coupled": 3}
"""Rounded worst-case training-step time of the variants relative to fused ``nn.LSTM``.

Measured on a loaded 2-core CPU, one thread, Adam, batch 64: peephole 4.4x / coupled 3.3x
at T50/H32, 2.1x / 1.3x at T50/H128, about 1x at T200/H64 (the loop's per-step overhead
matters less as the matrices grow)."""


class VariantLSTM(nn.Module):
    """A stacked peephole or coupled-gate LSTM with torch-style parameter names.

    Parameters
    ----------
    cell_type : {"lstm_peephole", "lstm_coupled"}
    input_size : int
        Features F of the first layer's input.
    hidden_size : int
        Hidden units H.
    num_layers : int
    bias : bool
    dropout : float
        Dropout on the outputs of every layer but the last (train mode only), as
        ``nn.LSTM`` does.

    Notes
    -----
    Input is batch-first (B, T, F); the state is ``(h, c)``, each (L, B, H), as for
    ``nn.LSTM``. Parameters start uniform in ``[-1/sqrt(H), 1/sqrt(H)]`` like PyTorch's.
    """

    batch_first = True

    def __init__(self, cell_type: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        if cell_type not in ("lstm_peephole", "lstm_coupled"):
            raise ValueError(f"VariantLSTM cell_type must be a LSTM variant, got {cell_type!r}")
        self.cell_type = cell_type
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.dropout = float(dropout)
        G = GATE_BLOCKS[cell_type]
        H = hidden_size
        for k in range(num_layers):
            n_in = input_size if k == 0 else H
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(G * H, n_in)))
            self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(G * H, H)))
            if bias:
                self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(G * H)))
                self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(G * H)))
        if cell_type == "lstm_peephole":
            for k in range(num_layers):
                for name in PEEPHOLE_NAMES:
                    self.register_parameter(f"{name}_l{k}", nn.Parameter(torch.empty(H)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's RNN initialisation: every parameter uniform in ±1/sqrt(H)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Run the layers.

        Parameters
        ----------
        x : Tensor, shape (B, T, F)
        state : tuple of Tensor, each (L, B, H), optional

        Returns
        -------
        output : Tensor, shape (B, T, H)
        state : tuple of Tensor ``(h_n, c_n)``, each (L, B, H)
        """
        res = twin_forward(self, x, state, training=self.training)
        return res.output, res.state

    def extra_repr(self) -> str:
        return (f"{self.cell_type}, {self.input_size}, {self.hidden_size}, "
                f"num_layers={self.num_layers}, bias={self.bias}, dropout={self.dropout}")


class Forecaster(nn.Module):
    """Recurrent layers plus a linear head to ``horizon x n_targets`` values.

    Parameters
    ----------
    cfg : ModelConfig
    n_features : int
        Input features F per time step.
    horizon : int
        Future steps predicted at once.
    n_targets : int
        Target series K.

    Attributes
    ----------
    rnn : nn.Module
        ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (fused) or :class:`VariantLSTM`.
    dropout : nn.Dropout
        Before the head.
    head : nn.Linear
        (H -> horizon * K).
    notes : tuple of str
        Settings that were ignored for this cell type, in words.
    """

    def __init__(self, cfg: ModelConfig, n_features: int, horizon: int, n_targets: int) -> None:
        super().__init__()
        for name, value in (("n_features", n_features), ("horizon", horizon),
                            ("n_targets", n_targets)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError("out_of_range", f"{name} must be a whole number >= 1; got {value!r}.")
        self.cfg = cfg
        self.n_features = n_features
        self.horizon = horizon
        self.n_targets = n_targets
        between = cfg.dropout if cfg.layers > 1 else 0.0
        common = dict(input_size=n_features, hidden_size=cfg.hidden, num_layers=cfg.layers,
                      bias=cfg.bias, dropout=between)
        if cfg.cell == "lstm":
            self.rnn: nn.Module = nn.LSTM(batch_first=True, **common)
        elif cfg.cell == "gru":
            self.rnn = nn.GRU(batch_first=True, **common)
        elif cfg.cell == "rnn":
            self.rnn = nn.RNN(batch_first=True, nonlinearity=cfg.nonlinearity, **common)
        else:
            self.rnn = VariantLSTM(cfg.cell, **common)
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, horizon * n_targets)
        self.notes = _initialise(self.rnn, cfg)

    @property
    def cell_type(self) -> str:
        """``rnn``, ``lstm``, ``gru``, ``lstm_peephole`` or ``lstm_coupled``."""
        return self.cfg.cell

    @property
    def fused(self) -> bool:
        """True when the recurrent part is PyTorch's fused module (fast training)."""
        return self.cfg.cell in ("rnn", "lstm", "gru")

    @property
    def slow(self) -> bool:
        """True for the variants that train through the hand-written cells."""
        return not self.fused

    @property
    def speed_note(self) -> str:
        """A sentence for the window and the CLI; empty for fused cells."""
        if self.fused:
            return ""
        name = {"lstm_peephole": "Peephole LSTM", "lstm_coupled": "Coupled-gate LSTM"}[self.cfg.cell]
        return (f"{name} trains through hand-written cells: up to about "
                f"{SLOWDOWN[self.cfg.cell]}x slower than the standard LSTM (most at small sizes).")

    @property
    def device(self) -> torch.device:
        """Device of the parameters."""
        return self.head.weight.device

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Forecast from a batch of windows.

        Parameters
        ----------
        x : Tensor, shape (B, T, F)
        state : Tensor or tuple of Tensor, optional
            A state returned by an earlier call, to continue the same sequences (a recursive
            forecast feeds ``x`` of shape (B, 1, F) one step at a time).

        Returns
        -------
        y_hat : Tensor
            (B, horizon, K) for ``output="last"``; (B, T, horizon, K) for ``"sequence"``.
        state : Tensor (L, B, H) or tuple ``(h, c)`` of them
        """
        out, state = self.rnn(x, state)  # (B, T, H)
        return self.readout(out), state

    def readout(self, out: Tensor) -> Tensor:
        """Apply dropout and the head to the last layer's hidden states.

        Parameters
        ----------
        out : Tensor, shape (B, T, H)

        Returns
        -------
        Tensor
            (B, horizon, K) or (B, T, horizon, K), as :meth:`forward`.
        """
        B, T, _ = out.shape
        if self.cfg.output == "last":
            y = self.head(self.dropout(out[:, -1]))  # (B, horizon * K)
            return y.view(B, self.horizon, self.n_targets)  # (B, horizon, K)
        y = self.head(self.dropout(out))  # (B, T, horizon * K)
        return y.view(B, T, self.horizon, self.n_targets)  # (B, T, horizon, K)


def _initialise(rnn: nn.Module, cfg: ModelConfig) -> tuple[str, ...]:
    """Apply ``init``, ``forget_bias`` and ``spectral_radius``; return notes on ignored ones."""
    notes: list[str] = []
    kind = cfg.cell
    H = cfg.hidden
    G = GATE_BLOCKS[kind]
    if cfg.forget_bias is not None:
        if kind not in LSTM_FAMILY:
            notes.append(f"forget_bias applies to LSTM cells only; ignored for {kind}.")
        elif not cfg.bias:
            raise ConfigError(
                "forget_bias_without_bias",
                "forget_bias needs bias terms; turn bias on or leave forget_bias empty.",
            )
    if cfg.spectral_radius is not None and kind != "rnn":
        notes.append(f"spectral_radius applies to plain RNNs only; ignored for {kind}.")
    with torch.no_grad():
        for k in range(cfg.layers):
            W_hh = getattr(rnn, f"weight_hh_l{k}")  # (G*H, H)
            if cfg.init == "orthogonal":
                for g in range(G):
                    nn.init.orthogonal_(W_hh[g * H:(g + 1) * H])
            if kind == "rnn" and cfg.spectral_radius is not None:
                rho = torch.linalg.eigvals(W_hh.double()).abs().max()
                if float(rho) > 0.0:
                    W_hh.mul_(cfg.spectral_radius / float(rho))
            if kind in LSTM_FAMILY and cfg.forget_bias is not None:
                rows = slice(0, H) if kind == "lstm_coupled" else slice(H, 2 * H)
                getattr(rnn, f"bias_ih_l{k}")[rows] = cfg.forget_bias
                getattr(rnn, f"bias_hh_l{k}")[rows] = 0.0
    return tuple(notes)


def build_model(cfg: ModelConfig, n_features: int, horizon: int, n_targets: int,
                device: str | torch.device = "cpu") -> Forecaster:
    """Build a forecaster and move it to a device.

    Parameters
    ----------
    cfg : ModelConfig
    n_features : int
    horizon : int
    n_targets : int
    device : {"cpu", "cuda", "auto"} or torch.device

    Returns
    -------
    Forecaster
        In train mode, float32, on ``device``. Initialisation uses torch's global RNG (seed
        it first for a reproducible model).
    """
    dev = resolve_device(device)
    model = Forecaster(cfg, n_features, horizon, n_targets)
    return model.to(dev)


def param_groups(model: Forecaster) -> dict[str, list[nn.Parameter]]:
    """Split the parameters into the groups the gradient-norm plot shows.

    Returns
    -------
    dict
        ``input``: every ``weight_ih``; ``recurrent``: every ``weight_hh`` and the peephole
        vectors (they feed the cell state back); ``bias``: the recurrent biases; ``head``:
        the head's weight and bias.
    """
    groups: dict[str, list[nn.Parameter]] = {g: [] for g in GROUPS}
    for name, p in model.named_parameters():
        if name.startswith("head."):
            groups["head"].append(p)
        elif name.startswith("rnn.weight_ih"):
            groups["input"].append(p)
        elif name.startswith("rnn.weight_"):
            groups["recurrent"].append(p)
        elif name.startswith("rnn.bias"):
            groups["bias"].append(p)
        else:  # pragma: no cover - every parameter above has a group
            raise RuntimeError(f"parameter {name} has no group")
    return groups


def group_grad_norms(model: Forecaster) -> dict[str, float]:
    """L2 norm of the gradient of each parameter group (call after ``backward``).

    One fused norm over all gradients and a single device-to-host transfer, so it is cheap
    enough to call every batch. Parameters without a gradient count as zero; an empty group
    (``bias`` when bias is off) reports 0.0.

    Returns
    -------
    dict of str to float
        Keys ``input``, ``recurrent``, ``bias``, ``head``.
    """
    grads: list[Tensor] = []
    owner: list[int] = []
    for i, (_, params) in enumerate(param_groups(model).items()):
        for p in params:
            if p.grad is not None:
                grads.append(p.grad)
                owner.append(i)
    if not grads:
        return dict.fromkeys(GROUPS, 0.0)
    norms = _foreach_norm(grads)  # (P,)
    index = torch.tensor(owner, device=norms.device)
    sq = torch.zeros(len(GROUPS), dtype=norms.dtype, device=norms.device)
    sq.index_add_(0, index, norms.square())  # (4,)
    values = sq.sqrt().tolist()  # the one sync
    return dict(zip(GROUPS, (float(v) for v in values), strict=True))


def _foreach_norm(tensors: list[Tensor]) -> Tensor:
    """Per-tensor L2 norms as one (P,) float32 tensor."""
    fn = getattr(torch, "_foreach_norm", None)
    if fn is not None:
        return torch.stack(fn(tensors)).float()
    return torch.stack([torch.linalg.vector_norm(t) for t in tensors]).float()  # pragma: no cover
