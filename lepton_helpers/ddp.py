"""Data-parallel training of the MLP with PyTorch's ``DistributedDataParallel`` (DDP), launched by torchrun.

Two processes on one CPU (gloo backend), anywhere the package is installed (or, from the
repository root, with the file's path ``lepton_helpers/ddp.py`` instead of ``-m lepton_helpers.ddp``)::

    torchrun --standalone --nproc_per_node=2 -m lepton_helpers.ddp --steps 10 --out ddp.pt

Every GPU of one machine (nccl backend, one process per GPU)::

    torchrun --standalone --nproc_per_node=gpu -m lepton_helpers.ddp --device cuda --out ddp.pt

Two machines with 4 GPUs each (run the same line on both; HOST is the first machine's address)::

    torchrun --nnodes=2 --nproc_per_node=4 --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 \\
        --rdzv-id=lepton -m lepton_helpers.ddp --device cuda --out ddp.pt

Without torchrun (``python -m lepton_helpers.ddp``) it trains in one process: the reference.

How it is made exact: every process builds the same model (same seed; DDP also copies rank 0's
weights to all at start) and walks through the same global batches (same shuffling seed); rank
``r`` of ``W`` trains on the ``r``-th equal slice of each global batch. DDP averages the
gradients of the slices across processes during ``backward()``, and the mean of equal-sized
slice means is the mean over the whole batch, so each SGD step equals the single-process step on
the global batch, up to float rounding.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from lepton_helpers.env import get_device, seeded
from lepton_helpers.models import MLP
from lepton_helpers.preprocessing import mnist_splits

# absolute imports, so that torchrun can also start this file by its path (lepton_helpers/ddp.py)
from lepton_helpers.training import TensorBatches


def shard(n: int, rank: int, world_size: int) -> slice:
    """The rows of a global batch of ``n`` that process ``rank`` of ``world_size`` trains on."""
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"need 0 <= rank < world_size, got rank {rank}, world_size {world_size}")
    if n % world_size:
        raise ValueError(f"a global batch of {n} does not split evenly over {world_size} processes; "
                         f"choose a global batch that is a multiple of {world_size}")
    size = n // world_size
    return slice(rank * size, (rank + 1) * size)


def global_batches(x: torch.Tensor, y: torch.Tensor, global_batch: int, steps: int,
                   seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``steps`` shuffled global batches of ``global_batch`` rows, identical in every process (seeded)."""
    batches = TensorBatches(x, y, global_batch, shuffle=True, drop_last=True, seed=seed)
    if len(batches) == 0:
        raise ValueError(f"global batch {global_batch} is larger than the {len(x)} training rows")
    epochs = itertools.chain.from_iterable(iter(batches) for _ in itertools.count())
    return itertools.islice(epochs, steps)


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, steps: int, global_batch: int, lr: float,
          rank: int = 0, world_size: int = 1, seed: int = 0) -> list[float]:
    """Plain SGD on this process's shard of each global batch; returns the global-batch loss of each step.

    ``model`` is a ``DistributedDataParallel`` wrapper when ``world_size > 1`` (its ``backward``
    averages gradients across processes) and a plain module otherwise.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    rows = shard(global_batch, rank, world_size)
    losses = []
    for xb, yb in global_batches(x, y, global_batch, steps, seed):
        loss = F.cross_entropy(model(xb[rows]), yb[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        mean_loss = loss.detach().clone()
        if world_size > 1:
            dist.all_reduce(mean_loss)
            mean_loss /= world_size
        losses.append(mean_loss.item())
    return losses


def single_process_reference(x: torch.Tensor, y: torch.Tensor, *, steps: int, global_batch: int, lr: float,
                             seed: int = 0) -> tuple[MLP, list[float]]:
    """The same training in one process on whole global batches: what DDP must reproduce."""
    with seeded(seed):
        model = MLP().to(x.device)
    return model, train(model, x, y, steps=steps, global_batch=global_batch, lr=lr, seed=seed)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="torchrun --nproc_per_node=2 -m lepton_helpers.ddp",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="SGD steps (default 10)")
    parser.add_argument("--global-batch", type=int, default=100, help="rows per step over all processes")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-rows", type=int, default=None, help="use only the first N training rows")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu: gloo, any number of processes (the default); cuda: nccl, one GPU per process")
    parser.add_argument("--out", type=Path, default=None, help="rank 0 saves the final state_dict and losses here")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.global_batch < 1:
        parser.error(f"--steps and --global-batch must be >= 1, got {args.steps} and {args.global_batch}")
    return args


def _process_device(name: str, local_rank: int) -> torch.device:
    """The CPU, or this process's own GPU (``cuda:local_rank``): nccl needs one GPU per process."""
    device = get_device(name)
    if device.type != "cuda":
        return device
    if local_rank >= torch.cuda.device_count():
        raise RuntimeError(f"process {local_rank} of this machine needs GPU {local_rank}, but only "
                           f"{torch.cuda.device_count()} are visible: start at most that many processes "
                           "per machine (--nproc_per_node), or train on the CPU with --device cpu")
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)
    return device


def _train_process(args: argparse.Namespace, device: torch.device, rank: int,
                   world_size: int) -> tuple[list[float], dict]:
    """This process's part of the training: the losses and the final weights (copied to the CPU).

    Everything that holds the process group (the DDP wrapper and its gradient buckets) lives only
    in this function, so it can be freed before the group is destroyed.
    """
    splits = mnist_splits(device=device)
    x, y = splits.x_train[:args.train_rows], splits.y_train[:args.train_rows]
    with seeded(args.seed):
        model = MLP().to(device)
    wrapped = model
    if world_size > 1:  # DDP averages the gradients across processes during backward()
        ids = None if device.type == "cpu" else [device.index]
        wrapped = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    losses = train(wrapped, x, y, steps=args.steps, global_batch=args.global_batch, lr=args.lr,
                   rank=rank, world_size=world_size, seed=args.seed)
    return losses, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def main(argv: list[str] | None = None) -> None:
    """Train on this process's shards; rank 0 reports and saves. Every rank shuts down the same way.

    PyTorch's documentation asks every process to call ``destroy_process_group`` when it no longer
    communicates; here it runs in ``finally``, so a failing rank releases its group too. Before it,
    each rank frees what still holds the group (the DDP wrapper sits in a reference cycle, so only
    the garbage collector frees it) and waits at a barrier until every rank has finished its
    collectives and rank 0 has saved. Left to the interpreter's exit instead, the group's worker
    threads can outlive Python and abort the process ("terminate called without an active exception").
    """
    args = _parse(argv)
    rank, world_size = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    device = _process_device(args.device, int(os.environ.get("LOCAL_RANK", 0)))
    distributed = world_size > 1
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        losses, state = _train_process(args, device, rank, world_size)
        if rank == 0:
            backend = dist.get_backend() if distributed else "none"
            print(f"{world_size} process(es), backend {backend}: {args.steps} SGD steps on global batches of "
                  f"{args.global_batch} ({args.global_batch // world_size} rows per process); "
                  f"loss {losses[0]:.4f} -> {losses[-1]:.4f}", flush=True)
            if args.out is not None:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                torch.save({"state_dict": state, "losses": losses, "world_size": world_size}, args.out)
        if distributed:
            gc.collect()  # frees the DDP wrapper of _train_process now, while Python is fully alive
            dist.barrier(device_ids=None if device.type == "cpu" else [device.index])
    finally:
        if distributed:
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
