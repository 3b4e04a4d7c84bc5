"""Where a training step's time and memory go: FLOPs, the matrix-multiply rate and memory accounting.

Notebook 08 derives each formula by hand; these functions are the tested versions it reuses,
and the benchmark command (``python -m lepton_helpers.course.benchmark``) prints their figures.

Speed is measured with one protocol, :func:`measure_rates` (interleaved repeats over at least a
second of work each, reported as median and spread), against two limits: the ``torch.mm`` peak and
the training step's own matrix products timed alone. :func:`speed_ladder` times the same MLP
trained four ways (the articles' per-sample pipeline, the standard ``DataLoader``, the helpers'
in-memory loop, and :class:`FastMLPTrainer`, the step written out for speed), and
:func:`operation_profile` shows where a step's time goes, operation by operation.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .env import check_count, seeded
from .models import MLP
from .pictures import tqdm
from .training import History, TensorBatches, dataloader, train_epoch


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


# ---------------------------------------------------------------- measuring a throughput
@dataclass(frozen=True)
class Rate:
    """One throughput measured ``len(values)`` times (units per second, one value per repeat).

    Dividing two rates measured together (:func:`measure_rates`) divides them repeat by repeat:
    both values of a pair saw the same machine, so their ratio is steadier than either rate.
    """

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def __mul__(self, factor: float) -> "Rate":
        return Rate(tuple(v * factor for v in self.values))

    def __truediv__(self, other: "Rate") -> "Rate":
        if len(self.values) != len(other.values):
            raise ValueError("divide rates measured together: they need one value per repeat each")
        return Rate(tuple(a / b for a, b in zip(self.values, other.values)))


Workload = tuple[Callable[[], object], float]
"""``(run, units)``: calling ``run()`` does ``units`` of work (samples trained, or FLOPs)."""


def measure_rates(workloads: dict[str, Workload], *, seconds: float = 1.0, repeats: int = 5, chunk: float = 0.1,
                  device: torch.device | str = "cpu") -> dict[str, Rate]:
    """Units per second of each workload: ``repeats`` measurements, each over at least ``seconds`` of work.

    After one warm-up call each, every repeat runs the workloads in turn, about ``chunk`` seconds
    at a time, until each has run for ``seconds``: interleaved, they share whatever else the
    machine is doing, so their ratios hold even when the absolute figures drift. Report the
    median and the spread (:class:`Rate`), never a single run.
    """
    repeats = check_count("repeats", repeats)
    if not (seconds > 0 and chunk > 0):
        raise ValueError(f"seconds and chunk must be > 0, got seconds={seconds!r}, chunk={chunk!r}")

    def timed(run: Callable[[], object], calls: int) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            run()
        synchronize(device)
        return time.perf_counter() - start

    calls = {}
    for name, (run, _) in workloads.items():
        timed(run, 1)  # warm-up: first-call costs (allocation, thread start-up, lazy initialisation)
        calls[name] = max(1, round(chunk / max(timed(run, 1), 1e-9)))
    values = {name: [] for name in workloads}
    for _ in range(repeats):
        spent, done = dict.fromkeys(workloads, 0.0), dict.fromkeys(workloads, 0.0)
        while min(spent.values()) < seconds:
            for name, (run, units) in workloads.items():
                if spent[name] < seconds:
                    spent[name] += timed(run, calls[name])
                    done[name] += calls[name] * units
        for name in workloads:
            values[name].append(done[name] / spent[name])
    return {name: Rate(tuple(v)) for name, v in values.items()}


def matmul_workload(n: int = 1024, device: torch.device | str = "cpu") -> Workload:
    """One ``n x n`` by ``n x n`` float32 product into a ready output, and its 2 n^3 FLOPs (the peak)."""
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, generator=g).to(device) for _ in range(2))
    out = torch.empty(n, n, device=device)
    return (lambda: torch.mm(a, b, out=out)), 2 * n ** 3


def products_workload(sizes: Sequence[int], batch_size: int, device: torch.device | str = "cpu") -> Workload:
    """The matrix products of one training step, alone, and their FLOPs (:func:`training_step_flops`).

    Forward ``a W^T`` for every layer; backward ``dW = delta^T a`` for every layer and
    ``delta W`` for every layer but the first (8 products for 784-128-64-10), on random tensors
    of the step's shapes, each written into a ready output: the bound for a step that does
    nothing else, at this batch size, on these threads.
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
    """Where the time of ``run()`` goes, by PyTorch operation: ``torch.profiler`` over ``calls`` calls.

    After one warm-up call, each operation's *self* time (its own work, not the operations it
    calls) is summed and divided by ``calls * per``: with ``per`` steps in one call of ``run``, the
    figures are microseconds per step. The rows add up to the time spent inside PyTorch's
    operations; the rest of the wall time is Python and dispatch. The profiler adds a little to
    every operation: read the shares, not the exact microseconds.
    """
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


# ---------------------------------------------------------------- the fastest step
class _StepBuffers(NamedTuple):
    """Batch-sized buffers of one step (views of :class:`FastMLPTrainer`'s full-batch ones)."""

    x: torch.Tensor
    y: torch.Tensor
    onehot: torch.Tensor
    log_p: torch.Tensor
    p: torch.Tensor
    a: list[torch.Tensor]
    delta: list[torch.Tensor]
    inputs: list[torch.Tensor]
    delta_t: list[torch.Tensor]


class FastMLPTrainer:
    """AdamW training of a ReLU :class:`~lepton_helpers.models.MLP` on cross-entropy, written out for speed.

    It takes the same steps as ``train_epoch(model, batches, torch.optim.AdamW(parameter_groups(model,
    weight_decay), lr))`` (equal weights up to float rounding; ``weight_decay=0`` is Adam), and
    drops what surrounds the matrix products there (notebook 08 profiles both):

    * no autograd: notebook 03's backward written out (``delta = softmax - onehot`` over the batch,
      ``dW = delta^T a``, ``delta W`` masked by the ReLU);
    * no allocation: the batch, every activation and every gradient live in buffers made once,
      which each operation fills (``out=``); the batch is gathered with ``index_select`` and the
      bias added inside the product (``addmm``);
    * one optimiser call: the parameters are views of one flat tensor (weights first, then
      biases), so one fused AdamW kernel (``torch._fused_adamw_``, the kernel behind
      ``torch.optim.AdamW(fused=True)``) updates them all, without the optimiser's per-step Python.

    The model's own parameters become views of that flat tensor, so the model is trained in place
    and stays an ordinary module (evaluate it, save it, call it). ``batches`` gives the data and
    the order of the batches: the same order it gives ``train_epoch``.
    """

    def __init__(self, model: MLP, batches: TensorBatches, *, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        if not isinstance(model, MLP) or model.activation != "relu":
            raise ValueError("FastMLPTrainer writes out the backward pass of an MLP with ReLU hidden layers; got "
                             f"{type(model).__name__} with activation {getattr(model, 'activation', None)!r}. "
                             "Train other models with training.fit.")
        if not (lr > 0 and weight_decay >= 0):
            raise ValueError(f"need lr > 0 and weight_decay >= 0, got lr={lr!r}, weight_decay={weight_decay!r}")
        layers = [block[0] for block in model.hidden] + [model.head]
        x, first = batches.x.reshape(len(batches.x), -1), layers[0].weight
        if x.shape[1] != model.sizes[0] or x.dtype != first.dtype or x.device != first.device:
            raise ValueError(f"the batches' rows ({x.shape[1]} {x.dtype} values on {x.device}) must match the "
                             f"model's input ({model.sizes[0]} {first.dtype} values on {first.device})")
        self.model, self.batches, self.x = model, batches, x
        params = [layer.weight for layer in layers] + [layer.bias for layer in layers]
        self.flat = torch.cat([p.detach().reshape(-1) for p in params])
        self.grad = torch.zeros_like(self.flat)
        offsets = [0]
        for p in params:
            offsets.append(offsets[-1] + p.numel())
        views = [self.flat[start:end].view_as(p) for p, start, end in zip(params, offsets, offsets[1:])]
        grads = [self.grad[start:end].view_as(p) for p, start, end in zip(params, offsets, offsets[1:])]
        for p, view in zip(params, views):
            p.data = view  # the module's parameters now read (and train) the flat tensor
        self.weights, self.biases = views[:len(layers)], views[len(layers):]  # the same, outside autograd
        self.weight_grads, self.bias_grads = grads[:len(layers)], grads[len(layers):]
        # AdamW's state, and its two groups: weights decay, biases do not (training.parameter_groups)
        self.exp_avg, self.exp_avg_sq = torch.zeros_like(self.flat), torch.zeros_like(self.flat)
        self.steps, self.one = torch.zeros((), dtype=torch.float32, device=x.device), torch.ones((), device=x.device)
        n_weights, n = offsets[len(layers)], len(self.flat)
        parts = [(0, n_weights, weight_decay), (n_weights, n, 0.0)] if weight_decay > 0 else [(0, n, 0.0)]
        self.groups = [([t[start:end] for t in (self.flat, self.grad, self.exp_avg, self.exp_avg_sq)], decay)
                       for start, end, decay in parts]
        self.hyper = dict(lr=float(lr), beta1=betas[0], beta2=betas[1], eps=eps, amsgrad=False, maximize=False)
        # buffers for a full batch; a smaller last batch uses their first rows
        b, sizes, like = batches.batch_size, model.sizes, dict(dtype=x.dtype, device=x.device)
        self.xb, self.yb = torch.empty(b, sizes[0], **like), torch.empty(b, 1, dtype=torch.long, device=x.device)
        self.y = batches.y.reshape(-1, 1)
        if self.y.dtype != torch.long or len(self.y) and not 0 <= self.y.min() <= self.y.max() < sizes[-1]:
            raise ValueError(f"labels must be int64 class indices from 0 to {sizes[-1] - 1} (the model's outputs), got "
                             f"{self.y.dtype} from {self.y.min().item()} to {self.y.max().item()}")
        # -onehot(y) / batch size for every row, gathered with the batch: delta = p / B + this row
        self.neg_onehot = torch.zeros(len(x), sizes[-1], **like).scatter_(1, self.y, -1.0 / b)
        self.onehot_b = torch.empty(b, sizes[-1], **like)
        self.a = [torch.empty(b, size, **like) for size in sizes[1:]]      # layer outputs (last: logits)
        self.delta = [torch.empty(b, size, **like) for size in sizes[1:]]  # dL/dz of each layer
        self.log_p, self.p = torch.empty(b, sizes[-1], **like), torch.empty(b, sizes[-1], **like)
        self.full = self._buffers(b)  # views made once: every operation on a view costs a little time
        self.weights_t = [w.t() for w in self.weights]
        self.log_p_true = torch.empty(len(x), 1, **like)  # this epoch's log-probability of the true class, row by row
        self.rows_done = 0

    def _buffers(self, rows: int) -> _StepBuffers:
        """Views of the first ``rows`` rows of every batch-sized buffer (all of them for a full batch)."""
        cut = lambda t: t[:rows]
        x, a, delta = cut(self.xb), [cut(t) for t in self.a], [cut(t) for t in self.delta]
        return _StepBuffers(x, cut(self.yb), cut(self.onehot_b), cut(self.log_p), cut(self.p), a, delta,
                            [x] + a[:-1], [t.t() for t in delta])

    def step(self, idx: torch.Tensor) -> None:
        """One AdamW step on the rows ``idx`` (at most the batch size); their loss counts in this epoch's mean."""
        rows, full = idx.shape[0], self.batches.batch_size
        if self.rows_done + rows > self.log_p_true.shape[0]:  # steps beyond one epoch's rows start a new epoch
            self.rows_done = 0
        buf = self.full if rows == full else self._buffers(rows)
        a, delta = buf.a, buf.delta
        torch.index_select(self.x, 0, idx, out=buf.x)
        torch.index_select(self.y, 0, idx, out=buf.y)
        torch.index_select(self.neg_onehot, 0, idx, out=buf.onehot)
        for layer, (w_t, bias) in enumerate(zip(self.weights_t, self.biases)):
            torch.addmm(bias, buf.inputs[layer], w_t, out=a[layer])  # z = a_prev W^T + b
            if layer < len(a) - 1:
                a[layer].relu_()
        torch.log_softmax(a[-1], 1, out=buf.log_p)
        torch.gather(buf.log_p, 1, buf.y, out=self.log_p_true[self.rows_done:self.rows_done + rows])
        self.rows_done += rows
        torch.exp(buf.log_p, out=buf.p)
        torch.add(buf.onehot, buf.p, alpha=1.0 / full, out=delta[-1])  # (softmax - onehot) / batch size
        if rows != full:
            delta[-1].mul_(full / rows)
        for layer in reversed(range(len(a))):
            torch.mm(buf.delta_t[layer], buf.inputs[layer], out=self.weight_grads[layer])  # dW = delta^T a_prev
            torch.sum(delta[layer], 0, out=self.bias_grads[layer])
            if layer > 0:  # the data needs no gradient
                torch.mm(delta[layer], self.weights[layer], out=delta[layer - 1])
                torch.ops.aten.threshold_backward.grad_input(delta[layer - 1], a[layer - 1], 0,
                                                             grad_input=delta[layer - 1])  # ReLU: 0 where a <= 0
        self.steps.add_(self.one)
        for (param, grad, exp_avg, exp_avg_sq), decay in self.groups:
            torch._fused_adamw_([param], [grad], [exp_avg], [exp_avg_sq], [], [self.steps], weight_decay=decay,
                                **self.hyper)

    def train_epoch(self) -> float:
        """One pass over the batches; the mean training loss (as ``train_epoch`` returns it)."""
        self.rows_done = 0
        for idx in self.batches.batch_indices():
            self.step(idx)
        return -self.log_p_true[:self.rows_done].mean().item()

    def fit(self, epochs: int, *, progress: bool = False, desc: str = "training") -> History:
        """``epochs`` passes; a :class:`~lepton_helpers.training.History` of training losses and seconds."""
        history, start, epochs = History(), time.perf_counter(), range(check_count("epochs", epochs))
        for _ in tqdm(epochs, desc=desc) if progress else epochs:  # even a disabled bar takes a lock
            history.train_loss.append(self.train_epoch())
            history.seconds.append(time.perf_counter() - start)
        return history


# ---------------------------------------------------------------- training speed: the ladder
SIZES = (784, 128, 64, 10)


def fresh_mlp(device: torch.device | str, seed: int) -> MLP:
    """The benchmarks' 784-128-64-10 MLP, initialised from ``seed`` (the caller's random state untouched)."""
    with seeded(seed):
        return MLP(SIZES).to(device)


def articles_epoch(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 100, *,
                   device: torch.device | str = "cpu", seed: int = 0, **loader_kwargs) -> Callable[[], None]:
    """A function that trains one model (Adam, lr 1e-3) for one epoch of the articles' recipe per call.

    Every sample of ``images`` (uint8, N x 28 x 28) goes through PIL, ``ToTensor`` and ``Normalize``
    one at a time and the ``DataLoader`` stacks them into batches; ``loader_kwargs``
    (``num_workers``, ``pin_memory``) go to the ``DataLoader``.
    """
    from .recipe import articles_loader, articles_train  # torchvision: imported only when the articles' recipe runs

    model = fresh_mlp(device, seed)
    loader = articles_loader(images, labels, batch_size, seed=seed, **loader_kwargs)
    return lambda: articles_train(model, loader, epochs=1, device=device)


def _autograd_epoch(batches, device: torch.device | str, seed: int) -> Callable[[], object]:
    model = fresh_mlp(device, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return lambda: train_epoch(model, batches, optimizer)


def standard_epoch(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, seed: int = 0) -> Callable[[], object]:
    """One epoch per call of the standard path: ``train_epoch`` over a ``DataLoader`` of a ``TensorDataset``.

    The ``DataLoader`` fetches ``dataset[i]`` one sample at a time and stacks them
    (``default_collate``): what is left of the articles' cost once their per-sample PIL transforms
    are gone. Same model and Adam as :func:`articles_epoch`; ``x`` and ``y`` (already normalised)
    stay on their device.
    """
    return _autograd_epoch(dataloader(x, y, batch_size, seed=seed), x.device, seed)


def helpers_epoch(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, seed: int = 0) -> Callable[[], object]:
    """One epoch per call of the helpers' loop: ``train_epoch`` over in-memory ``TensorBatches`` (autograd, Adam)."""
    return _autograd_epoch(TensorBatches(x, y, batch_size, seed=seed), x.device, seed)


def fastest_epoch(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, seed: int = 0) -> Callable[[], object]:
    """One epoch per call of :class:`FastMLPTrainer` (the same model, batches and Adam as :func:`helpers_epoch`)."""
    return FastMLPTrainer(fresh_mlp(x.device, seed), TensorBatches(x, y, batch_size, seed=seed)).train_epoch


def _samples_per_second(run_epoch: Callable[[], object], samples: int, epochs: int,
                        device: torch.device | str) -> float:
    start = time.perf_counter()
    for _ in range(epochs):
        run_epoch()
    synchronize(device)
    return epochs * samples / (time.perf_counter() - start)


def articles_samples_per_second(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 100, *,
                                device: torch.device | str = "cpu", seed: int = 0, **loader_kwargs) -> float:
    """Training samples per second of the articles' recipe (:func:`articles_epoch`), one epoch timed once."""
    run = articles_epoch(images, labels, batch_size, device=device, seed=seed, **loader_kwargs)
    return _samples_per_second(run, len(images), 1, device)


def helpers_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                               seed: int = 0) -> float:
    """Training samples per second of the helpers' loop (:func:`helpers_epoch`), ``epochs`` timed once."""
    return _samples_per_second(helpers_epoch(x, y, batch_size, seed=seed), len(x), epochs, x.device)


def dataloader_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                                  seed: int = 0) -> float:
    """Training samples per second of the standard path (:func:`standard_epoch`), ``epochs`` timed once."""
    return _samples_per_second(standard_epoch(x, y, batch_size, seed=seed), len(x), epochs, x.device)


def compiled_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                                seed: int = 0) -> tuple[float, float]:
    """``(seconds of the first step, samples per second after it)`` of the helpers' loop on ``torch.compile(model)``.

    The first step traces the model and generates and compiles kernels (C++ on a CPU, Triton on a
    GPU); later steps reuse them. On a CPU without a C++ compiler it raises a ``RuntimeError`` that
    says so before compiling; elsewhere it raises whatever ``torch.compile`` raises where unsupported.
    """
    if x.device.type == "cpu" and not any(shutil.which(name) for name in ("g++", "clang++", "c++")):
        raise RuntimeError("torch.compile's CPU backend needs a C++ compiler and none was found on the PATH: "
                           "install g++ or clang")
    model = torch.compile(fresh_mlp(x.device, seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = 1 / _samples_per_second(lambda: train_epoch(model, [(x[:batch_size], y[:batch_size])], optimizer), 1, 1,
                                    x.device)  # one step, counted as one sample
    batches = TensorBatches(x, y, batch_size, seed=seed, drop_last=True)  # one shape: no recompilation
    return first, _samples_per_second(lambda: train_epoch(model, batches, optimizer), len(batches) * batch_size,
                                      epochs, x.device)


def achieved_gflops(samples_per_second: float, batch_size: int, sizes=SIZES) -> float:
    """The matrix-multiply rate (GFLOP/s) a loop achieves: steps per second x FLOPs per step."""
    return samples_per_second / batch_size * training_step_flops(sizes, batch_size).total / 1e9


RUNGS = ("articles' recipe", "standard DataLoader path", "helpers' loop", "fastest step")
"""The ladder, slowest first: the same MLP, Adam and batch size, with less and less around the arithmetic."""


@dataclass(frozen=True)
class SpeedLadder:
    """Samples per second of every rung and the two limits, all measured together (:func:`speed_ladder`)."""

    samples: dict[str, Rate]
    """Rung (:data:`RUNGS`) -> training samples per second."""
    peak: Rate
    """FLOP/s of one large square ``torch.mm`` (``n`` x ``n``): what the processor can do at best."""
    products: Rate
    """FLOP/s of the step's own matrix products alone (:func:`products_workload`): the bound for this step."""
    batch_size: int
    n: int

    def flops(self, rung: str) -> Rate:
        """FLOP/s of the matrix products that a rung's training steps perform."""
        return self.samples[rung] * (training_step_flops(SIZES, self.batch_size).total / self.batch_size)

    def report(self, baseline: str = RUNGS[1]) -> str:
        """The ladder as a table: median samples/s and spread, GFLOP/s, shares of both limits, ratio to ``baseline``."""
        spread = lambda r, f="{:,.0f}": f"{f.format(r.median)} ({f.format(r.low)}-{f.format(r.high)})"
        pct = lambda r: f"{r.median:.0%} ({r.low:.0%}-{r.high:.0%})"
        lines = [f"{'':26} {'samples/s: median (min-max)':>32} {'GFLOP/s':>8} {'of the mm peak':>16} "
                 f"{'of the products':>16} {'vs ' + baseline.split()[0]:>16}"]
        for rung, rate in self.samples.items():
            lines.append(f"{rung:26} {spread(rate):>32} {self.flops(rung).median / 1e9:8.1f} "
                         f"{pct(self.flops(rung) / self.peak):>16} {pct(self.flops(rung) / self.products):>16} "
                         f"{spread(rate / self.samples[baseline], '{:.2f}x'):>16}")
        lines.append(f"limits: torch.mm {self.n}x{self.n} {spread(self.peak * 1e-9, '{:.0f}')} GFLOP/s; the step's "
                     f"products alone {spread(self.products * 1e-9, '{:.0f}')} GFLOP/s = "
                     f"{pct(self.products / self.peak)} of the peak")
        return "\n".join(lines)


def speed_ladder(images: torch.Tensor, labels: torch.Tensor, x: torch.Tensor, y: torch.Tensor, batch_size: int = 100,
                 *, seconds: float = 1.0, repeats: int = 5, n: int = 1024, seed: int = 0) -> SpeedLadder:
    """Measure the ladder (:data:`RUNGS`) and both limits together with :func:`measure_rates`.

    ``images`` and ``labels`` (uint8 images) feed the articles' recipe; ``x`` and ``y`` (normalised
    rows, on the device to measure) feed the others. Each rung trains its own model from ``seed``.
    """
    workloads = {RUNGS[0]: (articles_epoch(images, labels, batch_size, device=x.device, seed=seed), len(images)),
                 RUNGS[1]: (standard_epoch(x, y, batch_size, seed=seed), len(x)),
                 RUNGS[2]: (helpers_epoch(x, y, batch_size, seed=seed), len(x)),
                 RUNGS[3]: (fastest_epoch(x, y, batch_size, seed=seed), len(x)),
                 "peak": matmul_workload(n, x.device), "products": products_workload(SIZES, batch_size, x.device)}
    rates = measure_rates(workloads, seconds=seconds, repeats=repeats, device=x.device)
    return SpeedLadder({rung: rates[rung] for rung in RUNGS}, rates["peak"], rates["products"], batch_size, n)
