"""Model & training panel: every engine setting, with working defaults and teaching tooltips.

The panel is built from :data:`FIELDS`, one entry per setting of
:class:`~rnnviz.core.config.ModelConfig`, :class:`~rnnviz.core.config.TrainConfig` and the
window settings of :class:`~rnnviz.core.config.DataConfig`. Each entry names the widget, the
range (the same ranges the config classes validate) and a tooltip that explains what the
setting does to the network. Settings that do not apply to the chosen cell or optimiser are
disabled, not hidden, so their tooltips still teach.

While a run trains, :meth:`ModelPanel.set_training` freezes everything except the learning
rate, which the engine applies from the next batch (:attr:`ModelPanel.lr_changed`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core import config as C
from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ConfigError

WINDOW_FIELDS = ("lookback", "horizon", "step", "delay", "stride", "season")
"""DataConfig fields this panel edits (the rest belong to the data panel)."""


@dataclass(frozen=True)
class Field:
    """One setting shown in the panel.

    Attributes
    ----------
    group : {"data", "model", "train"}
        Which part of :class:`RunConfig` holds it.
    name : str
        Field name in that dataclass.
    label : str
    kind : {"int", "float", "log", "choice", "bool"}
        ``log`` is a float edited in scientific notation (learning rate, decay).
    lo, hi : float
        Allowed range (as validated by the config class).
    optional : bool
        ``None`` is allowed: a check box turns the setting on or off.
    on_value : float
        Value the spin box shows when an optional setting is switched on.
    choices : tuple of str
    tip : str
        Tooltip: what the setting does.
    section : str
    decimals : int
    """

    group: str
    name: str
    label: str
    kind: str
    tip: str
    section: str
    lo: float = 0
    hi: float = 0
    optional: bool = False
    on_value: float = 0.0
    choices: tuple[str, ...] = ()
    decimals: int = 2
    single_step: float = 1.0


FIELDS: tuple[Field, ...] = (
    # ------------------------------------------------------------------ windows
    Field("data", "lookback", "Lookback (T)", "int",
          "How many past time steps the network reads before each prediction (the window "
          "length T). Longer windows can use older history, but the error signal must travel "
          "further back through time: watch the Gradients view. The series plot in the Data "
          "panel draws the window.", "Windows", 1, 100_000),
    Field("data", "horizon", "Horizon", "int",
          "How many future steps one window predicts at once (direct multi-step). 1 predicts "
          "the next step only; the recursive forecast then feeds each prediction back in as "
          "the next input. Drawn after the lookback on the series plot.", "Windows", 1, 10_000),
    Field("data", "step", "Step inside window", "int",
          "Use every step-th row inside a window, like the Jena climate generator's step=6 "
          "(hourly samples from 10-minute data). The window then spans (lookback-1)×step+1 "
          "rows: longer history for the same T.", "Windows", 1, 10_000),
    Field("data", "delay", "Delay", "int",
          "Gap in rows between the last input and the first predicted row. 0 predicts the very "
          "next row; 24 on hourly data predicts one day after the window ends.",
          "Windows", 0, 100_000),
    Field("data", "stride", "Stride between windows", "int",
          "Distance between the first rows of consecutive windows. 1 uses every possible "
          "window; larger values give fewer, less overlapping windows and faster epochs.",
          "Windows", 1, 100_000),
    Field("data", "season", "Season length", "int",
          "Season length in rows for the seasonal-naive baseline (7 for daily data with a weekly "
          "cycle, 12 for monthly, 24 for hourly). Off: inferred from the time step.",
          "Windows", 1, 100_000, optional=True, on_value=12),
    # ------------------------------------------------------------------ model
    Field("model", "cell", "Cell", "choice",
          "rnn: one tanh layer; simple, but it forgets quickly and its gradients vanish over "
          "long windows.\nlstm: a cell state guarded by input, forget and output gates; it can "
          "keep information for many steps.\ngru: reset and update gates; LSTM-like memory with "
          "fewer weights.\nlstm_peephole / lstm_coupled: LSTM variants from the lectures; they "
          "train through hand-written cells (about 3× slower).", "Model", choices=C.CELLS),
    Field("model", "hidden", "Hidden units", "int",
          "Units in each recurrent layer: the size of the hidden state h_t (and cell state c_t). "
          "More units fit more patterns but train slower and overfit short series.",
          "Model", 1, 4096),
    Field("model", "layers", "Layers", "int",
          "Stacked recurrent layers; each reads the sequence of hidden states of the layer "
          "below. Two layers help on rich data; one is enough for most single series.",
          "Model", 1, 4),
    Field("model", "dropout", "Dropout", "float",
          "Fraction of units zeroed at random while training, between stacked layers and before "
          "the output head. Fights overfitting on small data; it is off when predicting. "
          "0 turns it off.", "Model", 0.0, 0.9, decimals=2, single_step=0.05),
    Field("model", "nonlinearity", "Nonlinearity", "choice",
          "Plain RNN only. tanh keeps h_t between -1 and 1; relu is unbounded, which can make "
          "the state and the gradients explode.", "Model", choices=C.NONLINEARITIES),
    Field("model", "output", "Output", "choice",
          "last: one prediction from the final time step (many-to-one).\nsequence: a prediction "
          "at every time step (many-to-many): more training signal from each window.",
          "Model", choices=C.OUTPUTS),
    Field("model", "init", "Initialisation", "choice",
          "default: PyTorch's uniform start.\northogonal: recurrent weights start as an "
          "orthogonal matrix, which keeps the size of the state (and of the gradient) through "
          "time: easier learning over long windows.", "Model", choices=C.INITS),
    Field("model", "forget_bias", "Forget-gate bias", "float",
          "LSTM only. The starting bias of the forget gate f_t. With 1.0 (the classic choice) "
          "f_t starts near sigmoid(1) ≈ 0.73, so the cell state is mostly kept rather than "
          "wiped at each step: the network starts out remembering and learns long-range "
          "patterns sooner. Watch the forget gate in the Gates view. Off: PyTorch's default "
          "(about 0, f_t ≈ 0.5).", "Model", -10.0, 10.0, optional=True, on_value=1.0,
          decimals=2, single_step=0.5),
    Field("model", "spectral_radius", "Spectral radius", "float",
          "Plain RNN only. Rescales the recurrent weight matrix so its largest eigenvalue has "
          "this size. Below 1 the state, and the gradient flowing back in time, shrinks at every "
          "step (vanishing); above 1 it grows (exploding). Try 0.5 and then 3, and watch the "
          "Gradients view. Off: PyTorch's initialisation.", "Model", 0.0, 10.0,
          optional=True, on_value=1.0, decimals=2, single_step=0.1),
    Field("model", "bias", "Bias terms", "bool",
          "Use bias vectors in the recurrent layers and their gates; without them every gate "
          "starts from 0.5 and cannot be shifted.", "Model"),
    # ------------------------------------------------------------------ training
    Field("train", "optimizer", "Optimiser", "choice",
          "adam: adapts every weight's step size; a good default.\nadamw: Adam with decoupled "
          "weight decay.\nsgd: plain gradient descent with momentum, the classic.\nrmsprop: "
          "popular for RNNs before Adam.\nadagrad: steps shrink over time.", "Training",
          choices=C.OPTIMIZERS),
    Field("train", "lr", "Learning rate", "log",
          "Size of each update step. Too small: slow progress. Too large: the loss jumps "
          "around or becomes NaN (the run then pauses and says so). Adam: start at 1e-3; SGD "
          "often needs 1e-2. This is the one setting you can change while training: the new "
          "value applies from the next batch.", "Training", 1e-8, 10.0),
    Field("train", "momentum", "Momentum", "float",
          "SGD only. Keeps a running average of past gradients so updates roll through small "
          "bumps; 0.9 is usual, 0 is plain SGD.", "Training", 0.0, 0.999, decimals=3,
          single_step=0.05),
    Field("train", "schedule", "LR schedule", "choice",
          "constant: the learning rate stays as set.\nstep: multiplied by the decay factor "
          "every N epochs.\ncosine: glides down to near zero over the run.\nplateau: "
          "multiplied by the decay factor when the validation loss stops improving.",
          "Training", choices=C.SCHEDULES),
    Field("train", "schedule_step", "Schedule: every N epochs", "int",
          "Step schedule: epochs between two decays of the learning rate (big steps early, "
          "fine steps late).", "Training", 1, 100_000),
    Field("train", "schedule_gamma", "Schedule: decay factor", "float",
          "Step and plateau schedules: the learning rate is multiplied by this factor at "
          "each decay (0.5 halves it).", "Training", 1e-4, 1.0, decimals=4, single_step=0.05),
    Field("train", "batch_size", "Batch size", "int",
          "Windows per update step. Small batches give noisy but frequent updates; large ones "
          "are smoother and use the CPU better.", "Training", 1, 65_536),
    Field("train", "epochs", "Epochs", "int",
          "Passes over all training windows. Watch the validation loss: when it stops "
          "falling, more epochs only memorise the training part.", "Training", 1, 100_000),
    Field("train", "loss", "Loss", "choice",
          "mse: squared error; punishes large misses most.\nmae: absolute error; every miss "
          "counts alike, robust to outliers.\nhuber: squared near zero, absolute for large "
          "errors.", "Training", choices=C.LOSSES),
    Field("train", "clip_norm", "Clip gradient norm", "float",
          "Gradient clipping: when the length of the whole gradient exceeds this value, it is "
          "scaled down to it before the update. One exploding batch can then no longer wreck "
          "the weights: the standard cure for unstable RNN training. 1.0 is common. The "
          "Gradients view shows the norm before clipping. Off: never clip.", "Training",
          1e-6, 1e6, optional=True, on_value=1.0, decimals=3, single_step=0.5),
    Field("train", "clip_value", "Clip gradient value", "float",
          "Clip every gradient element to ±value. Cruder than clipping the norm (it changes "
          "the gradient's direction); prefer the norm. Off: never clip.", "Training",
          1e-6, 1e6, optional=True, on_value=1.0, decimals=3, single_step=0.5),
    Field("train", "weight_decay", "Weight decay", "log",
          "Pulls all weights a little toward zero at every step (L2 regularisation). Small "
          "values such as 1e-4 reduce overfitting; 0 turns it off.", "Training", 0.0, 1.0),
    Field("train", "patience", "Early stopping patience", "int",
          "Stop when the validation loss has not improved for this many epochs. Off: train "
          "every epoch.", "Training", 1, 100_000, optional=True, on_value=5),
    Field("train", "restore_best", "Restore best epoch", "bool",
          "When training ends, put back the weights of the epoch with the lowest validation "
          "loss.", "Training"),
    Field("train", "seed", "Seed", "int",
          "Random seed for the starting weights and the batch order: the same seed, data and "
          "settings give the same losses on this machine.", "Training", 0, 2**31 - 1),
    # ------------------------------------------------------------------ probing and speed
    Field("train", "probe_every_seconds", "Probe every (s)", "float",
          "How often the Gates, States, Gradients and Influence views get new data: the fixed "
          "probe windows are replayed through hand-written twin cells at most every this many "
          "seconds. Off: use 'Probe every N batches'.", "Probing and speed", 0.0, 3600.0,
          optional=True, on_value=0.5, decimals=2, single_step=0.25),
    Field("train", "probe_every_batches", "Probe every N batches", "int",
          "Probe after every N batches instead of by time (reproducible snapshots). Takes "
          "precedence over the seconds setting.", "Probing and speed", 1, 10**9,
          optional=True, on_value=50),
    Field("train", "probe_windows", "Probe windows", "int",
          "How many fixed windows each probe replays (the Gates view lets you pick one).",
          "Probing and speed", 1, 64),
    Field("train", "max_batches_per_epoch", "Max batches per epoch", "int",
          "Cap the batches of each epoch, for quick demonstrations on long series. Off: use "
          "every training window.", "Probing and speed", 1, 10**9, optional=True,
          on_value=50),
    Field("train", "threads", "Torch threads", "int",
          "CPU threads torch uses while training in the window. 1 keeps the window smooth on "
          "small machines; more can train large models faster but the screen may stutter. "
          "It applies to the whole program.", "Probing and speed", 1, 256),
    Field("train", "device", "Device", "choice",
          "cpu, cuda (an NVIDIA GPU) or auto (cuda when available). Small models are often "
          "faster on the CPU.", "Probing and speed", choices=C.DEVICES),
)

_CELL_ONLY = {"nonlinearity": ("rnn",), "spectral_radius": ("rnn",),
              "forget_bias": ("lstm", "lstm_peephole", "lstm_coupled")}
_OPT_ONLY = {"momentum": ("sgd", "rmsprop")}
_SCHEDULE_ONLY = {"schedule_step": ("step",), "schedule_gamma": ("step", "plateau")}


class SciSpinBox(QDoubleSpinBox):
    """A spin box for values spanning decades (learning rate): shown as ``1e-3``;
    the arrows multiply or divide by 10^(1/3) (three steps per decade)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:  # noqa: D102 - Qt override
        t = text.strip()
        if not t:
            return (QValidator.State.Intermediate, text, pos)
        try:
            v = float(t)
        except ValueError:
            ok = all(ch in "0123456789.eE+-" for ch in t)
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid, text, pos)
        if self.minimum() <= v <= self.maximum():
            return (QValidator.State.Acceptable, text, pos)
        return (QValidator.State.Intermediate, text, pos)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        v = self.value()
        if v <= 0:
            v = max(self.minimum(), 1e-6) if steps > 0 else 0.0
        else:
            v = v * 10 ** (steps / 3)
            v = float(f"{v:.2g}")
        self.setValue(min(max(v, self.minimum()), self.maximum()))


class _SettingEditor(QWidget):
    """Spin box / combo / check box for one :class:`Field`, with an on/off box if optional."""

    changed = Signal()

    def __init__(self, field: Field, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.toggle: QCheckBox | None = None
        if field.optional:
            self.toggle = QCheckBox(self)
            self.toggle.setToolTip(f"Switch {field.label.lower()} on or off")
            self.toggle.setAccessibleName(f"{field.label} on")
            lay.addWidget(self.toggle)
        w: QWidget
        if field.kind == "int":
            w = QSpinBox(self)
            w.setRange(int(field.lo), int(min(field.hi, 2**31 - 1)))
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self.changed)
        elif field.kind == "float":
            w = QDoubleSpinBox(self)
            w.setDecimals(field.decimals)
            w.setRange(field.lo, field.hi)
            w.setSingleStep(field.single_step)
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self.changed)
        elif field.kind == "log":
            w = SciSpinBox(self)
            w.setRange(field.lo, field.hi)
            w.valueChanged.connect(self.changed)
        elif field.kind == "choice":
            w = QComboBox(self)
            w.addItems(list(field.choices))
            w.currentIndexChanged.connect(self.changed)
        elif field.kind == "bool":
            w = QCheckBox(self)
            w.toggled.connect(self.changed)
        else:  # pragma: no cover - programming error
            raise ValueError(field.kind)
        w.setToolTip(field.tip)
        w.setAccessibleName(field.label)
        self.editor = w
        lay.addWidget(w, 1)
        if self.toggle is not None:
            self.toggle.toggled.connect(self._on_toggle_toggled)
            self.off_label = QLabel("off", self)
            self.off_label.setStyleSheet("color: #808080;")
            lay.addWidget(self.off_label)
        self.setToolTip(field.tip)

    def _on_toggle_toggled(self, on: bool) -> None:
        self.editor.setEnabled(on)
        self.off_label.setVisible(not on)
        self.changed.emit()

    def value(self) -> Any:
        """Current value (None when an optional setting is off)."""
        if self.toggle is not None and not self.toggle.isChecked():
            return None
        w = self.editor
        if isinstance(w, QComboBox):
            return w.currentText()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox):
            return int(w.value())
        return float(w.value())

    def set_value(self, value: Any) -> None:
        """Show ``value`` (None switches an optional setting off)."""
        f = self.field
        if self.toggle is not None:
            self.toggle.setChecked(value is not None)
            self.editor.setEnabled(value is not None)
            self.off_label.setVisible(value is None)
            if value is None:
                value = f.on_value
        w = self.editor
        if isinstance(w, QComboBox):
            i = w.findText(str(value))
            if i >= 0:
                w.setCurrentIndex(i)
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
        else:
            w.setValue(float(value))


class ModelPanel(QWidget):
    """The model & training settings.

    Parameters
    ----------
    parent : QWidget, optional

    Signals
    -------
    changed()
        Any setting changed (the window re-draws the lookback/horizon window and saves).
    window_changed()
        One of the window settings (lookback, horizon, step, delay, stride, season) changed.
    lr_changed(float)
        The learning rate was edited (applied mid-run when training).
    """

    changed = Signal()
    window_changed = Signal()
    lr_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelPanel")
        self.editors: dict[str, _SettingEditor] = {}
        self._training = False
        self._loading = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet("color: #a05000; padding: 4px;")
        self.status_label.hide()
        outer.addWidget(self.status_label)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        inner = QWidget(scroll)
        col = QVBoxLayout(inner)
        col.setContentsMargins(6, 6, 6, 6)
        forms: dict[str, QFormLayout] = {}
        for f in FIELDS:
            if f.section not in forms:
                box = QGroupBox(f.section, inner)
                form = QFormLayout(box)
                form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
                form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
                forms[f.section] = form
                col.addWidget(box)
            ed = _SettingEditor(f, inner)
            label = QLabel(f.label, inner)
            label.setToolTip(f.tip)
            label.setBuddy(ed.editor)
            forms[f.section].addRow(label, ed)
            self.editors[f.name] = ed
            ed.changed.connect(lambda name=f.name: self._on_editor_changed(name))
        col.addStretch(1)
        scroll.setWidget(inner)
        outer.addWidget(scroll, 1)
        self.defaults_button = QPushButton("Restore defaults", self)
        self.defaults_button.setToolTip(
            "Put every model and training setting back to its default (the settings are "
            "remembered from one launch to the next: a class's next user starts from these). "
            "The window settings (lookback, horizon, …) stay as they are: they suit the data.")
        self.defaults_button.clicked.connect(self.restore_defaults)
        outer.addWidget(self.defaults_button)
        self.set_config(RunConfig(train=TrainConfig(threads=1)))

    # ------------------------------------------------------------------ values
    def set_config(self, run: RunConfig) -> None:
        """Show the settings of ``run`` (its data part: the window settings only)."""
        self._loading = True
        try:
            parts = {"data": run.data, "model": run.model, "train": run.train}
            for f in FIELDS:
                value = getattr(parts[f.group], f.name)
                if f.name == "threads" and value is None:
                    value = 1
                self.editors[f.name].set_value(value)
        finally:
            self._loading = False
        self._update_relevance()
        self.changed.emit()
        self.window_changed.emit()

    def _values(self, group: str) -> dict[str, Any]:
        return {f.name: self.editors[f.name].value() for f in FIELDS if f.group == group}

    def window_fields(self) -> dict[str, Any]:
        """The DataConfig window settings: lookback, horizon, step, delay, stride, season."""
        return self._values("data")

    def model_config(self) -> ModelConfig:
        """Validated :class:`ModelConfig` (raises ConfigError)."""
        return ModelConfig(**self._values("model"))

    def train_config(self) -> TrainConfig:
        """Validated :class:`TrainConfig` (raises ConfigError)."""
        return TrainConfig(**self._values("train"))

    def run_config(self, data: DataConfig | None = None) -> RunConfig:
        """Build a validated :class:`RunConfig`.

        Parameters
        ----------
        data : DataConfig, optional
            The data panel's settings; this panel's window settings replace its own.

        Raises
        ------
        ConfigError
            When a setting is out of range (the message names it).
        """
        base = data if data is not None else DataConfig()
        return RunConfig(
            data=base.replace(**self.window_fields()),
            model=self.model_config(),
            train=self.train_config(),
        )

    @property
    def lr(self) -> float:
        """The learning rate shown."""
        return float(self.editors["lr"].value())

    def set_lr(self, lr: float) -> None:
        """Show a learning rate (without emitting lr_changed)."""
        self._loading = True
        try:
            self.editors["lr"].set_value(lr)
        finally:
            self._loading = False

    def set_value(self, name: str, value: Any) -> None:
        """Set one setting by field name (e.g. ``set_value("epochs", 3)``)."""
        self.editors[name].set_value(value)

    def value(self, name: str) -> Any:
        """Current value of one setting by field name."""
        return self.editors[name].value()

    # ------------------------------------------------------------------ behaviour
    def _on_editor_changed(self, name: str) -> None:
        if self._loading:
            return
        if name == "lr":
            self.lr_changed.emit(self.lr)
        self._update_relevance()
        self._check()
        self.changed.emit()
        if name in WINDOW_FIELDS:
            self.window_changed.emit()

    def _check(self) -> None:
        try:
            self.model_config()
            self.train_config()
            DataConfig(**self.window_fields())
        except ConfigError as exc:
            self.status_label.setText(exc.message)
            self.status_label.show()
        else:
            self.status_label.hide()

    def _update_relevance(self) -> None:
        cell = self.editors["cell"].value()
        opt = self.editors["optimizer"].value()
        schedule = self.editors["schedule"].value()
        for name, ed in self.editors.items():
            relevant = True
            if name in _CELL_ONLY:
                relevant = cell in _CELL_ONLY[name]
            elif name in _OPT_ONLY:
                relevant = opt in _OPT_ONLY[name]
            elif name in _SCHEDULE_ONLY:
                relevant = schedule in _SCHEDULE_ONLY[name]
            frozen = self._training and name != "lr"
            ed.setEnabled(relevant and not frozen)

    def set_training(self, training: bool) -> None:
        """Freeze every setting except the learning rate while a run trains."""
        self._training = training
        self.defaults_button.setEnabled(not training)
        self._update_relevance()

    def restore_defaults(self) -> None:
        """Every model and training setting back to its default; the window settings
        (lookback, horizon, step, delay, stride, season) are kept."""
        if self._training:
            return
        window = DataConfig(**{k: v for k, v in self.window_fields().items()
                               if k in WINDOW_FIELDS})
        self.set_config(RunConfig(data=window, train=TrainConfig(threads=1)))

    def is_frozen(self, name: str) -> bool:
        """True when the setting cannot be edited now."""
        return not self.editors[name].isEnabled()


def default_fields() -> dict[str, Any]:
    """Every setting's default as the config classes define it (for docs and tests)."""
    out: dict[str, Any] = {}
    for cls in (DataConfig, ModelConfig, TrainConfig):
        for f in fields(cls):
            out[f.name] = f.default
    return out


def _finite(x: float) -> bool:
    return math.isfinite(x)
