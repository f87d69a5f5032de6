"""The headless pipeline: a CSV file in, a run folder out."""

from __future__ import annotations

import csv
import errno
import json
import os

import numpy as np
import pandas as pd
import pytest

from rnnviz.core.checkpoint import load_model
from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ModelFileError
from rnnviz.core.forecast import predict_windows
from rnnviz.core.runner import FIGURES, run_csv

PNG = b"\x89PNG\r\n\x1a\n"


def _csv(path, n=160, zero=False):
    t = np.arange(n)
    y = 20 + 3 * np.sin(2 * np.pi * t / 7) + 0.05 * t
    if zero:
        y[5] = 0.0
    pd.DataFrame({"day": pd.date_range("2022-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                  "sales": np.round(y, 4)}).to_csv(path, index=False)
    return path


def _run(seed=0):
    return RunConfig(data=DataConfig(lookback=8), model=ModelConfig(cell="gru", hidden=8),
                     train=TrainConfig(epochs=2, batch_size=32, seed=seed, probe_every_seconds=None))


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    src = _csv(tmp / "sales.csv")
    return src, run_csv(src, _run(), tmp / "out")


def test_folder_holds_every_file(done):
    _, result = done
    names = {p.name for p in result.folder.iterdir()}
    assert {"model.safetensors", "model.json", "settings.json", "history.csv", "metrics.json",
            "forecast.csv", *FIGURES} <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files left
    for fig in FIGURES:
        assert (result.folder / fig).read_bytes()[:8] == PNG


def test_settings_name_the_defaults_that_ran(done):
    _, result = done
    settings = json.loads((result.folder / "settings.json").read_text())
    run = RunConfig.from_dict(settings)
    assert run.data.target == "sales"  # the first numeric column
    assert run.data.time_column == "day"  # the detected time column
    assert run.model.cell == "gru"


def test_history_has_one_row_per_epoch(done):
    _, result = done
    rows = list(csv.reader(open(result.folder / "history.csv")))
    assert rows[0] == ["epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds"]
    assert [r[0] for r in rows[1:]] == ["1", "2"]


def test_metrics_have_model_and_baselines_for_validation_and_test(done):
    _, result = done
    metrics = json.loads((result.folder / "metrics.json").read_text())
    for split in ("validation", "test"):
        for name in ("one_step", "recursive", "naive", "seasonal_naive", "mean", "dense"):
            assert {"mae", "rmse", "mase", "smape", "mape"} <= set(metrics[split][name])
    assert metrics["target"] == "sales"
    assert metrics["training"]["epochs_run"] == 2


def test_forecast_csv_rows_are_the_held_out_rows_of_the_file(done):
    src, result = done
    raw = pd.read_csv(src)
    table = pd.read_csv(result.folder / "forecast.csv")
    assert list(table.columns) == ["time", "split", "actual", "one_step", "recursive", "naive",
                                   "seasonal_naive"]
    s = result.data.series
    n_held = len(raw) - s.train_end
    assert len(table) == n_held
    assert np.allclose(table["actual"], raw["sales"].to_numpy()[s.train_end:])
    assert np.allclose(table["naive"], raw["sales"].to_numpy()[s.train_end - 1:-1])  # previous row
    assert np.allclose(table["seasonal_naive"], raw["sales"].to_numpy()[s.train_end - 7:-7])
    assert table["split"].iloc[0] == "validation" and table["split"].iloc[-1] == "test"
    assert table["time"].iloc[0].startswith(raw["day"].iloc[s.train_end])
    assert table["recursive"].notna().all() and table["one_step"].notna().all()


def test_saved_model_predicts_like_the_trained_one(done):
    _, result = done
    loaded = load_model(result.folder)
    X = np.asarray(result.data.test.X)
    assert np.allclose(predict_windows(loaded.model, X), predict_windows(result.model, X), atol=1e-6)
    assert loaded.meta["extra"]["tail"]["n_rows"] == result.data.series.n_rows


def test_mape_is_left_out_when_the_series_touches_zero(tmp_path):
    src = _csv(tmp_path / "z.csv", zero=True)
    result = run_csv(src, _run(), tmp_path / "out", figures=False)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert "mape" not in metrics["test"]["one_step"]
    assert "mase" in metrics["test"]["one_step"]
    assert not (tmp_path / "out" / "loss.png").exists()
    assert result.files


def test_disk_full_during_save_keeps_the_previous_run(tmp_path, monkeypatch):
    src = _csv(tmp_path / "s.csv")
    out = tmp_path / "out"
    run_csv(src, _run(seed=0), out, figures=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(ModelFileError) as err:
        run_csv(src, _run(seed=1), out, figures=False)
    monkeypatch.undo()
    assert "No space left" in err.value.message
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # nothing changed, no temporary file left
    load_model(out)  # the previous model is still loadable
