"""Data panel: what was read from the CSV, which columns to use, how to clean them.

From top to bottom:

- a banner that names the file and says, in plain words, whether anything looks wrong;
- the series plot: the target in its own units, the train / validation / test parts shaded,
  and one training window drawn on it: the lookback rows the network reads (dots show the
  rows actually sampled when ``step`` > 1) followed by the horizon rows it predicts. Users of
  forecasting libraries are often unsure what "lookback" and "horizon" mean; here they can
  see it;
- tabs: *Columns & cleaning* (time / target / input columns, missing values, resampling,
  split, scaling), *Report* (the inspect report: dialect, columns, every warning) and
  *Preview* (the first rows as read).

The panel holds no data logic: the window builds a :class:`~rnnviz.core.config.DataConfig`
from :meth:`DataPanel.data_fields` and the model panel's window settings, prepares the
series with :func:`rnnviz.core.series.prepare_series` and hands the result back through
:meth:`DataPanel.set_series`.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from rnnviz.core import config as C
from rnnviz.core.config import DataConfig
from rnnviz.core.series import default_target
from rnnviz.gui import theme

NO_TIME = "(none: use row numbers)"
NO_RESAMPLE = "off"
RESAMPLE_CHOICES = (NO_RESAMPLE, "15min", "30min", "1h", "1D", "1W", "1MS", "1QS", "1YS")
PREVIEW_ROWS = 200
MISSING_TIPS = {
    "interpolate": "Fill each gap by drawing a straight line between its neighbours (in time "
    "when there is a time column).",
    "ffill": "Fill each gap with the last value seen before it.",
    "drop": "Leave the rows out: windows that touch a missing value are not used.",
}
WINDOW_COLORS = {"lookback": (148, 103, 189, 70), "horizon": (44, 160, 44, 90)}
LABEL_Z = 50
"""z-value of the texts drawn on the series plot: above the curve (0) and the dots."""
LABEL_FILL = (255, 255, 255, 235)
HEADROOM = 0.25
"""Room left above the series (a fraction of its range) for the window's label."""
EMPTY_MESSAGES = {
    "no_table": "Open a CSV to see the series here",
    "no_target": "Choose a target column to see the series",
    "problem": "Nothing to draw: see the message above.",
    "pending": "Preparing the series…",
}
"""What the empty series plot says, by reason."""


def ordinal(n: int) -> str:
    """English ordinal of a positive integer: 1st, 2nd, 3rd, 4th, 11th, 22nd.

    Parameters
    ----------
    n : int
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class FrameModel(QAbstractTableModel):
    """Read-only table model over the first rows of a DataFrame."""

    def __init__(self, frame: Any = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._frame = frame

    def set_frame(self, frame: Any) -> None:
        """Show ``frame`` (a pandas DataFrame) or nothing (None)."""
        self.beginResetModel()
        self._frame = frame
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if self._frame is None or parent.isValid() else len(self._frame)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if self._frame is None or parent.isValid() else self._frame.shape[1]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._frame is None or not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            v = self._frame.iat[index.row(), index.column()]
            if isinstance(v, float):
                return "" if math.isnan(v) else f"{v:.6g}"
            return "" if v is None else str(v)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._frame is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return str(self._frame.columns[section])
        return str(section + 1)


def _dialect_value(key: str, value: object) -> str:
    """A dialect value in words for the report (the delimiter named, not ``' '``)."""
    if key == "delimiter" and isinstance(value, str):
        from rnnviz.core.loadreport import delimiter_name

        return html.escape(delimiter_name(value))
    if value is None:
        return "none"
    return f"<code>{html.escape(repr(value) if isinstance(value, str) else str(value))}</code>"


def report_html(report: dict[str, Any], path: str | None = None) -> str:
    """Plain HTML of an inspect report (``LoadReport.to_dict()``).

    Parameters
    ----------
    report : dict
        ``ok, rows, dialect, columns, time, warnings, error``.
    path : str, optional
        File name shown in the heading.
    """
    e = html.escape
    parts: list[str] = []
    if path:
        parts.append(f"<h3>{e(Path(path).name)}</h3>")
    err = report.get("error")
    if err:
        parts.append(f"<p style='color:#b00020'><b>Cannot use this file:</b> {e(str(err.get('message', err)))}</p>")
    rows = report.get("rows")
    parts.append(f"<p><b>Rows:</b> {rows if rows is not None else '?'}</p>")
    dialect = report.get("dialect") or {}
    if isinstance(dialect, dict) and dialect:
        items = "".join(
            f"<li>{e(str(k)).replace('_', ' ')}: {_dialect_value(k, v)}</li>"
            for k, v in dialect.items()
        )
        parts.append(f"<p><b>How the file was read</b></p><ul>{items}</ul>")
    t = report.get("time")
    if isinstance(t, dict) and t:
        items = "".join(f"<li>{e(str(k)).replace('_', ' ')}: {e(str(v))}</li>" for k, v in t.items())
        parts.append(f"<p><b>Time</b></p><ul>{items}</ul>")
    warnings = report.get("warnings") or []
    if warnings:
        items = "".join(
            f"<li>⚠ {e(str(w.get('message', w)) if isinstance(w, dict) else str(w))}</li>"
            for w in warnings
        )
        parts.append(f"<p><b>Warnings ({len(warnings)})</b></p><ul>{items}</ul>")
    else:
        parts.append("<p>No warnings.</p>")
    cols = report.get("columns") or []
    if cols:
        head = ("name", "kind", "values", "missing", "min", "max", "mean")
        rows_html = []
        for c in cols:
            if not isinstance(c, dict):
                continue
            cells = []
            for h in head:
                v = c.get(h, c.get({"values": "count"}.get(h, h), ""))
                if isinstance(v, float):
                    v = f"{v:.6g}"
                cells.append(f"<td>{e('' if v is None else str(v))}</td>")
            rows_html.append("<tr>" + "".join(cells) + "</tr>")
        header = "".join(f"<th align='left'>{h}</th>" for h in head)
        parts.append(
            "<p><b>Columns</b></p><table cellspacing='0' cellpadding='3' border='1' "
            f"style='border-collapse:collapse'><tr>{header}</tr>{''.join(rows_html)}</table>"
        )
    return "".join(parts)


class DataPanel(QWidget):
    """Shows the open table and edits the data settings.

    Signals
    -------
    changed()
        A data setting changed (columns, cleaning, split, scaling).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DataPanel")
        self.table: Any = None
        self.path: str | None = None
        self.report: dict[str, Any] = {}
        self.series: Any = None
        self._window = (24, 1, 1, 0)
        self._loading = False
        self._problem: str | None = None
        self._label_x = 0.0

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)
        self.banner = QLabel("No data open. File ▸ Open CSV… or drop a CSV file here.", self)
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setStyleSheet("padding: 4px;")
        outer.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)

        # --- series plot and its legend
        top = QWidget(split)
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.setSpacing(2)
        self.plot_widget = pg.PlotWidget(parent=top, background=theme.BACKGROUND)
        top_lay.addWidget(self.plot_widget, 1)
        self.plot_widget.setMinimumHeight(160)
        self.plot = self.plot_widget.getPlotItem()
        theme.style_plot(self.plot)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setClipToView(True)
        self.plot.setMenuEnabled(False)
        self.curve = self.plot.plot([], [], pen=theme.pen("actual", 1.0))
        self.regions: dict[str, pg.LinearRegionItem] = {}
        for part in ("train", "validation", "test"):
            r = pg.LinearRegionItem(values=(0, 0), movable=False,
                                    brush=theme.brush(theme.REGION_BRUSHES[part]),
                                    pen=pg.mkPen(None))
            r.setZValue(-10)
            self.plot.addItem(r)
            self.regions[part] = r
        self.window_regions: dict[str, pg.LinearRegionItem] = {}
        for part, rgba in WINDOW_COLORS.items():
            r = pg.LinearRegionItem(values=(0, 0), movable=False, brush=theme.brush(rgba),
                                    pen=pg.mkPen(rgba[:3], width=1))
            r.setZValue(-5)
            self.plot.addItem(r)
            self.window_regions[part] = r
        self.sample_dots = pg.ScatterPlotItem(size=5, brush=pg.mkBrush(148, 103, 189),
                                              pen=pg.mkPen(None))
        self.target_dots = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(44, 160, 44),
                                              pen=pg.mkPen(None))
        self.plot.addItem(self.sample_dots)
        self.plot.addItem(self.target_dots)
        # one label names the window; it sits at the top of the view, above the curve and the
        # dots, on an opaque fill, so the series cannot make it unreadable. Its x follows the
        # window and its anchor slides with it so it never leaves the view (_place_window_label)
        self.window_label = pg.TextItem("", anchor=(0.5, 0), fill=pg.mkBrush(*LABEL_FILL),
                                        border=pg.mkPen(200, 200, 200))
        self.window_label.setZValue(LABEL_Z)
        self.window_label.setVisible(False)
        self.plot.addItem(self.window_label, ignoreBounds=True)
        self.plot.getViewBox().sigRangeChanged.connect(self._place_window_label)
        self.plot.getViewBox().sigResized.connect(self._place_window_label)
        self.empty_text = pg.TextItem("", color=theme.COLORS["message"], anchor=(0.5, 0.5))
        self.empty_text.setPos(0.5, 0.5)
        self.empty_text.setZValue(LABEL_Z)
        self.empty_text.setVisible(False)
        self.plot.addItem(self.empty_text, ignoreBounds=True)
        self.legend_label = QLabel(top)
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend_label.setWordWrap(True)
        self.legend_label.setContentsMargins(4, 0, 4, 0)
        top_lay.addWidget(self.legend_label)

        # --- tabs
        self.tabs = QTabWidget(split)
        self.tabs.setDocumentMode(True)
        setup_scroll = QScrollArea(self.tabs)
        setup_scroll.setWidgetResizable(True)
        setup_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        setup_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        setup = QWidget(setup_scroll)
        setup_outer = QVBoxLayout(setup)
        setup_outer.setContentsMargins(6, 6, 6, 6)
        form = QFormLayout()
        setup_outer.addLayout(form)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.time_combo = QComboBox(setup)
        self.time_combo.setToolTip(
            "The column with the time stamps. It sets the x axis, time-aware interpolation, "
            "resampling and the season of the seasonal-naive baseline.")
        self.target_combo = QComboBox(setup)
        self.target_combo.setToolTip(
            "The column to forecast. It is always an input too (its past values).")
        self.inputs_list = QListWidget(setup)
        self.inputs_list.setMaximumHeight(80)
        self.no_inputs_label = QLabel("(no other numeric column)", setup)
        self.no_inputs_label.setStyleSheet("color: #808080;")
        self.inputs_list.setToolTip(
            "Extra input columns the network reads beside the target's past (multivariate). "
            "The recursive forecast uses their known values where the file has them.")
        self.missing_combo = QComboBox(setup)
        for name in C.MISSING_POLICIES:
            self.missing_combo.addItem(name)
            self.missing_combo.setItemData(self.missing_combo.count() - 1, MISSING_TIPS[name],
                                           Qt.ItemDataRole.ToolTipRole)
        self.missing_combo.setToolTip(
            "What to do with empty cells: " + " ".join(f"{k}: {v}" for k, v in MISSING_TIPS.items())
            + " Missing values never reach the network.")
        self.resample_combo = QComboBox(setup)
        self.resample_combo.setEditable(True)
        self.resample_combo.addItems(list(RESAMPLE_CHOICES))
        self.resample_combo.setToolTip(
            "Put the rows on a regular time step (pandas offset, e.g. 1h, 1D, 1W, 1MS = month "
            "start). Irregular sensor data needs it; 'off' keeps the rows as they are.")
        self.how_combo = QComboBox(setup)
        self.how_combo.addItems(list(C.RESAMPLE_HOW))
        self.how_combo.setToolTip(
            "How readings inside one period are combined: mean for levels (temperature), sum "
            "for totals (energy, rainfall). Used only when Resample is on.")
        split_row = QWidget(setup)
        sl = QHBoxLayout(split_row)
        sl.setContentsMargins(0, 0, 0, 0)
        self.train_spin = QSpinBox(split_row)
        self.val_spin = QSpinBox(split_row)
        for s, lo in ((self.train_spin, 5), (self.val_spin, 0)):
            s.setRange(lo, 95)
            s.setSuffix(" %")
            s.setKeyboardTracking(False)
        self.train_spin.setPrefix("train ")
        self.val_spin.setPrefix("val. ")
        self.test_label = QLabel(split_row)
        sl.addWidget(self.train_spin)
        sl.addWidget(self.val_spin)
        sl.addWidget(self.test_label)
        sl.addStretch(1)
        split_tip = ("Chronological split: the model trains on the first part, the validation "
                     "part picks the best epoch and shows overfitting, the test part is kept for "
                     "an honest final score. Shaded blue, orange and grey on the plot.")
        split_row.setToolTip(split_tip)
        self.scaler_combo = QComboBox(setup)
        self.scaler_combo.addItems(list(C.SCALERS))
        self.scaler_combo.setToolTip(
            "standard: subtract the mean, divide by the standard deviation. minmax: map to 0..1. "
            "Fitted on the training part only, so nothing from the future leaks into training. "
            "Errors are reported back in the data's own units.")
        for combo in (self.time_combo, self.target_combo, self.missing_combo,
                      self.resample_combo, self.how_combo, self.scaler_combo):
            # long column names must not widen the panel: the combo elides them
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        form.addRow("Time column", self.time_combo)
        form.addRow("Target", self.target_combo)
        inputs_box = QWidget(setup)
        ib = QVBoxLayout(inputs_box)
        ib.setContentsMargins(0, 0, 0, 0)
        ib.addWidget(self.inputs_list)
        ib.addWidget(self.no_inputs_label)
        form.addRow("Extra inputs", inputs_box)
        form.addRow("Missing values", self.missing_combo)
        form.addRow("Resample", self.resample_combo)
        form.addRow("Combine by", self.how_combo)
        form.addRow("Split", split_row)
        form.addRow("Scaling", self.scaler_combo)
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None and field.widget() is not None:
                tip = field.widget().toolTip() or (
                    self.inputs_list.toolTip() if field.widget() is inputs_box else "")
                label.widget().setToolTip(tip)
        setup_outer.addStretch(1)
        setup_scroll.setWidget(setup)
        self.setup_tab = setup
        self.report_view = QTextBrowser(self.tabs)
        self.report_view.setOpenLinks(False)
        self.preview = QTableView(self.tabs)
        self.preview_model = FrameModel(parent=self.preview)
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().setDefaultSectionSize(20)
        self.tabs.addTab(setup_scroll, "Columns && cleaning")
        self.tabs.addTab(self.report_view, "Report")
        self.tabs.addTab(self.preview, "Preview")
        split.addWidget(top)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([300, 380])  # the plot gets the room the form leaves free

        self.set_data_config(DataConfig())
        for w in (self.time_combo, self.target_combo, self.missing_combo, self.how_combo,
                  self.scaler_combo):
            w.currentIndexChanged.connect(self._on_setting_changed)
        self.resample_combo.currentTextChanged.connect(self._on_setting_changed)
        self.resample_combo.currentTextChanged.connect(self._update_how_enabled)
        self.train_spin.valueChanged.connect(self._on_split_changed)
        self.val_spin.valueChanged.connect(self._on_split_changed)
        self.inputs_list.itemChanged.connect(self._on_setting_changed)
        self.target_combo.currentIndexChanged.connect(self._refresh_inputs)
        self._update_test_label()
        self._update_how_enabled()
        self._refresh_inputs()
        self.set_series(None)

    # ------------------------------------------------------------------ table
    def set_table(self, path: str | Path | None, table: Any, *, config: DataConfig | None = None
                  ) -> None:
        """Show a freshly read table and its report; choose sensible columns.

        Parameters
        ----------
        path : str or Path or None
            File it came from (None for a generated table).
        table : LoadedTable
            ``frame``, ``time_column``, ``numeric_columns`` and ``report``.
        config : DataConfig, optional
            Settings to apply (a session); otherwise the current ones are kept where they fit.
        """
        self._loading = True
        try:
            self.table = table
            self.path = str(path) if path is not None else None
            rep = getattr(table, "report", None)
            self.report = rep.to_dict() if hasattr(rep, "to_dict") else dict(rep or {})
            frame = table.frame
            numeric = list(getattr(table, "numeric_columns", ()))
            self.time_combo.clear()
            self.time_combo.addItem(NO_TIME)
            tcol = getattr(table, "time_column", None)
            for c in frame.columns:
                if c == tcol or (str(frame[c].dtype).startswith("datetime")):
                    self.time_combo.addItem(str(c))
            if tcol is not None:
                self.time_combo.setCurrentText(str(tcol))
            self.target_combo.clear()
            self.target_combo.addItems([str(c) for c in numeric])
            if numeric:  # the same default as rnnviz train: skip row counters
                self.target_combo.setCurrentText(default_target(frame, numeric)[0])
            self.preview_model.set_frame(frame.head(PREVIEW_ROWS))
            self.preview.resizeColumnsToContents()
            self.report_view.setHtml(report_html(self.report, self.path))
            n_warn = len(self.report.get("warnings") or [])
            self.tabs.setTabText(1, f"Report ⚠ {n_warn}" if n_warn else "Report")
            if config is not None:
                self.set_data_config(config)
            self._refresh_inputs()
        finally:
            self._loading = False
        self.set_series(None)  # "preparing…" until the window hands the new series back
        self.changed.emit()

    def clear_table(self) -> None:
        """Forget the table (nothing open)."""
        self.table = None
        self.path = None
        self.report = {}
        self.time_combo.clear()
        self.target_combo.clear()
        self._refresh_inputs()
        self.preview_model.set_frame(None)
        self.report_view.clear()
        self.set_series(None)
        self._update_banner()

    def _update_banner(self, problem: str | None = None) -> None:
        e = html.escape
        if self.table is None:
            self.banner.setText("No data open. File ▸ Open CSV… or drop a CSV file here.")
            self.banner.setStyleSheet("padding: 4px; background: #f2f2f2;")
            return
        name = Path(self.path).name if self.path else "generated data"
        rows = self.report.get("rows", len(self.table.frame))
        n_warn = len(self.report.get("warnings") or [])
        text = f"<b>{e(name)}</b> · {rows} rows · {len(self.table.frame.columns)} columns"
        style = "padding: 4px; background: #eef5ee;"
        if n_warn:
            first = self.report["warnings"][0]
            msg = first.get("message", "") if isinstance(first, dict) else str(first)
            more = f" (and {n_warn - 1} more in the Report tab)" if n_warn > 1 else ""
            text += f"<br>⚠ {e(msg)}{more}"
            style = "padding: 4px; background: #fff4d6;"
        if problem:
            text += f"<br><span style='color:#b00020'>✖ {e(problem)}</span>"
            style = "padding: 4px; background: #fde8e8;"
        self.banner.setText(text)
        self.banner.setStyleSheet(style)

    def show_problem(self, message: str | None) -> None:
        """Show (or, with None, hide) why the current settings cannot make windows."""
        self._problem = message
        self._update_banner(message)
        if self.series is None:
            self._update_empty_text()

    # ------------------------------------------------------------------ settings
    def _refresh_inputs(self) -> None:
        if self.table is None:
            self.inputs_list.clear()
            self.inputs_list.setVisible(False)
            self.no_inputs_label.setVisible(True)
            return
        chosen = set(self.checked_inputs())
        target = self.target_combo.currentText()
        was = self._loading
        self._loading = True
        self.inputs_list.clear()
        for c in getattr(self.table, "numeric_columns", ()):
            if str(c) == target:
                continue
            item = QListWidgetItem(str(c), self.inputs_list)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if str(c) in chosen
                               else Qt.CheckState.Unchecked)
        self.inputs_list.setVisible(self.inputs_list.count() > 0)
        self.no_inputs_label.setVisible(self.inputs_list.count() == 0)
        self._loading = was

    def checked_inputs(self) -> list[str]:
        """Extra input columns that are ticked."""
        out = []
        for i in range(self.inputs_list.count()):
            item = self.inputs_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.text())
        return out

    def set_inputs(self, names: list[str] | tuple[str, ...]) -> None:
        """Tick exactly these extra inputs."""
        wanted = set(names)
        for i in range(self.inputs_list.count()):
            item = self.inputs_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in wanted
                               else Qt.CheckState.Unchecked)

    def time_column(self) -> str | None:
        """The chosen time column, or None for row numbers."""
        t = self.time_combo.currentText()
        return None if not t or t == NO_TIME else t

    def data_fields(self) -> dict[str, Any]:
        """The DataConfig fields this panel edits."""
        resample = self.resample_combo.currentText().strip()
        train = self.train_spin.value() / 100.0
        val = self.val_spin.value() / 100.0
        test = max(0.0, round(1.0 - train - val, 6))
        return {
            "time_column": self.time_column(),
            "target": self.target_combo.currentText() or None,
            "inputs": tuple(self.checked_inputs()),
            "missing": self.missing_combo.currentText(),
            "resample": None if resample in ("", NO_RESAMPLE) else resample,
            "resample_how": self.how_combo.currentText(),
            "split": (round(train, 6), round(val, 6), test),
            "scaler": self.scaler_combo.currentText(),
        }

    def set_data_config(self, cfg: DataConfig) -> None:
        """Show the settings of ``cfg`` (columns only where the table has them)."""
        was = self._loading
        self._loading = True
        try:
            if cfg.time_column is not None and self.time_combo.findText(cfg.time_column) >= 0:
                self.time_combo.setCurrentText(cfg.time_column)
            if cfg.target is not None and self.target_combo.findText(cfg.target) >= 0:
                self.target_combo.setCurrentText(cfg.target)
                self._refresh_inputs()
            self.set_inputs(cfg.inputs)
            self.missing_combo.setCurrentText(cfg.missing)
            self.resample_combo.setCurrentText(cfg.resample or NO_RESAMPLE)
            self.how_combo.setCurrentText(cfg.resample_how)
            self._update_how_enabled()
            self.train_spin.setValue(round(cfg.split[0] * 100))
            self.val_spin.setValue(round(cfg.split[1] * 100))
            self._update_test_label()
        finally:
            self._loading = was

    def _on_split_changed(self) -> None:
        if self.train_spin.value() + self.val_spin.value() > 100:
            sender = self.sender()
            other = self.val_spin if sender is self.train_spin else self.train_spin
            other.blockSignals(True)
            other.setValue(100 - (sender.value() if sender is not None else 0))
            other.blockSignals(False)
        self._update_test_label()
        self._on_setting_changed()

    def _update_test_label(self) -> None:
        test = 100 - self.train_spin.value() - self.val_spin.value()
        self.test_label.setText(f"test {test} %")

    def _update_how_enabled(self, *_: Any) -> None:
        # "Combine by" means nothing while resampling is off: grey it out, as the model panel
        # does with settings that do not apply
        self.how_combo.setEnabled(self.resample_combo.currentText().strip()
                                  not in ("", NO_RESAMPLE))

    def _on_setting_changed(self, *_: Any) -> None:
        if not self._loading:
            self.changed.emit()

    def set_training(self, training: bool) -> None:
        """Freeze the data settings while a run trains."""
        self.setup_tab.setEnabled(not training)

    # ------------------------------------------------------------------ plot
    def _x(self) -> np.ndarray:
        s = self.series
        n = s.raw.shape[0]
        if s.times is not None:
            return s.times.astype("datetime64[ns]").astype(np.int64) / 1e9  # epoch seconds
        return np.arange(n, dtype=np.float64)

    def set_series(self, series: Any, problem: str | None = None) -> None:
        """Draw a prepared series (None clears the plot) and say what is wrong, if anything.

        Parameters
        ----------
        series : PreparedSeries or None
        problem : str, optional
            Why the settings cannot make windows (shown in the banner).
        """
        self.series = series
        self._problem = problem
        if series is None:
            self.curve.setData([], [])
            for r in list(self.regions.values()) + list(self.window_regions.values()):
                r.setRegion((0, 0))
                r.hide()
            self.sample_dots.setData([], [])
            self.target_dots.setData([], [])
            self.window_label.setVisible(False)
            # no axes of nothing ("0, 5e-09, 1e-08"): a plain line says why the plot is empty
            self.plot.hideAxis("bottom")
            self.plot.hideAxis("left")
            self.plot.setMouseEnabled(x=False, y=False)  # nothing to pan: keep the line centred
            self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            self._update_empty_text()
            self.legend_label.setVisible(False)
        else:
            self.empty_text.setVisible(False)
            self.legend_label.setVisible(True)
            self.plot.showAxis("bottom")
            self.plot.showAxis("left")
            self.plot.setMouseEnabled(x=True, y=True)
            x = self._x()
            y = np.asarray(series.raw[:, 0], dtype=np.float64)
            self._use_date_axis(series.times is not None)
            self.plot.setLabel("left", str(series.target_names[0]))
            self.curve.setData(x, y, connect="finite")
            n = len(x)
            bounds = {"train": (0, series.train_end), "validation": (series.train_end, series.val_end),
                      "test": (series.val_end, n)}
            for part, (a, b) in bounds.items():
                r = self.regions[part]
                if b > a:
                    r.setRegion((x[a], x[min(b, n - 1)]))
                    r.show()
                else:
                    r.hide()
            self._draw_window()
            self._show_all(x, y)
        self._update_banner(problem)
        self._update_legend()

    def _show_all(self, x: np.ndarray, y: np.ndarray) -> None:
        """Show the whole series with room above it for the window's label."""
        finite = y[np.isfinite(y)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        if hi == lo:
            lo, hi = lo - span / 2, hi + span / 2
        x0, x1 = (float(x[0]), float(x[-1])) if len(x) > 1 else (-0.5, 0.5)
        self.plot.disableAutoRange()
        self.plot.setRange(xRange=(x0, x1), yRange=(lo - 0.04 * span, hi + HEADROOM * span),
                           padding=0.01)

    def _update_empty_text(self) -> None:
        """Say why the plot is empty (no file, no target, a problem, or not ready yet)."""
        if self.table is None:
            reason = "no_table"
        elif not self.target_combo.currentText():
            reason = "no_target"
        elif self._problem:
            reason = "problem"
        else:
            reason = "pending"
        self.empty_text.setText(EMPTY_MESSAGES[reason])
        self.empty_text.setVisible(True)

    def _use_date_axis(self, dates: bool) -> None:
        axis = self.plot.getAxis("bottom")
        if isinstance(axis, pg.DateAxisItem) == dates:
            return
        axis = pg.DateAxisItem(orientation="bottom") if dates else pg.AxisItem("bottom")
        self.plot.setAxisItems({"bottom": axis})
        # style only the new axis: re-styling an axis whose label shows would let pyqtgraph
        # pick an SI scale from the current range and keep it (labels x1000)
        axis.setPen(pg.mkPen(theme.FOREGROUND))
        axis.setTextPen(pg.mkPen(theme.FOREGROUND))
        axis.setTickFont(theme.tick_font())
        axis.enableAutoSIPrefix(False)
        axis.setStyle(maxTickLevel=1)  # as theme.style_plot does for the other axes

    def set_window(self, lookback: int, horizon: int, step: int = 1, delay: int = 0) -> None:
        """Draw one window on the series plot: lookback (purple) then horizon (green)."""
        self._window = (int(lookback), int(horizon), int(step), int(delay))
        self._draw_window()
        self._update_legend()

    def window_rows(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows of the drawn window: (input rows (T,), target rows (horizon,)), or None."""
        s = self.series
        if s is None:
            return None
        T, horizon, step, delay = self._window
        n = s.raw.shape[0]
        span = (T - 1) * step + delay + horizon + 1
        if span > n:
            return None
        # the window whose first target is the first validation row (or the last possible one)
        first_target = min(max(s.train_end, span - horizon), n - horizon)
        end = first_target - delay - 1
        start = end - (T - 1) * step
        inputs = start + step * np.arange(T)
        targets = end + delay + 1 + np.arange(horizon)
        return inputs, targets

    def _draw_window(self) -> None:
        rows = self.window_rows()
        if rows is None:
            for r in self.window_regions.values():
                r.hide()
            self.window_label.setVisible(False)
            self.sample_dots.setData([], [])
            self.target_dots.setData([], [])
            return
        inputs, targets = rows
        x = self._x()
        y = np.asarray(self.series.raw[:, 0], dtype=np.float64)
        half = (x[1] - x[0]) / 2 if len(x) > 1 else 0.5
        lb = self.window_regions["lookback"]
        lb.setRegion((x[inputs[0]] - half, x[inputs[-1]] + half))
        lb.show()
        hz = self.window_regions["horizon"]
        hz.setRegion((x[targets[0]] - half, x[targets[-1]] + half))
        hz.show()
        T, horizon, step, delay = self._window
        # with step 1 every row of the lookback is read: the shading says it, and dots on each
        # of them would only paint a thick bar over the curve
        if step > 1:
            self.sample_dots.setData(x[inputs], y[inputs])
        else:
            self.sample_dots.setData([], [])
        self.target_dots.setData(x[targets], y[targets])
        self.window_label.setHtml(self.window_label_html())
        self._label_x = float((x[inputs[-1]] + x[targets[0]]) / 2)  # where lookback meets horizon
        self.window_label.setVisible(True)
        self._place_window_label()

    def window_label_html(self) -> str:
        """The label drawn over the window: lookback (purple) and horizon (green), in rows."""
        T, horizon, step, delay = self._window
        lb = f"lookback {T}" + (f", step {step}" if step > 1 else "")
        hz = (f"delay {delay} · " if delay else "") + f"horizon {horizon}"
        return (f"<span style='color:#7a4fa8'>◂ {lb}</span>"
                f"<span style='color:#606060'> | </span>"
                f"<span style='color:#1f7a1f'>{hz} ▸</span>")

    def _place_window_label(self, *_: Any) -> None:
        """Keep the window's label at the top of the view, over the window, inside the view."""
        if not self.window_label.isVisible():
            return
        vb = self.plot.getViewBox()
        (x0, x1), (_y0, y1) = vb.viewRange()
        xb = self._label_x
        # a narrow plot wraps the label rather than cutting it at the view's edge
        room = vb.width() - 4
        self.window_label.setTextWidth(-1)
        if room > 40 and self.window_label.textItem.boundingRect().width() > room:
            self.window_label.setTextWidth(room)
        # the anchor slides with the window: centred in the middle of the view, flush with the
        # left (right) edge when the window is there, so the label never leaves the plot
        frac = 0.5 if x1 <= x0 else min(max((xb - x0) / (x1 - x0), 0.0), 1.0)
        self.window_label.setAnchor((frac, 0))
        self.window_label.setPos(min(max(xb, x0), x1), y1)

    def _update_legend(self) -> None:
        T, horizon, step, delay = self._window
        span = (T - 1) * step + 1
        what = f"{T} rows" if step == 1 else f"{T} rows, every {ordinal(step)} ({span} rows wide)"
        gap = f", {delay} rows after its end" if delay else " right after it"
        need = (T - 1) * step + delay + horizon + 1  # rows one window and its target span
        rows = getattr(self.series, "n_rows", None) if self.series is not None else None
        too_long = (f" <span style='color:#b00020'><b>One window needs {need} rows; the series "
                    f"has {rows}.</b></span>" if rows is not None and need > rows else "")
        self.legend_label.setText(
            "<span style='color:#1f77b4'>■</span> train "
            "<span style='color:#ff7f0e'>■</span> validation "
            "<span style='color:#7f7f7f'>■</span> test<br>"  # the window's sentence on its own line
            f"One window <span style='color:#9467bd'>■</span> reads {what} and "
            f"<span style='color:#2ca02c'>■</span> predicts the next {horizon}{gap}."
            + too_long
        )
