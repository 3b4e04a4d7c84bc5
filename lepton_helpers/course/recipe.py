"""``python -m lepton_helpers.course.recipe``: train the best recipe and print its training time and test accuracy.

A benchmark, not a test: run it on a quiet machine; nothing asserts a time.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import torch

from ..evaluation import accuracy_ci
from ..preprocessing import mnist_splits
from ..recipe import Recipe, background, train_recipe
from ..training import evaluate


def main(argv: list[str] | None = None) -> None:
    """``python -m lepton_helpers.course.recipe``: train the best recipe once and print its time and test accuracy."""
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.recipe", description=main.__doc__)
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    splits = mnist_splits()
    recipe = replace(Recipe(), epochs=args.epochs)
    model, history = train_recipe(recipe, splits.x_train, splits.y_train, fill=background(splits.normalizer),
                                  seed=args.seed)
    n = len(splits.y_test)
    acc, low, high = accuracy_ci(round(evaluate(model, splits.x_test, splits.y_test)[1] * n), n)
    seconds = history.seconds[-1]
    print(f"{recipe}\ntrained on {len(splits.y_train):,} digits ({splits.x_train.device.type}, "
          f"{torch.get_num_threads()} threads): {seconds:.1f} s for {recipe.epochs} epochs "
          f"({seconds / recipe.epochs:.2f} s per epoch)\n"
          f"test accuracy {acc:.2%} (95% Wilson interval {low:.2%} to {high:.2%})")


if __name__ == "__main__":
    main()
