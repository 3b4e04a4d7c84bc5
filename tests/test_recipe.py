import json
import math
from dataclasses import replace

import pytest
import torch

from lepton_helpers.models import MLP
from lepton_helpers.preprocessing import Normalizer
from lepton_helpers import recipe as recipe_module
from lepton_helpers.env import seeded
from lepton_helpers.recipe import (ARTICLES, RandomAffine, Recipe, ablation, affine_theta, background,
                                   recipe_epoch, recipe_parts, train_recipe, warp)
from lepton_helpers.training import TensorBatches, fit, train_epoch

ZERO, ONE = torch.zeros(3), torch.ones(3)


def test_integer_shifts_move_pixels_exactly_and_fill_the_background():
    x = torch.randn(3, 784)
    right = warp(x, affine_theta(ZERO, ONE, torch.full((3,), 2.0), ZERO), fill=-0.5).view(3, 28, 28)
    expected = torch.roll(x.view(3, 28, 28), 2, dims=-1)
    expected[..., :2] = -0.5
    assert torch.allclose(right, expected, atol=1e-4)
    up = warp(x, affine_theta(ZERO, ONE, ZERO, torch.full((3,), -3.0))).view(3, 28, 28)
    expected = torch.roll(x.view(3, 28, 28), -3, dims=-2)
    expected[:, -3:] = 0
    assert torch.allclose(up, expected, atol=1e-4)


def test_a_quarter_turn_is_rot90_and_identity_is_identity():
    x = torch.randn(3, 1, 28, 28)
    turned = warp(x, affine_theta(torch.full((3,), math.pi / 2), ONE, ZERO, ZERO))
    assert torch.allclose(turned, torch.rot90(x, -1, dims=(-2, -1)), atol=1e-4)  # clockwise on screen
    assert torch.allclose(warp(x, affine_theta(ZERO, ONE, ZERO, ZERO)), x, atol=1e-5)


def test_random_affine_keeps_shapes_is_seeded_and_changes_images():
    x = torch.randn(64, 784)
    a, b = RandomAffine(seed=3), RandomAffine(seed=3)
    out = a(x)
    assert out.shape == x.shape and torch.equal(out, b(x))
    assert not torch.equal(a(x), out)  # the next batch gets new transforms
    assert not torch.equal(RandomAffine(seed=4)(x), out)
    assert (out - x).abs().mean() > 0.1
    assert torch.allclose(RandomAffine(0, 0, 0)(x), x, atol=1e-5)  # no randomness allowed: no change
    with pytest.raises(ValueError, match="28x28"):
        RandomAffine()(torch.randn(2, 100))
    with pytest.raises(ValueError, match="scale"):
        RandomAffine(scale=1.5)


def test_background_is_where_a_blank_pixel_lands():
    norm = Normalizer.from_training(torch.tensor([0.0, 0.5, 1.0]))
    assert background(norm) == pytest.approx(float(norm.transform(torch.tensor(0.0))))


@pytest.fixture(scope="module")
def small():
    from lepton_helpers.preprocessing import mnist_splits

    s = mnist_splits(device="cpu")
    return s.x_train[:1500], s.y_train[:1500], s.x_val[:500], s.y_val[:500], background(s.normalizer)


def test_train_recipe_learns_keeps_the_architecture_and_is_reproducible(small):
    x, y, xv, yv, fill = small
    recipe = Recipe(epochs=3, ema_decay=0.9)
    (m1, h1), (m2, h2) = (train_recipe(recipe, x, y, fill=fill, val=(xv, yv), progress=False) for _ in range(2))
    assert m1.sizes == (784, 128, 64, 10) and m1.activation == "relu"
    assert h1.train_loss == h2.train_loss and h1.val_acc[-1] > 0.8
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))


def test_train_recipe_leaves_the_callers_generator_alone(small, keeps_global_rng):
    x, y, _, _, fill = small
    keeps_global_rng(lambda _: train_recipe(Recipe(epochs=1), x[:200], y[:200], fill=fill, progress=False))


def _same_weights(a, b) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_the_recipes_loop_takes_fits_steps_bit_for_bit(small):
    """Without augmentation or smoothing the recipe is what ``fit`` runs with its parts (the path it replaced):
    same weights, losses and validation scores, one-cycle and the EMA included."""
    x, y, xv, yv, fill = small
    recipe = Recipe(epochs=2, batch_size=100, augment=False, label_smoothing=0.0, ema_decay=0.9)
    model, history = train_recipe(recipe, x[:600], y[:600], fill=fill, val=(xv, yv), seed=3, progress=False)
    with seeded(3):
        reference = MLP((784, 128, 64, 10), "relu")
    parts = recipe_parts(recipe, reference, 600, fill=fill, seed=3)
    ema = recipe_module.AveragedModel(reference, multi_avg_fn=recipe_module.get_ema_multi_avg_fn(0.9))
    expected = fit(reference, x[:600], y[:600], epochs=2, batch_size=100, optimizer=parts.optimizer, val=(xv, yv),
                   batch_scheduler=parts.batch_scheduler, seed=3, progress=False,
                   after_step=lambda: ema.update_parameters(reference))
    assert _same_weights(model, ema.module)
    assert (history.train_loss, history.val_loss, history.val_acc) == (
        expected.train_loss, expected.val_loss, expected.val_acc)


def test_the_recipe_augments_each_batch_before_its_forward_pass(small):
    """One recipe epoch = ``train_epoch`` over the batches warped by a RandomAffine with the same seed, in order."""
    x, y, _, _, fill = small
    recipe = Recipe(epochs=1, batch_size=100)
    models = []
    for _ in range(2):
        with seeded(0):
            models.append(MLP((784, 128, 64, 10), "relu"))
    ours, theirs = (recipe_parts(recipe, m, 300, fill=fill, seed=5) for m in models)
    loss = recipe_epoch(models[0], TensorBatches(x[:300], y[:300], 100, seed=5), ours)
    warp_again = RandomAffine(fill=fill, seed=5)
    warped = [(warp_again(xb), yb) for xb, yb in TensorBatches(x[:300], y[:300], 100, seed=5)]
    expected = train_epoch(models[1], warped, theirs.optimizer, theirs.loss_fn, theirs.batch_scheduler)
    assert loss == expected and _same_weights(*models)


def test_the_recipes_training_time_leaves_validation_out(small, fake_clock):
    """With a clock where a training pass takes 1 s and a validation 100 s, the recipe reports 2 s for 2 epochs."""
    fake_clock(recipe_module, recipe_epoch=1.0, evaluate=100.0)
    x, y, xv, yv, fill = small
    _, history = train_recipe(replace(ARTICLES, epochs=2), x[:200], y[:200], fill=fill, val=(xv, yv), progress=False)
    assert history.seconds == [1.0, 2.0] and len(history.val_acc) == 2


def test_ema_changes_the_returned_weights(small):
    x, y, _, _, fill = small
    plain, _ = train_recipe(Recipe(epochs=2), x, y, fill=fill, progress=False)
    averaged, _ = train_recipe(Recipe(epochs=2, ema_decay=0.9), x, y, fill=fill, progress=False)
    assert not torch.equal(plain.head.weight, averaged.head.weight)


def test_ablation_variants_switch_one_thing_each(small):
    best = Recipe(epochs=2)
    variants = best.ablation_variants()
    assert variants["best recipe"] == best
    assert variants["without augmentation"] == replace(best, augment=False)
    assert variants["without label smoothing"] == replace(best, label_smoothing=0.0)
    assert variants[f"without one-cycle (constant lr {best.lr:g})"] == replace(best, one_cycle=False)
    assert variants["with EMA of weights (0.99)"] == replace(best, ema_decay=0.99)
    assert best.ablation_variants(ema_decay=0.9)["with EMA of weights (0.9)"].ema_decay == 0.9
    assert "without EMA of weights" in replace(best, ema_decay=0.99).ablation_variants()
    assert variants["articles' recipe (Adam 1e-3, batch 100)"] == replace(ARTICLES, epochs=2)
    x, y, xv, yv, fill = small
    rows = ablation({k: variants[k] for k in ("best recipe", "without augmentation")}, x, y, xv, yv,
                    fill=fill, progress=False)
    assert [r.name for r in rows] == ["best recipe", "without augmentation"] and all(0.5 < r.val_acc < 1 for r in rows)
    assert rows[0].correct.shape == yv.shape and rows[0].correct.dtype == torch.bool


def test_recipe_parts_follow_the_recipe():
    model = MLP()
    parts = recipe_parts(Recipe(epochs=2, batch_size=100, lr=0.01), model, n_train=1000, fill=-0.4)
    lrs = []
    for _ in range(20):  # 2 epochs x 10 batches: the one-cycle peak comes after 20% of the steps
        lrs.append(parts.optimizer.param_groups[0]["lr"])
        parts.optimizer.step()
        parts.batch_scheduler.step()
    assert max(lrs) == pytest.approx(0.01, rel=0.05) and lrs.index(max(lrs)) in (3, 4)
    assert parts.augment.fill == -0.4 and parts.loss_fn.keywords["label_smoothing"] == 0.1
    plain = recipe_parts(ARTICLES, model, n_train=1000)
    assert plain.batch_scheduler is None and plain.augment is None and plain.loss_fn.keywords["label_smoothing"] == 0


def test_cross_validate_is_paired_by_fold_and_seed(small):
    from lepton_helpers.recipe import cross_validate

    x, y = small[0][:600], small[1][:600]
    quick = Recipe(epochs=1, batch_size=100, augment=False, one_cycle=False)
    first = cross_validate(quick, x, y, k=3, folds=[0, 2])
    again = cross_validate(quick, x, y, k=3, folds=[0, 2])
    assert len(first.fold_acc) == 2 and first.fold_acc == again.fold_acc  # same folds, same seeds
    assert 0.1 < first.mean < 1 and first.se >= 0
    with pytest.raises(ValueError, match="number of folds"):
        cross_validate(quick, x, y, k=1)


def test_recipe_command_records_each_seed(tmp_path, monkeypatch, capsys):
    from lepton_helpers.course import recipe as command

    monkeypatch.setattr(command, "RECORD", tmp_path / "recipe_seeds.json")
    monkeypatch.setattr(command, "training_digits", lambda s, all_digits: (s.x_train[:300], s.y_train[:300]))
    command.main(["--seeds", "2", "--epochs", "1", "--record"])
    out = capsys.readouterr().out
    assert "seed 0: test accuracy" in out and "seed 1: test accuracy" in out and "mean over 2 seeds" in out
    record = json.loads((tmp_path / "recipe_seeds.json").read_text())
    assert [r["seed"] for r in record["runs"]] == [0, 1] and record["recipe"]["epochs"] == 1
    assert all(r["correct"] == round(r["test_acc"] * record["n_test"]) for r in record["runs"])


def test_the_recorded_three_seed_run_is_complete_and_consistent():
    """The record notebook 07 prints: three seeds, each scored once, counts that match the accuracies."""
    from lepton_helpers.course import records

    record = records.load("recipe_seeds")
    assert [r["seed"] for r in record["runs"]] == [0, 1, 2]
    assert record["recipe"]["epochs"] <= 200 and record["n_test"] == 10_000
    assert all(r["correct"] == round(r["test_acc"] * record["n_test"]) for r in record["runs"])
    assert Recipe(**{**record["recipe"], "epochs": Recipe.epochs}) == Recipe()  # the default recipe, longer
    with pytest.raises(FileNotFoundError, match="recorded: .*recipe_seeds"):
        records.load("no_such_record")
