"""The TF deck's sine-wave exercise (shared/seeds/004): train on the first part, then forecast
a whole held-out period recursively, each prediction fed back as the next input."""

from __future__ import annotations

import math

import numpy as np

from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.events import ForecastReady
from rnnviz.core.series import build_windows, prepare_series
from rnnviz.core.tasks import sine_wave
from rnnviz.core.training import make_model, train


def test_recursive_sine_forecast_over_a_full_period_stays_within_a_tenth_of_the_amplitude():
    amplitude = 1.0
    df = sine_wave(amplitude=amplitude)  # t = 0, 0.1, ..., 50; one period = 2*pi/0.1 rows
    cfg = DataConfig(time_column="t", lookback=50, split=(0.75, 0.1, 0.15))
    series = prepare_series(df, cfg)
    data = build_windows(series, cfg)
    run = RunConfig(data=cfg, model=ModelConfig(cell="lstm", hidden=32),
                    train=TrainConfig(epochs=40, lr=0.005, batch_size=32, seed=0,
                                      probe_every_seconds=None))
    model = make_model(data, run)
    forecasts = [e for e in train(data, run, model=model) if isinstance(e, ForecastReady)]
    final = forecasts[-1]
    period = int(round(2 * math.pi / 0.1))
    te = series.train_end
    assert final.index[0] == te  # the recursive forecast starts where training ends
    assert final.index.size >= period
    t = df["t"].to_numpy()[te:te + period]
    truth = amplitude * np.sin(t)  # computed here, not by the engine
    got = final.recursive[:period, 0].astype(np.float64)
    rmse = float(np.sqrt(np.mean((got - truth) ** 2)))
    assert rmse <= 0.1 * amplitude, rmse
