"""``rnnviz trace``: a saved model and a CSV in, a Trace .npz out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from rnnviz.cli import main
from rnnviz.core.checkpoint import save_model
from rnnviz.core.config import DataConfig, ModelConfig, RunConfig
from rnnviz.core.models import build_model
from rnnviz.core.series import prepare_series
from rnnviz.core.trace import GATE_NAMES, load_trace

N, LOOKBACK, HORIZON = 200, 8, 2


def _frame(shift: float = 0.0) -> pd.DataFrame:
    t = np.arange(N)
    return pd.DataFrame({
        "time": pd.date_range("2024-01-01", periods=N, freq="D"),
        "load": np.sin(t / 5.0) * 10 + 50 + shift,
        "temp": np.cos(t / 7.0) * 3 + 15,
    })


@pytest.fixture()
def model_dir(tmp_path):
    data = DataConfig(time_column="time", target="load", inputs=("temp",), lookback=LOOKBACK,
                      horizon=HORIZON)
    run = RunConfig(data=data, model=ModelConfig(cell="lstm", hidden=4, layers=2))
    series = prepare_series(_frame(), data)
    torch.manual_seed(0)
    model = build_model(run.model, 2, HORIZON, 1)
    folder = tmp_path / "model"
    save_model(folder, model, run, scaler=series.scaler.to_dict(),
               feature_names=series.feature_names, target_names=series.target_names,
               extra={"epoch": 3, "step": 120})
    return folder, series.scaler.to_dict()


def _csv(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "new.csv"
    frame.to_csv(path, index=False)
    return path


def test_windows_from_the_test_part_scaled_with_the_saved_scaler(tmp_path, model_dir, capsys):
    folder, scaler = model_dir
    frame = _frame(shift=100.0)  # a refitted scaler would centre this near 0 again
    csv = _csv(tmp_path, frame)
    out = tmp_path / "sub" / "trace.npz"
    assert main(["trace", str(folder), str(csv), "--windows", "3", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    tr = load_trace(out)
    starts = tr.window_start
    assert len(starts) == 3
    # Test part = rows from 85 % of the file; a window belongs where its first target lies.
    assert starts[0] + LOOKBACK >= int(0.85 * N) - 1
    assert starts[-1] == N - (LOOKBACK - 1) - HORIZON - 1  # the last complete window
    assert np.all(np.diff(starts) > 0)
    raw = frame[["load", "temp"]].to_numpy()
    expected = (raw - np.array(scaler["offset"])) / np.array(scaler["scale"])
    for w, s in enumerate(starts):
        np.testing.assert_allclose(tr.inputs[w], expected[s:s + LOOKBACK], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(tr.target[w, :, 0], expected[s + LOOKBACK:s + LOOKBACK + HORIZON, 0],
                                   rtol=1e-5, atol=1e-5)
    assert tr.inputs[:, :, 0].mean() > 10  # still shifted: not re-standardised
    assert tr.cell_type == "lstm" and tr.hidden.shape == (2, 3, LOOKBACK, 4)
    assert set(tr.gates) == set(GATE_NAMES["lstm"]) and tr.grad_cell.shape == (2, 3, LOOKBACK)
    assert (tr.epoch, tr.step) == (3, 120)
    assert tr.feature_names == ("load", "temp")
    with np.load(out, allow_pickle=False) as z:
        for name in ("inputs", "hidden", "cell", "gate_forget", "grad_hidden", "grad_cell",
                     "influence", "saturation_input", "prediction", "target", "window_start"):
            assert name in z.files


def test_at_picks_the_window_ending_at_or_before_the_time(tmp_path, model_dir):
    folder, _ = model_dir
    csv = _csv(tmp_path, _frame())
    out = tmp_path / "at.npz"
    # 2024-03-01 is row 60 (31 days of January + 29 of February); 12:00 is after it.
    assert main(["trace", str(folder), str(csv), "--at", "2024-03-01 12:00", "--out", str(out)]) == 0
    tr = load_trace(out)
    assert tr.window_start.tolist() == [60 - (LOOKBACK - 1)]
    assert tr.inputs.shape == (1, LOOKBACK, 2)


def test_problems_are_reported_in_words(tmp_path, model_dir, capsys):
    folder, _ = model_dir
    out = str(tmp_path / "x.npz")
    csv = _csv(tmp_path, _frame())
    assert main(["trace", str(folder), str(csv), "--at", "2023-01-01", "--out", out]) == 2
    assert "No complete window" in capsys.readouterr().err
    assert main(["trace", str(folder), str(csv), "--at", "not a time", "--out", out]) == 2
    assert "not a date" in capsys.readouterr().err
    missing = _csv(tmp_path, _frame().drop(columns=["temp"]))
    assert main(["trace", str(folder), str(missing), "--out", out]) == 2
    assert "temp" in capsys.readouterr().err
    assert main(["trace", str(tmp_path / "nowhere"), str(csv), "--out", out]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["trace", str(folder), str(csv), "--windows", "0", "--out", out]) == 2
    assert not (tmp_path / "x.npz").exists()


def test_a_trained_model_names_its_step_and_epoch(tmp_path):
    csv = _csv(tmp_path, _frame())
    folder = tmp_path / "trained"
    # 140 training rows give fewer than 256 windows: one batch per epoch, so 3 epochs = 3 steps
    assert main(["train", str(csv), "--out", str(folder), "--epochs", "3", "--batch", "256",
                 "--hidden", "4", "--lookback", str(LOOKBACK), "--quiet", "--no-figures"]) == 0
    out = tmp_path / "t.npz"
    assert main(["trace", str(folder), str(csv), "--windows", "1", "--out", str(out)]) == 0
    tr = load_trace(out)
    assert (tr.epoch, tr.step) == (3, 3)
    with np.load(out, allow_pickle=False) as z:
        meta = json.loads(bytes(z["meta_json"]).decode())
    assert (meta["epoch"], meta["step"]) == (3, 3)


def test_folders_with_the_numbers_only_in_the_training_summary_still_name_them(tmp_path):
    data = DataConfig(time_column="time", target="load", inputs=("temp",), lookback=LOOKBACK,
                      horizon=HORIZON)
    run = RunConfig(data=data, model=ModelConfig(cell="gru", hidden=4))
    series = prepare_series(_frame(), data)
    torch.manual_seed(0)
    folder = tmp_path / "old"
    save_model(folder, build_model(run.model, 2, HORIZON, 1), run,
               scaler=series.scaler.to_dict(), feature_names=series.feature_names,
               target_names=series.target_names,
               extra={"training": {"steps": 50, "epochs_run": 2, "best_epoch": 1}})
    out = tmp_path / "o.npz"
    assert main(["trace", str(folder), str(_csv(tmp_path, _frame())), "--out", str(out)]) == 0
    tr = load_trace(out)
    assert (tr.epoch, tr.step) == (2, 50)


def test_every_saved_array_is_in_the_documented_table(tmp_path, model_dir):
    import rnnviz.core.trace as trace_module

    folder, _ = model_dir
    out = tmp_path / "t.npz"
    assert main(["trace", str(folder), str(_csv(tmp_path, _frame())), "--out", str(out)]) == 0
    doc = trace_module.__doc__
    with np.load(out, allow_pickle=False) as z:
        for name in z.files:
            pattern = name
            for prefix in ("gate_", "saturation_"):
                if name.startswith(prefix):
                    pattern = prefix + "<name>"
            assert f"``{pattern}``" in doc, name


def test_help_says_the_csv_is_required_and_why(capsys):
    with pytest.raises(SystemExit):
        main(["trace", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "FILE.csv" in text and "required" in text and "lookback rows" in text


def test_an_existing_trace_file_is_kept_unless_overwrite(tmp_path, model_dir, capsys):
    folder, _ = model_dir
    csv = _csv(tmp_path, _frame())
    out = tmp_path / "trace.npz"
    out.write_bytes(b"an earlier trace")
    assert main(["trace", str(folder), str(csv), "--windows", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"The file {out} already exists" in err and "--overwrite" in err
    assert out.read_bytes() == b"an earlier trace"
    assert main(["trace", str(folder), str(csv), "--windows", "1", "--out", str(out),
                 "--overwrite"]) == 0
    assert load_trace(out).hidden.shape[1] == 1  # (L, W, T, H): one window
