"""The loader on real files: the bundled samples and every series in ../shared/datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.csvload import inspect_csv, load_csv

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "resources" / "data"
SHARED = ROOT.parent / "shared" / "datasets"  # CI checks out shared/ beside the repository


def shared_files() -> list[Path]:
    return sorted(SHARED.glob("*.csv"))


def test_shared_datasets_are_there():
    assert len(shared_files()) >= 10, f"expected the real series in {SHARED}"


@pytest.mark.parametrize(
    "path", shared_files() + sorted(BUNDLED.glob("*.csv")), ids=lambda p: p.name
)
def test_every_real_file_loads(path):
    t = load_csv(path)
    ref = pd.read_csv(path)  # these files are clean enough for plain pandas: compare with it
    assert len(t.numeric_columns) >= 1
    same_rows = t.report.time is None or (t.report.time.sorted and t.report.time.duplicates == 0)
    if same_rows:  # the glucose file has repeated times, merged by the loader
        for name in t.numeric_columns:
            want = pd.to_numeric(ref[name], errors="coerce").to_numpy(dtype=float)
            np.testing.assert_allclose(t.frame[name].to_numpy(), want, equal_nan=True)
    if t.time_column is not None:
        assert t.frame[t.time_column].is_monotonic_increasing
        assert t.frame[t.time_column].dtype == np.dtype("datetime64[ns]")
    r = inspect_csv(path)
    assert r.ok and r.error is None


def test_glucose_is_irregular_with_gaps_and_repeats():
    t = load_csv(SHARED / "bokeh_glucose_5min.csv")
    tr = t.report.time
    assert tr.median_step == 300 and tr.gaps > 100 and tr.largest_gap > 86400
    assert tr.duplicates == 3 and len(t.frame) == 52281 - 3
    isig = t.report.column("isig")
    assert isig.missing == 1061  # the "nil" cells
    assert "missing_values" in t.report.warning_codes


def test_seattle_hourly_has_its_daylight_saving_gap():
    t = load_csv(SHARED / "vega_seattle_temps_hourly.csv")
    tr = t.report.time
    assert tr.gaps == 1 and tr.largest_gap == 7200 and tr.largest_gap_after == "2010-03-14 02:00"
    msg = [w.message for w in t.report.warnings if w.code == "irregular_gaps"][0]
    assert "daylight saving" in msg


def test_seattle_weather_text_column():
    t = load_csv(SHARED / "vega_seattle_weather_daily.csv")
    assert t.numeric_columns == ("precipitation", "temp_max", "temp_min", "wind")
    assert t.report.column("weather").kind == "text"
    assert "text_columns" in t.report.warning_codes


def test_yearly_series_use_their_year_column():
    t = load_csv(SHARED / "sm_sunspots_yearly.csv")
    assert t.time_column == "year" and t.report.time.median_step_text == "1 year"
    assert t.times[0] == np.datetime64("1700-01-01")


def test_monthly_and_quarterly_steps():
    assert (
        load_csv(SHARED / "pm_airpassengers_monthly.csv").report.time.median_step_text == "1 month"
    )
    q = load_csv(SHARED / "sm_macrodata_quarterly.csv")
    assert q.report.time.median_step_text == "1 quarter" and q.report.time.gaps == 0
    assert len(q.numeric_columns) == 12
