import numpy as np
import pytest
import torch

from lepton_helpers import training
from lepton_helpers.activation import Lepton
from lepton_helpers.models import MLP, count_parameters
from lepton_helpers.training import (TensorBatches, dataloader, evaluate, fit, parameter_groups, predict_logits,
                                     train_epoch)


@pytest.fixture(scope="module")
def small(request):
    from lepton_helpers.preprocessing import mnist_splits

    s = mnist_splits(device="cpu")
    return s.x_train[:2000], s.y_train[:2000], s.x_val[:500], s.y_val[:500]


def test_mlp_shapes_and_errors():
    model = MLP()
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert count_parameters(model) == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    with pytest.raises(ValueError, match="sizes"):
        MLP((784,))


def test_fit_learns_and_is_reproducible(small):
    x, y, xv, yv = small
    models, histories = [], []
    for _ in range(2):
        torch.manual_seed(0)
        models.append(MLP())
        histories.append(fit(models[-1], x, y, epochs=3, val=(xv, yv), progress=False))
    h = histories[0]
    assert h.train_loss[-1] < h.train_loss[0] and h.val_acc[-1] > 0.85
    assert h.train_loss == histories[1].train_loss
    assert all(torch.equal(a, b) for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values()))


def test_evaluate_matches_a_manual_count(small):
    x, y, _, _ = small
    model = MLP()
    _, acc = evaluate(model, x, y)
    assert acc == pytest.approx((model(x).argmax(1) == y).float().mean().item())


def test_early_stopping_restores_the_best_epoch(small):
    x, y, xv, yv = small
    torch.manual_seed(0)
    model = MLP()
    h = fit(model, x, y, epochs=30, lr=0.02, val=(xv, yv), patience=2, progress=False)
    assert len(h.train_loss) < 30 and h.best_epoch == 1 + h.val_loss.index(min(h.val_loss))
    assert evaluate(model, xv, yv)[0] == pytest.approx(min(h.val_loss), rel=1e-5)
    with pytest.raises(ValueError, match="validation"):
        fit(model, x, y, patience=2)


def test_parameter_groups_spare_biases_and_lepton_shape():
    model = MLP(activation="lepton-learnable")
    decay, no_decay = parameter_groups(model, 1e-4)
    shape = {id(p) for m in model.modules() if isinstance(m, Lepton) for p in m.shape_parameters()}
    assert shape and shape <= {id(p) for p in no_decay["params"]}
    assert all(p.ndim == 2 for p in decay["params"]) and no_decay["weight_decay"] == 0
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_early_stopping_survives_a_loss_that_is_nan_from_the_start(small):
    x, y, xv, yv = small
    model = MLP()
    with torch.no_grad():
        model.head.bias.fill_(float("nan"))
    history = fit(model, x[:200], y[:200], epochs=6, val=(xv, yv), patience=2, progress=False)
    assert len(history.val_loss) == 2 and history.best_epoch is None


def test_impossible_settings_are_refused_before_training(small):
    x, y, xv, yv = small
    model = MLP()
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="validation loss"):
        fit(model, x, y, scheduler=plateau, progress=False)
    with pytest.raises(ValueError, match="patience >= 1"):
        fit(model, x, y, val=(xv, yv), patience=0, progress=False)
    with pytest.raises(ValueError, match="validation set"):
        fit(model, x, y, patience=3, progress=False)


def test_fit_leaves_the_callers_generator_alone(small, keeps_global_rng):
    x, y, _, _ = small
    keeps_global_rng(lambda a: fit(a, x[:200], y[:200], epochs=1, progress=False))


def test_numpy_integers_are_counts(small):
    """Grid searches and array arithmetic hand out np.int64: batch sizes, epochs and layer sizes accept them."""
    x, y, _, _ = small
    x, y = x[:200], y[:200]
    assert [len(yb) for _, yb in TensorBatches(x, y, np.int64(80))] == [80, 80, 40]
    assert [len(yb) for _, yb in dataloader(x, y, np.int64(80))] == [80, 80, 40]
    assert MLP(np.array([784, 16, 10])).sizes == (784, 16, 10)
    histories = []
    for epochs, batch_size in ((np.int64(2), np.int32(50)), (2, 50)):
        torch.manual_seed(0)
        histories.append(fit(MLP((784, 16, 10)), x, y, epochs=epochs, batch_size=batch_size, progress=False))
    assert len(histories[0].train_loss) == 2 and histories[0].train_loss == histories[1].train_loss
    for bad in (2.0, True, np.float64(2)):
        with pytest.raises(ValueError, match="epochs must be a whole number"):
            fit(MLP((784, 16, 10)), x, y, epochs=bad, progress=False)


def test_batch_schedulers_step_after_every_batch_and_schedulers_after_every_epoch(small):
    """``batch_scheduler`` means the same in train_epoch and fit: one step per batch (4 batches of 50 here)."""
    x, y, _, _ = small
    x, y = x[:200], y[:200]
    model = MLP((784, 16, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    per_batch = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 ** step)
    train_epoch(model, TensorBatches(x, y, 50), optimizer, batch_scheduler=per_batch)
    assert per_batch.last_epoch == 4 and optimizer.param_groups[0]["lr"] == 0.5 ** 4
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    per_batch = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1000)
    per_epoch = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1000)
    fit(model, x, y, epochs=2, batch_size=50, optimizer=optimizer, batch_scheduler=per_batch, scheduler=per_epoch,
        progress=False)
    assert (per_batch.last_epoch, per_epoch.last_epoch) == (8, 2)


def test_predict_logits_of_an_empty_set_is_empty():
    model = MLP((784, 16, 10))
    logits = predict_logits(model, torch.zeros(0, 784))
    assert logits.shape == (0, 10) and logits.dtype == torch.float32 and model.training


def test_history_seconds_count_training_only(small, fake_clock):
    """With a clock where a training pass takes 1 s and a validation 100 s, seconds read 1, 2, 3."""
    fake_clock(training, train_epoch=1.0, evaluate=100.0)
    x, y, xv, yv = small
    history = fit(MLP((784, 16, 10)), x[:200], y[:200], epochs=3, val=(xv, yv), progress=False)
    assert history.seconds == [1.0, 2.0, 3.0] and len(history.val_acc) == 3
