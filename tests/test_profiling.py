import pytest
import torch
import torch.nn.functional as F

from lepton_helpers.models import MLP
from lepton_helpers.profiling import (OperationProfile, Speed, Timing, counted_flops, matmul_workload,
                                      measured_memory, mlp_memory, operation_profile, products_workload,
                                      saved_activation_bytes, step_product_shapes, timed, training_step_flops)



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


# ---------------------------------------------------------------- timing
def test_timed_runs_blocks_of_calls_and_summarises_them_by_quartiles():
    calls = []
    timing = timed(lambda: calls.append(1), min_run_time=0.01)
    assert timing.blocks >= 1 and len(calls) >= timing.blocks
    assert 0 < timing.q1 <= timing.median <= timing.q3
    with pytest.raises(ValueError, match="min_run_time"):
        timed(lambda: None, min_run_time=0)


def test_timings_turn_into_speeds_and_ratios_keep_the_widest_spread():
    timing = Timing(median=0.02, q1=0.01, q3=0.04, blocks=5)
    speed = timing.per_second(100.0)  # 100 units per call
    assert (speed.median, speed.low, speed.high) == (5000.0, 2500.0, 10000.0)
    ratio = speed / Speed(1000.0, 500.0, 2000.0)
    assert (ratio.median, ratio.low, ratio.high) == (5.0, 1.25, 20.0)
    assert (speed * 2).format("{:.0f}") == "10000 (IQR 5000-20000)"
    assert str(timing) == "20.000 ms (IQR 10.000-40.000, 5 blocks)"


@pytest.mark.parametrize("sizes,batch", [((784, 128, 64, 10), 100), ((30, 20, 5), 7)])
def test_the_products_workload_is_the_steps_products(sizes, batch):
    run, flops = products_workload(sizes, batch)
    assert flops == training_step_flops(sizes, batch).total == counted_flops(run)


def test_the_matmul_workload_counts_2_m_k_n():
    run, flops = matmul_workload(32, 16, 8)
    assert flops == 2 * 32 * 16 * 8 == counted_flops(run)


@pytest.mark.parametrize("sizes,batch", [((784, 128, 64, 10), 100), ((30, 20, 5), 7)])
def test_the_steps_product_shapes_add_up_to_its_flops(sizes, batch):
    shapes = step_product_shapes(sizes, batch)
    assert len(shapes) == 2 * (len(sizes) - 1) + len(sizes) - 2
    assert sum(2 * m * k * n for m, k, n in shapes) == training_step_flops(sizes, batch).total
    assert shapes[0] == (batch, sizes[0], sizes[1]) and shapes[-1] == (sizes[1], batch, sizes[0])


def test_operation_profile_names_the_products_and_divides_per_step(capfd):
    run, _ = products_workload((40, 30, 10), 20)
    once, twice = operation_profile(run, calls=2), operation_profile(lambda: (run(), run()), calls=2, per=2)
    assert list(once.operations)[0] == "mm" and "aten::mm" not in once.operations
    assert set(twice.operations) == set(once.operations) and once.outside_us >= 0
    assert capfd.readouterr().err == "", "the profiler's native log lines must not reach the error stream"


def test_profile_by_kind_splits_the_step_into_products_others_and_outside():
    profile = OperationProfile(100.0, {"mm": 30.0, "relu": 12.0, "addmm": 20.0, "lerp_": 8.0})
    rows = [line.rsplit(maxsplit=3) for line in profile.by_kind().splitlines()]
    assert [name for name, *_ in rows] == ["matrix products (addmm, mm)", "2 other operations",
                                           "outside operations (Python, dispatch)"]
    assert [float(us) for _, us, _, _ in rows] == [50.0, 20.0, 30.0]  # they add up to the step's 100 us


# ---------------------------------------------------------------- the fastest step
