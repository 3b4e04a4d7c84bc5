"""``python -m lepton_helpers.course.recipe``: train notebook 07's recipe per seed, or its ablation over seeds.

    python -m lepton_helpers.course.recipe                 # one seed, 100 epochs on the 9,000 training digits
    python -m lepton_helpers.course.recipe --seeds 3 --epochs 60 --all-training-digits --record
    python -m lepton_helpers.course.recipe --ablation --seeds 3 --epochs 10 --record
    python -m lepton_helpers.course.recipe --cv 30 60 --record

The second line is the run behind the course's answer to the articles' 98.50%: the recipe was fixed
by 5-fold cross-validation on the training digits (:func:`lepton_helpers.recipe.cross_validate`),
so training the final models on all 10,000 training digits (the 1,000 validation digits included)
uses no test information; each seed then meets the test set once. The third trains every variant of
the ablation (:meth:`Recipe.ablation_variants`) once per seed on the split of :func:`ablation_split`.
The fourth cross-validates epoch counts (5 folds of the 10,000 training digits, paired by fold).
``--record`` writes ``records/recipe_seeds.json``, ``recipe_ablation.json`` or ``recipe_cv.json``, which
notebook 07 prints. A benchmark, not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

import torch

from ..evaluation import accuracy_ci, mean_se
from ..preprocessing import Splits, mnist_splits
from ..recipe import Recipe, ablation, background, cross_validate, train_recipe
from ..training import evaluate

RECORD = Path(__file__).parent / "records" / "recipe_seeds.json"
ABLATION_RECORD = RECORD.with_name("recipe_ablation.json")
CV_RECORD = RECORD.with_name("recipe_cv.json")
HELD_OUT = 1000
"""Training digits the ablation leaves out and scores on, with the validation digits (notebook 07)."""


@dataclass(frozen=True)
class SeedRun:
    """One seed of the final run: its test accuracy, right answers and training time."""

    seed: int
    test_acc: float
    correct: int
    seconds: float


def training_digits(splits: Splits, all_digits: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The 9,000 training digits, or all 10,000 (the validation digits too) when ``all_digits``."""
    if not all_digits:
        return splits.x_train, splits.y_train
    return torch.cat([splits.x_train, splits.x_val]), torch.cat([splits.y_train, splits.y_val])


def train_seeds(recipe: Recipe, splits: Splits, seeds, *, all_digits: bool, progress: bool = True) -> list[SeedRun]:
    """Train ``recipe`` once per seed and score each model once on the test set."""
    x, y = training_digits(splits, all_digits)
    runs = []
    for seed in seeds:
        model, history = train_recipe(recipe, x, y, fill=background(splits.normalizer), seed=seed,
                                      progress=progress, desc=f"seed {seed}")
        acc = evaluate(model, splits.x_test, splits.y_test)[1]
        runs.append(SeedRun(seed, acc, round(acc * len(splits.y_test)), history.seconds[-1]))
    return runs


def ablation_split(splits: Splits, held_out: int = HELD_OUT):
    """``(x_fit, y_fit, x_held, y_held)``: the training digits less the last ``held_out``, and those
    digits after the validation digits, on which every ablation variant is scored."""
    x_held = torch.cat([splits.x_val, splits.x_train[-held_out:]])
    y_held = torch.cat([splits.y_val, splits.y_train[-held_out:]])
    return splits.x_train[:-held_out], splits.y_train[:-held_out], x_held, y_held


def ablation_correct(recipe: Recipe, splits: Splits, seeds, *, progress: bool = True) -> dict[str, list[int]]:
    """Per variant of ``recipe.ablation_variants()`` (the recipe itself named "recipe"), the held-out
    digits it gets right, one count per seed; seed ``s`` gives every variant the same start and batches."""
    x_fit, y_fit, x_held, y_held = ablation_split(splits)
    variants = {("recipe" if i == 0 else name): v for i, (name, v) in enumerate(recipe.ablation_variants().items())}
    counts = {name: [] for name in variants}
    for seed in seeds:
        rows = ablation(variants, x_fit, y_fit, x_held, y_held, fill=background(splits.normalizer), seed=seed,
                        progress=progress)
        for row in rows:
            counts[row.name].append(int(row.correct.sum()))
    return counts


def provenance(argv: list[str] | None) -> dict:
    """Where a record comes from: the command, the date, torch, threads and the machine."""
    return {"command": "python -m lepton_helpers.course.recipe " + " ".join(sys.argv[1:] if argv is None else argv),
            "date": date.today().isoformat(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "machine": f"{platform.machine()} ({_cpu_model()}, {os.cpu_count()} cores)"}


def _cpu_model() -> str:
    """The processor's name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
             if ln.startswith("model name")] if cpuinfo.exists() else []
    return names[0] if names else platform.processor() or platform.system()


def record_ablation(recipe: Recipe, splits: Splits, seeds, argv: list[str] | None, write: bool) -> None:
    """Run :func:`ablation_correct`, print each variant's held-out accuracy per seed, and record it if ``write``."""
    counts = ablation_correct(recipe, splits, seeds)
    n_held = len(ablation_split(splits)[3])
    for name, correct in counts.items():
        print(f"{name:<42} " + "  ".join(f"seed {s}: {c / n_held:.2%}" for s, c in zip(seeds, correct)))
    if write:
        record = {**provenance(argv), "recipe": asdict(recipe), "n_fit": len(splits.y_train) - HELD_OUT,
                  "n_held": n_held, "seeds": list(seeds), "correct": counts}
        ABLATION_RECORD.write_text(json.dumps(record, indent=1) + "\n")
        print(f"recorded in {ABLATION_RECORD}")


def record_cv(recipe: Recipe, splits: Splits, epoch_counts, argv: list[str] | None, write: bool) -> None:
    """Cross-validate ``recipe`` at each epoch count on all 10,000 training digits; print and record the folds."""
    x, y = training_digits(splits, all_digits=True)
    folds = {str(e): list(cross_validate(replace(recipe, epochs=e), x, y, fill=background(splits.normalizer),
                                         progress=True).fold_acc) for e in epoch_counts}
    for epochs, acc in folds.items():
        print(f"{epochs} epochs: fold accuracies " + ", ".join(f"{a:.2%}" for a in acc))
    if write:
        record = {**provenance(argv), "recipe": asdict(recipe), "n_train": len(y), "folds": folds}
        CV_RECORD.write_text(json.dumps(record, indent=1) + "\n")
        print(f"recorded in {CV_RECORD}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.recipe", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--seeds", type=int, default=1, help="train seeds 0 .. N-1 (default 1)")
    parser.add_argument("--all-training-digits", action="store_true",
                        help="train on all 10,000 training digits (validation included), as the recorded run does")
    parser.add_argument("--ablation", action="store_true",
                        help="train every ablation variant per seed instead (notebook 07's held-out split)")
    parser.add_argument("--cv", type=int, nargs="+", metavar="EPOCHS",
                        help="cross-validate these epoch counts instead (5 folds of the 10,000 training digits)")
    parser.add_argument("--record", action="store_true",
                        help=f"write the result to {RECORD.name} ({ABLATION_RECORD.name} with --ablation, "
                             f"{CV_RECORD.name} with --cv)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.epochs < 1:
        parser.error(f"--seeds and --epochs must be >= 1, got {args.seeds} and {args.epochs}")
    recipe, splits = replace(Recipe(), epochs=args.epochs), mnist_splits()
    if args.ablation:
        return record_ablation(recipe, splits, range(args.seeds), argv, args.record)
    if args.cv:
        return record_cv(recipe, splits, args.cv, argv, args.record)
    runs = train_seeds(recipe, splits, range(args.seeds), all_digits=args.all_training_digits)
    n, n_train = len(splits.y_test), len(training_digits(splits, args.all_training_digits)[1])
    print(f"{recipe}\ntrained on {n_train:,} digits ({torch.get_num_threads()} threads, {splits.x_train.device.type})")
    for r in runs:
        _, low, high = accuracy_ci(r.correct, n)
        print(f"seed {r.seed}: test accuracy {r.test_acc:.2%} (95% Wilson interval {low:.2%} to {high:.2%}), "
              f"{r.seconds:.1f} s of training for {recipe.epochs} epochs")
    if len(runs) > 1:
        mean, se = mean_se([r.test_acc for r in runs])
        print(f"mean over {len(runs)} seeds: {mean:.3%} ± {se:.3%} (standard error); "
              f"{sum(r.correct for r in runs):,} of {n * len(runs):,} test digits right")
    if args.record:
        record = {**provenance(argv), "recipe": asdict(recipe), "n_train": n_train, "n_test": n,
                  "runs": [asdict(r) for r in runs]}
        RECORD.write_text(json.dumps(record, indent=1) + "\n")
        print(f"recorded in {RECORD}")


if __name__ == "__main__":
    main()
