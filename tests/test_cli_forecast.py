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


@pytest.fixture(scope="module")
def monthly_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("monthly")
    src = tmp / "m.csv"
    n = 72
    pd.DataFrame({"month": pd.date_range("1955-01-01", periods=n, freq="MS").strftime("%Y-%m-%d"),
                  "y": 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 12)}).to_csv(src, index=False)
    out = tmp / "model"
    assert main(["train", str(src), "--out", str(out), "--epochs", "1", "--hidden", "4",
                 "--lookback", "6", "--quiet", "--no-figures"]) == 0
    return src, out


def test_monthly_forecast_writes_dates_and_ten_digit_numbers(monthly_dir, tmp_path, capsys):
    src, folder = monthly_dir
    out = tmp_path / "f.csv"
    assert main(["forecast", str(folder), "--steps", "14", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "time,y"
    # the data end in 1960-12: the forecast continues on the first of each month
    assert [ln.split(",")[0] for ln in lines[1:4]] == ["1961-01-01", "1961-02-01", "1961-03-01"]
    assert lines[-1].startswith("1962-02-01,")
    for line in lines[1:]:
        cell = line.split(",")[1]
        digits = cell.lstrip("-").replace(".", "").lstrip("0").split("e")[0]
        assert 1 <= len(digits) <= 10, cell
    raw = pd.read_csv(src)["y"].to_numpy()[:, None]
    np.testing.assert_allclose(pd.read_csv(out)["y"], _reference(folder, raw, 14), rtol=1e-6)


def test_steps_past_2262_are_refused_without_a_raw_warning(monthly_dir, tmp_path, capsys):
    import warnings

    _, folder = monthly_dir
    out = tmp_path / "far.csv"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["forecast", str(folder), "--steps", "100000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    # 1961-01 .. 2262-04 is 301 years and 4 months: 3616 monthly steps fit
    assert "run past 2262-04-11" in err and "at most 3,616 steps fit" in err
    assert "Warning" not in err and err.count("\n") == 1
    assert not [w for w in seen if issubclass(w.category, RuntimeWarning)]
    assert not out.exists()


def test_the_most_steps_that_fit_are_written_without_nat(monthly_dir, tmp_path):
    _, folder = monthly_dir
    out = tmp_path / "far.csv"
    assert main(["forecast", str(folder), "--steps", "3616", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert table["time"].iloc[-1] == "2262-04-01"
    assert table["time"].notna().all() and table["y"].notna().all()


def test_steps_are_capped(model_dir, tmp_path, capsys):
    _, folder = model_dir
    assert main(["forecast", str(folder), "--steps", "100001",
                 "--out", str(tmp_path / "f.csv")]) == 2
    assert "--steps must be from 1 to 100,000; got 100,001." in capsys.readouterr().err


def test_an_existing_forecast_file_is_kept_unless_overwrite(model_dir, tmp_path, capsys):
    _, folder = model_dir
    out = tmp_path / "f.csv"
    out.write_text("my earlier forecast\n")
    assert main(["forecast", str(folder), "--steps", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"The file {out} already exists" in err and "--overwrite" in err
    assert out.read_text() == "my earlier forecast\n"
    assert main(["forecast", str(folder), "--steps", "3", "--out", str(out), "--overwrite"]) == 0
    assert len(pd.read_csv(out)) == 3


def test_a_folder_as_the_forecast_file_is_named(model_dir, tmp_path, capsys):
    _, folder = model_dir
    assert main(["forecast", str(folder), "--steps", "3", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and "forecast.csv" in err and "Traceback" not in err
