"""The DDP script: deterministic sharding, and 2 processes (gloo) reach the single-process model."""

import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist

from lepton_helpers.ddp import _parse, global_batches, shard, single_process_reference
from lepton_helpers.models import MLP


@pytest.mark.parametrize("n,world_size", [(100, 1), (100, 2), (12, 3), (64, 4)])
def test_shards_partition_the_global_batch(n, world_size):
    rows = torch.cat([torch.arange(n)[shard(n, r, world_size)] for r in range(world_size)])
    assert torch.equal(rows, torch.arange(n))


def test_shard_rejects_uneven_splits_and_bad_ranks():
    with pytest.raises(ValueError, match="multiple of 3"):
        shard(100, 0, 3)
    with pytest.raises(ValueError, match="rank"):
        shard(100, 2, 2)


def test_global_batches_are_reproducible_and_cycle_through_epochs():
    x, y = torch.arange(30.0).view(10, 3), torch.arange(10)
    a = [yb for _, yb in global_batches(x, y, global_batch=4, steps=5, seed=1)]
    b = [yb for _, yb in global_batches(x, y, global_batch=4, steps=5, seed=1)]
    assert len(a) == 5 and all(torch.equal(p, q) for p, q in zip(a, b))
    assert len(set(torch.cat(a[:2]).tolist())) == 8  # one epoch (2 full batches) draws distinct rows
    with pytest.raises(ValueError, match="larger"):
        list(global_batches(x, y, global_batch=11, steps=1))


def test_the_script_defaults_to_the_cpu_and_takes_gpus_on_request():
    """Without --device it trains on the CPU (gloo), whatever GPUs there are; MPS (gloo cannot use it) is refused."""
    assert _parse([]).device == "cpu" and _parse(["--device", "cuda"]).device == "cuda"
    with pytest.raises(SystemExit):
        _parse(["--device", "mps"])


# Runs the script's main() as torchrun would, then checks that nothing of the process group outlives it.
# The DDP wrapper sits in a reference cycle: when the automatic collector has not freed it before the exit
# (gc.disable() makes that certain here), the interpreter's exit tears its group down, and its threads can abort.
PROBE = """
import gc, sys
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from lepton_helpers.ddp import main

gc.disable()
main(sys.argv[1:])
alive = sum(type(o) is DistributedDataParallel for o in gc.get_objects())
assert alive == 0 and not dist.is_initialized(), f"{alive} DDP wrapper(s) alive, group up: {dist.is_initialized()}"
print("clean shutdown", flush=True)
"""


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="this PyTorch has no gloo backend")
@pytest.mark.parametrize("extra_env", [{}, {"USE_LIBUV": "0"}], ids=["default", "USE_LIBUV=0"])  # README's Windows fix
def test_two_processes_reach_the_single_process_model_and_shut_down_cleanly(tmp_path, extra_env):
    steps, global_batch, lr, rows = 12, 100, 0.1, 1000  # 12 steps: more than one epoch of 10 batches
    out, probe = tmp_path / "ddp.pt", tmp_path / "probe.py"
    probe.write_text(PROBE)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(probe),
           "--steps", str(steps), "--global-batch", str(global_batch), "--lr", str(lr), "--train-rows", str(rows),
           "--out", str(out)]  # no --device: the CPU is the default
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **extra_env})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es), backend gloo" in done.stdout and done.stdout.count("clean shutdown") == 2, done.stdout
    assert "terminate called" not in done.stderr
    ddp = torch.load(out, weights_only=True)
    assert ddp["world_size"] == 2

    from lepton_helpers.preprocessing import mnist_splits

    splits = mnist_splits(device="cpu")
    model, losses = single_process_reference(splits.x_train[:rows], splits.y_train[:rows], steps=steps,
                                             global_batch=global_batch, lr=lr)
    torch.manual_seed(0)
    initial = MLP().state_dict()
    for name, value in model.state_dict().items():
        assert not torch.allclose(value, initial[name]), f"{name} did not train"
        torch.testing.assert_close(ddp["state_dict"][name], value, rtol=0, atol=1e-6)
    torch.testing.assert_close(torch.tensor(ddp["losses"]), torch.tensor(losses), rtol=0, atol=1e-5)


def test_the_single_process_reference_leaves_the_callers_generator_alone(keeps_global_rng):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(200, 784, generator=g), torch.randint(0, 10, (200,), generator=g)
    keeps_global_rng(lambda _: single_process_reference(x, y, steps=2, global_batch=100, lr=0.1))
