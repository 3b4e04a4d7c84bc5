"""The benchmark's pieces on tiny inputs: formulas, time-to-accuracy logic, the printed report (never a time)."""

from dataclasses import replace

import pytest

from lepton_helpers.course import benchmark
from lepton_helpers.course.benchmark import BENCHMARK_RECIPE, time_to_accuracy
from lepton_helpers.profiling import (RUNGS, achieved_gflops, articles_samples_per_second,
                                      dataloader_samples_per_second, helpers_samples_per_second)


def test_achieved_gflops_is_steps_per_second_times_step_flops():
    # 1,000 samples/s at batch 100 = 10 steps/s of 45.44 MFLOP each (see test_profiling)
    assert achieved_gflops(1000.0, 100) == pytest.approx(10 * 45.44e6 / 1e9)
    assert achieved_gflops(60.0, 3, sizes=(4, 2)) == pytest.approx(20 * (2 * 3 * 4 * 2 * 2) / 1e9)


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
    assert dataloader_samples_per_second(tiny[0][:200], tiny[1][:200], 50) > 0


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
