import pytest
import torch
import torch.nn.functional as F

from lepton_helpers.models import MLP
from lepton_helpers.profiling import (best_seconds, counted_flops, matmul_gflops, measured_memory, mlp_memory,
                                      saved_activation_bytes, training_step_flops)


def test_step_flops_of_the_articles_mlp_by_hand():
    flops = training_step_flops((784, 128, 64, 10), batch_size=100)
    assert flops.forward == 2 * 100 * (784 * 128 + 128 * 64 + 64 * 10) == 21_836_800
    # weight gradients (as forward) + input gradients of every layer but the first
    assert flops.backward == flops.forward + 2 * 100 * (128 * 64 + 64 * 10) == 23_603_200
    assert flops.total == 45_440_000


@pytest.mark.parametrize("sizes,batch", [((784, 128, 64, 10), 100), ((20, 10), 7), ((30, 50, 40, 20, 5), 3)])
def test_step_flops_match_pytorchs_flop_counter(sizes, batch):
    model = MLP(sizes)
    x, y = torch.randn(batch, sizes[0]), torch.randint(0, sizes[-1], (batch,))
    counted = counted_flops(lambda: F.cross_entropy(model(x), y).backward())
    assert counted == training_step_flops(sizes, batch).total


def test_step_flops_reject_bad_input():
    with pytest.raises(ValueError, match="batch_size"):
        training_step_flops((4, 2), 0)
    with pytest.raises(ValueError, match="layer"):
        training_step_flops((784,), 10)


@pytest.mark.parametrize("optimizer,states", [(lambda p: torch.optim.Adam(p), 2), (lambda p: torch.optim.SGD(p, lr=0.1), 0),
                                               (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), 1)])
def test_memory_formula_matches_the_tensors(optimizer, states):
    sizes, batch = (784, 128, 64, 10), 32
    model = MLP(sizes)
    x, y = torch.randn(batch, 784), torch.randint(0, 10, (batch,))
    assert measured_memory(model, optimizer(model.parameters()), x, y) == mlp_memory(sizes, batch, states)


def test_memory_formula_by_hand():
    budget = mlp_memory((784, 128, 64, 10), batch_size=100)
    assert budget.parameters == 4 * 109_386 and budget.gradients == budget.parameters
    assert budget.optimizer_state == 2 * budget.parameters
    assert budget.activations == 4 * 100 * (784 + 128 + 64 + 10)
    assert budget.total == 4 * budget.parameters + budget.activations


def test_saved_activations_grow_with_the_batch():
    model = MLP((10, 8, 3))
    sizes = [saved_activation_bytes(model, torch.randn(b, 10), torch.zeros(b, dtype=torch.long)) for b in (1, 5)]
    assert sizes == [4 * b * (10 + 8 + 3) for b in (1, 5)]


def test_best_seconds_warms_up_then_repeats():
    calls = []
    seconds = best_seconds(lambda: calls.append(1), repeats=4)
    assert len(calls) == 5 and seconds >= 0


def test_matmul_rate_is_a_positive_number():
    assert matmul_gflops(64, repeats=2) > 0
