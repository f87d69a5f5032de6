"""The views of the window, one per module, each runnable alone on demo data.

``VIEWS`` maps a short name to the view class, in display order. It is lazy: the names are
known at once, and a view's module (and pyqtgraph) is imported only when its class is first
looked up, so importing this package costs nothing and never imports torch::

    from rnnviz.gui.views import VIEWS
    for name in VIEWS:            # "loss", "forecast", "gates", "states", "gradients", "influence"
        view = VIEWS[name]()      # imports rnnviz.gui.views.<name>_view on first use

Every class has the BaseView API: ``title``, ``help_text``, ``render(history)``, ``clear()``,
``export_image(path)``, ``export_data(path)``; ForecastView also ``set_series(series)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

_LOCATIONS: dict[str, tuple[str, str]] = {
    "loss": ("rnnviz.gui.views.loss_view", "LossView"),
    "forecast": ("rnnviz.gui.views.forecast_view", "ForecastView"),
    "gates": ("rnnviz.gui.views.gates_view", "GatesView"),
    "states": ("rnnviz.gui.views.states_view", "StatesView"),
    "gradients": ("rnnviz.gui.views.gradients_view", "GradientsView"),
    "influence": ("rnnviz.gui.views.influence_view", "InfluenceView"),
}


class _LazyViews(Mapping):
    """Ordered, read-only mapping name -> view class that imports on first lookup."""

    def __init__(self, locations: dict[str, tuple[str, str]]) -> None:
        self._locations = dict(locations)
        self._loaded: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        cls = self._loaded.get(name)
        if cls is None:
            module, attr = self._locations[name]  # KeyError for unknown names
            cls = getattr(importlib.import_module(module), attr)
            self._loaded[name] = cls
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(self._locations)

    def __len__(self) -> int:
        return len(self._locations)

    def __repr__(self) -> str:
        return f"VIEWS({', '.join(self._locations)})"


VIEWS: Mapping[str, type] = _LazyViews(_LOCATIONS)
"""View classes by name, in display order (lazy)."""

__all__ = ["VIEWS", *(attr for _, attr in _LOCATIONS.values())]


def __getattr__(name: str) -> Any:
    """``from rnnviz.gui.views import LossView`` works and imports only that module."""
    for key, (_module, attr) in _LOCATIONS.items():
        if attr == name:
            return VIEWS[key]
    raise AttributeError(f"module 'rnnviz.gui.views' has no attribute {name!r}")
