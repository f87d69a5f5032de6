"""Finding out how a CSV file is written, before reading it.

Steps, each cheap and each on the head of the file only where it can be:

1. :func:`read_file_bytes` reads the file (in chunks, reporting progress).
2. :func:`check_signature` refuses binary files, Excel workbooks renamed ``.csv`` (zip with
   ``xl/`` entries, or the OLE2 signature ``D0 CF 11 E0``), archives, PDFs and web pages.
3. :func:`decode_to_utf8` finds the encoding (BOM, UTF-16 without BOM, UTF-8, then
   Windows-1252 / Latin-1 with a warning), removes NUL bytes and hands back UTF-8 bytes.
4. :func:`sniff` looks at the first lines (about 64 KB, more when lines are very long) and
   decides the delimiter, decimal mark, thousands mark, preamble lines, header line, column
   names and trailing-delimiter quirks.

Whitespace-separated files
--------------------------
Files written with spaces between columns (``numpy.savetxt``, R's ``write.table``, Fortran
programs, instruments), aligned with runs of spaces or tabs and often with leading spaces, get
the delimiter :data:`WHITESPACE` (``" "``, reported as "space"). It means: fields are separated
by runs of spaces and/or tabs, and white space at the start and end of a line is ignored. It is
chosen only when splitting the sampled lines that way gives a consistent field count (at least
two fields, :data:`WHITESPACE_CONSISTENCY` of the table's lines) and scores clearly better than
the comma, semicolon, tab and pipe candidates (by :data:`WHITESPACE_MARGIN`; a score is the
table's consistency times its share of cells that read as values or names; a whitespace table
scoring 0.9 or more also wins when it covers clearly more of the lines), so every file those
read as a table is read as before; a single column of numbers with space thousands
(``1 234``) stays one column. The reader gets the body with every run of white space turned
into one space and the ends of lines trimmed (:func:`normalise_whitespace`), so pyarrow reads
it in one pass with ``" "`` as the delimiter.

* Quoted fields keep their spaces: ``"New York" 1.5`` is two fields (runs of white space inside
  the quotes become one space). Unquoted text with spaces gives lines with too many fields;
  the error names the line and says to quote such values.
* A line ``# a b c`` just above the data (``numpy.savetxt(header=...)``) is the header.
* A date and a clock time written as two fields (``2020-01-01 10:00 1.5``) are one timestamp
  when the header names one column fewer than the data lines hold and, on nine lines in ten,
  the first field is a date and the second a clock time (``hh:mm[:ss]``): the first header
  name then names the timestamp (the loader joins the two fields; warning
  ``date_time_split``). With a header naming both (``date time value``), or without a header,
  the two columns are joined the same way, as for any date column followed by a time-of-day
  column. Any other header one name short is the ``header_mismatch`` error, which says to
  quote values with spaces or add the missing name.

Cell syntax (numbers with either decimal mark, error cells, missing-value placeholders) lives
here too, with the vectorised :func:`parse_numbers` that turns text cells into floats.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.loadreport import Issue, delimiter_name

SAMPLE_BYTES = 65_536
"""Bytes of the file's head used to sniff the dialect (more when fewer than MIN_LINES fit)."""
MIN_LINES = 24
MAX_SNIFF_LINES = 400
MAX_SAMPLE_BYTES = 16 * 2**20
MAX_TYPED_COLUMNS = 256
MAX_TYPED_ROWS = 100
DELIMITERS = (",", ";", "\t", "|")
WHITESPACE = " "
"""Delimiter value meaning "runs of spaces and/or tabs" (see the module docstring)."""
WHITESPACE_CONSISTENCY = 0.9
"""Share of the table's sampled lines that must split into the same number of fields."""
WHITESPACE_MARGIN = 0.25
"""How much better (score 0..1) whitespace splitting must score than the best other delimiter."""

MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "-nan", "null", "none", "nil", "<na>", "missing", "#na", "n.a.", "nd"}
)
"""Cells that mean "no value" (compared lower-case)."""
ERROR_TOKENS = frozenset(
    {
        "#div/0!",
        "#n/a",
        "#value!",
        "#ref!",
        "#name?",
        "#num!",
        "#null!",
        "#spill!",
        "#calc!",
        "#getting_data",
        "#field!",
        "#blocked!",
        "#unknown!",
        "#error!",
        "#n/a n/a",
        "?",
        "??",
        "-",
        "--",
        "---",
        ".",
        "error",
        "err",
        "#error",
        "nv",
        "n.v.",
        "x",
        "*",
    }
)
"""Spreadsheet error cells and placeholders (compared lower-case); counted as missing."""
PYARROW_NULLS = [
    "",
    "NA",
    "N/A",
    "n/a",
    "NaN",
    "nan",
    "-nan",
    "-NaN",
    "null",
    "NULL",
    "Null",
    "None",
    "none",
    "<NA>",
]
"""Values pyarrow may turn into nulls itself while reading (a subset of MISSING_TOKENS)."""

_NUMBER_ANY = re.compile(
    r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+|\d{1,3}(?:[.,' \u00a0\u202f]\d{3})+(?:[.,]\d+)?)(?:[eE][+-]?\d+)?"
    r"|[+-]?(?i:inf|infinity)"
)
_DATE_LIKE = re.compile(
    r"\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?:[ T,]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm])?)?"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
    r"|\d{4}\s*-?\s*Q[1-4]"
)
_SPREADSHEET_ERROR_RE = re.compile(r"#[A-Za-z\u00c0-\u00ff/0_ .]{1,20}[!?]?")
_WORD = re.compile(r"[\w .\-/()%°:#+&'\[\]]*")
_COMMA_DEC = re.compile(
    r"[+-]?\d+,\d{1,2}|[+-]?\d+,\d{4,}|[+-]?0,\d+|[+-]?\d{1,3}(?:\.\d{3})+,\d+|[+-]?,\d+"
)
_DOT_DEC = re.compile(
    r"[+-]?\d+\.\d{1,2}(?:[eE][+-]?\d+)?|[+-]?\d+\.\d{4,}(?:[eE][+-]?\d+)?|[+-]?0\.\d+(?:[eE][+-]?\d+)?"
    r"|[+-]?\d{1,3}(?:,\d{3})+\.\d+|[+-]?\.\d+"
)
_WITH_OFFSET = re.compile(r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}\S*\s*(?:Z|UTC|[+-]\d{2}:?\d{2})")
_AMBIGUOUS_COMMA = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")
_EU_GROUP = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_EN_GROUP = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SPACE_GROUP = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")
_APOS_GROUP = re.compile(r"[+-]?\d{1,3}(?:'\d{3})+(?:\.\d+)?")


def cell_type(cell: str) -> str:
    """Classify one cell: ``empty``, ``missing``, ``number``, ``date``, ``word`` or ``text``.

    ``word`` is text without any delimiter character in it (a name, a category); ``text`` is
    anything else. Used for sniffing only: the real conversion is vectorised.
    """
    s = cell.strip()
    if not s:
        return "empty"
    if s[0].isdigit() or (s[0] in "+-." and len(s) > 1):
        try:
            float(s)
            return "number"
        except ValueError:
            pass
    low = s.lower()
    if low in MISSING_TOKENS or low in ERROR_TOKENS or _SPREADSHEET_ERROR_RE.fullmatch(s):
        return "missing"
    if _NUMBER_ANY.fullmatch(s):
        return "number"
    if _DATE_LIKE.fullmatch(s):
        return "date"
    if _WORD.fullmatch(s):
        return "word"
    return "text"


# ---------------------------------------------------------------------------------------------
# Reading bytes and recognising what is not a CSV file


def read_file_bytes(
    path: str | Path, progress: Callable[[float], None] | None = None, share: float = 0.1
) -> memoryview:
    """Read a whole file into memory, calling ``progress`` (0 to ``share``) as chunks arrive.

    The bytes are copied into memory rather than memory-mapped: a mapped file that another
    program truncates while we read it (a logger rotating its file) would crash the process.

    Raises
    ------
    DataError
        When the file is missing, a folder, or cannot be read.
    """
    p = Path(path)
    try:
        if p.is_dir():
            raise DataError("not_a_file", f"'{p}' is a folder, not a file. Choose a CSV file.")
        with open(p, "rb", buffering=0) as fh:
            size = os.fstat(fh.fileno()).st_size
            buf = bytearray(size)
            view = memoryview(buf)
            got, step = 0, 16 * 2**20
            while got < size:
                n = fh.readinto(view[got : got + step])
                if not n:
                    break
                got += n
                if progress is not None and size > step:
                    progress(share * got / size)
            view.release()
            if got < size:  # the file shrank while we read it
                del buf[got:]
            rest = fh.read()  # or grew
            if rest:
                buf += rest
        return memoryview(buf)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(
            "file_not_found", f"There is no file '{p}'. Check the name and the folder."
        ) from None
    except IsADirectoryError:
        raise DataError(
            "not_a_file", f"'{p}' is a folder, not a file. Choose a CSV file."
        ) from None
    except PermissionError:
        raise DataError(
            "permission_denied",
            f"rnnviz may not read '{p}'. Check the file's permissions, or copy it somewhere you own.",
        ) from None
    except OSError as exc:
        raise DataError(
            "unreadable_file", f"'{p}' could not be read ({exc.strerror or exc})."
        ) from None


def scan_bytes(
    data: memoryview,
    progress: Callable[[float], None] | None = None,
    start: float = 0.0,
    share: float = 0.05,
) -> tuple[bool, bool]:
    """Return (all bytes are ASCII, some byte is NUL), in chunks, with progress on big files."""
    arr = np.frombuffer(data, dtype=np.uint8)
    n = arr.size
    step = 16 * 2**20
    ascii_ok, nul = True, False
    for i in range(0, n, step):
        part = arr[i : i + step]
        if ascii_ok and part.max() >= 128:
            ascii_ok = False
        if not nul and part.min() == 0:
            nul = True
        if progress is not None and n > step:
            progress(start + share * min(1.0, (i + step) / n))
    return ascii_ok, nul


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_signature(data: memoryview | bytes | bytearray) -> None:
    """Refuse files that are not text tables, with a message saying what they are.

    Raises
    ------
    DataError
        ``excel_workbook``, ``spreadsheet_file``, ``zip_archive``, ``compressed_file``,
        ``binary_file`` or ``markup_file``.
    """
    head = bytes(data[:16])
    save_as = "Open it in Excel or LibreOffice Calc and use File > Save As > 'CSV UTF-8 (comma delimited)'."
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        names: list[str] = []
        try:
            with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            names = []
        if any(n.startswith("xl/") for n in names) or b"xl/" in bytes(data[:4096]):
            raise DataError(
                "excel_workbook",
                f"This is an Excel workbook (.xlsx), not a CSV file, even if its name ends in .csv. {save_as}",
            )
        if "content.xml" in names or b"opendocument" in bytes(data[:512]):
            raise DataError(
                "spreadsheet_file",
                f"This is an OpenDocument spreadsheet (.ods), not a CSV file. {save_as}",
            )
        raise DataError(
            "zip_archive",
            "This is a zip archive, not a CSV file. Unpack it and open the CSV file inside.",
        )
    if head.startswith(_OLE2):
        raise DataError(
            "excel_workbook",
            f"This is an Excel workbook in the old .xls format (or another Office document), not a CSV file. {save_as}",
        )
    for magic, what in (
        (b"\x1f\x8b", "a gzip-compressed file"),
        (b"BZh", "a bzip2-compressed file"),
        (b"\xfd7zXZ\x00", "an xz-compressed file"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-zip archive"),
        (b"Rar!", "a RAR archive"),
    ):
        if head.startswith(magic):
            raise DataError(
                "compressed_file",
                f"This is {what}, not a CSV file. Decompress it and open the CSV file inside.",
            )
    for magic, what in (
        (b"PAR1", "a Parquet file"),
        (b"%PDF", "a PDF document"),
        (b"\x89HDF", "an HDF5 file"),
        (b"\x93NUMPY", "a NumPy array file"),
        (b"SQLite format", "an SQLite database"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
    ):
        if head.startswith(magic):
            raise DataError(
                "binary_file",
                f"This is {what}, not a CSV file. Export the data as CSV text and open that.",
            )
    probe = bytes(data[:4096]).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<?xml", b"<html", b"<!doctype", b"<table", b"<workbook")):
        office = b"urn:schemas-microsoft-com:office:spreadsheet" in bytes(data[:65536])
        what = "an Excel XML spreadsheet" if office else "a web page or XML file"
        raise DataError("markup_file", f"This is {what}, not a CSV file. {save_as}")


@dataclass
class Decoded:
    """A file's text as UTF-8 bytes, with the encoding found and notices about it."""

    data: memoryview
    encoding: str
    issues: list[Issue] = field(default_factory=list)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = bytes(i for i in range(32) if i not in (9, 10, 12, 13, 26, 27)) + b"\x7f"


def decode_to_utf8(data: memoryview, progress: Callable[[float], None] | None = None) -> Decoded:
    """Find the text encoding and return the text as UTF-8 bytes without BOM or NUL bytes.

    Order: byte-order mark (UTF-8, UTF-16, UTF-32); UTF-16 without a mark (recognised by
    its zero bytes); UTF-8; then Windows-1252, or Latin-1 where 1252 has no character, with
    a warning. Old Mac files with CR line ends get LF line ends. A plain ASCII or UTF-8 file
    is not copied.

    Raises
    ------
    DataError
        ``empty_file`` or ``binary_file``.
    """
    issues: list[Issue] = []
    head = bytes(data[:SAMPLE_BYTES])
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe") and not _rest_has_text(data):
        raise DataError(
            "empty_file", "The file is empty. Choose a CSV file that holds a table of numbers."
        )
    encoding = ""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            encoding = enc
            break
    if not encoding:
        h = head[:4096]
        half = max(1, len(h) // 2)
        even0, odd0 = h[0::2].count(0), h[1::2].count(0)
        if odd0 > 0.3 * half and even0 < 0.05 * half:
            encoding = "utf-16-le"
        elif even0 > 0.3 * half and odd0 < 0.05 * half:
            encoding = "utf-16-be"
    if encoding.startswith(("utf-16", "utf-32")):
        raw = bytes(data)
        has_bom = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        codec = encoding[:6] if has_bom else encoding  # "utf-16"/"utf-32" read and drop the BOM
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            text = raw.decode(codec, errors="replace")
            issues.append(
                Issue(
                    "bad_characters",
                    f"Some bytes are not valid {encoding.upper()} (near byte {exc.start:,}); they were replaced by '\ufffd'.",
                )
            )
        text = text.lstrip("\ufeff").replace("\x00", "")
        return Decoded(_normalise_newlines(memoryview(text.encode("utf-8"))), encoding, issues)
    if encoding == "utf-8-sig":
        data = data[3:]
        head = head[3:]
    nul_head = head.count(0)
    control = len(head) - len(head.translate(None, _CONTROL)) - nul_head
    if control > 0.03 * len(head) or nul_head > 0.3 * len(head):
        raise DataError(
            "binary_file",
            "This file holds binary data, not text, so it is not a CSV file. Export the data as CSV "
            "(comma- or semicolon-separated text) and open that.",
        )
    ascii_ok, has_nul = scan_bytes(data, progress, 0.1, 0.05)
    if has_nul:
        raw = bytes(data)
        nul = raw.count(0)
        line = raw[: raw.index(0)].count(b"\n") + 1
        data = memoryview(raw.replace(b"\x00", b""))
        ascii_ok = data.nbytes == 0 or bool(np.frombuffer(data, np.uint8).max() < 128)
        issues.append(
            Issue(
                "nul_bytes",
                f"The file contains {nul:,} NUL byte{'s' * (nul != 1)} (the first on line {line}), which "
                "a CSV file should not have (often a sign of a logger that stopped mid-write). They were removed; "
                "check the rows near that line.",
            )
        )
    if not encoding:
        encoding = "utf-8" if ascii_ok else _utf8_or_fallback(data, issues)
        if encoding not in ("utf-8",):
            data = memoryview(bytes(data).decode(encoding, errors="replace").encode("utf-8"))
    return Decoded(_normalise_newlines(data), encoding, issues)


def is_blank(data: memoryview) -> bool:
    """True when the bytes hold nothing but white space."""
    step = 2**20
    for i in range(0, len(data), step):
        if bytes(data[i : i + step]).strip():
            return False
    return True


def _rest_has_text(data: memoryview) -> bool:
    step = 4 * 2**20
    for i in range(SAMPLE_BYTES, len(data), step):
        if bytes(data[i : i + step]).strip(b" \t\r\n\x00"):
            return True
    return False


def _utf8_or_fallback(data: memoryview, issues: list[Issue]) -> str:
    dec = codecs.getincrementaldecoder("utf-8")()
    step = 4 * 2**20
    bad = -1
    for i in range(0, len(data), step):
        try:
            dec.decode(bytes(data[i : i + step]), final=i + step >= len(data))
        except UnicodeDecodeError as exc:
            bad = max(0, i + exc.start)
            break
    if bad < 0:
        return "utf-8"
    line = bytes(data[:bad]).count(b"\n") + 1
    try:
        bytes(data).decode("cp1252")
        enc, name = "cp1252", "Windows-1252 (Western European)"
    except UnicodeDecodeError:
        enc, name = "latin-1", "Latin-1 (ISO-8859-1)"
    issues.append(
        Issue(
            "encoding_fallback",
            f"The file is not valid UTF-8 (the first bad byte is on line {line}), so it was read as {name}. "
            "If letters in names or text look wrong, save the file as 'CSV UTF-8' and open it again.",
        )
    )
    return enc


def _normalise_newlines(data: memoryview) -> memoryview:
    head = bytes(data[:SAMPLE_BYTES])
    if b"\n" not in head and b"\r" in head:
        raw = bytes(data)
        if b"\n" not in raw:
            return memoryview(raw.replace(b"\r", b"\n"))
    return data


# ---------------------------------------------------------------------------------------------
# Sniffing the dialect and the header


@dataclass
class Sniff:
    """What the head of the file says about the table.

    Line numbers are 0-based physical lines of the (decoded) file.
    """

    delimiter: str
    decimal: str
    thousands: str | None
    header_line: int | None
    table_line: int
    body_line: int
    names: list[str]
    auto_named: list[bool]
    n_fields: int
    trailing: str = "none"
    row_label: bool = False
    newlines_in_values: bool = False
    sample_rows: list[list[str]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    whole_file: bool = False
    offset_columns: list[int] = field(default_factory=list)


def sample_text(data: memoryview | bytes) -> tuple[str, bool]:
    """Return the decoded head of the file (whole lines only) and whether it is the whole file."""
    end = SAMPLE_BYTES
    while True:
        chunk = bytes(data[:end])
        if len(chunk) >= len(data):
            return chunk.decode("utf-8", errors="replace"), True
        if chunk.count(b"\n") >= MIN_LINES or end >= MAX_SAMPLE_BYTES:
            cut = chunk.rfind(b"\n")
            if cut > 0:
                chunk = chunk[: cut + 1]
            return chunk.decode("utf-8", errors="replace"), False
        end *= 4


def _split_lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _records(lines: list[str], delimiter: str) -> list[tuple[int, list[str]]]:
    """(0-based start line, fields) for each record; blank lines give no record."""
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    start = 0
    try:
        for fields in reader:
            if fields and not (len(fields) == 1 and not fields[0].strip()):
                out.append((start, fields))
            start = reader.line_num
    except csv.Error:
        pass
    return out


def _mode(counts: list[int], all_counts: list[int] | None = None) -> int:
    """Most common count; ties go to the one most common in ``all_counts``, then the larger."""
    c = Counter(counts)
    best = max(c.values())
    tied = [k for k, v in c.items() if v == best]
    if len(tied) > 1 and all_counts is not None:
        whole = Counter(all_counts)
        return max(tied, key=lambda k: (whole[k], k))
    return max(tied)


RAGGED_LOOK = 10
"""Lines below a candidate header or first row that decide whether the table starts there."""


def _table_start(counts: list[int], m: int, recs: list[tuple[int, list[str]]] | None = None) -> int:
    """First line of the table: the header (or first data row) of the consistent block.

    A line of ``m`` fields (or ``m - 1``, a short header) starts the table when most of the
    next three lines agree with it. Otherwise it still does when the lines that disagree are
    few and look like data rows (a short or long line inside the data: a ragged row, which
    the reader reports with its line number), not like the title or notes of a preamble.
    Everything above the line found is the preamble.
    """
    n = len(counts)
    for i, c in enumerate(counts):
        nxt = counts[i + 1 : i + 4]
        agree = sum(x == m for x in nxt)
        if c == m and agree >= max(0, len(nxt) - 1):
            return i
        if c == m - 1 and nxt and nxt[0] == m and agree >= max(1, len(nxt) - 1):
            return i
        if c == m and recs is not None and _ragged_data_below(counts, m, recs, i):
            return i
    for i, c in enumerate(counts):
        if c == m:
            return i
    return max(0, n - 1)  # pragma: no cover - m is a count that occurs


def _ragged_data_below(
    counts: list[int], m: int, recs: list[tuple[int, list[str]]], i: int
) -> bool:
    """True when the lines below line ``i`` are rows of ``m`` fields with a few ragged data rows."""
    below = list(range(i + 1, min(len(counts), i + 1 + RAGGED_LOOK)))
    off = [j for j in below if counts[j] != m]
    on = [j for j in below if counts[j] == m]
    if not off or len(on) < max(2, len(off)) or len(off) > max(2, len(below) // 5):
        return False
    first_type = _kind_of(_column_types([recs[j][1] for j in on], m)[0])
    if first_type not in ("number", "date"):
        return False  # without typed data a ragged row and a note look alike
    return all(_data_like(recs[j][1], first_type) for j in off)


def _kind_of(t: str) -> str:
    return "text" if t in ("word", "text") else t


def _data_like(fields: list[str], first_type: str) -> bool:
    """A line that reads like a row of the data below: same first-cell type, mostly values."""
    cells = [cell_type(f) for f in fields]
    if not cells or _kind_of(cells[0]) != first_type:
        return False
    filled = [t for t in cells if t != "empty"]
    typed = sum(t in ("number", "date", "missing") for t in filled)
    return len(filled) >= 2 and typed >= 0.5 * len(filled)


def _score(recs: list[tuple[int, list[str]]]) -> tuple[float, int, int]:
    consistency, typed, m, start = _score_parts(recs)
    return consistency * typed, m, start


def _score_parts(recs: list[tuple[int, list[str]]]) -> tuple[float, float, int, int]:
    """(consistency, typed share, field count, table start) of one way of splitting the lines.

    Consistency is the share of lines from the table start on with the usual field count;
    the typed share is that of cells that read as numbers, dates, names or placeholders.
    """
    counts = [len(f) for _, f in recs]
    n = len(counts)
    m = _mode(counts[n // 2 :], counts)
    if m < 2:
        return 0.0, 0.0, m, 0
    start = _table_start(counts, m, recs)
    block = counts[start:]
    consistent = sum(c == m for c in block) + (block[0] == m - 1)
    consistency = consistent / len(block)
    typed = total = 0
    for _, fields in recs[start + 1 : start + 1 + MAX_TYPED_ROWS] or recs[start : start + 1]:
        for cell in fields[:MAX_TYPED_COLUMNS]:
            total += 1
            typed += cell_type(cell) != "text"
    return consistency, typed / max(total, 1), m, start


_WS_RUN = re.compile(r"[ \t]+")
_SAVETXT_HEADER = re.compile(r"#[ \t]*")
_DATE_ONLY = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?")


def _whitespace_lines(lines: list[str]) -> list[str]:
    """Lines as the reader sees a whitespace file: runs of white space as one space, ends trimmed.

    A leading ``#`` is dropped too, so that ``numpy.savetxt``'s ``# a b c`` header reads as a
    line of names (the reader never sees it: the body starts below the header).
    """
    out = []
    for ln in lines:
        content = ln.rstrip("\r\n")
        text = _WS_RUN.sub(" ", content.strip(" \t"))
        if text.startswith("#"):
            text = _SAVETXT_HEADER.sub("", text, count=1)
        out.append(text + ln[len(content) :])
    return out


def _whitespace_candidate(
    lines: list[str], best: tuple[float, int, int, str, list[tuple[int, list[str]]]] | None
) -> tuple[float, int, int, str, list[tuple[int, list[str]]]] | None:
    """The whitespace split of the lines when it beats ``best`` (the other delimiters' winner)."""
    recs = _records(_whitespace_lines(lines), WHITESPACE)
    if not recs:
        return None
    consistency, typed, m, start = _score_parts(recs)
    score = consistency * typed
    if m < 2 or consistency < WHITESPACE_CONSISTENCY:
        return None
    if best is not None:
        clearly_better = score > best[0] + WHITESPACE_MARGIN
        # a table of values on (nearly) every line beats a table on fewer of the lines: the
        # comma split of a short decimal-comma file ("1,5  3,25" rows) fits only its last lines
        covers_more = (
            score >= WHITESPACE_CONSISTENCY
            and score * (len(recs) - start) / len(recs)
            > best[0] * (len(best[4]) - best[2]) / len(best[4]) + WHITESPACE_MARGIN
        )
        if not (clearly_better or covers_more):
            return None
    if best is not None and best[1] < 2:
        # one column of numbers with space thousands (1 234) is not two columns
        cells = [" ".join(f) for _, f in best[4][best[2] + 1 : best[2] + 1 + MAX_TYPED_ROWS]]
        cells = [c.strip() for c in cells if c.strip()]
        grouped = sum(bool(_SPACE_GROUP.fullmatch(c)) and " " in c for c in cells)
        if cells and grouped >= 0.5 * len(cells):
            return None
    return score, m, start, WHITESPACE, recs


def _date_and_clock(rows: list[list[str]]) -> bool:
    """True when, on nine rows in ten, the first field is a date and the second a clock time."""
    rows = [r for r in rows if r]
    if not rows:
        return False
    hits = sum(
        len(r) >= 2
        and bool(_DATE_ONLY.fullmatch(r[0].strip()))
        and bool(_CLOCK.fullmatch(r[1].strip()))
        for r in rows
    )
    return hits >= 0.9 * len(rows)


NORMALISE_CHUNK = 4 * 2**20
"""Bytes normalised at a time (whole lines): less temporary memory, and faster in cache."""


def normalise_whitespace(data: memoryview | bytes | bytearray) -> bytes:
    """Turn a whitespace-separated body into single-space-separated text for the reader.

    Every run of spaces and tabs becomes one space; white space at the start and end of each
    line (before ``\n`` or ``\r\n``) is removed. Line breaks are kept, so line numbers do not
    change. Vectorised, in chunks of whole lines: about 0.15 s for 40 MB (1M rows).
    """
    mv = memoryview(data).cast("B")
    n = len(mv)
    parts: list[bytes] = []
    i = 0
    while i < n:
        j = min(n, i + NORMALISE_CHUNK)
        while j < n:  # end the chunk after a line break
            k = bytes(mv[j : j + 65_536]).find(b"\n")
            if k >= 0:
                j += k + 1
                break
            j += 65_536
        parts.append(_normalise_lines(mv[i:j]))
        i = j
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _normalise_lines(data: memoryview) -> bytes:
    """:func:`normalise_whitespace` on whole lines (one boolean compress in the usual case)."""
    a = np.frombuffer(data, dtype=np.uint8)
    if a.size == 0:
        return b""
    tab = a == 9
    has_tab = bool(tab.any())
    ws = (a == 32) | tab if has_tab else a == 32  # (N,) bool
    del tab
    # drop every byte of a run but its first, and whole runs that start a line
    drop = ws.copy()
    drop[1:] &= ws[:-1] | (a[:-1] == 10)
    b = a[~drop] if drop.any() else a.copy()
    del drop, ws
    if b.size == 0:
        return b""
    wsb = (b == 32) | (b == 9) if has_tab else b == 32  # (M,) bool
    end = np.empty(b.size, dtype=bool)  # (M,) bool: the next byte ends the line
    end[-1] = True
    end[:-1] = (b[1:] == 10) | (b[1:] == 13)
    trail = wsb & end
    if trail.any():
        b = b[~trail]
    if has_tab:
        b[b == 9] = 32
    return b.tobytes()


def _column_types(rows: list[list[str]], ncols: int) -> list[str]:
    """Majority type of each of the first MAX_TYPED_COLUMNS columns: number/date/text/empty."""
    out = []
    for j in range(min(ncols, MAX_TYPED_COLUMNS)):
        c = Counter(cell_type(r[j]) for r in rows[:MAX_TYPED_ROWS] if j < len(r))
        filled = c["number"] + c["date"] + c["word"] + c["text"]
        if filled == 0:
            out.append("empty")
        elif c["number"] >= 0.5 * filled:
            out.append("number")
        elif c["date"] >= 0.5 * filled:
            out.append("date")
        else:
            out.append("text")
    return out


def _looks_like_header(fields: list[str], types: list[str], strict: bool = False) -> bool:
    """True when the line has name-like cells where the data below has numbers or dates.

    When no column below holds numbers or dates, any line of words counts as a header unless
    ``strict`` (used to look for a header lower down, which needs typed data to be sure).
    """
    typed_cols = [j for j, t in enumerate(types) if t in ("number", "date")]
    if not typed_cols:
        return not strict and any(cell_type(f) in ("word", "text") for f in fields)
    for j in typed_cols:
        if j < len(fields) and cell_type(fields[j]) in ("word", "text"):
            return True
    return False


def _decimal_and_thousands(
    rows: list[list[str]], delimiter: str
) -> tuple[str, str | None, Issue | None]:
    cd = dd = amb = eu = en = sp = ap = 0
    for r in rows[:MAX_TYPED_ROWS]:
        for cell in r[:MAX_TYPED_COLUMNS]:
            s = cell.strip()
            if not s or not (s[0].isdigit() or s[0] in "+-.,"):
                continue
            if _COMMA_DEC.fullmatch(s):
                cd += 1
            elif _DOT_DEC.fullmatch(s):
                dd += 1
            if _AMBIGUOUS_COMMA.fullmatch(s):
                amb += 1
            eu += bool(_EU_GROUP.fullmatch(s)) and "." in s
            en += bool(_EN_GROUP.fullmatch(s)) and "," in s
            sp += bool(_SPACE_GROUP.fullmatch(s)) and not s.isdigit()
            ap += bool(_APOS_GROUP.fullmatch(s)) and "'" in s
    note = None
    if cd and not dd:
        decimal = ","
    elif amb and not cd and not dd and delimiter == ";":
        decimal = ","
        note = Issue(
            "ambiguous_decimal",
            "Numbers such as 1,234 could mean 1.234 or 1234. rnnviz read ',' as the decimal mark because the file "
            "is separated by semicolons, as European spreadsheets write it. If that is wrong, save the file with '.' "
            "as the decimal mark.",
        )
    else:
        decimal = "."
    thousands: str | None = None
    if decimal == ",":
        if eu:
            thousands = "."
        elif sp:
            thousands = " "
    else:
        if en:
            thousands = ","
        elif ap:
            thousands = "'"
        elif sp:
            thousands = " "
    return decimal, thousands, note


def sniff(text: str, whole_file: bool) -> Sniff:
    """Decide the dialect, preamble, header and column names from the head of a file.

    Parameters
    ----------
    text : str
        The decoded head of the file (whole lines).
    whole_file : bool
        Whether ``text`` is the whole file.

    Raises
    ------
    DataError
        ``empty_file`` or ``header_mismatch``.
    """
    lines = _split_lines(text)[:MAX_SNIFF_LINES]
    if not any(ln.strip() for ln in lines):
        raise DataError(
            "empty_file",
            "The file has no text in it. Choose a CSV file that holds a table of numbers.",
        )
    issues: list[Issue] = []
    best: tuple[float, int, int, str, list[tuple[int, list[str]]]] | None = None
    for d in DELIMITERS:
        recs = _records(lines, d)
        if not recs:
            continue
        score, m, start = _score(recs)
        if best is None or score > best[0] + 1e-9:
            best = (score, m, start, d, recs)
    ws = _whitespace_candidate(lines, best)
    if ws is not None:
        best = ws
    if best is None:  # e.g. a quote opened on the first line and never closed
        raise DataError(
            "unreadable_csv",
            "The file's lines could not be split into fields (is a quote '\"' opened and never closed?). "
            "Check the start of the file.",
        )
    score, m, start, delimiter, recs = best
    if score == 0.0:  # a single column
        delimiter, m = ",", 1
        recs = _records(lines, ",")
        counts = [len(f) for _, f in recs]
        m = _mode(counts[len(counts) // 2 :], counts)
        start = _table_start(counts, m) if m == 1 else 0
        if m != 1:
            recs = [(ln, [delimiter.join(f)]) for ln, f in recs]
            m = 1
    multiline = any(
        recs[i + 1][0] - recs[i][0] > 1 and '"' in "".join(recs[i][1]) for i in range(len(recs) - 1)
    )
    multiline = multiline or any("\n" in c for _, f in recs[:MAX_TYPED_ROWS] for c in f)

    def body_rows(k: int) -> list[list[str]]:
        return [f for _, f in recs[k + 1 : k + 1 + MAX_TYPED_ROWS]]

    k = start
    types = _column_types(body_rows(k) or [recs[k][1]], m)
    has_header = _looks_like_header(recs[k][1], types) or (len(recs) == 1)
    block_start = k if has_header else -1
    steps = 0
    while (
        (has_header or len(recs[k][1]) != m)
        and k + 1 < len(recs)
        and len(recs[k + 1][1]) in (m, m - 1)
        and steps < 50
    ):
        # a title or note line of the right width above the real header: the header is lower
        nxt_types = _column_types(body_rows(k + 1), m) if body_rows(k + 1) else types
        if not body_rows(k + 1) or not _looks_like_header(recs[k + 1][1], nxt_types, strict=True):
            break
        k += 1
        steps += 1
        types = nxt_types
        has_header = True
        block_start = k if block_start < 0 else block_start
    last = k
    if has_header:
        # rows of units ("°C", "m/s") or logger processing codes ("Smp", "Avg") under the names
        while k > block_start and _units_row(recs[k][1]):
            k -= 1
        if last > k:
            shown = delimiter.join(recs[k + 1][1])[:60]
            n_extra = last - k
            issues.append(
                Issue(
                    "units_rows_skipped",
                    f"Line {recs[k + 1][0] + 1} ({shown!r}) looks like units or notes under the column names; "
                    f"{n_extra} such line{'s were' if n_extra != 1 else ' was'} skipped.",
                )
            )
    table_line = recs[k][0]
    header = [c.strip() for c in recs[k][1]] if has_header else None
    body = body_rows(last) if has_header else [f for _, f in recs[k : k + MAX_TYPED_ROWS]]
    trailing = "none"
    row_label = False
    if header is not None:
        while len(header) > m and header[-1] == "":
            header.pop()
        if len(header) == m - 1 and m >= 2:
            tail_empty = all(len(r) == m and r[-1].strip() == "" for r in body if len(r) == m)
            if body and tail_empty:
                trailing = "data_only"
                header = [*header, ""]
            elif delimiter == WHITESPACE and _date_and_clock(body):
                example = next((r for r in body if len(r) == m), body[0])
                issues.append(
                    Issue(
                        "date_time_split",
                        f"The header on line {table_line + 1} names {m - 1} columns but the data lines have {m} fields: "
                        f"the first two fields of each line (e.g. {' '.join(example[:2])!r}) were read as one time, "
                        f"'{header[0]}', written as a date and a clock time with a space between them.",
                    )
                )
                header = [header[0], f"{header[0]} (clock time)", *header[1:]]
            elif body and _row_labels([r[0] for r in body if r]):
                row_label = True
                header = ["row_label", *header]
            else:
                example = next((r for r in body if len(r) == m), body[0] if body else [])
                shown = delimiter.join(example)
                if delimiter == WHITESPACE:
                    fix = (
                        f"(for example {shown!r}), separated by spaces. If a value holds a space (a name such as "
                        'New York), put it in double quotes ("New York"); otherwise add the missing column name '
                        "to the header."
                    )
                else:
                    fix = (
                        f"(for example {shown!r}). If numbers use {delimiter!r} as a thousands separator, quote them "
                        "or remove the separator; otherwise add the missing column name to the header."
                    )
                raise DataError(
                    "header_mismatch",
                    f"The header on line {table_line + 1} names {m - 1} columns but the data lines have {m} fields "
                    + fix,
                )
        elif len(header) < m:
            header = header + [""] * (m - len(header))
    if (
        header is not None
        and header
        and header[-1] == ""
        and body
        and all(len(r) < m or r[m - 1].strip() == "" for r in body)
        and trailing == "none"
        and m > 1
    ):
        trailing = "empty_column"
    if header is None:
        names = [f"column_{j + 1}" for j in range(m)]
        auto = [True] * m
    else:
        names, auto, dup = _dedupe(header)
        if dup:
            issues.append(
                Issue(
                    "duplicate_names",
                    f"Column names appear more than once ({', '.join(repr(x) for x in dup[:5])}); the repeats were "
                    "renamed with _2, _3, ... Give each column its own name to avoid confusion.",
                )
            )
    decimal, thousands, note = _decimal_and_thousands(body, delimiter)
    if note is not None:
        issues.append(note)
    preamble = table_line
    skipped_text = [ln.strip() for ln in lines[:table_line] if ln.strip()]
    if skipped_text:
        example = skipped_text[0][:60]
        issues.append(
            Issue(
                "preamble_skipped",
                f"The first {preamble} line{'s' * (preamble != 1)} (starting with {example!r}) are not part of the table "
                f"and were skipped; the table starts on line {table_line + 1}.",
            )
        )
    if header is None:
        first = recs[k][1]
        shown = delimiter.join(first)[:60]
        issues.append(
            Issue(
                "no_header",
                f"The first line of the table ({shown!r}) looks like data, not column names, so the columns were named "
                f"column_1 to column_{m}. If that line does hold names, check that the delimiter is "
                f"{delimiter_name(delimiter)}; otherwise add a header line to name the columns.",
            )
        )
    if has_header:
        body_line = recs[last + 1][0] if last + 1 < len(recs) else recs[last][0] + 1
    else:
        body_line = table_line
    offset_columns = []
    for j in range(min(m, MAX_TYPED_COLUMNS)):
        cells = [r[j].strip() for r in body[:MAX_TYPED_ROWS] if j < len(r) and r[j].strip()]
        if cells and sum(bool(_WITH_OFFSET.fullmatch(c)) for c in cells) >= 0.5 * len(cells):
            offset_columns.append(j)
    return Sniff(
        offset_columns=offset_columns,
        delimiter=delimiter,
        decimal=decimal,
        thousands=thousands,
        header_line=table_line if has_header else None,
        table_line=table_line,
        body_line=body_line,
        names=names,
        auto_named=auto,
        n_fields=m,
        trailing=trailing,
        row_label=row_label,
        newlines_in_values=multiline,
        sample_rows=body,
        issues=issues,
        whole_file=whole_file,
    )


_UNIT = re.compile(
    r"(?i)[\[(]?\s*(?:°\s*[cf]?|deg\s*[cf]?|degc|degf|%|‰|%rh|rh|ppm|ppb|m/s|km/h|mph|kn|knots|mm|cm|m|km|in|ft|"
    r"hpa|pa|kpa|mbar|bar|psi|w/m2|w/m²|w/m\^2|w|kw|mw|wh|kwh|mwh|v|mv|a|ma|hz|s|ms|sec|min|h|hr|hrs|k|lux|lx|"
    r"g|kg|mg/l|µg/m3|µg/m³|ug/m3|µs/cm|us/cm|l|l/s|m3/s|m³/s|mol|unitless|units?|volts|amps|watts|-|"
    r"smp|avg|max|min|tot|std|wvc|ts|rn|sum|mean)\s*[\])]?"
)


def _units_row(fields: list[str]) -> bool:
    """True for a line of units or logger processing codes (mostly empty or unit-like cells)."""
    cells = [f.strip() for f in fields if f.strip()]
    if not cells:
        return False
    units = sum(bool(_UNIT.fullmatch(c)) or (c[:1] in "[(" and c[-1:] in "])") for c in cells)
    return units >= 0.6 * len(cells)


def _row_labels(cells: list[str]) -> bool:
    """True for R-style row names: 1, 2, 3, ... or text labels that are not dates or numbers."""
    vals = [c.strip() for c in cells if c.strip()]
    if not vals:
        return False
    if all(v.isdigit() for v in vals):
        ints = [int(v) for v in vals]
        return ints[0] in (0, 1) and all(b - a == 1 for a, b in zip(ints, ints[1:], strict=False))
    return all(cell_type(v) == "word" for v in vals) and len(set(vals)) == len(vals)


def _dedupe(header: list[str]) -> tuple[list[str], list[bool], list[str]]:
    names: list[str] = []
    auto: list[bool] = []
    seen: set[str] = set()
    dup: list[str] = []
    for j, h in enumerate(header):
        name = h.strip().strip('"').strip() or f"column_{j + 1}"
        auto.append(not h.strip())
        base, n = name, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        if n > 1:
            dup.append(base)
        seen.add(name)
        names.append(name)
    return names, auto, dup


def line_offset(data: memoryview | bytes, line: int) -> int:
    """Byte offset where 0-based physical ``line`` starts (len(data) when past the end)."""
    size = SAMPLE_BYTES
    while True:
        chunk = bytes(data[:size])
        pos = 0
        for _ in range(line):
            nl = chunk.find(b"\n", pos)
            if nl < 0:
                break
            pos = nl + 1
        else:
            return pos
        if size >= len(data):
            return len(data)
        size *= 4


class LineMap:
    """Maps data rows (0-based, blank lines skipped, as the readers count them) to file lines.

    Built lazily from the body bytes the first time a message needs a line number. Quoted
    fields holding line breaks shift the count; messages then name a nearby line.
    """

    def __init__(self, body: bytes | bytearray | memoryview, first_line: int) -> None:
        self._body = body
        self._first = first_line
        self._rows: np.ndarray | None = None

    def line(self, row: int) -> int:
        """1-based file line of data row ``row`` of the file as written (before sorting)."""
        if self._rows is None:
            arr = np.frombuffer(self._body, dtype=np.uint8)
            nl = np.flatnonzero(arr == 10)
            starts = np.concatenate(([0], nl + 1))
            ends = np.concatenate((nl, [arr.size]))
            length = ends - starts
            cr = np.zeros(length.size, dtype=bool)
            has = length > 0
            cr[has] = arr[ends[has] - 1] == 13
            blank = (length - cr) == 0
            self._rows = np.flatnonzero(~blank)
        if 0 <= row < self._rows.size:
            return int(self._rows[row]) + self._first + 1
        return self._first + row + 1


def find_ragged_line(
    text_lines: list[str] | io.TextIOBase,
    expected: int,
    delimiter: str,
    first_line: int,
    allow_trailing: bool = False,
) -> tuple[int, int, list[str]] | None:
    """Find the first line whose field count differs from ``expected``.

    Returns (1-based line number, number of fields, fields) or None when every line fits.
    With ``allow_trailing`` a line whose extra fields are all empty counts as fitting.
    """
    reader = csv.reader(
        text_lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False
    )
    start = 0
    try:
        for fields in reader:
            ok = (
                not fields
                or len(fields) == expected
                or (
                    allow_trailing
                    and len(fields) > expected
                    and not any(f.strip() for f in fields[expected:])
                )
            )
            if not ok:
                return first_line + start + 1, len(fields), fields
            start = reader.line_num
    except csv.Error:
        return first_line + start + 1, -1, []
    return None


# ---------------------------------------------------------------------------------------------
# Text cells to numbers (vectorised with pyarrow.compute)


@dataclass
class ParsedNumbers:
    """Result of :func:`parse_numbers` on one column of text cells."""

    values: np.ndarray  # (N,) float64, NaN where missing
    blank: np.ndarray  # (N,) bool: empty cells and placeholders such as NA or null
    errors: np.ndarray  # (N,) bool: spreadsheet errors and placeholders such as #DIV/0!, ?, -
    unreadable: np.ndarray  # (N,) bool: text that is not a number
    error_examples: list[str]
    unreadable_examples: list[str]


_SPREADSHEET_ERROR = r"^#[A-Za-z\x{00c0}-\x{00ff}/0_ .]{1,20}[!?]?$"
_FLOAT_SYNTAX = (
    r"^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|(?i:inf|infinity|nan))$"
)


def parse_numbers(column, decimal: str = ".", thousands: str | None = None) -> ParsedNumbers:
    """Convert a column of text cells to float64, sorting the cells that are not numbers.

    Parameters
    ----------
    column : pyarrow string Array or ChunkedArray
    decimal : str
        ``"."`` or ``","``. Cells written with the other mark and no grouping are accepted too.
    thousands : str or None
        Grouping mark; removed only where the digits are grouped in threes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(column)
    s = pc.utf8_trim(s, characters='"')
    low = pc.utf8_lower(s)
    blank = pc.fill_null(
        pc.or_(pc.equal(s, ""), pc.is_in(low, value_set=pa.array(sorted(MISSING_TOKENS)))), True
    )
    errors = pc.fill_null(
        pc.or_(
            pc.is_in(low, value_set=pa.array(sorted(ERROR_TOKENS))),
            pc.match_substring_regex(s, _SPREADSHEET_ERROR),  # #WERT!, #NV, #VALEUR!, ...
        ),
        False,
    )
    t = s
    if thousands:
        t = pc.utf8_trim_whitespace(t) if thousands == " " else t
        sep = re.escape(thousands) if thousands != " " else r"[ \x{00a0}\x{202f}]"
        dec = re.escape(decimal)
        grouped = pc.match_substring_regex(
            t, rf"^[+-]?\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d*)?(?:[eE][+-]?\d+)?$"
        )
        stripped = pc.replace_substring_regex(
            t, sep if thousands == " " else re.escape(thousands), ""
        )
        t = pc.if_else(pc.fill_null(grouped, False), stripped, t)
    if decimal == ",":
        t = pc.replace_substring(t, ",", ".", max_replacements=1)
    valid = pc.fill_null(pc.match_substring_regex(t, _FLOAT_SYNTAX), False)
    num = pc.cast(pc.if_else(valid, t, pa.scalar(None, pa.string())), pa.float64())
    values = np.asarray(num.to_numpy(zero_copy_only=False), dtype=np.float64)
    blank_np = np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
    errors_np = np.asarray(errors.to_numpy(zero_copy_only=False), dtype=bool) & ~blank_np
    valid_np = np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool)
    unreadable = ~(valid_np | blank_np | errors_np)
    return ParsedNumbers(
        values=values,
        blank=blank_np,
        errors=errors_np,
        unreadable=unreadable,
        error_examples=_examples(s, errors_np),
        unreadable_examples=_examples(s, unreadable),
    )


def _examples(s, mask: np.ndarray, k: int = 3) -> list[str]:
    if not mask.any():
        return []
    out: list[str] = []
    for i in np.flatnonzero(mask)[:200]:
        v = s[int(i)].as_py()
        if v not in out:
            out.append(v)
        if len(out) >= k:
            break
    return out
