"""``rnnviz lesson``: list, run every lesson headless with the quick budget, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnviz.cli import main
from rnnviz.commands import lesson as lesson_cmd
from rnnviz.core.lessons import build_data, list_lessons

PNG = b"\x89PNG\r\n\x1a\n"
NAMES = [lesson.name for lesson in list_lessons()]
SIGMOID = ("input gate", "forget gate", "output gate", "reset gate", "update gate")


@pytest.fixture
def figures(monkeypatch):
    """Keep every figure the lesson command saves: ``{file name: Figure}``."""
    kept: dict[str, object] = {}
    save = lesson_cmd._save

    def keep(plt, fig, path):
        kept[path.name] = fig
        return save(plt, fig, path)

    monkeypatch.setattr(lesson_cmd, "_save", keep)
    return kept


def _layout_problems(fig) -> list[str]:
    """What is cut off or covered in a figure (an empty list when it reads well)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the command closed it: draw it again, off screen,
    fig.set_dpi(lesson_cmd.DPI)  # at the resolution of the file (text widths depend on it)
    canvas.draw()
    r = canvas.get_renderer()
    page = fig.bbox.padded(1.0)
    problems = []
    plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.axison]
    if fig._suptitle is not None and not page.contains(*fig._suptitle.get_window_extent(r).p1):
        problems.append("title cut off")
    for ax in fig.axes:
        box = ax.get_tightbbox(r)
        if box is not None and not (page.contains(*box.p0) and page.contains(*box.p1)):
            problems.append(f"'{ax.get_title()}' (its labels, legend or notes) cut off")
    for ax in plots:
        texts = [t for t in (ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts)
                 if t.get_visible() and t.get_text().strip()]
        legend = ax.get_legend()
        for other in plots:
            if legend is not None and legend.get_window_extent(r).overlaps(other.bbox):
                problems.append(f"legend of '{ax.get_title()}' covers the data of "
                                f"'{other.get_title()}'")
            if other is ax:
                continue
            for t in texts:
                if t.get_window_extent(r).overlaps(other.bbox):
                    problems.append(f"{t.get_text()!r} covers '{other.get_title()}'")
    return problems


def test_list_prints_every_lesson(capsys):
    assert main(["lesson", "--list"]) == 0
    out = capsys.readouterr().out
    for lesson in list_lessons():
        assert lesson.name in out and lesson.title in out


@pytest.mark.parametrize("name", NAMES)
def test_every_lesson_runs_headless_with_the_quick_budget(name, tmp_path, capsys, figures):
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
    # every figure reads: nothing cut off, no legend or note over a plot
    assert set(figures) >= {"loss.png", "gradients.png", "forecast.png"}
    for file, fig in figures.items():
        assert _layout_problems(fig) == [], file
    if "gates.png" in figures:
        _check_gates(figures["gates.png"])
    series = build_data(quick.data).series
    if series is not None:  # forecasting lessons: the held-out rows, against time if any
        line = figures["forecast.png"].axes[0].get_lines()[0]  # "actual"
        x = np.asarray(line.get_xdata())
        rows = np.arange(series.train_end, series.raw.shape[0])
        expected = rows if series.times is None else np.asarray(series.times)[rows]
        np.testing.assert_array_equal(x, expected)
        assert figures["forecast.png"].axes[0].get_xlabel() == (
            "row" if series.times is None else "time")


def _check_gates(fig) -> None:
    """Each heat map has a colour bar with the fixed range of its kind of gate."""
    maps = [ax for ax in fig.axes if ax.images]
    assert maps
    for ax in maps:
        title = ax.get_title()
        im = ax.images[0]
        assert im.colorbar is not None, title
        low = 0.0 if title.endswith(SIGMOID) else -1.0
        assert im.get_clim() == (low, 1.0), title
        assert ": cell" not in title  # the LSTM candidate is called that, as in train's figure


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


def test_an_out_folder_holding_results_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "results.json").write_text("{}")
    assert main(["lesson", "adding_problem", "--out", str(out), "--quick", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"The folder {out} already holds 1 file(s) (results.json)" in err
    assert "--overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]
    assert (out / "results.json").read_text() == "{}"
