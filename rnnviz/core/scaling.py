"""Per-feature scaling fitted on the training part only, and its exact inverse.

A :class:`Scaler` maps original units to model units with ``(x - offset) / scale`` per
feature (last axis) and back with ``x * scale + offset``:

- ``"standard"``: offset = mean, scale = standard deviation (population, ``ddof=0``);
- ``"minmax"``: offset = minimum, scale = maximum - minimum (training values land in [0, 1]);
- ``"none"``: offset 0, scale 1.

It is fitted on the training rows only (no leakage of validation or test values, Darts #573)
and ignores missing values while fitting. A column that is constant in the training part
cannot be divided by its spread (zero): it gets scale 1.0 and a note says so. The targets
are features ``0 .. K-1``, so :meth:`Scaler.inverse_targets` brings ``(..., K)`` predictions
back to original units. ``to_dict`` / ``from_dict`` round-trip through JSON (model files
store the scaler next to the weights).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.core.config import SCALERS
from rnnviz.core.errors import ConfigError, DataError

__all__ = ["Scaler"]


@dataclass(frozen=True, eq=False)
class Scaler:
    """Affine per-feature scaling ``(x - offset) / scale``.

    Attributes
    ----------
    kind : {"standard", "minmax", "none"}
        How ``offset`` and ``scale`` were chosen.
    offset : numpy.ndarray
        (F,) float64, subtracted first.
    scale : numpy.ndarray
        (F,) float64, strictly positive, divided by second.
    names : tuple of str
        Feature names (may be empty), in column order.
    notes : tuple of str
        What fitting did that the user should know (constant columns).
    """

    kind: str
    offset: np.ndarray
    scale: np.ndarray
    names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        offset = np.asarray(self.offset, dtype=np.float64).reshape(-1)
        scale = np.asarray(self.scale, dtype=np.float64).reshape(-1)
        if self.kind not in SCALERS:
            raise ConfigError(
                "bad_scaler", f"Scaler kind must be one of {', '.join(SCALERS)}; got {self.kind!r}."
            )
        if offset.shape != scale.shape:
            raise ConfigError(
                "bad_scaler",
                f"Scaler offset and scale must have the same length; got {offset.size} and {scale.size}.",
            )
        if not (np.isfinite(offset).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise ConfigError(
                "bad_scaler", "Scaler offsets must be finite and scales finite and positive."
            )
        if self.names and len(self.names) != offset.size:
            raise ConfigError(
                "bad_scaler",
                f"Scaler has {offset.size} features but {len(self.names)} names.",
            )
        offset.setflags(write=False)
        scale.setflags(write=False)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        object.__setattr__(self, "notes", tuple(self.notes))

    # ------------------------------------------------------------------ construction
    @classmethod
    def fit(cls, x: np.ndarray, kind: str = "standard", names: Sequence[str] = ()) -> Scaler:
        """Fit offsets and scales on the rows given (pass the training rows only).

        Parameters
        ----------
        x : numpy.ndarray
            (N, F) values in original units; NaN is ignored.
        kind : {"standard", "minmax", "none"}
            Scaling method.
        names : sequence of str, optional
            Feature names used in notes and kept for model files.

        Returns
        -------
        Scaler

        Raises
        ------
        DataError
            When a column has no finite value in the rows given.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise ConfigError("bad_scaler", f"Scaler.fit needs an (N, F) array; got shape {x.shape}.")
        n_features = x.shape[1]
        names = tuple(str(n) for n in names) or tuple(f"feature {i}" for i in range(n_features))
        if kind not in SCALERS:
            raise ConfigError(
                "bad_scaler", f"Scaler kind must be one of {', '.join(SCALERS)}; got {kind!r}."
            )
        if kind == "none":
            return cls("none", np.zeros(n_features), np.ones(n_features), names)
        finite = np.isfinite(x)
        empty = [names[i] for i in range(n_features) if not finite[:, i].any()]
        if empty:
            raise DataError(
                "no_training_values",
                f"Column(s) {', '.join(empty)} have no values in the training part, so they cannot "
                "be scaled. Choose other columns or give the training part more rows.",
            )
        offset = np.empty(n_features)
        spread = np.empty(n_features)
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(n_features):
                col = x[:, j] if finite[:, j].all() else x[finite[:, j], j]
                if kind == "standard":
                    offset[j] = col.mean()
                    spread[j] = np.sqrt(np.mean((col - offset[j]) ** 2))
                else:  # minmax
                    offset[j] = col.min()
                    spread[j] = col.max() - offset[j]
        if not (np.isfinite(offset).all() and np.isfinite(spread).all()):
            raise DataError(
                "too_large",
                "Some values are too large to scale (their spread overflows). Check the units "
                "of the columns, or rescale them before loading.",
            )
        notes = []
        scale = spread.copy()
        # A spread this small relative to the values is rounding noise: treat it as constant.
        tiny = ~(spread > 1e-12 * np.maximum(1.0, np.abs(offset)))
        for i in np.flatnonzero(tiny):
            scale[i] = 1.0
            notes.append(
                f"Column {names[i]} is constant ({offset[i]:g}) in the training part; it was only "
                "shifted, not scaled (scale 1.0), and it carries no information for the model."
            )
        return cls(kind, offset, scale, names, tuple(notes))

    @classmethod
    def identity(cls, n_features: int, names: Sequence[str] = ()) -> Scaler:
        """Return a scaler that changes nothing (kind ``"none"``)."""
        return cls("none", np.zeros(n_features), np.ones(n_features), tuple(names))

    # ------------------------------------------------------------------ use
    @property
    def n_features(self) -> int:
        """Number of features F."""
        return int(self.offset.size)

    def _check(self, x: np.ndarray, n: int, what: str) -> np.ndarray:
        x = np.asarray(x)
        if x.shape[-1:] != (n,):
            raise ConfigError(
                "bad_shape",
                f"{what} expects arrays whose last axis has {n} values; got shape {x.shape}.",
            )
        return x

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Original units to model units.

        Parameters
        ----------
        x : numpy.ndarray
            (..., F) values.

        Returns
        -------
        numpy.ndarray
            (..., F), float32 if ``x`` is float32, else float64.
        """
        x = self._check(x, self.n_features, "Scaler.transform")
        dtype = np.float32 if x.dtype == np.float32 else np.float64
        return ((x - self.offset) / self.scale).astype(dtype, copy=False)

    def inverse(self, x: np.ndarray) -> np.ndarray:
        """Model units back to original units: (..., F) -> (..., F)."""
        x = self._check(x, self.n_features, "Scaler.inverse")
        dtype = np.float32 if x.dtype == np.float32 else np.float64
        return (x * self.scale + self.offset).astype(dtype, copy=False)

    def inverse_targets(self, y: np.ndarray) -> np.ndarray:
        """Predictions of the K targets (features ``0 .. K-1``) back to original units.

        Parameters
        ----------
        y : numpy.ndarray
            (..., K) with ``K <= F``.

        Returns
        -------
        numpy.ndarray
            (..., K) in original units.
        """
        y = np.asarray(y)
        k = y.shape[-1] if y.ndim else 0
        if not 1 <= k <= self.n_features:
            raise ConfigError(
                "bad_shape",
                f"Scaler.inverse_targets expects a last axis of 1 to {self.n_features} targets; "
                f"got shape {y.shape}.",
            )
        dtype = np.float32 if y.dtype == np.float32 else np.float64
        return (y * self.scale[:k] + self.offset[:k]).astype(dtype, copy=False)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (plain floats and strings only)."""
        return {
            "kind": self.kind,
            "offset": [float(v) for v in self.offset],
            "scale": [float(v) for v in self.scale],
            "names": list(self.names),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scaler:
        """Rebuild a scaler written by :meth:`to_dict`.

        Raises
        ------
        ConfigError
            When the dict is not a scaler description.
        """
        if not isinstance(data, dict) or not {"kind", "offset", "scale"} <= set(data):
            raise ConfigError(
                "bad_scaler", "The saved scaler must be an object with kind, offset and scale."
            )
        unknown = sorted(set(data) - {"kind", "offset", "scale", "names", "notes"})
        if unknown:
            raise ConfigError("bad_scaler", f"Unknown scaler field(s): {', '.join(unknown)}.")
        try:
            offset = [float(v) for v in data["offset"]]
            scale = [float(v) for v in data["scale"]]
        except (TypeError, ValueError):
            raise ConfigError("bad_scaler", "Saved scaler offsets and scales must be numbers.") from None
        if not all(math.isfinite(v) for v in offset + scale):
            raise ConfigError("bad_scaler", "Saved scaler offsets and scales must be finite.")
        return cls(
            str(data["kind"]),
            np.array(offset),
            np.array(scale),
            tuple(data.get("names") or ()),
            tuple(data.get("notes") or ()),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scaler):
            return NotImplemented
        return (
            self.kind == other.kind
            and self.names == other.names
            and np.array_equal(self.offset, other.offset)
            and np.array_equal(self.scale, other.scale)
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.names, self.offset.tobytes(), self.scale.tobytes()))

    def __repr__(self) -> str:
        return f"Scaler(kind={self.kind!r}, features={self.n_features})"
