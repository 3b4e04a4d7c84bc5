"""Layer-wise training: frozen layers stay frozen, runs reproduce, the result is an ordinary MLP."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lepton_helpers.layerwise import (LayerwiseResult, LocalLossNet, end_to_end, freeze, greedy_layerwise, layer_inputs,
                                      local_losses, make_heads, stage_model, train_layer)
from lepton_helpers import layerwise
from lepton_helpers.models import MLP
from lepton_helpers.preprocessing import mnist_splits
from lepton_helpers.training import TensorBatches, evaluate

SIZES = (784, 32, 16, 10)


@pytest.fixture(scope="module")
def data():
    """2,000 standardised training digits and the 1,000 validation digits, on the CPU."""
    splits = mnist_splits(device="cpu")
    return splits.x_train[:2000], splits.y_train[:2000], (splits.x_val, splits.y_val)


def fresh(sizes=SIZES, seed=0) -> MLP:
    torch.manual_seed(seed)
    return MLP(sizes)


def state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_frozen_layer_is_unchanged_and_gets_no_gradient(data):
    x, y, _ = data
    model = fresh()
    heads = make_heads(model)
    train_layer(model, heads, 0, x, y, epochs=1, progress=False)
    layer1, layer2 = state(model.hidden[0]), state(model.hidden[1])
    train_layer(model, heads, 1, x, y, epochs=1, progress=False)
    assert same(layer1, state(model.hidden[0]))
    assert not same(layer2, state(model.hidden[1])), "stage 2 must train layer 2"
    for p in model.hidden[0].parameters():
        assert p.requires_grad is False and p.grad is None


def test_later_stages_leave_earlier_layers_as_their_own_stage_left_them(data):
    # Greedy training of three hidden layers must leave layer 1 exactly as stage 1 alone leaves it.
    x, y, _ = data
    sizes = (784, 32, 16, 12, 10)
    full = greedy_layerwise(fresh(sizes), x, y, epochs_per_layer=1, progress=False).model
    alone = fresh(sizes)
    train_layer(alone, make_heads(alone), 0, x, y, epochs=1, progress=False)
    assert same(state(full.hidden[0]), state(alone.hidden[0]))
    assert not same(state(full.hidden[1]), state(fresh(sizes).hidden[1]))


def test_greedy_returns_an_ordinary_trainable_mlp(data):
    x, y, val = data
    model = fresh()
    result = greedy_layerwise(model, x, y, epochs_per_layer=2, batch_size=20, val=val, progress=False)
    assert isinstance(result, LayerwiseResult)
    assert result.model is model and type(result.model) is MLP
    assert all(p.requires_grad for p in result.model.parameters())
    assert result.heads[-1] is model.head and len(result.heads) == len(model.hidden)
    assert len(result.history.train_loss) == len(result.history.val_acc) == 4
    assert result.history.seconds == sorted(result.history.seconds)
    assert len(result.layer_val_acc) == 2
    assert result.layer_val_acc[-1] == result.history.val_acc[-1] == evaluate(model, *val)[1]
    assert result.layer_val_acc[0] == evaluate(result.stage(1), *val)[1]
    assert min(result.layer_val_acc) > 0.7          # it really learns


def test_greedy_is_reproducible_under_a_seed(data):
    x, y, _ = data
    runs = [greedy_layerwise(fresh(), x, y, epochs_per_layer=1, finetune_epochs=1, progress=False) for _ in range(2)]
    assert same(state(runs[0].model), state(runs[1].model))
    assert same(state(runs[0].heads[0]), state(runs[1].heads[0]))
    other = greedy_layerwise(fresh(), x, y, epochs_per_layer=1, seed=1, progress=False)
    assert not same(state(runs[0].model), state(other.model))


def test_fine_tuning_trains_every_layer(data):
    x, y, _ = data
    plain = greedy_layerwise(fresh(), x, y, epochs_per_layer=1, progress=False)
    tuned = greedy_layerwise(fresh(), x, y, epochs_per_layer=1, finetune_epochs=1, progress=False)
    assert len(tuned.history.train_loss) == 3
    assert not same(state(plain.model.hidden[0]), state(tuned.model.hidden[0]))


def test_plain_greedy_loop_equals_the_helper(data):
    # The loop written out in notebook 04, section 1.
    x, y, _ = data
    torch.manual_seed(0)
    model = MLP(SIZES)
    torch.manual_seed(0)
    heads = [nn.Linear(32, 10), model.head]
    h = x
    for block, head in zip(model.hidden, heads):
        stage = nn.Sequential(block, head)
        optimizer = torch.optim.Adam(stage.parameters(), lr=1e-3)
        batches = TensorBatches(h, y, batch_size=100, seed=0)
        for _ in range(2):
            for xb, yb in batches:
                loss = F.cross_entropy(stage(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        block.requires_grad_(False)
        with torch.no_grad():
            h = block(h)
    result = greedy_layerwise(fresh(), x, y, epochs_per_layer=2, progress=False)
    assert same(state(model), state(result.model))
    assert same(state(heads[0]), state(result.heads[0]))


def test_local_losses_cut_the_gradient_between_layers(data):
    x, y, _ = data
    model = fresh()
    net = LocalLossNet(model, make_heads(model))
    logits = net(x[:50])
    assert [tuple(z.shape) for z in logits] == [(50, 10), (50, 10)]
    F.cross_entropy(logits[1], y[:50]).backward()
    assert all(p.grad is None for p in model.hidden[0].parameters())
    assert all(p.grad is not None for p in model.hidden[1].parameters())


def test_local_losses_train_every_layer_reproducibly(data):
    x, y, val = data
    runs = [local_losses(fresh(), x, y, epochs=2, batch_size=20, val=val, progress=False) for _ in range(2)]
    assert same(state(runs[0].model), state(runs[1].model))
    assert type(runs[0].model) is MLP and len(runs[0].history.val_acc) == 2
    assert not same(state(runs[0].model.hidden[0]), state(fresh().hidden[0]))
    assert min(runs[0].layer_val_acc) > 0.7


def test_local_losses_seconds_count_training_not_validation(data, fake_clock):
    fake_clock(layerwise, evaluate=100.0)  # a clock that only validation moves: the recorded seconds must not see it
    x, y, val = data
    result = local_losses(fresh(), x[:200], y[:200], epochs=2, val=val, progress=False)
    assert result.history.seconds == [0.0, 0.0]


def test_backprop_baseline_is_fit(data):
    x, y, val = data
    model = fresh()
    history = end_to_end(model, x, y, epochs=2, batch_size=20, val=val, progress=False)
    assert len(history.val_acc) == 2 and history.val_acc[-1] > 0.8


def test_layer_inputs_and_stage_model(data):
    x, _, _ = data
    model = fresh()
    assert torch.equal(layer_inputs(model, x[:4], 0), x[:4])
    with torch.no_grad():
        assert torch.equal(layer_inputs(model, x[:4], 2), model.hidden[1](model.hidden[0](x[:4])))
        heads = make_heads(model)
        assert torch.equal(stage_model(model, heads, 2)(x[:4]), model(x[:4]))
    assert not layer_inputs(model, x[:4], 1).requires_grad


def test_make_heads_is_seeded_and_leaves_the_global_generator_alone():
    model = fresh()
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = make_heads(model, seed=5)
    assert torch.equal(before, torch.random.get_rng_state())
    assert torch.equal(first[0].weight, make_heads(model, seed=5)[0].weight)
    assert not torch.equal(first[0].weight, make_heads(model, seed=6)[0].weight)


def test_layerwise_training_leaves_the_callers_generator_alone(data, keeps_global_rng):
    x, y, _ = data
    x, y = x[:200], y[:200]
    keeps_global_rng(lambda a: make_heads(a))
    keeps_global_rng(lambda a: greedy_layerwise(a, x, y, epochs_per_layer=1, finetune_epochs=1, progress=False))
    keeps_global_rng(lambda a: local_losses(a, x, y, epochs=1, progress=False))


def test_numpy_integers_count_epochs(data):
    x, y, val = data
    x, y = x[:200], y[:200]
    result = greedy_layerwise(fresh(), x, y, epochs_per_layer=np.int64(1), finetune_epochs=np.int64(1), val=val,
                              progress=False)
    assert len(result.history.train_loss) == len(SIZES) - 2 + 1
    assert len(local_losses(fresh(), x, y, epochs=np.int32(2), progress=False).history.train_loss) == 2


def test_freeze():
    layer = nn.Linear(3, 2)
    layer(torch.ones(1, 3)).sum().backward()
    freeze(layer)
    assert all(not p.requires_grad and p.grad is None for p in layer.parameters())


@pytest.mark.parametrize("call, error, message", [
    (lambda x, y: greedy_layerwise(fresh(), x, y, epochs_per_layer=0), ValueError, "epochs_per_layer"),
    (lambda x, y: greedy_layerwise(fresh(), x, y, finetune_epochs=-1), ValueError, "finetune_epochs"),
    (lambda x, y: local_losses(fresh(), x, y, epochs=0), ValueError, "epochs"),
    (lambda x, y: greedy_layerwise(MLP((784, 10)), x, y), ValueError, "no hidden layer"),
    (lambda x, y: greedy_layerwise(nn.Linear(784, 10), x, y), TypeError, "MLP"),
    (lambda x, y: greedy_layerwise(fresh(), x[:, :100], y), ValueError, "784 inputs"),
    (lambda x, y: local_losses(fresh(), x, y[:10]), ValueError, "must match"),
    (lambda x, y: train_layer(fresh(), make_heads(fresh()), 2, x, y), ValueError, "index"),
    (lambda x, y: train_layer(fresh(), [], 0, x, y), ValueError, "one head per hidden layer"),
    (lambda x, y: stage_model(fresh(), make_heads(fresh()), 3), ValueError, "depth"),
])
def test_bad_parameters_give_clear_errors(data, call, error, message):
    x, y, _ = data
    with pytest.raises(error, match=message):
        call(x, y)
