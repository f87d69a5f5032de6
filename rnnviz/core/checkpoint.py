"""Saving and loading models as files users can trust.

A model folder holds two files:

``model.safetensors``
    The weights, in the safetensors format (a JSON header plus raw tensor bytes: loading it
    can never run code). Names are the model's ``state_dict`` names: ``rnn.weight_ih_l0``,
    ``rnn.weight_hh_l0``, ``rnn.bias_ih_l0``, ``rnn.bias_hh_l0`` ... (PyTorch's own names
    behind an ``rnn.`` prefix; strip the prefix to load them into a plain ``torch.nn.LSTM``)
    and ``head.weight``, ``head.bias``.
``model.json``
    ``format`` ("rnnviz-model"), ``format_version``, ``rnnviz_version``, ``torch_version``,
    ``run`` (the RunConfig dict), ``scaler`` (``Scaler.to_dict()``), ``feature_names``,
    ``target_names``, ``n_features``, ``horizon``, ``n_targets``, ``weights_file``,
    ``weights_sha256`` (SHA-256 of the exact bytes of ``model.safetensors``), ``saved_at``
    and ``extra`` (anything the caller adds, e.g. metrics).

Both files are written to temporary files in the same folder, flushed to disk, and moved
into place with ``os.replace``; if anything fails the previous model stays loadable and no
temporary file is left. (A power cut between the two renames can leave a new weights file
next to the old ``model.json``: :func:`load_model` then reports a checksum mismatch rather
than loading a mixed model.)

:func:`load_model` never uses ``torch.load`` or pickle; it refuses, with a
:class:`~rnnviz.core.errors.ModelFileError` that says what is wrong, a missing file, a
``model.json`` of another format or version, an empty, truncated or altered weights file, a
pickle (``torch.save`` output) renamed to ``model.safetensors``, and weights whose names or
shapes do not fit the architecture in ``model.json``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import torch

from rnnviz import __version__
from rnnviz.core.config import RunConfig
from rnnviz.core.errors import ConfigError, ModelFileError, RnnvizError
from rnnviz.core.filemode import give_usual_mode
from rnnviz.core.models import Forecaster, build_model, resolve_device

__all__ = ["FORMAT", "FORMAT_VERSION", "LoadedModel", "load_model", "read_meta", "save_model"]

FORMAT = "rnnviz-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "model.json"
_MAX_HEADER = 100 * 1024 * 1024


@dataclass(frozen=True)
class LoadedModel:
    """A model read back from a folder.

    Attributes
    ----------
    model : Forecaster
        In eval mode, on the requested device.
    run : RunConfig
        The settings it was trained with.
    meta : dict
        Everything in ``model.json``.
    """

    model: Forecaster
    run: RunConfig
    meta: dict[str, Any]

    @property
    def scaler(self) -> dict[str, Any]:
        """The scaler dict (``Scaler.from_dict`` rebuilds it)."""
        return self.meta["scaler"]

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Input columns, targets first."""
        return tuple(self.meta["feature_names"])

    @property
    def target_names(self) -> tuple[str, ...]:
        """Target columns."""
        return tuple(self.meta["target_names"])


def save_model(
    folder: str | Path,
    model: Forecaster,
    run: RunConfig,
    *,
    scaler: dict[str, Any],
    feature_names: Sequence[str],
    target_names: Sequence[str],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model.safetensors`` and ``model.json`` into a folder, atomically.

    Parameters
    ----------
    folder : str or Path
        Created if missing. An existing model there is replaced only when both new files
        have been written completely.
    model : Forecaster
    run : RunConfig
        Data and training settings. The model settings stored are always the model's own
        (``model.cfg``), even if ``run.model`` has changed since it was built.
    scaler : dict
        ``Scaler.to_dict()`` of the scaler fitted on the training part.
    feature_names : sequence of str
        The F input columns (targets first).
    target_names : sequence of str
        The K target columns.
    extra : dict, optional
        JSON-ready extras (metrics, epochs trained ...), stored under ``extra``.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ConfigError
        The names or settings do not fit the model.
    ModelFileError
        The files could not be written (disk full, no permission); the previous model in
        the folder, if any, is unchanged.
    """
    folder = Path(folder)
    if run.model != model.cfg:  # the weights decide: store the settings they were built with
        run = run.replace(model=model.cfg)
    feature_names = [str(n) for n in feature_names]
    target_names = [str(n) for n in target_names]
    if len(feature_names) != model.n_features or len(target_names) != model.n_targets:
        raise ConfigError(
            "names_mismatch",
            f"The model has {model.n_features} inputs and {model.n_targets} targets but "
            f"{len(feature_names)} feature names and {len(target_names)} target names were given.",
        )
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    weights = safetensors.torch.save(
        tensors, metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)}
    )
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "rnnviz_version": __version__,
        "torch_version": torch.__version__,
        "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "run": run.to_dict(),
        "scaler": scaler,
        "feature_names": feature_names,
        "target_names": target_names,
        "n_features": model.n_features,
        "horizon": model.horizon,
        "n_targets": model.n_targets,
        "weights_file": WEIGHTS_FILE,
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
        "extra": extra if extra is not None else {},
    }
    try:
        text = json.dumps(meta, indent=2, default=_json_default, allow_nan=True) + "\n"
    except (TypeError, ValueError) as exc:
        raise ConfigError("bad_meta", f"The model's settings cannot be saved as JSON: {exc}") from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _replace_pair(folder, weights, text.encode("utf-8"))
    except OSError as exc:
        raise ModelFileError(
            "save_failed",
            f"Could not save the model in {folder}: {exc.strerror or exc}. Free some disk space "
            "or choose another folder; any model saved there before is unchanged.",
        ) from exc
    return folder


def _replace_pair(folder: Path, weights: bytes, meta: bytes) -> None:
    """Write both files to temporaries, then move them into place (rolling back on failure)."""
    w_path, m_path = folder / WEIGHTS_FILE, folder / META_FILE
    tmp_w = tmp_m = backup = None
    try:
        tmp_w = _write_temp(folder, WEIGHTS_FILE, weights)
        tmp_m = _write_temp(folder, META_FILE, meta)
        if w_path.is_file() and m_path.is_file():
            backup = _backup(folder, w_path)
        os.replace(tmp_w, w_path)
        tmp_w = None
        try:
            os.replace(tmp_m, m_path)
            tmp_m = None
        except BaseException:
            if backup is not None:  # put the old weights back next to the old model.json
                os.replace(backup, w_path)
                backup = None
            raise
        _fsync_dir(folder)
    finally:
        for p in (tmp_w, tmp_m, backup):
            if p is not None:
                _unlink(p)


def _write_temp(folder: Path, name: str, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    give_usual_mode(fd)  # mkstemp makes it 0o600; the saved file gets the usual mode
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(Path(tmp))
        raise
    return Path(tmp)


def _backup(folder: Path, path: Path) -> Path:
    target = folder / f".{path.name}.{uuid.uuid4().hex}.bak"
    try:
        os.link(path, target)
    except OSError:
        return _write_temp(folder, path.name + ".bak", path.read_bytes())
    return target


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def read_meta(folder: str | Path) -> dict[str, Any]:
    """Read and check ``model.json`` only (no weights, no torch model).

    Raises
    ------
    ModelFileError
        Missing folder or file, unreadable JSON, another format or format version, or
        missing fields.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileError(
            "no_model_folder",
            f"{folder} is not a folder. Give the folder that holds model.json and "
            "model.safetensors (rnnviz train writes it).",
        )
    path = folder / META_FILE
    if not path.is_file():
        raise ModelFileError(
            "missing_file",
            f"{folder} has no {META_FILE}. A model folder needs both {META_FILE} and "
            f"{WEIGHTS_FILE}; save or train the model again.",
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(
            "bad_meta", f"{path} is not readable JSON ({exc}). Save the model again."
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(
            "not_rnnviz_model", f"{path} is not an rnnviz model description."
        )
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
        fix = ("It was saved by a newer rnnviz; upgrade rnnviz to load it." if newer
               else "Save the model again with this version of rnnviz.")
        raise ModelFileError(
            "format_version",
            f"{path} has model format version {version!r}; this rnnviz reads version "
            f"{FORMAT_VERSION}. {fix}",
        )
    needed = ("run", "scaler", "feature_names", "target_names", "n_features", "horizon",
              "n_targets", "weights_sha256")
    missing = [k for k in needed if k not in meta]
    if missing:
        raise ModelFileError(
            "bad_meta", f"{path} lacks {', '.join(missing)}. Save the model again."
        )
    for key in ("n_features", "horizon", "n_targets"):
        v = meta[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ModelFileError("bad_meta", f"{path}: {key} must be a whole number >= 1; got {v!r}.")
    return meta


def load_model(folder: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a model folder written by :func:`save_model`, refusing anything doubtful.

    Parameters
    ----------
    folder : str or Path
    device : {"cpu", "cuda", "auto"} or torch.device

    Returns
    -------
    LoadedModel
        The model is in eval mode. torch's global random state is not consumed.

    Raises
    ------
    ModelFileError
        With a message naming the problem (see the module docstring). No code from either
        file is ever run.
    """
    folder = Path(folder)
    meta = read_meta(folder)
    try:
        run = RunConfig.from_dict(meta["run"])
    except RnnvizError as exc:
        raise ModelFileError(
            "bad_meta", f"{folder / META_FILE} holds settings this rnnviz cannot use: {exc.message}"
        ) from None
    wpath = folder / WEIGHTS_FILE
    if not wpath.is_file():
        raise ModelFileError(
            "missing_file",
            f"{folder} has no {WEIGHTS_FILE}. A model folder needs both {META_FILE} and "
            f"{WEIGHTS_FILE}; save or train the model again.",
        )
    data = wpath.read_bytes()
    _check_weights_bytes(wpath, data)
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["weights_sha256"]:
        raise ModelFileError(
            "checksum_mismatch",
            f"{wpath} does not match the checksum recorded in {META_FILE} (it was changed, "
            "damaged or comes from another save). Save or train the model again.",
        )
    try:
        tensors = safetensors.torch.load(data)
    except Exception as exc:  # noqa: BLE001 - any parser error means an unusable file
        raise ModelFileError("bad_weights", f"{wpath} is not a valid safetensors file ({exc}).") from None
    dev = resolve_device(device)
    with torch.random.fork_rng(devices=[]):
        model = build_model(run.model, meta["n_features"], meta["horizon"], meta["n_targets"])
    _check_architecture(wpath, model, tensors)
    model.load_state_dict(tensors, strict=True)
    model = model.to(dev)
    model.eval()
    return LoadedModel(model=model, run=run, meta=meta)


def _check_weights_bytes(path: Path, data: bytes) -> None:
    """Refuse empty files, pickles and truncated safetensors before parsing them."""
    if not data:
        raise ModelFileError("empty_weights", f"{path} is empty. Save or train the model again.")
    try:
        _check_structure(path, data)
    except ModelFileError:
        # torch.save writes a zip archive (new format) or a bare pickle (protocol 2+).
        if data[:4] == b"PK\x03\x04" or (data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
            raise ModelFileError(
                "pickle_file",
                f"{path} is a Python pickle (torch.save output), not a safetensors file. rnnviz "
                "never loads pickles because they can run code; save the model with rnnviz "
                "instead.",
            ) from None
        raise


def _check_structure(path: Path, data: bytes) -> None:
    if len(data) < 8:
        raise ModelFileError("truncated_weights", f"{path} is truncated ({len(data)} bytes).")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER or n < 2:
        raise ModelFileError("bad_weights", f"{path} is not a safetensors file.")
    if len(data) < 8 + n:
        raise ModelFileError(
            "truncated_weights",
            f"{path} is truncated: it ends inside its header ({len(data)} bytes). "
            "Save or train the model again.",
        )
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
        ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError,
            AttributeError):
        raise ModelFileError("bad_weights", f"{path} is not a safetensors file.") from None
    need = 8 + n + max(ends, default=0)
    if len(data) < need:
        raise ModelFileError(
            "truncated_weights",
            f"{path} is truncated: {len(data)} bytes where its header describes {need}. "
            "Save or train the model again.",
        )


def _check_architecture(path: Path, model: Forecaster, tensors: dict[str, torch.Tensor]) -> None:
    expected = model.state_dict()
    problems: list[str] = []
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected " + ", ".join(unexpected))
    for k, want in expected.items():
        got = tensors.get(k)
        if got is None:
            continue
        if tuple(got.shape) != tuple(want.shape):
            problems.append(f"{k} has shape {tuple(got.shape)} where the settings need {tuple(want.shape)}")
        elif not got.is_floating_point():
            problems.append(f"{k} holds {got.dtype} instead of floating-point numbers")
    if problems:
        cfg = model.cfg
        raise ModelFileError(
            "architecture_mismatch",
            f"{path} does not fit the architecture in {META_FILE} ({cfg.cell}, hidden {cfg.hidden}, "
            f"{cfg.layers} layer(s)): " + "; ".join(problems) + ". The two files come from "
            "different models; save or train the model again.",
        )
