import random

import numpy as np
import pytest
import torch

from lepton_helpers.env import environment_report, get_device, in_colab, seed_everything


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
