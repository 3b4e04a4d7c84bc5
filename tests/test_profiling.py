import pytest
import torch
import torch.nn.functional as F

from lepton_helpers.env import seeded
from lepton_helpers.models import MLP
from lepton_helpers.profiling import (FastMLPTrainer, OperationProfile, Speed, Timing, counted_flops, matmul_workload,
                                      measured_memory, mlp_memory, operation_profile, products_workload,
                                      saved_activation_bytes, step_product_shapes, timed, training_step_flops)
from lepton_helpers.training import TensorBatches, parameter_groups, train_epoch


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
def fresh_mlp(seed):
    with seeded(seed):
        return MLP((784, 128, 64, 10))


def _digits(n=350, features=784, classes=10, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, features, generator=g), torch.randint(0, classes, (n,), generator=g)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_fast_trainer_takes_the_autograd_steps(weight_decay):
    x, y = _digits()  # 350 rows: three batches of 100 and a last one of 50
    reference, fast = fresh_mlp(0), fresh_mlp(0)
    optimizer = torch.optim.AdamW(parameter_groups(reference, weight_decay), lr=1e-3)
    batches = TensorBatches(x, y, 100, seed=3)
    trainer = FastMLPTrainer(fast, TensorBatches(x, y, 100, seed=3), lr=1e-3, weight_decay=weight_decay)
    for _ in range(4):
        assert trainer.train_epoch() == pytest.approx(train_epoch(reference, batches, optimizer), abs=1e-5)
    moved = max((p - q).abs().max().item() for p, q in zip(reference.parameters(), fresh_mlp(0).parameters()))
    difference = max((p - q).abs().max().item() for p, q in zip(reference.parameters(), fast.parameters()))
    assert moved > 1e-3 and difference < 1e-5
    torch.testing.assert_close(fast(x[:5]), reference(x[:5]), atol=1e-5, rtol=0)  # the module trained in place


@pytest.mark.parametrize("sizes,shape", [((12, 3), (12,)), ((12, 8, 6, 5, 4), (3, 4))])
def test_fast_trainer_handles_any_depth_and_image_rows(sizes, shape):
    x, y = _digits(60, sizes[0], sizes[-1])
    x = x.reshape(60, *shape)  # (60, 3, 4) images are flattened like MLP.forward does
    reference, fast = MLP(sizes), MLP(sizes)
    fast.load_state_dict(reference.state_dict())
    optimizer, batches = torch.optim.Adam(reference.parameters(), lr=1e-2), TensorBatches(x, y, 16, seed=0)
    losses = [train_epoch(reference, batches, optimizer) for _ in range(3)]
    trainer = FastMLPTrainer(fast, TensorBatches(x, y, 16, seed=0), lr=1e-2)
    assert [trainer.train_epoch() for _ in range(3)] == pytest.approx(losses, abs=1e-5) and losses[-1] < losses[0]
    assert max((p - q).abs().max().item() for p, q in zip(reference.parameters(), fast.parameters())) < 1e-5


def test_fast_trainer_refuses_what_it_does_not_write_out():
    x, y = _digits(20, 12, 3)
    with pytest.raises(ValueError, match="ReLU hidden layers"):
        FastMLPTrainer(MLP((12, 5, 3), activation="lepton"), TensorBatches(x, y, 5))
    with pytest.raises(ValueError, match="must match the model's input"):
        FastMLPTrainer(MLP((10, 3)), TensorBatches(x, y, 5))
    with pytest.raises(ValueError, match="must match the model's input"):
        FastMLPTrainer(MLP((12, 3)), TensorBatches(x.double(), y, 5))
    with pytest.raises(ValueError, match="class indices from 0 to 1"):
        FastMLPTrainer(MLP((12, 2)), TensorBatches(x, y, 5))
    with pytest.raises(ValueError, match="lr"):
        FastMLPTrainer(MLP((12, 3)), TensorBatches(x, y, 5), lr=0.0)
