"""``rnnviz train``: a run folder from a CSV file, progress, and plain errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from rnnviz.cli import main
from rnnviz.commands.train import Progress
from rnnviz.core.events import BatchDone, EpochDone, Finished, Started


def _csv(path, n=150):
    t = np.arange(n)
    pd.DataFrame({
        "when": pd.date_range("2023-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M"),
        "label": ["a"] * n,
        "load": 50 + 10 * np.sin(2 * np.pi * t / 24),
        "temp": 10 + np.cos(2 * np.pi * t / 24),
    }).to_csv(path, index=False)
    return path


SMALL = ["--epochs", "2", "--hidden", "8", "--lookback", "6", "--batch", "32", "--quiet"]


def test_train_writes_the_folder_and_prints_test_metrics(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv")
    out = tmp_path / "run"
    code = main(["train", str(src), "--out", str(out), *SMALL, "--cell", "gru",
                 "--inputs", "temp", "--split", "0.6", "0.2", "0.2", "--seed", "3"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "test metrics (load, data units)" in captured.out
    assert "naive" in captured.out and "one_step" in captured.out
    settings = json.loads((out / "settings.json").read_text())
    assert settings["data"]["target"] == "load"  # the first numeric column
    assert settings["data"]["time_column"] == "when"
    assert settings["data"]["inputs"] == ["temp"]
    assert settings["data"]["split"] == [0.6, 0.2, 0.2]
    assert settings["model"]["cell"] == "gru" and settings["train"]["seed"] == 3
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["season"] == 24  # hourly data
    assert any("known values" in n for n in metrics["notes"])
    for name in ("model.safetensors", "model.json", "history.csv", "forecast.csv", "loss.png",
                 "forecast.png", "gates.png", "gradients.png"):
        assert (out / name).is_file(), name


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["missing.csv"], "no file"),
        (["{src}", "--target", "nope"], "no column 'nope'"),
        (["{src}", "--target", "label"], "Numeric columns"),
        (["{src}", "--lookback", "500"], "rows"),
        (["{src}", "--lr", "0"], "lr must be"),
        (["{src}", "--split", "0.5", "0.5", "0.5"], "split"),
    ],
)
def test_bad_input_is_one_paragraph_and_exit_2(tmp_path, capsys, args, words):
    src = _csv(tmp_path / "load.csv")
    argv = ["train", *[a.format(src=src) for a in args], "--out", str(tmp_path / "o"), "--quiet"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert words in err
    assert "Traceback" not in err
    assert err.startswith("rnnviz: ") and err.count("\n") == 1


def _events():
    return [
        Started(epochs=2, batches_per_epoch=2, n_train=10, n_val=3, n_test=3, device="cpu"),
        BatchDone(1, 1, 1, 0.5, 1.0, {}, 0.01),
        BatchDone(1, 2, 2, 0.4, 1.0, {}, 0.01),
        EpochDone(1, 2, 0.45, 0.6, 0.01, 1.0, 0.1, improved=True),
        BatchDone(2, 1, 3, 0.3, 1.0, {}, 0.01),
        BatchDone(2, 2, 4, 0.2, 1.0, {}, 0.01),
        EpochDone(2, 4, 0.25, 0.7, 0.01, 1.0, 0.1),
        Finished("completed", 2, 4, 1, 0.6, 0.3),
    ]


def test_progress_prints_plain_lines_when_not_a_terminal():
    buf = io.StringIO()
    p = Progress(buf, tty=False)
    for ev in _events():
        p(ev)
    text = buf.getvalue()
    assert "\r" not in text
    assert "epoch 1/2  train_loss 0.45  val_loss 0.6" in text and "(best)" in text
    assert "epoch 2/2" in text
    assert text.rstrip().endswith("best validation loss 0.6 at epoch 1")


def test_progress_draws_a_bar_with_eta_on_a_terminal():
    buf = io.StringIO()
    p = Progress(buf, tty=True)
    for ev in _events():
        p(ev)
    text = buf.getvalue()
    assert "\repoch 2/2 [" in text and "100%" in text and "ETA" in text
