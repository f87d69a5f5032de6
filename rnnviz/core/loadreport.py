"""What the CSV loader understood about a file: dialect, columns, time axis, warnings.

:class:`LoadReport` is what ``rnnviz inspect`` prints (``render_text``) and what
``rnnviz inspect --json`` writes (``LoadReport.to_dict``). The JSON object has exactly these
keys::

    ok        bool   the file can be used
    rows      int    data rows in the loaded table (after merging duplicate times)
    dialect   {delimiter, decimal, thousands, encoding, header_line, preamble_lines} or null
    columns   [{name, kind, count, missing, min, max, mean}]  kind: time/numeric/text/empty
    time      {column, unit, timezone, first, last, median_step, median_step_text, gaps,
               duplicates, sorted} or null
    warnings  [{code, message}]
    error     {code, message} or null

Line numbers are 1-based everywhere a user sees them, the way editors number them: in every
message, in the text report and in the JSON (``header_line`` 1 is the file's first line; null
when the file has no header). ``preamble_lines`` is a count: the lines above the table that were
skipped, so with a header the header is on line ``preamble_lines + 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

KINDS = ("time", "numeric", "text", "empty")


@dataclass(frozen=True)
class Issue:
    """A warning or an error: a stable ``code`` and a message naming the problem and the fix."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Return ``{"code": ..., "message": ...}``."""
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Dialect:
    """How the file is written.

    Attributes
    ----------
    delimiter : str
        Field separator: ``","``, ``";"``, ``"\\t"`` or ``"|"``.
    decimal : str
        Decimal mark, ``"."`` or ``","``.
    thousands : str or None
        Thousands separator found in numbers (``","``, ``"."``, ``" "``, ``"'"``), or None.
    encoding : str
        Text encoding the file was decoded with (``"utf-8"``, ``"utf-8-sig"``,
        ``"utf-16-le"``, ``"cp1252"``, ...).
    header_line : int or None
        1-based line number of the header line (1 is the first line of the file); None when
        the file has no header.
    preamble_lines : int
        Lines above the table that were skipped (a logger's title block, blank lines).
    """

    delimiter: str = ","
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "utf-8"
    header_line: int | None = 1
    preamble_lines: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict."""
        return {
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "thousands": self.thousands,
            "encoding": self.encoding,
            "header_line": self.header_line,
            "preamble_lines": self.preamble_lines,
        }


@dataclass(frozen=True)
class ColumnReport:
    """One column: its kind and, for numeric columns, its range and mean.

    ``count`` is the number of values present, ``missing`` the number of empty, placeholder,
    error or unreadable cells (all treated as missing). ``min``/``max``/``mean`` are None for
    columns that are not numeric.
    """

    name: str
    kind: str
    count: int
    missing: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict (non-finite numbers become null)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "missing": self.missing,
            "min": _finite(self.min),
            "max": _finite(self.max),
            "mean": _finite(self.mean),
        }


@dataclass(frozen=True)
class TimeReport:
    """The time axis.

    Attributes
    ----------
    column : str
        Name of the time column (for a date column combined with a time-of-day column, the
        date column's name).
    unit : str
        How the times were written: ``"ISO 8601 text"``, ``"day-first text (%d/%m/%Y)"``,
        ``"unix seconds"``, ``"unix milliseconds"``, ``"excel serial days"``, ``"year numbers"``...
    timezone : str or None
        None when the file gives no zone; otherwise what was done, e.g.
        ``"UTC (converted from offsets +01:00, +02:00)"``. Times in the table are then UTC.
    first, last : str
        ISO 8601 first and last time (after sorting).
    median_step : float or None
        Median spacing of consecutive distinct times, in seconds.
    median_step_text : str
        The same in words (``"1 h"``, ``"1 month"``).
    gaps : int
        Steps longer than 1.5 times the median step.
    largest_gap : float or None
        Longest step, in seconds, when there are gaps.
    largest_gap_text : str
    largest_gap_after : str or None
        ISO time after which the largest gap starts.
    duplicates : int
        Rows whose time repeats an earlier row's time.
    duplicate_policy : str
        What was done with them (``"mean"``: rows with the same time were merged into one,
        numeric values averaged, text kept from the first).
    sorted : bool
        Whether the file's rows were already in time order.
    """

    column: str
    unit: str
    timezone: str | None
    first: str
    last: str
    median_step: float | None
    median_step_text: str
    gaps: int = 0
    largest_gap: float | None = None
    largest_gap_text: str = ""
    largest_gap_after: str | None = None
    duplicates: int = 0
    duplicate_policy: str = "mean"
    sorted: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict."""
        return {
            "column": self.column,
            "unit": self.unit,
            "timezone": self.timezone,
            "first": self.first,
            "last": self.last,
            "median_step": _finite(self.median_step),
            "median_step_text": self.median_step_text,
            "gaps": {
                "count": self.gaps,
                "largest": _finite(self.largest_gap),
                "largest_text": self.largest_gap_text,
                "largest_after": self.largest_gap_after,
            },
            "duplicates": {"count": self.duplicates, "policy": self.duplicate_policy},
            "sorted": self.sorted,
        }


@dataclass(frozen=True)
class LoadReport:
    """Everything the loader found out about one file."""

    path: str
    ok: bool
    rows: int = 0
    dialect: Dialect | None = None
    columns: tuple[ColumnReport, ...] = ()
    time: TimeReport | None = None
    warnings: tuple[Issue, ...] = ()
    error: Issue | None = None
    _extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        """Codes of the warnings, in order."""
        return tuple(w.code for w in self.warnings)

    def column(self, name: str) -> ColumnReport:
        """Return the report of the column called ``name`` (KeyError if there is none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Return the ``rnnviz inspect --json`` object (JSON-ready, no NaN)."""
        return {
            "ok": self.ok,
            "rows": self.rows,
            "dialect": self.dialect.to_dict() if self.dialect else None,
            "columns": [c.to_dict() for c in self.columns],
            "time": self.time.to_dict() if self.time else None,
            "warnings": [w.to_dict() for w in self.warnings],
            "error": self.error.to_dict() if self.error else None,
        }


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------------------------------------
# Words for durations and numbers


_UNITS = (
    (365.2425 * 86400, "year", "years"),
    (30.436875 * 86400, "month", "months"),
    (7 * 86400, "week", "weeks"),
    (86400, "day", "days"),
    (3600, "h", "h"),
    (60, "min", "min"),
    (1, "s", "s"),
)


def duration_text(seconds: float | None) -> str:
    """Say a duration in words: ``3600`` -> ``"1 h"``, ``2_592_000`` -> ``"1 month"``.

    Calendar steps are recognised with their natural spread (a month is 28-31 days, a quarter
    89-92 days, a year 365-366 days).
    """
    if seconds is None or not math.isfinite(seconds):
        return "unknown"
    s = float(seconds)
    day = 86400.0
    if s <= 0:
        return "0 s"
    if 365 * day <= s <= 366 * day:
        return "1 year"
    if 89 * day <= s <= 92 * day:
        return "1 quarter"
    if 28 * day <= s <= 31 * day:
        return "1 month"
    if s < 1:
        return f"{_num(s * 1000)} ms"
    for size, one, many in _UNITS:
        if s >= size:
            n = s / size
            if size >= 7 * day and abs(n - round(n)) > 0.05:
                continue  # 45 days is better said in days than as 6.4 weeks
            return f"{_num(n)} {one if _num(n) == '1' else many}"
    return f"{_num(s)} s"  # pragma: no cover - the loop ends at 1 s


def _num(x: float) -> str:
    """Short number: 1, 2.5, 0.25, 1234."""
    if abs(x - round(x)) < 1e-9 * max(1.0, abs(x)):
        return f"{round(x):d}"
    return f"{x:.3g}"


def number_text(x: float | None) -> str:
    """Format a statistic for the column table."""
    if x is None or not math.isfinite(x):
        return ""
    ax = abs(x)
    if ax != 0 and (ax >= 1e7 or ax < 1e-3):
        return f"{x:.4g}"
    if abs(x - round(x)) < 1e-12:
        return f"{round(x):d}"
    return f"{x:.6g}"


_DELIMITER_NAMES = {
    ",": "comma ','",
    ";": "semicolon ';'",
    "\t": "tab",
    "|": "pipe '|'",
    " ": "spaces (runs of spaces or tabs)",
}


def delimiter_name(d: str) -> str:
    """``";"`` -> ``"semicolon ';'"``."""
    return _DELIMITER_NAMES.get(d, repr(d))


def render_text(report: LoadReport) -> str:
    """Render a report as the readable text ``rnnviz inspect`` prints."""
    out: list[str] = []
    name = report.path
    if report.ok:
        ncols = len(report.columns)
        out.append(f"{name}: usable - {report.rows:,} rows, {ncols} column{'s' * (ncols != 1)}")
    else:
        out.append(f"{name}: NOT usable")
    d = report.dialect
    if d is not None:
        header = "no header" if d.header_line is None else f"header on line {d.header_line}"
        thousands = f"thousands {d.thousands!r}" if d.thousands else "no thousands mark"
        parts = [
            f"delimiter {delimiter_name(d.delimiter)}",
            f"decimal {d.decimal!r}",
            thousands,
            d.encoding,
            header,
        ]
        if d.preamble_lines:
            parts.append(f"{d.preamble_lines} line{'s' * (d.preamble_lines != 1)} skipped above it")
        out.append("Dialect: " + ", ".join(parts))
    if report.columns:
        out.append("")
        out.extend(_column_table(report.columns))
    t = report.time
    if t is not None:
        out.append("")
        out.append(
            f"Time: column '{t.column}' ({t.unit})" + (f", {t.timezone}" if t.timezone else "")
        )
        out.append(f"  from {t.first} to {t.last}, median step {t.median_step_text}")
        bits = ["rows were in time order" if t.sorted else "rows were sorted by time"]
        if t.gaps:
            where = f" after {t.largest_gap_after}" if t.largest_gap_after else ""
            bits.append(
                f"{t.gaps:,} gap{'s' * (t.gaps != 1)} (largest {t.largest_gap_text}{where})"
            )
        else:
            bits.append("no gaps")
        if t.duplicates:
            bits.append(
                f"{t.duplicates:,} duplicate time{'s' * (t.duplicates != 1)} ({t.duplicate_policy})"
            )
        else:
            bits.append("no duplicate times")
        out.append("  " + "; ".join(bits))
    elif report.ok:
        out.append("")
        out.append("Time: no time column; rows are used in file order.")
    if report.warnings:
        out.append("")
        out.append(f"Warnings ({len(report.warnings)}):")
        for w in report.warnings:
            out.append(f"  * {w.message} [{w.code}]")
    if report.error is not None:
        out.append("")
        out.append(f"Error: {report.error.message} [{report.error.code}]")
    return "\n".join(out)


def _column_table(columns: tuple[ColumnReport, ...], limit: int = 60) -> list[str]:
    shown = columns[:limit]
    rows = [("column", "kind", "values", "missing", "min", "max", "mean")]
    for c in shown:
        nm = c.name if len(c.name) <= 28 else c.name[:27] + "~"
        rows.append(
            (
                nm,
                c.kind,
                f"{c.count:,}",
                f"{c.missing:,}",
                number_text(c.min),
                number_text(c.max),
                number_text(c.mean),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(7)]
    lines = []
    for r in rows:
        left = f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}"
        right = "  ".join(f"{r[i]:>{widths[i]}}" for i in range(2, 7))
        lines.append(("  " + left + "  " + right).rstrip())
    if len(columns) > limit:
        lines.append(
            f"  ... and {len(columns) - limit:,} more columns (use --json to see them all)"
        )
    return lines
