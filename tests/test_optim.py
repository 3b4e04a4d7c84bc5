import math

import pytest
import torch

from lepton_helpers.models import MLP
from lepton_helpers.pictures import SweepExplorer
from lepton_helpers.optim import (SimpleAdam, SimpleSGD, adam_update, compare_with_torch,
                                  momentum_update, sgd_update, state_numbers)
from lepton_helpers.training import History, fit, parameter_groups

PAIRS = {
    "sgd": (lambda p: SimpleSGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "momentum": (lambda p: SimpleSGD(p, lr=0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "sgd+l2": (lambda p: SimpleSGD(p, lr=0.05, momentum=0.5, weight_decay=0.01),
               lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, weight_decay=0.01)),
    "adam": (lambda p: SimpleAdam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam betas+l2": (lambda p: SimpleAdam(p, lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
                      lambda p: torch.optim.Adam(p, lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
}


@pytest.mark.parametrize("make, copies", [(lambda p: SimpleSGD(p, lr=0.1), 0),
                                          (lambda p: SimpleSGD(p, lr=0.1, momentum=0.9), 1),
                                          (lambda p: SimpleAdam(p, lr=1e-3), 2),
                                          (lambda p: torch.optim.Adam(p, lr=1e-3), 2)])
def test_state_numbers_counts_the_copies_of_the_parameters_an_optimizer_keeps(make, copies):
    model = MLP((5, 7, 3))
    optimizer = make(model.parameters())
    assert state_numbers(optimizer) == 0                     # nothing before the first step
    model(torch.randn(4, 5)).sum().backward()
    optimizer.step()
    assert state_numbers(optimizer) == copies * sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", PAIRS)
def test_simple_optimizers_match_torch_step_for_step(name):
    ours, theirs = PAIRS[name]
    differences = compare_with_torch(lambda m: ours(m.parameters()), lambda m: theirs(m.parameters()), steps=25)
    assert len(differences) == 25
    assert max(differences) < 1e-12  # float64: equal up to rounding at every step


def test_compare_with_torch_leaves_the_callers_generator_alone(keeps_global_rng):
    ours, theirs = PAIRS["adam"]
    keeps_global_rng(lambda _: compare_with_torch(lambda m: ours(m.parameters()), lambda m: theirs(m.parameters()),
                                                  steps=2))


def test_parameter_groups_are_honoured():
    # weight decay on the weights only; k and theta of the learnable Lepton in the undecayed group
    differences = compare_with_torch(lambda m: SimpleAdam(parameter_groups(m, 0.5), lr=0.01),
                                     lambda m: torch.optim.Adam(parameter_groups(m, 0.5), lr=0.01))
    assert max(differences) < 1e-12


def test_comparison_detects_a_different_optimizer():
    differences = compare_with_torch(lambda m: SimpleSGD(m.parameters(), lr=0.1),
                                     lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), steps=5)
    assert differences[0] == 0 and differences[-1] > 1e-4  # the first step has no velocity yet


def test_update_rules_by_hand():
    p, g = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor([0.5, -4.0], dtype=torch.float64)
    q = p.clone()
    sgd_update(q, g, lr=0.1)
    assert torch.allclose(q, torch.tensor([0.95, -1.6], dtype=torch.float64))

    q, v = p.clone(), torch.zeros(2, dtype=torch.float64)
    momentum_update(q, g, v, lr=0.1, momentum=0.9)
    momentum_update(q, g, v, lr=0.1, momentum=0.9)   # v = g, then 1.9 g: two steps move by 2.9 lr g
    assert torch.allclose(v, 1.9 * g) and torch.allclose(q, p - 0.29 * g)

    q, m, s = p.clone(), torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    adam_update(q, g, m, s, step=1, lr=0.01, eps=0.0)
    # the first Adam step is lr * sign(g) for every parameter, however large its gradient
    assert torch.allclose(q, p - 0.01 * torch.sign(g))


def test_invalid_hyperparameters_are_refused():
    params = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="lr"):
        SimpleSGD(params, lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        SimpleSGD(params, lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="betas"):
        SimpleAdam(params, betas=(0.9, 1.0))


def test_simple_adam_trains_a_network_with_fit():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 10, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    torch.manual_seed(0)
    model = MLP((10, 16, 2), activation="lepton-learnable")
    history = fit(model, x, y, epochs=15, batch_size=30, optimizer=SimpleAdam(model.parameters(), lr=0.01),
                  val=(x, y), progress=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0] and history.val_acc[-1] > 0.9


def _fake_runs(lrs, momenta):
    return {(lr, mu): History(val_acc=[0.1 + 0.1 * i + lr * 0.05 + mu * 0.1 for i in range(3)]) for lr in lrs for mu in momenta}


def test_sweep_explorer_swaps_pictures():
    lrs, momenta = [0.01, 0.1, 1.0], [0.0, 0.9]
    explorer = SweepExplorer(_fake_runs(lrs, momenta), lrs, momenta)
    first = explorer.picture
    assert first.startswith(b"\x89PNG") and "lr = 0.1" in explorer.readout
    explorer.momentum_slider.value = 0.9
    assert explorer.picture != first and "momentum = 0.9" in explorer.readout
    assert "39.5%" in explorer.readout  # the selected run's last accuracy: 0.3 + 0.1 * 0.05 + 0.9 * 0.1
    explorer.momentum_slider.value = 0.0
    assert explorer.picture == first  # taken from the cache
    assert explorer.final.shape == (2, 3) and math.isclose(explorer.final[1, 2], 100 * (0.3 + 0.05 + 0.09))


def test_sweep_explorer_needs_the_whole_grid():
    runs = _fake_runs([0.01, 0.1], [0.0])
    with pytest.raises(ValueError, match="no run"):
        SweepExplorer(runs, [0.01, 0.1], [0.0, 0.9])
    runs[0.01, 0.0] = History()
    with pytest.raises(ValueError, match="validation accuracy"):
        SweepExplorer(runs, [0.01, 0.1], [0.0])
