"""Recognising, parsing and summarising time columns.

Times are handled as ``int64`` nanoseconds since 1970-01-01 (``NAT`` where missing) so that
sorting, gaps and duplicates are plain numpy work. What is recognised:

* text: ISO 8601 dates and date-times (with or without UTC offsets), ``yyyy/mm/dd``,
  ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (decided from the data: a first number above 12 means
  day-first, a second number above 12 means month-first; when every number is 12 or less
  both orders are read and the one whose times run forward more regularly is taken -- fewer
  steps back in time or off the usual step, see :func:`irregular_steps` -- day-first on a
  tie, always with a warning),
  ``dd.mm.yyyy``, ``yyyy-mm`` (monthly), ``1959Q1`` (quarterly), and whatever pandas can
  guess a single format for (``05-Jan-2020``);
* numbers, only where plausible: Unix seconds / milliseconds / microseconds / nanoseconds
  (1973-2100) in a column named like a time (``time``, ``timestamp``, ``epoch``, ...) or
  holding strictly increasing whole numbers; Excel serial days (20000-80000) in a column named
  like a date; ``yyyymmdd`` whole numbers and year numbers in columns named so.

Time zones: times with UTC offsets (``+01:00``, ``Z``) are converted to UTC and the table holds
them as naive UTC times; the report says so and lists the offsets seen (two offsets is usually
a daylight-saving change). Times without offsets are kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.loadreport import Issue, duration_text

NAT = np.iinfo(np.int64).min
"""Missing time (the int64 value of numpy's NaT)."""
NS = 1_000_000_000
HOUR = 3600 * NS
DAY = 86400 * NS
NS_MIN_YEAR, NS_MAX_YEAR = 1678, 2261  # datetime64[ns] covers 1677-09-21 .. 2262-04-11

_TIME_NAME = re.compile(
    r"(?i)(?:^|[^a-z])(?:time|date|datetime|timestamp|stamp|ts|epoch|unix|dt|when|period|zeit|datum|fecha|heure)"
    r"(?:[^a-z]|$)|^(?:time|date)|(?:time|date|stamp)$"
)
_EPOCH_NAME = re.compile(
    r"(?i)(?:^|[^a-z])(?:time|timestamp|stamp|ts|epoch|unix|datetime|date)(?:[^a-z]|$)|(?:time|stamp)$"
)
_YEAR_NAME = re.compile(r"(?i)^(?:year|yr|jahr|annee|année|ano|anno|years)$|(?:^|_)year(?:$|_)")
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp][Mm])?")

_ISO = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?"
)
_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$")
_OFFSET_GROUP = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?P<o>Z|UTC|[+-]\d{2}(?::?\d{2})?)$"
_YMD = re.compile(r"(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?:[ T]+(\d{1,2}:\d{2}(?::\d{2})?))?")
_DMY = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T,]+(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*([AaPp][Mm])?)?"
)
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_QUARTER = re.compile(r"(\d{4})\s*-?\s*[Qq]([1-4])")


def is_time_name(name: str) -> bool:
    """True for column names that suggest dates or times (``date``, ``Timestamp``, ``t_utc``)."""
    return bool(_TIME_NAME.search(name))


@dataclass
class ParsedTime:
    """A column read as times.

    Attributes
    ----------
    ns : np.ndarray
        (N,) int64 nanoseconds since 1970-01-01 UTC-or-local (``NAT`` where missing).
    unit : str
        How the times were written, for the report.
    timezone : str or None
        None when times carry no zone; otherwise what was done.
    unparsed : np.ndarray
        (N,) bool: cells with text that could not be read as a time.
    issues : list of Issue
    date_only : bool
        Every time is at midnight (a date column that a time-of-day column may complete).
    """

    ns: np.ndarray
    unit: str
    timezone: str | None = None
    unparsed: np.ndarray | None = None
    issues: list[Issue] = field(default_factory=list)
    date_only: bool = False


# ---------------------------------------------------------------------------------------------
# Columns pyarrow already typed


def from_arrow(col, name: str) -> ParsedTime | None:
    """Read a pyarrow timestamp or date column; None for other types."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_timestamp(t):
        tz = t.tz
        ns = pc.fill_null(
            col.cast(pa.timestamp("ns", tz=tz), safe=False).cast(pa.int64()), NAT
        ).to_numpy()
        timezone = "UTC (converted from the offsets in the file)" if tz else None
        unit = "ISO 8601 text"
    elif pa.types.is_date(t):
        ns = pc.fill_null(col.cast(pa.timestamp("ns")).cast(pa.int64()), NAT).to_numpy()
        timezone, unit = None, "ISO 8601 dates"
    else:
        return None
    ns = np.ascontiguousarray(ns, dtype=np.int64)
    issues = []
    if timezone:
        issues.append(
            Issue(
                "timezone_converted",
                f"Times in '{name}' carry UTC offsets; they were converted to UTC, so times in the table and plots are UTC.",
            )
        )
    return ParsedTime(
        ns=ns, unit=unit, timezone=timezone, date_only=_all_midnight(ns), issues=issues
    )


def _all_midnight(ns: np.ndarray) -> bool:
    head = ns[:1000]
    head = head[head != NAT]
    if head.size and np.any(head % DAY):
        return False  # the usual answer for date-times, found without a pass over all rows
    ok = ns[ns != NAT]
    return bool(ok.size) and not np.any(ok % DAY)


# ---------------------------------------------------------------------------------------------
# Text columns


def _sample(col, k: int = 200) -> list[str]:
    import pyarrow.compute as pc

    s = pc.drop_null(pc.utf8_trim_whitespace(col))
    n = len(s)
    idx = list(range(min(k, n))) + list(range(max(k, n - k), n))
    out = []
    for i in idx:
        v = s[i].as_py()
        if v:
            out.append(v)
    return out


def _share(pattern: re.Pattern[str], values: list[str]) -> float:
    if not values:
        return 0.0
    return sum(bool(pattern.fullmatch(v)) for v in values) / len(values)


def parse_text_times(col, name: str, *, min_share: float = 0.9) -> ParsedTime | None:
    """Try to read a pyarrow string column as times.

    Returns None unless at least ``min_share`` of a sample of the cells fits one format.
    """
    values = _sample(col)
    if not values:
        return None
    if _share(_ISO, values) >= min_share:
        return _parse_iso(col, values)
    if _share(_YMD, values) >= min_share:
        m = _YMD.fullmatch(next(v for v in values if _YMD.fullmatch(v)))
        sep = m.group(2)
        return _parse_formats(
            col,
            [f"%Y{sep}%m{sep}%d %H:%M:%S", f"%Y{sep}%m{sep}%d %H:%M", f"%Y{sep}%m{sep}%d"],
            f"text (yyyy{sep}mm{sep}dd)",
        )
    if _share(_DMY, values) >= min_share:
        return _parse_dmy(col, values, name)
    if _share(_YM, values) >= min_share:
        import pyarrow.compute as pc

        fixed = pc.binary_join_element_wise(
            pc.replace_substring_regex(pc.utf8_trim_whitespace(col), r"[/.]", "-"), "-01", ""
        )
        out = _parse_formats(fixed, ["%Y-%m-%d"], "year-month text (monthly)")
        return out
    if _share(_QUARTER, values) >= min_share:
        return _parse_quarters(col)
    if _share(_TIME_OF_DAY, values) >= min_share:
        return None  # a time of day alone is not a time axis; see combine_date_and_time
    return _parse_guessed(col, values, min_share)


def _finish(
    ns: np.ndarray, col, unit: str, timezone: str | None = None, issues: list[Issue] | None = None
) -> ParsedTime:
    import pyarrow.compute as pc

    present = np.asarray(
        pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(col), ""), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    unparsed = present & (ns == NAT)
    return ParsedTime(
        ns=ns,
        unit=unit,
        timezone=timezone,
        unparsed=unparsed,
        issues=issues or [],
        date_only=_all_midnight(ns),
    )


def _to_ns_pandas(series, **kw) -> np.ndarray:
    import pandas as pd

    out = pd.to_datetime(series, errors="coerce", **kw)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = out.to_numpy(dtype="datetime64[ns]")
    return arr.view(np.int64).copy()


def _parse_iso(col, values: list[str]) -> ParsedTime:
    import pyarrow as pa
    import pyarrow.compute as pc

    with_offset = [v for v in values if _OFFSET.search(v)]
    series = col.to_pandas()
    if not with_offset:
        return _finish(_to_ns_pandas(series, format="ISO8601"), col, "ISO 8601 text")
    ns = _to_ns_pandas(series, format="ISO8601", utc=True)
    offs = pc.extract_regex(pc.utf8_trim_whitespace(col), _OFFSET_GROUP)
    found = sorted(str(x) for x in pc.unique(pc.drop_null(pc.struct_field(offs, [0]))).to_pylist())
    found = [("+00:00" if o in ("Z", "UTC") else o) for o in found]
    found = sorted(set(found))
    issues = []
    no_offset = int(
        pc.sum(
            pc.and_(
                pc.is_valid(offs) == pa.scalar(False),
                pc.not_equal(pc.utf8_trim_whitespace(col), ""),
            )
        ).as_py()
        or 0
    )
    if len(found) > 1:
        issues.append(
            Issue(
                "timezone_converted",
                f"Times carry different UTC offsets ({', '.join(found[:4])}), as they do across a daylight-saving "
                "change. They were converted to UTC so the series runs evenly, without a repeated or missing hour; "
                "times in the table and plots are UTC.",
            )
        )
    else:
        issues.append(
            Issue(
                "timezone_converted",
                f"Times carry the UTC offset {found[0]}; they were converted to UTC, so times in the table and plots are UTC.",
            )
        )
    if no_offset:
        issues.append(
            Issue(
                "timezone_mixed",
                f"{no_offset:,} times have no UTC offset while others do; those were taken as UTC. "
                "Write every time with its offset to be sure.",
            )
        )
    return _finish(
        ns,
        col,
        "ISO 8601 text with UTC offsets",
        f"UTC (converted from offsets {', '.join(found[:4])})",
        issues,
    )


def _strptime_ns(col, fmt: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    return (
        pc.strptime(col, format=fmt, unit="s", error_is_null=True)
        .cast(pa.timestamp("ns"))
        .cast(pa.int64())
    )


def _parse_formats(col, formats: list[str], unit: str) -> ParsedTime:
    """Parse with the format that fits a sample best, then the others on the cells still unread."""
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(col)
    head = pc.drop_null(s)[:200]
    if any(" %H" in f for f in formats) and (
        pc.any(pc.match_substring_regex(head, r",|T")).as_py() or False
    ):
        s = pc.replace_substring_regex(s, r"\s*,\s*|T", " ")
        head = pc.drop_null(s)[:200]
    fits = {f: len(head) - _strptime_ns(head, f).null_count for f in formats}
    order = sorted(formats, key=lambda f: -fits[f])
    order = [f for f in order if fits[f] > 0] or order[:1]
    order += [f for f in formats if f not in order]
    acc = None
    for fmt in order:
        got = _strptime_ns(s, fmt)
        acc = got if acc is None else pc.coalesce(acc, got)
        if acc.null_count == s.null_count:
            break
    ns = pc.fill_null(acc, NAT).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    if (ns == NAT).sum() > s.null_count and "%S" in formats[0]:
        # fractional seconds: pyarrow's strptime does not read them; pandas does (slower)
        rest = ns == NAT
        import pandas as pd

        ser = pd.Series(s.to_pandas()).where(rest)
        for fmt in formats:
            if "%S" in fmt:
                got2 = _to_ns_pandas(ser, format=fmt.replace("%S", "%S.%f"))
                ns = np.where(rest & (got2 != NAT), got2, ns)
    return _finish(np.ascontiguousarray(ns), col, unit)


def _dmy_formats(sep: str, dayfirst: bool, year2: bool, ampm: bool) -> list[str]:
    d = f"%d{sep}%m" if dayfirst else f"%m{sep}%d"
    y = "%y" if year2 else "%Y"
    date = f"{d}{sep}{y}"
    if ampm:
        return [
            f"{date} %I:%M:%S %p",
            f"{date} %I:%M %p",
            f"{date} %I:%M:%S%p",
            f"{date} %I:%M%p",
            date,
        ]
    return [f"{date} %H:%M:%S", f"{date} %H:%M", date]


def _parse_dmy(col, values: list[str], name: str) -> ParsedTime | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    first = _DMY.fullmatch(next(v for v in values if _DMY.fullmatch(v)))
    sep = first.group(2)
    year2 = len(first.group(4)) == 2
    ampm = any(_DMY.fullmatch(v) and _DMY.fullmatch(v).group(6) for v in values)
    firsts = [_DMY.fullmatch(v) for v in values]
    a = max((int(m.group(1)) for m in firsts if m), default=0)
    b = max((int(m.group(3)) for m in firsts if m), default=0)
    if a <= 12 and b <= 12:  # the sample cannot tell: look at every row
        parts = pc.extract_regex(
            pc.utf8_trim_whitespace(col), r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-]"
        )
        a = pc.max(pc.cast(pc.struct_field(parts, [0]), pa.int64())).as_py() or 0
        b = pc.max(pc.cast(pc.struct_field(parts, [1]), pa.int64())).as_py() or 0
    shown = (
        f"dd{sep}mm{sep}{'yy' if year2 else 'yyyy'}",
        f"mm{sep}dd{sep}{'yy' if year2 else 'yyyy'}",
    )
    issues: list[Issue] = []
    if a > 12 and b > 12:
        return None
    if a > 12:
        dayfirst = True
    elif b > 12:
        dayfirst = False
    elif sep == ".":
        dayfirst = True  # dd.mm.yyyy is the only order written with dots
    else:
        p_day = _parse_formats(col, _dmy_formats(sep, True, year2, ampm), "")
        p_mon = _parse_formats(col, _dmy_formats(sep, False, year2, ampm), "")
        k_day, k_mon = irregular_steps(p_day.ns), irregular_steps(p_mon.ns)
        dayfirst = k_day <= k_mon
        if k_day != k_mon:
            k_chosen, k_other = (k_day, k_mon) if dayfirst else (k_mon, k_day)
            other = "month-first" if dayfirst else "day-first"
            why = (
                f"the times then run forward more regularly: {_breaks(k_chosen)}, against "
                f"{_breaks(k_other)} read {other} (a break is a step back in time or a step "
                "off the usual spacing)"
            )
        else:
            why = (
                "neither order makes the times run more regularly, and day-first is the "
                f"international convention (read month-first they would run {_span(p_mon.ns)})"
            )
        example = next(
            (
                v
                for v in values
                if _DMY.fullmatch(v) and _DMY.fullmatch(v).group(1) != _DMY.fullmatch(v).group(3)
            ),
            values[0],
        )
        issues.append(
            Issue(
                "ambiguous_dates",
                f"Dates in '{name}' such as {example!r} could be day-first ({shown[0]}) or month-first ({shown[1]}): "
                f"no first or second number is above 12. rnnviz assumed {'day-first' if dayfirst else 'month-first'} "
                f"because {why}. If that is wrong, write the dates as yyyy-mm-dd.",
            )
        )
        chosen = p_day if dayfirst else p_mon
        chosen.unit = f"{'day' if dayfirst else 'month'}-first text ({shown[0 if dayfirst else 1]})"
        chosen.issues = issues
        return chosen
    out = _parse_formats(
        col,
        _dmy_formats(sep, dayfirst, year2, ampm),
        f"{'day' if dayfirst else 'month'}-first text ({shown[0 if dayfirst else 1]})",
    )
    out.issues = issues
    return out


def _span(ns: np.ndarray) -> str:
    ok = ns[ns != NAT]
    if not ok.size:
        return "nowhere"
    return f"from {_iso(int(ok.min()))} to {_iso(int(ok.max()))}"


def _breaks(k: int) -> str:
    return "no break" if k == 0 else f"{k:,} break{'s' * (k != 1)}"


def usual_step_range(median: int) -> tuple[int, int]:
    """Steps (ns) that count as the usual step around a ``median`` step.

    Calendar steps keep their natural spread (a month is 28-31 days, a quarter 89-92 days,
    a year 365-366 days); other steps may differ from the median by 10% (logger jitter).
    """
    for lo_days, hi_days in ((28, 31), (89, 92), (365, 366)):
        if lo_days * DAY <= median <= hi_days * DAY:
            return lo_days * DAY, hi_days * DAY
    return int(median * 0.9), int(np.ceil(median * 1.1))


def irregular_steps(ns: np.ndarray) -> int:
    """How far a time column is from a regular, forward-running series.

    Counts the steps back in time in file order plus the steps between the sorted distinct
    times that are not the usual step (see :func:`usual_step_range`). Missing times are
    ignored. 0 means the times run forward at one regular step.

    Parameters
    ----------
    ns : np.ndarray
        (N,) int64 nanoseconds in file order, ``NAT`` where missing.
    """
    ok = ns[ns != NAT]
    if ok.size < 2:
        return 0
    d = np.diff(ok)
    back = int(np.count_nonzero(d < 0))
    if back:  # np.sort, not np.unique: numpy 2's hashing unique is several times slower
        d = np.diff(np.sort(ok))
    d = d[d != 0]  # (M - 1,) steps between sorted distinct times
    if d.size < 2:
        return back
    lo, hi = usual_step_range(int(np.median(d)))
    return back + int(np.count_nonzero((d < lo) | (d > hi)))


def _parse_quarters(col) -> ParsedTime:
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = pc.extract_regex(
        pc.utf8_trim_whitespace(col), r"^(?P<y>\d{4})\s*-?\s*[Qq](?P<q>[1-4])$"
    )
    y = pc.fill_null(pc.cast(pc.struct_field(parts, [0]), pa.int64()), -1).to_numpy(
        zero_copy_only=False
    )
    q = pc.fill_null(pc.cast(pc.struct_field(parts, [1]), pa.int64()), 1).to_numpy(
        zero_copy_only=False
    )
    ok = (y >= NS_MIN_YEAR) & (y <= NS_MAX_YEAR)
    months = (np.where(ok, y, 1970) - 1970) * 12 + (q - 1) * 3
    ns = months.astype("datetime64[M]").astype("datetime64[ns]").view(np.int64)
    ns = np.where(ok, ns, NAT)
    return _finish(np.ascontiguousarray(ns, dtype=np.int64), col, "quarter text (yyyyQn)")


def _parse_guessed(col, values: list[str], min_share: float) -> ParsedTime | None:
    import warnings

    import pandas as pd

    try:
        from pandas.tseries.api import guess_datetime_format
    except ImportError:  # pragma: no cover - pandas < 2.2
        return None
    if not any(ch.isdigit() for ch in values[0]):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fmt = guess_datetime_format(values[0])
    if not fmt:
        return None
    got = _to_ns_pandas(pd.Series(values), format=fmt)
    if np.mean(got != NAT) < min_share:
        return None
    ns = _to_ns_pandas(col.to_pandas(), format=fmt)
    return _finish(ns, col, f"text ({fmt})")


def combine_date_and_time(date_ns: np.ndarray, time_col) -> np.ndarray | None:
    """Add a time-of-day text column (``13:45``, ``1:45 PM``) to a date column.

    Returns the combined (N,) int64 ns, or None when the column is not a time of day.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_time(time_col.type):
        secs = pc.fill_null(time_col.cast(pa.time64("ns")).cast(pa.int64()), -1).to_numpy(
            zero_copy_only=False
        )
        tod = secs.astype(np.int64)
    else:
        if not (pa.types.is_string(time_col.type) or pa.types.is_large_string(time_col.type)):
            return None
        values = _sample(time_col)
        if not values or _share(_TIME_OF_DAY, values) < 0.9:
            return None
        s = pc.utf8_trim_whitespace(time_col)
        parts = pc.extract_regex(
            s,
            r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?\s*(?P<p>[AaPp][Mm])?$",
        )
        h = pc.fill_null(pc.cast(pc.struct_field(parts, [0]), pa.int64()), -1).to_numpy(
            zero_copy_only=False
        )
        m = pc.fill_null(pc.cast(pc.struct_field(parts, [1]), pa.int64()), 0).to_numpy(
            zero_copy_only=False
        )
        sec_txt = pc.if_else(
            pc.equal(pc.struct_field(parts, [2]), ""), "0", pc.struct_field(parts, [2])
        )
        sec = pc.fill_null(pc.cast(sec_txt, pa.int64()), 0).to_numpy(zero_copy_only=False)
        pm = pc.fill_null(pc.utf8_lower(pc.struct_field(parts, [4])), "").to_numpy(
            zero_copy_only=False
        )
        h = np.where((pm == "pm") & (h < 12), h + 12, np.where((pm == "am") & (h == 12), 0, h))
        tod = np.where(h >= 0, ((h * 60 + m) * 60 + sec) * NS, -1)
    ok = (date_ns != NAT) & (tod >= 0)
    return np.where(ok, date_ns + np.maximum(tod, 0), NAT).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Number columns


def parse_number_times(values: np.ndarray, name: str, *, integer: bool) -> ParsedTime | None:
    """Read a numeric column as times where that is plausible; otherwise None.

    Parameters
    ----------
    values : np.ndarray
        (N,) float64 with NaN for missing.
    name : str
        Column name; the name decides most cases (see the module docstring).
    integer : bool
        Whether every value is a whole number.
    """
    ok = np.isfinite(values)
    if ok.sum() < 2:
        return None
    v = values[ok]
    lo, hi = float(v.min()), float(v.max())
    increasing = bool(np.all(np.diff(v) > 0))
    epoch_name = bool(_EPOCH_NAME.search(name))
    time_name = is_time_name(name)
    if _YEAR_NAME.search(name) and integer and NS_MIN_YEAR <= lo and hi <= NS_MAX_YEAR:
        years = np.where(ok, values, 1970).astype(np.int64) - 1970
        ns = years.astype("datetime64[Y]").astype("datetime64[ns]").view(np.int64)
        return ParsedTime(
            ns=np.where(ok, ns, NAT), unit="year numbers", unparsed=np.zeros(values.size, bool)
        )
    if epoch_name or (integer and increasing):
        for scale, unit, lo_ok, hi_ok in (
            (NS, "unix seconds", 1e8, 4.1025e9),
            (1_000_000, "unix milliseconds", 1e11, 4.1025e12),
            (1_000, "unix microseconds", 1e14, 4.1025e15),
            (1, "unix nanoseconds", 1e17, 4.1025e18),
        ):
            if lo_ok <= lo and hi <= hi_ok:
                ns = np.where(ok, np.round(np.where(ok, values, 0) * scale), 0).astype(np.int64)
                issue = Issue(
                    "unix_time",
                    f"Column '{name}' holds numbers from {_g(lo)} to {_g(hi)}; they were read as {unit} since "
                    f"1970-01-01 UTC ({_iso(int(ns[ok].min()))} to {_iso(int(ns[ok].max()))}). If they are not times, "
                    "rename the column.",
                )
                return ParsedTime(
                    ns=np.where(ok, ns, NAT),
                    unit=unit,
                    timezone="UTC (unix time)",
                    issues=[issue],
                    unparsed=np.zeros(values.size, bool),
                )
    if time_name and integer and 18000101 <= lo and hi <= 22001231:
        import pandas as pd

        ns = _to_ns_pandas(
            pd.Series(np.where(ok, values, 0).astype(np.int64).astype(str)), format="%Y%m%d"
        )
        ns = np.where(ok, ns, NAT)
        if np.mean(ns[ok] != NAT) > 0.95:
            return ParsedTime(ns=ns, unit="yyyymmdd numbers", unparsed=ok & (ns == NAT))
    if time_name and 20000 <= lo and hi <= 80000:
        base = np.datetime64("1899-12-30", "ns").view(np.int64)
        ns = np.where(ok, base + np.round(np.where(ok, values, 0) * DAY), NAT).astype(np.int64)
        issue = Issue(
            "excel_serial_dates",
            f"Column '{name}' holds numbers from {_g(lo)} to {_g(hi)}; they were read as Excel serial dates "
            f"(days since 1899-12-30), giving {_iso(int(ns[ok].min()))} to {_iso(int(ns[ok].max()))}. "
            "If they are not dates, rename the column; better, format the column as dates before saving the CSV.",
        )
        return ParsedTime(
            ns=ns, unit="excel serial days", issues=[issue], unparsed=np.zeros(values.size, bool)
        )
    return None


def _g(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.3f}"


def _iso(ns: int) -> str:
    """ISO text of a time: date only at midnight, seconds only when non-zero."""
    if ns == NAT:
        return "NaT"
    t = np.datetime64(ns, "ns")
    if ns % DAY == 0:
        return str(t.astype("datetime64[D]"))
    if ns % NS == 0:
        s = str(t.astype("datetime64[s]")).replace("T", " ")
        return s[:-3] if s.endswith(":00") else s
    return str(t).replace("T", " ")


iso = _iso


# ---------------------------------------------------------------------------------------------
# Order, duplicates, steps and gaps


@dataclass
class Steps:
    """Spacing of sorted distinct times."""

    median: int | None  # ns
    gaps: int
    largest: int | None  # ns, the longest step when there are gaps
    largest_after: int | None  # ns time the largest gap starts from
    gap_issue: Issue | None


def steps_of(ns_sorted_unique: np.ndarray, diffs: np.ndarray | None = None) -> Steps:
    """Median step, gaps (steps over 1.5 times the median) and the largest gap.

    ``diffs`` may pass ``np.diff(ns_sorted_unique)`` when the caller has it already.
    """
    if ns_sorted_unique.size < 2:
        return Steps(None, 0, None, None, None)
    d = np.diff(ns_sorted_unique) if diffs is None else diffs
    lo, hi = int(d.min()), int(d.max())
    if lo == hi:  # a perfectly regular series: no need to sort for the median
        return Steps(lo, 0, None, None, None)
    med = int(np.median(d))
    if med <= 0:
        return Steps(med, 0, None, None, None)
    # calendar steps vary (28-31 days; 365-366): allow their spread before calling it a gap
    limit = med * 1.5
    if 28 * DAY <= med <= 31 * DAY:
        limit = 31 * DAY * 1.5
    big = d > limit
    n = int(big.sum())
    if not n:
        return Steps(med, 0, None, None, None)
    i = int(np.argmax(d))
    largest, after = int(d[i]), int(ns_sorted_unique[i])
    missing = int(np.round(d[big] / med - 1).sum())
    msg = (
        f"The time steps are irregular: {n:,} gap{'s' * (n != 1)} longer than 1.5 times the usual step of "
        f"{duration_text(med / NS)} (about {missing:,} missing step{'s' * (missing != 1)} in all); the largest is "
        f"{duration_text(largest / NS)} after {_iso(after)}."
    )
    if _spring_forward(ns_sorted_unique[i], largest, med):
        msg += " That one looks like the clock going forward an hour for daylight saving (local times)."
    step = resample_alias(med)
    msg += (
        " As the rows stand, each gap counts as one ordinary step: the rows on either side "
        "become neighbours and nothing is filled in (Missing values only fills empty cells). "
        "To put the missing steps back, resample to a regular step (Data panel ▸ Resample in "
        f"the window; --resample {step}, the data's usual step, on the command line); the new "
        "empty rows are then filled by the Missing values setting (interpolate by default)."
    )
    return Steps(med, n, largest, after, Issue("irregular_gaps", msg))


_ALIAS_UNITS = ((DAY, "D"), (HOUR, "h"), (60 * NS, "min"), (NS, "s"), (1_000_000, "ms"),
                 (1_000, "us"), (1, "ns"))


def resample_alias(step_ns: int) -> str:
    """A pandas resampling step for a time step: 30 min -> ``"30min"``, a month -> ``"MS"``.

    Calendar steps get their calendar alias (a month ``MS``, a quarter ``QS``, a year ``YS``,
    all at period starts); anything else the largest unit that divides it (``"7D"``, ``"1h"``,
    ``"90s"``). Every result is accepted by :func:`rnnviz.core.config.parse_resample`.
    """
    step_ns = int(step_ns)
    if 365 * DAY <= step_ns <= 366 * DAY:
        return "YS"
    if 89 * DAY <= step_ns <= 92 * DAY:
        return "QS"
    if 28 * DAY <= step_ns <= 31 * DAY:
        return "MS"
    if step_ns <= 0:
        return "1D"
    for size, unit in _ALIAS_UNITS:
        if step_ns >= size and step_ns % size == 0:
            return f"{step_ns // size}{unit}"
    return f"{step_ns}ns"


def _month_hour(ns: int) -> tuple[int, int]:
    t = np.datetime64(int(ns), "ns")
    month = int(t.astype("datetime64[M]").astype(np.int64) % 12) + 1
    hour = int((int(ns) % DAY) // HOUR)
    return month, hour


def _spring_forward(after: int, gap: int, med: int) -> bool:
    if med > HOUR or gap != med + HOUR:
        return False
    month, hour = _month_hour(after)
    return month in (3, 4, 9, 10) and 0 <= hour <= 3


def dst_fall_back(ns_in_file_order: np.ndarray) -> int | None:
    """If every backward jump of the times looks like clocks going back one hour, return where.

    Returns the ns time where the first repeat starts (local times at the end of daylight
    saving repeat an hour), or None.
    """
    ok = ns_in_file_order[ns_in_file_order != NAT]
    if ok.size < 3:
        return None
    d = np.diff(ok)
    back = np.flatnonzero(d < 0)
    if back.size == 0 or back.size > 4:
        return None
    for i in back:
        jump = -int(d[i])
        month, hour = _month_hour(int(ok[i + 1]))
        if not (0 < jump <= HOUR and month in (3, 4, 10, 11) and 0 <= hour <= 3):
            return None
    return int(ok[back[0] + 1])


def dst_repeat_sorted(ns_sorted: np.ndarray, dup_mask: np.ndarray) -> bool:
    """True when the duplicated times of a sorted column all fall in one early-morning hour of a DST month."""
    times = ns_sorted[1:][dup_mask[1:]] if dup_mask.size == ns_sorted.size else ns_sorted[dup_mask]
    if times.size == 0:
        return False
    span = int(times.max() - times.min())
    month, hour = _month_hour(int(times.min()))
    return span < HOUR and month in (3, 4, 10, 11) and 0 <= hour <= 3
