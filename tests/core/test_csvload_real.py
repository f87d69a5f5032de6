"""The loader on real files: the bundled samples, and every series in ../shared/datasets when
that folder sits beside the repository (CI checks it out there; a plain clone has only the
bundled files, and the tests run on what is found, with nothing skipped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.csvload import inspect_csv, load_csv

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "resources" / "data"
SHARED = ROOT.parent / "shared" / "datasets"


def real_files() -> list[Path]:
    """The bundled CSV files (always there), then the shared ones when the folder exists."""
    found = sorted(BUNDLED.glob("*.csv"))
    if SHARED.is_dir():
        found += sorted(SHARED.glob("*.csv"))
    return found


def file_id(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


# Facts about particular series, known from their sources (resources/data/SOURCES.md and
# shared/datasets/README.md), checked on whichever copies are present.
EXPECTED_STEP = {
    "airline_passengers.csv": "1 month",
    "pm_airpassengers_monthly.csv": "1 month",
    "co2_weekly.csv": "1 week",
    "sm_co2_weekly.csv": "1 week",
    "electricity_halfhourly.csv": "30 min",
    "pm_taylor_halfhourly.csv": "30 min",
    "seattle_weather_daily.csv": "1 day",
    "vega_seattle_weather_daily.csv": "1 day",
    "seattle_temps_hourly.csv": "1 h",
    "vega_seattle_temps_hourly.csv": "1 h",
    "glucose_5min.csv": "5 min",
    "bokeh_glucose_5min.csv": "5 min",
    "sm_sunspots_yearly.csv": "1 year",
    "sm_nile_yearly.csv": "1 year",
    "sm_macrodata_quarterly.csv": "1 quarter",
}


def test_the_bundled_samples_are_found():
    names = {p.name for p in real_files()}
    assert {"airline_passengers.csv", "glucose_5min.csv", "seattle_temps_hourly.csv"} <= names


@pytest.mark.parametrize("path", real_files(), ids=file_id)
def test_every_real_file_loads(path):
    t = load_csv(path)
    ref = pd.read_csv(path)  # these files are clean enough for plain pandas: compare with it
    assert len(t.numeric_columns) >= 1
    same_rows = t.report.time is None or (t.report.time.sorted and t.report.time.duplicates == 0)
    if same_rows:  # the glucose file has repeated times, merged by the loader
        assert len(t.frame) == len(ref)
        for name in t.numeric_columns:
            want = pd.to_numeric(ref[name], errors="coerce").to_numpy(dtype=float)
            np.testing.assert_allclose(t.frame[name].to_numpy(), want, equal_nan=True)
    if t.time_column is not None:
        assert t.frame[t.time_column].is_monotonic_increasing
        assert t.frame[t.time_column].dtype == np.dtype("datetime64[ns]")
    if path.name in EXPECTED_STEP:
        assert t.report.time.median_step_text == EXPECTED_STEP[path.name]
    if path.name == "sm_sunspots_yearly.csv":  # years written as numbers in a 'year' column
        assert t.time_column == "year" and t.times[0] == np.datetime64("1700-01-01")
    if path.name == "sm_macrodata_quarterly.csv":
        assert t.report.time.gaps == 0 and len(t.numeric_columns) == 12
    r = inspect_csv(path)
    assert r.ok and r.error is None
    assert "very_short" not in r.warning_codes


@pytest.mark.parametrize("path", [p for p in real_files() if "glucose" in p.name], ids=file_id)
def test_glucose_is_irregular_with_gaps_and_repeats(path):
    t = load_csv(path)
    ref = pd.read_csv(path)
    tr = t.report.time
    stamps = pd.to_datetime(ref.iloc[:, 0])
    repeats = int(stamps.duplicated().sum())  # pandas' own count of repeated times
    assert tr.median_step == 300 and tr.gaps > 100 and tr.largest_gap > 86400
    assert tr.duplicates == repeats == 3 and len(t.frame) == len(ref) - repeats
    isig = t.report.column("isig")
    nil = int((ref["isig"].astype(str).str.strip().str.lower() == "nil").sum())
    assert isig.missing == nil == 1061  # the "nil" cells
    msg = [w.message for w in t.report.warnings if w.code == "missing_values"][0]
    assert f"'isig': {nil:,} (first on line" in msg and "in all" not in msg


@pytest.mark.parametrize(
    "path", [p for p in real_files() if "seattle_temps" in p.name], ids=file_id
)
def test_seattle_hourly_has_its_daylight_saving_gap(path):
    t = load_csv(path)
    tr = t.report.time
    assert tr.gaps == 1 and tr.largest_gap == 7200 and tr.largest_gap_after == "2010-03-14 02:00"
    msg = [w.message for w in t.report.warnings if w.code == "irregular_gaps"][0]
    assert "daylight saving" in msg


@pytest.mark.parametrize(
    "path", [p for p in real_files() if "seattle_weather" in p.name], ids=file_id
)
def test_seattle_weather_text_column(path):
    t = load_csv(path)
    assert t.numeric_columns == ("precipitation", "temp_max", "temp_min", "wind")
    assert t.report.column("weather").kind == "text"
    assert "text_columns" in t.report.warning_codes
