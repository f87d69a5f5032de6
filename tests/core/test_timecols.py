"""Time-column recognition and parsing (unit level, on pyarrow arrays and numpy values)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from rnnviz.core import timecols
from rnnviz.core.loadreport import duration_text
from rnnviz.core.timecols import NAT, NS


def ns(*iso: str) -> list[int]:
    """Expected times from numpy's own parser, as int64 ns."""
    return [int(np.datetime64(x, "ns").astype(np.int64)) for x in iso]


def text(*values):
    return pa.array(list(values), type=pa.string())


def test_iso_dates_and_datetimes():
    p = timecols.parse_text_times(
        text("2020-01-01", "2020-01-01 06:30", "2020-01-02T00:00:15"), "t"
    )
    assert p.ns.tolist() == ns("2020-01-01", "2020-01-01T06:30", "2020-01-02T00:00:15")
    assert p.timezone is None


def test_iso_with_mixed_offsets_is_converted_to_utc_and_explained():
    p = timecols.parse_text_times(
        text("2021-10-31T01:30:00+02:00", "2021-10-31T02:30:00+02:00", "2021-10-31T02:30:00+01:00"),
        "t",
    )
    assert p.ns.tolist() == ns("2021-10-30T23:30", "2021-10-31T00:30", "2021-10-31T01:30")
    assert "+01:00" in p.timezone and "+02:00" in p.timezone
    assert [i.code for i in p.issues] == ["timezone_converted"]
    assert "daylight-saving" in p.issues[0].message


def test_day_first_decided_by_a_day_above_12():
    p = timecols.parse_text_times(text("05/01/2020", "13/01/2020", "20/01/2020"), "date")
    assert p.ns.tolist() == ns("2020-01-05", "2020-01-13", "2020-01-20")
    assert "day-first" in p.unit and not p.issues


def test_month_first_decided_by_a_second_number_above_12():
    p = timecols.parse_text_times(text("01/05/2020", "01/13/2020 14:00", "01/20/2020"), "date")
    assert p.ns.tolist() == ns("2020-01-05", "2020-01-13T14:00", "2020-01-20")
    assert "month-first" in p.unit


def test_ambiguous_dates_take_the_order_that_runs_forward():
    # as month-first these are Jan 2, Jan 3, ... (daily); as day-first Feb 1, Mar 1, ... (monthly).
    # Both run forward, so add one that only month-first keeps in order: 01/12 -> Jan 12 or Dec 1.
    vals = [f"01/{d:02d}/2020" for d in range(2, 13)] + ["01/01/2020"]
    # day-first: Feb 1 .. Dec 1 then Jan 1 (one step back); month-first: Jan 2 .. Jan 12 then Jan 1 (one step back)
    p = timecols.parse_text_times(text(*vals), "date")
    assert p.issues and p.issues[0].code == "ambiguous_dates"
    assert "assumed" in p.issues[0].message
    vals2 = ["03/01/2020", "02/01/2020", "01/01/2020", "01/02/2020", "01/03/2020"]
    # month-first: Mar 1, Feb 1, Jan 1, Jan 2, Jan 3 (2 back); day-first: Jan 3, Jan 2, Jan 1, Feb 1, Mar 1 (2 back)
    p2 = timecols.parse_text_times(text(*vals2), "date")
    assert "day-first" in p2.unit  # tie: the international convention
    vals3 = ["01/10/2020", "01/11/2020", "01/12/2020", "02/10/2020"]
    # month-first: Jan 10, 11, 12, Feb 10 (forward); day-first: Oct 1, Nov 1, Dec 1, Oct 2 (one back)
    p3 = timecols.parse_text_times(text(*vals3), "date")
    assert "month-first" in p3.unit
    assert p3.ns.tolist() == ns("2020-01-10", "2020-01-11", "2020-01-12", "2020-02-10")
    assert "run forward" in p3.issues[0].message


def quarter_hours(start: str, n: int) -> list[datetime]:
    t0 = datetime.fromisoformat(start)
    return [t0 + timedelta(minutes=15 * i) for i in range(n)]


def expected_ns(stamps: list[datetime]) -> list[int]:
    return ns(*(t.isoformat() for t in stamps))


def test_month_first_wins_when_its_steps_are_regular():
    # 15-min rows over three days in May, written mm/dd/yyyy: every number is 12 or less.
    # Read day-first they would jump Jan 5 -> Feb 5 -> Mar 5 at midnight: two breaks.
    stamps = quarter_hours("2023-05-01T00:00", 3 * 96)
    p = timecols.parse_text_times(text(*(f"{t:%m/%d/%Y %H:%M}" for t in stamps)), "time")
    assert "month-first" in p.unit
    assert p.ns.tolist() == expected_ns(stamps)
    msg = p.issues[0].message
    assert p.issues[0].code == "ambiguous_dates" and "assumed month-first" in msg
    assert "no break, against 2 breaks read day-first" in msg


def test_month_first_logger_times_with_am_pm():
    # HOBO-style: mm/dd/yy hh:mm:ss AM/PM
    stamps = quarter_hours("2023-05-01T00:00", 200)
    vals = [f"{t:%m/%d/%y %I:%M:%S %p}" for t in stamps]
    assert vals[0] == "05/01/23 12:00:00 AM" and vals[52] == "05/01/23 01:00:00 PM"
    p = timecols.parse_text_times(text(*vals), "Date Time")
    assert "month-first" in p.unit and p.ns.tolist() == expected_ns(stamps)


def test_day_first_wins_when_its_steps_are_regular():
    # the mirror image: 15-min rows from 1 Feb, written dd/mm/yyyy
    stamps = quarter_hours("2023-02-01T00:00", 3 * 96)
    p = timecols.parse_text_times(text(*(f"{t:%d/%m/%Y %H:%M}" for t in stamps)), "time")
    assert "day-first" in p.unit
    assert p.ns.tolist() == expected_ns(stamps)
    assert "no break, against 2 breaks read month-first" in p.issues[0].message


def test_equally_regular_orders_are_ambiguous_and_take_day_first():
    # 05/01 .. 05/11: daily in May read month-first, the 5th of each month read day-first;
    # both run forward at a regular (calendar) step, so nothing tells them apart
    vals = [f"05/{d:02d}/2023" for d in range(1, 12)]
    p = timecols.parse_text_times(text(*vals), "date")
    assert "day-first" in p.unit
    assert p.ns.tolist() == ns(*(f"2023-{m:02d}-05" for m in range(1, 12)))
    msg = p.issues[0].message
    assert "neither order makes the times run more regularly" in msg
    assert "read month-first they would run from 2023-05-01 to 2023-05-11" in msg


def test_irregular_steps_counts_steps_back_and_off_the_usual_step():
    hourly = ns("2020-01-01T00:00", "2020-01-01T01:00", "2020-01-01T02:00", "2020-01-01T03:00")
    assert timecols.irregular_steps(np.array(hourly, dtype=np.int64)) == 0
    # one step back in file order; sorted, the steps are still all one hour
    swapped = [hourly[0], hourly[2], hourly[1], hourly[3]]
    assert timecols.irregular_steps(np.array(swapped, dtype=np.int64)) == 1
    # a 5-hour jump among 1-hour steps, and a missing time that is ignored
    gap = hourly + ns("2020-01-01T08:00", "2020-01-01T09:00") + [NAT]
    assert timecols.irregular_steps(np.array(gap, dtype=np.int64)) == 1
    # calendar months (31, 29, 31, 30 days) are one regular step
    monthly = ns("2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01")
    assert timecols.irregular_steps(np.array(monthly, dtype=np.int64)) == 0
    # jitter within 10% of the step is regular
    jitter = np.array(hourly, dtype=np.int64) + np.array([0, 60, -90, 30]) * NS
    assert timecols.irregular_steps(jitter) == 0


def test_dotted_dates_are_day_first_and_12_hour_clock():
    p = timecols.parse_text_times(text("01.02.2020", "02.02.2020"), "Datum")
    assert p.ns.tolist() == ns("2020-02-01", "2020-02-02")
    q = timecols.parse_text_times(text("1/13/2020 1:05 PM", "1/13/2020 12:30 AM"), "when")
    assert q.ns.tolist() == ns("2020-01-13T13:05", "2020-01-13T00:30")


def test_year_month_and_quarters():
    assert timecols.parse_text_times(text("2020-01", "2020-12"), "m").ns.tolist() == ns(
        "2020-01-01", "2020-12-01"
    )
    q = timecols.parse_text_times(text("1959Q1", "1959-Q4", "1960Q2"), "quarter")
    assert q.ns.tolist() == ns("1959-01-01", "1959-10-01", "1960-04-01")


def test_month_names_by_pandas_guess():
    p = timecols.parse_text_times(text("05-Jan-2020", "06-Jan-2020", "07-Feb-2020"), "d")
    assert p.ns.tolist() == ns("2020-01-05", "2020-01-06", "2020-02-07")


def test_unreadable_cells_are_marked():
    p = timecols.parse_text_times(
        text(*[f"2020-01-{d:02d}" for d in range(1, 20)], "soon", None), "t"
    )
    assert p.ns[-2] == NAT and p.unparsed[-2] and not p.unparsed[-1]


@pytest.mark.parametrize("vals", [["rain", "sun"], ["1.5", "2.5"], ["A12", "B7"]])
def test_not_times(vals):
    assert timecols.parse_text_times(text(*vals), "x") is None


def test_unix_seconds_and_milliseconds_need_a_name_or_a_counter():
    s = np.array([1.6e9, 1.6e9 + 60, 1.6e9 + 120])
    p = timecols.parse_number_times(s, "timestamp", integer=True)
    assert p.unit == "unix seconds" and p.ns.tolist() == [int(x) * NS for x in s]
    ms = s * 1000
    q = timecols.parse_number_times(ms, "epoch_ms", integer=True)
    assert q.unit == "unix milliseconds" and q.ns.tolist() == [int(x) * NS for x in s]
    # an increasing whole-number counter in range is read as time even without the name
    assert timecols.parse_number_times(s, "col", integer=True).unit == "unix seconds"
    # ordinary measurements are not: not increasing, no time-like name
    meas = np.array([1.6e9, 1.2e9, 1.9e9])
    assert timecols.parse_number_times(meas, "population", integer=True) is None
    # elapsed seconds from 0 are not unix times, even named "time"
    assert timecols.parse_number_times(np.arange(0.0, 100.0, 0.5), "time", integer=False) is None


def test_excel_serial_dates_only_with_a_date_name():
    v = np.array([43831.0, 43832.0, 43833.5])
    p = timecols.parse_number_times(v, "Date", integer=False)
    assert p.ns.tolist() == ns("2020-01-01", "2020-01-02", "2020-01-03T12:00")
    assert p.issues[0].code == "excel_serial_dates"
    assert timecols.parse_number_times(v, "sales", integer=False) is None


def test_years_and_yyyymmdd():
    p = timecols.parse_number_times(np.array([1700.0, 1701.0, np.nan]), "year", integer=True)
    assert p.ns.tolist()[:2] == ns("1700-01-01", "1701-01-01") and p.ns[2] == NAT
    q = timecols.parse_number_times(np.array([20200131.0, 20200201.0]), "date", integer=True)
    assert q.ns.tolist() == ns("2020-01-31", "2020-02-01")


def test_combine_date_and_time_of_day():
    date = np.array(ns("2020-03-01", "2020-03-01", "2020-03-02"), dtype=np.int64)
    got = timecols.combine_date_and_time(date, text("00:30", "13:45:10", "9:05 PM"))
    assert got.tolist() == ns("2020-03-01T00:30", "2020-03-01T13:45:10", "2020-03-02T21:05")
    assert timecols.combine_date_and_time(date, text("rain", "sun", "fog")) is None


def test_steps_median_and_gaps():
    t = np.array(
        ns(
            "2020-01-01T00:00",
            "2020-01-01T01:00",
            "2020-01-01T02:00",
            "2020-01-01T06:00",
            "2020-01-01T07:00",
        )
    )
    s = timecols.steps_of(t)
    assert s.median == 3600 * NS and s.gaps == 1
    assert s.largest == 4 * 3600 * NS and s.largest_after == t[2]
    assert "3 missing steps" in s.gap_issue.message
    monthly = np.array(ns("2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01"))
    assert timecols.steps_of(monthly).gaps == 0


def test_daylight_saving_helpers():
    back = np.array(
        ns(
            "2021-10-31T01:00",
            "2021-10-31T02:00",
            "2021-10-31T02:30",
            "2021-10-31T02:00",
            "2021-10-31T02:30",
            "2021-10-31T03:00",
        )
    )
    assert timecols.dst_fall_back(back) == back[3]
    shuffled = np.array(ns("2021-06-01T12:00", "2021-06-01T10:00", "2021-06-01T11:00"))
    assert timecols.dst_fall_back(shuffled) is None
    spring = np.array(
        ns("2010-03-14T00:00", "2010-03-14T01:00", "2010-03-14T03:00", "2010-03-14T04:00")
    )
    assert "daylight saving" in timecols.steps_of(spring).gap_issue.message


@pytest.mark.parametrize(
    "seconds, words",
    [
        (0.5, "500 ms"),
        (1, "1 s"),
        (90, "1.5 min"),
        (3600, "1 h"),
        (1800, "30 min"),
        (86400, "1 day"),
        (7 * 86400, "1 week"),
        (31 * 86400, "1 month"),
        (91 * 86400, "1 quarter"),
        (365 * 86400, "1 year"),
        (2 * 86400, "2 days"),
        (45 * 86400, "45 days"),
    ],
)
def test_duration_text(seconds, words):
    assert duration_text(seconds) == words


# ---------------------------------------------------------------------------- gaps and resampling
@pytest.mark.parametrize(("step", "alias"), [
    (300 * NS, "5min"), (1800 * NS, "30min"), (3600 * NS, "1h"), (86400 * NS, "1D"),
    (7 * 86400 * NS, "7D"), (30 * 86400 * NS, "MS"), (91 * 86400 * NS, "QS"),
    (365 * 86400 * NS, "YS"), (90 * NS, "90s"), (1_500_000_000, "1500ms"),
])
def test_resample_alias_names_the_step_in_a_form_the_resample_setting_reads(step, alias):
    from rnnviz.core.config import parse_resample

    assert timecols.resample_alias(step) == alias
    parse_resample(alias)  # accepted as it is


def _gap_csv(tmp_path):
    import pandas as pd

    days = pd.date_range("2020-01-01", periods=120, freq="D").delete(range(40, 70))  # 30 missing
    path = tmp_path / "gap.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"),
                  "v": np.arange(90.0)}).to_csv(path, index=False)
    return path


def test_the_gap_warning_says_what_the_settings_really_do(tmp_path):
    from rnnviz.core.config import DataConfig
    from rnnviz.core.csvload import load_csv
    from rnnviz.core.series import prepare_series

    table = load_csv(_gap_csv(tmp_path))
    msg = next(w.message for w in table.report.warnings if w.code == "irregular_gaps")
    assert "let rnnviz interpolate" not in msg  # not true with Resample off
    assert "each gap counts as one ordinary step" in msg
    assert "Data panel ▸ Resample" in msg and "--resample 1D" in msg  # the data's own step
    small = dict(lookback=2, split=(0.6, 0.2, 0.2))
    # what the message says: with the defaults (interpolate, no resampling) the gap stays one step
    plain = prepare_series(table, DataConfig(**small))
    assert plain.n_rows == 90 and plain.raw[40, 0] == 40.0  # day 41 is followed by day 71
    assert np.diff(plain.times).max() == np.timedelta64(31, "D")
    # --resample 1D puts the 30 steps back, interpolated by default
    fixed = prepare_series(table, DataConfig(resample="1D", **small))
    assert fixed.n_rows == 120
    assert np.diff(fixed.times).max() == np.timedelta64(1, "D")
    np.testing.assert_allclose(fixed.raw[39:71, 0], np.linspace(39.0, 40.0, 32))
