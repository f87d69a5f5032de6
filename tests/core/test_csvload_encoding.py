"""Encodings, NUL bytes, binary files, workbooks renamed .csv, empty and header-only files."""

from __future__ import annotations

import codecs
import zipfile

import numpy as np
import pytest

from rnnviz.core.csvload import inspect_csv, load_csv
from rnnviz.core.errors import DataError

TEXT = "Zeit;Température;Ort\n2020-01-01;1,5;Köln\n2020-01-02;2,5;Zürich\n2020-01-03;-0,5;Genève\n"


def write_bytes(tmp_path, data: bytes, name: str = "data.csv"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def check_table(t, encoding: str) -> None:
    assert t.report.dialect.encoding == encoding
    assert list(t.frame.columns) == ["Zeit", "Température", "Ort"]
    np.testing.assert_array_equal(t.frame["Température"].to_numpy(), [1.5, 2.5, -0.5])
    assert list(t.frame["Ort"]) == ["Köln", "Zürich", "Genève"]


def test_utf8(tmp_path):
    t = load_csv(write_bytes(tmp_path, TEXT.encode("utf-8")))
    check_table(t, "utf-8")
    assert "encoding_fallback" not in t.report.warning_codes


def test_utf8_with_bom(tmp_path):
    t = load_csv(write_bytes(tmp_path, codecs.BOM_UTF8 + TEXT.encode("utf-8")))
    check_table(t, "utf-8-sig")


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_tab_separated_like_excel_unicode_text(tmp_path, enc):
    bom = codecs.BOM_UTF16_LE if enc.endswith("le") else codecs.BOM_UTF16_BE
    text = TEXT.replace(";", "\t").replace("\n", "\r\n")
    t = load_csv(write_bytes(tmp_path, bom + text.encode(enc)))
    check_table(t, enc)
    assert t.report.dialect.delimiter == "\t"


def test_utf16_without_bom(tmp_path):
    t = load_csv(write_bytes(tmp_path, TEXT.encode("utf-16-le")))
    check_table(t, "utf-16-le")


def test_windows_1252_falls_back_with_a_warning(tmp_path):
    t = load_csv(write_bytes(tmp_path, (TEXT + "2020-01-04;3,0;Cost € Œuvre\n").encode("cp1252")))
    assert t.report.dialect.encoding == "cp1252"
    assert t.frame["Ort"].iloc[-1] == "Cost € Œuvre"
    w = [x for x in t.report.warnings if x.code == "encoding_fallback"]
    assert w and "line 1" in w[0].message and "UTF-8" in w[0].message


def test_latin1_when_windows_1252_has_no_character(tmp_path):
    data = TEXT.encode("latin-1") + b"2020-01-04;3,0;x\x81y\n"  # 0x81 is undefined in cp1252
    t = load_csv(write_bytes(tmp_path, data))
    assert t.report.dialect.encoding == "latin-1"
    assert t.frame["Ort"].iloc[0] == "Köln"


def test_nul_bytes_are_removed_with_a_warning(tmp_path):
    data = b"t,v\n2020-01-01,1\n2020-01-02,2\x00\x00\n2020-01-03,3\n"
    t = load_csv(write_bytes(tmp_path, data))
    np.testing.assert_array_equal(t.frame["v"].to_numpy(), [1.0, 2.0, 3.0])
    w = [x for x in t.report.warnings if x.code == "nul_bytes"]
    assert w and "2 NUL bytes" in w[0].message and "line 3" in w[0].message


def test_binary_file_is_refused(tmp_path):
    rng = np.random.default_rng(1)
    r = inspect_csv(write_bytes(tmp_path, rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()))
    assert not r.ok and r.error.code == "binary_file"


def test_xlsx_renamed_csv_says_save_as_csv(tmp_path):
    p = tmp_path / "book.csv"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    with pytest.raises(DataError) as e:
        load_csv(p)
    assert e.value.code == "excel_workbook"
    assert "Excel workbook" in e.value.message and "CSV" in e.value.message


def test_xls_ole2_signature_is_an_excel_workbook(tmp_path):
    data = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1000)
    r = inspect_csv(write_bytes(tmp_path, data))
    assert r.error.code == "excel_workbook"


def test_plain_zip_and_gzip_are_named(tmp_path):
    p = tmp_path / "a.csv"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("data.csv", "a,b\n1,2\n")
    assert inspect_csv(p).error.code == "zip_archive"
    import gzip

    g = write_bytes(tmp_path, gzip.compress(b"a,b\n1,2\n"), "b.csv")
    assert inspect_csv(g).error.code == "compressed_file"


def test_html_page_saved_as_csv(tmp_path):
    r = inspect_csv(
        write_bytes(tmp_path, b"<!DOCTYPE html><html><table><tr><td>1</td></tr></table></html>")
    )
    assert r.error.code == "markup_file"


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", codecs.BOM_UTF8])
def test_empty_files(tmp_path, content):
    with pytest.raises(DataError) as e:
        load_csv(write_bytes(tmp_path, content))
    assert e.value.code == "empty_file"


def test_header_only(tmp_path):
    with pytest.raises(DataError) as e:
        load_csv(write_bytes(tmp_path, b"date,a,b\n"))
    assert e.value.code == "no_data"
    assert "date,a,b" in e.value.message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError) as e:
        load_csv(tmp_path / "nope.csv")
    assert e.value.code == "file_not_found"
    with pytest.raises(DataError) as e:
        load_csv(tmp_path)
    assert e.value.code == "not_a_file"
