"""Colours, pens, fonts and colour maps shared by every view.

One place decides what "train", "validation" or "recursive forecast" looks like, so the same
thing has the same colour in every view and in every exported picture:

- train: blue; validation: orange; test: grey;
- baselines: grey dashed; one-step predictions: green; recursive forecast: red;
- sigmoid gates (0..1): ``viridis``; tanh values (-1..1) and other signed values: the
  blue-white-red diverging map ``CET-D1``.

Nothing here changes pyqtgraph's global configuration: plots are styled one by one with
:func:`style_plot`, so the main window stays free to configure pyqtgraph as it likes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

BACKGROUND = "#ffffff"
FOREGROUND = "#262626"
GRID_ALPHA = 0.15

COLORS: dict[str, str] = {
    "train": "#1f77b4",
    "train_raw": "#9ecae1",
    "validation": "#ff7f0e",
    "test": "#7f7f7f",
    "baseline": "#7f7f7f",
    "actual": "#262626",
    "one_step": "#2ca02c",
    "recursive": "#d62728",
    "future": "#d62728",
    "lr": "#9467bd",
    "cursor": "#e7298a",
    "median": "#1f77b4",
    "message": "#606060",
}
"""Named colours (hex) by role."""

REGION_BRUSHES: dict[str, tuple[int, int, int, int]] = {
    "train": (31, 119, 180, 22),
    "validation": (255, 127, 14, 34),
    "test": (127, 127, 127, 34),
}
"""RGBA fills of the train / validation / test shading on series plots."""

PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#7f7f7f",
)
"""Categorical colours for layers, units and features (tab10, reordered)."""

GROUP_COLORS: dict[str, str] = {
    "input": "#17becf",
    "recurrent": "#9467bd",
    "bias": "#8c564b",
    "head": "#e377c2",
}
"""Colours of the parameter groups of the gradient-norm plot."""

SIGMOID_CMAP = "viridis"
DIVERGING_CMAP = "CET-D1"

TICK_POINT_SIZE = 9
LABEL_SIZE = "10pt"
TITLE_SIZE = "10pt"


def color(role: str, alpha: int | None = None) -> QColor:
    """Return the colour of a role (see :data:`COLORS`), optionally with alpha 0..255."""
    c = QColor(COLORS.get(role, role))
    if alpha is not None:
        c.setAlpha(alpha)
    return c


def palette_color(i: int, alpha: int | None = None) -> QColor:
    """Return the i-th categorical colour (cycling), optionally with alpha."""
    c = QColor(PALETTE[i % len(PALETTE)])
    if alpha is not None:
        c.setAlpha(alpha)
    return c


def pen(role: str | QColor, width: float = 1.5, *, dashed: bool = False, dotted: bool = False,
        alpha: int | None = None) -> Any:
    """Return a cosmetic pen for a role name, a hex colour or a QColor.

    Parameters
    ----------
    role : str or QColor
        A key of :data:`COLORS`, a colour string, or a QColor.
    width : float
        Width in pixels.
    dashed, dotted : bool
        Line style.
    alpha : int, optional
        Opacity 0..255.
    """
    c = QColor(role) if isinstance(role, QColor) else color(role)
    if alpha is not None:
        c.setAlpha(alpha)
    style = Qt.PenStyle.DashLine if dashed else (Qt.PenStyle.DotLine if dotted else
                                                 Qt.PenStyle.SolidLine)
    return pg.mkPen(color=c, width=width, style=style)


def brush(rgba: tuple[int, int, int, int] | QColor | str) -> Any:
    """Return a brush from an RGBA tuple, a QColor or a colour string."""
    if isinstance(rgba, tuple):
        return pg.mkBrush(*rgba)
    return pg.mkBrush(rgba)


def colormap(kind: str) -> pg.ColorMap:
    """Return the colour map for ``"sigmoid"`` (0..1) or ``"tanh"`` / ``"signed"`` values."""
    return pg.colormap.get(SIGMOID_CMAP if kind == "sigmoid" else DIVERGING_CMAP)


def tick_font() -> QFont:
    """Font of axis tick labels."""
    f = QFont()
    f.setPointSize(TICK_POINT_SIZE)
    return f


def style_plot(plot: pg.PlotItem, *, title: str | None = None, x: str | None = None,
               y: str | None = None, grid: bool = True) -> pg.PlotItem:
    """Give a plot the shared look: dark axes on white, readable fonts, a light grid.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
    title, x, y : str, optional
        Title and axis labels.
    grid : bool
        Draw a light grid.

    Returns
    -------
    pyqtgraph.PlotItem
        The same plot.
    """
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.setTickFont(tick_font())
        axis.enableAutoSIPrefix(False)  # "loss (x0.001)" confuses more than it helps
        # two tick levels, not three: the third level's grid lines made every repaint of a
        # 1100x700 plot 3-4x slower (about 40 ms instead of 12 ms on 2 cores)
        axis.setStyle(maxTickLevel=1)
    if title:
        plot.setTitle(title, size=TITLE_SIZE, color=FOREGROUND)
    if x:
        plot.setLabel("bottom", x, **{"font-size": LABEL_SIZE, "color": FOREGROUND})
    if y:
        plot.setLabel("left", y, **{"font-size": LABEL_SIZE, "color": FOREGROUND})
    if grid:
        plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    return plot


def add_legend(plot: pg.PlotItem, *, offset: tuple[int, int] = (-10, 10)) -> pg.LegendItem:
    """Add a legend with a translucent white box in the top-right corner."""
    legend = plot.addLegend(offset=offset, labelTextColor=FOREGROUND, labelTextSize="9pt",
                            brush=pg.mkBrush(255, 255, 255, 200), pen=pg.mkPen("#c8c8c8"))
    return legend


def new_graphics(parent: Any = None) -> pg.GraphicsLayoutWidget:
    """Return a GraphicsLayoutWidget with the shared white background."""
    w = pg.GraphicsLayoutWidget(parent=parent)
    w.setBackground(BACKGROUND)
    w.ci.setContentsMargins(4, 4, 4, 4)
    return w


def style_colorbar(bar: pg.ColorBarItem, label: str | None = None) -> pg.ColorBarItem:
    """Give a colour bar dark axis text and an optional label."""
    axis = bar.axis
    axis.setPen(pg.mkPen(FOREGROUND))
    axis.setTextPen(pg.mkPen(FOREGROUND))
    axis.setTickFont(tick_font())
    if label:
        axis.setLabel(label, **{"font-size": "9pt", "color": FOREGROUND})
    return bar


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pow10_label(exponent: int) -> str:
    """``"0.01"`` .. ``"1000"`` for small exponents, ``"10⁻⁵"`` beyond."""
    if -2 <= exponent <= 3:
        return f"{10.0 ** exponent:g}"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


class LogAxisItem(pg.AxisItem):
    """A log axis that labels decades; 2 and 5 too when under three decades show, every
    minor tick when under 1.5 decades show. (pyqtgraph's default labels every minor tick,
    which overlap.)"""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        lo, hi = self.range
        span = abs(hi - lo)
        out = []
        for v in values:
            v = float(v)
            mantissa = round(10.0 ** (v - np.floor(v + 1e-9)), 6)
            if abs(v - round(v)) < 1e-6:
                out.append(pow10_label(int(round(v))))
            elif span < 1.5 or (span < 3 and mantissa in (2.0, 5.0)):
                out.append(f"{10.0 ** v * scale:.2g}")
            else:
                out.append("")
        return out


def add_log_plot(graphics: pg.GraphicsLayoutWidget, row: int, col: int) -> pg.PlotItem:
    """Add a plot with a logarithmic y axis labelled by decades."""
    plot = graphics.addPlot(row=row, col=col, axisItems={"left": LogAxisItem("left")})
    plot.setLogMode(y=True)
    return plot


def set_title(plot: pg.PlotItem, text: str) -> bool:
    """Set a plot's title in the shared style, only when it changed, keeping its row.

    The same as :func:`rnnviz.gui.views.base.set_title` (``PlotItem.setTitle`` put the
    title row back to 30 px at each call, so a wrapped title's row shrank and grew again and
    the whole page was laid out and drawn again). Returns True when the text changed.
    """
    from rnnviz.gui.views.base import set_title as keep_row_title  # base imports theme

    return keep_row_title(plot, text)


def set_axis_label(axis: pg.AxisItem, text: str, size: str = "9pt") -> None:
    """Set an axis label, only when it changed."""
    if axis.labelText != text:
        axis.setLabel(text, **{"font-size": size, "color": FOREGROUND})


def decimate(item: Any) -> None:
    """Draw a long curve from at most a few points per pixel column (the peaks kept) and only
    its part in view.

    Call it *after* ``PlotItem.addItem(item)``: ``addItem`` sets a curve's downsampling to
    the plot's own (off), so settings made before are silently lost (a 1,000,000-row series
    then took 0.75 s to paint).
    """
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
