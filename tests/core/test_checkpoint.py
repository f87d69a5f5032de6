"""Model files: round trip, plain-torch loading, atomic writes and every refusal."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle

import pytest
import safetensors.torch
import torch

from rnnviz.core.checkpoint import FORMAT_VERSION, load_model, read_meta, save_model
from rnnviz.core.config import CELLS, ModelConfig, RunConfig
from rnnviz.core.errors import ModelFileError
from rnnviz.core.models import build_model

F, HOR, K = 3, 2, 1
SCALER = {"kind": "standard", "mean": [1.0, 2.0, 3.0], "scale": [0.5, 1.0, 2.0]}
FEATURES, TARGETS = ("load", "temp", "hour"), ("load",)


def _saved(tmp_path, cell="lstm", seed=0, **kw):
    torch.manual_seed(seed)
    cfg = ModelConfig(cell=cell, hidden=4, **kw)
    run = RunConfig(model=cfg)
    model = build_model(cfg, F, HOR, K)
    folder = tmp_path / "model"
    save_model(folder, model, run, scaler=SCALER, feature_names=FEATURES, target_names=TARGETS,
               extra={"val_loss": 0.25})
    return folder, model, run


def _out(model, seed=1):
    x = torch.randn(2, 5, F, generator=torch.Generator().manual_seed(seed))
    model.eval()
    with torch.no_grad():
        return model(x)[0]


def _error(folder) -> ModelFileError:
    with pytest.raises(ModelFileError) as err:
        load_model(folder)
    return err.value


@pytest.mark.parametrize("cell", CELLS)
def test_round_trip(tmp_path, cell):
    folder, model, run = _saved(tmp_path, cell, layers=2)
    assert sorted(os.listdir(folder)) == ["model.json", "model.safetensors"]
    loaded = load_model(folder)
    assert loaded.run == run
    assert not loaded.model.training
    torch.testing.assert_close(_out(loaded.model), _out(model), atol=0, rtol=0)
    meta = loaded.meta
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["weights_sha256"] == hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert meta["torch_version"] == torch.__version__ and meta["rnnviz_version"]
    assert (meta["n_features"], meta["horizon"], meta["n_targets"]) == (F, HOR, K)
    assert loaded.scaler == SCALER and loaded.feature_names == FEATURES and loaded.target_names == TARGETS
    assert meta["extra"] == {"val_loss": 0.25}
    assert read_meta(folder)["run"] == run.to_dict()


def test_loading_does_not_consume_the_global_rng(tmp_path):
    folder, _, _ = _saved(tmp_path)
    state = torch.get_rng_state()
    load_model(folder)
    assert torch.equal(torch.get_rng_state(), state)


def test_weights_load_into_a_plain_torch_lstm(tmp_path):
    # The README recipe: strip the "rnn." prefix and load into nn.LSTM(batch_first=True).
    folder, model, _ = _saved(tmp_path, "lstm", layers=2)
    tensors = safetensors.torch.load_file(str(folder / "model.safetensors"))
    meta = json.loads((folder / "model.json").read_text())
    m = meta["run"]["model"]
    lstm = torch.nn.LSTM(meta["n_features"], m["hidden"], num_layers=m["layers"], batch_first=True)
    lstm.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")})
    head = torch.nn.Linear(m["hidden"], meta["horizon"] * meta["n_targets"])
    head.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")})
    x = torch.randn(2, 5, F, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = head(lstm(x)[0][:, -1]).view(2, HOR, K)
    torch.testing.assert_close(y, _out(model), atol=0, rtol=0)


def test_saving_again_replaces_the_model(tmp_path):
    folder, _, run = _saved(tmp_path)
    torch.manual_seed(9)
    other = build_model(run.model, F, HOR, K)
    save_model(folder, other, run, scaler=SCALER, feature_names=FEATURES, target_names=TARGETS)
    torch.testing.assert_close(_out(load_model(folder).model), _out(other), atol=0, rtol=0)
    assert sorted(os.listdir(folder)) == ["model.json", "model.safetensors"]


def _fail_nth(monkeypatch, name, n):
    real = getattr(os, name)
    calls = {"n": 0}

    def fake(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, fake)
    return calls


@pytest.mark.parametrize("name,n", [("fsync", 1), ("fsync", 2), ("replace", 1), ("replace", 2)])
def test_a_failed_save_leaves_the_previous_model_and_no_temp_files(tmp_path, monkeypatch, name, n):
    folder, old_model, run = _saved(tmp_path)
    expected = _out(old_model)
    torch.manual_seed(9)
    new_model = build_model(run.model, F, HOR, K)
    calls = _fail_nth(monkeypatch, name, n)
    with pytest.raises(ModelFileError) as err:
        save_model(folder, new_model, run, scaler=SCALER, feature_names=FEATURES, target_names=TARGETS)
    assert calls["n"] >= n
    assert err.value.code == "save_failed" and "unchanged" in err.value.message
    monkeypatch.undo()
    assert sorted(os.listdir(folder)) == ["model.json", "model.safetensors"]
    torch.testing.assert_close(_out(load_model(folder).model), expected, atol=0, rtol=0)


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    torch.manual_seed(0)
    run = RunConfig()
    model = build_model(run.model, F, HOR, K)
    _fail_nth(monkeypatch, "fsync", 2)
    with pytest.raises(ModelFileError):
        save_model(tmp_path / "m", model, run, scaler=SCALER, feature_names=FEATURES, target_names=TARGETS)
    assert os.listdir(tmp_path / "m") == []


# ------------------------------------------------------------------------- refusals


def test_missing_folder_and_files(tmp_path):
    assert _error(tmp_path / "nowhere").code == "no_model_folder"
    folder, _, _ = _saved(tmp_path)
    (folder / "model.safetensors").unlink()
    err = _error(folder)
    assert err.code == "missing_file" and "model.safetensors" in err.message
    folder2, _, _ = _saved(tmp_path / "b")
    (folder2 / "model.json").unlink()
    err = _error(folder2)
    assert err.code == "missing_file" and "model.json" in err.message


def test_altered_weights_fail_the_checksum(tmp_path):
    folder, _, _ = _saved(tmp_path)
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-3] ^= 0x01  # one bit of one weight
    (folder / "model.safetensors").write_bytes(bytes(data))
    err = _error(folder)
    assert err.code == "checksum_mismatch" and "checksum" in err.message


@pytest.mark.parametrize("keep", [0, 5, 40, -4])
def test_empty_and_truncated_weights(tmp_path, keep):
    folder, _, _ = _saved(tmp_path)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[:keep])
    err = _error(folder)
    assert err.code == ("empty_weights" if keep == 0 else "truncated_weights")


def _rewrite_meta(folder, **changes):
    meta = json.loads((folder / "model.json").read_text())
    meta.update(changes)
    (folder / "model.json").write_text(json.dumps(meta))
    return meta


def test_other_format_versions_and_foreign_json(tmp_path):
    folder, _, _ = _saved(tmp_path)
    _rewrite_meta(folder, format_version=FORMAT_VERSION + 1)
    err = _error(folder)
    assert err.code == "format_version" and "newer" in err.message
    _rewrite_meta(folder, format_version=0)
    assert _error(folder).code == "format_version"
    _rewrite_meta(folder, format="something-else", format_version=FORMAT_VERSION)
    assert _error(folder).code == "not_rnnviz_model"
    (folder / "model.json").write_text("{not json")
    assert _error(folder).code == "bad_meta"


def test_weights_of_another_architecture_name_the_mismatch(tmp_path):
    folder, _, _ = _saved(tmp_path)
    meta = json.loads((folder / "model.json").read_text())
    meta["run"]["model"]["hidden"] = 8  # the weights are for hidden=4
    (folder / "model.json").write_text(json.dumps(meta))
    err = _error(folder)
    assert err.code == "architecture_mismatch"
    assert "rnn.weight_ih_l0" in err.message and "(16, 3)" in err.message and "(32, 3)" in err.message
    meta["run"]["model"].update(hidden=4, cell="gru")
    (folder / "model.json").write_text(json.dumps(meta))
    err = _error(folder)
    assert err.code == "architecture_mismatch" and "rnn.weight_ih_l0" in err.message
    meta["run"]["model"].update(cell="lstm_peephole")
    (folder / "model.json").write_text(json.dumps(meta))
    err = _error(folder)
    assert "missing" in err.message and "rnn.weight_ci_l0" in err.message


class _Trap:
    """Unpickling this creates a file: proof that code from the file ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_a_pickle_renamed_to_safetensors_is_refused_without_running_it(tmp_path, how):
    folder, model, _ = _saved(tmp_path)
    marker = tmp_path / "code_ran"
    payload = {"weights": model.state_dict(), "trap": _Trap(marker)}
    target = folder / "model.safetensors"
    if how == "torch.save":
        torch.save(payload, target)
    else:
        target.write_bytes(pickle.dumps(payload, protocol=4))
    # Even with a matching checksum the file must be refused.
    _rewrite_meta(folder, weights_sha256=hashlib.sha256(target.read_bytes()).hexdigest())
    err = _error(folder)
    assert err.code == "pickle_file" and "pickle" in err.message
    assert not marker.exists()


def test_garbage_is_not_a_safetensors_file(tmp_path):
    folder, _, _ = _saved(tmp_path)
    target = folder / "model.safetensors"
    target.write_bytes(b"hello, this is not a model file at all")
    _rewrite_meta(folder, weights_sha256=hashlib.sha256(target.read_bytes()).hexdigest())
    assert _error(folder).code == "bad_weights"


def test_save_stores_the_models_own_settings_and_refuses_wrong_names(tmp_path):
    from rnnviz.core.errors import ConfigError

    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden=4), F, HOR, K)
    save_model(tmp_path / "m", model, RunConfig(model=ModelConfig(hidden=8)), scaler=SCALER,
               feature_names=FEATURES, target_names=TARGETS)
    loaded = load_model(tmp_path / "m")
    assert loaded.run.model.hidden == 4
    torch.testing.assert_close(_out(loaded.model), _out(model), atol=0, rtol=0)
    with pytest.raises(ConfigError):
        save_model(tmp_path, model, RunConfig(model=ModelConfig(hidden=4)), scaler=SCALER,
                   feature_names=FEATURES[:2], target_names=TARGETS)


def test_saved_files_get_the_mode_a_plain_open_would_give(tmp_path):
    import stat

    old = os.umask(0o022)
    try:
        torch.manual_seed(0)
        model = build_model(ModelConfig(hidden=4), F, HOR, K)
        folder = save_model(tmp_path / "m", model, RunConfig(model=ModelConfig(hidden=4)),
                            scaler=SCALER, feature_names=FEATURES, target_names=TARGETS)
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    expected = stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)  # 0o644 here
    for f in sorted(folder.iterdir()):
        assert stat.S_IMODE(f.stat().st_mode) == expected, f.name  # mkstemp gave 0o600
