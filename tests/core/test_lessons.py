"""Lessons: the bundled files load, parameters write where they say, bad files get clear errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from rnnviz.core import lessons as lessons_mod
from rnnviz.core.errors import ConfigError
from rnnviz.core.lessons import (
    VIEWS,
    build_data,
    lesson_names,
    list_lessons,
    load_lesson,
    parse_lesson,
)
from rnnviz.core.resources import lessons_dir
from rnnviz.core.tasks import adding_problem, lag_task

EXPECTED = {
    "why_rnns_forget", "adding_problem", "exploding_gradients", "sine_recursive",
    "sequence_shapes", "day_ahead", "inside_lstm",
}


def test_the_seven_lessons_of_the_issue_are_bundled_and_load():
    found = list_lessons()
    assert {lesson.name for lesson in found} == EXPECTED
    assert lesson_names() == [lesson.name for lesson in found]
    for lesson in found:
        assert 1 <= len(lesson.runs) <= 3
        assert set(lesson.views) <= set(VIEWS)
        assert len(lesson.explanation) > 300, lesson.name  # what to look at, expect, why
        assert len(set(lesson.labels)) == len(lesson.labels)
        for run in lesson.runs:
            assert run.train.seed == lesson.seed


def test_every_lesson_explanation_quotes_a_measured_value():
    # the texts quote the benchmark's figures (benchmarks/lesson_results.py)
    for lesson in list_lessons():
        assert "benchmarks/lesson_results.py" in lesson.explanation, lesson.name
        assert lesson.measured, lesson.name


def test_applying_the_default_values_changes_nothing():
    # a parameter's default must be what the file already holds at its targets
    for lesson in list_lessons():
        same = lesson.with_values({p.name: p.default for p in lesson.parameters})
        assert same.data == lesson.data, lesson.name
        assert same.train == lesson.train, lesson.name
        for a, b in zip(same.runs, lesson.runs, strict=True):
            assert (a.model, a.train, a.data) == (b.model, b.train, b.data), (lesson.name, a.id)


def test_unknown_lesson_names_the_available_ones():
    with pytest.raises(ConfigError) as err:
        load_lesson("no_such_lesson")
    assert err.value.code == "unknown_lesson"
    assert "adding_problem" in err.value.message and "--list" in err.value.message


def test_corrupt_lesson_file_says_where(tmp_path):
    bad = tmp_path / "01_broken.json"
    bad.write_text('{"name": "broken", "title": "x",\n  "runs": [,]}')
    with pytest.raises(ConfigError) as err:
        load_lesson(bad)
    assert err.value.code == "bad_lesson_file"
    assert "line 2" in err.value.message and "01_broken.json" in err.value.message


def _raw(name: str) -> dict:
    path = next(p for p in sorted(lessons_dir().glob("*.json")) if p.stem.endswith(name))
    return json.loads(path.read_text())


@pytest.mark.parametrize("change, words", [
    (lambda r: r.update(colour="red"), "unknown key"),
    (lambda r: r.pop("runs"), "lacks"),
    (lambda r: r["runs"][0]["model"].update(cell="transformer"), "cell must be one of"),
    (lambda r: r["data"].update(generator="mystery"), "unknown generator"),
    (lambda r: r.update(views=["loss", "tea leaves"]), "views"),
    (lambda r: r["parameters"][0].update(target="nowhere.lag"), "bad target"),
    (lambda r: r["parameters"][0].update(default=999), "default"),
    (lambda r: r.update(runs=[]), "one to three"),
])
def test_invalid_lesson_content_is_refused_with_a_message(change, words):
    raw = _raw("adding_problem")
    change(raw)
    with pytest.raises(ConfigError) as err:
        parse_lesson(raw)
    assert err.value.code == "bad_lesson_file"
    assert words in err.value.message


def test_file_name_must_match_the_lesson_name(tmp_path):
    raw = _raw("adding_problem")
    path = tmp_path / "02_other_name.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="must be 'other_name'"):
        load_lesson(path)


def test_a_lesson_file_given_by_path_loads(tmp_path):
    src = next(lessons_dir().glob("*adding_problem.json"))
    dst = tmp_path / "adding_problem.json"
    shutil.copy(src, dst)
    assert load_lesson(dst).title == load_lesson("adding_problem").title


def test_parameter_values_go_to_their_targets():
    lesson = load_lesson("why_rnns_forget").with_values({"lag": 7, "length": 30})
    assert lesson.data.params["lag"] == 7
    assert lesson.data.params["length"] == 30 and lesson.data.config.lookback == 30
    assert lesson.values["lag"] == 7
    # strings from the command line are converted and checked
    assert load_lesson("why_rnns_forget").with_values({"lag": "12"}).data.params["lag"] == 12


def test_switch_parameter_writes_its_on_and_off_values():
    lesson = load_lesson("adding_problem")
    assert all(r.train.clip_norm == 1.0 for r in lesson.with_values({"clipping": True}).runs)
    assert all(r.train.clip_norm is None for r in lesson.with_values({"clipping": False}).runs)


def test_run_targets_change_one_run_only():
    lesson = load_lesson("exploding_gradients").with_values({"clip": 0.25, "rho": 1.7})
    by_id = {r.id: r for r in lesson.runs}
    assert by_id["clipped"].train.clip_norm == 0.25
    assert by_id["plain"].train.clip_norm is None
    assert by_id["plain"].model.spectral_radius == 1.7 == by_id["clipped"].model.spectral_radius


@pytest.mark.parametrize("values, words", [
    ({"lag": 500}, "from 0 to 49"),
    ({"lag": 2.5}, "whole number"),
    ({"lag": "many"}, "must be a number"),
    ({"clipping": "maybe"}, "switch"),
    ({"temperature": 3}, "no parameter 'temperature'"),
])
def test_bad_parameter_values_are_refused(values, words):
    name = "adding_problem" if "clipping" in values else "why_rnns_forget"
    with pytest.raises(ConfigError) as err:
        load_lesson(name).with_values(values)
    assert words in err.value.message


def test_quick_budget_caps_training_and_wins_over_parameters():
    lesson = load_lesson("adding_problem")
    quick_raw = _raw("adding_problem")["quick"]
    q = lesson.quick_version()
    assert q.quick and not lesson.quick
    for r in q.runs:
        assert r.train.epochs == quick_raw["train"]["epochs"]
        assert r.train.max_batches_per_epoch == quick_raw["train"]["max_batches_per_epoch"]
    assert q.data.params["n"] == quick_raw["data"]["params"]["n"]
    again = q.with_values({"epochs": 40, "length": 20})
    assert again.quick and again.runs[0].train.epochs == quick_raw["train"]["epochs"]
    assert again.data.params["length"] == 20
    # the full lesson keeps its own budget
    assert lesson.runs[0].train.epochs == _raw("adding_problem")["train"]["epochs"]


def test_build_data_of_a_generator_matches_the_generator_called_directly():
    lesson = load_lesson("adding_problem").quick_version()
    data = build_data(lesson.data)
    ref = adding_problem(**lesson.data.params)
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(data, part).X, getattr(ref, part).X)
        np.testing.assert_array_equal(getattr(data, part).Y, getattr(ref, part).Y)
    lag = load_lesson("why_rnns_forget").quick_version().with_values({"lag": 3})
    d = build_data(lag.data)
    ref = lag_task(**lag.data.params)
    np.testing.assert_array_equal(d.test.Y, ref.test.Y)
    # the lag-3 target is the input 3 steps before the last, by hand
    np.testing.assert_array_equal(d.test.Y[:, 0, 0], d.test.X[:, -4, 0])


def test_build_data_of_the_bundled_csv_lesson():
    lesson = load_lesson("day_ahead")
    data = build_data(lesson.data)
    assert data.series is not None
    assert data.lookback == 48 and data.horizon == 48
    assert data.target_names == ("demand_mw",)
    assert data.train.n > 1000 and data.test.n > 100


def test_every_lesson_builds_its_data():
    for lesson in list_lessons():
        q = lesson.quick_version()
        sources = [q.data] + [r.data for r in q.runs if r.data is not None]
        for src in sources:
            d = build_data(src)
            assert d.train.n > 0, lesson.name


def test_generator_parameters_it_does_not_know_are_a_clear_error():
    lesson = load_lesson("adding_problem")
    src = lessons_mod.DataSource("adding_problem", {"length": 10, "colour": 3}, None,
                                 lesson.data.config)
    with pytest.raises(ConfigError, match="does not accept"):
        build_data(src)


def test_why_rnns_forget_text_starts_where_the_slider_starts():
    import re

    lesson = load_lesson("why_rnns_forget")
    lag = next(p for p in lesson.parameters if p.name == "lag").default
    assert lesson.data.params["lag"] == lag == lesson.values["lag"]
    text = lesson.explanation
    assert f"starts at lag {lag}" in text and "Start with lag" not in text
    # the default makes the lesson's point: in the reference run the plain RNN is no better
    # than guessing at that lag while the gated models beat guessing clearly
    at_default = lesson.measured[f"lag_{lag}_test_mse"]
    assert at_default["RNN"] > 0.9 * at_default["mean"]
    assert max(at_default["LSTM"], at_default["GRU"]) < 0.7 * at_default["mean"]
    # ... and the lag the text sends the class to next is one all three models learn
    other = int(re.search(r"set the lag to (\d+)", text).group(1))
    assert other != lag
    measured = lesson.measured[f"lag_{other}_test_mse"]
    assert max(measured[m] for m in ("RNN", "LSTM", "GRU")) < 0.05 * measured["mean"]
