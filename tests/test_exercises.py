"""The exercise machinery: the status line's format, check/hint/solution, feedback for odd answers,
the answer key and the notebooks' exercise cells (a fresh Run All of a student copy, with no ✅:
tests/test_course_classroom.py)."""

from __future__ import annotations

import dataclasses
import math
import re

import nbformat
import pytest
import torch

import lepton_helpers.exercises as ex
from lepton_helpers.course import cells, key
from lepton_helpers.exercises import check, get, grade, hint, parse_status_line, solution
from lepton_helpers.exercises.framework import (
    STATUS_LINE,
    Choice,
    Compute,
    Design,
    Implement,
    Mistake,
    Tolerance,
    Verdict,
)


# ---------------------------------------------------------------- the status line
def test_the_status_line_has_one_fixed_machine_readable_format():
    lines = {"correct": "Exercise 03.1 · ✅ correct", "unanswered": "Exercise 03.1 · ⬜ not answered yet",
             "wrong": "Exercise 03.1 · ❌ not yet: that is ∂f/∂x"}
    for status, line in lines.items():
        verdict = Verdict("03.1", status, "that is ∂f/∂x" if status == "wrong" else "", ["a detail"])
        assert verdict.status_line == line and STATUS_LINE.match(line)
        assert str(verdict).splitlines() == [line, "   a detail"]
        assert parse_status_line(line + "\n") == ("03.1", status, "that is ∂f/∂x" if status == "wrong" else "")
    for not_a_status in ("   a detail", "Exercise 3.1 · ✅ correct", "Exercise 03.1 · ❌ not yet", "Hint 1 of 2 for exercise 03.1:"):
        assert parse_status_line(not_a_status) is None


def test_check_prints_the_status_line_first_and_returns_nothing(capsys):
    assert check("03.1", None) is None
    out = capsys.readouterr().out.splitlines()
    assert parse_status_line(out[0]) == ("03.1", "unanswered", "")
    assert all(line.startswith("   ") for line in out[1:])


def test_an_unknown_id_gets_a_clear_error():
    with pytest.raises(KeyError, match="the ids look like '03.1'"):
        grade("3.1", None)


# ---------------------------------------------------------------- hints and solutions
def test_hint_gives_the_next_tier_each_call(capsys, monkeypatch):
    monkeypatch.setattr(ex, "_hints_given", {})
    tiers = get("03.1").hints
    hint("03.1")
    assert capsys.readouterr().out == f'Hint 1 of 2 for exercise 03.1 (hint("03.1") again for tier 2):\n{tiers[0]}\n'
    hint("03.1")
    hint("03.1")  # stays at the last tier
    out = capsys.readouterr().out
    assert out.count("Hint 2 of 2") == 2 and tiers[1] in out and 'solution("03.1") shows a solution' in out
    hint("03.2", 2)
    assert get("03.2").hints[1] in capsys.readouterr().out
    with pytest.raises(ValueError, match="hint tiers 1 to 2"):
        hint("03.2", 3)


def test_solution_prints_the_solution_and_the_reasons_and_runs_no_experiment(capsys, monkeypatch):
    solution("03.1")
    assert get("03.1").solution in capsys.readouterr().out
    predict = get("02.3")
    monkeypatch.setitem(ex.BANK, "02.3", dataclasses.replace(predict, experiment=_must_not_run))
    solution("02.3")
    out = capsys.readouterr().out
    assert predict.solution in out and f"Why A: {predict.reasons['A']}" in out


def _must_not_run():
    raise AssertionError("the experiment ran")


# ---------------------------------------------------------------- feedback for odd answers
def _double(x):
    return 2 * x


TOY = Implement(id="99.1", title="t", task="t", answer_cell="", answer_name="f", solution="", hints=("a", "b"),
                mistakes=(Mistake("tripled", "three times, not two", lambda x: 3 * x),),
                reference=_double, cases=lambda g: [(torch.randn(3, generator=g),), (torch.randn(2, 3, generator=g),)],
                arg_names=("x",), tolerance=Tolerance(1e-9, 1e-12), against="2x")


def test_implement_feedback_for_odd_answers():
    def unfinished(x):
        raise NotImplementedError

    def broken(x):
        return {}["a"]

    def in_place(x):
        return x.mul_(2)

    assert TOY.grade(unfinished).status == "unanswered"
    assert TOY.grade(_double).correct and "checked on 2 fresh random inputs" in TOY.grade(_double).details[0]
    assert TOY.grade(broken).reason == "your function raised KeyError: 'a'" and TOY.grade(broken).details[0].startswith("input: x = tensor")
    assert "changed its input `x` in place" in TOY.grade(in_place).reason
    assert "does your function end with `return" in TOY.grade(lambda x: None).reason
    assert TOY.grade(3).reason == "expected a function, got 3"
    assert TOY.grade(lambda x: 3 * x).reason == "three times, not two"
    wrong = TOY.grade(lambda x: x + 1)
    assert wrong.reason.startswith("values differ by up to") and "tolerance: relative 1e-09" in wrong.reason
    assert TOY.grade(lambda x: x.reshape(-1)[:1]).reason.startswith("shape (1,), expected (3,)")
    transposed = TOY.grade(lambda x: 2 * x.T if x.ndim == 2 else 2 * x)
    assert transposed.reason == "shape (3, 2), expected (2, 3) (the transpose: rows and columns swapped?)"
    nan = TOY.grade(lambda x: x * float("nan"))
    assert "NaN where a number is expected" in nan.reason


# ---------------------------------------------------------------- feedback for common errors
SCALE_ROWS = Implement(id="99.7", title="t", task="t", answer_cell="", answer_name="f", solution="", hints=("a", "b"),
                       reference=lambda W, k: torch.sigmoid(k[:, None] * W),
                       cases=lambda g: [(torch.randn(3, 5, generator=g), torch.rand(3, generator=g))],
                       arg_names=("W", "k"))


def _math_exp_on_a_tensor(W, k):
    return 1 / (1 + math.exp(-(k[:, None] * W)))


def test_a_broadcasting_error_is_explained_with_the_fix():
    verdict = SCALE_ROWS.grade(lambda W, k: torch.sigmoid(k * W))
    assert verdict.reason.startswith("your function raised RuntimeError: the shapes do not broadcast "
                                     "(sizes 3 and 5 meet at dimension 1)")
    assert "`k[:, None] * W`" in verdict.reason
    assert verdict.details[0] == ("the error: The size of tensor a (3) must match the size of tensor b (5) at "
                                  "non-singleton dimension 1")
    numpy_error = SCALE_ROWS.grade(lambda W, k: torch.from_numpy(k.numpy() * W.numpy()))
    assert "the shapes do not broadcast (shapes (3,) (3,5))" in numpy_error.reason


def test_k_times_w_on_a_square_layer_is_named_in_02_2():
    """On a square layer `k * W` runs but scales the columns: the check says so instead of 'values differ'."""
    verdict = grade("02.2", lambda W, b, k, theta: (k * W, k * (b - theta)))
    assert verdict.reason.startswith("`k * W` scales column j of W by k[j]") and "`k[:, None] * W`" in verdict.reason
    assert "tensor of shape (4, 4)" in verdict.details[0]


def test_math_on_a_tensor_says_which_torch_function_to_use():
    verdict = SCALE_ROWS.grade(_math_exp_on_a_tensor)
    assert verdict.reason == ("your function raised ValueError: math.exp works on one number, not on a tensor: "
                              "use torch.exp, which works elementwise")
    source_unknown = SCALE_ROWS.grade(lambda W, k: float(W))     # no math call on the failing line
    assert "use torch's elementwise functions" in source_unknown.reason


def test_a_matrix_product_of_mismatched_shapes_names_the_inner_sizes():
    verdict = SCALE_ROWS.grade(lambda W, k: W @ W)
    assert verdict.reason.startswith("your function raised RuntimeError: a matrix product whose inner sizes differ "
                                     "(3x5 times 3x5: 5 ≠ 3)")


def test_a_dict_answer_puts_the_right_and_not_yet_line_first_in_the_tasks_key_order():
    from lepton_helpers.exercises import nb03
    flipped = get("03.2").mistakes[-1].answer                 # only the θ gradients have the wrong sign
    verdict = grade("03.2", lambda X, y, p: dict(reversed(list(flipped(X, y, p).items()))))
    assert verdict.details[0] == "right: W1, b1, k1, W2, b2, k2, W3, b3; not yet: th1, th2"
    assert verdict.details[1].startswith("input: ")
    assert verdict.details[2].startswith("expected ['th1']: tensor of shape")   # the task's first wrong key
    assert verdict.details[3].startswith("got ['th1']:      tensor of shape")
    mantissas = [n for line in verdict.details[2:4] for n in re.findall(r"(\d+\.\d+)(?:e[-+]?\d+)?", line)]
    assert mantissas and all(len(n.replace(".", "").lstrip("0")) <= 4 for n in mantissas), mantissas  # 4 digits
    missing = grade("03.2", lambda X, y, p: {k: v for k, v in nb03._autograd(X, y, p).items() if k not in ("b3", "k1")})
    assert missing.reason == "keys differ: missing ['k1', 'b3'], unexpected []"


def test_the_reference_sees_the_inputs_before_the_learners_code_changes_them():
    seen = []
    toy = Implement(id="99.2", title="t", task="t", answer_cell="", answer_name="f", solution="", hints=("a", "b"),
                    reference=lambda x: seen.append(x.clone()) or x * 1, cases=lambda g: [(torch.ones(2),)])
    toy.grade(lambda x: x.add_(1))
    assert torch.equal(seen[0], torch.ones(2))


def test_choice_compute_and_design_feedback():
    runs = []
    predict = Choice(id="99.3", title="t", task="t", answer_cell="", answer_name="p", solution='p = "A"',
                     hints=("a", "b"), options={"A": "up", "B": "down"}, reasons={"A": "it went up", "B": "no"},
                     correct="A", kind="predict", experiment=lambda: runs.append(1) or 5, report=lambda r: [f"ran: {r}"],
                     outcome=lambda r: "A")
    unanswered = predict.grade(None)
    assert unanswered.status == "unanswered" and not runs, "no prediction: nothing may run"
    assert unanswered.details == ['No prediction yet, so nothing ran. Set `p` to one of "A", "B" in the cell above '
                                  "(your prediction, before you see any result), then run this cell again: the check "
                                  "then runs the experiment and compares its result with your prediction."]
    assert "letter of an option" in predict.grade("Z").reason and not runs, "a malformed prediction runs nothing"
    wrong = predict.grade("B")
    assert wrong.reason == "no" and wrong.details[0] == "ran: 5" and len(runs) == 1
    assert predict.grade("a").details == ["ran: 5", "it went up"] and len(runs) == 2
    assert predict.grade("AB").reason == "no"
    number = Compute(id="99.4", title="t", task="t", answer_cell="", answer_name="v", solution="", hints=("a", "b"),
                     mistakes=(Mistake("percent", "in percent", 250.0),), value=lambda: 2.5, quantity="the rate",
                     unit="per s", tolerance=0.01)
    assert number.grade(torch.tensor(2.505)).correct
    assert number.grade(250).reason == "in percent"
    assert number.grade(3).reason == "the rate 3 per s is too large (tolerance ±0.01 per s)"
    assert number.grade(float("nan")).reason.endswith("is not a number (tolerance ±0.01 per s)")
    design = Design(id="99.5", title="t", task="t", answer_cell="", answer_name="d", solution="", hints=("a", "b"),
                    fields=("n",), validate=lambda d: None if d["n"] >= 3 else "at least 3", run=lambda d: ["done"])
    assert design.grade({"n": None}).status == "unanswered"
    assert design.grade({"n": 1}).reason == "at least 3"
    assert design.grade({"n": 3}).details == ["a valid design; it ran:", "done"]


def test_a_choice_needs_reasons_for_every_option_and_a_correct_one():
    with pytest.raises(ValueError, match="a reason for every option"):
        Choice(id="99.6", title="t", task="t", answer_cell="", answer_name="a", solution="", hints=("a", "b"),
               options={"A": "x", "B": "y"}, reasons={"A": "r"}, correct="A")
    with pytest.raises(ValueError, match="must name options"):
        Choice(id="99.6", title="t", task="t", answer_cell="", answer_name="a", solution="", hints=("a", "b"),
               options={"A": "x"}, reasons={"A": "r"}, correct="C")
    with pytest.raises(ValueError, match="ids look like"):
        Choice(id="9.6", title="t", task="t", answer_cell="", answer_name="a", solution="", hints=("a", "b"),
               options={"A": "x"}, reasons={"A": "r"}, correct="A")


def test_only_a_correct_verdict_has_a_tick():
    for exercise in ex.exercises():
        if exercise.kind in ("predict", "design"):
            continue  # their verdicts are tested in test_exercise_bank.py (they run experiments)
        for mistake in exercise.mistakes:
            assert "✅" not in str(exercise.grade(mistake.answer))


# ---------------------------------------------------------------- the answer key
def test_the_answer_key_lists_every_exercise_with_its_solution_and_wrong_answers(capsys):
    text = key.answer_key()
    for exercise in ex.exercises():
        assert f"### {exercise.id} · {exercise.title} ({exercise.kind})" in text
        assert exercise.task.strip() in text and exercise.solution in text      # the full task, options included
        if exercise.kind == "predict":
            assert (f"Expected outcome of the experiment (the check runs it only once a prediction is given): "
                    f"**{exercise.correct}**: {exercise.reasons[exercise.correct]}") in text
        for mistake in exercise.mistakes:
            assert f"- {mistake.label}: “{mistake.says}”" in text
    only = key.answer_key(["3"])
    assert "### 03.1" in only and "### 02.1" not in only
    key.main(["09"])
    assert capsys.readouterr().out.startswith("# Answer key")
    with pytest.raises(SystemExit):
        key.main(["42"])


# ---------------------------------------------------------------- the notebooks' exercise cells
def tiny(prose_in_heading: bool):
    nb = nbformat.v4.new_notebook()
    heading = ("Some prose.\n\n" if prose_in_heading else "") + "## Exercises\n\nold text"
    nb.cells = [nbformat.v4.new_markdown_cell("# 00 · Tiny"), nbformat.v4.new_markdown_cell(heading),
                nbformat.v4.new_code_cell("old = ...", metadata={"tags": ["exercise"]}, execution_count=3,
                                          outputs=[nbformat.v4.new_output("stream", name="stdout", text="x\n")]),
                nbformat.v4.new_markdown_cell("## Summary")]
    return nb


def test_sync_writes_the_banks_section_and_keeps_prose_ids_and_unchanged_outputs():
    nb = tiny(prose_in_heading=True)
    prose_id = nb.cells[1]["id"]
    assert cells.sync_notebook(nb, "00")
    assert nb.cells[1]["id"] == prose_id and nb.cells[1].source == "Some prose."
    assert cells.out_of_sync(nb, "00") == []
    sources = [c.source for c in nb.cells]
    assert 'check("00.1", class_weights)' in sources and "old = ..." not in sources
    assert nb.cells[-1].source == "## Summary" and len({c["id"] for c in nb.cells}) == len(nb.cells)
    find = lambda source: next(c for c in nb.cells if c.source == source)
    check_cell = find('check("00.1", class_weights)')
    check_cell.outputs, check_cell.execution_count = [nbformat.v4.new_output("stream", name="stdout", text="y\n")], 7
    ids = [c["id"] for c in nb.cells]
    assert not cells.sync_notebook(nb, "00")                      # nothing to do: ids and outputs stay
    assert [c["id"] for c in nb.cells] == ids and find('check("00.1", class_weights)').execution_count == 7
    find('check("00.1", class_weights)').source = 'check("00.1", something_else)'
    assert cells.out_of_sync(nb, "00") and cells.sync_notebook(nb, "00")
    rewritten = find('check("00.1", class_weights)')
    assert rewritten["id"] == check_cell["id"] and rewritten.outputs == [] and rewritten.execution_count is None
    rewritten.metadata["nbval_tolerance"] = {"atol": 0.3}                # others' metadata survives a sync
    rewritten.metadata["tags"].append("nbval-ignore-output")
    assert not cells.out_of_sync(nb, "00")
    cells.sync_notebook(nb, "00")
    kept = find('check("00.1", class_weights)').metadata
    assert kept["nbval_tolerance"] == {"atol": 0.3} and kept["tags"] == ["exercise", "nbval-ignore-output"]
    nbformat.validate(nb)


def test_the_section_cells_follow_the_documented_conventions():
    section = cells.section_cells("03")
    assert section[0].source.startswith("## Exercises") and section[1].source == cells.IMPORT
    for exercise, (task, answer, checker) in zip(ex.exercises("03"), zip(*[iter(section[2:])] * 3)):
        assert task.cell_type == "markdown" and task.source.startswith(f"**Exercise {exercise.id}** · *")
        assert answer.metadata == {"exercise_id": exercise.id, "tags": ["answer"]}
        assert answer.source == exercise.answer_cell
        assert checker.metadata == {"exercise_id": exercise.id, "tags": ["exercise"]}
        assert checker.source == f'check("{exercise.id}", {exercise.answer_name})'
    with pytest.raises(ValueError, match="not a numbered notebook"):
        cells.notebook_number("notes.ipynb")
