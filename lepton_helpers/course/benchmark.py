"""Training-speed benchmark: the articles' input pipeline against the helpers' loop, on one machine.

Usage (from anywhere the package is installed)::

    python -m lepton_helpers.course.benchmark            # the full benchmark (about a minute on 2 cores)
    python -m lepton_helpers.course.benchmark --quick    # tiny sizes, to check that it runs

It prints, measured in one run: samples per second of the articles' per-sample ``DataLoader``
recipe, of the standard ``DataLoader`` over in-memory tensors and of the helpers' in-memory loop
(same model, same batch size), the helpers' ratio to the articles', the matrix-multiply bound (the
measured ``torch.mm`` rate against the rate the loop achieves), and the time the helpers' loop
takes to reach 97% test accuracy on MNIST-10k. Timings depend on the
machine and on whatever else runs on it; nothing here asserts one.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field, replace

import torch

from ..env import get_device
from ..models import MLP, count_parameters
from ..profiling import (SIZES, achieved_gflops, articles_samples_per_second, compiled_samples_per_second,
                         dataloader_samples_per_second, fresh_mlp, helpers_samples_per_second, matmul_gflops,
                         synchronize, training_step_flops)
from ..recipe import Recipe, background, recipe_parts
from ..training import TensorBatches, evaluate, train_epoch

# ---------------------------------------------------------------- time to accuracy
BENCHMARK_RECIPE = Recipe(epochs=12, batch_size=100, lr=5e-3, weight_decay=0.05)
"""Notebook 07's ingredients, with a higher rate and decay to get to 97% in few epochs; ``epochs`` is the cap."""


def describe(recipe: Recipe) -> str:
    """A one-line summary of the choices in ``recipe`` that the benchmark times."""
    return (f"AdamW lr {recipe.lr:g}" + (f" one-cycle over {recipe.epochs} epochs" if recipe.one_cycle else "")
            + f", weight decay {recipe.weight_decay:g}, label smoothing {recipe.label_smoothing:g}, "
            f"batch {recipe.batch_size}" + (", random affine batches" if recipe.augment else ""))


@dataclass
class TimeToAccuracy:
    """Result of :func:`time_to_accuracy`: ``epochs`` and ``seconds`` are those of the first epoch at target."""

    target: float
    reached: bool
    epochs: int
    seconds: float
    test_acc: list[float] = field(default_factory=list)
    recipe: str = ""


def time_to_accuracy(x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor, *,
                     target: float = 0.97, recipe: Recipe = BENCHMARK_RECIPE, fill: float = 0.0,
                     seed: int = 0) -> TimeToAccuracy:
    """Train the MLP with ``recipe`` (:func:`~lepton_helpers.recipe.recipe_parts`, the helpers' loop) until
    its test accuracy, checked after each epoch, reaches ``target``; at most ``recipe.epochs`` epochs.

    ``fill`` is the background value of the normalised pixels (:func:`~lepton_helpers.recipe.background`).
    Like the time-to-accuracy benchmarks (DAWNBench), it stops at the first epoch whose *test*
    accuracy reaches the target, so the test set chooses the stopping epoch: fine for timing, not
    for reporting an accuracy. The clock excludes the per-epoch evaluation.
    """
    model = fresh_mlp(x_train.device, seed)
    parts = recipe_parts(recipe, model, len(x_train), fill=fill, seed=seed)
    batches = TensorBatches(x_train, y_train, recipe.batch_size, seed=seed)
    result = TimeToAccuracy(target, False, 0, 0.0, recipe=describe(recipe))
    for epoch in range(1, recipe.epochs + 1):
        start = time.perf_counter()
        train_epoch(model, batches, parts.optimizer, parts.loss_fn, parts.batch_scheduler, augment=parts.augment)
        synchronize(x_train.device)
        result.seconds += time.perf_counter() - start
        result.epochs = epoch
        result.test_acc.append(evaluate(model, x_test, y_test)[1])
        if result.test_acc[-1] >= target:
            result.reached = True
            break
    return result


# ---------------------------------------------------------------- the command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one epoch: checks that it runs")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's choice)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (first call compiles: slow)")
    parser.add_argument("--max-epochs", type=int, default=12, help="cap (and schedule length) for time to 97%%")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    from ..data import load_mnist
    from ..preprocessing import mnist_splits

    device = get_device(args.device)
    mnist, splits = load_mnist("bundled", verbose=False), mnist_splits(device=device)
    n_articles, n_helpers = (500, 2000) if args.quick else (len(splits.x_train), len(splits.x_train))
    b, model = args.batch_size, MLP(SIZES)
    print(f"Lepton benchmark: torch {torch.__version__}, device {device.type}, {torch.get_num_threads()} threads, "
          f"MLP {'-'.join(map(str, SIZES))} ({count_parameters(model):,} parameters), batch size {b}")
    if torch.get_num_threads() > 1:
        print("(threads wait for each other: if other programs load this machine, figures can drop a hundredfold;"
              " compare with --threads 1)")

    print("\n1. Input pipeline (training samples per second, one epoch each, Adam)")
    slow = articles_samples_per_second(mnist.train_images[:n_articles], mnist.train_labels[:n_articles], b, device=device)
    standard = dataloader_samples_per_second(splits.x_train[:n_helpers], splits.y_train[:n_helpers], b)
    fast = helpers_samples_per_second(splits.x_train[:n_helpers], splits.y_train[:n_helpers], b)
    print(f"   articles' recipe (per-sample PIL + ToTensor + Normalize, DataLoader): {slow:9,.0f} samples/s ({n_articles:,} samples)")
    print(f"   standard path (in-memory TensorDataset, DataLoader):                 {standard:9,.0f} samples/s ({n_helpers:,} samples)")
    print(f"   helpers' loop (in-memory TensorBatches + train_epoch):                {fast:9,.0f} samples/s ({n_helpers:,} samples)")
    print(f"   ratio: {fast / slow:.1f}x (target on a 2-core CPU: >= 8x)")

    print("\n2. Matrix-multiply bound")
    flops = training_step_flops(SIZES, b)
    n = 256 if args.quick else 1024
    peak = matmul_gflops(n, device=device)
    loop = achieved_gflops(fast, b)
    print(f"   one training step: {flops.total / 1e6:.2f} MFLOP (forward {flops.forward / 1e6:.2f}, backward {flops.backward / 1e6:.2f})")
    print(f"   measured peak, torch.mm {n}x{n} float32: {peak:8.1f} GFLOP/s")
    print(f"   helpers' loop achieves:                {loop:8.1f} GFLOP/s = {loop / peak:.0%} of the peak")

    target, cap = 0.97, 1 if args.quick else args.max_epochs
    print(f"\n3. Time to {target:.0%} test accuracy (MNIST-10k: {len(splits.x_train):,} training digits, "
          f"official {len(splits.x_test):,} test digits)")
    result = time_to_accuracy(splits.x_train, splits.y_train, splits.x_test, splits.y_test, target=target,
                              recipe=replace(BENCHMARK_RECIPE, epochs=cap, batch_size=b),
                              fill=background(splits.normalizer))
    print(f"   recipe: {result.recipe}")
    if result.reached:
        print(f"   reached {result.test_acc[-1]:.2%} after {result.epochs} epochs: {result.seconds:.1f} s of training")
    else:
        print(f"   NOT reached within the cap of {cap} epochs ({result.seconds:.1f} s): "
              f"best test accuracy {max(result.test_acc):.2%}")
    if args.compile:
        print("\n4. torch.compile of the same model (default inductor backend)")
        try:
            first, compiled = compiled_samples_per_second(splits.x_train[:n_helpers], splits.y_train[:n_helpers], b)
        except Exception as err:  # unsupported platform or no compiler: report, do not crash the benchmark
            print(f"   failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        else:
            print(f"   first step (tracing + code generation + compiling): {first:.1f} s")
            print(f"   afterwards: {compiled:,.0f} samples/s = {compiled / fast:.2f}x the uncompiled loop")


if __name__ == "__main__":
    main()
