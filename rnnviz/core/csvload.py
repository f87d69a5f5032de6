"""Reading a CSV file into a clean table, and saying what was understood.

>>> table = load_csv("weather.csv")                      # doctest: +SKIP
>>> table.frame, table.time_column, table.numeric_columns  # doctest: +SKIP
>>> print(render_text(inspect_csv("weather.csv")))         # doctest: +SKIP

What the loaded table looks like
--------------------------------
``LoadedTable.frame`` has a plain ``RangeIndex`` and the file's columns in file order:

* the time column (if any) as ``datetime64[ns]``, rows sorted by it. Times written with UTC
  offsets are converted to UTC and stored without a zone (naive UTC); the report's
  ``time.timezone`` says so. Rows whose time is missing or unreadable are dropped (with a
  warning naming the first line). Rows with the same time are merged into one (policy
  ``"mean"``: numbers averaged, text kept from the first row), and the report counts them.
* numeric columns as ``float64`` with NaN for anything missing: empty cells, placeholders
  (``NA``, ``null``), spreadsheet errors (``#DIV/0!``, ``?``, ``-``), unreadable text, and
  infinite or overflowing values (``inf``, ``1e400``), each kind reported with its first line;
* text columns as strings, empty columns as all-NaN ``float64``; neither is in
  ``numeric_columns``.

How it reads
------------
The head of the file (about 64 KB) decides the encoding, delimiter, decimal and thousands
marks, preamble and header (:mod:`rnnviz.core.csvsniff`); then ``pyarrow.csv`` reads the
whole file in one multi-threaded pass with those options (1M rows in about 0.1 s). Cells that
pyarrow leaves as text (European thousands, error cells, day-first dates) are converted with
vectorised ``pyarrow.compute`` code. Files pyarrow refuses fall back to pandas' C parser,
chunk by chunk with progress. Ragged rows are an error that names the line. A table of fewer
than ``VERY_SHORT_ROWS`` (10) rows gets the ``very_short`` warning, which says how many rows the
default lookback and horizon need (:func:`rows_needed`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnviz.core import csvsniff, timecols
from rnnviz.core.errors import DataError
from rnnviz.core.loadreport import (
    ColumnReport,
    Dialect,
    Issue,
    LoadReport,
    TimeReport,
    delimiter_name,
    duration_text,
)
from rnnviz.core.timecols import NAT, NS

__all__ = [
    "ColumnReport",
    "Dialect",
    "Issue",
    "LoadReport",
    "LoadedTable",
    "TimeReport",
    "inspect_csv",
    "load_csv",
    "require_rows",
    "rows_needed",
]

DUPLICATE_POLICY = "mean"
"""Rows sharing a time are merged: numeric columns averaged (ignoring NaN), text from the first."""
MAX_LISTED = 6
VERY_SHORT_ROWS = 10
"""Tables with fewer data rows than this get the ``very_short`` warning."""


@dataclass(frozen=True, eq=False)
class LoadedTable:
    """A CSV file read into a clean table.

    Attributes
    ----------
    frame : pandas.DataFrame
        RangeIndex; the time column as datetime64[ns] (sorted), numeric columns float64.
    time_column : str or None
        Name of the time column, or None when the file has none (rows are then in file order).
    report : LoadReport
        What was understood and every warning.
    """

    frame: pd.DataFrame
    time_column: str | None
    report: LoadReport

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        """Names of the numeric columns, in file order (time, text and empty columns left out)."""
        return tuple(c.name for c in self.report.columns if c.kind == "numeric")

    @property
    def times(self) -> np.ndarray | None:
        """(N,) datetime64[ns] times, or None when there is no time column."""
        if self.time_column is None:
            return None
        return self.frame[self.time_column].to_numpy(dtype="datetime64[ns]")

    def __len__(self) -> int:
        return len(self.frame)


def rows_needed(
    lookback: int, horizon: int, *, step: int = 1, delay: int = 0, windows: int = 1
) -> int:
    """Rows needed for ``windows`` training windows of ``lookback`` steps and ``horizon`` targets.

    A window's inputs span ``(lookback - 1) * step + 1`` rows, its targets come ``delay + 1``
    to ``delay + horizon`` rows after its last input, and each extra window needs one more row.
    """
    return (lookback - 1) * step + 1 + delay + horizon + max(0, windows - 1)


def require_rows(
    table: LoadedTable | pd.DataFrame | int, needed: int, what: str = "This setting"
) -> None:
    """Raise DataError ``too_short`` when the table has fewer than ``needed`` rows.

    Parameters
    ----------
    table : LoadedTable, DataFrame or int
        The table, or its number of rows.
    needed : int
        Rows required, e.g. from :func:`rows_needed`.
    what : str
        What needs them, for the message: ``"A lookback of 48 and a horizon of 12"``.
    """
    n = (
        table
        if isinstance(table, (int, np.integer))
        else len(table if isinstance(table, pd.DataFrame) else table.frame)
    )
    if n < needed:
        raise DataError(
            "too_short",
            f"{what} needs at least {needed:,} rows, but the data has only {int(n):,}. "
            "Use a shorter lookback or horizon (or a smaller step), or a longer file.",
        )


# ---------------------------------------------------------------------------------------------
# Public entry points


def load_csv(path: str | Path, *, progress: Callable[[float], None] | None = None) -> LoadedTable:
    """Read a CSV file into a :class:`LoadedTable`.

    Parameters
    ----------
    path : str or Path
    progress : callable, optional
        Called with a fraction from 0.0 to 1.0 as reading goes on (at least at the start and
        the end); for the window's progress bar. Called on the loading thread.

    Raises
    ------
    DataError
        When the file cannot be used; ``code`` and ``message`` say why and what to do.
    """
    b = _Builder(str(path))
    try:
        return _load(Path(path), progress, b)
    except DataError:
        raise
    except MemoryError:
        raise DataError(
            "too_large",
            "The file is too large to load into memory. Use a shorter file, or fewer columns.",
        ) from None
    except _content_errors() as exc:
        raise DataError(
            "unreadable_csv",
            f"The file could not be read as a table ({_short(exc)}). Check that it is a CSV file.",
        ) from None


def inspect_csv(path: str | Path) -> LoadReport:
    """Read a CSV file and report what was understood; never raises for anything in the file.

    Returns
    -------
    LoadReport
        ``ok`` False and ``error`` set when the file cannot be used.
    """
    b = _Builder(str(path))
    try:
        return _load(Path(path), None, b).report
    except DataError as exc:
        return b.failed(exc.code, exc.message)
    except MemoryError:
        return b.failed(
            "too_large",
            "The file is too large to load into memory. Use a shorter file, or fewer columns.",
        )
    except _content_errors() as exc:
        return b.failed(
            "unreadable_csv",
            f"The file could not be read as a table ({_short(exc)}). Check that it is a CSV file.",
        )
    except Exception as exc:  # noqa: BLE001 - inspect must always answer
        return b.failed(
            "internal_error",
            f"rnnviz could not read this file because of a bug ({type(exc).__name__}: {_short(exc)}). "
            "Please report it, with the file if you can.",
        )


def _content_errors() -> tuple[type[BaseException], ...]:
    import csv

    import pyarrow as pa

    return (pa.ArrowException, pd.errors.ParserError, csv.Error, UnicodeError)


def _short(exc: BaseException) -> str:
    s = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return s[:200]


class _Builder:
    """Collects the dialect and warnings while loading, so a failure can still report them."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.dialect: Dialect | None = None
        self.warnings: list[Issue] = []
        self._listed: dict[str, list[str]] = {}

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Issue(code, message))

    def failed(self, code: str, message: str) -> LoadReport:
        return LoadReport(
            path=self.path,
            ok=False,
            dialect=self.dialect,
            warnings=tuple(self.warnings),
            error=Issue(code, message),
        )


def _tick(progress: Callable[[float], None] | None, x: float) -> None:
    if progress is not None:
        progress(float(min(1.0, max(0.0, x))))


# ---------------------------------------------------------------------------------------------
# The reading pipeline


@dataclass
class _Col:
    name: str
    kind: str  # numeric / text / empty / time
    values: Any = None  # float64 ndarray, int64 ns ndarray, or pandas Series of text
    missing: int = 0
    parsed_time: timecols.ParsedTime | None = None
    auto_named: bool = False
    notes: list[str] = field(default_factory=list)
    reported: np.ndarray | None = None  # (N,) bool: error or unreadable cells, warned about already


def _load(path: Path, progress: Callable[[float], None] | None, b: _Builder) -> LoadedTable:
    import pyarrow as pa

    _tick(progress, 0.0)
    raw = csvsniff.read_file_bytes(path, progress, share=0.1)
    csvsniff.check_signature(raw)
    dec = csvsniff.decode_to_utf8(raw, progress)
    del raw
    b.warnings.extend(dec.issues)
    data = dec.data
    text, whole = csvsniff.sample_text(data)
    sn = csvsniff.sniff(text, whole)
    b.dialect = Dialect(
        delimiter=sn.delimiter,
        decimal=sn.decimal,
        thousands=sn.thousands,
        encoding=dec.encoding,
        header_line=None if sn.header_line is None else sn.header_line + 1,  # 1-based
        preamble_lines=sn.table_line,
    )
    b.warnings.extend(sn.issues)
    _tick(progress, 0.15)
    offset = csvsniff.line_offset(data, sn.body_line)
    body_bytes = data[offset:]
    if sn.delimiter == csvsniff.WHITESPACE:
        # runs of spaces/tabs become one space, line ends trimmed: pyarrow then splits on " "
        body_bytes = memoryview(csvsniff.normalise_whitespace(body_bytes))
    body = pa.py_buffer(body_bytes)
    if csvsniff.is_blank(body_bytes):
        header = sn.delimiter.join(sn.names)[:80]
        raise DataError(
            "no_data",
            f"The file has a header line ({header!r}) but no data rows below it. Check that you saved the whole table.",
        )
    table = _read(body, sn, b, progress, text)
    _tick(progress, 0.75)
    if table.num_rows == 0:
        raise DataError(
            "no_data",
            "The file has column names but no data rows. Check that you saved the whole table.",
        )
    lines = csvsniff.LineMap(body_bytes, sn.body_line)
    cols = _columns(table, sn, b, lines)
    del table
    _tick(progress, 0.85)
    out = _assemble(cols, sn, b, lines)
    _tick(progress, 1.0)
    return out


def _read(body, sn: csvsniff.Sniff, b: _Builder, progress, sample: str):
    """Read the body with pyarrow; on trouble find the bad line or fall back to pandas' C parser."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    longest = max((len(x) for x in sample.split("\n")), default=0)
    # pyarrow pays per block and column: wide files read faster in bigger blocks
    block = max(1 << 20, 32 * longest, min(64 << 20, len(sn.names) * (16 << 10)))
    names = list(sn.names)
    for _attempt in range(3):
        try:
            return pcsv.read_csv(
                pa.BufferReader(body),
                read_options=pcsv.ReadOptions(
                    column_names=names, block_size=min(block, 1 << 30), use_threads=True
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=sn.delimiter,
                    quote_char='"',
                    double_quote=True,
                    newlines_in_values=sn.newlines_in_values,
                    ignore_empty_lines=True,
                ),
                convert_options=pcsv.ConvertOptions(
                    null_values=csvsniff.PYARROW_NULLS,
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    decimal_point=sn.decimal,
                    check_utf8=False,
                    # times with UTC offsets stay text so the offsets can be reported
                    column_types={
                        names[j]: pa.string() for j in sn.offset_columns if j < len(names)
                    },
                ),
            )
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "straddling" in msg or "block" in msg.lower():
                block = max(block * 16, body.size + 1)
                continue
            if re.search(r"Expected \d+ columns?, got \d+", msg):
                return _ragged(body, sn, b, progress)
            return _read_pandas(body, sn, names, progress)
    return _read_pandas(
        body, sn, names, progress
    )  # pragma: no cover - block size retries exhausted


def _body_text(body) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", errors="replace", newline="")


def _ragged(body, sn: csvsniff.Sniff, b: _Builder, progress):
    n = len(sn.names)
    bad = csvsniff.find_ragged_line(
        _body_text(body), n, sn.delimiter, sn.body_line, allow_trailing=True
    )
    if bad is not None:
        line, got, fields = bad
        what = "the header has" if sn.header_line is not None else "the first line has"
        if got < 0:
            raise DataError(
                "ragged_rows",
                f"Line {line} could not be split into fields (an unclosed quote?). Fix or delete that line.",
            )
        tip = f"Fix or delete that line, or check that the delimiter is {delimiter_name(sn.delimiter)}."
        if sn.delimiter == csvsniff.WHITESPACE:
            tip = (
                "Columns are separated by spaces here, so text that holds a space (a name such as New York) "
                'must be in double quotes ("New York"), and a missing value must be written as NA, not left '
                "blank. Fix or delete that line."
            )
        if (
            got > n
            and sn.delimiter == ","
            and any(re.fullmatch(r"\d{3}(?:\.\d+)?", f.strip()) for f in fields)
        ):
            tip += (
                " Numbers written with ',' as a thousands separator must be quoted (\"1,234.5\")."
            )
        short = ": a field is missing or the line is cut short" if got < n else ""
        raise DataError(
            "ragged_rows",
            f"Line {line} has {got} field{'s' * (got != 1)} but {what} {n}{short}. {tip}",
        )
    # every longer line only has empty fields at its end: trailing delimiters on some lines
    b.warn(
        "trailing_delimiter",
        f"Some lines end with extra {delimiter_name(sn.delimiter)} delimiters and empty fields that the header does not "
        "have; the empty fields were ignored.",
    )
    widest = _widest(body, sn.delimiter)
    names = list(sn.names) + [f"__extra_{k}" for k in range(max(0, widest - n))]
    return _read_pandas(body, sn, names, progress).select(list(range(n)))


def _widest(body, delimiter: str) -> int:
    import csv

    return max(
        (
            len(r)
            for r in csv.reader(_body_text(body), delimiter=delimiter, quotechar='"', strict=False)
        ),
        default=0,
    )


def _read_pandas(body, sn: csvsniff.Sniff, names: list[str], progress):
    """Pandas C parser, every cell as text, chunk by chunk with progress."""
    import pyarrow as pa

    size = max(1, body.size)
    fh = io.BytesIO(body)
    parts = []
    try:
        reader = pd.read_csv(
            fh,
            sep=sn.delimiter,
            header=None,
            names=names,
            index_col=False,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quotechar='"',
            engine="c",
            skip_blank_lines=True,
            chunksize=100_000,
            encoding="utf-8",
            encoding_errors="replace",
        )
        for chunk in reader:
            if not isinstance(chunk.index, pd.RangeIndex):
                raise DataError(
                    "shifted_columns",
                    "Some lines have more fields than the header, which would shift every column. Check the delimiter "
                    f"({delimiter_name(sn.delimiter)}) and the lines' field counts.",
                )
            parts.append(chunk)
            _tick(progress, 0.15 + 0.6 * min(1.0, fh.tell() / size))
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        if m:
            raise DataError(
                "ragged_rows",
                f"Line {sn.body_line + int(m.group(1))} has {m.group(2)} fields but the header has {len(names)}. "
                f"Fix or delete that line, or check that the delimiter is {delimiter_name(sn.delimiter)}.",
            ) from None
        raise DataError(
            "unreadable_csv",
            f"The file could not be split into fields ({_short(exc)}). Check for unclosed quotes.",
        ) from None
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({n: [] for n in names})
    arrays = [
        pa.array(frame[c].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        for c in frame.columns
    ]
    return pa.table(arrays, names=[str(c) for c in frame.columns])


# ---------------------------------------------------------------------------------------------
# Column by column


def _columns(table, sn: csvsniff.Sniff, b: _Builder, lines: csvsniff.LineMap) -> list[_Col]:
    import pyarrow as pa

    out: list[_Col] = []
    n = table.num_rows
    for j, name in enumerate(table.column_names):
        col = table.column(j)
        auto = sn.auto_named[j] if j < len(sn.auto_named) else True
        t = col.type
        c = _Col(name=name, kind="empty", auto_named=auto)
        if pa.types.is_null(t) or col.null_count == n:
            c.values = np.full(n, np.nan)
            c.missing = n
        elif (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_boolean(t)
            or pa.types.is_decimal(t)
        ):
            c.kind = "numeric"
            c.values = np.ascontiguousarray(
                col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
            )
        elif pa.types.is_timestamp(t) or pa.types.is_date(t):
            c.kind, c.parsed_time = "time", timecols.from_arrow(col, name)
        elif pa.types.is_time(t):
            c.kind, c.values = "text", col.cast(pa.string())
            c.notes.append("time_of_day")
        else:
            s = (
                col
                if pa.types.is_string(t) or pa.types.is_large_string(t)
                else col.cast(pa.string())
            )
            s = s.combine_chunks() if isinstance(s, pa.ChunkedArray) and s.num_chunks != 1 else s
            _classify_text(c, s, sn, b, lines)
        out.append(c)
    return out


def _classify_text(c: _Col, s, sn: csvsniff.Sniff, b: _Builder, lines: csvsniff.LineMap) -> None:
    """Decide whether a text column holds times, numbers (with some bad cells) or text."""
    sample = timecols._sample(s, 100)
    numberish = sum(csvsniff.cell_type(v) == "number" for v in sample)
    if sample and numberish < 0.5 * len(sample):
        pt = timecols.parse_text_times(s, c.name)
        if pt is not None:
            ok = int((pt.ns != NAT).sum())
            present = ok + int(pt.unparsed.sum()) if pt.unparsed is not None else ok
            if present and ok >= 0.9 * present:
                c.kind, c.parsed_time = "time", pt
                return
    wordy = sum(csvsniff.cell_type(v) in ("word", "text", "date") for v in sample)
    if sample and numberish < 0.1 * (numberish + wordy):
        c.kind, c.values = "text", s  # names, categories, notes: no need to parse every cell
        return
    parsed = csvsniff.parse_numbers(s, sn.decimal, sn.thousands)
    good = int(np.isfinite(parsed.values).sum() + np.isinf(parsed.values).sum())
    if parsed.unreadable.sum() > good:
        # one column written with the other decimal mark (a pasted block, another source)
        other = "," if sn.decimal == "." else "."
        retry = csvsniff.parse_numbers(s, other, None)
        got = int(np.isfinite(retry.values).sum() + np.isinf(retry.values).sum())
        if got >= 0.9 * (got + int(retry.unreadable.sum())) and got > 0:
            b.warn(
                "decimal_mark_differs",
                f"Column '{c.name}' writes decimals with {other!r} while the rest of the file uses {sn.decimal!r}; it was "
                f"read with {other!r}. Check a few of its values.",
            )
            parsed, good = retry, got
    filled = good + int(parsed.errors.sum()) + int(parsed.unreadable.sum())
    if filled == 0:
        c.kind, c.values = "empty", np.full(len(parsed.values), np.nan)
        return
    if good >= 0.5 * (good + int(parsed.unreadable.sum())) and good > 0:
        c.kind, c.values = "numeric", parsed.values
        if parsed.errors.any() or parsed.unreadable.any():
            c.reported = parsed.errors | parsed.unreadable
        if parsed.errors.any():
            k = int(parsed.errors.sum())
            first = lines.line(int(np.argmax(parsed.errors)))
            ex = ", ".join(parsed.error_examples)
            b._listed.setdefault("error_cells", []).append(
                f"'{c.name}': {k:,} cell{'s' * (k != 1)} such as {ex} (first on line {first})"
            )
        if parsed.unreadable.any():
            k = int(parsed.unreadable.sum())
            first = lines.line(int(np.argmax(parsed.unreadable)))
            ex = ", ".join(repr(x) for x in parsed.unreadable_examples)
            b.warn(
                "unreadable_values",
                f"Column '{c.name}' is numeric but {k:,} cell{'s are' if k != 1 else ' is'} not a number ({ex}; first on "
                f"line {first}); {'they are' if k != 1 else 'it is'} treated as missing. Check those cells "
                "(decimal mark, units or notes typed into the cell).",
            )
        return
    c.kind, c.values = "text", s


# ---------------------------------------------------------------------------------------------
# Putting the table together


def _assemble(
    cols: list[_Col], sn: csvsniff.Sniff, b: _Builder, lines: csvsniff.LineMap
) -> LoadedTable:
    n = len(cols[0].values) if cols[0].values is not None else len(cols[0].parsed_time.ns)
    cols = _drop_helper_columns(cols, sn, b)
    time_col, time_parse, combined = _choose_time(cols, b)
    # ---- numbers: infinities, missing, error cells (file order, for line numbers)
    for c in cols:
        if c.kind != "numeric":
            continue
        v = c.values
        if np.isfinite(v).all():  # the usual case, in one pass
            c.missing = 0
            continue
        inf = np.isinf(v)
        reported = c.reported
        if inf.any():
            k = int(inf.sum())
            b._listed.setdefault("infinite_values", []).append(
                f"'{c.name}': {k:,} (first on line {lines.line(int(np.argmax(inf)))})"
            )
            v = np.where(inf, np.nan, v)
            c.values = v
            reported = inf if reported is None else reported | inf
        miss = np.isnan(v)
        c.missing = int(miss.sum())
        if c.missing == len(v):
            c.kind = "empty"
        elif c.missing:
            # empty cells and NA/null only: error, unreadable and infinite cells have their own warning
            blank = miss if reported is None else miss & ~reported
            k_blank = int(blank.sum())
            if k_blank:
                item = (
                    f"'{c.name}': {k_blank:,} (first on line {lines.line(int(np.argmax(blank)))})"
                )
                k_other = c.missing - k_blank
                if k_other:
                    item += (
                        f", {c.missing:,} missing in all with the {k_other:,} "
                        f"cell{'s' * (k_other != 1)} listed above"
                    )
                b._listed.setdefault("missing_values", []).append(item)
    # ---- rows that are empty in every column
    keep = np.ones(n, dtype=bool)
    always_filled = any(c.kind == "numeric" and c.missing == 0 for c in cols)
    if n and not always_filled and any(c.kind != "time" for c in cols):
        empty_row = np.ones(n, dtype=bool)
        for c in cols:
            empty_row &= _missing_mask(c)
        if empty_row.any():
            keep &= ~empty_row
            k = int(empty_row.sum())
            b.warn(
                "empty_rows",
                f"{k:,} row{'s' * (k != 1)} had no value in any column (the first on line {lines.line(int(np.argmax(empty_row)))}) "
                "and were left out.",
            )
    # ---- the time column: drop unreadable times, sort, merge duplicates
    tr = None
    if time_col is not None:
        ns = time_parse.ns
        bad = (ns == NAT) & keep
        if bad.any():
            k = int(bad.sum())
            first = lines.line(int(np.argmax(bad)))
            unread = time_parse.unparsed is not None and time_parse.unparsed[bad].any()
            what = "has no time or a time that could not be read" if unread else "has no time"
            b.warn(
                "missing_times",
                f"{k:,} row{'s' * (k != 1)} {what} in '{time_col.name}' (the first on line {first}); "
                f"{'they were' if k != 1 else 'it was'} left out. Fix the time on {'those lines' if k != 1 else 'that line'} to keep {'them' if k != 1 else 'it'}.",
            )
            keep &= ~bad
    idx = np.flatnonzero(keep) if not keep.all() else None
    if idx is not None and idx.size == 0:
        raise DataError(
            "no_data",
            "No row of the file holds a usable value. Check the delimiter and the decimal mark.",
        )
    arrays = _arrays(cols, idx)
    rows_in_file = n if idx is None else idx.size
    if time_col is not None:
        ns = time_parse.ns if idx is None else time_parse.ns[idx]
        arrays, tr = _order_times(arrays, time_col.name, ns, time_parse, b, lines, idx, combined)
    # ---- column reports (on the final table)
    reports, numeric = _column_reports(cols, arrays, time_col)
    _post_checks(cols, arrays, sn, b, reports, rows_in_file)
    if not numeric:
        _no_numeric(cols, arrays, sn)
    frame = _build_frame(cols, arrays)
    _flush_listed(b)
    if tr is None:
        b.warn(
            "no_time_column",
            "No column holds dates or times, so rows are used in file order, one step apart. Add a date or time column "
            "to get time axes, gap checks and resampling.",
        )
    report = LoadReport(
        path=b.path,
        ok=True,
        rows=len(frame),
        dialect=b.dialect,
        columns=tuple(reports),
        time=tr,
        warnings=tuple(b.warnings),
        error=None,
    )
    return LoadedTable(frame=frame, time_column=time_col.name if time_col else None, report=report)


def _missing_mask(c: _Col) -> np.ndarray:
    if c.kind in ("numeric", "empty"):
        return np.isnan(c.values)
    if c.kind == "time":
        return c.parsed_time.ns == NAT
    return _blank_text(c.values)


def _blank_text(values) -> np.ndarray:
    """(N,) bool: text cells that are null or only white space."""
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(values)
    return np.asarray(
        pc.fill_null(pc.equal(s, ""), True).to_numpy(zero_copy_only=False), dtype=bool
    )


def _drop_helper_columns(cols: list[_Col], sn: csvsniff.Sniff, b: _Builder) -> list[_Col]:
    """Drop trailing-delimiter columns and unnamed row-number columns (pandas/R index exports)."""
    keep: list[_Col] = []
    for j, c in enumerate(cols):
        unnamed = c.auto_named or c.name in ("Unnamed: 0", "row_label", "index", "")
        if unnamed and c.kind == "empty" and j == len(cols) - 1 and len(cols) > 1:
            b.warn(
                "trailing_delimiter",
                f"{'Data lines end' if sn.trailing == 'data_only' else 'Lines end'} with an extra {delimiter_name(sn.delimiter)} "
                "that makes an empty, unnamed last column; it was ignored. (Plain pandas.read_csv would shift every "
                "column by one on such a file.)",
            )
            continue
        if unnamed and c.kind == "numeric" and c.values.size > 1:
            v = c.values
            if np.all(np.isfinite(v)) and v[0] in (0.0, 1.0) and np.all(np.diff(v) == 1):
                b.warn(
                    "row_numbers_dropped",
                    f"The unnamed first column holds row numbers ({v[0]:.0f}, {v[1]:.0f}, ...), as pandas or R write them; "
                    "it was left out.",
                )
                continue
        if sn.row_label and c.name == "row_label" and c.kind == "text":
            b.warn(
                "row_labels",
                "The header names one column fewer than the data lines hold, so the first field of each line was taken as "
                "a row label (as R's write.table writes it) and left out of the numbers.",
            )
        keep.append(c)
    if not keep:  # pragma: no cover - the reader always gives at least one column
        raise DataError("no_data", "The file holds no columns.")
    return keep


def _choose_time(
    cols: list[_Col], b: _Builder
) -> tuple[_Col | None, timecols.ParsedTime | None, str | None]:
    """First text/typed time column, else the first plausible numeric one; combine date + time of day."""
    found = [c for c in cols if c.kind == "time"]
    combined = None
    if found:
        tc = found[0]
        pt = tc.parsed_time
        j = cols.index(tc)
        if pt.date_only and j + 1 < len(cols):
            nxt = cols[j + 1]
            if nxt.kind == "text":
                both = timecols.combine_date_and_time(pt.ns, nxt.values)
                if both is not None and (both != NAT).sum() >= 0.9 * (pt.ns != NAT).sum():
                    pt = timecols.ParsedTime(
                        ns=both,
                        unit=pt.unit + f" + time of day from '{nxt.name}'",
                        timezone=pt.timezone,
                        unparsed=pt.unparsed,
                        issues=pt.issues,
                    )
                    tc.parsed_time = pt
                    cols.remove(nxt)
                    combined = nxt.name
        for other in found[1:]:
            other.kind = "time"
        if len(found) > 1:
            names = ", ".join(f"'{o.name}'" for o in found[1:MAX_LISTED])
            b.warn(
                "extra_time_columns",
                f"Columns {names} also hold times; '{tc.name}' is used as the time axis and the others are left out of "
                "the numbers.",
            )
    else:
        tc = None
        pt = None
        for c in cols:
            if c.kind != "numeric":
                continue
            v = c.values
            fin = v[np.isfinite(v)]
            integer = bool(fin.size) and bool(np.all(fin == np.round(fin)))
            got = timecols.parse_number_times(v, c.name, integer=integer)
            if got is not None:
                tc, pt = c, got
                c.kind = "time"
                c.parsed_time = got
                break
    if tc is None:
        return None, None, None
    for issue in pt.issues:
        b.warnings.append(issue)
    return tc, pt, combined


def _arrays(cols: list[_Col], idx: np.ndarray | None) -> dict[str, Any]:
    """Column arrays (rows ``idx`` only): numpy datetime64[ns] or float64; pyarrow strings for text."""
    data: dict[str, Any] = {}
    for c in cols:
        if c.kind == "time":
            ns = c.parsed_time.ns if idx is None else c.parsed_time.ns[idx]
            data[c.name] = ns.view("datetime64[ns]")
        elif c.kind in ("numeric", "empty"):
            data[c.name] = c.values if idx is None else c.values[idx]
        else:
            data[c.name] = c.values if idx is None else c.values.take(idx)
    return data


def _take(v: Any, order: np.ndarray) -> Any:
    return v[order] if isinstance(v, np.ndarray) else v.take(order)


def _keep(v: Any, mask: np.ndarray) -> Any:
    if isinstance(v, np.ndarray):
        return v[mask]
    import pyarrow as pa

    return v.filter(pa.array(mask))


def _is_float(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.dtype == np.float64


def _column(v: Any) -> Any:
    """A frame column: numpy arrays as they are, text as pandas strings (kept in Arrow memory)."""
    if isinstance(v, np.ndarray):
        return v
    return pd.Series(v.to_pandas(), dtype="str") if len(v) else pd.Series([], dtype="str")


def _build_frame(cols: list[_Col], arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """One DataFrame, file column order, RangeIndex; float columns built as one block (fast when wide)."""
    names = [c.name for c in cols]
    n = len(next(iter(arrays.values()))) if arrays else 0
    floats = [nm for nm in names if _is_float(arrays[nm])]
    if len(floats) < 50:
        frame = pd.DataFrame({nm: _column(arrays[nm]) for nm in names}, copy=False)
    else:
        block = np.empty((n, len(floats)), dtype=np.float64)  # (N, F)
        for j, nm in enumerate(floats):
            block[:, j] = arrays[nm]
        frame = pd.DataFrame(block, columns=pd.Index(floats, dtype=object), copy=False)
        for pos, nm in enumerate(names):
            if not _is_float(arrays[nm]):
                frame.insert(pos, nm, _column(arrays[nm]))
    if not isinstance(frame.index, pd.RangeIndex):  # pragma: no cover - a silent misread guard
        frame = frame.reset_index(drop=True)
    return frame


def _order_times(
    arrays: dict[str, np.ndarray],
    name: str,
    ns: np.ndarray,
    pt: timecols.ParsedTime,
    b: _Builder,
    lines: csvsniff.LineMap,
    idx: np.ndarray | None,
    combined: str | None,
) -> tuple[dict[str, np.ndarray], TimeReport]:
    def line_of(i: int) -> int:
        return lines.line(int(i if idx is None else idx[i]))

    d = np.diff(ns)
    was_sorted = not bool((d < 0).any())
    fall_back = None if was_sorted else timecols.dst_fall_back(ns)
    if not was_sorted:
        first_back = int(np.argmax(d < 0)) + 1
        order = np.argsort(ns, kind="stable")
        arrays = {k: _take(v, order) for k, v in arrays.items()}
        ns = ns[order]
        reverse = bool(np.all(d <= 0))
        if fall_back is None:
            if reverse:
                b.warn(
                    "unsorted",
                    "The rows were in reverse time order (newest first); they were put in time order.",
                )
            else:
                k = int((d < 0).sum())
                b.warn(
                    "unsorted",
                    f"The rows were not in time order ({k:,} step{'s' * (k != 1)} back in time, the first on line "
                    f"{line_of(first_back)}); they were sorted by '{name}'.",
                )
    if not was_sorted:
        d = np.diff(ns)
    ndup = int(d.size - np.count_nonzero(d))
    dup = np.zeros(ns.size, dtype=bool)
    if ndup:
        dup[1:] = d == 0
    if ndup:
        first_line = _first_duplicate_line(line_of, pt, idx)
        dst = fall_back is not None or timecols.dst_repeat_sorted(ns, dup)
        msg = (
            f"{ndup:,} row{'s' * (ndup != 1)} repeat{'s' * (ndup == 1)} a time already in the file "
            f"(first at {timecols.iso(int(ns[np.argmax(dup)]))}{first_line}). Rows with the same time were merged into "
            "one, averaging their numbers."
        )
        if dst:
            when = timecols.iso(int(fall_back if fall_back is not None else ns[np.argmax(dup)]))
            msg += (
                f" The repeats around {when} look like the clock going back an hour at the end of daylight saving "
                "time (local times repeat that hour). Save times in UTC or with their UTC offset to keep both hours."
            )
        else:
            msg += " If the file holds several series (one per sensor or place), split it into one file per series."
        b.warn("duplicate_times", msg)
        arrays = _merge_duplicates(arrays, name, dup)
        ns = ns[~dup]
    elif fall_back is not None:
        b.warn(
            "dst_repeated_hour",
            f"The times step back about an hour at {timecols.iso(fall_back)}, as local clocks do at the end of daylight "
            "saving time; the rows were sorted by time. Save times in UTC or with their UTC offset to avoid this.",
        )
    steps = timecols.steps_of(ns, d if not ndup else None)
    if steps.gap_issue is not None:
        b.warnings.append(steps.gap_issue)
    if ns.size:
        years = ns[[0, -1]].astype("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970
        if pt.unit != "year numbers" and (years[0] < 1800 or years[1] > 2200):
            b.warn(
                "implausible_years",
                f"The times in '{name}' run from {timecols.iso(int(ns[0]))} to {timecols.iso(int(ns[-1]))}: years before "
                "1800 or after 2200 usually mean the times were misread (day and month swapped, milliseconds taken as "
                "seconds). Check the time column.",
            )
    tr = TimeReport(
        column=name,
        unit=pt.unit,
        timezone=pt.timezone,
        first=timecols.iso(int(ns[0])),
        last=timecols.iso(int(ns[-1])),
        median_step=None if steps.median is None else steps.median / NS,
        median_step_text=duration_text(None if steps.median is None else steps.median / NS)
        if steps.median
        else "none (one time only)",
        gaps=steps.gaps,
        largest_gap=None if steps.largest is None else steps.largest / NS,
        largest_gap_text=duration_text(steps.largest / NS) if steps.largest else "",
        largest_gap_after=timecols.iso(steps.largest_after)
        if steps.largest_after is not None
        else None,
        duplicates=ndup,
        duplicate_policy=DUPLICATE_POLICY,
        sorted=was_sorted,
    )
    return arrays, tr


def _first_duplicate_line(line_of, pt: timecols.ParsedTime, idx: np.ndarray | None) -> str:
    ns = pt.ns if idx is None else pt.ns[idx]
    _, first_idx = np.unique(ns, return_index=True)
    seen_first = np.zeros(ns.size, dtype=bool)
    seen_first[first_idx] = True
    repeat = np.flatnonzero(~seen_first)
    if repeat.size == 0:  # pragma: no cover - ndup > 0 means a repeat exists
        return ""
    return f", line {line_of(int(repeat.min()))}"


def _merge_duplicates(
    arrays: dict[str, np.ndarray], name: str, dup: np.ndarray
) -> dict[str, np.ndarray]:
    """Merge sorted rows that share a time: numbers averaged (NaN ignored), others from the first."""
    group = np.cumsum(~dup) - 1  # (N,) group id of each sorted row
    out: dict[str, np.ndarray] = {}
    for c, v in arrays.items():
        if c != name and _is_float(v):
            ok = ~np.isnan(v)
            sums = np.bincount(group, weights=np.where(ok, v, 0.0))
            cnt = np.bincount(group, weights=ok.astype(np.float64))
            with np.errstate(invalid="ignore", divide="ignore"):
                out[c] = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
        else:
            out[c] = _keep(v, ~dup)
    return out


def _stats(v: np.ndarray, no_nan: bool = False) -> tuple[int, float, float, float]:
    """(count, min, max, mean) of a float64 column, NaN ignored, without copying it."""
    if no_nan and v.size:
        return v.size, float(v.min()), float(v.max()), float(v.mean())
    nan = np.isnan(v)
    k = int(v.size - np.count_nonzero(nan))
    if k == 0:
        return 0, np.nan, np.nan, np.nan
    if k == v.size:
        return k, float(v.min()), float(v.max()), float(v.mean())
    ok = ~nan
    return (
        k,
        float(np.fmin.reduce(v)),
        float(np.fmax.reduce(v)),
        float(np.add.reduce(v, where=ok) / k),
    )


def _column_reports(
    cols: list[_Col], arrays: dict[str, np.ndarray], time_col: _Col | None
) -> tuple[list[ColumnReport], list[str]]:
    reports: list[ColumnReport] = []
    numeric: list[str] = []
    n = len(arrays[cols[0].name])
    for c in cols:
        if c.kind == "numeric":
            cnt, lo, hi, mean = _stats(arrays[c.name], no_nan=c.missing == 0)
            if cnt == 0:
                c.kind = "empty"
                reports.append(ColumnReport(c.name, "empty", 0, n))
                continue
            reports.append(ColumnReport(c.name, "numeric", cnt, n - cnt, lo, hi, mean))
            numeric.append(c.name)
        elif c.kind == "time":
            if c is time_col:
                dropped = int((c.parsed_time.ns == NAT).sum())
                reports.append(ColumnReport(c.name, "time", n, dropped))
            else:
                cnt = int((~np.isnat(arrays[c.name])).sum())
                reports.append(ColumnReport(c.name, "time", cnt, n - cnt))
        elif c.kind == "empty":
            reports.append(ColumnReport(c.name, "empty", 0, n))
        else:
            filled = n - int(_blank_text(arrays[c.name]).sum()) if n else 0
            reports.append(ColumnReport(c.name, "text", filled, n - filled))
    return reports, numeric


def _post_checks(
    cols: list[_Col],
    arrays: dict[str, np.ndarray],
    sn: csvsniff.Sniff,
    b: _Builder,
    reports: list[ColumnReport],
    rows_in_file: int,
) -> None:
    """Notices about column kinds, and the checks that catch quiet misreads."""
    text = [c.name for c in cols if c.kind == "text"]
    if text:
        example = ""
        first = [x for x in arrays[text[0]][:100].to_pylist() if x is not None and str(x).strip()]
        if first:
            example = f" (e.g. {str(first[0])[:30]!r} in '{text[0]}')"
        b.warn(
            "text_columns",
            f"{_names(text)} hold{'s' * (len(text) == 1)} text{example}, so {'it is' if len(text) == 1 else 'they are'} "
            "left out of the numeric columns. If a column should be numeric, check its decimal mark and any notes typed "
            "into its cells.",
        )
    empty = [c.name for c in cols if c.kind == "empty"]
    if empty:
        b.warn(
            "empty_columns",
            f"{_names(empty)} {'has' if len(empty) == 1 else 'have'} no values at all and {'is' if len(empty) == 1 else 'are'} "
            "left out.",
        )
    const = [
        f"'{r.name}' (always {r.min:g})"
        for r in reports
        if r.kind == "numeric" and r.count >= 2 and r.min == r.max
    ]
    if const:
        b.warn(
            "constant_columns",
            f"{', '.join(const[:MAX_LISTED])}{_more(const)} {'has' if len(const) == 1 else 'have'} the same value in every row: "
            "such a column carries no information and cannot be scaled with standard scaling (its spread is zero). "
            "Leave it out of the inputs.",
        )
    if sn.header_line is not None:
        looks = [
            c.name
            for c in cols
            if c.kind == "numeric" and not c.auto_named and csvsniff.cell_type(c.name) == "number"
        ]
        if looks and len(looks) >= max(1, (len([c for c in cols if c.kind == "numeric"]) + 1) // 2):
            b.warn(
                "header_looks_like_data",
                f"Column names such as {looks[0]!r} look like numbers: if the first line is data rather than names, "
                "add a header line; rnnviz took it as the header.",
            )
    rows = len(next(iter(arrays.values()))) if arrays else 0
    if rows < VERY_SHORT_ROWS:
        from rnnviz.core.config import DataConfig

        dc = DataConfig()
        need = rows_needed(dc.lookback, dc.horizon, step=dc.step, delay=dc.delay)
        merged = f" ({rows_in_file} before merging repeated times)" if rows_in_file != rows else ""
        b.warn(
            "very_short",
            f"The table has only {rows} data row{'s' * (rows != 1)}{merged}, too few to train or plot a forecast. "
            f"A model needs more rows than its lookback plus its horizon, and more again for validation and test: "
            f"the default lookback of {dc.lookback} and horizon of {dc.horizon} need at least {need} rows for a "
            "single window. Use a longer file (hundreds of rows), or a much shorter lookback.",
        )


def _no_numeric(cols: list[_Col], arrays: dict[str, np.ndarray], sn: csvsniff.Sniff) -> None:
    text = [c for c in cols if c.kind == "text"]
    if len(cols) == 1 and text:
        s = pd.Series(arrays[text[0].name][:1000].to_pylist(), dtype=object).dropna().astype(str)
        found = [d for d in (";", ",", "\t", "|") if s.head(50).str.contains(re.escape(d)).any()]
        if found:
            d = found[0]
            raise DataError(
                "delimiter_not_found",
                f"Every line was read as one column of text, yet the lines contain {delimiter_name(d)} characters "
                f"(e.g. {str(s.iloc[0])[:60]!r}). The lines do not split into the same number of fields, so the "
                "delimiter could not be found: check that every line has the same number of fields.",
            )
        split = s.head(50).str.strip().str.split(r"[ \t]+", regex=True).str.len()
        if len(split) and (split >= 2).mean() >= 0.5:
            raise DataError(
                "delimiter_not_found",
                f"Every line was read as one column of text, yet the lines hold values separated by spaces "
                f"(e.g. {str(s.iloc[0])[:60]!r}). They do not split into the same number of fields on every line, "
                'so the columns could not be found: put text that holds a space in double quotes ("New York"), '
                "write missing values as NA, or save the file with commas between the columns.",
            )
    kinds = ", ".join(f"'{c.name}' ({c.kind})" for c in cols[:MAX_LISTED])
    raise DataError(
        "no_numeric_columns",
        f"The file has no numeric column to model: {kinds}{'...' if len(cols) > MAX_LISTED else ''}. "
        f"Check the delimiter ({delimiter_name(sn.delimiter)} was used) and the decimal mark ({sn.decimal!r}).",
    )


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{x}'" for x in names[:MAX_LISTED])
    word = "Column" if len(names) == 1 else "Columns"
    return f"{word} {shown}{_more(names)}"


def _more(items: list[Any]) -> str:
    return f" and {len(items) - MAX_LISTED:,} more" if len(items) > MAX_LISTED else ""


def _flush_listed(b: _Builder) -> None:
    """Turn per-column findings into one warning per kind (wide files stay readable)."""
    texts = {
        "error_cells": (
            "Spreadsheet errors or placeholders were found and treated as missing: {items}. Fix the formulas or "
            "values in the spreadsheet if those values matter."
        ),
        "infinite_values": (
            "Infinite or overflowing values (inf, 1e400) were treated as missing: {items}. Check how those values "
            "were computed."
        ),
        "missing_values": (
            "Missing values (empty cells, NA, null): {items}. They are filled or skipped when the series is prepared "
            "(interpolate, forward-fill or drop), never fed to a model."
        ),
    }
    for code, template in texts.items():
        items = b._listed.get(code)
        if items:
            shown = "; ".join(items[:MAX_LISTED]) + _more(items)
            b.warn(code, template.format(items=shown))
