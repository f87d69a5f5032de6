"""Delimiters, decimal and thousands marks, quoting, headers, preambles and ragged rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.csvload import inspect_csv, load_csv
from rnnviz.core.errors import DataError


def write(tmp_path, text: str, name: str = "data.csv", encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_each_delimiter_gives_the_same_table(tmp_path, sep):
    rows = [("2021-05-01", "1.5", "10"), ("2021-05-02", "2.25", "11"), ("2021-05-03", "-3", "12")]
    text = sep.join(("day", "level", "count")) + "\n" + "".join(sep.join(r) + "\n" for r in rows)
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.delimiter == sep
    assert t.time_column == "day"
    assert t.numeric_columns == ("level", "count")
    np.testing.assert_array_equal(t.frame["level"].to_numpy(), [1.5, 2.25, -3.0])
    np.testing.assert_array_equal(t.frame["count"].to_numpy(), [10.0, 11.0, 12.0])


def test_semicolon_file_with_decimal_comma(tmp_path):
    text = "Datum;Temperatur;Druck\n2021-01-01;1,5;1013,25\n2021-01-02;-0,75;1009,5\n2021-01-03;2,0;1011,0\n"
    t = load_csv(write(tmp_path, text))
    d = t.report.dialect
    assert (d.delimiter, d.decimal) == (";", ",")
    np.testing.assert_array_equal(t.frame["Temperatur"].to_numpy(), [1.5, -0.75, 2.0])
    np.testing.assert_array_equal(t.frame["Druck"].to_numpy(), [1013.25, 1009.5, 1011.0])


def test_decimal_comma_in_quoted_comma_separated_cells(tmp_path):
    text = 'time,value\n2021-01-01,"1,5"\n2021-01-02,"2,75"\n2021-01-03,"0,125"\n'
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.decimal == ","
    np.testing.assert_array_equal(t.frame["value"].to_numpy(), [1.5, 2.75, 0.125])


def test_quoted_english_thousands(tmp_path):
    text = (
        'date,sales,units\n2020-01-01,"1,234.5",3\n2020-01-02,"12,000.25",4\n2020-01-03,"999.5",5\n'
    )
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.thousands == ","
    np.testing.assert_array_equal(t.frame["sales"].to_numpy(), [1234.5, 12000.25, 999.5])
    np.testing.assert_array_equal(t.frame["units"].to_numpy(), [3.0, 4.0, 5.0])


def test_european_thousands_and_decimal_comma(tmp_path):
    text = "date;sales\n2020-01-01;1.234,5\n2020-01-02;2.000.000,25\n2020-01-03;999,5\n2020-01-04;1.500\n"
    t = load_csv(write(tmp_path, text))
    d = t.report.dialect
    assert (d.decimal, d.thousands) == (",", ".")
    np.testing.assert_array_equal(t.frame["sales"].to_numpy(), [1234.5, 2000000.25, 999.5, 1500.0])


def test_quoted_numbers_and_quoted_header(tmp_path):
    text = (
        '"when","a","b"\n"2020-01-01","1.5","7"\n"2020-01-02","2.5","8"\n"2020-01-03","3.5","9"\n'
    )
    t = load_csv(write(tmp_path, text))
    assert t.numeric_columns == ("a", "b")
    np.testing.assert_array_equal(t.frame["a"].to_numpy(), [1.5, 2.5, 3.5])


def test_trailing_delimiter_on_data_rows_only_does_not_shift_columns(tmp_path):
    # plain pandas.read_csv takes the first column as the index here and shifts the names
    text = "date,a,b\n2020-01-01,1,10,\n2020-01-02,2,20,\n2020-01-03,3,30,\n"
    p = write(tmp_path, text)
    shifted = pd.read_csv(p)
    assert not isinstance(shifted.index, pd.RangeIndex)  # the trap this test is about
    t = load_csv(p)
    assert list(t.frame.columns) == ["date", "a", "b"]
    assert isinstance(t.frame.index, pd.RangeIndex)
    np.testing.assert_array_equal(t.frame["a"].to_numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(t.frame["b"].to_numpy(), [10.0, 20.0, 30.0])
    assert "trailing_delimiter" in t.report.warning_codes


def test_trailing_delimiter_on_every_line_drops_the_empty_column(tmp_path):
    text = "date;a;b;\n2020-01-01;1;10;\n2020-01-02;2;20;\n2020-01-03;3;30;\n"
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["date", "a", "b"]
    assert "trailing_delimiter" in t.report.warning_codes


def test_trailing_delimiter_on_some_lines_only(tmp_path):
    text = "date,a,b\n2020-01-01,1,10\n2020-01-02,2,20,\n2020-01-03,3,30\n2020-01-04,4,40,,\n"
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["date", "a", "b"]
    np.testing.assert_array_equal(t.frame["b"].to_numpy(), [10.0, 20.0, 30.0, 40.0])
    assert "trailing_delimiter" in t.report.warning_codes


def test_ragged_row_with_extra_field_names_the_line(tmp_path):
    text = "date,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n2020-01-03,5,6\n2020-01-04,7,8,9\n2020-01-05,1,1\n"
    with pytest.raises(DataError) as e:
        load_csv(write(tmp_path, text))
    assert e.value.code == "ragged_rows"
    assert "Line 5 has 4 fields but the header has 3" in e.value.message
    assert "delimiter" in e.value.message


def test_ragged_row_with_missing_field_names_the_line(tmp_path):
    text = "date;a;b\n2020-01-01;1;2\n2020-01-02;3;4\n2020-01-03;5\n2020-01-04;1;1\n"
    with pytest.raises(DataError) as e:
        load_csv(write(tmp_path, text))
    assert e.value.code == "ragged_rows"
    assert "Line 4 has 2 fields but the header has 3" in e.value.message


def test_ragged_line_number_counts_blank_lines(tmp_path):
    text = "date,a\n2020-01-01,1\n\n2020-01-02,2\n2020-01-03,3,3\n"
    with pytest.raises(DataError, match="Line 5 has 3 fields"):
        load_csv(write(tmp_path, text))


DAYS = "".join(f"2021-01-{d:02d},{d},{2 * d}\n" for d in range(5, 29))


def test_ragged_rows_near_the_top_are_not_taken_for_a_preamble(tmp_path):
    # line 3 is short, line 4 long; the header and the rows around them must be kept
    text = "date,a,b\n2021-01-01,1,2\n2021-01-02,3\n2021-01-03,4,5,6,7\n2021-01-04,5,6\n" + DAYS
    r = inspect_csv(write(tmp_path, text))
    assert not r.ok and r.error.code == "ragged_rows"
    assert "Line 3 has 2 fields but the header has 3" in r.error.message
    assert r.dialect.header_line == 1 and r.dialect.preamble_lines == 0
    assert "preamble_skipped" not in r.warning_codes


def test_long_row_right_under_the_header_names_its_line(tmp_path):
    text = "date,a,b\n2021-01-01,1,2,9,9\n2021-01-02,3,4\n2021-01-03,4\n2021-01-04,5,6\n" + DAYS
    with pytest.raises(DataError) as e:
        load_csv(write(tmp_path, text))
    assert e.value.code == "ragged_rows" and "Line 2 has 5 fields" in e.value.message


def test_a_preamble_line_of_the_tables_width_above_notes_is_still_a_preamble(tmp_path):
    text = "Logger,HOBO,U12\nSerial: 12345\nSite: Creek A\nTime,Temp,RH\n" + "".join(
        f"2020-01-01 00:{m:02d},1.5,{m}\n" for m in range(12)
    )
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.header_line == 4 and t.report.dialect.preamble_lines == 3
    assert list(t.frame.columns) == ["Time", "Temp", "RH"]
    np.testing.assert_array_equal(t.frame["RH"].to_numpy(), np.arange(12.0))


def test_unquoted_thousands_in_comma_file_is_caught_not_shifted(tmp_path):
    text = "date,value\n2020-01-01,1,234.5\n2020-01-02,2,000.0\n2020-01-03,3,100.0\n"
    with pytest.raises(DataError) as e:
        load_csv(write(tmp_path, text))
    assert e.value.code in ("header_mismatch", "ragged_rows")
    assert "thousands" in e.value.message


def test_missing_header_names_columns_and_warns(tmp_path):
    text = "2020-01-01,1.5,7\n2020-01-02,2.5,8\n2020-01-03,3.5,9\n"
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["column_1", "column_2", "column_3"]
    assert t.report.dialect.header_line is None
    assert len(t.frame) == 3  # the first line is data, not lost
    assert t.frame["column_2"].iloc[0] == 1.5
    assert "no_header" in t.report.warning_codes


def test_preamble_lines_above_the_header_are_skipped(tmp_path):
    text = (
        "Logger: HOBO U12\nSerial number: 10-4455\nLocation: roof\n\n"
        "Time,Temp (C),RH (%)\n2020-01-01 00:00,1.5,30\n2020-01-01 00:10,1.6,31\n2020-01-01 00:20,1.7,32\n"
    )
    t = load_csv(write(tmp_path, text))
    d = t.report.dialect
    assert d.header_line == 5  # 1-based: the fifth line of the file
    assert d.preamble_lines == 4
    assert list(t.frame.columns) == ["Time", "Temp (C)", "RH (%)"]
    np.testing.assert_array_equal(t.frame["RH (%)"].to_numpy(), [30.0, 31.0, 32.0])
    assert "preamble_skipped" in t.report.warning_codes


def test_preamble_line_with_the_tables_width(tmp_path):
    text = "Station;Bremen\nDatum;Wert\n2020-01-01;1,5\n2020-01-02;2,5\n2020-01-03;3,5\n"
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.header_line == 2
    assert list(t.frame.columns) == ["Datum", "Wert"]


def test_duplicate_and_empty_header_names(tmp_path):
    text = "date,x,x,\n2020-01-01,1,2,3\n2020-01-02,4,5,6\n2020-01-03,7,8,9\n"
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["date", "x", "x_2", "column_4"]
    assert "duplicate_names" in t.report.warning_codes


def test_pandas_index_column_is_dropped(tmp_path):
    text = ",a,b\n0,1.5,2\n1,2.5,3\n2,3.5,4\n3,4.5,5\n"
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["a", "b"]
    assert "row_numbers_dropped" in t.report.warning_codes


def test_r_style_short_header_takes_row_labels(tmp_path):
    text = '"a","b"\n"1",1.5,2\n"2",2.5,3\n"3",3.5,4\n'
    t = load_csv(write(tmp_path, text))
    assert t.numeric_columns == ("a", "b")
    np.testing.assert_array_equal(t.frame["a"].to_numpy(), [1.5, 2.5, 3.5])


def test_single_numeric_column_without_delimiter(tmp_path):
    text = "value\n1\n2.5\n4\n"
    t = load_csv(write(tmp_path, text))
    assert t.numeric_columns == ("value",)
    np.testing.assert_array_equal(t.frame["value"].to_numpy(), [1.0, 2.5, 4.0])


def test_single_text_column_with_delimiters_inside_is_refused(tmp_path):
    text = "a;b,c|d\n1;2;3\n4,5\n6|7|8|9\n10\n"
    r = inspect_csv(write(tmp_path, text))
    assert not r.ok
    assert r.error.code in ("delimiter_not_found", "ragged_rows")


def test_crlf_and_old_mac_line_ends(tmp_path):
    for i, nl in enumerate(("\r\n", "\r")):
        text = nl.join(["t,v", "2020-01-01,1", "2020-01-02,2", "2020-01-03,3"]) + nl
        t = load_csv(write(tmp_path, text, name=f"f{i}.csv"))
        np.testing.assert_array_equal(t.frame["v"].to_numpy(), [1.0, 2.0, 3.0])


def test_quoted_field_with_line_break(tmp_path):
    text = 'date,note,v\n2020-01-01,"two\nlines",1\n2020-01-02,plain,2\n2020-01-03,"x, y",3\n'
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(t.frame["v"].to_numpy(), [1.0, 2.0, 3.0])
    assert t.frame["note"].iloc[0] == "two\nlines"


def test_wide_file_with_thousands_of_columns(tmp_path):
    rng = np.random.default_rng(0)
    n_cols, n_rows = 3000, 40
    X = np.round(rng.normal(size=(n_rows, n_cols)), 3)  # (N, F)
    names = [f"s{j}" for j in range(n_cols)]
    lines = ["time," + ",".join(names)]
    times = pd.date_range("2020-01-01", periods=n_rows, freq="h").strftime("%Y-%m-%d %H:%M")
    for i in range(n_rows):
        lines.append(times[i] + "," + ",".join(f"{x:.3f}" for x in X[i]))
    t = load_csv(write(tmp_path, "\n".join(lines) + "\n"))
    assert len(t.numeric_columns) == n_cols
    np.testing.assert_allclose(t.frame[names].to_numpy(), X)
    assert len(t.report.columns) == n_cols + 1


def test_very_long_text_cells(tmp_path):
    long = "x" * 300_000
    text = f"date,note,v\n2020-01-01,{long},1\n2020-01-02,{long},2\n2020-01-03,short,3\n"
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(t.frame["v"].to_numpy(), [1.0, 2.0, 3.0])
    assert len(t.frame["note"].iloc[0]) == 300_000


def test_units_row_under_the_header_is_skipped(tmp_path):
    text = "time,temp,wind\n,°C,m/s\n2020-01-01 00:00,1.5,3\n2020-01-01 01:00,1.0,4\n2020-01-01 02:00,0.5,5\n"
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["time", "temp", "wind"]
    np.testing.assert_array_equal(t.frame["temp"].to_numpy(), [1.5, 1.0, 0.5])
    assert "units_rows_skipped" in t.report.warning_codes


def test_campbell_toa5_logger_file(tmp_path):
    text = (
        '"TOA5","CR1000","CR1000","1234","CR1000.Std.32","CPU:met.CR1","5678","Table1"\n'
        '"TIMESTAMP","RECORD","AirTC_Avg","RH"\n'
        '"TS","RN","Deg C","%"\n'
        '"","","Avg","Smp"\n'
        '"2020-01-01 00:10:00",0,1.5,80\n"2020-01-01 00:20:00",1,1.25,81\n"2020-01-01 00:30:00",2,1,82\n'
    )
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.header_line == 2
    assert t.time_column == "TIMESTAMP"
    assert t.numeric_columns == ("RECORD", "AirTC_Avg", "RH")
    np.testing.assert_array_equal(t.frame["AirTC_Avg"].to_numpy(), [1.5, 1.25, 1.0])
