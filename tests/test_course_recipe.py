"""``python -m lepton_helpers.course.recipe --ablation`` and ``--cv``: what they record, and the committed
records notebook 07 prints (the ablation over seeds and the cross-validated epoch counts)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from lepton_helpers.course import recipe as command
from lepton_helpers.course import records
from lepton_helpers.preprocessing import mnist_splits
from lepton_helpers.recipe import Recipe


def test_the_ablation_split_holds_out_the_last_training_digits_after_the_validation_digits():
    splits = mnist_splits()
    x_fit, y_fit, x_held, y_held = command.ablation_split(splits, held_out=100)
    assert len(x_fit) == len(splits.x_train) - 100 and len(x_held) == len(splits.x_val) + 100
    assert (x_held[-100:] == splits.x_train[-100:]).all() and (y_fit == splits.y_train[:-100]).all()


def test_the_ablation_command_records_every_variant_once_per_seed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command, "ABLATION_RECORD", tmp_path / "ablation.json")
    small = command.ablation_split
    monkeypatch.setattr(command, "ablation_split", lambda s: tuple(t[:200] for t in small(s)))
    command.main(["--ablation", "--seeds", "3", "--epochs", "1", "--record"])
    record = json.loads((tmp_path / "ablation.json").read_text())
    names = ["recipe", *list(Recipe(epochs=1).ablation_variants())[1:]]
    assert list(record["correct"]) == names and record["seeds"] == [0, 1, 2] and record["n_held"] == 200
    assert all(len(counts) == 3 and all(0 <= c <= 200 for c in counts) for counts in record["correct"].values())
    assert record["recipe"] == asdict(Recipe(epochs=1)) and "seed 2:" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["recipe_ablation", "recipe_cv", "recipe_seeds"])
def test_each_committed_record_names_its_command_date_and_machine_and_is_of_the_default_recipe(name):
    record = records.load(name)
    assert record["command"].startswith("python -m lepton_helpers.course.recipe ")
    assert record["date"] and record["machine"] and record["threads"] == 1
    assert Recipe(**{**record["recipe"], "epochs": Recipe.epochs}) == Recipe()


def test_the_recorded_ablation_and_cross_validation_pair_their_runs():
    ablation, cv = records.load("recipe_ablation"), records.load("recipe_cv")
    assert len(ablation["seeds"]) >= 3 and all(len(c) == len(ablation["seeds"]) for c in ablation["correct"].values())
    assert len(cv["folds"]) >= 2 and len({len(f) for f in cv["folds"].values()}) == 1
    assert str(records.load("recipe_seeds")["recipe"]["epochs"]) in cv["folds"]   # the recorded length was cross-validated
