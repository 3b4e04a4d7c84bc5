"""The benchmark's pieces on tiny inputs: formulas, time-to-accuracy logic, the printed report (never a time)."""

from dataclasses import replace

import pytest

import torch

from lepton_helpers.course import benchmark, ladder as ladder_module
from lepton_helpers.course.benchmark import BENCHMARK_RECIPE, time_to_accuracy
from lepton_helpers.course.ladder import (RUNGS, Rate, SpeedLadder, articles_samples_per_second,
                                          compiled_samples_per_second, fastest_epoch, helpers_samples_per_second,
                                          measure_rates, speed_ladder)


# ---------------------------------------------------------------- the ladder
def test_rates_summarise_repeats_and_divide_repeat_by_repeat():
    a, b = Rate((4.0, 1.0, 3.0)), Rate((2.0, 1.0, 1.0))
    assert (a.median, a.low, a.high) == (3.0, 1.0, 4.0)
    assert (a / b).values == (2.0, 1.0, 3.0) and (a * 0.5).values == (2.0, 0.5, 1.5)
    with pytest.raises(ValueError, match="one value per repeat"):
        a / Rate((1.0,))


def test_measure_rates_interleaves_the_workloads_for_every_repeat():
    calls = []
    workloads = {"a": (lambda: calls.append("a"), 10.0), "b": (lambda: calls.append("b"), 1.0)}
    rates = measure_rates(workloads, seconds=0.01, repeats=3, chunk=0.002)
    assert set(rates) == {"a", "b"} and all(len(r.values) == 3 and r.low > 0 for r in rates.values())
    timed = calls[4:]  # after each workload's warm-up and calibration calls
    switches = sum(1 for first, second in zip(timed, timed[1:]) if first != second)
    assert switches >= 2 * 3 - 1, "each repeat should take turns between the workloads"
    with pytest.raises(ValueError, match="repeats"):
        measure_rates(workloads, repeats=0)
    with pytest.raises(ValueError, match="seconds"):
        measure_rates(workloads, seconds=0)


def test_the_ladder_reports_both_limits_and_the_ratio_to_the_standard_path():
    samples = {rung: Rate((rate, rate)) for rung, rate in zip(RUNGS, (1e4, 5e4, 1e5, 2e5))}
    ladder = SpeedLadder(samples, peak=Rate((2e11, 2e11)), products=Rate((1e11, 1e11)), batch_size=100, n=1024)
    assert ladder.flops("fastest step").median == pytest.approx(2e5 * 454_400)  # 45.44 MFLOP per step of 100
    fastest = next(line for line in ladder.report().splitlines() if line.startswith("fastest step"))
    # 90.9 GFLOP/s: 45% of the mm peak, 91% of the products alone, 4x the standard DataLoader path
    for expected in ("200,000 (200,000-200,000)", "90.9", "45% (45%-45%)", "91% (91%-91%)", "4.00x (4.00x-4.00x)"):
        assert expected in fastest, f"{expected!r} not in {fastest!r}"
    assert "products alone 100 (100-100) GFLOP/s = 50% (50%-50%) of the peak" in ladder.report()


def test_speed_ladder_measures_every_rung_and_both_limits(mnist):
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(200, 784, generator=g), torch.randint(0, 10, (200,), generator=g)
    ladder = speed_ladder(mnist.train_images[:100], mnist.train_labels[:100], x, y, 50, seconds=0.01, repeats=2, n=64)
    assert list(ladder.samples) == list(RUNGS) and all(len(r.values) == 2 for r in ladder.samples.values())
    assert ladder.peak.low > 0 and ladder.products.low > 0 and ladder.n == 64
    assert fastest_epoch(x, y, 50)() > 0  # one epoch, its mean loss


def test_compiling_on_a_cpu_without_a_cpp_compiler_says_so_before_compiling(monkeypatch):
    monkeypatch.setattr(ladder_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(ladder_module.torch, "compile", lambda model: pytest.fail("compiled without a C++ compiler"))
    x, y = torch.zeros(4, 784), torch.zeros(4, dtype=torch.long)
    with pytest.raises(RuntimeError, match="needs a C\\+\\+ compiler.*install g\\+\\+ or clang"):
        compiled_samples_per_second(x, y, 2)


# ---------------------------------------------------------------- time to accuracy and the command


@pytest.fixture(scope="module")
def tiny():
    from lepton_helpers.preprocessing import mnist_splits

    s = mnist_splits(device="cpu")
    return s.x_train[:600], s.y_train[:600], s.x_val[:300], s.y_val[:300]


def test_time_to_accuracy_stops_at_the_target(tiny):
    result = time_to_accuracy(*tiny, target=0.6, recipe=replace(BENCHMARK_RECIPE, epochs=5, augment=False))
    assert result.reached and result.test_acc[-1] >= 0.6 and all(a < 0.6 for a in result.test_acc[:-1])
    assert result.epochs == len(result.test_acc) <= 5 and result.seconds > 0


def test_time_to_accuracy_reports_an_unreached_target(tiny):
    result = time_to_accuracy(*tiny, target=1.01, recipe=replace(BENCHMARK_RECIPE, epochs=2))
    assert not result.reached and result.epochs == 2 and len(result.test_acc) == 2
    assert "random affine" in result.recipe


def test_throughputs_are_positive(mnist, tiny):
    assert articles_samples_per_second(mnist.train_images[:200], mnist.train_labels[:200], 50) > 0
    assert helpers_samples_per_second(tiny[0][:200], tiny[1][:200], 50, epochs=2) > 0


def test_quick_run_prints_every_figure(capsys):
    benchmark.main(["--quick", "--batch-size", "50", "--threads", "1"])
    out = capsys.readouterr().out
    assert "batch size 50" in out and "1 thread," in out
    ladder = out[out.index("1. The ladder"):out.index("2. Where")]
    for rung in RUNGS:
        assert any(line.strip().startswith(rung) and line.count("%") == 6 and line.rstrip().endswith(")")
                   for line in ladder.splitlines()), f"no full row for {rung!r} in:\n{ladder}"
    for expected in ("samples/s: median (min-max)", "of the mm peak", "of the products", "vs standard",
                     "limits: torch.mm 256x256", "products alone", "fastest step / helpers' loop:",
                     "outside operations (Python, dispatch)", "_fused_adamw_", "LeptonClassifier  test accuracy",
                     "MLPClassifier     test accuracy", "fits", "(3 seeds): difference", "Time to 97% test accuracy",
                     "recipe:"):
        assert expected in out, f"missing {expected!r} in:\n{out}"
    assert "NOT reached within the cap of 1 epochs" in out or "reached 9" in out


def test_record_refuses_the_quick_protocol(capsys):
    with pytest.raises(SystemExit):
        benchmark.main(["--quick", "--record"])
    assert "--record keeps the figures of a full run" in capsys.readouterr().err
