"""The benchmark's speed ladder: the same MLP trained four ways, timed together against two limits.

The rungs (:data:`RUNGS`) are the articles' per-sample pipeline, the standard ``DataLoader``, the
helpers' in-memory loop and :class:`~lepton_helpers.fastmlp.FastMLPTrainer`. :func:`speed_ladder`
times them with :func:`measure_rates`: interleaved repeats over at least a second of work each, so
that their ratios hold when the machine's speed drifts. Notebook 08 teaches the same ladder with
``profiling.timed``; this module serves ``python -m lepton_helpers.course.benchmark``.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..env import check_count, seeded
from ..models import MLP
from ..fastmlp import FastMLPTrainer
from ..profiling import Workload, matmul_workload, products_workload, training_step_flops
from ..training import TensorBatches, dataloader, train_epoch

SIZES = (784, 128, 64, 10)
RUNGS = ("articles' recipe", "standard DataLoader path", "helpers' loop", "fastest step")
"""The ladder, slowest first: the same MLP, Adam and batch size, with less and less around the arithmetic."""


def synchronize(device: torch.device | str) -> None:
    """Wait for queued GPU work, so that a clock read after it measures the work and not just its launch."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


# ---------------------------------------------------------------- the rungs
def fresh_mlp(device: torch.device | str, seed: int) -> MLP:
    """The benchmarks' 784-128-64-10 MLP, initialised from ``seed`` (the caller's random state untouched)."""
    with seeded(seed):
        return MLP(SIZES).to(device)


def articles_epoch(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 100, *,
                   device: torch.device | str = "cpu", seed: int = 0, **loader_kwargs) -> Callable[[], None]:
    """One epoch per call of the articles' recipe (Adam 1e-3; uint8 ``images`` through PIL, one by one).

    ``loader_kwargs`` (``num_workers``, ``pin_memory``) go to the ``DataLoader``.
    """
    from ..recipe import articles_loader, articles_train  # torchvision: imported only when the articles' recipe runs

    model = fresh_mlp(device, seed)
    loader = articles_loader(images, labels, batch_size, seed=seed, **loader_kwargs)
    return lambda: articles_train(model, loader, epochs=1, device=device)


def _autograd_epoch(batches, device: torch.device | str, seed: int) -> Callable[[], object]:
    model = fresh_mlp(device, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return lambda: train_epoch(model, batches, optimizer)


def standard_epoch(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, seed: int = 0) -> Callable[[], object]:
    """One epoch per call of ``train_epoch`` over a ``DataLoader`` of a ``TensorDataset`` (one sample at a time)."""
    return _autograd_epoch(dataloader(x, y, batch_size, seed=seed), x.device, seed)


def helpers_epoch(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, seed: int = 0) -> Callable[[], object]:
    """One epoch per call of the helpers' loop: ``train_epoch`` over in-memory ``TensorBatches`` (autograd, Adam)."""
    return _autograd_epoch(TensorBatches(x, y, batch_size, seed=seed), x.device, seed)


def fastest_epoch(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, seed: int = 0) -> Callable[[], object]:
    """One epoch per call of :class:`FastMLPTrainer` (the same model, batches and Adam as :func:`helpers_epoch`)."""
    return FastMLPTrainer(fresh_mlp(x.device, seed), TensorBatches(x, y, batch_size, seed=seed)).train_epoch


# ---------------------------------------------------------------- single timings (the ledger's and torch.compile's)
def _samples_per_second(run_epoch: Callable[[], object], samples: int, epochs: int,
                        device: torch.device | str) -> float:
    start = time.perf_counter()
    for _ in range(epochs):
        run_epoch()
    synchronize(device)
    return epochs * samples / (time.perf_counter() - start)


def articles_samples_per_second(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 100, *,
                                device: torch.device | str = "cpu", seed: int = 0, **loader_kwargs) -> float:
    """Training samples per second of :func:`articles_epoch`, one epoch timed once."""
    run = articles_epoch(images, labels, batch_size, device=device, seed=seed, **loader_kwargs)
    return _samples_per_second(run, len(images), 1, device)


def helpers_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                               seed: int = 0) -> float:
    """Training samples per second of :func:`helpers_epoch`, ``epochs`` timed once."""
    return _samples_per_second(helpers_epoch(x, y, batch_size, seed=seed), len(x), epochs, x.device)


def compiled_samples_per_second(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, epochs: int = 1,
                                seed: int = 0) -> tuple[float, float]:
    """``(seconds of the first step, samples per second after it)`` of the helpers' loop on ``torch.compile(model)``.

    On a CPU without a C++ compiler it raises a ``RuntimeError`` that says so before compiling.
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


# ---------------------------------------------------------------- interleaved repeats
@dataclass(frozen=True)
class Rate:
    """One throughput measured ``len(values)`` times (units per second, one value per repeat).

    Dividing two rates measured together (:func:`measure_rates`) divides them repeat by repeat.
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


def measure_rates(workloads: dict[str, Workload], *, seconds: float = 1.0, repeats: int = 5, chunk: float = 0.1,
                  device: torch.device | str = "cpu") -> dict[str, Rate]:
    """Units per second of each workload: ``repeats`` measurements, each over at least ``seconds`` of work.

    After one warm-up call each, every repeat runs the workloads in turn, about ``chunk`` seconds
    at a time, until each has run for ``seconds``.
    """
    repeats = check_count("repeats", repeats)
    if not (seconds > 0 and chunk > 0):
        raise ValueError(f"seconds and chunk must be > 0, got seconds={seconds!r}, chunk={chunk!r}")

    def clock(run: Callable[[], object], calls: int) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            run()
        synchronize(device)
        return time.perf_counter() - start

    calls = {}
    for name, (run, _) in workloads.items():
        clock(run, 1)  # warm-up: first-call costs (allocation, thread start-up, lazy initialisation)
        calls[name] = max(1, round(chunk / max(clock(run, 1), 1e-9)))
    values = {name: [] for name in workloads}
    for _ in range(repeats):
        spent, done = dict.fromkeys(workloads, 0.0), dict.fromkeys(workloads, 0.0)
        while min(spent.values()) < seconds:
            for name, (run, units) in workloads.items():
                if spent[name] < seconds:
                    spent[name] += clock(run, calls[name])
                    done[name] += calls[name] * units
        for name in workloads:
            values[name].append(done[name] / spent[name])
    return {name: Rate(tuple(v)) for name, v in values.items()}


# ---------------------------------------------------------------- the ladder
@dataclass(frozen=True)
class SpeedLadder:
    """Samples per second of every rung and the two limits, all measured together (:func:`speed_ladder`)."""

    samples: dict[str, Rate]
    """Rung (:data:`RUNGS`) -> training samples per second."""
    peak: Rate
    """FLOP/s of one large square ``torch.mm`` (``n`` x ``n``)."""
    products: Rate
    """FLOP/s of the step's own matrix products alone (``profiling.products_workload``)."""
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
                 "peak": matmul_workload(n, n, n, x.device), "products": products_workload(SIZES, batch_size, x.device)}
    rates = measure_rates(workloads, seconds=seconds, repeats=repeats, device=x.device)
    return SpeedLadder({rung: rates[rung] for rung in RUNGS}, rates["peak"], rates["products"], batch_size, n)
