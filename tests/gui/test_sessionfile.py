"""Session files: JSON round trip, moved files, damaged files (no Qt needed)."""

from __future__ import annotations

import json
import os

import pytest

from rnnviz.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnviz.core.errors import ConfigError, DataError, ModelFileError
from rnnviz.gui.sessionfile import SessionFile, load_session, save_session


def make(tmp_path, **kw) -> SessionFile:
    data = tmp_path / "data" / "series.csv"
    data.parent.mkdir(exist_ok=True)
    data.write_text("t,v\n1,2\n")
    run = RunConfig(data=DataConfig(target="v", lookback=12),
                    model=ModelConfig(cell="gru", hidden=7),
                    train=TrainConfig(lr=0.01, epochs=3))
    return SessionFile(data_path=data, run=run, options={"sample": None},
                       settings={"torch_threads": 2}, **kw)


def test_round_trip_keeps_everything(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    s = make(tmp_path, model_dir=model)
    path = save_session(tmp_path / "s.rnnviz.json", s)
    back = load_session(path)
    assert back == SessionFile(data_path=s.data_path.resolve(), run=s.run, options=s.options,
                               settings=s.settings, model_dir=model.resolve())
    raw = json.loads(path.read_text())
    assert raw["format"] == "rnnviz-session" and raw["version"] == 1
    assert raw["data_path_relative"] == os.path.join("data", "series.csv")
    assert raw["run"]["model"]["hidden"] == 7


def test_a_folder_moved_as_a_whole_still_opens(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    s = make(old)
    save_session(old / "s.json", s)
    new = tmp_path / "new"
    old.rename(new)
    back = load_session(new / "s.json")
    assert back.data_path == (new / "data" / "series.csv").resolve()


def test_a_moved_csv_is_a_clear_data_error(tmp_path):
    s = make(tmp_path)
    path = save_session(tmp_path / "s.json", s)
    s.data_path.unlink()
    with pytest.raises(DataError) as info:
        load_session(path)
    assert info.value.code == "data_file_moved"
    assert "series.csv" in info.value.message and "Open CSV" in info.value.message
    # without checking files, the session still reads (the window can then ask)
    assert load_session(path, check_files=False).data_path.name == "series.csv"


def test_a_moved_model_folder_is_a_model_file_error(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    path = save_session(tmp_path / "s.json", make(tmp_path, model_dir=model))
    model.rmdir()
    with pytest.raises(ModelFileError) as info:
        load_session(path)
    assert info.value.code == "model_moved"


@pytest.mark.parametrize("text, words", [
    ('{"format": "rnnviz-session", "version": 1,', "line 1"),
    ("not json at all", "JSON"),
    ('{"hello": 1}', "not an rnnviz session"),
    ('{"format": "rnnviz-session", "version": 99}', "newer rnnviz"),
    ('{"format": "rnnviz-session", "version": 1, "run": {"model": {"hiden": 3}}}', "hiden"),
    ('{"format": "rnnviz-session", "version": 1, "run": {"model": {"hidden": -3}}}', "hidden"),
])
def test_damaged_sessions_give_a_plain_message(tmp_path, text, words):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_session(path)
    assert info.value.code == "bad_session"
    assert words in info.value.message
    assert "bad.json" in info.value.message


def test_missing_session_file(tmp_path):
    with pytest.raises(DataError) as info:
        load_session(tmp_path / "nope.json")
    assert info.value.code == "session_not_found"


def test_a_failed_save_leaves_the_old_session_and_no_temporary_file(tmp_path, monkeypatch):
    path = save_session(tmp_path / "s.json", make(tmp_path))
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    changed = make(tmp_path)
    changed = SessionFile(data_path=changed.data_path, run=changed.run.replace(
        model=ModelConfig(hidden=99)))
    with pytest.raises(Exception) as info:
        save_session(path, changed)
    assert "No space left" in str(getattr(info.value, "message", info.value))
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "s.json"]


def test_a_session_without_data(tmp_path):
    path = save_session(tmp_path / "s.json", SessionFile(data_path=None))
    back = load_session(path)
    assert back.data_path is None and back.run == RunConfig() and back.model_dir is None


def test_a_session_file_gets_the_mode_a_plain_open_would_give(tmp_path):
    import stat

    old = os.umask(0o022)
    try:
        path = save_session(tmp_path / "s.rnnviz.json", make(tmp_path))
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
