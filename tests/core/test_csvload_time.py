"""Time columns through load_csv: zones, daylight saving, order, duplicates, gaps, odd units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.csvload import load_csv


def write(tmp_path, text: str, name: str = "data.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def times(*iso: str) -> np.ndarray:
    return np.array([np.datetime64(x, "ns") for x in iso])


def codes(t) -> tuple[str, ...]:
    return t.report.warning_codes


def test_iso_datetimes_are_datetime64_and_the_report_summarises_them(tmp_path):
    text = "time,v\n2020-01-01 00:00:00,1\n2020-01-01 00:30:00,2\n2020-01-01 01:00:00,3\n"
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(
        t.times, times("2020-01-01T00:00", "2020-01-01T00:30", "2020-01-01T01:00")
    )
    tr = t.report.time
    assert (tr.column, tr.first, tr.last) == ("time", "2020-01-01", "2020-01-01 01:00")
    assert tr.median_step == 1800 and tr.median_step_text == "30 min"
    assert tr.sorted and tr.gaps == 0 and tr.duplicates == 0 and tr.timezone is None


def test_mixed_utc_offsets_across_dst_are_converted_to_utc(tmp_path):
    text = (
        "time,v\n2021-03-28T00:00:00+01:00,1\n2021-03-28T01:00:00+01:00,2\n"
        "2021-03-28T03:00:00+02:00,3\n2021-03-28T04:00:00+02:00,4\n"
    )
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(
        t.times,
        times("2021-03-27T23:00", "2021-03-28T00:00", "2021-03-28T01:00", "2021-03-28T02:00"),
    )
    assert t.report.time.gaps == 0  # in UTC the spring-forward hour is not a gap
    assert "UTC" in t.report.time.timezone
    msg = [w.message for w in t.report.warnings if w.code == "timezone_converted"][0]
    assert "+01:00" in msg and "+02:00" in msg


def test_local_times_repeating_an_hour_at_the_end_of_dst(tmp_path):
    text = (
        "time,v\n2021-10-31 01:00,1\n2021-10-31 01:30,2\n2021-10-31 02:00,3\n2021-10-31 02:30,4\n"
        "2021-10-31 02:00,5\n2021-10-31 02:30,6\n2021-10-31 03:00,7\n"
    )
    t = load_csv(write(tmp_path, text))
    tr = t.report.time
    assert tr.duplicates == 2 and tr.duplicate_policy == "mean"
    np.testing.assert_array_equal(
        t.frame["v"].to_numpy(), [1.0, 2.0, 4.0, 5.0, 7.0]
    )  # (3+5)/2, (4+6)/2
    msg = [w.message for w in t.report.warnings if w.code == "duplicate_times"][0]
    assert "daylight saving" in msg and "line 6" in msg
    assert "unsorted" not in codes(t)  # the step back is explained, not a generic "unsorted"


def test_unsorted_rows_are_sorted_with_a_warning(tmp_path):
    text = "date,v\n2020-01-01,1\n2020-01-03,3\n2020-01-02,2\n2020-01-04,4\n"
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(t.frame["v"].to_numpy(), [1.0, 2.0, 3.0, 4.0])
    assert not t.report.time.sorted
    msg = [w.message for w in t.report.warnings if w.code == "unsorted"][0]
    assert "line 4" in msg


def test_newest_first_files_are_reversed(tmp_path):
    text = "date,v\n2020-01-04,4\n2020-01-03,3\n2020-01-02,2\n2020-01-01,1\n"
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(t.frame["v"].to_numpy(), [1.0, 2.0, 3.0, 4.0])
    assert "reverse" in [w.message for w in t.report.warnings if w.code == "unsorted"][0]


def test_duplicate_times_are_averaged_and_counted(tmp_path):
    text = (
        "date,a,b,kind\n2020-01-01,1,10,x\n2020-01-01,3,,y\n2020-01-02,5,50,z\n2020-01-01,5,30,w\n"
    )
    t = load_csv(write(tmp_path, text))
    assert t.report.time.duplicates == 2
    np.testing.assert_array_equal(t.frame["a"].to_numpy(), [3.0, 5.0])  # mean(1, 3, 5)
    np.testing.assert_array_equal(
        t.frame["b"].to_numpy(), [20.0, 50.0]
    )  # mean(10, 30), NaN ignored
    assert list(t.frame["kind"]) == ["x", "z"]  # text from the first row
    assert "line 3" in [w.message for w in t.report.warnings if w.code == "duplicate_times"][0]


def test_irregular_gaps_are_reported(tmp_path):
    stamps = list(pd.date_range("2020-01-01", periods=10, freq="5min")) + list(
        pd.date_range("2020-01-01 03:00", periods=10, freq="5min")
    )
    text = "t,v\n" + "".join(f"{s:%Y-%m-%d %H:%M},{i}\n" for i, s in enumerate(stamps))
    t = load_csv(write(tmp_path, text))
    tr = t.report.time
    assert tr.median_step == 300 and tr.gaps == 1
    assert tr.largest_gap == 3 * 3600 - 45 * 60  # 00:45 -> 03:00
    assert tr.largest_gap_after == "2020-01-01 00:45"
    assert "irregular_gaps" in codes(t)


def test_unreadable_and_missing_times_drop_their_rows(tmp_path):
    text = (
        "date,v\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 21)) + "tomorrow,21\n,22\n"
    )
    t = load_csv(write(tmp_path, text))
    assert len(t.frame) == 20 and t.frame["v"].iloc[-1] == 20.0
    msg = [w.message for w in t.report.warnings if w.code == "missing_times"][0]
    assert "2 rows" in msg and "line 22" in msg


def test_implausible_years_are_flagged(tmp_path):
    text = "date,v\n0020-01-01,1\n2020-01-02,2\n2020-01-03,3\n"
    r = load_csv(write(tmp_path, text.replace("0020", "1700"))).report
    assert "implausible_years" in r.warning_codes


def test_date_and_time_of_day_in_two_columns(tmp_path):
    text = "date;time;v\n2020-01-01;23:00;1\n2020-01-02;00:00;2\n2020-01-02;01:00;3\n"
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["date", "v"]
    np.testing.assert_array_equal(
        t.times, times("2020-01-01T23:00", "2020-01-02T00:00", "2020-01-02T01:00")
    )
    assert t.report.time.median_step_text == "1 h"


def test_day_first_file(tmp_path):
    text = "Datum;Wert\n31.12.2020 23:00;1,5\n01.01.2021 00:00;2,5\n01.01.2021 01:00;3,5\n"
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(
        t.times, times("2020-12-31T23:00", "2021-01-01T00:00", "2021-01-01T01:00")
    )


def test_ambiguous_slash_dates_warn(tmp_path):
    text = "date,v\n01/02/2020,1\n02/02/2020,2\n03/02/2020,3\n"
    t = load_csv(write(tmp_path, text))
    assert "ambiguous_dates" in codes(t)
    np.testing.assert_array_equal(t.times, times("2020-02-01", "2020-02-02", "2020-02-03"))


def test_month_first_quarter_hours_are_not_read_as_month_gaps(tmp_path):
    stamps = pd.date_range("2023-05-01", periods=200, freq="15min")
    text = "time,v\n" + "".join(f"{s:%m/%d/%Y %H:%M},{i % 10}\n" for i, s in enumerate(stamps))
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(t.times, stamps.to_numpy(dtype="datetime64[ns]"))
    assert t.report.time.gaps == 0 and "irregular_gaps" not in codes(t)
    assert "month-first" in t.report.time.unit and "ambiguous_dates" in codes(t)


def test_logger_file_with_preamble_and_am_pm_month_first_times(tmp_path):
    stamps = pd.date_range("2023-05-01", periods=200, freq="15min")
    text = (
        'Logger: HOBO U12\nSerial: 12345\nSite: Creek A\n\n"Date Time, GMT+01:00","Temp, \u00b0C"\n'
        + "".join(f"{s:%m/%d/%y %I:%M:%S %p},{15 + i / 100:.3f}\n" for i, s in enumerate(stamps))
    )
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.header_line == 5 and "preamble_skipped" in codes(t)
    np.testing.assert_array_equal(t.times, stamps.to_numpy(dtype="datetime64[ns]"))
    assert t.report.time.gaps == 0


@pytest.mark.parametrize(
    "name, scale, unit", [("timestamp", 1, "unix seconds"), ("time_ms", 1000, "unix milliseconds")]
)
def test_unix_times(tmp_path, name, scale, unit):
    base = 1_600_000_000
    text = f"{name},v\n" + "".join(f"{(base + 60 * i) * scale},{i}\n" for i in range(5))
    t = load_csv(write(tmp_path, text))
    assert t.time_column == name and t.report.time.unit == unit
    assert t.times[0] == np.datetime64(base, "s")
    assert t.numeric_columns == ("v",)


def test_large_measurements_are_not_taken_for_unix_times(tmp_path):
    text = "date,population\n2020-01-01,1600000000\n2020-01-02,1500000000\n2020-01-03,1700000000\n"
    t = load_csv(write(tmp_path, text))
    assert t.time_column == "date" and t.numeric_columns == ("population",)
    t2 = load_csv(
        write(tmp_path, "population,v\n1600000000,1\n1500000000,2\n1700000000,3\n", "b.csv")
    )
    assert t2.time_column is None and "population" in t2.numeric_columns


def test_excel_serial_dates_say_so(tmp_path):
    text = "Date,v\n43831,1\n43832,2\n43833,3\n"
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(t.times, times("2020-01-01", "2020-01-02", "2020-01-03"))
    assert "excel_serial_dates" in codes(t)


def test_no_time_column_uses_row_order(tmp_path):
    t = load_csv(write(tmp_path, "t_seconds,hr\n0.0,80\n0.5,81\n1.0,82\n"))
    assert t.time_column is None and t.times is None and t.report.time is None
    assert t.numeric_columns == ("t_seconds", "hr")
    assert "no_time_column" in codes(t)
