"""The bundled sample catalogue: files present, sourced, and usable with their defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.config import DataConfig
from rnnviz.core.errors import DataError
from rnnviz.core.samples import DEFAULT_SAMPLE, SAMPLES, get_sample, list_samples
from rnnviz.core.series import build_windows, prepare_series
from tests.conftest import DATA

SOURCES = (DATA / "SOURCES.md").read_text(encoding="utf-8")


def test_every_bundled_csv_is_catalogued_and_sourced():
    files = sorted(p.name for p in DATA.glob("*.csv"))
    assert files == sorted(s.file for s in list_samples())
    for name in files:
        line = next((ln for ln in SOURCES.splitlines() if ln.startswith(f"| {name} ")), None)
        assert line is not None, f"{name} has no line in SOURCES.md"
        assert any(word in line for word in ("public domain", "licen")), name


def test_required_kinds_of_series_are_bundled():
    for name in ("co2_weekly", "airline_passengers", "electricity_halfhourly",
                 "seattle_weather_daily", "glucose_5min", "seattle_temps_hourly"):
        assert name in SAMPLES
    assert DEFAULT_SAMPLE in SAMPLES
    assert len(SAMPLES["seattle_weather_daily"].inputs) >= 2  # multivariate


def test_files_stay_small():
    for s in list_samples():
        assert s.path().stat().st_size < 2_000_000, s.file


@pytest.mark.parametrize("name", list(SAMPLES))
def test_sample_defaults_prepare_and_window(name):
    s = get_sample(name)
    assert s.path().is_file()
    raw = pd.read_csv(s.path())  # plain pandas, independent of read_frame
    assert len(raw) == s.rows
    for col in (s.time_column, s.target, *s.inputs):
        assert col in raw.columns
    frame = s.read_frame()
    cfg = s.data_config()
    assert isinstance(cfg, DataConfig) and cfg.target == s.target
    series = prepare_series(frame, cfg)
    splits = build_windows(series, cfg)
    assert series.feature_names[0] == s.target
    for part in splits.parts().values():
        assert len(part) > 0
        assert np.isfinite(part.X).all() and np.isfinite(part.Y).all()


def test_data_config_overrides():
    s = get_sample("co2_weekly")
    cfg = s.data_config(lookback=10, horizon=4)
    assert (cfg.lookback, cfg.horizon, cfg.target) == (10, 4, "co2")


def test_lookup_by_file_name_and_unknown_names():
    assert get_sample("co2_weekly.csv").name == "co2_weekly"
    with pytest.raises(DataError) as err:
        get_sample("sunspots")
    assert "co2_weekly" in err.value.message


def test_co2_keeps_its_empty_weeks_for_the_interpolation_demo():
    frame = get_sample("co2_weekly").read_frame()
    assert frame["co2"].isna().sum() == 59


def test_a_sample_is_recognised_by_its_file_however_named(tmp_path, monkeypatch):
    from rnnviz.core.samples import sample_for_path

    for s in list_samples():
        assert sample_for_path(s.path()) is s
        assert sample_for_path(str(s.path())) is s
    monkeypatch.chdir(DATA)
    assert sample_for_path("airline_passengers.csv").name == "airline_passengers"
    assert sample_for_path("../data/co2_weekly.csv").name == "co2_weekly"
    link = tmp_path / "link.csv"
    link.symlink_to(DATA / "co2_weekly.csv")
    assert sample_for_path(link).name == "co2_weekly"  # the same file
    copy = tmp_path / "co2_weekly.csv"
    copy.write_bytes((DATA / "co2_weekly.csv").read_bytes())
    assert sample_for_path(copy) is None  # a copy is the user's own file
    assert sample_for_path(tmp_path / "missing.csv") is None
