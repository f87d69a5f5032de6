"""ForecastView: the series, the held-out forecasts and a metrics table in the data's units."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.events import ForecastReady
from rnnviz.core.history import RunHistory
from rnnviz.gui import export, theme
from rnnviz.gui.views.base import (
    BaseView,
    ElidedLabel,
    TextStrip,
    f32,
    fill_combo,
    fit_legend_columns,
)

METRICS = (("mae", "MAE"), ("rmse", "RMSE"), ("mase", "MASE"), ("smape", "sMAPE"))
"""Metric keys of ``ForecastReady.metrics`` and their column titles."""
MODEL_ROWS = (("one_step", "model (one-step)"), ("recursive", "model (recursive)"))
SPLITS = ("test", "validation")
PARTS = ("train", "validation", "test")
YLABEL_SMALL = "8pt"
"""Font size of the y label when the target's name is longer than a short plot is high."""
PART_COLORS = {"train": "train", "validation": "#c45f00", "test": "message"}
"""Colours of the parts' names (the validation orange darkened to be read as text)."""
QWIDGETSIZE_MAX = (1 << 24) - 1
"""Qt's largest widget size (no maximum)."""
WIDE_VIEW = 2.2
"""The metrics table sits beside the plot when the view is this many times wider than tall
(and at least 900 px wide), under the plot otherwise."""
ROW_PAD_PX = 1
"""Pixels a table row is higher than its text (the style's default rows were 30 px high);
the header row is twice this higher than its text."""
HANDLE_PX = 4
"""Width of the handle between the plot and the table."""
PLOT_MIN_PX = 90
"""Least height of the plot (with its axis, strip and legend) over the table; a view too
short for it and every row of the table puts the table beside the plot when it can."""
PLOT_MIN_WIDTH_PX = 240
"""Least width of the plot beside the table."""

HELP = """
<p><b>What you see.</b> The target column in its own units (black), with the
<b>train</b> (blue), <b>validation</b> (orange) and <b>test</b> (grey) parts shaded and named
above the plot. Over the
held-out parts: the <b>one-step</b> predictions (green), where every prediction sees the true
recent past, and the <b>recursive</b> forecast (red), started where training ends and fed its
own predictions back step after step, as a real forecast of the unknown future must be. The red
dashed line (<i>future</i>) continues the recursive forecast past the end of the data.</p>
<p><b>How to read it.</b> One-step predictions are easy to make look good (they can copy the
last value); the recursive forecast shows whether the model learned the dynamics. Errors grow
with the distance from the forecast origin; that is expected.</p>
<p><b>The table</b> compares the model with simple baselines on the chosen part (test by
default), in the data's units: MAE and RMSE (lower is better), MASE (below 1 beats the naive
last-value forecast on the training part) and sMAPE (percent). If a baseline wins, the model
is not yet worth using.</p>
"""


def _pretty(name: str) -> str:
    return dict(MODEL_ROWS).get(name) or name.replace("_", " ")


CLIP_SPANS = 2.0
"""A forecast is drawn within the actual values' range widened by this many times its span
on each side; beyond that it is clipped (and the note says so)."""


def plot_limits(actual: np.ndarray) -> tuple[float, float]:
    """The y range a forecast is drawn within: the actual values' finite range, widened by
    :data:`CLIP_SPANS` spans on each side (a diverging model's forecast of 1e22 otherwise
    squashed the data into a flat line)."""
    a = np.asarray(actual, dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return -np.inf, np.inf
    lo, hi = float(a.min()), float(a.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - CLIP_SPANS * span, hi + CLIP_SPANS * span


class ForecastView(BaseView):
    """Series with split shading, one-step / recursive / future forecasts, metrics table."""

    title = "Forecast"
    help_text = HELP
    empty_message = "No series yet: open a CSV file or a sample."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: Any = None
        self._x: np.ndarray | None = None  # (N,) x of every row: epoch seconds or row numbers
        self._dt: float = 1.0
        self._forecast: ForecastReady | None = None
        self._uses_dates = False
        self._actual_key: tuple[int, int] | None = None  # (series or forecast id, target) drawn
        self._table_key: object = None  # what the metrics table shows

        self.target_combo = QComboBox()
        self.target_combo.setToolTip("Which target column to show.")
        self.target_combo.setVisible(False)
        self.split_combo = QComboBox()
        self.split_combo.addItems(list(SPLITS))
        self.split_combo.setToolTip("Which held-out part the metrics table describes.")
        self.add_header_widget(self.target_combo)
        self.add_header_widget(self.split_combo)

        self.graphics = theme.new_graphics()
        self.plot: pg.PlotItem = self.graphics.addPlot()
        theme.style_plot(self.plot, x="row", y="value")
        # the legend sits in its own row under the plot: the series fills the plot's corners.
        # Its columns follow the width (fit_legend_columns): a fixed 4 columns made the
        # scene wider than a narrow view, which then cut the plot's right part off
        self.legend = pg.LegendItem(colCount=2, labelTextColor=theme.FOREGROUND,
                                    labelTextSize="9pt")
        # no margin round its entries (pyqtgraph's 9 px each side made the one-line legend
        # 40 px high: the room of two table rows in a small dock)
        self.legend.layout.setContentsMargins(2, 0, 2, 0)
        self.graphics.nextRow()
        self.graphics.addItem(self.legend)
        # the legend row takes only the height of its lines; the plot takes the rest
        self.graphics.ci.layout.setRowStretchFactor(0, 1)
        self.graphics.ci.layout.setRowStretchFactor(1, 0)
        self.regions: dict[str, pg.LinearRegionItem] = {}
        self._spans: dict[str, tuple[float, float]] = {}  # x from .. to of each part shown
        for name in PARTS:
            region = pg.LinearRegionItem(values=(0, 0), movable=False,
                                         brush=theme.brush(theme.REGION_BRUSHES[name]),
                                         pen=pg.mkPen(None))
            region.setZValue(-20)
            region.setVisible(False)
            self.plot.addItem(region, ignoreBounds=True)
            self.regions[name] = region
        # the parts are named in a strip above the plot (the top axis, without ticks), over
        # the middle of their part in view: inside the plot the series drew over the names
        self._name_font = theme.tick_font()
        self.strip = TextStrip("top")
        self.plot.setAxisItems({"top": self.strip})
        self.plot.showAxis("top")
        self.strip.setHeight(int(np.ceil(QFontMetricsF(self._name_font).height())) + 4)
        self._ylabel = ""  # the target's name
        self._ylabel_on_top = False  # drawn in the strip: the y axis is too short for it
        self._strip_name = ""

        def curve(name: str, pen: Any) -> pg.PlotDataItem:
            item = pg.PlotDataItem(name=name, pen=pen, connect="finite")
            self.plot.addItem(item)
            theme.decimate(item)  # after addItem, which resets it
            self.legend.addItem(item, name)
            return item

        self.actual_curve = curve("actual", theme.pen("actual", 1.3))
        # short names: the four fit in one legend row in a small dock (the help explains)
        self.one_step_curve = curve("one-step", theme.pen("one_step", 1.6))
        self.recursive_curve = curve("recursive", theme.pen("recursive", 2.2))
        # "future": the recursive forecast past the end of the data (the help says so); the
        # four names fit in one legend row from about 380 px
        self.future_curve = curve("future",
                                  theme.pen("future", 2.0, dashed=True))

        # the table: every row readable under the plot in a small dock (a 1280x800 window
        # gives the view about 510x290 px; with rows of 30 px and a title row over the table
        # it showed 2 of its 8 rows). Compact rows, the part chosen in the view's header and
        # named in the table's first column header, and the table exactly as tall as its rows
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        side_lay.setSpacing(2)
        self.table = QTableWidget(0, 1 + len(METRICS))
        self.table.setHorizontalHeaderLabels(["forecast"] + [t for _, t in METRICS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)  # rows told apart by their shade: no 1 px line each
        self.table.setAlternatingRowColors(True)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        line = self.table.fontMetrics().height()
        rows.setMinimumSectionSize(line + ROW_PAD_PX)
        rows.setDefaultSectionSize(line + ROW_PAD_PX)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setFixedHeight(line + 2 * ROW_PAD_PX)
        # the header and a row (the style's least size hint was taller than three rows)
        self.table.setMinimumHeight(2 * line + 3 * ROW_PAD_PX + 2 * self.table.frameWidth())
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Lower is better in every column. MASE < 1 beats the naive "
                              "forecast; sMAPE is in percent.")
        side_lay.addWidget(self.table, 1)
        # one line, ending in "…" when longer than the table is wide (the whole text in its
        # tooltip): a wrapped note took the room of two or three rows in a small dock
        self.note_label = ElidedLabel()
        self.note_label.setStyleSheet(f"color: {theme.COLORS['message']};")
        self.note_label.setVisible(False)  # shown when a forecast has a note
        side_lay.addWidget(self.note_label)
        self.side = side

        # the plot gets the room the table does not need: under the plot the table is as tall
        # as its rows (see _fit_layout), or beside it in a wide or short view. The user
        # can move the handle; the table then keeps the height given to it
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setHandleWidth(HANDLE_PX)
        self.splitter.addWidget(self.graphics)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self.splitter.installEventFilter(self)
        self._laid_out: tuple[Qt.Orientation, bool] | None = None
        self._user_split = False  # the user moved the handle
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.splitter)

        self.target_combo.currentIndexChanged.connect(self._on_target_combo_changed)
        self.graphics.sigDeviceRangeChanged.connect(self._on_graphics_resized)
        vb = self.plot.getViewBox()
        vb.sigXRangeChanged.connect(self._on_view_box_changed)
        vb.sigResized.connect(self._on_view_box_changed)
        vb.sigResized.connect(self._on_view_box_resized)
        self.split_combo.currentIndexChanged.connect(self._on_split_combo_changed)

    # ------------------------------------------------------------------ inputs
    @property
    def target_index(self) -> int:
        """Index k of the target shown."""
        return max(0, self.target_combo.currentIndex())

    @property
    def split(self) -> str:
        """``"test"`` or ``"validation"``: the part the metrics table describes."""
        return self.split_combo.currentText()

    def set_series(self, series: Any) -> None:
        """Show a prepared series (duck-typed PreparedSeries), or None to forget it.

        Reads ``times`` ((N,) datetime64 or None), ``raw`` ((N, F), targets first),
        ``target_names``, ``train_end`` and ``val_end``. A new series resets the curves and
        fits both axes to it (a zoom or pan of the previous data is forgotten).
        """
        new = series is not self._series
        self._series = series
        if new:
            self._clear_items()
        if series is None:
            self._x = None
        else:
            raw = np.asarray(series.raw)
            times = getattr(series, "times", None)
            if times is not None:
                secs = np.asarray(times).astype("datetime64[ns]").astype(np.int64) / 1e9
                self._x = secs.astype(np.float64)  # float32 would lose minutes at 1.7e9 s
                d = np.diff(self._x)
                self._dt = float(np.median(d)) if d.size else 1.0
            else:
                self._x = np.arange(raw.shape[0], dtype=np.float64)
                self._dt = 1.0
            fill_combo(self.target_combo, list(series.target_names))
            self.target_combo.setVisible(len(series.target_names) > 1)
        self._use_date_axis(series is not None and getattr(series, "times", None) is not None)
        if new:
            self._fit_range_to_series()
        self._redraw()

    def _fit_range_to_series(self) -> None:
        """Set both axes to the series' rows and the target's values (0..1 without data),
        then let them follow the data again (auto-range).

        Auto-range alone kept the previous series' range: with it the curves' automatic
        downsampling saw a view millions of rows wide (the previous file's epoch seconds)
        and reduced the new curve to no points, so auto-range found nothing to fit.
        """
        x0, x1, y0, y1 = 0.0, 1.0, 0.0, 1.0
        series = self._series
        if series is not None and self._x is not None and self._x.size:
            half = 0.5 * self._dt
            x0, x1 = float(self._x[0]) - half, float(self._x[-1]) + half
            y = np.asarray(series.raw, dtype=np.float64)[:, self.target_index]
            y = y[np.isfinite(y)]
            if y.size:
                y0, y1 = float(y.min()), float(y.max())
                if y1 <= y0:
                    y0, y1 = y0 - 0.5, y1 + 0.5
        self.plot.getViewBox().setRange(xRange=(x0, x1), yRange=(y0, y1))
        self.plot.enableAutoRange()

    def _use_date_axis(self, dates: bool) -> None:
        if dates == self._uses_dates:
            return
        axis = pg.DateAxisItem(orientation="bottom") if dates else pg.AxisItem("bottom")
        self.plot.setAxisItems({"bottom": axis})
        theme.style_plot(self.plot, x="row", grid=True)
        axis.showLabel(not dates)  # dates need no "time" label: its height goes to the plot
        if not dates:  # the date axis limited x to its calendar's range: no limit for rows
            self.plot.getViewBox().setLimits(xMin=-1e307, xMax=1e307)
        self._uses_dates = dates

    def _place_part_labels(self) -> None:
        """Name each part shown over the middle of its part in view (kept inside the strip;
        a name that would run into the one before it is left out), and the target there
        when the y axis is too short for it. Repaints only when a place changed: after a
        new series, a zoom or pan, or a resize."""
        strip = self.strip
        vb = self.plot.getViewBox()
        (x0, x1), _ = vb.viewRange()
        width = float(strip.width())
        metrics = QFontMetricsF(self._name_font)
        h = metrics.height()
        texts: list[tuple[QRectF, str, Any]] = []
        right_of_previous = -1e9
        if self._ylabel_on_top:
            w = metrics.horizontalAdvance(self._ylabel) + 2
            texts.append((QRectF(0.0, 1.0, w, h), self._ylabel, theme.FOREGROUND))
            right_of_previous = w
        for name in PARTS:
            span = self._spans.get(name)
            if span is None or width <= 0 or x1 <= x0:
                continue
            lo, hi = max(span[0], x0), min(span[1], x1)
            if hi <= lo:
                continue
            centre = vb.mapViewToScene(pg.Point(0.5 * (lo + hi), 0.0)).x()
            w = metrics.horizontalAdvance(name) + 2
            x = float(strip.mapFromScene(pg.Point(centre, 0.0)).x()) - w / 2
            x = min(max(x, 0.0), width - w)
            if x < right_of_previous + 6:
                continue  # too narrow a part in view: its name would overprint
            right_of_previous = x + w
            texts.append((QRectF(x, 1.0, w, h), name, theme.color(PART_COLORS[name])))
        strip.set_marks(texts)

    def part_label_rects(self) -> dict[str, QRectF]:
        """Scene rectangles of the names drawn above the plot, by text (for checks)."""
        return self.strip.text_rects()

    def _fit_ylabel(self) -> None:
        """The target's name along the y axis; in a smaller font when it is longer than the
        axis is high, and when it does not fit even so (a short plot, a long name), at the
        left end of the strip above the plot instead (along the axis it was cut at both
        ends). Set only when it changes."""
        axis = self.plot.getAxis("left")
        # the label's box (the text and its document margins) no longer than the axis
        room = float(axis.height()) - 2 * float(axis.label.document().documentMargin()) - 2
        text, size, on_top = self._ylabel, theme.LABEL_SIZE, False
        if room > 0:
            for size in (theme.LABEL_SIZE, YLABEL_SMALL):
                font = QFont()
                font.setPointSizeF(float(size.removesuffix("pt")))
                if QFontMetricsF(font).horizontalAdvance(text) <= room:
                    break
            else:
                on_top = True
        if on_top != self._ylabel_on_top or (on_top and self._strip_name != text):
            self._ylabel_on_top = on_top
            self._strip_name = text
            self._place_part_labels()
        shown = "" if on_top else text
        if (axis.labelText, axis.labelStyle.get("font-size")) != (shown, size):
            axis.setLabel(shown, **{"font-size": size, "color": theme.FOREGROUND})
            axis.showLabel(not on_top)

    def _x_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """x coordinates of row numbers; rows past the end are extrapolated by the median step."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._x is None:
            return rows.astype(np.float64)
        n = self._x.size
        inside = np.clip(rows, 0, max(n - 1, 0))
        x = self._x[inside] if n else rows.astype(np.float64)
        past = rows >= n
        if n and past.any():
            x = x.copy()
            x[past] = self._x[-1] + (rows[past] - (n - 1)) * self._dt
        return x

    # ------------------------------------------------------------------ drawing
    def _draw(self, history: RunHistory) -> bool | None:
        if history.forecast is self._forecast and self.message is None:
            return False  # a batch arrived, the forecast did not change: no repaint
        if self._forecast is None and history.forecast is not None:
            self.plot.enableAutoRange()  # a run's first forecast: show it, and past the end
        self._forecast = history.forecast
        self._redraw()

    # ------------------------------------------------------------------ layout
    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_layout()

    def table_height(self) -> int:
        """Pixels the table needs to show its header and every row without scrolling."""
        t = self.table
        need = 2 * t.frameWidth() + t.horizontalHeader().height() + t.verticalHeader().length()
        if t.horizontalScrollBar().isVisible():
            need += t.horizontalScrollBar().height()
        return int(need)

    def table_width(self) -> int:
        """Pixels the table needs to show every column without cutting a text."""
        t = self.table
        head = t.horizontalHeader()
        cols = sum(max(t.sizeHintForColumn(c), head.sectionSizeHint(c))
                   for c in range(t.columnCount()))
        return int(2 * t.frameWidth() + cols + 2)

    def _side_height(self) -> int:
        """The table's height and the note's under it, when there is one."""
        need = self.table_height()
        if not self.note_label.isHidden():
            need += self.side.layout().spacing() + self.note_label.sizeHint().height()
        return need

    def _fit_layout(self) -> None:
        """Put the table under the plot or beside it, and size both.

        Beside: in a wide view (:data:`WIDE_VIEW`), the plot keeping about two thirds of the
        width; and in a view too short for the plot (:data:`PLOT_MIN_PX` high) over every
        row of the table, when it is wide enough for the table beside a plot
        :data:`PLOT_MIN_WIDTH_PX` wide (the table then exactly as wide as its columns).
        Under, the table is exactly as tall as its rows and the plot takes the rest; when the
        view is too small for both the plot keeps :data:`PLOT_MIN_PX` and the table scrolls.
        The user's own handle position is kept while the orientation does not change.
        """
        w, h = self.splitter.width(), self.splitter.height()
        if w <= 1 or h <= 1:  # not laid out yet (the message shows)
            return
        need_h, need_w = self._side_height(), self.table_width()
        if w >= WIDE_VIEW * h and w >= 900:
            orient, fit = Qt.Orientation.Horizontal, False
        elif h - need_h - HANDLE_PX >= PLOT_MIN_PX or w - need_w - HANDLE_PX < PLOT_MIN_WIDTH_PX:
            orient, fit = Qt.Orientation.Vertical, True
        else:
            orient, fit = Qt.Orientation.Horizontal, True
        if (orient, fit) != self._laid_out:
            self._laid_out = (orient, fit)
            self._user_split = False
            self.splitter.setOrientation(orient)
            self.side.setMaximumHeight(QWIDGETSIZE_MAX)
            self.side.setMaximumWidth(QWIDGETSIZE_MAX)
        if self._user_split:
            return
        total = w if orient == Qt.Orientation.Horizontal else h
        total -= HANDLE_PX
        if not fit:
            side = total - int(total * 0.62)
        elif orient == Qt.Orientation.Vertical:
            side = max(0, min(need_h, total - PLOT_MIN_PX))
            if self.side.maximumHeight() != need_h:  # no empty room under the last row
                self.side.setMaximumHeight(need_h)
        else:
            t = self.table
            bar = t.verticalScrollBar().sizeHint().width() if self.table_height() > h else 0
            side = min(need_w + bar, total - PLOT_MIN_WIDTH_PX)
        if self.splitter.sizes() != [total - side, side]:
            self.splitter.setSizes([total - side, side])

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt override
        """Fits the layout again when the splitter gets its size."""
        if watched is getattr(self, "splitter", None) and event.type() == QEvent.Type.Resize:
            self._fit_layout()
        return super().eventFilter(watched, event)

    def _redraw(self) -> None:
        fc = self._forecast
        series = self._series
        if series is None and fc is None:
            self._clear_items()
            self.show_message(self.empty_message)
            return
        self.show_content()
        k = self.target_index
        cols: dict[str, np.ndarray] = {}
        if series is not None:
            raw = np.asarray(series.raw)
            n_rows = raw.shape[0]
            rows = np.arange(n_rows, dtype=np.int64)
            actual = raw[:, k].astype(np.float64)
            ylabel = series.target_names[k]
            parts = (("train", (0, series.train_end)),
                     ("validation", (series.train_end, series.val_end)),
                     ("test", (series.val_end, n_rows)))
            for name, (lo, hi) in parts if self._actual_key != (id(series), k) else ():
                region = self.regions[name]
                if hi > lo:
                    x0, x1 = self._x_of_rows(np.array([lo, hi - 1]))
                    half = 0.5 * self._dt
                    region.setRegion((x0 - half, x1 + half))
                region.setVisible(hi > lo)
                if hi > lo:
                    self._spans[name] = (x0 - half, x1 + half)
                else:
                    self._spans.pop(name, None)
            if self._actual_key != (id(series), k):
                self._place_part_labels()
        else:
            rows = np.asarray(fc.index, dtype=np.int64)  # type: ignore[union-attr]
            n_rows = int(rows[-1]) + 1 if rows.size else 0
            actual = np.asarray(fc.actual, dtype=np.float64)[:, min(k, fc.actual.shape[1] - 1)]  # type: ignore[union-attr]
            ylabel = "target"
            for region in self.regions.values():
                region.setVisible(False)
            if self._spans:
                self._spans.clear()
                self._place_part_labels()
        if ylabel != self._ylabel:
            self._ylabel = ylabel
            self._fit_ylabel()
        # the series changes with the data, not with each forecast: setting it again made
        # pyqtgraph prepare the whole curve (and its downsampling) once more
        key = (id(series), k) if series is not None else (id(fc), k)
        if key != self._actual_key:
            self.actual_curve.setData(self._xy(self._x_of_rows(rows)), f32(actual))
            self._actual_key = key

        one = np.full(rows.size, np.nan)
        rec = np.full(rows.size, np.nan)
        fut = np.empty(0)
        fut_rows = np.empty(0, dtype=np.int64)
        if fc is not None and fc.index.size:
            kk = min(k, fc.one_step.shape[1] - 1)
            pos = np.searchsorted(rows, fc.index)
            ok = (pos < rows.size) & (rows[np.minimum(pos, rows.size - 1)] == fc.index)
            one[pos[ok]] = np.asarray(fc.one_step)[ok, kk]
            rec[pos[ok]] = np.asarray(fc.recursive)[ok, kk]
            fx = self._x_of_rows(fc.index)
            fut = np.asarray(fc.future, dtype=np.float64)
            fut = fut[:, min(k, fut.shape[1] - 1)] if fut.ndim == 2 and fut.size else np.empty(0)
            fut_rows = np.arange(n_rows, n_rows + fut.size, dtype=np.int64)
            lo, hi = plot_limits(actual)
            drawn = [np.asarray(fc.one_step)[:, kk], np.asarray(fc.recursive)[:, kk], fut]
            off = max((float(np.nanmax(np.abs(y))) for y in drawn if np.isfinite(y).any()
                       and (np.nanmin(y) < lo or np.nanmax(y) > hi)), default=None)
            one_y, rec_y, fut_y = (np.clip(y, lo, hi) for y in drawn)
            self.one_step_curve.setData(self._xy(fx), f32(one_y))
            self.recursive_curve.setData(self._xy(fx), f32(rec_y))
            if fut.size:
                # join the future line to the last recursive point so it reads as one forecast
                jx = np.concatenate([fx[-1:], self._x_of_rows(fut_rows)])
                jy = np.concatenate([rec_y[-1:], fut_y])
                self.future_curve.setData(self._xy(jx), f32(jy))
            else:
                self.future_curve.setData([], [])
            note = fc.note
            if off is not None:
                note = (f"The forecast runs off the chart (values up to {off:.3g}); it is drawn "
                        "clipped at the chart's edges, the table and the CSV hold its values. "
                        + note).strip()
            self._set_note(note)
            self.set_subtitle(f"forecast after epoch {fc.epoch}")
        else:
            for item in (self.one_step_curve, self.recursive_curve, self.future_curve):
                item.setData([], [])
            self._set_note("")
            self.set_subtitle("no forecast yet: it appears after the first epoch")
        self._fill_table()

        all_rows = np.concatenate([rows, fut_rows])
        pad = np.full(fut_rows.size, np.nan)
        cols["row"] = all_rows
        if self._uses_dates and series is not None:
            t0 = np.asarray(series.times).astype("datetime64[ns]")
            extra = (t0[-1] + (np.arange(1, fut_rows.size + 1) * self._dt * 1e9)
                     .astype("timedelta64[ns]")) if fut_rows.size else t0[:0]
            cols["time"] = np.concatenate([t0, extra])
        cols["actual"] = np.concatenate([actual, pad])
        cols["one_step"] = np.concatenate([one, pad])
        cols["recursive"] = np.concatenate([rec, pad])
        cols["future"] = np.concatenate([np.full(rows.size, np.nan), fut])
        self._columns = cols

    def _xy(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=np.float64 if self._uses_dates else np.float32)

    def _set_note(self, text: str) -> None:
        """The forecast's note under the table, shown only when there is one."""
        if text == self.note_label.full_text:
            return
        self.note_label.set_full_text(text)
        self.note_label.setVisible(bool(text))
        self._fit_layout()

    def _table_rows(self) -> list[tuple[str, dict[str, float]]]:
        fc = self._forecast
        by_name = (fc.metrics.get(self.split, {}) if fc is not None else {}) or {}
        names = [n for n, _ in MODEL_ROWS if n in by_name]
        names += [n for n in by_name if n not in names]
        return [(n, by_name[n]) for n in names]

    def _fill_table(self) -> None:
        rows = self._table_rows()
        key = (self.split, [(n, sorted(v.items())) for n, v in rows])
        if key == self._table_key:
            return  # the same numbers: no new items, no new layout of the table
        self._table_key = key
        self.table.setRowCount(len(rows))
        baseline_color = theme.color("message")
        for r, (name, values) in enumerate(rows):
            lower = {str(k).lower(): v for k, v in values.items()}
            head = QTableWidgetItem(_pretty(name))
            head.setData(Qt.ItemDataRole.UserRole, name)
            if name not in dict(MODEL_ROWS):
                head.setForeground(baseline_color)
                head.setToolTip("baseline")
            self.table.setItem(r, 0, head)
            for c, (key, _title) in enumerate(METRICS, start=1):
                v = lower.get(key)
                text = "—" if v is None or not np.isfinite(v) else f"{v:.4g}"
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setData(Qt.ItemDataRole.UserRole, float("nan") if v is None else float(v))
                self.table.setItem(r, c, item)
        self.table.horizontalHeaderItem(0).setText(f"{self.split} · data units")
        self._fit_layout()

    def metrics_columns(self) -> dict[str, np.ndarray]:
        """The metrics table as columns: ``forecast`` and one column per metric."""
        rows = self._table_rows()
        out: dict[str, np.ndarray] = {"split": np.asarray([self.split] * len(rows), dtype=object),
                                      "forecast": np.asarray([n for n, _ in rows], dtype=object)}
        for key, _title in METRICS:
            out[key] = np.asarray([{str(k).lower(): v for k, v in m.items()}.get(key, np.nan)
                                   for _, m in rows], dtype=np.float64)
        return out

    def export_metrics(self, path: Any) -> Any:
        """Write the metrics table shown (the chosen part) to a CSV file."""
        return export.write_csv(path, self.metrics_columns())

    def _clear_items(self) -> None:
        self._actual_key = self._table_key = None
        for item in (self.actual_curve, self.one_step_curve, self.recursive_curve,
                     self.future_curve):
            item.setData([], [])
        for region in self.regions.values():
            region.setVisible(False)
        self._spans.clear()
        self._place_part_labels()
        self.table.setRowCount(0)
        self._set_note("")
        self._columns = {}

    def _clear(self) -> None:
        self._forecast = None
        self._clear_items()
        self.set_subtitle("")

    def clear(self) -> None:
        """Forget the forecast (the series stays until ``set_series(None)``)."""
        super().clear()
        if self._series is not None:
            self._redraw()

    # ------------------------------------------------------------------ slots
    def _on_target_combo_changed(self, _i: int) -> None:
        self._redraw()

    def _on_graphics_resized(self, *_args: Any) -> None:
        # fit_legend_columns holds the legend at least as high as it was: once two rows high
        # (a narrow moment while the window opened) it kept two rows' height after it went
        # back to one row. Let it shrink when its columns change
        held = self.legend.minimumHeight()
        self.legend.setMinimumHeight(0)
        if not fit_legend_columns(self.legend, self.graphics, (4, 2)):
            self.legend.setMinimumHeight(held)

    def _on_view_box_changed(self, *_args: Any) -> None:
        self._place_part_labels()

    def _on_view_box_resized(self, *_args: Any) -> None:
        # from the event loop: fitting the label lays the plot out again, which must not
        # happen from a resize Qt sends while it destroys the plot (a deleted axis was hit)
        QTimer.singleShot(0, self, self._fit_ylabel)

    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._user_split = True

    def _on_split_combo_changed(self, _i: int) -> None:
        self._fill_table()


if __name__ == "__main__":
    from rnnviz.gui.views.demo import run_alone

    raise SystemExit(run_alone(ForecastView))
