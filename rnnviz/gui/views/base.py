"""BaseView: what every view of the window shares.

A view is a QWidget with

- ``title`` and ``help_text`` (class attributes; the "?" button in the header shows the help);
- ``render(history)``: redraw from a :class:`~rnnviz.core.history.RunHistory`. It returns at
  once when the history has not changed since the last draw; otherwise it calls the
  subclass's ``_draw(history)``. Views only draw arrays; they never run a model;
- ``clear()``: forget what was drawn;
- ``export_image(path)`` (PNG or SVG by suffix) and ``export_data(path)`` (CSV of exactly the
  arrays drawn, as returned by :meth:`BaseView.data_columns`).

Subclasses build their plot items once in ``__init__`` (or when the shape of the data
changes), then only call ``setData`` / ``setImage`` in ``_draw``; they record the arrays they
drew in ``self._columns`` (name -> 1-D array) for :meth:`export_data`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core.history import RunHistory
from rnnviz.gui import export, theme

AXIS_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache
"""How axes are cached between repaints (see :meth:`BaseView.cache_axes`)."""


FAINT_TICK_ALPHA = 6
"""Tick and grid lines fainter than this alpha (of 255) are not drawn (see
:func:`skip_faint_ticks`)."""


def skip_faint_ticks(axis: pg.AxisItem) -> pg.AxisItem:
    """Leave out the tick and grid lines an axis would draw almost transparent.

    pyqtgraph fades the lines of a tick level as they get dense: on a log axis spanning six
    decades the 2..9 lines of each decade get an alpha of 3 of 255 (a change of 2-3 grey
    levels on white, which no one sees), and Qt draws such translucent lines slowly: the
    70 of them took 4-20 ms of each redraw of the Gradients and Influence axes, the 8
    visible lines under 1 ms. Lines at :data:`FAINT_TICK_ALPHA` or more are drawn as before.
    Calling it again does nothing.
    """
    if "generateDrawSpecs" in vars(axis):
        return axis
    generate = axis.generateDrawSpecs

    def specs(painter: Any) -> Any:
        out = generate(painter)
        if out is None:
            return out
        axis_spec, tick_specs, text_specs = out
        return (axis_spec, [t for t in tick_specs if t[0].color().alpha() >= FAINT_TICK_ALPHA],
                text_specs)

    axis.generateDrawSpecs = specs  # type: ignore[method-assign]
    return axis


class BaseView(QWidget):
    """Base class of the views: header with title and "?" help, a content area, exports.

    Parameters
    ----------
    parent : QWidget, optional
    """

    title: str = "View"
    help_text: str = ""
    empty_message: str = "Nothing to show yet: press Start (Space), or open a saved run."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(type(self).__name__)
        self._drawn_key: tuple[int, int, int] | None = None
        self._history: RunHistory | None = None
        self._columns: dict[str, np.ndarray] = {}
        self._help_box: QMessageBox | None = None
        self._cached_counts: dict[int, int] = {}  # scene id -> items seen by cache_axes
        self._graphics: list[pg.GraphicsView] | None = None
        self._laid_out_at: Any = None  # size of the page of plots when prebuild() laid it out

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)

        self.header_layout = QHBoxLayout()
        self.header_layout.setContentsMargins(2, 0, 2, 0)
        self.header_layout.setSpacing(8)
        self._title_label = QLabel(f"<b>{self.title}</b>")
        self._subtitle_label = QLabel("")
        self._subtitle_label.setStyleSheet(f"color: {theme.COLORS['message']};")
        # the subtitle changes while training ("epoch 3 · 120 batches"): its width must never
        # widen the dock (that resized every view in the column, and a resize redraws all
        # their axes), nor move the header's controls (each move repainted the whole header
        # row, 1.6 ms a frame): it takes a fixed share of the row, and in a narrow dock the
        # end of the text is cut
        self._subtitle_label.setMinimumWidth(1)
        self._subtitle_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                           QSizePolicy.Policy.Preferred)
        self._note_label = QLabel("")
        self._note_label.setStyleSheet("color: #b35900; font-weight: bold;")
        self.header_layout.addWidget(self._title_label)
        self.header_layout.addWidget(self._note_label)
        # all the free room of the row (the controls stay at the right end); a text longer
        # than that ends in "…" (cut in the middle of a number, it read as a wrong number),
        # the whole text in its tooltip
        self.header_layout.addWidget(self._subtitle_label, 1)
        self._subtitle_text = ""
        self._subtitle_label.installEventFilter(self)
        self._controls_at = self.header_layout.count()
        self.help_button = QToolButton(self)
        self.help_button.setText("?")
        self.help_button.setToolTip(f"How to read the {self.title} view")
        self.help_button.setAccessibleName(f"Help: {self.title}")
        self.help_button.clicked.connect(self.show_help)
        self.header_layout.addWidget(self.help_button)
        outer.addLayout(self.header_layout)

        self._stack = QStackedWidget(self)
        self.content = QWidget(self._stack)
        self._message = QLabel(self.empty_message, self._stack)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setStyleSheet(
            f"color: {theme.COLORS['message']}; font-size: 12pt; background: white;"
        )
        self._stack.addWidget(self.content)
        self._stack.addWidget(self._message)
        self._stack.setCurrentWidget(self._message)
        outer.addWidget(self._stack, 1)

    # ------------------------------------------------------------------ header helpers
    def add_header_widget(self, widget: QWidget) -> QWidget:
        """Put a control in the header, left of the "?" button."""
        if isinstance(widget, QComboBox):  # as wide as its longest item: the subtitle gives way
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            widget.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.header_layout.insertWidget(self._controls_at, widget)
        self._controls_at += 1
        return widget

    def set_subtitle(self, text: str) -> None:
        """Show what is drawn, in grey next to the title (e.g. "epoch 4 · 120 batches");
        views update it as they redraw. A text longer than its room ends in "…"; the
        whole text is in the label's tooltip and in :attr:`subtitle`."""
        if text == self._subtitle_text:
            return
        self._subtitle_text = text
        self._elide_subtitle()

    def _elide_subtitle(self) -> None:
        label = self._subtitle_label
        text = self._subtitle_text
        shown = label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                               max(label.width(), 1))
        if shown != label.text():
            label.setText(shown)
        tip = text if shown != text else ""
        if label.toolTip() != tip:
            label.setToolTip(tip)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt override
        """Shortens the subtitle again when its room changes."""
        if watched is self._subtitle_label and event.type() == QEvent.Type.Resize:
            self._elide_subtitle()
        return super().eventFilter(watched, event)

    def set_note(self, text: str) -> None:
        """Show a lasting note next to the title, e.g. "demo data" (kept across redraws)."""
        self._note_label.setText(text)

    @property
    def note(self) -> str:
        """The lasting note next to the title."""
        return self._note_label.text()

    @property
    def subtitle(self) -> str:
        """The grey note next to the title (the whole text, however much of it shows)."""
        return self._subtitle_text

    def show_help(self) -> QMessageBox:
        """Open the "how to read this view" text in a non-blocking message box."""
        if self._help_box is None:
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle(f"How to read: {self.title}")
            box.setTextFormat(Qt.TextFormat.RichText)
            box.setText(self.help_text)
            box.setStandardButtons(QMessageBox.StandardButton.Close)
            self._help_box = box
        self._help_box.open()
        return self._help_box

    # ------------------------------------------------------------------ content / message
    def show_message(self, text: str) -> None:
        """Replace the content by a plain centred message (e.g. no data, no gates)."""
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)

    def show_content(self) -> None:
        """Show the plots again after :meth:`show_message`."""
        self._stack.setCurrentWidget(self.content)

    @property
    def message(self) -> str | None:
        """The message shown instead of the content, or None when the content shows."""
        if self._stack.currentWidget() is self._message:
            return self._message.text()
        return None

    # ------------------------------------------------------------------ before a run
    def prebuild(self) -> None:
        """Get the view ready before a run, so that its first data do not stall the window.

        Creates the plot items that are costly to make (:meth:`_prebuild`) and, while the
        view is on screen showing its message, lays its page of plots out once at the
        view's size (the page was first laid out when the first data arrived, while the
        run trained). The main window calls this when data are ready; it is cheap to call
        again.
        """
        self._prebuild()
        if self._stack.currentWidget() is not self._message or not self.isVisible():
            return
        size = self._stack.size()
        if size == self._laid_out_at:
            return
        self._stack.setCurrentWidget(self.content)  # lays the page out (no paint: same slot)
        self._stack.setCurrentWidget(self._message)
        self._laid_out_at = size
        # paint the page once off screen: every axis lays out and draws its ticks into the
        # pixmap it is painted from (cache_axes), and Qt makes its glyphs and pixmaps, now
        # rather than in the first probe's frame (Gates: 37 ms of painting otherwise)
        self.cache_axes()
        for gv in self._graphics_views():
            gv.grab()

    def _prebuild(self) -> None:
        """Subclasses create their costly plot items here (called by :meth:`prebuild`)."""

    # ------------------------------------------------------------------ drawing
    def render(self, history: RunHistory) -> bool:  # type: ignore[override]
        """Redraw from a RunHistory; returns at once when the history has not changed since
        the last draw.

        Parameters
        ----------
        history : RunHistory

        Returns
        -------
        bool
            False when nothing the view shows changed (the history did not change, or
            ``_draw`` said so by returning False, e.g. a probe view while only batches
            arrive): the caller need not repaint it. True otherwise.
        """
        key = (id(history), history.version, id(history.started))
        if key == self._drawn_key:
            return False
        self._history = history
        changed = self._draw(history)
        self._drawn_key = key
        if changed is False:
            return False
        self.cache_axes()
        return True

    def cache_axes(self) -> None:
        """Paint every axis of the view (tick labels, grid lines) from a pixmap kept by Qt.

        An axis is redrawn into its pixmap only when its range or size changes; otherwise
        a repaint (a new curve, a new image) copies the pixmap instead of laying out and
        drawing every tick label again, which was most of the cost of a frame (on 2 cores,
        a 1600x1000 window: the Gradients view painted in 4 ms instead of 22 ms). Axes added
        later (new plots) are found on the next call; pictures saved as SVG are drawn without
        the pixmaps (see :meth:`export_image`), so their text stays vector text.
        """
        for gv in self._graphics_views():
            scene = gv.scene()
            n = len(scene.items())
            if self._cached_counts.get(id(scene)) != n:
                self._cached_counts[id(scene)] = n
                for item in scene.items():
                    if isinstance(item, pg.AxisItem):
                        item.setCacheMode(AXIS_CACHE)
                        skip_faint_ticks(item)
                    elif isinstance(item, pg.LabelItem) and "updateMin" not in vars(item) \
                            and not isinstance(item.parentItem(), pg.LegendItem):
                        hold_layout(item)  # titles: never wider than the view
            ci = gv.centralWidget
            if ci is not None and ci.geometry().width() > gv.width() + 1:
                # laid out wider while an item (a legend, a title) was wider: fit it again
                ci.setGeometry(gv.range)

    def _graphics_views(self) -> list[pg.GraphicsView]:
        if self._graphics is None:  # views create their plot widgets in __init__
            self._graphics = self.findChildren(pg.GraphicsView)
        return [gv for gv in self._graphics if gv.scene() is not None]

    def refresh(self) -> None:
        """Redraw the last history even though it did not change (a control changed)."""
        self._drawn_key = None
        if self._history is not None:
            self.render(self._history)

    def clear(self) -> None:
        """Forget what was drawn and show the empty message."""
        self._drawn_key = None
        self._history = None
        self._columns = {}
        self._clear()
        self.show_message(self.empty_message)

    def _draw(self, history: RunHistory) -> bool | None:  # pragma: no cover - abstract
        """Draw ``history``; return False when nothing drawn changed (else None or True)."""
        raise NotImplementedError

    def _clear(self) -> None:
        """Subclasses empty their plot items here."""

    # ------------------------------------------------------------------ exports
    def data_columns(self) -> dict[str, np.ndarray]:
        """The arrays last drawn, as named 1-D columns (what :meth:`export_data` writes)."""
        return dict(self._columns)

    def export_data(self, path: str | Path) -> Path:
        """Write the arrays drawn to a CSV file with a header row.

        Parameters
        ----------
        path : str or Path
            Ending in ``.csv``.

        Returns
        -------
        Path
        """
        return export.write_csv(path, self.data_columns())

    def _image_widget(self) -> QWidget:
        """The widget pictured by :meth:`export_image` (the content or the message)."""
        return self._stack.currentWidget()

    def export_image(self, path: str | Path) -> Path:
        """Save a picture of the view: PNG (as on screen) or SVG (vectors), by suffix.

        Parameters
        ----------
        path : str or Path
            Ending in ``.png`` or ``.svg``.

        Returns
        -------
        Path
        """
        if not self.isVisible():
            if not self.testAttribute(Qt.WidgetAttribute.WA_Resized):
                self.resize(1000, 650)
            # a hidden widget's children get their sizes on show; a grab sends them now
            self.grab()
        if Path(path).suffix.lower() != ".svg":
            return export.save_image(self._image_widget(), path)
        # SVG: Qt would paint cached axes as bitmaps; draw them as vectors for the file
        cached = [(item, item.cacheMode()) for gv in self._graphics_views()
                  for item in gv.scene().items()
                  if item.cacheMode() != QGraphicsItem.CacheMode.NoCache]
        for item, _mode in cached:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        try:
            return export.save_image(self._image_widget(), path)
        finally:
            for item, mode in cached:
                item.setCacheMode(mode)


# ---------------------------------------------------------------------- shared controls
def fill_combo(combo: QComboBox, labels: list[str]) -> bool:
    """Replace a combo's items, keeping the selected index when it still exists.

    Returns True when the items changed. Signals are blocked while filling.
    """
    current = [combo.itemText(i) for i in range(combo.count())]
    if current == labels:
        return False
    keep = combo.currentIndex()
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(labels)
    combo.setCurrentIndex(keep if 0 <= keep < len(labels) else 0)
    combo.blockSignals(False)
    return True


def layer_labels(n: int) -> list[str]:
    """``["layer 1", ...]`` (1-based for people; arrays stay 0-based)."""
    return [f"layer {i + 1}" for i in range(n)]


def window_labels(starts: np.ndarray) -> list[str]:
    """``["window 1 (row 120)", ...]`` from each probed window's first row."""
    return [f"window {i + 1} (row {int(s)})" for i, s in enumerate(np.asarray(starts).ravel())]


class ElidedLabel(QLabel):
    """A one-line label whose text ends in "…" when longer than the label is wide; the whole
    text is in its tooltip and in :attr:`full_text`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.setMinimumWidth(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_full_text(self, text: str) -> None:
        """Show ``text`` (elided to the label's width)."""
        self.full_text = text
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                              max(self.width(), 1))
        self.setText(shown)
        self.setToolTip(self.full_text if shown != self.full_text else "")

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()


class SnapshotSlider(QWidget):
    """A training-timeline slider over ``history.snapshots``.

    Moving it picks a snapshot; while it sits at the right end it follows the latest
    snapshot as new ones arrive. ``snapshot_changed(index)`` is emitted when the user (or
    following) changes the picked snapshot.
    """

    snapshot_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("training timeline"))
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 0)
        self.slider.setToolTip(
            "Replay the probes recorded during training: left = first probe, right = latest. "
            "At the right end the view follows new probes as they arrive."
        )
        self.slider.setMinimumWidth(90)  # a long label squeezed it to a handle in small docks
        self.label = ElidedLabel(self)
        self.label.set_full_text("no probe yet")
        self.label.setMinimumWidth(100)
        lay.addWidget(self.slider, 3)
        lay.addWidget(self.label, 2)
        self._steps: list[int] = []
        self._snapshots: list[Any] = []
        self.slider.valueChanged.connect(self._on_slider_value_changed)

    @property
    def index(self) -> int:
        """Index into ``history.snapshots`` of the picked snapshot."""
        return self.slider.value()

    @property
    def following(self) -> bool:
        """True when the slider sits at the latest snapshot."""
        return self.slider.value() >= self.slider.maximum()

    def update_snapshots(self, snapshots: list[Any]) -> int:
        """Take the current list of snapshots; return the index to show.

        Following the latest when at the right end; otherwise keeping the same training
        step (the history thins old snapshots, so indices can shift).
        """
        steps = [int(s.step) for s in snapshots]
        follow = self.following or not self._steps
        old_step = self._steps[self.index] if self._steps and self.index < len(self._steps) else 0
        self._steps = steps
        n = len(steps)
        if follow or n == 0:
            idx = max(0, n - 1)
        else:
            idx = int(np.argmin(np.abs(np.asarray(steps) - old_step)))
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        self.slider.setValue(idx)
        self.slider.blockSignals(False)
        self._set_label(snapshots[idx] if n else None, idx, n)
        self._snapshots = snapshots
        return idx

    def _set_label(self, snap: Any, idx: int, n: int) -> None:
        if snap is None:
            self.label.set_full_text("no probe yet")
            return
        loss = getattr(snap.trace, "loss", float("nan"))
        loss_txt = f" · loss {loss:.3g}" if np.isfinite(loss) else ""
        self.label.set_full_text(
            f"probe {idx + 1}/{n} · epoch {snap.epoch} · step {snap.step}{loss_txt}"
        )

    def _on_slider_value_changed(self, value: int) -> None:
        snaps = self._snapshots
        if 0 <= value < len(snaps):
            self._set_label(snaps[value], value, len(snaps))
            self.snapshot_changed.emit(value)


def x_extent(history: RunHistory, last: float) -> float | None:
    """Right end of a plot of the run's batches: the planned number of batches while the run
    trains (the curve fills the plot like a progress bar), the last batch run once it has
    ended (stopped or ended early: the planned length left the curve in a tenth of the
    width); None when neither is known."""
    if history.finished is not None:
        return last
    s = history.started
    return float(s.epochs * s.batches_per_epoch) if s else None


def finite_positive(a: np.ndarray) -> np.ndarray:
    """Copy as float32 C-contiguous with non-positive and non-finite values set to NaN
    (for log axes)."""
    out = np.array(a, dtype=np.float32, order="C", copy=True)
    out[~(np.isfinite(out) & (out > 0))] = np.nan
    return out


def decade_range(*arrays: np.ndarray) -> tuple[float, float] | None:
    """Whole decades (log10) around the finite positive values of the given arrays.

    Returns ``(floor(log10(min)), ceil(log10(max)))``, at least one decade wide, or None
    when there is no positive value.
    """
    vals = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    v = np.concatenate(vals) if vals else np.empty(0)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return None
    # a tolerance so that 1e-9 stored as float32 (9.99999e-10) does not add a decade
    lo = float(np.floor(np.log10(v.min()) + 1e-5))
    hi = float(np.ceil(np.log10(v.max()) - 1e-5))
    if hi - lo < 1:
        hi = lo + 1
    return lo, hi


def nan_reduce(fn: Any, a: np.ndarray, axis: int = 0) -> np.ndarray:
    """``fn(a, axis=axis)`` for numpy's nan-functions, quiet about all-NaN slices (a
    diverged probe): those give NaN, which the plots leave out."""
    a = np.asarray(a)
    if not np.isnan(a).any():  # the common case; np.nanmedian goes through masked arrays
        fast = {np.nanmedian: np.median, np.nanmin: np.min, np.nanmax: np.max}.get(fn)
        if fast is not None:
            return fast(a, axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(a, axis=axis)


def fit_legend_columns(legend: pg.LegendItem, graphics: pg.GraphicsLayoutWidget,
                       counts: tuple[int, ...] = (8, 4, 2)) -> bool:
    """Give a legend that sits in a layout row as many columns as fit in its page's width.

    Tries ``counts`` (most first), else one column. A legend with a fixed column count made
    the page wider than a narrow view, which then cut its plots off on the right. The legend
    takes the size its lines need (fixed size policy: no taller row than its lines), and the
    page is laid out again at once. Returns True when the legend changed.

    No fixed width or height is set: the legend sets its own geometry from its labels, and
    a QGraphicsWidget kept outside its own limits is resized by Qt at unexpected times.
    """
    items = legend.items
    each = [float(sample.boundingRect().width() + label.preferredWidth() + 6)
            for sample, label in items]
    width = float(graphics.width()) - 20.0
    cols, need = 1, max(each, default=0.0)
    for c in counts:
        w = sum(max(each[i::c], default=0.0) for i in range(c))
        if w <= width:
            cols, need = c, w
            break
    key = (cols, round(need), len(items))
    if getattr(legend, "_rnnviz_fit", None) == key:
        return False
    legend._rnnviz_fit = key  # type: ignore[attr-defined]
    legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    legend.setColumnCount(cols)
    # the legend sizes itself from its entries (LegendItem.updateSize), taller than the
    # size hint its layout gives the page: the page then left its last row cut off
    legend.setMinimumHeight(float(legend.height()))
    legend.updateGeometry()
    graphics.ci.setGeometry(graphics.range)  # lay the page out again now
    return True


def row_legend(graphics: pg.GraphicsLayoutWidget, row: int, col: int = 0,
               colspan: int = 1) -> pg.LegendItem:
    """A legend in a layout row of its own (under a plot): it never covers the data and is
    never cut by the plot's box, however small the plot gets.

    Its entries are added with ``legend.addItem(item, name)``; call
    :func:`fit_legend_columns` when they change and when the page is resized.
    """
    legend = pg.LegendItem(colCount=1, labelTextColor=theme.FOREGROUND, labelTextSize="9pt")
    graphics.addItem(legend, row=row, col=col, colspan=colspan)
    return legend


def scroll_page(graphics: pg.GraphicsLayoutWidget) -> QScrollArea:
    """Put a page of plots in a vertical scroll area.

    In a small window the page then scrolls instead of squeezing each plot to a few pixels;
    call :func:`fit_page_height` when its rows or their titles change and when the view is
    resized. Pictures of ``graphics`` show the whole page.
    """
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(graphics)
    return area


def fit_page_height(graphics: pg.GraphicsLayoutWidget) -> None:
    """Make a scrolled page of plots at least as tall as its rows need (titles, the least
    heights of the plots' view boxes, axes); below that its scroll area scrolls. Titles wrap
    in a narrow view, so the height needed follows the width."""
    need = int(graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()) + 2
    if abs(need - graphics.minimumHeight()) > 2:
        graphics.setMinimumHeight(need)


def take_out_of_layout(layout: pg.GraphicsLayout, item: Any) -> None:
    """Take ``item`` out of a page's layout (its row then takes no space) but keep it in the
    scene, hidden, until :func:`put_into_layout` brings it back.

    ``GraphicsLayout.removeItem`` also takes the item out of its scene: it then belonged to
    Python alone, and when Python's garbage collector freed it (with its view, in a cycle)
    its C++ destructor called pyqtgraph's Python overrides of half-freed children -- a
    crash, now and then, in a test run. Kept in the scene, it is deleted by Qt with the
    scene, as every other item is.
    """
    scene = layout.scene()
    layout.removeItem(item)
    if scene is not None:
        scene.addItem(item)
    item.hide()


def put_into_layout(layout: pg.GraphicsLayout, item: Any, row: int, col: int) -> None:
    """Bring an item taken out with :func:`take_out_of_layout` back into the layout."""
    layout.addItem(item, row=row, col=col)
    item.show()


def lay_out_hidden_page(view: BaseView, graphics: pg.GraphicsLayoutWidget, *,
                        again: bool = True) -> None:
    """Lay a view's scrolled page of plots out at the view's size and paint it once off
    screen, while the view is on screen showing its message (else nothing is done).

    :meth:`BaseView.prebuild` shows the page for a moment to lay it out, but a page whose
    height changed while hidden tells its scroll area only while it is visible, by a posted
    layout request (with the scroll bar the taller page needs): the page was then resized
    in the first probe's frame, which laid every plot out and drew every axis again. Here
    the page's height is fitted and the request taken while the page shows. Titles that
    wrap again at the new width set their rows' heights from the event loop: with ``again``
    the page is fitted once more after them.
    """
    msg = view.message
    if msg is None or not view.isVisible():
        return
    view.show_content()
    fit_page_height(graphics)
    graphics.updateGeometry()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    view.show_message(msg)
    view.cache_axes()
    graphics.grab()
    if again:
        QTimer.singleShot(0, view, lambda: lay_out_hidden_page(view, graphics, again=False))


def f32(a: Any) -> np.ndarray:
    """float32, C-contiguous (what pyqtgraph draws fastest)."""
    return np.ascontiguousarray(a, dtype=np.float32)


def hold_layout(label: pg.LabelItem) -> pg.LabelItem:
    """Keep a label whose text changes while training from resizing its plots.

    pyqtgraph sets a label's minimum and preferred width to its text's width at every
    ``setText``; a longer text ("step 88" -> "step 132") then re-lays out the whole scene,
    every plot in it is resized and every axis redrawn (a 10-40 ms stall per probe). Call
    this after each ``setText`` (:func:`set_title` does): the label takes the width its row
    gives it and a text longer than that wraps onto more lines instead of widening the
    layout (a scene wider than its view was cut off on the right: title, axis and legend).

    pyqtgraph also puts the text's width back as the minimum at every resize of the label
    (``LabelItem.resizeEvent`` calls ``updateMin``); the first call replaces that label's
    ``updateMin`` so the hold lasts. :meth:`BaseView.cache_axes` holds every label of a view
    that is not a legend entry.
    """
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    if "updateMin" not in vars(label):  # once per label
        label.updateMin = lambda: _held_update_min(label)  # type: ignore[method-assign]
        _held_update_min(label)
    label.setMinimumWidth(0)
    return label


def set_bar_levels(bar: pg.ColorBarItem, levels: tuple[float, float]) -> bool:
    """Give a colour bar (and its image) new levels only when they changed: setting the same
    levels again redrew the bar's axis. Returns True when they changed."""
    lo, hi = float(levels[0]), float(levels[1])
    if tuple(float(v) for v in bar.levels()) == (lo, hi):
        return False
    bar.setLevels(values=(lo, hi))
    return True


def set_title(plot: pg.PlotItem, text: str) -> bool:
    """Set a plot's title in the shared style without moving the plot when it can.

    Only a changed text is set. Unlike ``PlotItem.setTitle`` (which puts the title row back
    to 30 px at each call, so a wrapped title's row shrank and grew again after every new
    probe, and each change re-laid out and redrew every plot of the page), the row keeps its
    height while the new text needs as many lines; it is fitted at once otherwise. The label
    is held (:func:`hold_layout`). Returns True when the text changed.
    """
    label = plot.titleLabel
    shown = label.isVisible() and label.maximumHeight() > 0
    if shown and label.text == text:
        return False
    if shown:
        label.setText(text, size=theme.TITLE_SIZE, color=theme.FOREGROUND)
    else:  # the first title shows the row
        plot.setTitle(text, size=theme.TITLE_SIZE, color=theme.FOREGROUND)
    hold_layout(label)
    _set_title_row(plot)  # now: a draw is not a resize, the plot is alive
    return True


def _held_update_min(label: pg.LabelItem) -> None:
    """``LabelItem.updateMin`` for a held label: no minimum width, the wrapped text's height.

    pyqtgraph's own first sets the minimum to the text's full width, wider than a held
    label, and Qt resizes a widget smaller than its minimum at once; here the limits never
    exclude the label's size.
    """
    before = label.item.boundingRect()
    _wrap_to_width(label)
    if label.item.boundingRect() != before:
        # the text was placed in the label (centred, for a title) before it re-wrapped: a
        # text that had wrapped onto several lines in a narrow label stayed placed for them
        # and overprinted the row above once it was one line again; place it again
        pg.LabelItem.resizeEvent(label, None)  # calls this again: the wrap is unchanged
    bounds = label.itemRect()
    w, h = float(bounds.width()), _kept_height(label, float(bounds.height()))
    label._sizeHint = {  # what LabelItem.sizeHint reads
        Qt.SizeHint.MinimumSize: (0.0, h),
        Qt.SizeHint.PreferredSize: (w, h),
        Qt.SizeHint.MaximumSize: (-1, -1),
        Qt.SizeHint.MinimumDescent: (0, 0),
    }
    _fit_title_row(label)
    label.setMinimumWidth(0)
    label.setMinimumHeight(min(h, label.maximumHeight()))
    label.updateGeometry()


def _kept_height(label: pg.LabelItem, h: float) -> float:
    """The height a held label takes: its text's, but not less than the tallest text it has
    shown at its present width.

    Texts that change as training goes (a probe's step, a verdict) wrap onto one line more
    or less from probe to probe; each change moved every plot of the page, which then laid
    out and drew all its axes again (10-30 ms). The label keeps the room of its tallest text
    until its width changes (a resize lays the page out anyway).
    """
    width = round(float(label.size().width()))
    kept = label.__dict__.get("_rnnviz_kept")
    if kept is not None and kept[0] == width:
        h = max(h, kept[1])
    label._rnnviz_kept = (width, h)  # type: ignore[attr-defined]
    return h


def _fit_title_row(label: pg.LabelItem) -> None:
    """A plot's title row is 30 px high in pyqtgraph: make it as high as a wrapped title.

    Done from the event loop, not at once: this runs from the label's resize, which Qt also
    sends while the plot is being destroyed, and changing the plot's layout then crashed Qt.
    """
    plot = label.parentItem()
    if not isinstance(plot, pg.PlotItem) or plot.titleLabel is not label \
            or label.maximumHeight() <= 0:  # 0: the plot has no title
        return
    if abs(label.maximumHeight() - _title_height(label)) > 0.5:
        QTimer.singleShot(0, plot, lambda: _set_title_row(plot))  # dropped if plot goes


def _title_height(label: pg.LabelItem) -> float:
    kept = label.__dict__.get("_rnnviz_kept")
    h = kept[1] if kept is not None else float(label.item.boundingRect().height())
    return max(30.0, float(np.ceil(h)))


def _set_title_row(plot: pg.PlotItem) -> None:
    label = plot.titleLabel
    if label.maximumHeight() <= 0:
        return
    need = _title_height(label)
    if abs(label.maximumHeight() - need) > 0.5:
        label.setMaximumHeight(need)
        plot.layout.setRowFixedHeight(0, need)


def _wrap_to_width(label: pg.LabelItem) -> None:
    """Wrap a label's text at the label's width when it is wider (one line otherwise)."""
    item = label.item
    width = float(label.size().width())
    item.setTextWidth(-1)
    if width > 40 and item.boundingRect().width() > width:
        item.setTextWidth(width)


NICE_STEPS = (1.0, 2.0, 5.0)
"""x ranges of growing plots end on 1, 2 or 5 x 10^k (or on the run's last step)."""


def nice_ceil(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k that is >= ``value`` (1 for values <= 1)."""
    if not np.isfinite(value) or value <= 1.0:
        return 1.0
    k = 10.0 ** np.floor(np.log10(value))
    for m in NICE_STEPS + (10.0,):
        if m * k >= value * (1 - 1e-12):
            return float(m * k)
    return float(10.0 * k)  # pragma: no cover - unreachable


class RangeAnchor:
    """Keeps the axes of a growing plot still between frames.

    pyqtgraph's auto-range fits a plot to the bounds of its items whenever a curve changes,
    so a loss curve that grows by a few batches per frame changes the x range (and often the
    y range) at every frame, and every change makes the axes lay out and draw their tick
    labels and grid again (most of the cost of a frame). This adds an invisible two-point
    item whose bounds the auto-range sees instead, and which changes rarely:

    - x from 0 to the run's last step when it is known (``x_max``: the curve fills the plot
      from left to right as the run goes, like a progress bar), otherwise to the next 1, 2
      or 5 x 10^k at least ``grow`` beyond the last step: no change, or a few, per run;
    - y on a linear axis: the values with a margin of ``margin`` of their span on each side
      (none below 0 under values that cannot be negative), renewed only when a value falls
      outside or the values fill less than ``fill`` of it;
    - y on a log axis: whole decades around the positive values, renewed when a value
      falls outside or two decades are left empty.

    Every value stays inside the range; zooming, panning and the plot's "A" (auto-range)
    button work as before (the anchor only widens what auto-range fits).

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
    """

    def __init__(self, plot: pg.PlotItem, *, grow: float = 1.2, margin: float = 0.05,
                 fill: float = 0.6) -> None:
        self.grow, self.margin, self.fill = grow, margin, fill
        self.item = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))  # transparent: bounds only
        self.item.setZValue(-100)
        plot.addItem(self.item)
        self.x: tuple[float, float] | None = None
        self.y: tuple[float, float] | None = None  # in axis units (log10 for a log axis)
        self._log = False
        self._bounds: tuple[float, float, float, float] | None = None

    def update(self, x_last: float, ys: list[np.ndarray], *, log_y: bool = False,
               x_max: float | None = None) -> None:
        """Fit the anchor to the last x and the y values now drawn (NaN and, on a log axis,
        values <= 0 are left out, as the plot leaves them out)."""
        if x_max is not None and np.isfinite(x_max) and 0 < x_last <= x_max:
            self.x = (0.0, float(x_max))
        else:
            x_hi = nice_ceil(max(float(x_last), 1.0) * self.grow)
            if self.x is None or x_last > self.x[1] or x_hi < self.x[1] * self.fill:
                self.x = (0.0, x_hi)
        v = np.concatenate([np.asarray(y, dtype=np.float64).ravel() for y in ys]) if ys \
            else np.empty(0)
        v = v[np.isfinite(v)]
        if log_y:
            v = np.log10(v[v > 0])
        if log_y != self._log:
            self.y, self._log = None, log_y
        if v.size and log_y:
            lo, hi = float(v.min()), float(v.max())
            d0, d1 = np.floor(lo + 1e-5), np.ceil(hi - 1e-5)  # whole decades
            d1 = max(d1, d0 + 1)
            cur = self.y
            if (cur is None or lo < cur[0] or hi > cur[1]
                    or (d1 - d0) <= (cur[1] - cur[0]) - 2):
                self.y = (float(d0), float(d1))
        elif v.size:
            lo, hi = float(v.min()), float(v.max())
            cur = self.y
            if (cur is None or lo < cur[0] or hi > cur[1]
                    or (hi - lo) < self.fill * (cur[1] - cur[0])):
                span = hi - lo if hi > lo else max(abs(hi), 1.0) * (0.5 if not log_y else 1.0)
                y0 = lo - self.margin * span
                if not log_y and lo >= 0:
                    y0 = max(y0, 0.0)  # no negative margin under values that cannot be negative
                self.y = (y0, hi + self.margin * span)
        if self.y is None:
            self._set(None)
            return
        y0, y1 = (10.0 ** self.y[0], 10.0 ** self.y[1]) if log_y else self.y
        self._set((self.x[0], self.x[1], y0, y1))

    def _set(self, bounds: tuple[float, float, float, float] | None) -> None:
        """Give the item new points only when they change (setData costs a re-fit)."""
        if bounds == self._bounds:
            return
        self._bounds = bounds
        if bounds is None:
            self.item.setData([], [])
        else:
            x0, x1, y0, y1 = bounds
            self.item.setData(np.asarray((x0, x1), np.float64), np.asarray((y0, y1), np.float64))

    def reset(self) -> None:
        """Forget the ranges (a new run)."""
        self.x = self.y = None
        self._set(None)


class TextStrip(pg.AxisItem):
    """A plot's side strip (an axis without line, ticks or values) that draws given texts
    at given places, each in its own colour, and short joining lines.

    The texts are painted with the axis (from its cached picture), not as child items:
    graphics items parented to an axis were hit by Qt after deletion when the plot was
    destroyed. :meth:`set_marks` sets them, and repaints only when they changed.

    Parameters
    ----------
    orientation : str
        ``"top"``, ``"bottom"``, ``"left"`` or ``"right"``.
    """

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.setStyle(showValues=False, tickLength=0)
        self.setPen(pg.mkPen(None))
        self.setTickFont(theme.tick_font())
        self._marks: tuple[Any, ...] = ((), ())

    def set_marks(self, texts: list[tuple[Any, str, Any]],
                  lines: list[tuple[Any, Any]] = ()) -> bool:  # type: ignore[assignment]
        """Draw ``texts`` (rect in the strip's pixels, text, colour) and ``lines`` (pairs of
        points, drawn in the baseline grey). Returns True when they changed."""
        marks = (tuple((QRectF(r), t, QColor(c).name()) for r, t, c in texts),
                 tuple((QPointF(a), QPointF(b)) for a, b in lines))
        if marks == self._marks:
            return False
        self._marks = marks
        self.picture = None
        self.update()
        return True

    def text_rects(self) -> dict[str, QRectF]:
        """Scene rectangles of the texts drawn, by text."""
        return {t: self.mapRectToScene(r) for r, t, _c in self._marks[0]}

    def lines(self) -> list[tuple[QPointF, QPointF]]:
        """The joining lines, in scene coordinates."""
        return [(self.mapToScene(a), self.mapToScene(b)) for a, b in self._marks[1]]

    def generateDrawSpecs(self, p: Any) -> Any:  # noqa: N802 - pyqtgraph override
        pen = theme.pen("baseline", 1.0)
        axis_spec = (pg.mkPen(None), QPointF(0, 0), QPointF(0, 0))
        ticks = [(pen, a, b) for a, b in self._marks[1]]
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        texts = [(r, flags, t) for r, t, _c in self._marks[0]]
        return axis_spec, ticks, texts

    def drawPicture(self, p: Any, axisSpec: Any, tickSpecs: Any,  # noqa: N802, N803
                    textSpecs: Any) -> None:  # noqa: N803
        p.setRenderHint(p.RenderHint.Antialiasing, True)
        for pen, a, b in tickSpecs:
            p.setPen(pen)
            p.drawLine(a, b)
        p.setFont(theme.tick_font())
        colours = {(r.x(), r.y(), t): c for r, t, c in self._marks[0]}
        for rect, flags, text in textSpecs:
            p.setPen(QColor(colours.get((rect.x(), rect.y(), text), theme.FOREGROUND)))
            p.drawText(rect, int(flags.value if hasattr(flags, "value") else flags), text)
