"""The catalogue of bundled real datasets (``resources/data``) with sensible defaults.

Every file is a real public series copied from ``shared/datasets``; ``resources/data/SOURCES.md``
keeps one source and licence line per file. Nothing is downloaded at run time.

The app opens :data:`DEFAULT_SAMPLE` (half-hourly electricity demand): on this 2-core machine
an LSTM (32 units, lookback 48) trains 10 epochs on it in under two seconds and beats the last-value
baseline by about 2.5x in RMSE on the test part, with a clear daily cycle to look at. The
trending series (airline passengers, CO2) are good lessons but make a poor first impression:
their test part lies above anything seen in training, so a freshly trained LSTM does worse
than the last-value baseline there (it has to extrapolate the level). CO2 has 59 empty weeks
and is the demo of interpolation; glucose has gaps and error cells and is the demo of the
"drop" policy.

Use :meth:`Sample.path` with the CSV loader, and :meth:`Sample.data_config` for the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rnnviz.core.config import DataConfig
from rnnviz.core.errors import DataError
from rnnviz.core.resources import data_path

__all__ = ["DEFAULT_SAMPLE", "SAMPLES", "Sample", "get_sample", "list_samples", "sample_for_path"]


@dataclass(frozen=True)
class Sample:
    """One bundled dataset and the settings it works well with.

    Attributes
    ----------
    name : str
        Short identifier (``rnnviz gui --sample NAME``).
    file : str
        File name under ``resources/data``.
    title : str
        One line for menus.
    time_column : str or None
        Time column name.
    target : str
        Default target column.
    inputs : tuple of str
        Default extra input columns.
    lookback, horizon : int
        Default window sizes.
    step_text : str
        The time step in words.
    rows : int
        Rows in the file (for menus; the loader counts them again).
    source : str
        Where the data come from, and the licence.
    description : str
        What the series shows and what it is good for.
    missing : str
        Default missing-value policy.
    resample : str or None
        Default resampling alias.
    na_values : tuple of str
        Cells that mean "missing" in this file (for :meth:`read_frame`).
    """

    name: str
    file: str
    title: str
    time_column: str | None
    target: str
    inputs: tuple[str, ...]
    lookback: int
    horizon: int
    step_text: str
    rows: int
    source: str
    description: str
    missing: str = "interpolate"
    resample: str | None = None
    na_values: tuple[str, ...] = ()

    def path(self) -> Path:
        """Location of the CSV file."""
        return data_path(self.file)

    def data_config(self, **overrides: Any) -> DataConfig:
        """Settings for this sample; keyword arguments replace single fields.

        Returns
        -------
        DataConfig
        """
        base = DataConfig(
            time_column=self.time_column,
            target=self.target,
            inputs=self.inputs,
            missing=self.missing,
            resample=self.resample,
            lookback=self.lookback,
            horizon=self.horizon,
        )
        return base.replace(**overrides) if overrides else base

    def read_frame(self) -> pd.DataFrame:
        """Read the file with plain pandas (for scripts and tests; the app uses the loader).

        Returns
        -------
        pandas.DataFrame
            The time column parsed as datetime64, ``na_values`` read as missing.
        """
        parse = [self.time_column] if self.time_column else False
        return pd.read_csv(self.path(), parse_dates=parse, na_values=list(self.na_values) or None)


_LIST = (
    Sample(
        name="electricity_halfhourly",
        file="electricity_halfhourly.csv",
        title="Electricity demand, England & Wales (half-hourly, summer 2000)",
        time_column="date",
        target="demand_mw",
        inputs=(),
        lookback=48,
        horizon=1,
        step_text="half-hourly",
        rows=4032,
        source="J. W. Taylor (2003), electricity demand in England and Wales, 5 June - 27 August "
        "2000; as redistributed with pmdarima (MIT licence).",
        description="Strong daily and weekly cycles; a day is 48 rows. Trains in seconds and "
        "beats the last-value baseline clearly. Try horizon 48 for a day ahead.",
    ),
    Sample(
        name="airline_passengers",
        file="airline_passengers.csv",
        title="Airline passengers (monthly, 1949-1960)",
        time_column="date",
        target="passengers",
        inputs=(),
        lookback=12,
        horizon=1,
        step_text="monthly",
        rows=144,
        source="Box & Jenkins, Time Series Analysis (1976), series G: international airline "
        "passengers in thousands; as redistributed with pmdarima (MIT licence).",
        description="The classic seasonal series with a growing trend; only 144 rows. The test "
        "years lie above all training values: a lesson in extrapolation.",
    ),
    Sample(
        name="co2_weekly",
        file="co2_weekly.csv",
        title="Mauna Loa CO2 (weekly, 1958-2001)",
        time_column="date",
        target="co2",
        inputs=(),
        lookback=52,
        horizon=1,
        step_text="weekly",
        rows=2284,
        source="Atmospheric CO2 at Mauna Loa (NOAA / Scripps), public domain; via "
        "statsmodels.datasets.co2.",
        description="A smooth yearly cycle on a rising trend; 59 empty weeks show how "
        "interpolation fills gaps.",
    ),
    Sample(
        name="seattle_weather_daily",
        file="seattle_weather_daily.csv",
        title="Seattle weather (daily, 2012-2015, several columns)",
        time_column="date",
        target="temp_max",
        inputs=("temp_min", "precipitation", "wind"),
        lookback=14,
        horizon=1,
        step_text="daily",
        rows=1461,
        source="NOAA daily weather for Seattle, public domain; via vega_datasets.",
        description="Multivariate: forecast the maximum temperature from two weeks of "
        "temperatures, rain and wind. The text column 'weather' is left out.",
    ),
    Sample(
        name="seattle_temps_hourly",
        file="seattle_temps_hourly.csv",
        title="Seattle temperature (hourly, 2010)",
        time_column="date",
        target="temp",
        inputs=(),
        lookback=48,
        horizon=1,
        step_text="hourly",
        rows=8759,
        source="NOAA hourly temperature for Seattle, public domain; via vega_datasets.",
        description="A daily cycle (24 rows) under the seasons; one hour is missing at the "
        "daylight-saving change in March.",
    ),
    Sample(
        name="glucose_5min",
        file="glucose_5min.csv",
        title="Blood glucose sensor (about every 5 minutes, 2010)",
        time_column="time",
        target="glucose",
        inputs=("isig",),
        lookback=36,
        horizon=6,
        step_text="about every 5 minutes (irregular)",
        rows=52281,
        source="Continuous glucose monitor readings, public domain; via bokeh_sampledata "
        "(bokeh.sampledata.glucose).",
        description="A real sensor: jittered time stamps, gaps up to a day, 'nil' error cells "
        "and 3 repeated times. Resampled to 5 minutes; windows touching gaps are dropped. "
        "Predicts 30 minutes (6 steps) ahead from 3 hours.",
        missing="drop",
        resample="5min",
        na_values=("nil",),
    ),
)

SAMPLES: dict[str, Sample] = {s.name: s for s in _LIST}
"""Bundled samples by name, in menu order."""

DEFAULT_SAMPLE = "electricity_halfhourly"
"""The sample the app opens first (see the module docstring for why)."""


def list_samples() -> tuple[Sample, ...]:
    """All bundled samples, in menu order."""
    return _LIST


def get_sample(name: str) -> Sample:
    """Look a sample up by name (or file name).

    Raises
    ------
    DataError
        For an unknown name; the message lists the known ones.
    """
    if name in SAMPLES:
        return SAMPLES[name]
    for s in _LIST:
        if name in (s.file, Path(s.file).stem):
            return s
    raise DataError(
        "unknown_sample",
        f"There is no bundled sample {name!r}. Samples: {', '.join(SAMPLES)}.",
    )


def sample_for_path(path: str | Path) -> Sample | None:
    """The bundled sample whose file ``path`` is, or None.

    The same file, however it is named (relative, absolute, through a link): the window and
    ``rnnviz train`` then both use the sample's recommended settings (:meth:`Sample.data_config`).
    A copy of the file elsewhere is not the sample.
    """
    try:
        target = Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    for s in _LIST:
        try:
            if s.path().resolve() == target:
                return s
        except (OSError, RuntimeError):
            continue
    return None
