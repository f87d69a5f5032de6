"""Frozen settings for data, model and training, saved as JSON with every run.

Each dataclass validates itself on construction (:meth:`validate` raises
:class:`~rnnviz.core.errors.ConfigError` with a message that names the field and its
allowed range) and round-trips through ``to_dict`` / ``from_dict``. Unknown keys in
``from_dict`` are refused, so a typo in a session or model file is reported, not ignored.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rnnviz.core.errors import ConfigError

T = TypeVar("T", bound="_Config")

CELLS = ("rnn", "lstm", "gru", "lstm_peephole", "lstm_coupled")
"""Cell types. The two LSTM variants train through the hand-written cells (slower)."""
FUSED_CELLS = ("rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu")
OUTPUTS = ("last", "sequence")
INITS = ("default", "orthogonal")
MISSING_POLICIES = ("interpolate", "ffill", "drop")
SCALERS = ("standard", "minmax", "none")
RESAMPLE_HOW = ("mean", "sum")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad")
SCHEDULES = ("constant", "step", "cosine", "plateau")
LOSSES = ("mse", "mae", "huber")
DEVICES = ("cpu", "cuda", "auto")


RESAMPLE_EXAMPLES = "30min, 1h, 1D, 7D or MS (month start)"
"""Valid resampling steps, for messages."""

# units pandas no longer reads, and what to write instead ({n}: the number given)
_OLD_UNITS = {"H": "{n}h", "T": "{n}min", "S": "{n}s", "L": "{n}ms", "U": "{n}us",
              "N": "{n}ns", "M": "{n}MS (month start) or {n}ME (month end)",
              "A": "{n}YS (year start) or {n}YE (year end)",
              "Y": "{n}YS (year start) or {n}YE (year end)",
              "Q": "{n}QS (quarter start) or {n}QE (quarter end)"}


def parse_resample(rule: str) -> Any:
    """Check a resampling step (``"30min"``, ``"1h"``, ``"1D"``, ``"MS"``) and return it as a
    pandas offset.

    Parameters
    ----------
    rule : str
        A pandas offset alias: a whole or decimal number (optional, 1 by default) and a unit:
        ``s``, ``min``, ``h``, ``D``, ``W``, ``MS`` (month start), ``QS``, ``YS``...

    Returns
    -------
    pandas.DateOffset

    Raises
    ------
    ConfigError
        ``bad_period`` for anything pandas cannot read, an old unit it no longer reads
        (``1H``: the message gives ``1h``), or a step that is not positive (``0h``); the
        message has valid examples, never pandas' own error text.
    """
    from pandas.tseries.frequencies import to_offset

    text = str(rule).strip() if rule is not None else ""
    offset = None
    if text:
        try:
            offset = to_offset(text)
        except (ValueError, TypeError, OverflowError):
            offset = None
    if offset is None:
        hint = ""
        m = re.fullmatch(r"(\d*\.?\d*)\s*([A-Za-z]+)", text)
        if m and m.group(2) in _OLD_UNITS:
            instead = _OLD_UNITS[m.group(2)].format(n=m.group(1))
            hint = f": pandas no longer reads the unit {m.group(2)!r}; write {instead}"
        what = f"{text!r} is not" if text else "An empty text is not"
        raise ConfigError(
            "bad_period",
            f"{what} a resampling step rnnviz can use{hint}. A step is a number and a unit, e.g. "
            f"{RESAMPLE_EXAMPLES}; the units are s, min, h, D (days), W (weeks), MS, QS and YS "
            "(month, quarter and year starts).",
        )
    if getattr(offset, "n", 1) <= 0:
        raise ConfigError(
            "bad_period",
            f"The resampling step {text!r} is not longer than zero. Use a positive step, e.g. "
            f"{RESAMPLE_EXAMPLES}.",
        )
    return offset


class _Config:
    """Shared behaviour of the settings dataclasses."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:  # pragma: no cover - overridden
        """Raise ConfigError when a field is out of range."""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (tuples become lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Build from a dict such as :meth:`to_dict` wrote; unknown keys are an error."""
        if not isinstance(data, dict):
            raise ConfigError("bad_config", f"{cls.__name__} settings must be a JSON object.")
        names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ConfigError(
                "unknown_setting",
                f"Unknown {cls.__name__} setting(s): {', '.join(unknown)}. "
                f"Known settings: {', '.join(names)}.",
            )
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ConfigError("bad_config", f"Bad {cls.__name__} settings: {exc}") from None

    def replace(self: T, **changes: Any) -> T:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def check_live_lr(lr: Any) -> float:
    """A learning rate set while training runs: above 0 and at most 10.

    Raises
    ------
    ConfigError
        For anything else (the message names the allowed range).
    """
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (0 < lr <= 10):
        raise ConfigError("out_of_range",
                          f"The learning rate must be above 0 and at most 10; got {lr!r}.")
    return float(lr)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(
            "bad_choice", f"{name} must be one of {', '.join(choices)}; got {value!r}."
        )


def _check_range(name: str, value: Any, lo: float, hi: float, *, integer: bool = False) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not (lo <= value <= hi):
        what = "a whole number" if integer else "a number"
        raise ConfigError(
            "out_of_range", f"{name} must be {what} from {lo:g} to {hi:g}; got {value!r}."
        )


@dataclass(frozen=True)
class DataConfig(_Config):
    """How a table becomes training windows.

    Attributes
    ----------
    time_column : str or None
        Column holding the time stamps; ``None`` uses the row number.
    target : str or None
        Column to forecast; ``None`` means the first numeric column.
    inputs : tuple of str
        Extra input columns (multivariate). The target is always an input too.
    missing : {"interpolate", "ffill", "drop"}
        What to do with missing values. NaN never reaches a model.
    resample : str or None
        A pandas offset alias (``"1h"``, ``"1D"``) to regularise the time step.
    resample_how : {"mean", "sum"}
        Aggregation for resampling ("sum" for totals such as energy per period).
    split : tuple of float
        Train, validation and test fractions (chronological); they must sum to 1.
    scaler : {"standard", "minmax", "none"}
        Scaling fitted on the training part only.
    lookback : int
        Number of past time steps the model sees (the window length T).
    horizon : int
        Number of future steps predicted at once.
    step : int
        Sampling stride inside a window (the Jena generator's ``step``).
    delay : int
        Extra steps between the end of the window and the first predicted step.
    stride : int
        Distance between the starts of consecutive windows.
    season : int or None
        Season length for the seasonal-naive baseline; ``None`` infers it from the step.
    """

    time_column: str | None = None
    target: str | None = None
    inputs: tuple[str, ...] = ()
    missing: str = "interpolate"
    resample: str | None = None
    resample_how: str = "mean"
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    scaler: str = "standard"
    lookback: int = 24
    horizon: int = 1
    step: int = 1
    delay: int = 0
    stride: int = 1
    season: int | None = None

    def validate(self) -> None:
        _check_choice("missing", self.missing, MISSING_POLICIES)
        _check_choice("resample_how", self.resample_how, RESAMPLE_HOW)
        _check_choice("scaler", self.scaler, SCALERS)
        _check_range("lookback", self.lookback, 1, 100_000, integer=True)
        _check_range("horizon", self.horizon, 1, 10_000, integer=True)
        _check_range("step", self.step, 1, 10_000, integer=True)
        _check_range("delay", self.delay, 0, 100_000, integer=True)
        _check_range("stride", self.stride, 1, 100_000, integer=True)
        if self.season is not None:
            _check_range("season", self.season, 1, 100_000, integer=True)
        if len(self.split) != 3 or any(
            isinstance(x, bool) or not isinstance(x, (int, float)) or x < 0 for x in self.split
        ):
            raise ConfigError(
                "bad_split", f"split must be three non-negative fractions; got {self.split!r}."
            )
        if abs(sum(self.split) - 1.0) > 1e-6 or self.split[0] <= 0:
            raise ConfigError(
                "bad_split",
                f"split fractions must sum to 1 with a non-empty training part; got {self.split!r}.",
            )


@dataclass(frozen=True)
class ModelConfig(_Config):
    """The recurrent network.

    Attributes
    ----------
    cell : {"rnn", "lstm", "gru", "lstm_peephole", "lstm_coupled"}
        Cell type. The LSTM variants train through hand-written cells (slower).
    hidden : int
        Hidden units per layer.
    layers : int
        Stacked recurrent layers (1-4).
    dropout : float
        Dropout between recurrent layers and before the head.
    nonlinearity : {"tanh", "relu"}
        Plain RNN only.
    output : {"last", "sequence"}
        Many-to-one (head on the last step) or many-to-many (head on every step).
    init : {"default", "orthogonal"}
        PyTorch's default initialisation, or orthogonal recurrent weights.
    forget_bias : float or None
        LSTM forget-gate bias at start (1.0 helps memory); ``None`` keeps the default.
    spectral_radius : float or None
        Plain RNN: rescale the recurrent matrix to this spectral radius (<1 vanishes, >1 explodes).
    bias : bool
        Use bias terms in the recurrent layers.
    """

    cell: str = "lstm"
    hidden: int = 32
    layers: int = 1
    dropout: float = 0.0
    nonlinearity: str = "tanh"
    output: str = "last"
    init: str = "default"
    forget_bias: float | None = None
    spectral_radius: float | None = None
    bias: bool = True

    def validate(self) -> None:
        _check_choice("cell", self.cell, CELLS)
        _check_choice("nonlinearity", self.nonlinearity, NONLINEARITIES)
        _check_choice("output", self.output, OUTPUTS)
        _check_choice("init", self.init, INITS)
        _check_range("hidden", self.hidden, 1, 4096, integer=True)
        _check_range("layers", self.layers, 1, 4, integer=True)
        _check_range("dropout", self.dropout, 0.0, 0.9)
        if self.forget_bias is not None:
            _check_range("forget_bias", self.forget_bias, -10.0, 10.0)
        if self.spectral_radius is not None:
            _check_range("spectral_radius", self.spectral_radius, 0.0, 10.0)

    @property
    def fused(self) -> bool:
        """True when training uses PyTorch's fused module (fast)."""
        return self.cell in FUSED_CELLS


@dataclass(frozen=True)
class TrainConfig(_Config):
    """How the model is trained.

    Attributes
    ----------
    optimizer : {"adam", "adamw", "sgd", "rmsprop", "adagrad"}
    lr : float
        Learning rate (may be changed while training runs).
    momentum : float
        SGD momentum.
    schedule : {"constant", "step", "cosine", "plateau"}
    schedule_step : int
        Epochs between decays for the "step" schedule.
    schedule_gamma : float
        Decay factor for "step" and "plateau".
    batch_size : int
    epochs : int
    loss : {"mse", "mae", "huber"}
    clip_norm : float or None
        Clip the global gradient norm to this value.
    clip_value : float or None
        Clip each gradient element to ±value.
    weight_decay : float
    patience : int or None
        Early stopping: epochs without validation improvement before stopping.
    restore_best : bool
        At the end, and after a divergence, restore the weights of the best validation
        epoch (a divergence in the first epoch keeps the last finite step's).
    seed : int
    threads : int or None
        torch threads (process-wide); ``None`` leaves torch's default.
    device : {"cpu", "cuda", "auto"}
    probe_every_batches : int or None
        Probe every N batches.
    probe_every_seconds : float or None
        Probe at most every S seconds (used when ``probe_every_batches`` is None).
    probe_windows : int
        Number of fixed windows each probe replays.
    max_batches_per_epoch : int or None
        Cap on batches per epoch (for quick demos and lessons).
    """

    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    schedule: str = "constant"
    schedule_step: int = 10
    schedule_gamma: float = 0.5
    batch_size: int = 64
    epochs: int = 20
    loss: str = "mse"
    clip_norm: float | None = None
    clip_value: float | None = None
    weight_decay: float = 0.0
    patience: int | None = None
    restore_best: bool = True
    seed: int = 0
    threads: int | None = None
    device: str = "cpu"
    probe_every_batches: int | None = None
    probe_every_seconds: float | None = 0.5
    probe_windows: int = 4
    max_batches_per_epoch: int | None = None

    def validate(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("schedule", self.schedule, SCHEDULES)
        _check_choice("loss", self.loss, LOSSES)
        _check_choice("device", self.device, DEVICES)
        _check_range("lr", self.lr, 1e-8, 10.0)
        _check_range("momentum", self.momentum, 0.0, 0.999)
        _check_range("schedule_step", self.schedule_step, 1, 100_000, integer=True)
        _check_range("schedule_gamma", self.schedule_gamma, 1e-4, 1.0)
        _check_range("batch_size", self.batch_size, 1, 65_536, integer=True)
        _check_range("epochs", self.epochs, 1, 100_000, integer=True)
        _check_range("weight_decay", self.weight_decay, 0.0, 1.0)
        _check_range("seed", self.seed, 0, 2**32 - 1, integer=True)
        _check_range("probe_windows", self.probe_windows, 1, 64, integer=True)
        if self.clip_norm is not None:
            _check_range("clip_norm", self.clip_norm, 1e-6, 1e6)
        if self.clip_value is not None:
            _check_range("clip_value", self.clip_value, 1e-6, 1e6)
        if self.patience is not None:
            _check_range("patience", self.patience, 1, 100_000, integer=True)
        if self.threads is not None:
            _check_range("threads", self.threads, 1, 256, integer=True)
        if self.probe_every_batches is not None:
            _check_range("probe_every_batches", self.probe_every_batches, 1, 10**9, integer=True)
        if self.probe_every_seconds is not None:
            _check_range("probe_every_seconds", self.probe_every_seconds, 0.0, 3600.0)
        if self.max_batches_per_epoch is not None:
            _check_range("max_batches_per_epoch", self.max_batches_per_epoch, 1, 10**9, integer=True)


@dataclass(frozen=True)
class RunConfig(_Config):
    """Everything a run needs, saved as ``settings.json`` / inside ``model.json``."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> None:
        for name, kind in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig)):
            if not isinstance(getattr(self, name), kind):
                raise ConfigError("bad_config", f"RunConfig.{name} must be a {kind.__name__}.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data.to_dict(),
            "model": self.model.to_dict(),
            "train": self.train.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:  # type: ignore[override]
        if not isinstance(data, dict):
            raise ConfigError("bad_config", "Run settings must be a JSON object.")
        unknown = sorted(set(data) - {"data", "model", "train"})
        if unknown:
            raise ConfigError("unknown_setting", f"Unknown run setting(s): {', '.join(unknown)}.")
        return cls(
            data=DataConfig.from_dict(data.get("data", {})),
            model=ModelConfig.from_dict(data.get("model", {})),
            train=TrainConfig.from_dict(data.get("train", {})),
        )
