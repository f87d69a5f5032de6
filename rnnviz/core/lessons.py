"""Classroom lessons: a data source, models to compare, settings and an explanation.

Each lesson is one JSON file in ``resources/lessons/`` (``<name>.json``). A lesson says
where its data come from (a generator of :mod:`rnnviz.core.tasks` with its parameters, or a
bundled CSV with a :class:`~rnnviz.core.config.DataConfig`), which models are trained side
by side (:mod:`rnnviz.core.compare` runs them on the same windows, seed and batches), the
training settings, which views the window shows, what a teacher may adjust, and a
plain-language explanation of what to look at, what to expect and why.

File layout (keys marked ``?`` are optional)::

    {
      "name": "adding_problem",            # must equal the file name without .json
      "title": "The adding problem",
      "summary": "one sentence",
      "explanation": ["paragraph", ...],  # or one string
      "data": {"generator": "adding_problem", "params": {"length": 50, "n": 6000},
               "config"?: {DataConfig fields}}
           or {"sample": "file.csv", "config": {DataConfig fields}},
      "runs": [{"id": "rnn", "label": "RNN", "model": {ModelConfig fields},
                "train"?: {TrainConfig fields that differ for this run},
                "data"?: {a data source of its own},
                "checks"?: [{"input": [[...], ...], "expected": [...], "label"?: "..."}]}, ...],
      "train": {TrainConfig fields},
      "seed": 0,
      "quick"?: {"train": {...}, "data": {"params": {...}}},
      "views": ["loss", "gradients", ...],
      "teacher"?: {"default": true, "hidden_views": ["states"]},
      "parameters"?: [{"name": "lag", "label": "Lag", "kind": "int", "target": "data.params.lag",
                       "default": 20, "min": 1, "max": 60, "step": 1, "help": "...",
                       "advanced"?: false}, ...],
      "measured"?: {free-form: the benchmark figures quoted in the explanation}
    }

Parameter ``target`` paths (a string or a list of them):

- ``data.params.<key>``: a generator parameter (every run that uses the shared data);
- ``data.config.<field>``: a :class:`~rnnviz.core.config.DataConfig` field;
- ``train.<field>`` / ``model.<field>``: a TrainConfig / ModelConfig field of every run
  (``train.*`` sets the shared settings; a run's own ``train`` overrides still win);
- ``runs.<id>.train.<field>`` / ``runs.<id>.model.<field>``: one run only.

Parameter kinds: ``int`` and ``float`` (``min``, ``max``, ``step``), ``bool`` (``on`` and
``off``: the values written to the target, e.g. a clip norm and ``null``), and ``choice``
(``options``: ``[{"label": ..., "value": ...}]``).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ConfigError, RnnvizError
from rnnviz.core.resources import lessons_dir

__all__ = [
    "GENERATORS",
    "VIEWS",
    "DataSource",
    "Lesson",
    "LessonParameter",
    "LessonRun",
    "build_data",
    "lesson_names",
    "list_lessons",
    "load_lesson",
    "make_comparison",
    "parse_lesson",
]

GENERATORS = (
    "adding_problem",
    "lag_task",
    "sine_wave",
    "noisy_sine_trend",
    "toy_one_to_many",
    "toy_many_to_one",
    "toy_many_to_many",
)
"""Functions of :mod:`rnnviz.core.tasks` a lesson may name as its data source."""

VIEWS = ("loss", "gradients", "gates", "states", "forecast", "horizon", "results")
"""Views a lesson may ask the window to show (``horizon``: forecast error against steps ahead)."""

PARAMETER_KINDS = ("int", "float", "bool", "choice")

_TOP_KEYS = {
    "name", "title", "summary", "explanation", "data", "runs", "train", "seed", "quick",
    "views", "teacher", "parameters", "measured",
}
_REQUIRED = ("name", "title", "explanation", "data", "runs", "train", "views")
_RUN_KEYS = {"id", "label", "model", "train", "data", "checks"}
_DATA_KEYS = {"generator", "params", "sample", "config"}
_PARAM_KEYS = {
    "name", "label", "kind", "target", "default", "min", "max", "step", "options", "on", "off",
    "help", "advanced",
}


# --------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class DataSource:
    """Where a lesson's windows come from.

    Attributes
    ----------
    generator : str or None
        A name in :data:`GENERATORS`, called with ``params``.
    params : dict
        Keyword arguments of the generator.
    sample : str or None
        A bundled CSV file in ``resources/data``.
    config : DataConfig
        How a series (bundled CSV, or a generator that returns a table) becomes windows.
        Sequence tasks that return windows directly only use it as the run's record.
    """

    generator: str | None
    params: dict[str, Any]
    sample: str | None
    config: DataConfig

    def describe(self) -> str:
        """One line for the window and the command line."""
        if self.generator:
            args = ", ".join(f"{k}={v}" for k, v in self.params.items())
            return f"{self.generator}({args})"
        return f"{self.sample} (lookback {self.config.lookback}, horizon {self.config.horizon})"


@dataclass(frozen=True)
class LessonRun:
    """One model of a lesson's comparison.

    Attributes
    ----------
    id : str
        Short identifier used in parameter targets (``runs.<id>.train.clip_norm``).
    label : str
        Name shown in legends and tables.
    model : ModelConfig
    train : TrainConfig
        The lesson's settings with this run's overrides (and the lesson's seed) applied.
    data : DataSource or None
        A data source of its own (``None``: the lesson's shared data).
    checks : tuple of dict
        Questions from the slides: ``{"input": (T, F) list, "expected": list, "label": str}``;
        the results show the model's answer beside the expected one.
    """

    id: str
    label: str
    model: ModelConfig
    train: TrainConfig
    data: DataSource | None = None
    checks: tuple[dict[str, Any], ...] = ()

    def run_config(self, lesson_data: DataSource) -> RunConfig:
        """The RunConfig saved with this run."""
        src = self.data or lesson_data
        return RunConfig(data=src.config, model=self.model, train=self.train)


@dataclass(frozen=True)
class LessonParameter:
    """A setting the teacher can change before training (a slider, a box or a switch).

    Attributes
    ----------
    name : str
    label : str
    kind : {"int", "float", "bool", "choice"}
    targets : tuple of str
        Paths the value is written to (see the module docstring).
    default : object
        The value the lesson file holds at those paths.
    minimum, maximum, step : float or None
        Range of ``int`` and ``float`` parameters.
    options : tuple of (str, object)
        Labels and values of a ``choice`` parameter.
    on, off : object
        Values written for a ``bool`` parameter's two states.
    help : str
    advanced : bool
        Hidden in teacher mode.
    """

    name: str
    label: str
    kind: str
    targets: tuple[str, ...]
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    options: tuple[tuple[str, Any], ...] = ()
    on: Any = None
    off: Any = None
    help: str = ""
    advanced: bool = False

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ConfigError."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError("bad_lesson_value",
                                  f"{self.label} is a switch: use true or false; got {value!r}.")
            return value
        if self.kind == "choice":
            values = [v for _, v in self.options]
            if value not in values:
                labels = ", ".join(f"{lab} ({v!r})" for lab, v in self.options)
                raise ConfigError("bad_lesson_value",
                                  f"{self.label} must be one of {labels}; got {value!r}.")
            return value
        integer = self.kind == "int"
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ConfigError("bad_lesson_value",
                                  f"{self.label} must be a number; got {value!r}.") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError("bad_lesson_value", f"{self.label} must be a number; got {value!r}.")
        if integer:
            if float(value) != int(value):
                raise ConfigError("bad_lesson_value",
                                  f"{self.label} must be a whole number; got {value!r}.")
            value = int(value)
        else:
            value = float(value)
        lo, hi = self.minimum, self.maximum
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(
                "bad_lesson_value",
                f"{self.label} must be from {lo:g} to {hi:g}; got {value!r}.",
            )
        return value

    def written(self, value: Any) -> Any:
        """The value written to the targets for a (checked) parameter value."""
        if self.kind == "bool":
            return self.on if value else self.off
        return value


@dataclass(frozen=True)
class Lesson:
    """A classroom lesson read from ``resources/lessons/<name>.json``.

    Attributes
    ----------
    name, title, summary : str
    explanation : str
        Paragraphs separated by blank lines: what to look at, what to expect, why, and the
        values a reference run got.
    data : DataSource
    runs : tuple of LessonRun
        Two or three models compared (one for single-model lessons).
    train : TrainConfig
        Shared settings (each run's ``train`` already includes them).
    seed : int
    views : tuple of str
    teacher_default : bool
        Whether the window opens in teacher mode.
    hidden_in_teacher_mode : tuple of str
        Views hidden in teacher mode.
    parameters : tuple of LessonParameter
    values : dict
        Current value of each parameter (the defaults unless :meth:`with_values` changed them).
    quick : bool
        True when the small ``--quick`` budget is applied.
    measured : dict
        Figures of the reference run quoted in the explanation.
    path : Path or None
        The file it came from.
    """

    name: str
    title: str
    summary: str
    explanation: str
    data: DataSource
    runs: tuple[LessonRun, ...]
    train: TrainConfig
    seed: int
    views: tuple[str, ...]
    teacher_default: bool
    hidden_in_teacher_mode: tuple[str, ...]
    parameters: tuple[LessonParameter, ...]
    values: dict[str, Any]
    quick: bool = False
    measured: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of the runs, in order."""
        return tuple(r.label for r in self.runs)

    def parameter(self, name: str) -> LessonParameter:
        """The parameter called ``name`` (ConfigError naming the known ones otherwise)."""
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise ConfigError(
            "unknown_lesson_parameter",
            f"Lesson '{self.name}' has no parameter '{name}'. Its parameters: {known}.",
        )

    def with_values(self, values: dict[str, Any]) -> Lesson:
        """A copy with some parameters changed.

        Parameters
        ----------
        values : dict
            ``{parameter name: value}``; values are checked against the parameter's kind and
            range (strings such as ``"20"`` from the command line are accepted for numbers).

        Returns
        -------
        Lesson

        Raises
        ------
        ConfigError
            Unknown parameter, or a value out of range.
        """
        raw = copy.deepcopy(self.raw)
        merged = dict(self.values)
        for name, value in values.items():
            p = self.parameter(name)
            merged[name] = p.check(value)
        for name, value in merged.items():
            p = self.parameter(name)
            for target in p.targets:
                _write(raw, target, p.written(value), self.name)
        return _build(raw, self.path, values=merged, quick=self.quick)

    def quick_version(self) -> Lesson:
        """A copy with the lesson's small ``quick`` budget (seconds, for tests and previews).

        The quick settings win over parameter values (e.g. an ``epochs`` parameter).
        """
        if self.quick:
            return self
        return _build(copy.deepcopy(self.raw), self.path, values=self.values, quick=True)

    def to_dict(self) -> dict[str, Any]:
        """The lesson file's content with the current parameter values (and the quick
        budget, when used) applied: the settings that run."""
        raw = copy.deepcopy(self.raw)
        return _apply_quick(raw) if self.quick else raw


# --------------------------------------------------------------------------- loading
def list_lessons() -> list[Lesson]:
    """Every bundled lesson, in file-name order (names start with their number).

    Raises
    ------
    ConfigError
        When a bundled lesson file is damaged (the message names the file).
    """
    folder = lessons_dir()
    return [_load_path(p) for p in sorted(folder.glob("*.json"))]


def lesson_names() -> list[str]:
    """Names of the bundled lessons (cheap: reads the file names only)."""
    return [_name_of(p) for p in sorted(lessons_dir().glob("*.json"))]


def load_lesson(name: str | Path) -> Lesson:
    """Load a bundled lesson by name, or a lesson file by path.

    Parameters
    ----------
    name : str or Path
        A name such as ``"adding_problem"`` (see :func:`list_lessons`), or the path of a
        ``.json`` lesson file a teacher wrote.

    Returns
    -------
    Lesson

    Raises
    ------
    ConfigError
        ``unknown_lesson`` naming the available lessons, or ``bad_lesson_file`` describing
        what is wrong with the file.
    """
    text = str(name)
    path = Path(text)
    if text.endswith(".json") or path.is_file():
        if not path.is_file():
            raise ConfigError("unknown_lesson", f"The lesson file {text} does not exist.")
        return _load_path(path)
    folder = lessons_dir()
    for p in sorted(folder.glob("*.json")):
        if _name_of(p) == text:
            return _load_path(p)
    known = ", ".join(lesson_names()) or "none"
    raise ConfigError(
        "unknown_lesson",
        f"There is no lesson called '{text}'. Lessons: {known}. "
        "Run 'rnnviz lesson --list' to see them with their titles.",
    )


def _name_of(path: Path) -> str:
    """``03_exploding_gradients.json`` -> ``exploding_gradients``."""
    stem = path.stem
    head, _, rest = stem.partition("_")
    return rest if head.isdigit() and rest else stem


def _load_path(path: Path) -> Lesson:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("bad_lesson_file", f"Cannot read the lesson file {path}: {exc}.") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "bad_lesson_file",
            f"The lesson file {path.name} is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}). Fix the file, or reinstall rnnviz to restore it.",
        ) from None
    lesson = parse_lesson(raw, path)
    if lesson.name != _name_of(path):
        raise ConfigError(
            "bad_lesson_file",
            f"The lesson file {path.name} says its name is '{lesson.name}'; it must be "
            f"'{_name_of(path)}' (the file name without number and .json).",
        )
    return lesson


def parse_lesson(raw: Any, path: Path | None = None) -> Lesson:
    """Build a Lesson from a decoded lesson file, checking every part.

    Raises
    ------
    ConfigError
        ``bad_lesson_file`` with a message naming the file and the problem.
    """
    where = path.name if path is not None else "lesson"
    if not isinstance(raw, dict):
        raise ConfigError("bad_lesson_file", f"The {where} file must hold a JSON object.")
    try:
        return _build(copy.deepcopy(raw), path)
    except RnnvizError as exc:
        if exc.code == "bad_lesson_file":
            raise
        raise ConfigError("bad_lesson_file", f"The lesson file {where} is invalid: {exc.message}") from None


def _fail(msg: str) -> ConfigError:
    return ConfigError("bad_lesson_file", msg)


def _apply_quick(raw: dict[str, Any]) -> dict[str, Any]:
    """Apply the file's ``quick`` overrides to a (copied) raw lesson dict."""
    quick = raw.get("quick") or {}
    qtrain = quick.get("train") or {}
    raw["train"] = {**raw["train"], **qtrain}
    qparams = (quick.get("data") or {}).get("params", {})
    if qparams:
        raw["data"]["params"] = {**raw["data"].get("params", {}), **qparams}
    for run in raw["runs"]:
        src = run.get("data")
        if qparams and src and src.get("generator"):
            known = src.get("params", {})
            src["params"] = {**known, **{k: v for k, v in qparams.items() if k in known}}
        # quick budgets also cap runs that override epochs or batches
        for key in ("epochs", "max_batches_per_epoch"):
            if key in qtrain and key in (run.get("train") or {}):
                run["train"][key] = qtrain[key]
    return raw


def _build(raw: dict[str, Any], path: Path | None, *, values: dict[str, Any] | None = None,
           quick: bool = False) -> Lesson:
    where = path.name if path is not None else "lesson"
    base = raw
    if quick and isinstance(raw, dict) and isinstance(raw.get("train"), dict) \
            and isinstance(raw.get("data"), dict) and isinstance(raw.get("runs"), list):
        raw = _apply_quick(copy.deepcopy(raw))
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise _fail(f"The lesson file {where} has unknown key(s): {', '.join(unknown)}. "
                    f"Known keys: {', '.join(sorted(_TOP_KEYS))}.")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise _fail(f"The lesson file {where} lacks: {', '.join(missing)}.")
    for key in ("name", "title"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise _fail(f"The lesson file {where}: '{key}' must be a non-empty text.")
    explanation = raw["explanation"]
    if isinstance(explanation, list) and all(isinstance(p, str) for p in explanation):
        explanation = "\n\n".join(explanation)
    if not isinstance(explanation, str) or not explanation.strip():
        raise _fail(f"The lesson file {where}: 'explanation' must be text or a list of paragraphs.")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _fail(f"The lesson file {where}: 'seed' must be a whole number >= 0.")
    if not isinstance(raw["train"], dict):
        raise _fail(f"The lesson file {where}: 'train' must be an object of training settings.")
    shared = {**raw["train"], "seed": seed}
    train = TrainConfig.from_dict(shared)
    data = _source(raw["data"], where)

    runs_raw = raw["runs"]
    if not isinstance(runs_raw, list) or not 1 <= len(runs_raw) <= 3:
        raise _fail(f"The lesson file {where}: 'runs' must list one to three models.")
    runs: list[LessonRun] = []
    for i, r in enumerate(runs_raw):
        if not isinstance(r, dict):
            raise _fail(f"The lesson file {where}: run {i + 1} must be an object.")
        bad = sorted(set(r) - _RUN_KEYS)
        if bad:
            raise _fail(f"The lesson file {where}: run {i + 1} has unknown key(s) {', '.join(bad)}.")
        if not isinstance(r.get("id"), str) or not r["id"].isidentifier():
            raise _fail(f"The lesson file {where}: run {i + 1} needs an 'id' such as \"lstm\".")
        label = r.get("label", r["id"])
        if not isinstance(label, str) or not label:
            raise _fail(f"The lesson file {where}: run '{r['id']}' needs a text 'label'.")
        over = r.get("train") or {}
        if not isinstance(over, dict):
            raise _fail(f"The lesson file {where}: run '{r['id']}' train must be an object.")
        checks = r.get("checks") or []
        if not isinstance(checks, list) or not all(
            isinstance(c, dict) and "input" in c and "expected" in c for c in checks
        ):
            raise _fail(f"The lesson file {where}: run '{r['id']}' checks must be a list of "
                        "{\"input\": ..., \"expected\": ...} objects.")
        runs.append(LessonRun(
            id=r["id"],
            label=label,
            model=ModelConfig.from_dict(r.get("model") or {}),
            train=TrainConfig.from_dict({**shared, **over, "seed": seed}),
            data=_source(r["data"], where) if r.get("data") else None,
            checks=tuple(checks),
        ))
    ids = [r.id for r in runs]
    labels = [r.label for r in runs]
    if len(set(ids)) != len(ids) or len(set(labels)) != len(labels):
        raise _fail(f"The lesson file {where}: run ids and labels must be unique.")

    views = raw["views"]
    if not isinstance(views, list) or not views or any(v not in VIEWS for v in views):
        raise _fail(f"The lesson file {where}: 'views' must list some of {', '.join(VIEWS)}.")
    teacher = raw.get("teacher") or {}
    if not isinstance(teacher, dict) or set(teacher) - {"default", "hidden_views"}:
        raise _fail(f"The lesson file {where}: 'teacher' takes 'default' and 'hidden_views'.")
    hidden = teacher.get("hidden_views", [])
    if not isinstance(hidden, list) or any(v not in VIEWS for v in hidden):
        raise _fail(f"The lesson file {where}: teacher hidden_views must list views.")

    params = tuple(_parameter(p, where, ids) for p in raw.get("parameters") or [])
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise _fail(f"The lesson file {where}: parameter names must be unique.")
    current = {p.name: p.default for p in params}
    if values:
        current.update(values)
    quick_raw = raw.get("quick") or {}
    if not isinstance(quick_raw, dict) or set(quick_raw) - {"train", "data"}:
        raise _fail(f"The lesson file {where}: 'quick' takes 'train' and 'data'.")
    if "train" in quick_raw:
        TrainConfig.from_dict({**shared, **quick_raw["train"]})  # validate now, not at run time
    measured = raw.get("measured") or {}
    if not isinstance(measured, dict):
        raise _fail(f"The lesson file {where}: 'measured' must be an object.")
    return Lesson(
        name=raw["name"],
        title=raw["title"],
        summary=str(raw.get("summary", "")),
        explanation=explanation.strip(),
        data=data,
        runs=tuple(runs),
        train=train,
        seed=seed,
        views=tuple(views),
        teacher_default=bool(teacher.get("default", True)),
        hidden_in_teacher_mode=tuple(hidden),
        parameters=params,
        values=current,
        quick=quick,
        measured=measured,
        path=path,
        raw=base,
    )


def _source(d: Any, where: str) -> DataSource:
    if not isinstance(d, dict):
        raise _fail(f"The lesson file {where}: 'data' must be an object.")
    bad = sorted(set(d) - _DATA_KEYS)
    if bad:
        raise _fail(f"The lesson file {where}: data has unknown key(s) {', '.join(bad)}.")
    gen, sample = d.get("generator"), d.get("sample")
    if (gen is None) == (sample is None):
        raise _fail(f"The lesson file {where}: data needs either 'generator' or 'sample'.")
    if gen is not None and gen not in GENERATORS:
        raise _fail(f"The lesson file {where}: unknown generator '{gen}'. "
                    f"Generators: {', '.join(GENERATORS)}.")
    params = d.get("params") or {}
    if not isinstance(params, dict):
        raise _fail(f"The lesson file {where}: data params must be an object.")
    if sample is not None and (not isinstance(sample, str) or "/" in sample or "\\" in sample):
        raise _fail(f"The lesson file {where}: 'sample' must be a bundled file name.")
    return DataSource(gen, dict(params), sample, DataConfig.from_dict(d.get("config") or {}))


def _parameter(p: Any, where: str, run_ids: list[str]) -> LessonParameter:
    if not isinstance(p, dict):
        raise _fail(f"The lesson file {where}: each parameter must be an object.")
    bad = sorted(set(p) - _PARAM_KEYS)
    if bad:
        raise _fail(f"The lesson file {where}: parameter {p.get('name')!r} has unknown key(s) "
                    f"{', '.join(bad)}.")
    name, kind = p.get("name"), p.get("kind")
    if not isinstance(name, str) or not name.isidentifier():
        raise _fail(f"The lesson file {where}: a parameter needs a 'name' such as \"lag\".")
    if kind not in PARAMETER_KINDS:
        raise _fail(f"The lesson file {where}: parameter '{name}' kind must be one of "
                    f"{', '.join(PARAMETER_KINDS)}.")
    targets = p.get("target")
    targets = [targets] if isinstance(targets, str) else targets
    if not isinstance(targets, list) or not targets:
        raise _fail(f"The lesson file {where}: parameter '{name}' needs a 'target' path.")
    for t in targets:
        _check_target(t, where, name, run_ids)
    if "default" not in p:
        raise _fail(f"The lesson file {where}: parameter '{name}' needs a 'default'.")
    options: tuple[tuple[str, Any], ...] = ()
    if kind == "choice":
        opts = p.get("options")
        if not isinstance(opts, list) or not opts or not all(
            isinstance(o, dict) and "label" in o and "value" in o for o in opts
        ):
            raise _fail(f"The lesson file {where}: choice '{name}' needs options "
                        "[{\"label\": ..., \"value\": ...}].")
        options = tuple((str(o["label"]), o["value"]) for o in opts)
    if kind in ("int", "float") and not all(
        isinstance(p.get(k), (int, float)) and not isinstance(p.get(k), bool) for k in ("min", "max")
    ):
        raise _fail(f"The lesson file {where}: parameter '{name}' needs numeric 'min' and 'max'.")
    if kind == "bool" and ("on" not in p or "off" not in p):
        raise _fail(f"The lesson file {where}: switch '{name}' needs 'on' and 'off' values.")
    param = LessonParameter(
        name=name,
        label=str(p.get("label", name)),
        kind=kind,
        targets=tuple(targets),
        default=p["default"],
        minimum=p.get("min"),
        maximum=p.get("max"),
        step=p.get("step"),
        options=options,
        on=p.get("on"),
        off=p.get("off"),
        help=str(p.get("help", "")),
        advanced=bool(p.get("advanced", False)),
    )
    try:
        param.check(param.default)
    except ConfigError as exc:
        raise _fail(f"The lesson file {where}: default of '{name}': {exc.message}") from None
    return param


def _check_target(t: Any, where: str, name: str, run_ids: list[str]) -> None:
    parts = t.split(".") if isinstance(t, str) else []
    ok = (
        (len(parts) == 3 and parts[0] == "data" and parts[1] in ("params", "config"))
        or (len(parts) == 2 and parts[0] in ("train", "model"))
        or (len(parts) == 4 and parts[0] == "runs" and parts[1] in run_ids
            and parts[2] in ("train", "model"))
    )
    if not ok:
        raise _fail(f"The lesson file {where}: parameter '{name}' has a bad target {t!r} "
                    "(use data.params.KEY, data.config.FIELD, train.FIELD, model.FIELD or "
                    "runs.ID.train.FIELD / runs.ID.model.FIELD).")


def _write(raw: dict[str, Any], target: str, value: Any, lesson: str) -> None:
    """Write a parameter value into the raw lesson dict at ``target``."""
    parts = target.split(".")
    if parts[0] == "data":
        raw["data"].setdefault(parts[1], {})[parts[2]] = value
    elif parts[0] == "train":
        raw["train"][parts[1]] = value
    elif parts[0] == "model":
        for run in raw["runs"]:
            run.setdefault("model", {})[parts[1]] = value
    else:
        for run in raw["runs"]:
            if run["id"] == parts[1]:
                run.setdefault(parts[2], {})[parts[3]] = value
                return
        raise ConfigError("bad_lesson_file", f"Lesson '{lesson}' has no run '{parts[1]}'.")


# --------------------------------------------------------------------------- data
def build_data(source: DataSource):
    """Generate or load the windows of a data source.

    Parameters
    ----------
    source : DataSource

    Returns
    -------
    WindowSplits
        Generated sequence tasks return their own windows (``series is None``); series (a
        bundled CSV or a generated table) go through ``prepare_series`` and ``build_windows``
        with ``source.config``.

    Raises
    ------
    RnnvizError
        DataError / ConfigError from the generator or the data pipeline, unchanged.
    """
    from rnnviz.core import series as series_mod
    from rnnviz.core.windows import WindowSplits

    if source.generator is not None:
        from rnnviz.core import tasks

        fn = getattr(tasks, source.generator, None)
        if fn is None:  # pragma: no cover - GENERATORS lists tasks' functions
            raise ConfigError("unknown_generator", f"rnnviz has no generator '{source.generator}'.")
        try:
            out = fn(**source.params)
        except TypeError as exc:
            raise ConfigError(
                "bad_lesson_file",
                f"The generator {source.generator} does not accept these parameters "
                f"({', '.join(source.params)}): {exc}.",
            ) from None
        if isinstance(out, WindowSplits):
            return out
        table = out
    else:
        from rnnviz.core.csvload import load_csv
        from rnnviz.core.resources import data_path

        path = data_path(source.sample)
        if not path.is_file():
            raise ConfigError("missing_sample",
                              f"The bundled data file {source.sample} is missing; reinstall rnnviz.")
        table = load_csv(path)
    prepared = series_mod.prepare_series(table, source.config)
    return series_mod.build_windows(prepared, source.config)


def make_comparison(lesson: Lesson, *, interleave: str = "batch", **kwargs: Any):
    """Generate the lesson's data and set up its models side by side.

    Parameters
    ----------
    lesson : Lesson
        With its parameter values (and quick budget) already applied.
    interleave : {"batch", "epoch"}
    **kwargs
        Passed to :class:`rnnviz.core.compare.Comparison` (``train_fn``, ``probe_windows``...).

    Returns
    -------
    Comparison
        Not started: iterate :meth:`~rnnviz.core.compare.Comparison.events` to train.
    """
    from rnnviz.core.compare import CompareRun, Comparison

    shared = build_data(lesson.data) if any(r.data is None for r in lesson.runs) else None
    runs = []
    for r in lesson.runs:
        own = build_data(r.data) if r.data is not None else None
        runs.append(CompareRun(label=r.label, run=r.run_config(lesson.data), data=own,
                               checks=r.checks))
    return Comparison(runs, shared, interleave=interleave, **kwargs)


LABELS_ITEM = "__labels__"
SUMMARY_ITEM = "__summary__"


def lesson_events(lesson: Lesson, threads: int | None = None, *,
                  control: Any) -> Iterator[tuple[str, Any]]:
    """Train a lesson's models side by side; yield what a window shows, in order.

    For the training process (:meth:`rnnviz.core.trainproc.TrainingProcess.start_call`):
    first ``(LABELS_ITEM, [labels])``, then every ``(label, event)`` and
    ``(label, RunResult)`` of :meth:`~rnnviz.core.compare.Comparison.events`, and last
    ``(SUMMARY_ITEM, {"mean_baseline": float})`` (NaN when the runs have their own data).

    Parameters
    ----------
    lesson : Lesson
        With its parameter values applied.
    threads : int, optional
        torch threads for this process (1 keeps a window smooth on small machines).
    control : BroadcastControl
        Its ``make()`` gives each run's control.
    """
    from rnnviz.core.compare import mean_baseline

    if threads:
        import torch

        torch.set_num_threads(int(threads))

    cmp = make_comparison(lesson, control_factory=control.make)
    yield LABELS_ITEM, list(cmp.labels)
    yield from cmp.events()
    mb = math.nan
    if cmp.data is not None and all(r.data is None for r in cmp.runs):
        mb = float(mean_baseline(cmp.data))
    yield SUMMARY_ITEM, {"mean_baseline": mb}
