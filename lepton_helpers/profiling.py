"""Where a training step's time and memory go: FLOPs, the matrix-multiply rate and memory accounting.

Notebook 08 derives each formula by hand; these functions are the tested versions it reuses,
and the benchmark command (``python -m lepton_helpers.course.benchmark``) prints their figures.
The training-speed functions time one model and loop over several input pipelines (the
articles' per-sample one, the standard ``DataLoader``, the in-memory ``TensorBatches``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .env import seeded
from .models import MLP
from .recipe import articles_loader, articles_train
from .training import TensorBatches, dataloader, train_epoch


# ---------------------------------------------------------------- FLOPs
@dataclass(frozen=True)
class StepFlops:
    """Matrix-multiply FLOPs (1 multiply-add = 2 FLOPs) of one training step."""

    forward: int
    backward: int

    @property
    def total(self) -> int:
        return self.forward + self.backward


def training_step_flops(sizes: Sequence[int], batch_size: int) -> StepFlops:
    """FLOPs of forward + backward for one mini-batch through linear layers of these ``sizes``
    (``(784, 128, 64, 10)``: three layers), whose input needs no gradient.

    A linear layer ``Y = X W^T + b`` with ``X`` of shape (B, n_in) and ``W`` of shape (n_out, n_in)
    costs B * n_in * n_out multiply-adds, 2 * B * n_in * n_out FLOPs. Backward needs two products of
    the same size: ``dW = dY^T X`` for the weights and ``dX = dY W`` for the layer's input. The first
    layer's input is the data (or a frozen layer's output), which needs no gradient, so autograd
    skips its ``dX``: backward is a little under 2x forward. Bias adds, activations and the loss are
    O(B * n_out), negligible.
    """
    sizes = tuple(sizes)
    if batch_size < 1 or len(sizes) < 2:
        raise ValueError(f"need at least one layer (two sizes) and batch_size >= 1, got sizes {sizes}, "
                         f"batch_size {batch_size}")
    per_layer = [2 * batch_size * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return StepFlops(forward=sum(per_layer), backward=sum(per_layer) + sum(per_layer[1:]))


def counted_flops(step: Callable[[], object]) -> int:
    """FLOPs that PyTorch's own ``FlopCounterMode`` counts while ``step()`` runs (an independent check)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


# ---------------------------------------------------------------- rates
def synchronize(device: torch.device | str) -> None:
    """Wait for queued GPU work, so that a timer measures the work and not just its launch."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def best_seconds(fn: Callable[[], object], repeats: int = 5, device: torch.device | str = "cpu") -> float:
    """The fastest of ``repeats`` timed calls of ``fn`` (after one untimed warm-up call).

    The minimum, not the mean: on a shared machine every disturbance makes a run slower, never
    faster, so the fastest run is the best estimate of what the code itself costs.
    """
    fn()
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(n: int = 1024, repeats: int = 5, device: torch.device | str = "cpu",
                  dtype: torch.dtype = torch.float32) -> float:
    """Measured rate, in GFLOP/s, of one ``n x n`` by ``n x n`` matrix product (2 n^3 FLOPs).

    A large square product is the friendliest work a processor gets, so this is a practical
    upper bound for any training loop built of matrix products on the same device and threads.
    """
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, generator=g).to(device, dtype) for _ in range(2))
    return 2 * n ** 3 / best_seconds(lambda: a @ b, repeats, device) / 1e9


# ---------------------------------------------------------------- memory
@dataclass(frozen=True)
class MemoryBudget:
    """Bytes that one training step of a model holds, by kind."""

    parameters: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def total(self) -> int:
        return self.parameters + self.gradients + self.optimizer_state + self.activations


def mlp_memory(sizes: Sequence[int], batch_size: int, optimizer_states: int = 2,
               bytes_per_value: int = 4) -> MemoryBudget:
    """Memory of a training step of an MLP with ReLU hidden layers, by formula.

    - parameters: sum of n_in * n_out + n_out over the layers;
    - gradients: one value per parameter;
    - optimiser state: ``optimizer_states`` values per parameter (SGD 0, SGD with momentum 1,
      Adam 2: the running mean and mean square of the gradient);
    - activations saved for backward: the input batch (for the first ``dW``), each ReLU output
      (used by the ReLU's own backward and as the next layer's input) and the log-softmax of the
      logits (for the loss): batch_size * sum(sizes) values.
    """
    params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return MemoryBudget(parameters=params * bytes_per_value, gradients=params * bytes_per_value,
                        optimizer_state=optimizer_states * params * bytes_per_value,
                        activations=batch_size * sum(sizes) * bytes_per_value)


def _nbytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def saved_activation_bytes(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                           loss_fn: Callable = F.cross_entropy) -> int:
    """Bytes of the floating-point batch-sized tensors autograd saves for backward in one forward pass.

    Each saved tensor passes through a ``saved_tensors_hooks`` pack hook; parameters (already
    counted as parameters), the integer labels and scalars are left out, and a tensor saved by two
    operations (a ReLU output is also the next layer's input) is counted once.
    """
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if t.is_floating_point() and t.ndim >= 2 and ptr not in params:
            seen[ptr] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss_fn(model(x), y)
    return sum(seen.values())


def measured_memory(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                    loss_fn: Callable = F.cross_entropy) -> MemoryBudget:
    """Memory of one training step read off the actual tensors (runs one step on ``(x, y)``).

    Optimiser state counts the per-parameter tensors (Adam's two moments), not scalar counters.
    """
    activations = saved_activation_bytes(model, x, y, loss_fn)
    loss = loss_fn(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    params = list(model.parameters())
    state = [t for s in optimizer.state.values() for t in s.values() if torch.is_tensor(t) and t.ndim > 0]
    return MemoryBudget(parameters=_nbytes(params), gradients=_nbytes(p.grad for p in params if p.grad is not None),
                        optimizer_state=_nbytes(state), activations=activations)


# ---------------------------------------------------------------- training speed
SIZES = (784, 128, 64, 10)


def fresh_mlp(device: torch.device | str, seed: int) -> MLP:
    """The benchmarks' 784-128-64-10 MLP, initialised from ``seed`` (the caller's random state untouched)."""
    with seeded(seed):
        return MLP(SIZES).to(device)


def articles_samples_per_second(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 100, *,
                                device: torch.device | str = "cpu", seed: int = 0, **loader_kwargs) -> float:
    """Training samples per second of the articles' recipe: one epoch over ``images`` (uint8, N x 28 x 28).

    Every sample goes through PIL, ``ToTensor`` and ``Normalize`` one at a time and the
    ``DataLoader`` stacks them into batches; ``loader_kwargs`` (``num_workers``, ``pin_memory``)
    go to the ``DataLoader``.
    """
    model = fresh_mlp(device, seed)
    loader = articles_loader(images, labels, batch_size, seed=seed, **loader_kwargs)
    start = time.perf_counter()
    articles_train(model, loader, epochs=1, device=device)
    synchronize(device)
    return len(images) / (time.perf_counter() - start)


def _samples_per_second(model: nn.Module, batches, n: int, epochs: int) -> float:
    """Train ``model`` (Adam, lr 1e-3) for ``epochs`` passes over ``batches`` of ``n`` samples; samples per second."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    device = next(model.parameters()).device
    start = time.perf_counter()
    for _ in range(epochs):
        train_epoch(model, batches, optimizer)
    synchronize(device)
    return epochs * n / (time.perf_counter() - start)


def helpers_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                               seed: int = 0) -> float:
    """Training samples per second of the helpers' loop: ``train_epoch`` over in-memory ``TensorBatches``.

    ``x`` (N x 784, already normalised) and ``y`` stay on their device; the model (same MLP and
    Adam as the articles) is put there too.
    """
    return _samples_per_second(fresh_mlp(x.device, seed), TensorBatches(x, y, batch_size, seed=seed), len(x), epochs)


def dataloader_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                                  seed: int = 0) -> float:
    """Training samples per second of the standard path: a ``DataLoader`` over a ``TensorDataset``.

    The same tensors, model and loop as :func:`helpers_samples_per_second`, but the ``DataLoader``
    fetches ``dataset[i]`` one sample at a time and stacks them (``default_collate``): what is left of
    the articles' cost once their per-sample PIL transforms are gone.
    """
    return _samples_per_second(fresh_mlp(x.device, seed), dataloader(x, y, batch_size, seed=seed), len(x), epochs)


def compiled_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                                seed: int = 0) -> tuple[float, float]:
    """``(seconds of the first step, samples per second after it)`` of the helpers' loop on ``torch.compile(model)``.

    The first step traces the model and generates and compiles kernels (C++ on a CPU, Triton on a
    GPU); later steps reuse them. Raises whatever ``torch.compile`` raises where it is unsupported.
    """
    model = torch.compile(fresh_mlp(x.device, seed))
    first = 1 / _samples_per_second(model, [(x[:batch_size], y[:batch_size])], 1, 1)  # one step, counted as 1
    batches = TensorBatches(x, y, batch_size, seed=seed, drop_last=True)  # one shape: no recompilation
    return first, _samples_per_second(model, batches, len(batches) * batch_size, epochs)


def achieved_gflops(samples_per_second: float, batch_size: int, sizes=SIZES) -> float:
    """The matrix-multiply rate (GFLOP/s) a loop achieves: steps per second x FLOPs per step."""
    return samples_per_second / batch_size * training_step_flops(sizes, batch_size).total / 1e9
