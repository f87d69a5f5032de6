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


# ---------------------------------------------------------------- checks before training
def test_a_split_without_validation_is_refused_before_training(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv")
    out = tmp_path / "o"
    code = main(["train", str(src), "--out", str(out), *SMALL[:-1], "--split", "1", "0", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no validation part" in err and "--split" in err
    assert "training on" not in err and "unexpected" not in err
    assert not out.exists()


def test_a_split_without_test_part_scores_the_validation_part_and_says_so(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv")
    out = tmp_path / "o"
    code = main(["train", str(src), "--out", str(out), *SMALL, "--split", "0.8", "0.2", "0"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "validation metrics (load" in captured.out and "test metrics" not in captured.out
    assert "no test part" in captured.out
    metrics = json.loads((out / "metrics.json").read_text())
    assert "test" not in metrics and "validation" in metrics
    assert any("no test part" in n for n in metrics["notes"])
    table = pd.read_csv(out / "forecast.csv")
    assert set(table["split"]) == {"validation"}
    assert (out / "forecast.png").is_file()


@pytest.mark.parametrize("kind", ["file", "through_file"])
def test_an_unusable_out_is_refused_before_training(tmp_path, capsys, kind):
    src = _csv(tmp_path / "load.csv")
    blocker = tmp_path / "taken.csv"
    blocker.write_text("x\n")
    out = blocker if kind == "file" else blocker / "run"
    code = main(["train", str(src), "--out", str(out), *SMALL[:-1]])
    err = capsys.readouterr().err
    assert code == 2
    assert "training on" not in err  # nothing trained
    assert "disk space" not in err
    assert ("is an existing file, not a folder" in err if kind == "file"
            else f"{blocker} is a file" in err)
    assert blocker.read_text() == "x\n"


def _warning_csv(path):
    """Hourly data behind a 3-line preamble, with a repeated time and a 6-hour gap."""
    t = pd.date_range("2023-01-01", periods=150, freq="h").delete(range(60, 66))
    y = 50 + 10 * np.sin(np.arange(len(t)) / 4)
    df = pd.DataFrame({"when": t.strftime("%Y-%m-%d %H:%M"), "load": np.round(y, 3)})
    df = pd.concat([df.iloc[:30], df.iloc[[29]], df.iloc[30:]])
    with open(path, "w") as fh:
        fh.write("Station export\nCreated by logger v2\n\n")
        df.to_csv(fh, index=False)
    return path


def test_loader_warnings_go_to_stderr_once_and_into_the_notes(tmp_path, capsys):
    from rnnviz.core.csvload import inspect_csv

    src = _warning_csv(tmp_path / "w.csv")
    expected = [w.message for w in inspect_csv(src).warnings]
    codes = [w.code for w in inspect_csv(src).warnings]
    assert {"preamble_skipped", "duplicate_times"} <= set(codes)  # the file does its job
    out = tmp_path / "o"
    assert main(["train", str(src), "--out", str(out), *SMALL, "--no-figures"]) == 0
    err = capsys.readouterr().err
    lines = err.splitlines()
    for message in expected:
        assert lines.count(f"warning: {message}") == 1
    notes = json.loads((out / "metrics.json").read_text())["notes"]
    for message in expected:
        assert notes.count(message) == 1
    assert "Scaling (standard) fitted on the" in " ".join(notes)  # preparation notes too


def test_settings_that_do_nothing_get_a_note_and_upsampling_a_warning(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv")  # hourly
    out = tmp_path / "o"
    code = main(["train", str(src), "--out", str(out), *SMALL, "--no-figures", "--cell", "lstm",
                 "--nonlinearity", "relu", "--inputs", "load", "temp", "--resample", "30min"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "note: The nonlinearity 'relu' applies to the plain RNN (--cell rnn) only" in err
    assert "note: 'load' is the target" in err
    # 150 hourly rows at 30 minutes: 299 rows, 149 of them invented
    assert "warning: Resampling to 30min is finer than the data's own hourly step: 150 rows " \
           "became 299" in err
    settings = json.loads((out / "settings.json").read_text())
    assert settings["data"]["inputs"] == ["temp"]
    notes = json.loads((out / "metrics.json").read_text())["notes"]
    assert any(n.startswith("Resampling to 30min is finer") for n in notes)
    assert any("applies to the plain RNN" in n for n in notes)


def test_resampling_to_a_coarser_step_gives_no_warning(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv", n=300)
    code = main(["train", str(src), "--out", str(tmp_path / "o"), *SMALL, "--no-figures",
                 "--resample", "2h"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "finer than" not in err
    assert "warning: Column 'label' holds text" in err  # the loader's warnings still show


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["--batch", "0"], "rnnviz: --batch must be a whole number"),
        (["--clip-value", "0"], "rnnviz: --clip-value must be a number"),
        (["--weight-decay", "2"], "rnnviz: --weight-decay must be a number"),
        (["--forget-bias", "20"], "rnnviz: --forget-bias must be a number"),
        (["--split", "0.5", "0.5", "0.5"], "rnnviz: --split fractions must sum to 1"),
    ],
)
def test_messages_name_the_options_not_the_settings_fields(tmp_path, capsys, args, start):
    src = _csv(tmp_path / "load.csv")
    assert main(["train", str(src), "--out", str(tmp_path / "o"), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(start), err
    assert "batch_size" not in err and "clip_value" not in err and "weight_decay" not in err


def test_time_column_that_is_the_only_numeric_one_is_explained(tmp_path, capsys):
    src = tmp_path / "one.csv"
    pd.DataFrame({"month": pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%Y-%m-%d"),
                  "passengers": np.arange(60.0)}).to_csv(src, index=False)
    assert main(["train", str(src), "--out", str(tmp_path / "o"), "--time", "passengers"]) == 2
    err = capsys.readouterr().err
    assert "'passengers' is the only numeric column" in err and "nothing is" in err
    assert "'month'" in err  # names the detected time column


def test_threads_default_to_one_unless_given():
    from rnnviz.cli import build_parser
    from rnnviz.commands.train import build_run

    parser = build_parser(only="train")
    run = build_run(parser.parse_args(["train", "f.csv", "--out", "o"]))
    assert run.train.threads == 1
    run = build_run(parser.parse_args(["train", "f.csv", "--out", "o", "--threads", "2"]))
    assert run.train.threads == 2


# ---------------------------------------------------------------- the verdict on the baseline
def _rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def test_losing_to_the_last_value_is_said_in_plain_words(tmp_path, capsys):
    # A trending random walk: the last value is hard to beat; 1 epoch of a 2-unit LSTM is not.
    rng = np.random.default_rng(0)
    n = 200
    src = tmp_path / "walk.csv"
    pd.DataFrame({"day": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                  "y": np.cumsum(rng.normal(1.0, 0.2, n))}).to_csv(src, index=False)
    out = tmp_path / "o"
    assert main(["train", str(src), "--out", str(out), "--epochs", "1", "--hidden", "2",
                 "--lookback", "5", "--quiet", "--no-figures"]) == 0
    text = capsys.readouterr().out
    table = pd.read_csv(out / "forecast.csv")
    test = table[table["split"] == "test"]
    model, naive = _rmse(test["actual"], test["one_step"]), _rmse(test["actual"], test["naive"])
    assert model > naive  # the set-up really loses
    assert "worse than simply repeating the last value" in text
    assert f"{model:.4g} against {naive:.4g}" in text
    assert "--cell rnn --nonlinearity relu" in text and "differenced" in text
    notes = json.loads((out / "metrics.json").read_text())["notes"]
    assert any("worse than simply repeating the last value" in n for n in notes)


def test_no_verdict_when_the_model_beats_the_last_value():
    from rnnviz.core.runner import baseline_verdict

    def m(model, naive):
        return {"one_step": {"rmse": model}, "naive": {"rmse": naive}}

    assert baseline_verdict({"test": m(1.0, 2.0), "validation": m(5.0, 1.0)}) is None
    assert baseline_verdict({"test": m(2.0, 2.0)}) is None  # a tie is not a loss
    assert "test RMSE is 3 against 2" in baseline_verdict({"test": m(3.0, 2.0)})
    assert "validation RMSE is 3 against 2" in baseline_verdict({"validation": m(3.0, 2.0)})
    assert baseline_verdict({"test": {"one_step": {"rmse": None}, "naive": {"rmse": 1.0}}}) is None
    assert baseline_verdict({}) is None


# ---------------------------------------------------------------- docs
def _docs_block(title: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    start = text.index(f"## `{title}`\n\n```\n") + len(f"## `{title}`\n\n```\n")
    return text[start:text.index("```\n", start)]


@pytest.mark.parametrize("command", ["train", "forecast"])
def test_docs_synopsis_is_the_help_usage(monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "80")
    from rnnviz.cli import build_parser

    parser = build_parser(only=command)
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    assert _docs_block(f"rnnviz {command}") == sub.format_usage()


# ---------------------------------------------------------------- QA: saved work, samples, advice
def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_an_out_folder_holding_a_saved_model_is_refused_and_left_as_it_was(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv")
    out = tmp_path / "run"
    assert main(["train", str(src), "--out", str(out), *SMALL, "--no-figures"]) == 0
    before = _files(out)
    capsys.readouterr()
    code = main(["train", str(src), "--out", str(out), *SMALL, "--no-figures", "--seed", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"The folder {out} already holds a saved model" in err
    assert "--overwrite" in err and "new folder with --out" in err
    assert "Traceback" not in err and "training on" not in err  # refused before any work
    assert _files(out) == before  # nothing replaced, nothing added


def test_an_out_folder_holding_other_files_is_refused_too(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    assert main(["train", str(src), "--out", str(out), *SMALL, "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "already holds 1 file(s) (notes.txt)" in err and "--overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_overwrite_replaces_the_run_and_keeps_other_files(tmp_path, capsys):
    src = _csv(tmp_path / "load.csv")
    out = tmp_path / "run"
    assert main(["train", str(src), "--out", str(out), *SMALL, "--no-figures"]) == 0
    first = (out / "model.safetensors").read_bytes()
    (out / "loss.png").write_bytes(b"a figure of the first run")  # as a run with figures left
    (out / "notes.txt").write_text("my notes")
    assert main(["train", str(src), "--out", str(out), *SMALL, "--no-figures", "--seed", "1",
                 "--overwrite"]) == 0
    assert (out / "model.safetensors").read_bytes() != first  # seed 1: other weights
    assert json.loads((out / "settings.json").read_text())["train"]["seed"] == 1
    assert not (out / "loss.png").exists()  # not of this run: removed, no mixing of runs
    assert (out / "notes.txt").read_text() == "my notes"


def _electricity():
    from rnnviz.core.samples import get_sample

    return get_sample("electricity_halfhourly")


def _cli_run(argv):
    from rnnviz.cli import build_parser
    from rnnviz.commands.train import build_run, sample_settings

    args = build_parser(only="train").parse_args(["train", *argv])
    base, note = sample_settings(args.file, args)
    return build_run(args, base), note


def test_a_bundled_sample_trains_with_the_windows_settings(monkeypatch):
    s = _electricity()
    run, note = _cli_run([str(s.path()), "--out", "o"])
    assert run.data == s.data_config()  # what the window uses for this file
    assert run.data.lookback == 48
    assert "bundled sample 'electricity_halfhourly'" in note and "--lookback 48" in note
    # however the file is named: relative to the working folder
    monkeypatch.chdir(s.path().parents[2])
    run, _ = _cli_run(["resources/data/electricity_halfhourly.csv", "--out", "o"])
    assert run.data == s.data_config()


def test_options_given_replace_a_samples_settings():
    s = _electricity()
    run, note = _cli_run([str(s.path()), "--out", "o", "--lookback", "24"])
    assert run.data == s.data_config(lookback=24)
    assert "--lookback" not in note and "--target demand_mw" in note
    run, note = _cli_run([str(s.path()), "--out", "o", "--lookback", "24", "--time", "date",
                          "--target", "demand_mw"])
    assert run.data == s.data_config(lookback=24) and note is None  # nothing was applied


def test_a_copy_of_a_sample_is_a_plain_file(tmp_path):
    s = _electricity()
    copy = tmp_path / s.file
    copy.write_bytes(s.path().read_bytes())
    run, note = _cli_run([str(copy), "--out", "o"])
    assert run.data.lookback == 24 and note is None


def test_the_sample_note_is_printed_and_kept_in_the_metrics(tmp_path, capsys):
    s = _electricity()
    out = tmp_path / "o"
    assert main(["train", str(s.path()), "--out", str(out), "--epochs", "1", "--hidden", "4",
                 "--batch", "256", "--no-figures", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "note: electricity_halfhourly.csv is the bundled sample" in err
    settings = json.loads((out / "settings.json").read_text())
    assert settings["data"]["lookback"] == 48 and settings["data"]["target"] == "demand_mw"
    notes = json.loads((out / "metrics.json").read_text())["notes"]
    assert any("bundled sample" in n for n in notes)


def test_the_end_line_counts_batches_as_the_window_does():
    buf = io.StringIO()
    p = Progress(buf, tty=False)
    for ev in _events():
        p(ev)
    last = buf.getvalue().rstrip().splitlines()[-1]
    assert ", 4 batches in " in last and "steps" not in last


@pytest.mark.parametrize(("rule", "words"), [
    ("1x", "'1x' is not a resampling step"),
    ("0h", "not longer than zero"),
    ("1H", "write 1h"),
])
def test_a_bad_resample_step_gets_a_plain_message_with_examples(tmp_path, capsys, rule, words):
    src = _csv(tmp_path / "load.csv")
    assert main(["train", str(src), "--out", str(tmp_path / "o"), "--resample", rule,
                 *SMALL]) == 2
    err = capsys.readouterr().err
    assert words in err and "30min, 1h, 1D" in err
    for raw in ("KeyError", "ValueError", "Invalid frequency", "ZeroDivision", "unexpected"):
        assert raw not in err
    assert not (tmp_path / "o").exists()


def test_the_default_target_skips_a_row_counter(tmp_path, capsys):
    n = 400
    src = tmp_path / "steps.csv"
    pd.DataFrame({"step": np.arange(n), "x": np.sin(np.arange(n) / 7),
                  "y": np.cos(np.arange(n) / 9)}).to_csv(src, index=False, sep=" ")
    out = tmp_path / "o"
    assert main(["train", str(src), "--out", str(out), *SMALL, "--no-figures"]) == 0
    assert json.loads((out / "settings.json").read_text())["data"]["target"] == "x"
    err = capsys.readouterr().err
    assert "Target: x (the first numeric column that is not a row counter; skipped step" in \
        " ".join(json.loads((out / "metrics.json").read_text())["notes"])
    assert "warning: No column holds dates" in err
    assert main(["train", str(src), "--out", str(tmp_path / "o2"), *SMALL, "--no-figures",
                 "--target", "step"]) == 0  # still there when asked for
    assert json.loads((tmp_path / "o2" / "settings.json").read_text())["data"]["target"] == "step"


def _verdict_metrics(val_loss, mean_loss, rmse, mean_rmse, naive_rmse):
    return {"test": {"one_step": {"rmse": rmse}, "naive": {"rmse": naive_rmse},
                     "mean": {"rmse": mean_rmse}},
            "training": {"best_val_loss": val_loss, "baseline_val_losses": {"mean": mean_loss}}}


def test_far_worse_than_the_mean_advises_a_lower_learning_rate():
    from rnnviz.core.runner import baseline_verdict

    text = baseline_verdict(_verdict_metrics(3000.0, 1.0, 50.0, 1.0, 0.5), lr=5.0)
    assert "far worse than simply predicting the training mean" in text
    assert "3000 against 1" in text
    assert "learning rate 5 " in text and "--lr 0.5 (a tenth of it)" in text
    assert "relu" not in text  # not the advice for a model that is merely too simple
    # the one-step RMSE alone can say it (a loss that is not MSE, or no training summary)
    text = baseline_verdict(_verdict_metrics(None, None, 3.5, 1.0, 0.5), lr=0.01)
    assert "RMSE is 3.5 against 1 for the mean" in text and "--lr 0.001" in text
    # a run that diverged to infinity is far worse too
    assert "--lr 0.5" in baseline_verdict(_verdict_metrics(float("inf"), 1.0, 1e38, 1.0, 0.5),
                                          lr=5.0)
    # worse than the last value but near the mean: the old advice
    text = baseline_verdict(_verdict_metrics(2.0, 1.0, 1.2, 1.0, 0.5), lr=5.0)
    assert "repeating the last value" in text and "relu" in text and "--lr" not in text


def test_a_huge_learning_rate_is_named_after_a_real_run(tmp_path, capsys):
    n = 600
    t = np.arange(n)
    src = tmp_path / "sine.csv"
    pd.DataFrame({"t": pd.date_range("2020-01-01", periods=n, freq="h"),
                  "y": np.sin(2 * np.pi * t / 24)
                  + 0.1 * np.random.default_rng(0).standard_normal(n)}).to_csv(src, index=False)
    out = tmp_path / "o"
    assert main(["train", str(src), "--out", str(out), "--cell", "gru", "--lr", "5",
                 "--epochs", "2", "--no-figures", "--quiet"]) == 0
    text = capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    tr = metrics["training"]
    ratio_loss = tr["best_val_loss"] / tr["baseline_val_losses"]["mean"]
    ratio_rmse = metrics["test"]["one_step"]["rmse"] / metrics["test"]["mean"]["rmse"]
    assert ratio_loss >= 10 or ratio_rmse >= 3  # the set-up really is far worse than the mean
    assert "far worse than simply predicting the training mean" in text
    assert "--lr 0.5" in text and "relu" not in text
    assert any("--lr 0.5" in n for n in metrics["notes"])
