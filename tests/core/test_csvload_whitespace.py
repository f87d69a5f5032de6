"""Whitespace-separated text files: detection, reading, date + clock time, quoting, messages."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.cli import main
from rnnviz.core import csvsniff
from rnnviz.core.csvload import inspect_csv, load_csv
from rnnviz.core.csvsniff import WHITESPACE, normalise_whitespace
from rnnviz.core.errors import DataError
from rnnviz.core.loadreport import delimiter_name, render_text


def write(tmp_path, text: str, name: str = "data.txt"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def days(n: int) -> list[str]:
    return [str(np.datetime64("2020-01-01") + np.timedelta64(i, "D")) for i in range(n)]


def test_single_spaces_give_three_columns(tmp_path):
    text = "date value other\n2020-01-01 1.5 3\n2020-01-02 2.5 4\n2020-01-03 -3.25 5\n"
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.delimiter == WHITESPACE
    assert list(t.frame.columns) == ["date", "value", "other"]
    assert t.time_column == "date"
    assert t.numeric_columns == ("value", "other")
    np.testing.assert_array_equal(t.frame["value"].to_numpy(), [1.5, 2.5, -3.25])
    np.testing.assert_array_equal(t.frame["other"].to_numpy(), [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(
        t.frame["date"].to_numpy(), np.array(days(3), dtype="datetime64[ns]")
    )


def test_aligned_runs_leading_trailing_spaces_tabs_and_crlf(tmp_path):
    text = (
        "   date        value    other  \r\n"
        "   2020-01-01    1.5        3\r\n"
        "\t2020-01-02 \t 22.25\t\t  40   \r\n"
        "   2020-01-03  -0.5       500\r\n"
        "      \r\n"
        "   2020-01-04    7        6\r\n"
    )
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.delimiter == WHITESPACE
    assert list(t.frame.columns) == ["date", "value", "other"]
    np.testing.assert_array_equal(t.frame["value"].to_numpy(), [1.5, 22.25, -0.5, 7.0])
    np.testing.assert_array_equal(t.frame["other"].to_numpy(), [3.0, 40.0, 500.0, 6.0])
    assert len(t.frame) == 4  # the blank line of spaces is no row


def test_inspect_names_the_delimiter_in_words(tmp_path, capsys):
    text = "date value other\n" + "".join(f"{d} {i}.5 {i}\n" for i, d in enumerate(days(5)))
    p = write(tmp_path, text)
    r = inspect_csv(p)
    assert r.ok and r.to_dict()["dialect"]["delimiter"] == " "
    assert f"delimiter {delimiter_name(' ')}" in render_text(r)
    assert delimiter_name(" ") == "spaces (runs of spaces or tabs)"
    assert main(["inspect", str(p)]) == 0
    out = capsys.readouterr().out
    assert "usable - 5 rows, 3 columns" in out and "delimiter spaces (runs of spaces or tabs)" in out


def test_numpy_savetxt_with_header(tmp_path):
    x = np.array([[1.0, -2.5, 1e-7], [3.25, 4.0, 6.02e23], [0.1, 0.2, 0.3], [7.0, 8.0, 9.0]])
    p = tmp_path / "saved.txt"
    np.savetxt(p, x, header="alpha beta gamma")  # writes '# alpha beta gamma' and '%.18e' numbers
    assert p.read_text().startswith("# alpha beta gamma\n")
    t = load_csv(p)
    assert t.report.dialect.delimiter == WHITESPACE
    assert list(t.frame.columns) == ["alpha", "beta", "gamma"]
    np.testing.assert_array_equal(t.frame.to_numpy(), x)


def test_numpy_savetxt_without_header(tmp_path):
    x = np.array([[1.5, 2.0], [-3.0, 4.5], [5.0, 6.75]])
    p = tmp_path / "plain.txt"
    np.savetxt(p, x, fmt="%g")
    t = load_csv(p)
    assert list(t.frame.columns) == ["column_1", "column_2"]
    np.testing.assert_array_equal(t.frame.to_numpy(), x)
    assert "no_header" in t.report.warning_codes


def test_r_write_table_with_quoted_names_and_row_names(tmp_path):
    # write.table(df) in R: space-separated, strings quoted, a row-name column the header lacks
    text = '"day" "flow" "note"\n"1" "2020-01-01" 1.5 "dry"\n"2" "2020-01-02" 2.5 "wet"\n"3" "2020-01-03" 3.5 "dry"\n'
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.delimiter == WHITESPACE
    assert list(t.frame.columns) == ["day", "flow", "note"]
    assert t.time_column == "day" and t.numeric_columns == ("flow",)
    np.testing.assert_array_equal(t.frame["flow"].to_numpy(), [1.5, 2.5, 3.5])


def test_quoted_text_with_spaces_stays_one_field(tmp_path):
    text = 'city value\n"New York" 1.5\n"Los  Angeles" 2.5\nRome 3\n"San Jose" 4\n'
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.delimiter == WHITESPACE
    assert list(t.frame["city"]) == ["New York", "Los Angeles", "Rome", "San Jose"]
    np.testing.assert_array_equal(t.frame["value"].to_numpy(), [1.5, 2.5, 3.0, 4.0])


def test_unquoted_text_with_a_space_is_a_ragged_line_with_the_fix(tmp_path):
    rows = [f"{d} {i}" for i, d in enumerate(days(12))]
    rows[4] = "2020-01-05 New York"  # line 6 of the file
    p = write(tmp_path, "date value\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as e:
        load_csv(p)
    assert e.value.code == "ragged_rows"
    assert "Line 6 has 3 fields" in e.value.message
    assert '"New York"' in e.value.message


def test_unquoted_spaces_on_every_line_say_to_quote(tmp_path):
    p = write(tmp_path, "city value\nNew York 1.5\nLos Angeles 2.5\nRome 3\nSan Jose 4\n")
    r = inspect_csv(p)
    assert not r.ok and r.error.code == "delimiter_not_found"
    assert "separated by spaces" in r.error.message and '"New York"' in r.error.message


def test_ragged_line_beyond_the_sniffed_head_names_the_line(tmp_path):
    n = 6000  # about 110 KB: more than the 64 KB the sniffer reads
    rows = [f"  {i:6d}  {i * 0.5:10.2f}" for i in range(n)]
    rows[5000] += "  99"  # file line 5002 (after the header)
    p = write(tmp_path, "  step  value\n" + "\n".join(rows) + "\n")
    assert p.stat().st_size > 65_536
    with pytest.raises(DataError) as e:
        load_csv(p)
    assert e.value.code == "ragged_rows" and "Line 5002 has 3 fields" in e.value.message


def test_date_and_clock_time_under_one_header_name_are_one_timestamp(tmp_path):
    text = (
        "timestamp level flow\n"
        "2020-01-01 10:00 1.5 7\n"
        "2020-01-01 10:30 2.5 8\n"
        "2020-01-01 11:00:00 3.5 9\n"
        "2020-01-01 11:30 4.5 10\n"
    )
    t = load_csv(write(tmp_path, text))
    assert list(t.frame.columns) == ["timestamp", "level", "flow"]
    assert t.time_column == "timestamp"
    want = np.array(
        ["2020-01-01T10:00", "2020-01-01T10:30", "2020-01-01T11:00", "2020-01-01T11:30"],
        dtype="datetime64[ns]",
    )
    np.testing.assert_array_equal(t.frame["timestamp"].to_numpy(), want)
    np.testing.assert_array_equal(t.frame["level"].to_numpy(), [1.5, 2.5, 3.5, 4.5])
    np.testing.assert_array_equal(t.frame["flow"].to_numpy(), [7.0, 8.0, 9.0, 10.0])
    assert "date_time_split" in t.report.warning_codes
    assert t.report.time.median_step == 30 * 60


def test_date_and_clock_time_with_both_named_or_no_header(tmp_path):
    body = "2020-03-01 06:00 1\n2020-03-01 07:00 2\n2020-03-01 08:00 4\n"
    want = np.array(
        ["2020-03-01T06:00", "2020-03-01T07:00", "2020-03-01T08:00"], dtype="datetime64[ns]"
    )
    named = load_csv(write(tmp_path, "day clock value\n" + body, "named.txt"))
    assert named.time_column == "day" and list(named.frame.columns) == ["day", "value"]
    np.testing.assert_array_equal(named.frame["day"].to_numpy(), want)
    bare = load_csv(write(tmp_path, body, "bare.txt"))
    assert bare.time_column == "column_1"
    np.testing.assert_array_equal(bare.frame["column_1"].to_numpy(), want)
    np.testing.assert_array_equal(bare.frame["column_3"].to_numpy(), [1.0, 2.0, 4.0])


def test_header_one_name_short_without_date_and_time_is_a_clear_error(tmp_path):
    text = "value station\n1.5 New York\n2.5 San Jose\n3.5 New Delhi\n4.5 Los Angeles\n"
    r = inspect_csv(write(tmp_path, text))
    assert not r.ok and r.error.code == "header_mismatch"
    assert "names 2 columns but the data lines have 3 fields" in r.error.message
    assert '"New York"' in r.error.message and "missing column name" in r.error.message


def test_decimal_comma_and_missing_values_in_a_whitespace_file(tmp_path):
    text = "Datum   Temp    Druck\n2021-01-01  1,5  1013,25\n2021-01-02  NA  1009,5\n2021-01-03  -0,75  1011\n"
    t = load_csv(write(tmp_path, text))
    d = t.report.dialect
    assert (d.delimiter, d.decimal) == (WHITESPACE, ",")
    np.testing.assert_array_equal(t.frame["Temp"].to_numpy(), [1.5, np.nan, -0.75])
    np.testing.assert_array_equal(t.frame["Druck"].to_numpy(), [1013.25, 1009.5, 1011.0])


def test_title_lines_above_a_whitespace_table_are_a_preamble(tmp_path):
    rows = "".join(f"{d} {i * 1.5:g} {10 + i}\n" for i, d in enumerate(days(8)))
    text = (
        "Station 17 hourly export\nproduced by logger v2.1 on 2020-02-01\n\ndate temp rh\n" + rows
    )
    t = load_csv(write(tmp_path, text))
    d = t.report.dialect
    assert d.delimiter == WHITESPACE and d.header_line == 4 and d.preamble_lines == 3
    np.testing.assert_array_equal(t.frame["rh"].to_numpy(), np.arange(10.0, 18.0))


@pytest.mark.parametrize(
    ("text", "sep"),
    [
        ("date, value, other\n2020-01-01, 1.5, 3\n2020-01-02, 2.5, 4\n2020-01-03, 3.5, 5\n", ","),
        ("time,value\n2020-01-01 10:00,1.5\n2020-01-01 11:00,2.5\n2020-01-01 12:00,3.5\n", ","),
        ("Datum;Wert\n2020-01-01 10:00;1,5\n2020-01-01 11:00;2,5\n2020-01-01 12:00;3,5\n", ";"),
        ("date\tvalue\n2020-01-01 \t 1.5\n2020-01-02 \t 2.5\n2020-01-03 \t 3.5\n", "\t"),
        ("date | value\n2020-01-01 | 1.5\n2020-01-02 | 2.5\n2020-01-03 | 3.5\n", "|"),
    ],
)
def test_files_with_other_delimiters_and_spaces_keep_their_delimiter(tmp_path, text, sep):
    t = load_csv(write(tmp_path, text, "data.csv"))
    assert t.report.dialect.delimiter == sep
    np.testing.assert_array_equal(t.frame[t.numeric_columns[0]].to_numpy(), [1.5, 2.5, 3.5])


def test_one_column_of_numbers_with_space_thousands_stays_one_column(tmp_path):
    t = load_csv(write(tmp_path, "value\n1 234\n2 000\n12 999\n1 500\n"))
    assert t.report.dialect.delimiter == "," and t.report.dialect.thousands == " "
    np.testing.assert_array_equal(t.frame["value"].to_numpy(), [1234.0, 2000.0, 12999.0, 1500.0])


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (b"", b""),
        (b"   ", b""),
        (b"a b\nc d", b"a b\nc d"),
        (b"  a  b \n\t c\t\td\t\r\n   \n x\n  ", b"a b\nc d\r\n\nx\n"),
        (b'"New  York"   1.5\n', b'"New York" 1.5\n'),
        (b"1   2\n  3 4  \n5\t\t6\n", b"1 2\n3 4\n5 6\n"),
    ],
)
@pytest.mark.parametrize("chunk", [2, 4 * 2**20])
def test_normalise_whitespace(monkeypatch, raw, want, chunk):
    monkeypatch.setattr(csvsniff, "NORMALISE_CHUNK", chunk)  # chunks end after a line break
    assert normalise_whitespace(memoryview(raw)) == want


def test_comma_file_below_two_word_notes_stays_comma_separated(tmp_path):
    # splitting on spaces gives two fields on nearly every line here ("Station: Alpha",
    # "2020-01-01 10:00,1.5,40"); the comma table below the notes is the real one
    text = (
        "Station: Alpha\nLogger: CR1000\nProgram: v2\nInterval: 10min\nUnits: SI\nNotes: none\n"
        "Time,Temp,RH\n2020-01-01 10:00,1.5,40\n2020-01-01 10:10,1.6,41\n2020-01-01 10:20,1.7,42\n"
    )
    t = load_csv(write(tmp_path, text, "logger.csv"))
    d = t.report.dialect
    assert (d.delimiter, d.header_line) == (",", 7)
    np.testing.assert_array_equal(t.frame["RH"].to_numpy(), [40.0, 41.0, 42.0])
