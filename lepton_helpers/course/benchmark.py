"""Training-speed benchmark: the speed ladder, its two limits, the estimator against scikit-learn, time to 97%.

Usage (from anywhere the package is installed)::

    python -m lepton_helpers.course.benchmark            # the full benchmark
    python -m lepton_helpers.course.benchmark --quick    # tiny sizes and a light protocol, to check that it runs
    python -m lepton_helpers.course.benchmark --threads 2 --record   # and write the figures to records/benchmark.json

It prints, measured in one run, for the same MLP (784-128-64-10), Adam and batch size:

1. the ladder: training samples per second of the articles' per-sample ``DataLoader`` recipe, of
   the standard ``DataLoader`` over in-memory tensors, of the helpers' loop (``train_epoch`` over
   ``TensorBatches``) and of the fastest step (:class:`~lepton_helpers.fastmlp.FastMLPTrainer`),
   each timed over at least a second of work after a warm-up, as the median and spread of 5
   interleaved repeats (:func:`~lepton_helpers.course.ladder.measure_rates`); with each rung's share of
   the two limits, the measured ``torch.mm`` 1024 x 1024 peak and the step's own matrix products
   timed alone, and its ratio to the standard path;
2. where a step's time goes, operation by operation (``torch.profiler``), in the helpers' loop and
   in the fastest step;
3. ``LeptonClassifier`` against scikit-learn's ``MLPClassifier`` with the same data, layers, batch,
   learning rate and epochs: test accuracy and warm fit seconds over 3 seeds;
4. the time a recipe (:data:`BENCHMARK_RECIPE`, trained by ``recipe.recipe_epoch``) takes to reach 97%
   test accuracy on MNIST-10k.

Timings depend on the machine and on whatever else runs on it; compare ratios measured in one
run, not figures from two runs. Nothing here asserts a time. ``--record`` writes the figures of a
full run to ``lepton_helpers/course/records/benchmark.json``, from which ``nbtools sync`` writes
README.md's benchmark table (:func:`readme_table`), so the README quotes one recorded run.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from ..env import get_device
from ..evaluation import compare, mean_se
from ..models import MLP, count_parameters
from ..profiling import operation_profile, training_step_flops
from .ladder import (RUNGS, SIZES, Rate, SpeedLadder, compiled_samples_per_second, fastest_epoch, fresh_mlp,
                     helpers_epoch, speed_ladder, synchronize)
from ..recipe import Recipe, background, recipe_epoch, recipe_parts
from ..training import TensorBatches, evaluate

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
    """Train the MLP with ``recipe`` (:func:`~lepton_helpers.recipe.recipe_epoch`) until its test accuracy,
    checked after each epoch (off the clock), reaches ``target``; at most ``recipe.epochs`` epochs.

    The test set chooses the stopping epoch (as DAWNBench does): fine for timing, not for reporting an accuracy.
    """
    model = fresh_mlp(x_train.device, seed)
    parts = recipe_parts(recipe, model, len(x_train), fill=fill, seed=seed)
    batches = TensorBatches(x_train, y_train, recipe.batch_size, seed=seed)
    result = TimeToAccuracy(target, False, 0, 0.0, recipe=describe(recipe))
    for epoch in range(1, recipe.epochs + 1):
        start = time.perf_counter()
        recipe_epoch(model, batches, parts)
        synchronize(x_train.device)
        result.seconds += time.perf_counter() - start
        result.epochs = epoch
        result.test_acc.append(evaluate(model, x_test, y_test)[1])
        if result.test_acc[-1] >= target:
            result.reached = True
            break
    return result


# ---------------------------------------------------------------- the estimator against scikit-learn
@dataclass
class EstimatorRuns:
    """Test accuracy and fit seconds of one estimator, one entry per seed."""

    accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


LIKE_FOR_LIKE = ("like for like: both on the same float32 rows, hidden (128, 64) ReLU, Glorot-uniform start, "
                 "Adam(W) lr 1e-3 with betas (0.9, 0.999) and eps 1e-8, batch 100, reshuffled every epoch, no "
                 "regularisation (alpha=0, weight_decay=0: an L2 penalty and AdamW's decoupled decay are the same "
                 "only at 0), CPU")


def estimator_comparison(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
                         seeds=(0, 1, 2), epochs: int = 10) -> dict[str, EstimatorRuns]:
    """Test accuracy and fit seconds per seed of ``LeptonClassifier`` and ``MLPClassifier`` set up alike
    (:data:`LIKE_FOR_LIKE`), ``epochs`` passes each, the two taking turns after an untimed warm-up fit."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from ..estimator import LeptonClassifier

    x_train, x_test = np.asarray(x_train, np.float32), np.asarray(x_test, np.float32)
    makers = {"LeptonClassifier": lambda seed: LeptonClassifier(epochs=epochs, weight_decay=0.0, random_state=seed,
                                                                device="cpu"),
              "MLPClassifier": lambda seed: MLPClassifier(hidden_layer_sizes=(128, 64), batch_size=100, alpha=0.0,
                                                          learning_rate_init=1e-3, max_iter=epochs, random_state=seed)}
    runs = {name: EstimatorRuns() for name in makers}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter epochs on purpose, as LeptonClassifier's
        for make in makers.values():
            make(0).fit(x_train, y_train)  # untimed, the same size: imports, thread pools and memory are warm
        for seed in seeds:
            for name, make in makers.items():
                start = time.perf_counter()
                model = make(seed).fit(x_train, y_train)
                runs[name].seconds.append(time.perf_counter() - start)
                runs[name].accuracy.append(model.score(x_test, y_test))
    return runs


# ---------------------------------------------------------------- the command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.benchmark",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and a light protocol: checks that it runs")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for PyTorch and NumPy's BLAS (default: their own choice, one per core)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (first call compiles: slow)")
    parser.add_argument("--max-epochs", type=int, default=12, help="cap (and schedule length) for time to 97%%")
    parser.add_argument("--record", action="store_true",
                        help=f"write the figures to {RECORD} (README.md's table: then run nbtools sync)")
    args = parser.parse_args(argv)
    if args.record and args.quick:
        parser.error("--record keeps the figures of a full run: drop --quick")
    if args.threads is None:
        figures = run(args)
    else:
        from threadpoolctl import threadpool_limits

        before = torch.get_num_threads()
        torch.set_num_threads(args.threads)
        try:
            with threadpool_limits(limits=args.threads):  # NumPy's BLAS, which MLPClassifier uses
                figures = run(args)
        finally:
            torch.set_num_threads(before)
    if args.record:
        command = "python -m lepton_helpers.course.benchmark --record" + (f" --threads {args.threads}" * bool(args.threads))
        record = {"command": command, "date": time.strftime("%Y-%m-%d"), "torch": torch.__version__,
                  "machine": _processor(), **figures}
        RECORD.write_text(json.dumps(record, indent=1) + "\n")
        print(f"\nrecorded in {RECORD}; run `python -m lepton_helpers.course.nbtools sync` to update README.md")


def run(args: argparse.Namespace) -> dict:
    """The benchmark for parsed command-line ``args`` (see :func:`main`); returns its figures, as recorded."""
    from ..data import load_mnist
    from ..preprocessing import mnist_splits, stratified_split

    device = get_device(args.device)
    mnist, splits = load_mnist("bundled", verbose=False), mnist_splits(device=device)
    b, quick = args.batch_size, args.quick
    n_articles, n_rows = (300, 1000) if quick else (2000, len(splits.x_train))
    seconds, repeats = (0.05, 2) if quick else (1.0, 5)
    threads = torch.get_num_threads()
    print(f"Lepton benchmark: torch {torch.__version__}, device {device.type}, {threads} thread{'s' * (threads > 1)}, "
          f"MLP {'-'.join(map(str, SIZES))} ({count_parameters(MLP(SIZES)):,} parameters), batch size {b}")
    if threads > 1:
        print("(threads wait for each other: if other programs load this machine, figures can drop a hundredfold;"
              " compare with --threads 1)")

    print(f"\n1. The ladder: training samples per second, Adam; every rung and limit timed over >= {seconds:g} s "
          f"of work after a warm-up,\n   {repeats} repeats taking turns (median and min-max; shares and ratios "
          f"repeat by repeat; the articles' recipe on {n_articles:,} digits, the others on {n_rows:,})")
    ladder = speed_ladder(mnist.train_images[:n_articles], mnist.train_labels[:n_articles], splits.x_train[:n_rows],
                          splits.y_train[:n_rows], b, seconds=seconds, repeats=repeats, n=256 if quick else 1024)
    print("   " + ladder.report().replace("\n", "\n   "))
    figures = {"threads": threads, "batch_size": b, "ladder": _ladder_figures(ladder)}
    gain = ladder.samples[RUNGS[3]] / ladder.samples[RUNGS[2]]
    figures["fastest_over_helpers"] = _spread(gain)
    print(f"   fastest step / helpers' loop: {gain.median:.2f}x ({gain.low:.2f}x-{gain.high:.2f}x); one step is "
          f"{training_step_flops(SIZES, b).total / 1e6:.2f} MFLOP of matrix products")

    rows = min(2000, n_rows)
    print(f"\n2. Where a step's time goes (torch.profiler, microseconds per step, passes over {rows:,} digits)")
    for rung, make in ((RUNGS[2], helpers_epoch), (RUNGS[3], fastest_epoch)):
        profile = operation_profile(make(splits.x_train[:rows], splits.y_train[:rows], b), calls=2 if quick else 5,
                                    per=-(-rows // b))
        print(f"   {rung}: {profile.total_us:,.0f} us per step under the profiler")
        print("      " + profile.table().replace("\n", "\n      "))

    train, _, _ = stratified_split(mnist.train_labels, (0.9, 0.1, 0.0), 0)  # mnist_splits' training digits
    as_rows = lambda images: images.reshape(len(images), -1).numpy() / 255.0  # in [0, 1]
    x_train, y_train = as_rows(mnist.train_images[train]), mnist.train_labels[train].numpy()
    x_test, y_test = as_rows(mnist.test_images), mnist.test_labels.numpy()
    if quick:
        x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:1000], y_test[:1000]
    epochs, seeds = 1 if quick else 10, (0, 1, 2)
    print(f"\n3. LeptonClassifier against scikit-learn's MLPClassifier: {len(x_train):,} training digits in [0, 1], "
          f"{len(x_test):,} test digits, epochs {epochs},\n   seeds {', '.join(map(str, seeds))}, timed after a "
          f"warm-up fit; {LIKE_FOR_LIKE}")
    runs = estimator_comparison(x_train, y_train, x_test, y_test, seeds=seeds, epochs=epochs)
    for name, result in runs.items():
        print(f"   {name:17} test accuracy {np.mean(result.accuracy):.2%} (mean; "
              f"{min(result.accuracy):.2%}-{max(result.accuracy):.2%}), fit {np.median(result.seconds):.2f} s "
              f"(median; {min(result.seconds):.2f}-{max(result.seconds):.2f})")
    lepton, sklearn = runs["LeptonClassifier"], runs["MLPClassifier"]
    speed = [theirs / ours for ours, theirs in zip(lepton.seconds, sklearn.seconds)]
    print(f"   LeptonClassifier fits {np.median(speed):.2f}x as fast "
          f"(seed by seed {min(speed):.2f}x-{max(speed):.2f}x)")
    verdict = compare(lepton.accuracy, sklearn.accuracy, names=("LeptonClassifier", "MLPClassifier"))
    print("   " + str(verdict))
    figures["estimator"] = {"epochs": epochs, "seeds": list(seeds), "speed_ratio": _spread(Rate(tuple(speed))),
                            "verdict": str(verdict).splitlines()[-1].strip(),
                            **{name: {"accuracy": result.accuracy, "seconds": result.seconds}
                               for name, result in runs.items()}}

    target, cap = 0.97, 1 if quick else args.max_epochs
    print(f"\n4. Time to {target:.0%} test accuracy (MNIST-10k: {len(splits.x_train):,} training digits, "
          f"official {len(splits.x_test):,} test digits)")
    result = time_to_accuracy(splits.x_train, splits.y_train, splits.x_test, splits.y_test, target=target,
                              recipe=replace(BENCHMARK_RECIPE, epochs=cap, batch_size=b),
                              fill=background(splits.normalizer))
    print(f"   recipe: {result.recipe}")
    figures["time_to_accuracy"] = {"target": target, "reached": result.reached, "epochs": result.epochs,
                                   "seconds": round(result.seconds, 2), "recipe": result.recipe}
    if result.reached:
        print(f"   reached {result.test_acc[-1]:.2%} after {result.epochs} epochs: {result.seconds:.1f} s of training")
    else:
        print(f"   NOT reached within the cap of {cap} epochs ({result.seconds:.1f} s): "
              f"best test accuracy {max(result.test_acc):.2%}")
    if args.compile:
        print("\n5. torch.compile of the helpers' loop (default inductor backend)")
        try:
            first, compiled = compiled_samples_per_second(splits.x_train[:n_rows], splits.y_train[:n_rows], b)
        except Exception as err:  # unsupported platform or no compiler: report, do not crash the benchmark
            print(f"   failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        else:
            print(f"   first step (tracing + code generation + compiling): {first:.1f} s")
            print(f"   afterwards: {compiled:,.0f} samples/s (one epoch, timed once) = "
                  f"{compiled / ladder.samples[RUNGS[2]].median:.2f}x the helpers' loop's median in section 1")
    return figures


# ---------------------------------------------------------------- the record and README.md's table
RECORD = Path(__file__).parent / "records" / "benchmark.json"


def _processor() -> str:
    """The CPU's model name where Linux says it (``/proc/cpuinfo``), else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def _spread(rate: Rate) -> dict:
    """A :class:`~lepton_helpers.course.ladder.Rate`'s median, min and max, as recorded."""
    return {"median": rate.median, "low": rate.low, "high": rate.high}


def _ladder_figures(ladder: SpeedLadder) -> dict:
    """Every rung's samples/s and shares of the two limits, and the limits, each as median and range."""
    rungs = {rung: {"samples_per_s": _spread(ladder.samples[rung]),
                    "of_peak": _spread(ladder.flops(rung) / ladder.peak),
                    "of_products": _spread(ladder.flops(rung) / ladder.products),
                    "vs_standard": _spread(ladder.samples[rung] / ladder.samples[RUNGS[1]])} for rung in RUNGS}
    return {"rungs": rungs, "mm_n": ladder.n, "peak_gflops": _spread(ladder.peak * 1e-9),
            "products_gflops": _spread(ladder.products * 1e-9), "step_mflop": training_step_flops(SIZES, ladder.batch_size).total / 1e6}


def readme_table(bench: dict, recipe: dict) -> str:
    """README.md's benchmark table, written from the recorded benchmark and recipe runs (``nbtools sync``)."""
    rng = lambda s, f: f"{f.format(s['median'])} ({f.format(s['low'])} to {f.format(s['high'])})"
    ladder, est = bench["ladder"], bench["estimator"]
    lines = [f"Recorded by `{bench['command']}` on {bench['date']} ({bench['machine']}, torch {bench['torch']}, "
             f"{bench['threads']} threads, batch {bench['batch_size']}); medians of 5 interleaved repeats, "
             "range in brackets. Figures vary with the machine and whatever else shares it: compare ratios.", "",
             "| figure | value |", "| --- | --- |"]
    for rung, row in ladder["rungs"].items():
        lines.append(f"| {rung}: samples/s; share of the mm peak; of the step's products; vs the standard path | "
                     f"{rng(row['samples_per_s'], '{:,.0f}')}; {rng(row['of_peak'], '{:.0%}')}; "
                     f"{rng(row['of_products'], '{:.0%}')}; {rng(row['vs_standard'], '{:.2f}x')} |")
    lines += [f"| limits: `torch.mm` {ladder['mm_n']}x{ladder['mm_n']}; the step's {ladder['step_mflop']:.2f} MFLOP of "
              f"products alone (GFLOP/s) | {rng(ladder['peak_gflops'], '{:.0f}')}; {rng(ladder['products_gflops'], '{:.0f}')} |",
              f"| fastest step / helpers' loop | {rng(bench['fastest_over_helpers'], '{:.2f}x')} |"]
    for name in ("LeptonClassifier", "MLPClassifier"):
        run = est[name]
        lines.append(f"| {name}, {est['epochs']} epochs, seeds {', '.join(map(str, est['seeds']))}: test accuracy "
                     f"(mean); fit seconds (median) | {np.mean(run['accuracy']):.2%}; {np.median(run['seconds']):.2f} s |")
    lines.append(f"| LeptonClassifier's fit speed / MLPClassifier's; accuracy verdict | "
                 f"{rng(est['speed_ratio'], '{:.2f}x')}; {est['verdict']} |")
    tta = bench["time_to_accuracy"]
    lines.append(f"| time to {tta['target']:.0%} test accuracy (MNIST-10k) | " + (
        f"{tta['seconds']:.1f} s of training ({tta['epochs']} epochs) |" if tta["reached"]
        else f"not reached in {tta['epochs']} epochs |"))
    accs = [r["test_acc"] for r in recipe["runs"]]
    mean, se = mean_se(accs)
    lines.append(f"| the recipe (`{recipe['command']}`), {recipe['recipe']['epochs']} epochs on "
                 f"{recipe['n_train']:,} digits, {len(accs)} seeds | {', '.join(f'{a:.2%}' for a in accs)}: "
                 f"mean {mean:.3%} ± {se:.3%} (standard error) |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
