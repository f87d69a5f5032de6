"""Random and mangled CSV text: the loader raises DataError or returns a table, nothing else;
inspect_csv never raises and never reports an internal error."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rnnviz.core.csvload import LoadedTable, inspect_csv, load_csv
from rnnviz.core.errors import DataError

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

REAL = (
    "time,isig,glucose\n2010-03-24 09:51:00,22.59,258\n2010-03-24 09:56:00,22.52,260\n"
    "2010-03-24 10:01:00,nil,258\n2010-03-24 10:06:00,21.56,254\n2010-03-24 10:11:00,20.79,246\n"
)
EURO = 'Datum;Wert;"Ort"\r\n01.02.2020;1.234,5;Köln\r\n02.02.2020;-0,5;"A;B"\r\n03.02.2020;#DIV/0!;\r\n'

cell = st.one_of(
    st.sampled_from(
        [
            "",
            "1",
            "-2.5",
            "1,5",
            '"1,234.5"',
            "1.234,5",
            "#DIV/0!",
            "?",
            "-",
            "NA",
            "inf",
            "1e400",
            "2020-01-01",
            "31/12/2020 23:59",
            "2021-03-28T02:00:00+02:00",
            "1600000000",
            "43831",
            "text",
            '"',
            '""',
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6),
)
row = st.lists(cell, min_size=1, max_size=5)


def check(path) -> None:
    try:
        t = load_csv(path)
    except DataError as exc:
        assert exc.code and exc.message
    else:
        assert isinstance(t, LoadedTable)
        assert isinstance(t.frame.index, pd.RangeIndex)
        for name in t.numeric_columns:
            assert t.frame[name].dtype == np.float64
            assert not np.isinf(t.frame[name].to_numpy()).any()
        if t.time_column is not None:
            assert t.frame[t.time_column].is_monotonic_increasing
    r = inspect_csv(path)
    assert r.error is None or r.error.code != "internal_error", r.error
    assert r.ok == (r.error is None)
    r.to_dict()


@FUZZ
@given(data=st.binary(max_size=400))
@example(data=b'"')
@example(data=b'a,b\n1,"2\n')
def test_random_bytes(tmp_path, data):
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    check(p)


@FUZZ
@given(
    rows=st.lists(row, min_size=0, max_size=8),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    nl=st.sampled_from(["\n", "\r\n", "\r"]),
    enc=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_random_tables(tmp_path, rows, sep, nl, enc):
    text = nl.join(sep.join(r) for r in rows)
    p = tmp_path / "f.csv"
    p.write_bytes(text.encode(enc, errors="replace"))
    check(p)


@FUZZ
@given(
    base=st.sampled_from([REAL, EURO]),
    cut=st.integers(0, 400),
    junk=st.binary(max_size=8),
    at=st.integers(0, 400),
)
def test_truncated_and_spliced_real_files(tmp_path, base, cut, junk, at):
    data = base.encode("utf-8")[: max(0, len(base) - cut)]
    data = data[:at] + junk + data[at:]
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    check(p)
