import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from scipy import stats
from scipy.stats import binomtest
from sklearn.metrics import f1_score

from lepton_helpers.evaluation import (MARGIN, RULE, VERDICTS, accuracy_ci, compare, compare_items, confusion,
                                       expected_calibration_error, fit_temperature, mean_se, nll, per_class_scores,
                                       plot_reliability, reliability, t_quantile)


def test_wilson_interval_matches_a_worked_example_and_scipy():
    # 8 of 10 at 95%: centre (8 + 1.92) / 13.84 = 0.7168, half-width 1.96 * 1.6 / 13.84 = 0.2266
    acc, low, high = accuracy_ci(8, 10)
    assert acc == 0.8 and low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    for correct, n, conf in [(9812, 10000, 0.95), (3, 40, 0.9)]:
        ref = binomtest(correct, n).proportion_ci(confidence_level=conf, method="wilson")
        assert accuracy_ci(correct, n, conf)[1:] == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_normal_interval_is_the_textbook_formula_and_wilson_stays_inside_0_1():
    acc, low, high = accuracy_ci(9800, 10000, method="normal")
    half = 1.959964 * math.sqrt(0.98 * 0.02 / 10000)
    assert (low, high) == pytest.approx((0.98 - half, 0.98 + half), abs=1e-7)
    _, low, high = accuracy_ci(10, 10)
    assert 0 < low < 1 and high == pytest.approx(1.0)
    # more data -> narrower interval; higher confidence -> wider
    width = lambda c, n, conf=0.95: np.subtract(*accuracy_ci(c, n, conf)[2:0:-1])
    assert width(980, 1000) > width(9800, 10000) and width(980, 1000, 0.99) > width(980, 1000)


def test_accuracy_ci_rejects_bad_counts():
    for args in [(11, 10), (-1, 10), (0, 0)]:
        with pytest.raises(ValueError, match="correct"):
            accuracy_ci(*args)
    with pytest.raises(ValueError, match="method"):
        accuracy_ci(5, 10, method="exact")


def test_accuracy_ci_takes_numpy_counts():
    """Counts from array arithmetic (``(pred == y).sum()``, ``len`` of a split) are NumPy integers."""
    correct = (np.arange(1000) % 50 != 0).sum()  # np.int64(980)
    assert accuracy_ci(correct, np.int64(1000)) == accuracy_ci(980, 1000)
    with pytest.raises(ValueError, match="correct"):
        accuracy_ci(5, True)


def test_per_class_scores_agree_with_sklearn_and_confusion_rows():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 500)
    pred = np.where(rng.random(500) < 0.8, y, rng.integers(0, 10, 500))
    scores = per_class_scores(torch.from_numpy(y), torch.from_numpy(pred))
    assert np.allclose(scores["f1"], f1_score(y, pred, average=None))
    cm = confusion(y, pred)
    assert cm.shape == (10, 10) and cm.sum() == 500
    assert np.array_equal(cm.sum(1), scores["support"])  # a row of the matrix is one true class
    assert np.allclose(np.diag(cm) / cm.sum(0), scores["precision"])


def synthetic(confidence_of, n=20000, seed=0):
    """Predictions whose top probability is c and that are right with probability truth(c)."""
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.2, 1.0, n)
    correct = rng.random(n) < confidence_of(conf)
    labels = rng.integers(0, 10, n)
    predicted = np.where(correct, labels, (labels + rng.integers(1, 10, n)) % 10)
    probs = np.tile(((1 - conf) / 9)[:, None], (1, 10))
    probs[np.arange(n), predicted] = conf
    return probs, labels


def test_ece_is_near_zero_when_calibrated_and_large_when_overconfident():
    calibrated = expected_calibration_error(*synthetic(lambda c: c))
    overconfident = expected_calibration_error(*synthetic(lambda c: c - 0.15))
    assert calibrated < 0.015
    assert overconfident == pytest.approx(0.15, abs=0.02)


def test_reliability_bins_count_everything_and_check_inputs():
    probs, labels = synthetic(lambda c: c, n=1000)
    r = reliability(probs, labels, n_bins=10)
    assert r.count.sum() == 1000 and r.count[:1].sum() == 0  # nothing below 0.2 -> first bin empty
    assert np.isnan(r.accuracy[0]) and np.all((r.confidence[2:] > r.edges[2:-1]) & (r.confidence[2:] <= r.edges[3:]))
    with pytest.raises(ValueError, match="sum to 1"):
        reliability(probs * 3, labels)


def test_temperature_scaling_fixes_overconfident_logits_without_changing_predictions():
    torch.manual_seed(0)
    true_logits = torch.randn(5000, 10) * 2
    labels = torch.distributions.Categorical(logits=true_logits).sample()
    overconfident = true_logits * 3  # the same ranking, probabilities far too sharp
    t = fit_temperature(overconfident, labels)
    assert t == pytest.approx(3.0, rel=0.1)
    assert nll(overconfident, labels, t) < nll(overconfident, labels) - 0.1
    assert torch.equal((overconfident / t).argmax(1), overconfident.argmax(1))
    ece_before = expected_calibration_error(torch.softmax(overconfident, 1), labels)
    ece_after = expected_calibration_error(torch.softmax(overconfident / t, 1), labels)
    assert ece_after < ece_before / 3


def test_reliability_diagram_shows_each_bins_count():
    rng = np.random.default_rng(0)
    probs = torch.softmax(torch.as_tensor(rng.normal(size=(500, 10)) * 3), 1)
    labels = torch.as_tensor(rng.integers(0, 10, 500))
    r = reliability(probs, labels, n_bins=10)
    fig = plot_reliability({"model": r})
    shown = sorted(int(t.get_text().replace(",", "")) for t in fig.axes[0].texts)
    assert shown == sorted(r.count[r.count > 0].tolist()) and sum(shown) == 500
    plt.close(fig)


# ---------------------------------------------------------------- the one comparison rule
def test_mean_se_is_the_sample_standard_error():
    mean, se = mean_se([1.0, 2.0, 3.0])
    assert mean == 2.0 and se == pytest.approx(1 / 3**0.5)


@pytest.mark.parametrize("a, b, verdict", [
    ([0.971, 0.969, 0.972], [0.960, 0.962, 0.958], "better"),        # 1.1 points, se 0.2: counts
    ([0.960, 0.962, 0.958], [0.971, 0.969, 0.972], "worse"),
    ([0.971, 0.969, 0.972], [0.970, 0.968, 0.973], "equivalent within the margin"),  # interval inside ±m
    ([0.99, 0.93, 0.97], [0.96, 0.95, 0.93], "no detectable difference"),        # over the margin, but noisy
    ([0.9730, 0.9731, 0.9729], [0.9700, 0.9701, 0.9699], "equivalent within the margin"),  # 0.3 points: below m
    ([0.975, 0.968, 0.972], [0.962, 0.964, 0.963], "no detectable difference"),  # 1 point, 2.9 s.e.: counted under
])                                                                                 # 2 s.e., not under t(2) = 4.30
def test_verdicts_follow_the_rule(a, b, verdict):
    c = compare(a, b, names=("A", "B"))
    assert c.verdict == verdict
    counts = abs(c.diff) > MARGIN and abs(c.diff) > stats.t.ppf(0.975, len(a) - 1) * c.se
    assert (verdict in ("better", "worse")) == counts
    assert (verdict == "equivalent within the margin") == (c.not_worse and c.not_better and not counts)
    assert verdict.split()[0] in str(c) or verdict in str(c)
    assert c.in_words() == f"{verdict} ({100 * c.diff:+.2f} points, 95% interval ± {100 * c.half_width:.2f})"
    assert c.outcome == {"better": "A better than B", "worse": "A worse than B",
                         "equivalent within the margin": "A and B equivalent within the margin",
                         "no detectable difference": "no detectable difference between A and B"}[verdict]


def test_the_interval_uses_students_t_for_the_runs_degrees_of_freedom():
    assert t_quantile(2) == pytest.approx(4.303, abs=1e-3) and t_quantile(4) == pytest.approx(2.776, abs=1e-3)
    c = compare([0.975, 0.968, 0.972], [0.962, 0.964, 0.963])
    assert c.dof == 2 and c.half_width == pytest.approx(t_quantile(2) * c.se)
    assert f"± {100 * c.half_width:.2f}" in str(c)
    unpaired = compare([0.97, 0.98, 0.96], [0.95, 0.95, 0.96, 0.94], paired=False)
    assert 2 <= unpaired.dof <= 5   # Welch's degrees of freedom lie between the smaller n - 1 and n_a + n_b - 2
    with pytest.raises(ValueError, match="degree of freedom"):
        t_quantile(0)


def test_pairing_by_seed_cancels_the_seeds_own_effect():
    seed_effect = [0.0, 0.02, -0.02]
    a = [0.97 + e for e in seed_effect]
    b = [0.96 + e for e in seed_effect]
    assert compare(a, b, paired=True).verdict == "better"          # every seed: +1 point
    assert compare(a, b, paired=False).verdict == "no detectable difference"  # seed noise swamps it


def test_not_worse_is_the_robust_part_of_a_tie():
    assert compare([0.970, 0.971, 0.969], [0.9705, 0.9705, 0.9695]).not_worse
    assert not compare([0.950, 0.951, 0.949], [0.971, 0.970, 0.972]).not_worse
    assert compare([0.9705, 0.9705, 0.9695], [0.970, 0.971, 0.969]).not_better       # a tie, seen from A
    assert not compare([0.971, 0.970, 0.972], [0.950, 0.951, 0.949]).not_better      # A clearly better
    assert not compare([0.99, 0.93, 0.97], [0.96, 0.95, 0.93]).not_better            # too noisy to rule it out


def test_compare_refuses_fewer_than_three_runs_and_unequal_pairs():
    with pytest.raises(ValueError, match="at least 3 runs"):
        compare([0.9, 0.91], [0.9, 0.92])
    with pytest.raises(ValueError, match="one per seed"):
        compare([0.9, 0.91, 0.92], [0.9, 0.92, 0.93, 0.94])


def test_compare_items_is_a_paired_test_over_test_items():
    rng = np.random.default_rng(0)
    truth_a = rng.random(10_000) < 0.97
    better = compare_items(truth_a, truth_a & (rng.random(10_000) < 0.98))  # B loses 2% of A's right answers
    assert better.verdict == "better" and better.paired_on == "test items"
    assert compare_items(truth_a, truth_a).verdict == "equivalent within the margin"
    assert better.dof == 9_999
    with pytest.raises(ValueError, match="1 \\(right\\) or 0"):
        compare_items([0.5, 1, 0], [1, 1, 0])


def test_compare_names_its_runs_and_unit():
    c = compare([45.0, 47.0, 46.0], [3.3, 3.4, 3.5], names=("fast", "slow"), margin=0.34, scale=1,
                unit="thousand samples/s", runs="timing repeats")
    assert c.verdict == "better" and c.paired_on == "timing repeats"
    assert "(3 timing repeats)" in str(c) and "thousand samples/s" in str(c)
    with pytest.raises(ValueError, match="compare_items"):
        compare([1, 2, 3], [1, 2, 3], runs="test items")


def test_compare_items_names_its_items():
    c = compare_items([1, 1, 0, 1], [1, 0, 0, 1], items="validation items")
    assert c.paired_on == "validation items" and "(4 validation items)" in str(c)
    with pytest.raises(ValueError, match="validation items"):
        compare_items([1, 1, 0], [1, 0, 0], items="validation")


def test_the_rule_is_stated_in_words():
    assert "Student's t" in RULE and "margin" in RULE and all(v in RULE for v in VERDICTS[2:])


def test_each_bin_has_the_wilson_interval_of_its_accuracy():
    probs = torch.tensor([[0.95, 0.05]] * 40 + [[0.65, 0.35]] * 10)
    labels = torch.tensor([0] * 38 + [1] * 2 + [0] * 7 + [1] * 3)
    r = reliability(probs, labels, n_bins=10)
    low, high = r.intervals()
    assert (low[9], high[9]) == pytest.approx(accuracy_ci(38, 40)[1:])
    assert (low[6], high[6]) == pytest.approx(accuracy_ci(7, 10)[1:])
    assert np.isnan(low[0]) and np.isnan(high[0])
