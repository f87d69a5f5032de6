"""Cell values: error cells, missing values, text and empty columns, infinities, constants,
the table's dtypes and statistics, the report's JSON shape, progress and the row check."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.csvload import LoadedTable, inspect_csv, load_csv, require_rows, rows_needed
from rnnviz.core.errors import DataError
from rnnviz.core.loadreport import render_text


def write(tmp_path, text: str, name: str = "data.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def warning(report, code: str) -> str:
    found = [w.message for w in report.warnings if w.code == code]
    assert found, f"no {code} warning in {report.warning_codes}"
    return found[0]


def test_error_cells_are_missing_and_the_first_line_is_named(tmp_path):
    text = (
        "date,a,b\n"
        "2020-01-01,1,#DIV/0!\n"  # line 2
        "2020-01-02,2,3\n"
        "2020-01-03,?,4\n"  # line 4
        "2020-01-04,4,-\n"
        "2020-01-05,n/a,#VALUE!\n"
        "2020-01-06,NA,#N/A\n"
        "2020-01-07,null,\n"
        "2020-01-08,8,9\n"
    )
    t = load_csv(write(tmp_path, text))
    a, b = t.frame["a"].to_numpy(), t.frame["b"].to_numpy()
    np.testing.assert_array_equal(np.isnan(a), [0, 0, 1, 0, 1, 1, 1, 0])
    np.testing.assert_array_equal(np.isnan(b), [1, 0, 0, 1, 1, 1, 1, 0])
    assert a[~np.isnan(a)].tolist() == [1.0, 2.0, 4.0, 8.0]
    assert t.report.column("a").missing == 4 and t.report.column("a").count == 4
    assert t.report.column("b").missing == 5
    msg = warning(t.report, "error_cells")
    assert "'a'" in msg and "line 4" in msg
    assert "'b'" in msg and "line 2" in msg and "#DIV/0!" in msg
    miss = warning(t.report, "missing_values")
    # a: '?' (line 4) is an error cell, already in error_cells; n/a, NA, null (lines 6-8) are NA cells
    assert "'a': 3 (first on line 6), 4 missing in all with the 1 cell listed above" in miss
    # b: #DIV/0!, -, #VALUE!, #N/A are error cells; only the empty cell on line 8 is blank
    assert "'b': 1 (first on line 8), 5 missing in all with the 4 cells listed above" in miss


def test_error_cells_alone_are_not_counted_again_as_missing_values(tmp_path):
    text = "date,a\n" + "".join(
        f"2020-01-{d:02d},{'#DIV/0!' if d % 4 == 0 else d}\n" for d in range(1, 13)
    )
    t = load_csv(write(tmp_path, text))
    assert t.report.column("a").missing == 3  # days 4, 8 and 12
    assert "'a': 3 cells such as #DIV/0! (first on line 5)" in warning(t.report, "error_cells")
    assert "missing_values" not in t.report.warning_codes


def test_stray_text_in_a_numeric_column(tmp_path):
    text = (
        "date,v\n"
        + "".join(f"2020-01-{d:02d},{d}.5\n" for d in range(1, 9))
        + "2020-01-09,12,5 kg\n"
    )
    t = load_csv(write(tmp_path, text.replace("12,5 kg", '"12,5 kg"')))
    assert t.numeric_columns == ("v",)
    assert math.isnan(t.frame["v"].iloc[-1])
    msg = warning(t.report, "unreadable_values")
    assert "line 10" in msg and "12,5 kg" in msg


def test_text_and_empty_columns_are_left_out_with_a_notice(tmp_path):
    text = "date,temp,weather,empty,note\n2020-01-01,1.5,rain,,\n2020-01-02,2.5,sun,,\n2020-01-03,3.5,fog,,x\n"
    t = load_csv(write(tmp_path, text))
    kinds = {c.name: c.kind for c in t.report.columns}
    assert kinds == {
        "date": "time",
        "temp": "numeric",
        "weather": "text",
        "empty": "empty",
        "note": "text",
    }
    assert t.numeric_columns == ("temp",)
    assert "'weather'" in warning(t.report, "text_columns")
    assert "'empty'" in warning(t.report, "empty_columns")
    assert t.frame["empty"].isna().all()


def test_infinite_and_overflowing_values_become_missing(tmp_path):
    text = "date,a\n2020-01-01,1\n2020-01-02,1e400\n2020-01-03,-inf\n2020-01-04,4\n2020-01-05,Infinity\n"
    t = load_csv(write(tmp_path, text))
    a = t.frame["a"].to_numpy()
    assert not np.isinf(a).any()
    np.testing.assert_array_equal(np.isnan(a), [0, 1, 1, 0, 1])
    msg = warning(t.report, "infinite_values")
    assert "'a': 3 (first on line 3)" in msg


def test_constant_column_warns_about_scaling(tmp_path):
    text = "date,a,b\n2020-01-01,1,5\n2020-01-02,2,5\n2020-01-03,3,5\n2020-01-04,4,\n"
    t = load_csv(write(tmp_path, text))
    msg = warning(t.report, "constant_columns")
    assert "'b'" in msg and "'a'" not in msg and "scal" in msg
    assert t.numeric_columns == ("a", "b")


def test_statistics_match_numpy(tmp_path):
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(10, 3, 50), 4)
    x[[3, 17]] = np.nan
    cells = ["" if np.isnan(v) else f"{v:.4f}" for v in x]
    text = "date,x\n" + "".join(
        f"{d},{c}\n"
        for d, c in zip(pd.date_range("2020", periods=50).strftime("%Y-%m-%d"), cells, strict=True)
    )
    t = load_csv(write(tmp_path, text))
    c = t.report.column("x")
    assert (c.count, c.missing) == (48, 2)
    assert c.min == pytest.approx(np.nanmin(x))
    assert c.max == pytest.approx(np.nanmax(x))
    assert c.mean == pytest.approx(np.nanmean(x))


def test_frame_dtypes_and_index(tmp_path):
    text = "date,a,b,c\n2020-01-02,1,x,2.5\n2020-01-01,2,y,3.5\n2020-01-03,3,z,\n"
    t = load_csv(write(tmp_path, text))
    f = t.frame
    assert isinstance(f.index, pd.RangeIndex) and f.index.start == 0 and f.index.step == 1
    assert f["date"].dtype == np.dtype("datetime64[ns]")
    assert f["a"].dtype == np.float64 and f["c"].dtype == np.float64
    assert list(f["a"]) == [2.0, 1.0, 3.0]  # sorted by time, rows kept together
    assert list(f["b"]) == ["y", "x", "z"]
    assert isinstance(t, LoadedTable) and len(t) == 3
    assert t.times.dtype == np.dtype("datetime64[ns]")


def test_fully_empty_rows_are_left_out(tmp_path):
    text = "date,a,b\n2020-01-01,1,2\n,,\n2020-01-02,3,4\n,,\n"
    t = load_csv(write(tmp_path, text))
    assert len(t.frame) == 2
    assert "empty_rows" in t.report.warning_codes


def test_no_numeric_column_is_not_usable(tmp_path):
    r = inspect_csv(write(tmp_path, "name,city\nann,rome\nbob,oslo\n"))
    assert not r.ok and r.error.code == "no_numeric_columns"
    assert "'name'" in r.error.message


def test_to_dict_has_exactly_the_contract_keys(tmp_path):
    t = load_csv(write(tmp_path, "date,a,w\n2020-01-01,1,x\n2020-01-02,2,y\n2020-01-04,3,z\n"))
    d = t.report.to_dict()
    assert set(d) == {"ok", "rows", "dialect", "columns", "time", "warnings", "error"}
    assert set(d["dialect"]) == {
        "delimiter",
        "decimal",
        "thousands",
        "encoding",
        "header_line",
        "preamble_lines",
    }
    assert set(d["columns"][0]) == {"name", "kind", "count", "missing", "min", "max", "mean"}
    assert d["columns"][0]["min"] is None and d["columns"][2]["mean"] is None
    assert d["columns"][1]["mean"] == 2.0
    tm = d["time"]
    assert tm["column"] == "date" and tm["first"] == "2020-01-01" and tm["last"] == "2020-01-04"
    assert tm["median_step"] == pytest.approx(1.5 * 86400)
    assert set(tm["gaps"]) == {"count", "largest", "largest_text", "largest_after"}
    assert tm["duplicates"] == {"count": 0, "policy": "mean"}
    assert d["error"] is None and d["ok"] is True and d["rows"] == 3
    assert all(set(w) == {"code", "message"} for w in d["warnings"])
    json.dumps(d, allow_nan=False)


def test_failed_report_keeps_what_was_found(tmp_path):
    r = inspect_csv(write(tmp_path, "a;b\n1;2\n3;4;5\n1;1\n1;1\n"))
    d = r.to_dict()
    assert d["ok"] is False and d["error"]["code"] == "ragged_rows"
    assert d["dialect"]["delimiter"] == ";"
    json.dumps(d, allow_nan=False)


def test_render_text_is_readable(tmp_path):
    r = inspect_csv(
        write(
            tmp_path,
            "date,temp,weather\n2020-01-01,1.5,rain\n2020-01-02,2.5,sun\n2020-01-03,3.5,sun\n",
        )
    )
    text = render_text(r)
    assert "usable - 3 rows, 3 columns" in text
    assert "delimiter comma ','" in text and "header on line 1" in text
    assert "temp" in text and "numeric" in text and "3.5" in text
    assert "median step 1 day" in text
    assert "* Column 'weather' holds text" in text and "[text_columns]" in text


def test_progress_runs_from_zero_to_one(tmp_path):
    seen: list[float] = []
    load_csv(write(tmp_path, "date,a\n2020-01-01,1\n2020-01-02,2\n"), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(0.0 <= x <= 1.0 for x in seen)
    assert seen == sorted(seen)


def test_rows_needed_and_require_rows(tmp_path):
    # lookback 10 at step 2 spans rows 0..18 (19 rows); delay 3 and horizon 4 add 7 -> 26
    assert rows_needed(10, 4, step=2, delay=3) == 26
    assert rows_needed(1, 1) == 2
    assert rows_needed(5, 1, windows=10) == 15
    t = load_csv(
        write(tmp_path, "date,a\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 21)))
    )
    require_rows(t, 20, "ok")
    with pytest.raises(DataError) as e:
        require_rows(t, 26, "A lookback of 10 (step 2), delay 3 and horizon 4")
    assert e.value.code == "too_short"
    assert "26" in e.value.message and "20" in e.value.message and "lookback" in e.value.message
    with pytest.raises(DataError):
        require_rows(5, 6)


def days(n: int) -> str:
    return "date,a\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, n + 1))


def test_very_short_tables_get_a_warning_with_the_rows_a_model_needs(tmp_path):
    r = inspect_csv(write(tmp_path, days(3)))
    assert r.ok and r.rows == 3
    msg = warning(r, "very_short")
    dc = DataConfig()
    need = dc.lookback + dc.horizon  # one window: lookback inputs, then horizon targets
    assert "only 3 data rows" in msg
    assert f"lookback of {dc.lookback} and horizon of {dc.horizon} need at least {need} rows" in msg
    nine = inspect_csv(write(tmp_path, days(9), "nine.csv"))
    ten = inspect_csv(write(tmp_path, days(10), "ten.csv"))
    assert "very_short" in nine.warning_codes and "very_short" not in ten.warning_codes


def test_very_short_counts_rows_after_merging_repeated_times(tmp_path):
    rows = "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 7))
    t = load_csv(write(tmp_path, "date,a\n" + rows + rows))  # 12 lines, 6 distinct times
    assert len(t.frame) == 6
    assert "only 6 data rows (12 before merging repeated times)" in warning(t.report, "very_short")


def test_one_column_with_the_other_decimal_mark(tmp_path):
    text = 'date,a,b\n2020-01-01,1.5,"2,25"\n2020-01-02,2.5,"3,5"\n2020-01-03,3.25,"4,125"\n'
    t = load_csv(write(tmp_path, text))
    assert t.report.dialect.decimal == "."
    np.testing.assert_array_equal(t.frame["a"].to_numpy(), [1.5, 2.5, 3.25])
    np.testing.assert_array_equal(t.frame["b"].to_numpy(), [2.25, 3.5, 4.125])
    assert "'b'" in warning(t.report, "decimal_mark_differs")


def test_spreadsheet_errors_in_other_languages(tmp_path):
    text = "Datum;Wert\n2020-01-01;1,5\n2020-01-02;#WERT!\n2020-01-03;#NV\n2020-01-04;#VALEUR!\n2020-01-05;2,5\n"
    t = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(np.isnan(t.frame["Wert"].to_numpy()), [0, 1, 1, 1, 0])
    msg = warning(t.report, "error_cells")
    assert "'Wert': 3 cells" in msg and "line 3" in msg
