"""nbval's tolerant comparison bites (lepton_helpers.course.tolerances, plugged into nbval by
tests/nbval_tolerance.py): numbers may move only within the declared tolerance, the text not at all.

The comparison is checked on a real stored output of a committed notebook; an end-to-end run of
``pytest`` with the project's configuration on a tiny notebook proves it is wired into nbval.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from lepton_helpers.course.tolerances import MASK, Tolerance, ToleranceError, mask_numbers, moved_numbers

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
PERCENT = re.compile(r"(\d+)\.(\d+)%")
REASON = "a synthetic cell whose numbers the test moves"


def stored_result() -> str:
    """The first stored stdout of a committed notebook that prints a percentage with decimals."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                if output.get("name") == "stdout" and PERCENT.search(output.text):
                    return output.text
    raise AssertionError("no stored output prints a percentage: pick another real output for these tests")


def move_first_percentage(text: str, steps: int) -> tuple[str, Decimal, Decimal]:
    """``text`` with its first percentage moved by ``steps`` units of its last printed digit; also
    that unit and the stored value."""
    match = PERCENT.search(text)
    unit = Decimal(1).scaleb(-len(match[2]))
    stored = Decimal(f"{match[1]}.{match[2]}")
    moved = f"{stored + steps * unit:.{len(match[2])}f}%"
    return text[:match.start()] + moved + text[match.end():], unit, stored


def problems(stored_text: str, fresh_text: str, tolerance: Tolerance) -> list[str]:
    """What the plugin reports for one stream: a text difference, else the numbers that moved too far."""
    (stored_masked, stored), (fresh_masked, fresh) = mask_numbers(stored_text), mask_numbers(fresh_text)
    if stored_masked != fresh_masked:
        return ["text differs"]
    return moved_numbers(stored, fresh, tolerance)


def test_numbers_are_read_as_printed():
    text = "lr 1e-3, 60,000 samples, torch 2.14.1, lepton-k4 at 0xff: loss −0.25 [1. 2.] (94.6%), 2.37x, 1024x1024.\n"
    masked, numbers = mask_numbers(text)
    assert [n.printed for n in numbers] == ["1e-3", "60,000", "−0.25", "1", "2", "94.6", "2.37"]
    assert [n.value for n in numbers] == [Decimal("0.001"), 60000, Decimal("-0.25"), 1, 2, Decimal("94.6"), Decimal("2.37")]
    assert [n.percent for n in numbers] == [False] * 5 + [True, False]
    assert masked == (f"lr {MASK} , {MASK} samples, torch 2.14.1, lepton-k4 at 0xff: loss {MASK} [ {MASK} . {MASK} .] "
                      f"( {MASK} %), {MASK} x, 1024x1024.\n"), "a ratio (2.37x) is a number; a size (1024x1024) is text"
    assert mask_numbers("acc  95.40%\n")[0] == mask_numbers("acc 100.00%\n")[0], "padding is not text"


def test_real_output_moved_just_inside_passes_and_just_outside_fails():
    text = stored_result()
    inside, unit, stored = move_first_percentage(text, 2)
    outside, _, _ = move_first_percentage(text, 3)
    tolerance = Tolerance(REASON, atol=2 * unit)
    assert inside != text and problems(text, inside, tolerance) == []
    [message] = problems(text, outside, tolerance)
    assert f"where {stored} is stored" in message and f"printed {stored + 3 * unit}" in message
    assert f"allowed {2 * unit} (atol {2 * unit})" in message


def test_real_output_with_a_changed_word_fails():
    text = stored_result()
    word = re.search(r"[A-Za-z]{3,}", text)[0]
    assert problems(text, text.replace(word, word.upper(), 1), Tolerance(REASON, atol=Decimal(100))) == ["text differs"]


def test_a_lost_point_of_accuracy_fails_under_the_cap():
    loose = Tolerance(REASON, rtol=Decimal("0.02"))
    assert problems("test accuracy 94.6%\n", "test accuracy 93.0%\n", loose) == [], "rtol alone allows 1.9 points"
    [message] = problems("test accuracy 94.6%\n", "test accuracy 93.0%\n", Tolerance(REASON, rtol=Decimal("0.02"), cap=Decimal("0.5")))
    assert "printed 93.0 where 94.6 is stored: moved 1.6, allowed 0.5 (rtol 0.02, cap 0.5)" in message
    counted = Tolerance(REASON, atol=Decimal(6), cap=Decimal("0.5"))
    assert problems("98.13%, 187 of 10,000 wrong\n", "98.19%, 181 of 10,000 wrong\n", counted) == [], \
        "a count moves within atol; the cap is for percentages"
    [message] = problems("98.13%, 187 of 10,000 wrong\n", "97.53%, 190 of 10,000 wrong\n", counted)
    assert "printed 97.53 where 98.13 is stored" in message


@pytest.mark.parametrize("spec, complaint", [
    ({"atol": 0.1}, "needs a 'reason'"),
    ({"atol": -0.1, "reason": REASON}, "'atol' must be a number >= 0"),
    ({"rtol": "1%", "reason": REASON}, "'rtol' must be a number >= 0"),
    ({"reason": REASON}, "needs 'atol' or 'rtol' above 0"),
    ({"atol": 0.1, "tol": 1, "reason": REASON}, "keys among ['atol', 'cap', 'clock', 'reason', 'rtol']"),
    ({"clock": "yes", "reason": REASON}, "'clock' must be true or false"),
    ({"clock": True, "atol": 0.1, "reason": REASON}, "takes no 'atol', 'rtol' or 'cap'"),
    (0.1, "must be an object"),
])
def test_malformed_tolerance_is_refused_with_what_to_write(spec, complaint):
    with pytest.raises(ToleranceError, match=re.escape(complaint)):
        Tolerance.of({"nbval_tolerance": spec})


def test_tolerance_schema():
    assert Tolerance.of({}) is None
    tolerance = Tolerance.of({"nbval_tolerance": {"atol": 0.1, "rtol": 0.01, "cap": 0.5, "reason": REASON}})
    assert tolerance.allowed(Decimal(10)) == Decimal("0.2")
    assert tolerance.allowed(Decimal(94), percent=True) == Decimal("0.5"), "the cap bounds a percentage's move"
    assert tolerance.allowed(Decimal(94)) == Decimal("1.04"), "a number without % (a count) is not capped"


def test_a_clock_cell_compares_its_text_and_how_many_numbers_not_their_values():
    clock = Tolerance.of({"nbval_tolerance": {"clock": True, "reason": REASON}})
    stored = "one epoch of 9,000 digits in 0.38 s: 23,894 samples/s\n"
    assert problems(stored, "one epoch of 9,000 digits in 4.10 s: 2,195 samples/s\n", clock) == []
    assert problems(stored, stored.replace("epoch", "pass"), clock) == ["text differs"]
    assert problems(stored, "one epoch of 9,000 digits in 0.38 s: 23,894 samples/s 2x\n", clock) == ["text differs"]
    assert str(clock).startswith("clock")


def write_notebook(path: Path, cells: list[tuple[str, str, dict | None, list[str]]]) -> None:
    """A notebook whose code cells (source, stored stdout, tolerance, tags) ran in order."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    for count, (source, stored, tolerance, tags) in enumerate(cells, start=1):
        cell = new_code_cell(source, execution_count=count, outputs=[new_output("stream", name="stdout", text=stored)])
        cell.metadata.update({"nbval_tolerance": tolerance} if tolerance else {}, tags=tags)
        nb.cells.append(cell)
    nbformat.write(nb, path)


@pytest.mark.notebooks
def test_nbval_compares_within_tolerance_end_to_end(tmp_path):
    """``pytest`` with the project's configuration runs a notebook under nbval with the tolerances."""
    text = stored_result()
    inside, unit, _ = move_first_percentage(text, 2)
    outside, _, stored = move_first_percentage(text, 3)
    word = re.search(r"[A-Za-z]{3,}", text)[0]
    tolerance = {"atol": float(2 * unit), "reason": REASON}
    write_notebook(tmp_path / "nb.ipynb", [
        (f"print({inside!r}, end='')", text, tolerance, []),
        (f"print({outside!r}, end='')", text, tolerance, []),
        (f"print({text.replace(word, word.upper(), 1)!r}, end='')", text, tolerance, []),
        ("print('test accuracy 93.0%')", "test accuracy 94.6%\n", {"rtol": 0.02, "cap": 0.5, "reason": REASON}, []),
        ("print('no tolerance: 94.61%')", "no tolerance: 94.60%\n", None, []),
        ("print('ignored: 1.0')", "ignored: 2.0\n", None, ["nbval-ignore-output"]),
    ])
    run = subprocess.run([sys.executable, "-m", "pytest", "-c", "pyproject.toml", "--rootdir", str(tmp_path),
                          "--color=no", "-v", str(tmp_path / "nb.ipynb")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    outcomes = dict(re.findall(r"Cell (\d) (PASSED|FAILED)", run.stdout))
    assert outcomes == {"0": "PASSED", "1": "FAILED", "2": "FAILED", "3": "FAILED", "4": "FAILED", "5": "PASSED"}, run.stdout
    assert f"where {stored} is stored: moved {3 * unit}, allowed {2 * unit} (atol {2 * unit})" in run.stdout
    assert re.search(r"nb\.ipynb, Cell 1 \(id [\w-]+\): numbers outside nbval_tolerance", run.stdout)
    assert "Cell 2 (id" in run.stdout and f"the text differs (numbers masked as {MASK}" in run.stdout
    assert "printed 93.0 where 94.6 is stored: moved 1.6, allowed 0.5 (rtol 0.02, cap 0.5)" in run.stdout


def test_a_tolerance_on_an_ignored_or_malformed_cell_stops_the_run(pytester):
    write_notebook(pytester.path / "nb.ipynb", [
        ("print(1.0)", "1.0\n", {"atol": 0.1, "reason": REASON}, ["nbval-ignore-output"]),
        ("print(2.0)", "2.0\n", {"atol": "0.1", "reason": REASON}, []),
    ])
    result = pytester.runpytest("-p", "nbval_tolerance", "--nbval", "--nbval-current-env", "nb.ipynb")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.re_match_lines([r".*nb\.ipynb, Cell 0 \(id .*\): has 'nbval_tolerance' and is tagged 'nbval-ignore-output'.*",
                                  r".*nb\.ipynb, Cell 1 \(id .*\): 'atol' must be a number >= 0, got '0.1'"])
