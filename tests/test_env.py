import random

import numpy as np
import pytest
import torch

from lepton_helpers import env
from lepton_helpers.env import check_count, environment_report, get_device, in_colab, seed_everything, seeded


def test_device_choice(monkeypatch):
    monkeypatch.setenv("LEPTON_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("LEPTON_DEVICE", "tpu")
    with pytest.raises(ValueError, match="LEPTON_DEVICE"):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_missing_gpu_is_an_error_not_a_silent_fallback(monkeypatch):
    monkeypatch.setenv("LEPTON_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="CUDA GPU was requested"):
        get_device()


def test_seeding_reproduces_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=gen).item()

    gen = seed_everything(7)
    first = draw()
    gen = seed_everything(7)
    assert draw() == first
    gen = seed_everything(8)
    assert draw() != first
    with pytest.raises(ValueError):
        seed_everything(-1)


def test_environment_report():
    report = environment_report(torch.device("cpu"))
    assert report["torch"] == torch.__version__ and report["device"] == "cpu"
    assert report["colab"] == str(in_colab()) == "False"


def test_auto_takes_cuda_else_the_cpu_never_mps(monkeypatch):
    """MPS lacks float64 and more: it is used only when asked for, never picked by ``auto``."""
    monkeypatch.delenv("LEPTON_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(env, "_mps_available", lambda: True)
    assert get_device() == get_device("auto") == torch.device("cpu")
    assert get_device("mps") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")


def test_numpy_integers_seed_like_ints():
    seed_everything(np.int64(7))
    first = torch.rand(1).item(), np.random.rand()
    seed_everything(7)
    assert (torch.rand(1).item(), np.random.rand()) == first
    assert check_count("n", np.int32(3)) == 3 and type(check_count("n", np.int64(3))) is int
    for bad in (True, 3.0, np.float64(3), "3", 0):
        with pytest.raises(ValueError, match="n must be a whole number >= 1"):
            check_count("n", bad)


def test_seeded_is_reproducible_and_gives_the_callers_state_back():
    torch.manual_seed(3)
    before = torch.get_rng_state()
    with seeded(5):
        a = torch.rand(3)
    assert torch.equal(torch.get_rng_state(), before)
    with seeded(np.int64(5)):
        b = torch.rand(3)
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="seed"):
        with seeded(-1):
            pass
