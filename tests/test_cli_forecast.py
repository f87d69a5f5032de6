"""``rnnviz forecast``: the rows after the data, from a saved model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from rnnviz.cli import main
from rnnviz.core.checkpoint import load_model
from rnnviz.core.scaling import Scaler


def _csv(path, n=120, extra=False):
    t = np.arange(n)
    df = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                       "y": 5 + np.sin(2 * np.pi * t / 7)})
    if extra:
        df["x"] = np.cos(2 * np.pi * t / 7)
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fc")
    src = _csv(tmp / "d.csv")
    out = tmp / "model"
    assert main(["train", str(src), "--out", str(out), "--epochs", "2", "--hidden", "8",
                 "--lookback", "7", "--quiet", "--no-figures"]) == 0
    return src, out


def _reference(folder, raw, steps):
    """Independent window-mode loop on the saved model and scaler."""
    loaded = load_model(folder)
    sc = Scaler.from_dict(loaded.scaler)
    T = loaded.run.data.lookback
    rows = list(sc.transform(raw[-T:]).astype(np.float32))
    out = []
    with torch.no_grad():
        for _ in range(steps):
            y = loaded.model(torch.tensor(np.array(rows[-T:]))[None])[0][0, 0, 0].item()
            rows.append(np.array([y], dtype=np.float32))
            out.append(y)
    return sc.inverse_targets(np.array(out)[:, None])[:, 0]


def test_forecast_continues_the_training_data(model_dir, tmp_path, capsys):
    src, folder = model_dir
    out = tmp_path / "f.csv"
    assert main(["forecast", str(folder), "--steps", "5", "--out", str(out)]) == 0
    assert "wrote 5 forecast rows of y" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert list(table.columns) == ["time", "y"]
    assert [t[:10] for t in table["time"]] == ["2020-04-30", "2020-05-01", "2020-05-02",
                                              "2020-05-03", "2020-05-04"]
    raw = pd.read_csv(src)["y"].to_numpy()[:, None]
    assert np.allclose(table["y"], _reference(folder, raw, 5), atol=1e-4)


def test_forecast_from_a_file_uses_that_files_end(model_dir, tmp_path):
    src, folder = model_dir
    shorter = tmp_path / "short.csv"
    pd.read_csv(src).iloc[:100].to_csv(shorter, index=False)
    out = tmp_path / "f.csv"
    assert main(["forecast", str(folder), str(shorter), "--steps", "3", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert table["time"].iloc[0].startswith("2020-04-10")  # the day after row 99
    raw = pd.read_csv(shorter)["y"].to_numpy()[:, None]
    assert np.allclose(table["y"], _reference(folder, raw, 3), atol=1e-4)


def test_multivariate_model_holds_other_inputs_and_says_so(tmp_path, capsys):
    src = _csv(tmp_path / "m.csv", extra=True)
    folder = tmp_path / "model"
    assert main(["train", str(src), "--out", str(folder), "--inputs", "x", "--epochs", "1",
                 "--hidden", "4", "--lookback", "7", "--quiet", "--no-figures"]) == 0
    capsys.readouterr()
    assert main(["forecast", str(folder), "--steps", "2", "--out", str(tmp_path / "f.csv")]) == 0
    assert "held at their last known value" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--steps", "0"], "--steps"),
        (["{missing}", "--steps", "2"], ""),
    ],
)
def test_bad_forecast_input_exits_2(model_dir, tmp_path, capsys, extra, words):
    _, folder = model_dir
    argv = ["forecast", str(folder), *[a.format(missing=tmp_path / "none.csv") for a in extra],
            "--out", str(tmp_path / "f.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_not_a_model_folder_exits_2(tmp_path, capsys):
    assert main(["forecast", str(tmp_path), "--steps", "2", "--out", str(tmp_path / "f.csv")]) == 2
    assert "model.json" in capsys.readouterr().err


def test_file_without_the_models_columns_exits_2(model_dir, tmp_path, capsys):
    _, folder = model_dir
    other = tmp_path / "o.csv"
    pd.DataFrame({"date": ["2020-01-01", "2020-01-02"], "z": [1.0, 2.0]}).to_csv(other, index=False)
    assert main(["forecast", str(folder), str(other), "--steps", "2",
                 "--out", str(tmp_path / "f.csv")]) == 2
    assert "no column(s) y" in capsys.readouterr().err
