"""``rnnviz inspect FILE [--json]``: readable report, JSON object, exit status, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

from rnnviz.cli import main

CSV = "Datum;Temperatur;Wetter\n2021-01-01;1,5;Regen\n2021-01-02;2,5;Sonne\n2021-01-03;3,0;Sonne\n2021-01-06;-0,5;Regen\n"


def test_text_report(tmp_path, capsys):
    p = tmp_path / "wetter.csv"
    p.write_text(CSV, encoding="utf-8")
    assert main(["inspect", str(p)]) == 0
    out = capsys.readouterr().out
    assert "usable - 4 rows, 3 columns" in out
    assert "delimiter semicolon ';'" in out and "decimal ','" in out
    assert "Temperatur" in out and "numeric" in out and "-0.5" in out
    assert "Time: column 'Datum'" in out and "1 gap" in out
    assert "* Column 'Wetter' holds text" in out


def test_json_report(tmp_path, capsys):
    p = tmp_path / "wetter.csv"
    p.write_text(CSV, encoding="utf-8")
    assert main(["inspect", str(p), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) == {"ok", "rows", "dialect", "columns", "time", "warnings", "error"}
    assert d["ok"] is True and d["rows"] == 4 and d["error"] is None
    assert d["dialect"]["delimiter"] == ";" and d["dialect"]["decimal"] == ","
    assert d["dialect"]["header_line"] == 1  # 1-based, as the text report says "line 1"
    temp = [c for c in d["columns"] if c["name"] == "Temperatur"][0]
    assert (temp["kind"], temp["count"], temp["min"], temp["max"]) == ("numeric", 4, -0.5, 3.0)
    assert temp["mean"] == (1.5 + 2.5 + 3.0 - 0.5) / 4
    assert d["time"]["column"] == "Datum" and d["time"]["gaps"]["count"] == 1
    assert d["time"]["gaps"]["largest"] == 3 * 86400 and d["time"]["median_step"] == 86400
    assert "text_columns" in [w["code"] for w in d["warnings"]]


def test_json_and_text_name_the_same_1_based_header_line(tmp_path, capsys):
    p = tmp_path / "logger.csv"
    body = "".join(f"2021-01-{d:02d},{d}\n" for d in range(1, 21))
    p.write_text("Logger: X\nSerial: 1\n\ntime,v\n" + body, encoding="utf-8")  # header: 4th line
    assert main(["inspect", str(p)]) == 0
    out = capsys.readouterr().out
    assert "header on line 4, 3 lines skipped above it" in out
    assert main(["inspect", str(p), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["dialect"]["header_line"] == 4 and d["dialect"]["preamble_lines"] == 3
    warn = [w["message"] for w in d["warnings"] if w["code"] == "preamble_skipped"][0]
    assert "the table starts on line 4" in warn


def test_a_three_row_file_warns_that_it_is_too_short(tmp_path, capsys):
    p = tmp_path / "tiny.csv"
    p.write_text("date,value\n2021-01-01,1\n2021-01-02,2\n2021-01-03,3\n", encoding="utf-8")
    assert main(["inspect", str(p), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["ok"] is True and d["rows"] == 3
    short = [w["message"] for w in d["warnings"] if w["code"] == "very_short"]
    assert short and "only 3 data rows" in short[0]


def test_unusable_file_exits_2_with_json_error(tmp_path, capsys):
    p = tmp_path / "book.csv"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert main(["inspect", str(p), "--json"]) == 2
    d = json.loads(capsys.readouterr().out)
    assert d["ok"] is False and d["error"]["code"] == "excel_workbook"
    assert "Excel workbook" in d["error"]["message"] and "Save As" in d["error"]["message"]


def test_unusable_file_exits_2_with_a_readable_message(tmp_path, capsys):
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,2\n3,4,5\n6,7\n8,9\n", encoding="utf-8")
    assert main(["inspect", str(p)]) == 2
    err = capsys.readouterr().err
    assert "NOT usable" in err and "Line 3 has 3 fields but the header has 2" in err
    assert "Traceback" not in err


def test_missing_file(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope.csv"), "--json"]) == 2
    d = json.loads(capsys.readouterr().out)
    assert d["error"]["code"] == "file_not_found"


def test_inspect_imports_neither_torch_nor_qt(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("t,v\n2020-01-01,1\n2020-01-02,2\n", encoding="utf-8")
    code = (
        "import sys\nfrom rnnviz.cli import main\n"
        f"rc = main(['inspect', {str(p)!r}, '--json'])\n"
        "bad = [m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules]\n"
        "print('RC', rc, 'BAD', bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "RC 0 BAD []" in out
