import os
import stat

import numpy as np
import pytest
import torch

from lepton_helpers import models as checkpoint
from lepton_helpers.models import MLP, CheckpointError, load_checkpoint, load_or_train, save_checkpoint


def make(seed=0, **kwargs):
    torch.manual_seed(seed)
    return MLP(**kwargs)


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("kwargs", [{}, {"sizes": (784, 32, 10), "activation": "lepton-learnable"}])
def test_round_trip_rebuilds_the_same_network(tmp_path, kwargs):
    model = make(**kwargs)
    path = save_checkpoint(model, tmp_path / "sub" / "m.pt", shift=0.13, scale=0.31, note="test")
    loaded, extra = load_checkpoint(path)
    assert same_weights(model, loaded) and not loaded.training
    assert (loaded.sizes, loaded.activation) == (model.sizes, model.activation)
    assert extra == {"shift": 0.13, "scale": 0.31, "note": "test"}
    x = torch.randn(4, 784)
    assert torch.equal(model.eval()(x), loaded(x))


def test_a_crash_mid_save_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = save_checkpoint(make(0), tmp_path / "m.pt")
    before = path.read_bytes()

    def crashing_save(obj, f):
        f.write(b"PK\x03\x04 half a checkpoint")  # some bytes reach the disk, then the process dies
        raise KeyboardInterrupt("simulated crash")

    monkeypatch.setattr(checkpoint.torch, "save", crashing_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(make(1), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # the temporary file was removed
    assert same_weights(load_checkpoint(path)[0], make(0))


def test_a_missing_or_corrupt_file_gives_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="save_checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")
    path = save_checkpoint(make(), tmp_path / "m.pt")
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # truncated
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(path)
    path.write_bytes(b"definitely not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(path)
    torch.save({"weights": torch.zeros(3)}, path)  # a valid PyTorch file, but not ours
    with pytest.raises(CheckpointError, match="not a lepton-checkpoint"):
        load_checkpoint(path)


def test_loading_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": checkpoint.FORMAT, "config": {}, "state_dict": {}, "extra": {"obj": make()}}, path)
    with pytest.raises(CheckpointError):  # weights_only=True will not unpickle an arbitrary object
        load_checkpoint(path)


def test_save_checks_what_it_is_given(tmp_path):
    with pytest.raises(TypeError, match="MLP"):
        save_checkpoint(torch.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(TypeError, match="extra\\['when'\\]"):
        save_checkpoint(make(), tmp_path / "m.pt", when=object())
    assert not (tmp_path / "m.pt").exists()


def test_weights_that_do_not_fit_the_config_are_reported(tmp_path):
    path = save_checkpoint(make(), tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    payload["config"]["sizes"] = [784, 100, 64, 10]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path)


def test_numpy_scalars_round_trip_as_python_numbers(tmp_path):
    """An accuracy computed with NumPy is an np.float64: it must load back, not be called corrupted."""
    path = save_checkpoint(make(), tmp_path / "m.pt", acc=np.float64(0.9731), epochs=np.int64(12),
                           history={"val_acc": [np.float32(0.5), np.float64(0.75)], "best": np.bool_(True)})
    _, extra = load_checkpoint(path)
    assert extra == {"acc": 0.9731, "epochs": 12, "history": {"val_acc": [0.5, 0.75], "best": True}}
    assert type(extra["acc"]) is float and type(extra["epochs"]) is int and type(extra["history"]["best"]) is bool


def test_checkpoints_get_the_permissions_of_any_new_file(tmp_path):
    """Under umask 022 a checkpoint is 0644 (readable by a class sharing the folder), not mkstemp's 0600."""
    previous = os.umask(0o022)
    try:
        path = save_checkpoint(make(), tmp_path / "m.pt")
        os.umask(0o077)
        private = save_checkpoint(make(), tmp_path / "private.pt")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_loading_and_load_or_train_leave_the_callers_generator_alone(tmp_path, keeps_global_rng):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(200, 784, generator=g), torch.randint(0, 10, (200,), generator=g)
    path = tmp_path / "trained.pt"
    keeps_global_rng(lambda _: load_or_train(path, x, y, epochs=1, progress=False))  # trains and saves
    keeps_global_rng(lambda _: load_or_train(path, x, y, epochs=1, progress=False))  # loads
    keeps_global_rng(lambda _: load_checkpoint(path))


def test_load_or_train_retrains_on_other_data_of_the_same_size(tmp_path):
    generator = torch.Generator().manual_seed(0)
    x, y = torch.rand(200, 784, generator=generator), torch.randint(0, 10, (200,), generator=generator)
    path = tmp_path / "m.pt"
    _, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert not loaded
    _, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert loaded
    _, loaded = load_or_train(path, x, y.roll(1), epochs=1, progress=False)  # same size, other labels
    assert not loaded
    _, loaded = load_or_train(path, x.flip(0), y.roll(1), epochs=1, progress=False)  # and other images
    assert not loaded


def test_fingerprint_tells_data_apart_by_bytes_shape_and_dtype():
    x = torch.arange(12, dtype=torch.float32)
    assert checkpoint.fingerprint(x) == checkpoint.fingerprint(x.clone())
    assert checkpoint.fingerprint(x) != checkpoint.fingerprint(x.flip(0))
    assert checkpoint.fingerprint(x) != checkpoint.fingerprint(x.reshape(3, 4))
    assert checkpoint.fingerprint(x) != checkpoint.fingerprint(x.double())
