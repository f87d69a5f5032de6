"""Side panels of the main window: the data panel and the model & training panel."""

from __future__ import annotations

from rnnviz.gui.panels.data_panel import DataPanel
from rnnviz.gui.panels.model_panel import ModelPanel

__all__ = ["DataPanel", "ModelPanel"]
