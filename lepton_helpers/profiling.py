"""Where a training step's time and memory go: FLOPs, timings, the matrix-multiply rate, memory.

Notebook 08 derives each formula by hand; these functions are the tested versions it reuses. Every
timing uses one protocol, :func:`timed` (``torch.utils.benchmark.Timer``: a warm-up, then blocks of
calls, summarised by the median and the interquartile range of the blocks). The step written out
for speed, 08's exhibit, is :mod:`~lepton_helpers.fastmlp`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .env import check_count

_cpp_extension_log = logging.getLogger("torch.utils.cpp_extension")
_level = _cpp_extension_log.level
_cpp_extension_log.setLevel(logging.ERROR)  # its import warns about CUDA_HOME on a CUDA build without a GPU
try:
    from torch.utils.benchmark import Timer
finally:
    _cpp_extension_log.setLevel(_level)


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
    """Matrix-product FLOPs of forward + backward for one mini-batch through linear layers of these ``sizes``.

    Each layer costs 2 B n_in n_out forward, as much for ``dW`` and, except the first (the data
    needs no gradient), as much again for ``dX`` (notebook 08 derives it).
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


# ---------------------------------------------------------------- timing: one protocol
@dataclass(frozen=True)
class Speed:
    """Units of work per second: at the median time per call and at the two quartiles (``low`` is the slower)."""

    median: float
    low: float
    high: float

    def __truediv__(self, other: "Speed") -> "Speed":
        """The ratio of two speeds; its range pairs their quartiles the widest way (``low / other.high`` ...)."""
        return Speed(self.median / other.median, self.low / other.high, self.high / other.low)

    def __mul__(self, factor: float) -> "Speed":
        return Speed(self.median * factor, self.low * factor, self.high * factor)

    def format(self, spec: str = "{:,.0f}") -> str:
        """``median (IQR low-high)``, each number formatted with ``spec``."""
        return f"{spec.format(self.median)} (IQR {spec.format(self.low)}-{spec.format(self.high)})"


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one function: the median and quartiles over ``blocks`` timed blocks of calls."""

    median: float
    q1: float
    q3: float
    blocks: int

    def per_second(self, units: float = 1.0) -> Speed:
        """``units`` of work per call, as units per second."""
        return Speed(units / self.median, units / self.q3, units / self.q1)

    def __str__(self) -> str:
        return f"{1e3 * self.median:.3f} ms (IQR {1e3 * self.q1:.3f}-{1e3 * self.q3:.3f}, {self.blocks} blocks)"


def timed(run: Callable[[], object], *, min_run_time: float = 0.2) -> Timing:
    """Time ``run()`` with ``torch.utils.benchmark.Timer.blocked_autorange`` on the current thread count.

    It warms up, then times blocks of calls for at least ``min_run_time`` seconds (synchronising a GPU).
    """
    if not min_run_time > 0:
        raise ValueError(f"min_run_time must be > 0 seconds, got {min_run_time!r}")
    timer = Timer(stmt="run()", globals={"run": run}, num_threads=torch.get_num_threads())
    times = timer.blocked_autorange(min_run_time=min_run_time).times
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return Timing(float(median), float(q1), float(q3), len(times))


# ---------------------------------------------------------------- the matrix-multiply rate
Workload = tuple[Callable[[], object], float]
"""``(run, units)``: calling ``run()`` does ``units`` of work (FLOPs, or samples trained)."""


def matmul_workload(m: int, k: int, n: int, device: torch.device | str = "cpu") -> Workload:
    """One float32 ``(m x k) @ (k x n)`` product written into a ready output, and its 2 m k n FLOPs."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(m, k, generator=g).to(device), torch.randn(k, n, generator=g).to(device)
    out = torch.empty(m, n, device=device)
    return (lambda: torch.mm(a, b, out=out)), 2 * m * k * n


def step_product_shapes(sizes: Sequence[int], batch_size: int) -> list[tuple[int, int, int]]:
    """``(m, k, n)`` of each matrix product of one training step, in :func:`products_workload`'s order."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = [(batch_size, n_in, n_out) for n_in, n_out in pairs]
    backward = [shape for layer in reversed(range(len(pairs)))
                for shape in [(pairs[layer][1], batch_size, pairs[layer][0])]
                + ([(batch_size, pairs[layer][1], pairs[layer][0])] if layer > 0 else [])]
    return forward + backward


def products_workload(sizes: Sequence[int], batch_size: int, device: torch.device | str = "cpu") -> Workload:
    """The matrix products of one training step, alone, and their FLOPs (:func:`training_step_flops`).

    Forward ``a W^T`` for every layer; backward ``dW = delta^T a`` for every layer and ``delta W``
    for every layer but the first, on random tensors of the step's shapes, each into a ready output.
    """
    g = torch.Generator().manual_seed(0)
    rand = lambda *shape: torch.randn(*shape, generator=g).to(device)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    weights, inputs, deltas = ([rand(o, i) for i, o in pairs], [rand(batch_size, i) for i, _ in pairs],
                               [rand(batch_size, o) for _, o in pairs])
    outputs, weight_grads = [torch.empty_like(d) for d in deltas], [torch.empty_like(w) for w in weights]
    input_grads = [torch.empty_like(a) for a in inputs]
    weights_t, deltas_t = [w.t() for w in weights], [d.t() for d in deltas]  # transposed views, made once

    def run() -> None:
        for w_t, a, out in zip(weights_t, inputs, outputs):
            torch.mm(a, w_t, out=out)
        for layer in reversed(range(len(pairs))):  # backward, as FastMLPTrainer.step orders it
            torch.mm(deltas_t[layer], inputs[layer], out=weight_grads[layer])
            if layer > 0:
                torch.mm(deltas[layer], weights[layer], out=input_grads[layer])

    return run, training_step_flops(sizes, batch_size).total


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


# ---------------------------------------------------------------- where a step's time goes
MATRIX_PRODUCTS = frozenset({"mm", "addmm", "bmm", "baddbmm", "addmv", "mv", "matmul", "dot"})
"""PyTorch's operations that multiply matrices or vectors (``aten::`` prefix removed), as the profiler names them."""


@dataclass(frozen=True)
class OperationProfile:
    """Microseconds per step of a profiled function: in total, and in each PyTorch operation (its own time)."""

    total_us: float
    operations: dict[str, float]
    """Operation name (``mm``, ``addmm``, ...) -> microseconds per step, largest first."""

    @property
    def outside_us(self) -> float:
        """Time in no operation: Python, PyTorch's dispatcher before an operation starts, and the profiler itself."""
        return self.total_us - sum(self.operations.values())

    def table(self, top: int = 6) -> str:
        """The ``top`` operations, the others together and the time outside them, in microseconds and shares."""
        rows = list(self.operations.items())[:top]
        rows += [(f"{len(self.operations) - len(rows)} other operations", sum(list(self.operations.values())[top:])),
                 ("outside operations (Python, dispatch)", self.outside_us)]
        return self._rows(rows)

    def by_kind(self) -> str:
        """Three rows whose names do not depend on the run: the matrix products, every other operation, the rest.

        Which small operation ranks fifth changes from run to run (and machine to machine); the
        products' share against everything else is what a profile of a training step is read for.
        """
        products = {name: us for name, us in self.operations.items() if name in MATRIX_PRODUCTS}
        others = {name: us for name, us in self.operations.items() if name not in MATRIX_PRODUCTS}
        return self._rows([(f"matrix products ({', '.join(sorted(products))})", sum(products.values())),
                           (f"{len(others)} other operations", sum(others.values())),
                           ("outside operations (Python, dispatch)", self.outside_us)])

    def _rows(self, rows: list[tuple[str, float]]) -> str:
        """One line per (name, microseconds) row: the time and its share of the step."""
        return "\n".join(f"{name:38} {us:8.1f} us {us / self.total_us:6.1%}" for name, us in rows)


@contextmanager
def _native_stderr_dropped() -> Iterator[None]:
    """Drop what native code writes straight to the process's error stream (file descriptor 2) in this block.

    PyTorch's profiler library logs its start and stop (and, on a CUDA build without a GPU, a
    failed GPU count) there, and Jupyter shows those lines under the cell; Python's own
    ``sys.stderr`` is flushed first and works again after the block.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def operation_profile(run: Callable[[], object], calls: int = 5, per: int = 1) -> OperationProfile:
    """Microseconds per step in each PyTorch operation (its self time) and in total, over ``calls`` calls
    of ``run`` (after a warm-up) that each do ``per`` steps, under ``torch.profiler``."""
    from torch.profiler import ProfilerActivity, profile

    units = check_count("calls", calls) * check_count("per", per)
    run()
    with _native_stderr_dropped():
        start = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(calls):
                run()
        total = (time.perf_counter() - start) / units * 1e6
        events = prof.key_averages()
    rows = {e.key.removeprefix("aten::"): e.self_cpu_time_total / units for e in events
            if e.key.startswith("aten::") and e.self_cpu_time_total > 0}
    return OperationProfile(total, dict(sorted(rows.items(), key=lambda row: -row[1])))
