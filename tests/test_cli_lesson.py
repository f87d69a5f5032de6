"""``rnnviz lesson``: list, run every lesson headless with the quick budget, clear errors."""

from __future__ import annotations

import json

import pytest

from rnnviz.cli import main
from rnnviz.core.lessons import list_lessons

PNG = b"\x89PNG\r\n\x1a\n"
NAMES = [lesson.name for lesson in list_lessons()]


def test_list_prints_every_lesson(capsys):
    assert main(["lesson", "--list"]) == 0
    out = capsys.readouterr().out
    for lesson in list_lessons():
        assert lesson.name in out and lesson.title in out


@pytest.mark.parametrize("name", NAMES)
def test_every_lesson_runs_headless_with_the_quick_budget(name, tmp_path, capsys):
    out = tmp_path / name
    assert main(["lesson", name, "--out", str(out), "--quick", "--quiet"]) == 0
    lesson = next(x for x in list_lessons() if x.name == name)
    doc = json.loads((out / "results.json").read_text())
    assert doc["lesson"] == name and doc["quick"] is True
    assert [m["label"] for m in doc["models"]] == list(lesson.labels)
    for m in doc["models"]:
        assert m["epochs_run"] >= 1
        assert m["test_mse"] is None or m["test_mse"] >= 0
        assert "gradient_ratio" in m and "seconds_per_epoch" in m
        assert m["final_train_loss"] is not None
    quick = lesson.quick_version()
    assert doc["settings"]["train"]["epochs"] == quick.train.epochs
    for fig in ("loss.png", "gradients.png", "forecast.png"):
        assert (out / fig).read_bytes()[:8] == PNG, fig
    if "horizon" in lesson.views:
        assert (out / "horizon.png").read_bytes()[:8] == PNG
    assert len(list(out.glob("history_*.csv"))) == len(lesson.runs)
    assert "results.json" in capsys.readouterr().out


def test_results_json_matches_the_history_files(tmp_path):
    out = tmp_path / "r"
    assert main(["lesson", "adding_problem", "--out", str(out), "--quick", "--quiet",
                 "--set", "length=12"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["values"]["length"] == 12
    assert doc["settings"]["data"]["params"]["length"] == 12
    # the per-epoch CSV and results.json come from the same run
    import csv

    for i, m in enumerate(doc["models"], start=1):
        f = next(out.glob(f"history_{i}_*.csv"))
        rows = list(csv.DictReader(f.open()))
        assert len(rows) == m["epochs_run"]
        assert float(rows[-1]["train_loss"]) == pytest.approx(m["final_train_loss"], rel=1e-9)
        assert len(m["grad_per_step"]) == 12


@pytest.mark.parametrize("argv, words", [
    (["lesson", "no_such_lesson", "--out", "X"], "no lesson called 'no_such_lesson'"),
    (["lesson", "adding_problem", "--out", "X", "--set", "length"], "NAME=VALUE"),
    (["lesson", "adding_problem", "--out", "X", "--set", "length=3"], "from 4 to 200"),
    (["lesson", "adding_problem", "--out", "X", "--set", "colour=3"], "no parameter 'colour'"),
    (["lesson", "adding_problem"], "--out"),
    (["lesson"], "--list"),
])
def test_bad_input_exits_2_with_a_message(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
