"""README.md's Python examples run as printed, also where the default device is not the CPU."""

import re

import pytest
import torch

from lepton_helpers import preprocessing
from lepton_helpers.course import nbtools

README = (nbtools.ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
NEEDS_NETWORK = ('load_mnist("full")',)  # downloads the 60,000 training digits: not run here


def runnable(block: str) -> bool:
    return not any(marker in block for marker in NEEDS_NETWORK)


def test_readme_has_python_examples_to_run():
    assert sum(map(runnable, BLOCKS)) >= 1, "README.md's Python examples are gone or all need a network"


@pytest.mark.parametrize("block", [b for b in BLOCKS if runnable(b)], ids=lambda b: b.splitlines()[0][:40])
def test_readme_example_runs_when_the_default_device_is_not_the_cpu(block, monkeypatch):
    # a 'meta' tensor, like a CUDA one, has no .numpy(): an example that relies on the default device fails
    monkeypatch.setattr(preprocessing, "get_device", lambda *args: torch.device("meta"))
    exec(compile(block, "README.md", "exec"), {})
