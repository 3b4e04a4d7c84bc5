"""Every exercise in the bank: its solution passes its check, an unanswered one says so without ✅, each
known mistake gets its own message, hints never give the answer, solutions use only what their
notebook defines, and each predict-then-run experiment gives the outcome the course expects."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import functools
import math
import re
from math import comb
from pathlib import Path

import nbformat
import pytest
import torch
from IPython.core.inputtransformer2 import TransformerManager

import lepton_helpers.exercises as ex
from lepton_helpers.activation import K_FLOOR, Lepton, fold_into_linear
from lepton_helpers.course import cells
from lepton_helpers.exercises import NOTEBOOK_BANKS, exercises, get, grade
from lepton_helpers.exercises.framework import Choice, Compute, Design, Implement

ALL = exercises()
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"  # the checkout's (also when the package is installed)
IDS = [e.id for e in ALL]


def run_source(exercise, source: str):
    """Execute ``source`` (an answer cell or a solution) in a namespace like the notebook's; its answer."""
    namespace = dict(NOTEBOOK_BANKS[exercise.id[:2]].notebook_names())
    exec(source, namespace)  # noqa: S102 (the bank's own source text)
    return namespace[exercise.answer_name]


@pytest.fixture(autouse=True, scope="module")
def one_run_per_experiment():
    """Each predict-then-run experiment runs once in this module (every check of it would run it again)."""
    saved = dict(ex.BANK)
    for exercise in saved.values():
        if exercise.kind == "predict":
            ex.BANK[exercise.id] = dataclasses.replace(exercise, experiment=functools.cache(exercise.experiment))
    yield
    ex.BANK.update(saved)


@pytest.fixture(params=IDS)
def exercise(request):
    return get(request.param)


def test_the_bank_covers_every_notebook_with_mixed_kinds():
    notebooks = {e.id[:2] for e in ALL}
    assert notebooks == {f"{n:02d}" for n in range(10)}
    for number in notebooks:
        assert len(exercises(number)) >= 2, f"notebook {number} needs at least two exercises"
    kinds = {e.kind for e in ALL}
    assert {"implement", "predict", "interpret", "compute", "design"} <= kinds
    assert len({e.kind for e in exercises("03")}) >= 2 and get("03.2").kind == "implement"
    assert get("02.3").kind == "predict" and get("09.1").kind == "design"


def test_the_reference_solution_passes_its_check(exercise):
    verdict = grade(exercise.id, run_source(exercise, exercise.solution))
    assert verdict.correct, str(verdict)
    assert verdict.status_line == f"Exercise {exercise.id} · ✅ correct"


def test_an_unanswered_exercise_says_so_and_shows_no_tick(exercise):
    for answer in (None, run_source(exercise, exercise.answer_cell)):
        verdict = grade(exercise.id, answer)
        assert verdict.status == "unanswered", str(verdict)
        assert verdict.status_line == f"Exercise {exercise.id} · ⬜ not answered yet"
        assert "✅" not in str(verdict)


def test_the_answer_cell_holds_only_a_placeholder(exercise):
    answer = run_source(exercise, exercise.answer_cell)
    if isinstance(exercise, Implement):
        assert callable(answer) and "raise NotImplementedError" in exercise.answer_cell
    elif isinstance(exercise, Design):
        assert all(value is None for value in answer.values())
    else:
        assert answer is None


def test_each_known_mistake_gets_its_targeted_message(exercise):
    assert exercise.mistakes or isinstance(exercise, Choice) and len(exercise.options) == 1
    for mistake in exercise.mistakes:
        verdict = grade(exercise.id, mistake.answer)
        assert verdict.status == "wrong", f"{mistake.label}: {verdict}"
        assert verdict.reason == mistake.says, f"{mistake.label} got another message: {verdict.reason}"
        assert "✅" not in str(verdict)


def test_a_failing_function_shows_the_input_expected_and_got():
    df_dx = get("03.1").mistakes[0].answer
    verdict = grade("03.1", df_dx)
    assert verdict.reason.startswith("that is ∂f/∂x")
    assert [line.split(":")[0] for line in verdict.details[:3]] == ["input", "expected", "got"]
    assert "tensor of shape" in verdict.details[0] and "tensor of shape" in verdict.details[1]


def _meaningful_lines(source: str) -> list[str]:
    """The lines of a solution that carry its content (no def line, docstring or comment-only line)."""
    lines = []
    for line in source.splitlines():
        code = line.split("#")[0].strip()
        if len(code) >= 12 and not code.startswith(('def ', '"""', "return grads", "return h")):
            lines.append(code)
    return lines


def test_hints_come_in_tiers_and_never_give_the_answer(exercise):
    assert len(exercise.hints) >= 2
    text = " ".join(exercise.hints)
    for line in _meaningful_lines(exercise.solution):
        assert line not in text, f"hint contains the solution's line {line!r}"
    if isinstance(exercise, Choice):
        for letter in exercise.correct:
            assert f'"{letter}"' not in text and f"**{letter}.**" not in text


def _notebook_names(number: str) -> set[str]:
    """Every name that notebook ``number``'s cells before its exercise section bind."""
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    nb = nbformat.read(path, as_version=4)
    start, _ = cells.section_bounds(nb)
    bound = set()
    for cell in nb.cells[:start] + nb.cells[start:start + 2]:   # the body, the heading and the import cell
        if cell.cell_type != "code":
            continue
        tree = ast.parse(TransformerManager().transform_cell(cell.source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
    return bound


@pytest.mark.parametrize("number", sorted(NOTEBOOK_BANKS))
def test_solutions_use_only_names_their_notebook_defines(number):
    available = _notebook_names(number) | set(dir(builtins))
    assert set(NOTEBOOK_BANKS[number].notebook_names()) <= available
    for exercise in exercises(number):
        tree = ast.parse(exercise.solution)
        bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args}
        bound |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        assert read - bound <= available, f"{exercise.id}'s solution reads {sorted(read - bound - available)}"


PREDICT = [e.id for e in ALL if e.kind == "predict"]


@pytest.mark.parametrize("exercise_id", PREDICT)
def test_a_predict_experiment_gives_the_expected_outcome_and_keeps_the_callers_generator(exercise_id):
    exercise = next(e for e in NOTEBOOK_BANKS[exercise_id[:2]].EXERCISES if e.id == exercise_id)  # not cached
    state = torch.get_rng_state()
    result = exercise.experiment()
    assert torch.equal(state, torch.get_rng_state()), "the experiment moved the caller's global generator"
    assert set(exercise.outcome(result)) == set(exercise.correct), exercise.report(result)


def _must_not_run():
    raise AssertionError("the experiment ran without a prediction")


@pytest.mark.parametrize("exercise_id", PREDICT)
def test_a_predict_check_without_a_prediction_runs_nothing_and_shows_no_result(exercise_id, monkeypatch, capsys):
    exercise = get(exercise_id)
    monkeypatch.setitem(ex.BANK, exercise_id, dataclasses.replace(exercise, experiment=_must_not_run))
    for unfilled in (None, run_source(exercise, exercise.answer_cell)):
        ex.check(exercise_id, unfilled)
        out = capsys.readouterr().out
        assert out.splitlines()[0] == f"Exercise {exercise_id} · ⬜ not answered yet"
        assert f"Set `{exercise.answer_name}` to one of" in out and "nothing ran" in out
        assert re.findall(r"\d+(?:[.,]\d+)*", out) == [exercise_id], f"a number other than the id: {out}"


def test_a_wrong_number_is_reported_in_the_quantity_asked_for():
    exercise = get("09.2")
    assert isinstance(exercise, Compute)
    too_large = grade("09.2", exercise.value() + 0.5)
    assert too_large.reason == f"the half-width {exercise.value() + 0.5:.4g} points is too large (tolerance ±0.002 points)"
    too_small = grade("09.2", 1.0)
    assert "too small" in too_small.reason and "points" in too_small.reason
    assert grade("09.2", exercise.value() + 0.0015).correct
    assert "as a number" in grade("09.2", "1.48").reason


# ---------------------------------------------------------------- what individual banks rely on
def test_01_3_the_chance_a_random_split_misses_the_small_class():
    chance = comb(54, 12) / comb(60, 12)          # all 12 test samples from the 54 others
    assert 0.2 < chance < 0.3                     # "about 1 in 4", as the reasons say
    missing = get("01.3").experiment()
    assert missing["stratified"] == 0 and abs(missing["random"] / 200 - chance) < 0.1


def test_00_1_the_reference_weights_meet_both_conditions_of_the_task():
    from lepton_helpers.data import load_mnist
    labels = load_mnist("bundled").train_labels
    weights = get("00.1").reference(labels)
    totals = weights * torch.bincount(labels, minlength=10)
    assert torch.allclose(totals, totals[0].expand(10)) and math.isclose(weights[labels].mean().item(), 1.0)


def test_04_3_the_classmates_numbers_give_the_verdict_the_reasons_state():
    from lepton_helpers.evaluation import compare
    from lepton_helpers.exercises import nb04
    result = compare([a / 100 for a in nb04.GREEDY_RUN], [a / 100 for a in nb04.BACKPROP_RUN])
    assert "difference +0.70 ± 0.47 points (95% interval ± 2.03) -> no detectable difference" in str(result)
    assert all(f in get("04.3").reasons["B"] for f in ("+0.70", "0.47", f"{100 * result.half_width:.2f}"))


def test_08_3_the_expected_speed_up_and_the_wrong_ones_are_told_apart():
    exercise = get("08.3")
    assert round(exercise.value(), 2) == 63.12
    values = [exercise.value(), *(m.answer for m in exercise.mistakes)]
    assert min(abs(a - b) for i, a in enumerate(values) for b in values[i + 1:]) > 2 * exercise.tolerance


def test_02_2_the_reference_folding_is_the_packages():
    g = torch.Generator().manual_seed(0)
    W, b = torch.randn(3, 5, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
    k, theta = torch.rand(3, generator=g, dtype=torch.float64) * 4 + 0.2, torch.randn(3, generator=g, dtype=torch.float64)
    linear, layer = torch.nn.Linear(5, 3).double(), Lepton(num_features=3).double()
    with torch.no_grad():
        linear.weight.copy_(W)
        linear.bias.copy_(b)
        layer.raw_k.copy_(torch.log(torch.expm1(k - K_FLOOR)))
        layer.theta.copy_(theta)
    folded = fold_into_linear(linear, layer)
    W2, b2 = get("02.2").reference(W, b, k, theta)
    assert torch.allclose(W2, folded.weight, atol=1e-12) and torch.allclose(b2, folded.bias, atol=1e-12)


def test_03_2_the_mistakes_switches_off_give_autograd():
    from lepton_helpers.exercises import nb03
    for X, y, p in nb03._network_cases(torch.Generator().manual_seed(1)):
        hand, auto = nb03._backward(X, y, p), nb03._autograd(X, y, p)
        assert all(torch.allclose(hand[name], auto[name], rtol=1e-9, atol=1e-12) for name in nb03.PARAMETERS)


def test_03_2_says_which_gradients_are_right():
    exercise = get("03.2")
    flipped = exercise.mistakes[-1]                 # only the θ gradients are wrong
    details = "\n".join(grade("03.2", flipped.answer).details)
    assert "right: W1, b1, k1, W2, b2, k2, W3, b3; not yet: th1, th2" in details


def test_03_2_refuses_autograd():
    from lepton_helpers.exercises import nb03

    def with_autograd(X, y, p):
        leaves = {name: t.clone().requires_grad_() for name, t in p.items()}
        nb03._loss(X, y, leaves).backward()
        return {name: t.grad for name, t in leaves.items()}

    verdict = grade("03.2", with_autograd)
    assert verdict.status == "wrong" and "raised RuntimeError" in verdict.reason


def test_04_2_a_graph_left_attached_is_named():
    verdict = grade("04.2", get("04.2").mistakes[0].answer)
    assert "requires_grad=True" in verdict.reason


def test_09_1_a_valid_design_runs_and_applies_the_rule():
    design = {"claim": "c", "seeds": [3, 4, 5], "epochs": 1, "split": "Validation", "margin": 0.01}
    verdict = grade("09.1", design)
    assert verdict.correct, str(verdict)
    assert any("(3 seeds)" in line and "margin 1 points" in line for line in verdict.details)
    partial = grade("09.1", {**design, "margin": None})
    assert partial.reason == "fill in 'margin'"
    assert grade("09.1", "A").reason.startswith("expected a dict")


def test_choices_accept_lowercase_and_refuse_unknown_letters():
    assert grade("00.2", " b ").correct
    assert "letter of an option" in grade("00.2", "E").reason
    assert "letter of an option" in grade("00.2", 2).reason


def test_interval_claims_in_the_reasons_hold():
    from scipy.stats import t
    from lepton_helpers.exercises.nb07 import width_ratio
    t3, t12 = t.ppf(0.975, 2), t.ppf(0.975, 11)
    assert (f"{t3:.2f}", f"{t12:.2f}") == ("4.30", "2.20")              # the values the reasons quote
    assert math.isclose(width_ratio(), (t12 / math.sqrt(12)) / (t3 / math.sqrt(3)), rel_tol=1e-9)
    assert 0.24 < width_ratio() < 0.27 and all("0.26" in get("07.3").reasons[k] for k in "AB")
