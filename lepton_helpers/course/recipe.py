"""``python -m lepton_helpers.course.recipe``: train the best recipe, per seed, and report its test accuracy.

    python -m lepton_helpers.course.recipe                 # one seed, 100 epochs on the 9,000 training digits
    python -m lepton_helpers.course.recipe --seeds 3 --epochs 200 --all-training-digits --record

The second line is the run behind the course's answer to the articles' 98.50%: the recipe was fixed
by 5-fold cross-validation on the training digits (:func:`lepton_helpers.recipe.cross_validate`),
so training the final models on all 10,000 training digits (the 1,000 validation digits included)
uses no test information; each seed then meets the test set once. ``--record`` writes the runs, the
mean and its standard error to ``lepton_helpers/course/records/recipe_seeds.json``, which notebook 07
prints. A benchmark, not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

import torch

from ..evaluation import accuracy_ci, mean_se
from ..preprocessing import Splits, mnist_splits
from ..recipe import Recipe, background, train_recipe
from ..training import evaluate

RECORD = Path(__file__).parent / "records" / "recipe_seeds.json"


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.recipe", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--seeds", type=int, default=1, help="train seeds 0 .. N-1 (default 1)")
    parser.add_argument("--all-training-digits", action="store_true",
                        help="train on all 10,000 training digits (validation included), as the recorded run does")
    parser.add_argument("--record", action="store_true", help=f"write the result to {RECORD.name}")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.epochs < 1:
        parser.error(f"--seeds and --epochs must be >= 1, got {args.seeds} and {args.epochs}")
    recipe, splits = replace(Recipe(), epochs=args.epochs), mnist_splits()
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
        record = {"command": "python -m lepton_helpers.course.recipe " + " ".join(sys.argv[1:] if argv is None else argv),
                  "date": date.today().isoformat(), "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "machine": platform.machine(), "recipe": asdict(recipe), "n_train": n_train, "n_test": n,
                  "runs": [asdict(r) for r in runs]}
        RECORD.write_text(json.dumps(record, indent=1) + "\n")
        print(f"recorded in {RECORD}")


if __name__ == "__main__":
    main()
