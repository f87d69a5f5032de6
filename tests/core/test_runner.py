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
        run_csv(src, _run(seed=1), out, figures=False, overwrite=True)
    monkeypatch.undo()
    assert "No space left" in err.value.message
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # nothing changed, no temporary file left
    load_model(out)  # the previous model is still loadable


def test_forecast_csv_writes_dates_and_numbers_that_read_back(done):
    src, result = done
    raw = pd.read_csv(src)
    text = (result.folder / "forecast.csv").read_text().splitlines()
    s = result.data.series
    first = text[1].split(",")
    assert first[0] == raw["day"].iloc[s.train_end]  # daily data: the date, nothing more
    assert "T00:00:00" not in "".join(text)
    for line in text[1:]:
        for cell in line.split(",")[2:]:
            if cell:
                digits = cell.lstrip("-").replace(".", "").lstrip("0").split("e")[0]
                assert len(digits) <= 10, cell
    table = pd.read_csv(result.folder / "forecast.csv")
    # the file's own values come back exactly; the model's to 10 significant digits
    assert (table["actual"].to_numpy() == raw["sales"].to_numpy()[s.train_end:]).all()
    np.testing.assert_allclose(table["one_step"], result.held.one_step[:, 0], rtol=1e-9)


def test_forecast_csv_keeps_the_time_of_day(tmp_path):
    n = 120
    src = tmp_path / "h.csv"
    pd.DataFrame({"when": pd.date_range("2023-01-01 00:30", periods=n, freq="h")
                  .strftime("%Y-%m-%d %H:%M"),
                  "y": np.sin(np.arange(n) / 5)}).to_csv(src, index=False)
    result = run_csv(src, _run(), tmp_path / "out", figures=False)
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    row = result.data.series.train_end
    expected = (pd.Timestamp("2023-01-01 00:30") + pd.Timedelta(hours=row)).isoformat()
    assert table["time"].iloc[0] == expected


def test_model_json_names_the_step_and_epoch_training_ended_at(done):
    _, result = done
    extra = json.loads((result.folder / "model.json").read_text())["extra"]
    batches = -(-result.data.train.n // 32)  # ceil: batch size 32 in _run()
    assert extra["epoch"] == 2 and extra["step"] == 2 * batches


def test_loader_warnings_and_preparation_notes_reach_the_metrics(tmp_path):
    src = tmp_path / "p.csv"
    plain = _csv(tmp_path / "plain.csv").read_text()
    src.write_text("Exported by a logger\n\n" + plain)
    result = run_csv(src, _run(), tmp_path / "out", figures=False)
    assert any("not part of the table" in w for w in result.warnings)
    notes = json.loads((tmp_path / "out" / "metrics.json").read_text())["notes"]
    assert notes[0] == result.warnings[0]
    assert any(n.startswith("Target: sales") for n in notes)  # prepare_series's own note


# ---------------------------------------------------------------- the output folder
def test_out_folder_is_created_and_removed_again_when_unused(tmp_path):
    from rnnviz.core.runner import check_out_folder, remove_created

    out = tmp_path / "a" / "b"
    created = check_out_folder(out)
    assert out.is_dir() and created == [tmp_path / "a", out]
    assert list(out.iterdir()) == []  # the test file is gone
    remove_created(created)
    assert not (tmp_path / "a").exists()
    assert check_out_folder(tmp_path) == []  # an existing folder: nothing created


def test_out_folder_problems_are_named(tmp_path, monkeypatch):
    from rnnviz.core import runner
    from rnnviz.core.errors import RnnvizError

    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(RnnvizError) as err:
        runner.check_out_folder(f)
    assert err.value.code == "out_is_file"
    with pytest.raises(RnnvizError) as err:
        runner.check_out_folder(f / "sub" / "run")
    assert err.value.code == "out_not_creatable" and str(f) in err.value.message

    for code, errnum, words in (("out_not_writable", errno.EACCES, "you can write to"),
                                ("out_disk_full", errno.ENOSPC, "disk space")):
        def refuse(path, mode="r", *a, errnum=errnum, **k):
            raise OSError(errnum, os.strerror(errnum))

        monkeypatch.setattr(runner, "open", refuse, raising=False)
        with pytest.raises(RnnvizError) as err:
            runner.check_out_folder(tmp_path / "new" / "run")
        monkeypatch.undo()
        assert err.value.code == code and words in err.value.message
        assert not (tmp_path / "new").exists()  # what it created is removed again


def test_a_split_without_validation_is_refused_before_loading(tmp_path):
    from rnnviz.core.errors import ConfigError

    run = _run().replace(data=DataConfig(lookback=8, split=(0.9, 0.0, 0.1)))
    with pytest.raises(ConfigError) as err:
        run_csv(tmp_path / "does_not_exist.csv", run, tmp_path / "out")
    assert err.value.code == "no_validation_part"
    assert not (tmp_path / "out").exists()
