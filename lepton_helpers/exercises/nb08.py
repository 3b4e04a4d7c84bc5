"""Exercises of notebook 08 · Efficient computing: the FLOPs of a training step, the memory an optimiser
holds, and what the in-memory input pipeline buys once the step runs on a faster device."""

from __future__ import annotations

import torch

from ..profiling import mlp_memory, training_step_flops
from .framework import Compute, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 08 defines that an answer may use."""
    return {"torch": torch}


def _random_sizes(g: torch.Generator) -> tuple[int, ...]:
    depth = int(torch.randint(2, 6, (), generator=g))
    return tuple(int(s) for s in torch.randint(1, 500, (depth,), generator=g))


def _layers(sizes):
    return list(zip(sizes[:-1], sizes[1:]))


# ---------------------------------------------------------------- 08.1 FLOPs of a step
def _flops_cases(g: torch.Generator) -> list[tuple]:
    return [((784, 128, 64, 10), 100), ((20, 5), 1)] + [
        (_random_sizes(g), int(torch.randint(1, 300, (), generator=g))) for _ in range(3)]


def _flops(sizes, batch, *, factor=2, backward=("dW", "dX")):
    per_layer = [factor * batch * n_in * n_out for n_in, n_out in _layers(sizes)]
    total = sum(per_layer)
    if "dW" in backward:
        total += sum(per_layer)
    if "dX" in backward:
        total += sum(per_layer[1:])
    if "dX of the data" in backward:
        total += sum(per_layer)
    return total


STEP_FLOPS = Implement(
    id="08.1",
    title="The FLOPs of one training step",
    task="""Write `step_flops(sizes, batch)`: the matrix-multiply FLOPs (one multiply-add = 2 FLOPs) of one training
step, forward and backward, of an MLP with layer widths `sizes` (for example `(784, 128, 64, 10)`) on a
batch of `batch` digits, counted as section 2 counts them (bias adds, activations and the loss are
negligible and left out). The check compares with `training_step_flops(sizes, batch).total` for fresh
random sizes.""",
    answer_cell='''def step_flops(sizes, batch):
    """Matrix-multiply FLOPs of forward + backward for one batch through an MLP with these layer sizes."""
    raise NotImplementedError("your code here")''',
    answer_name="step_flops",
    solution='''def step_flops(sizes, batch):
    """Matrix-multiply FLOPs of forward + backward for one batch through an MLP with these layer sizes."""
    per_layer = [2 * batch * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    forward = sum(per_layer)
    weight_grads = sum(per_layer)            # dW = dY^T X, every layer
    input_grads = sum(per_layer[1:])         # dX = dY W, except for the data
    return forward + weight_grads + input_grads''',
    hints=("Count one layer's forward product first; then ask which products the backward pass needs for each layer.",
           "A layer (n_in, n_out) on a batch B is a (B, n_in) × (n_in, n_out) product. Backward needs one product of the "
           "same size for the weights' gradient and one for the gradient of the layer's input; does the data "
           "itself need a gradient?"),
    mistakes=(
        Mistake("forward only", "that is the forward pass only; the backward pass needs its own products for the "
                "weights' gradients and the inputs' gradients",
                lambda sizes, batch: _flops(sizes, batch, backward=())),
        Mistake("gradient of the data counted", "the first layer's input is the data, which needs no gradient: leave "
                "out its dX product",
                lambda sizes, batch: _flops(sizes, batch, backward=("dW", "dX", "dX of the data"))),
        Mistake("multiply-adds instead of FLOPs", "you counted multiply-adds; one multiply-add is 2 FLOPs",
                lambda sizes, batch: _flops(sizes, batch, factor=1)),
        Mistake("backward without dX", "backward also sends the gradient down to each layer's input (dX = dY W), for "
                "every layer above the first",
                lambda sizes, batch: _flops(sizes, batch, backward=("dW",))),
    ),
    reference=lambda sizes, batch: training_step_flops(sizes, batch).total,
    cases=_flops_cases,
    arg_names=("sizes", "batch"),
    tolerance=Tolerance(0, 0),
    against="profiling.training_step_flops",
)


# ---------------------------------------------------------------- 08.2 memory of parameters and optimiser
STATES = {"sgd": 0, "momentum": 1, "adam": 2}


def _memory(sizes, optimizer):
    budget = mlp_memory(sizes, batch_size=1, optimizer_states=STATES[optimizer])
    return budget.parameters + budget.gradients + budget.optimizer_state


def _bytes(sizes, optimizer, *, copies=None, biases=True, size=4):
    params = sum(n_in * n_out + (n_out if biases else 0) for n_in, n_out in _layers(sizes))
    return params * size * (2 + STATES[optimizer] if copies is None else copies)


def _memory_cases(g: torch.Generator) -> list[tuple]:
    # sgd and momentum first: a wrong count for Adam alone then fails on a case of its own
    return [(_random_sizes(g), name) for name in STATES] + [((784, 128, 64, 10), "adam")]


TRAINING_BYTES = Implement(
    id="08.2",
    title="What an optimiser holds in memory",
    task="""Write `training_bytes(sizes, optimizer)`: the bytes that the parameters, their gradients and the
optimiser's state take in float32 for an MLP with layer widths `sizes`, where `optimizer` is `"sgd"`
(no state), `"momentum"` (SGD with momentum) or `"adam"`. Activations are not included. The check
compares with `mlp_memory` for fresh random sizes and all three optimisers.""",
    answer_cell='''def training_bytes(sizes, optimizer):
    """Bytes of parameters + gradients + optimiser state, in float32 ("sgd", "momentum" or "adam")."""
    raise NotImplementedError("your code here")''',
    answer_name="training_bytes",
    solution='''def training_bytes(sizes, optimizer):
    """Bytes of parameters + gradients + optimiser state, in float32 ("sgd", "momentum" or "adam")."""
    parameters = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    states = {"sgd": 0, "momentum": 1, "adam": 2}[optimizer]   # values kept per parameter
    return 4 * parameters * (1 + 1 + states)                   # value, gradient, states; 4 bytes each''',
    hints=("Count the parameters first; then count how many numbers are stored for each of them.",
           "Every parameter has its value and its gradient; momentum keeps one more number per parameter (the "
           "velocity), Adam two (the running mean and mean square of the gradient). A float32 number is 4 bytes."),
    mistakes=(
        Mistake("forgot the gradients", "every parameter also has a gradient of the same size: count it",
                lambda sizes, optimizer: _bytes(sizes, optimizer, copies=1 + STATES[optimizer])),
        Mistake("bits instead of bytes", "that is in bits; a float32 value takes 4 bytes",
                lambda sizes, optimizer: _bytes(sizes, optimizer, size=32)),
        Mistake("forgot the biases", "each layer also has one bias per output: count them as parameters",
                lambda sizes, optimizer: _bytes(sizes, optimizer, biases=False)),
        Mistake("one state for Adam", "Adam keeps two numbers per parameter (running mean and mean square of the "
                "gradient), not one",
                lambda sizes, optimizer: _bytes(sizes, optimizer, copies=2 + min(STATES[optimizer], 1))),
    ),
    reference=_memory,
    cases=_memory_cases,
    arg_names=("sizes", "optimizer"),
    tolerance=Tolerance(0, 0),
    against="profiling.mlp_memory",
)


# ---------------------------------------------------------------- 08.3 the pipeline on a faster device
PER_SAMPLE_MS, GATHER_MS, CPU_STEP_MS, GPU_STEP_MS = 25.0, 0.15, 3.5, 0.25
"""Milliseconds per batch of 100: making it sample by sample, making it by one gather (both on the CPU),
and the training step on the CPU and on a GPU (round figures of the kind section 1 prints)."""


def _speedup(step_ms: float) -> float:
    return (PER_SAMPLE_MS + step_ms) / (GATHER_MS + step_ms)


PIPELINE = Compute(
    id="08.3",
    title="What does the in-memory pipeline buy on a faster device?",
    task=f"""Take round figures of the kind section 1 printed, per batch of 100 digits: making the batch sample by sample
costs {PER_SAMPLE_MS:g} ms, making it with one gather {GATHER_MS:g} ms, and the training step on it {CPU_STEP_MS:g} ms
on the CPU. Batches are made one after another with the steps (no workers), so an epoch takes
(batch time + step time) per batch. Now a GPU runs the step in **{GPU_STEP_MS:g} ms**, while the batches are
still made on the CPU as before. By what factor does switching from sample-by-sample batches to the
gather speed up an epoch **on the GPU**? Set `gpu_speedup` to that number (for example 2.5 for 2.5 times
faster); the check accepts ±0.5.""",
    answer_cell="gpu_speedup = None  # a number: how many times faster an epoch on the GPU gets with the gather",
    answer_name="gpu_speedup",
    solution=f"gpu_speedup = ({PER_SAMPLE_MS:g} + {GPU_STEP_MS:g}) / ({GATHER_MS:g} + {GPU_STEP_MS:g})   # time per batch, before / after",
    hints=("Write the time of one batch, making plus step, before and after the switch; an epoch is that times the "
           "number of batches, which cancels.",
           "Before: the sample-by-sample time plus the GPU step; after: the gather plus the GPU step. Divide the "
           "first by the second. Compare with the same ratio for the CPU step: why is it so much larger?"),
    mistakes=(
        Mistake("the CPU's step", f"that is the speed-up with the CPU's {CPU_STEP_MS:g} ms step; the question is about "
                f"the GPU's {GPU_STEP_MS:g} ms step", _speedup(CPU_STEP_MS)),
        Mistake("batch making alone", "that compares the batch-making times only; an epoch also runs the training "
                "step after every batch", PER_SAMPLE_MS / GATHER_MS),
        Mistake("batch making over the step", "that is how many GPU steps one sample-by-sample batch costs; compare "
                "the time per batch (making plus step) before and after the switch", PER_SAMPLE_MS / GPU_STEP_MS),
    ),
    value=lambda: _speedup(GPU_STEP_MS),
    quantity="the speed-up of an epoch on the GPU",
    unit="x",
    tolerance=0.5,
)

EXERCISES = (STEP_FLOPS, TRAINING_BYTES, PIPELINE)
