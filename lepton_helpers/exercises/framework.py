"""The machinery of the exercise bank: kinds of exercise, the verdict and its status line, feedback.

An exercise lives in the package, keyed by an id ``"NN.K"`` (notebook NN, exercise K); the
notebook holds only the task, an answer cell with the learner's code and a check cell
``check("NN.K", answer)``. Each exercise carries its reference (or checker), hints in tiers (a
nudge, then the method, never the answer), the known mistakes with the message each one gets, and
a reference solution as source text (what :func:`~lepton_helpers.exercises.solution` prints and what
the tests run through the check).

Kinds: :class:`Implement` (a function, run on fresh random inputs against a reference),
:class:`Choice` (``interpret``: choose among stated options; ``predict``: predict, then the check
runs a small experiment and compares; without a prediction it runs nothing), :class:`Compute` (a
number, compared in the quantity asked for with a stated tolerance) and :class:`Design` (an
experiment the learner designs; the check judges the design, then runs it).

An exception in an implement answer is explained when it is a common error (:func:`explain_error`:
shapes that do not broadcast, ``math.*`` on a tensor); a dict answer's feedback follows the task's
key order.

Grading never raises for a learner's answer: an exception in their code becomes a "not yet"
with the input that triggered it. The first line of every verdict follows one fixed,
machine-readable format (:data:`STATUS_LINE`, documented in the package's ``__init__``).
"""

from __future__ import annotations

import copy
import math
import random
import re
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

CORRECT, UNANSWERED, WRONG = "correct", "unanswered", "wrong"
STATUS_TEXT = {CORRECT: "✅ correct", UNANSWERED: "⬜ not answered yet", WRONG: "❌ not yet"}
STATUS_LINE = re.compile(r"^Exercise (?P<id>\d{2}\.\d+) · (?:(?P<correct>✅ correct)|(?P<unanswered>⬜ not answered yet)"
                         r"|❌ not yet: (?P<why>.+))$")
"""The first line of every check's output (one line of text, anchored)."""
INDENT = "   "
ID = re.compile(r"^\d{2}\.\d+$")


def parse_status_line(line: str) -> tuple[str, str, str] | None:
    """``(exercise_id, status, reason)`` of a status line (status: correct / unanswered / wrong), else None."""
    match = STATUS_LINE.match(line.rstrip("\n"))
    if match is None:
        return None
    status = CORRECT if match["correct"] else UNANSWERED if match["unanswered"] else WRONG
    return match["id"], status, match["why"] or ""


@dataclass
class Verdict:
    """What a check found: ``status`` (correct / unanswered / wrong), a one-line ``reason`` when wrong,
    and ``details`` (further lines: the failing input, expected and got, the experiment's result)."""

    exercise_id: str
    status: str
    reason: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def status_line(self) -> str:
        line = f"Exercise {self.exercise_id} · {STATUS_TEXT[self.status]}"
        return f"{line}: {self.reason}" if self.status == WRONG else line

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        return "\n".join([self.status_line, *(INDENT + line for line in self.details)])


class Unanswered(Exception):
    """Raised inside grading when the answer is still the placeholder."""


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``label`` names it (answer key), ``says`` is the check's one-line reason,
    ``answer`` is the wrong answer itself, as a learner would pass it to ``check`` (a function, a
    value or an option letter); the tests feed it to the check to prove the message is reached."""

    label: str
    says: str
    answer: object


@dataclass(frozen=True)
class Exercise:
    """What every kind has. ``task`` is Markdown (the notebook's task cell is built from it);
    ``answer_cell`` is the answer cell's source with its placeholder; ``solution`` is source text
    with the same names, filled in; ``answer_name`` is what the check cell passes to ``check``."""

    id: str
    title: str
    task: str
    answer_cell: str
    answer_name: str
    solution: str
    hints: tuple[str, ...]
    mistakes: tuple[Mistake, ...] = ()
    kind = "exercise"

    def __post_init__(self):
        if not ID.match(self.id):
            raise ValueError(f"exercise ids look like '03.1', got {self.id!r}")
        if len(self.hints) < 2:
            raise ValueError(f"exercise {self.id}: give at least two hint tiers (a nudge, then the method)")

    def grade(self, answer) -> Verdict:
        try:
            if _is_placeholder(answer):
                raise Unanswered
            return self._grade(answer)
        except Unanswered:
            return self._unanswered()

    def _grade(self, answer) -> Verdict:
        raise NotImplementedError

    def _unanswered(self) -> Verdict:
        return Verdict(self.id, UNANSWERED, details=[
            f"Write your answer in the cell above (replace the placeholder), then run this cell again. "
            f'Stuck? hint("{self.id}")'])

    def wrong(self, reason: str, details: Sequence[str] = ()) -> Verdict:
        return Verdict(self.id, WRONG, reason, [*details, f'A nudge: hint("{self.id}"); call it again for the method.'])


def _is_placeholder(answer) -> bool:
    return answer is None or answer is Ellipsis


# ---------------------------------------------------------------- describing values
def describe(value, width: int = 4) -> str:
    """A short description of a value for feedback: type, shape and the first few numbers."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        head = value.flatten()[:width].tolist()
        more = ", ..." if value.numel() > width else ""
        return f"tensor of shape {tuple(value.shape)} [{', '.join(_number(v) for v in head)}{more}]"
    if isinstance(value, np.ndarray):
        head = value.ravel()[:width].tolist()
        more = ", ..." if value.size > width else ""
        return f"array of shape {value.shape} [{', '.join(_number(v) for v in head)}{more}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {describe(v, 2)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) and len(value) <= 6 and not all(isinstance(v, _NUMBERS) for v in value):
        inner = ", ".join(describe(v, 2) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(_number(v) for v in value[:8])
        return f"[{shown}{', ...' if len(value) > 8 else ''}] ({len(value)} values)"
    if isinstance(value, (bool, int, float, np.generic)):
        return _number(value)
    if isinstance(value, torch.nn.Module):
        return f"a {type(value).__name__}" + (f" {tuple(value.sizes)}" if hasattr(value, "sizes") else "")
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


_NUMBERS = (bool, int, float, np.generic)


def _number(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return repr(v)


def _as_array(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return value.numpy() if value.dtype == torch.bool else value.double().numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"expected numbers, got {describe(value)}")
    return array if array.dtype == bool else array.astype(float)


@dataclass(frozen=True)
class Tolerance:
    """Two numbers agree when ``|got - want| <= atol + rtol * |want|`` (NumPy's ``isclose``)."""

    rtol: float = 1e-6
    atol: float = 1e-9

    def __str__(self) -> str:
        parts = [f"relative {self.rtol:g}" if self.rtol else "", f"absolute {self.atol:g}" if self.atol else ""]
        return "exact" if not any(parts) else " + ".join(p for p in parts if p)


def difference(got, want, tol: Tolerance, where: str = "") -> str | None:
    """What is wrong with ``got`` as a value for ``want`` (None when it agrees), recursing into dicts,
    tuples and lists; ``where`` names the part (``['W1']``, ``[0]``)."""
    label = f"{where}: " if where else ""
    if isinstance(want, Mapping):
        if not isinstance(got, Mapping):
            return f"{label}expected a dict with keys {list(want)}, got {describe(got)}"
        missing, extra = [k for k in want if k not in got], [k for k in got if k not in want]  # the task's order
        if missing or extra:
            return f"{label}keys differ: missing {missing}, unexpected {extra}"
        for key in want:
            if problem := difference(got[key], want[key], tol, f"{where}[{key!r}]"):
                return problem
        return None
    if isinstance(want, tuple) and not isinstance(got, (list, tuple)):
        return f"{label}expected a tuple of {len(want)} values, got {describe(got)}"
    if isinstance(want, tuple):
        if len(got) != len(want):
            return f"{label}expected {len(want)} values, got {len(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            if problem := difference(g, w, tol, f"{where}[{i}]"):
                return problem
        return None
    if got is None:
        return f"{label}got None: does your function end with `return ...`?"
    try:
        got_a, want_a = _as_array(got), _as_array(want)
    except (TypeError, ValueError):
        return f"{label}expected {describe(want)}, got {describe(got)}"
    if got_a.shape != want_a.shape:
        transposed = got_a.ndim == 2 and got_a.shape == want_a.shape[::-1]
        return (f"{label}shape {got_a.shape}, expected {want_a.shape}"
                + (" (the transpose: rows and columns swapped?)" if transposed else ""))
    if want_a.dtype == bool or got_a.dtype == bool:
        wrong = np.flatnonzero(got_a.astype(bool).ravel() != want_a.astype(bool).ravel())
        return None if not len(wrong) else f"{label}{len(wrong)} of {want_a.size} entries differ (e.g. at flat index {wrong[:5].tolist()})"
    if np.allclose(got_a, want_a, rtol=tol.rtol, atol=tol.atol, equal_nan=True):
        return None
    if (np.isnan(got_a) != np.isnan(want_a)).any():
        return f"{label}NaN where a number is expected (or the other way round)"
    worst = float(np.nanmax(np.abs(got_a - want_a)))
    return f"{label}values differ by up to {worst:.3g} (tolerance: {tol})"


def same(a, b, tol: Tolerance) -> bool:
    try:
        return difference(a, b, tol) is None
    except Exception:  # noqa: BLE001 (a malformed value is simply not the same)
        return False


def _copy(args: tuple) -> tuple:
    """A deep copy of the arguments (the learner's code may change its inputs in place); one memo, so
    a module passed next to the model that contains it stays a part of that model's copy."""
    memo = {}
    return tuple(a.detach().clone() if isinstance(a, torch.Tensor) else copy.deepcopy(a, memo) for a in args)


def _changed(before: tuple, after: tuple) -> int | None:
    """The position of the first tensor argument that changed in place, else None."""
    for i, (a, b) in enumerate(zip(before, after)):
        if not isinstance(a, torch.Tensor):
            continue
        if a.shape != b.shape or a.dtype != b.dtype:
            return i
        a, b = a.detach(), b.detach()
        unchanged = (a == b) | (a.isnan() & b.isnan()) if a.is_floating_point() else a == b  # NaN stays NaN
        if not bool(unchanged.all()):
            return i
    return None


def fresh_generator(seed: int | None = None) -> torch.Generator:
    """A generator for a check's inputs: a fresh random seed each call (the same seed in tests).

    Never touches the global generators (the learner's random stream stays where it was)."""
    return torch.Generator().manual_seed(random.SystemRandom().randrange(2**31) if seed is None else seed)


# ---------------------------------------------------------------- implement
@dataclass(frozen=True)
class Implement(Exercise):
    """A function, run on fresh random inputs and compared with a reference.

    ``cases(generator)`` draws the inputs, a list of argument tuples; ``reference(*args)`` gives
    the expected result; ``call(answer, *args)`` runs the learner's answer (default ``answer(*args)``),
    so an exercise can check a step function by the path it produces. ``arg_names`` name the
    arguments in feedback. ``inspect_result(args, got)`` may add a problem the values do not show
    (a graph left attached, a hook left registered). ``explain(args, got, want)`` may add lines
    (for example the answer's consequence in the quantity asked for). ``confirm(answer, cases)``
    may add lines to a correct verdict (a second, independent check such as finite differences).
    """

    reference: Callable = None
    cases: Callable[[torch.Generator], list[tuple]] = None
    arg_names: tuple[str, ...] = ()
    tolerance: Tolerance = Tolerance()
    against: str = "the reference"
    call: Callable | None = None
    inspect_result: Callable | None = None
    explain: Callable | None = None
    confirm: Callable | None = None
    kind = "implement"

    def run(self, answer, args):
        return self.call(answer, *args) if self.call else answer(*args)

    def _grade(self, answer, seed: int | None = None) -> Verdict:
        if not callable(answer):
            return self.wrong(f"expected a function, got {describe(answer)}")
        cases = self.cases(fresh_generator(seed))
        for n, args in enumerate(cases):
            want = self.reference(*_copy(args))
            given = _copy(args)
            try:
                got = self.run(answer, given)
            except NotImplementedError:
                raise Unanswered from None
            except Exception as err:  # noqa: BLE001 (the learner's code: report, keep the notebook running)
                return self._raised(err, args)
            if (moved := _changed(args, given)) is not None:
                return self.wrong(f"your function changed its input `{self._name(moved)}` in place; "
                                  "compute new tensors instead (no `+=`, `-=`, `.add_()`)",
                                  [f"input: {self._describe_args(args)}"])
            problem = difference(got, want, self.tolerance)
            if problem is None and self.inspect_result:
                problem = self.inspect_result(args, got)
            if problem is not None:
                return self._failure(answer, cases[: n + 1], args, got, want, problem)
        return Verdict(self.id, CORRECT, details=[
            f"checked on {len(cases)} fresh random inputs against {self.against} (tolerance: {self.tolerance})",
            *(self.confirm(answer, cases) if self.confirm else [])])

    def _raised(self, err: Exception, args) -> Verdict:
        """A "not yet" for an exception in the learner's code: what it means when it is a common error."""
        advice = explain_error(err)
        if advice is None:
            return self.wrong(f"your function raised {type(err).__name__}: {_one_line(err)}",
                              [f"input: {self._describe_args(args)}"])
        return self.wrong(f"your function raised {type(err).__name__}: {advice}",
                          [f"the error: {_one_line(err)}", f"input: {self._describe_args(args)}"])

    def _failure(self, answer, tried, args, got, want, problem) -> Verdict:
        """The explain lines first (for a dict: which entries are right), then input, expected and got
        (for a dict: only the first entry that differs, in the task's key order)."""
        shown_want, shown_got, part = _first_difference(got, want, self.tolerance)
        details = [*(self.explain(args, got, want) if self.explain else []), f"input: {self._describe_args(args)}",
                   f"expected{part}: {describe(shown_want)}", f"got{part}:{' ' * 6}{describe(shown_got)}"]
        for mistake in self.mistakes:
            if self._matches(mistake.answer, got, tried):
                return self.wrong(mistake.says, [*details, f"({problem})"])
        return self.wrong(problem, details)

    def _matches(self, wrong_answer, got, tried) -> bool:
        """Does the learner's answer behave like ``wrong_answer`` on every input tried so far?"""
        try:
            wrong_last = self.run(wrong_answer, _copy(tried[-1]))
            if not same(got, wrong_last, self.tolerance):
                return False
            # on the earlier inputs the learner's answer was right, so the mistake must be right there too
            return all(same(self.run(wrong_answer, _copy(a)), self.reference(*_copy(a)), self.tolerance)
                       for a in tried[:-1])
        except Exception:  # noqa: BLE001 (a mistake that cannot run on these inputs does not match)
            return False

    def _describe_args(self, args) -> str:
        return ", ".join(f"{self._name(i)} = {describe(a)}" for i, a in enumerate(args))

    def _name(self, i: int) -> str:
        return self.arg_names[i] if i < len(self.arg_names) else f"argument {i + 1}"


def _one_line(err: Exception) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _first_difference(got, want, tol: Tolerance) -> tuple[object, object, str]:
    """``(want part, got part, label)``: for two dicts the first key, in ``want``'s order, whose value
    differs (label ``" ['W1']"``); otherwise the whole values (label ``""``)."""
    if isinstance(want, Mapping) and isinstance(got, Mapping):
        for key in want:
            if key in got and not same(got[key], want[key], tol):
                return want[key], got[key], f" [{key!r}]"
    return want, got, ""


# ---------------------------------------------------------------- common errors, explained
_BROADCAST = re.compile(r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton "
                        r"dimension (\d+)|could not be broadcast together with shapes (.+)")
_MATMUL = re.compile(r"shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")
_ONE_NUMBER = ("only one element tensors can be converted", "only 0-dimensional arrays can be converted",
               "only length-1 arrays can be converted", "must be real number, not Tensor")
_MATH_CALL = re.compile(r"\bmath\.(\w+)\s*\(")


def explain_error(err: Exception) -> str | None:
    """What a common error in a learner's code means and how to fix it (None for other errors):
    shapes that do not broadcast, a matrix product of mismatched shapes, ``math.*`` on a tensor."""
    message = str(err)
    if match := _BROADCAST.search(message):
        sizes = (f"sizes {match[1]} and {match[2]} meet at dimension {match[3]}" if match[1]
                 else f"shapes {match[4].strip()}")
        return (f"the shapes do not broadcast ({sizes}). Shapes are lined up from the right, so a vector with one "
                "number per row (shape (n,)) meets a matrix's columns, not its rows: give it a column axis, "
                "e.g. `k[:, None] * W` scales row i of W by k[i]")
    if match := _MATMUL.search(message):
        return (f"a matrix product whose inner sizes differ ({match[1]}x{match[2]} times {match[3]}x{match[4]}: "
                f"{match[2]} ≠ {match[3]}). Check each factor's shape; is a transpose `.T` missing or extra?")
    if any(text in message for text in _ONE_NUMBER):
        function = _math_function(err)
        if function and (torch_name := _torch_name(function)):
            return f"math.{function} works on one number, not on a tensor: use {torch_name}, which works elementwise"
        return ("a tensor of several numbers was used where Python expects one number (math.*, float(), or an "
                "`if` on a tensor): use torch's elementwise functions (torch.exp, torch.log, torch.where)")
    return None


def _math_function(err: Exception) -> str | None:
    """The ``math`` function that the failing line of the learner's code calls, if the source is available."""
    found = None
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.line and (match := _MATH_CALL.search(frame.line)):
            found = match[1]
    return found


def _torch_name(function: str) -> str | None:
    """``torch.exp`` for ``math.exp`` (``torch.abs`` for ``math.fabs``); None when torch has no such function."""
    name = {"fabs": "abs", "fsum": "sum"}.get(function, function)
    return f"torch.{name}" if hasattr(torch, name) else None


# ---------------------------------------------------------------- choices: interpret, predict
@dataclass(frozen=True)
class Choice(Exercise):
    """Choose among stated options (``options``: letter -> statement); ``reasons`` say why each
    option is right or wrong, and ``correct`` holds the right letters. For ``kind="predict"``,
    ``experiment()`` runs once a prediction is given (never without one, so a saved notebook shows
    no result before the learner predicts), ``report(result)`` gives the lines that
    show its result, and ``outcome(result)`` the letters the run supports: the check compares the
    prediction with what actually happened, and ``correct`` is the outcome the course expects (the
    tests check that a run gives it)."""

    options: Mapping[str, str] = None
    reasons: Mapping[str, str] = None
    correct: str = ""
    experiment: Callable | None = None
    report: Callable | None = None
    outcome: Callable | None = None
    kind: str = "interpret"

    def __post_init__(self):
        super().__post_init__()
        if set(self.reasons) != set(self.options):
            raise ValueError(f"exercise {self.id}: give a reason for every option")
        if self.kind not in ("interpret", "predict") or (self.kind == "predict") != (self.experiment is not None):
            raise ValueError(f"exercise {self.id}: kind 'predict' needs an experiment, 'interpret' none")
        if not self.correct or not set(self.correct) <= set(self.options):
            raise ValueError(f"exercise {self.id}: `correct` must name options, got {self.correct!r}")
        object.__setattr__(self, "mistakes", tuple(
            Mistake(f'answers "{letter}"', self.reasons[letter], letter) for letter in self.options
            if letter not in self.correct))

    def grade(self, answer) -> Verdict:
        """An unanswered or malformed answer runs nothing; a prediction runs the experiment, then compares."""
        if _is_placeholder(answer):
            return Verdict(self.id, UNANSWERED, details=[self._how_to_answer()])
        chosen = self._letters_of(answer)
        if chosen is None:
            return self.wrong(f"answer with the letter of an option ({self._letters()}), e.g. \"{min(self.options)}\"; "
                              f"got {describe(answer)}")
        result = self.experiment() if self.experiment else None
        shown = self.report(result) if self.report else []
        right = set(self.outcome(result) if self.outcome else self.correct)
        if chosen == right:
            return Verdict(self.id, CORRECT, details=[*shown, *(self.reasons[c] for c in sorted(chosen))])
        if wrong := sorted(chosen - right):
            return self.wrong(self.reasons[wrong[0]], shown)
        return self.wrong("right as far as it goes, but another option is true as well", shown)

    def _how_to_answer(self) -> str:
        if self.kind == "predict":
            return (f"No prediction yet, so nothing ran. Set `{self.answer_name}` to one of {self._letters()} in the "
                    "cell above (your prediction, before you see any result), then run this cell again: the check "
                    "then runs the experiment and compares its result with your prediction.")
        return f"Set `{self.answer_name}` to one of {self._letters()} in the cell above, then run this cell again."

    def _letters(self) -> str:
        return ", ".join(f'"{k}"' for k in sorted(self.options))

    def _letters_of(self, answer) -> set[str] | None:
        if not isinstance(answer, str):
            return None
        letters = {c for c in answer.upper() if c.isalpha()}
        return letters if letters and letters <= set(self.options) else None


# ---------------------------------------------------------------- a number
@dataclass(frozen=True)
class Compute(Exercise):
    """A number, compared in the quantity asked for (``quantity``, ``unit``) within ``tolerance``
    (absolute, in that unit). ``value()`` computes the expected number; each mistake's answer is the
    wrong number it stands for (matched within the same tolerance)."""

    value: Callable[[], float] = None
    quantity: str = "the value"
    unit: str = ""
    tolerance: float = 0.0
    kind = "compute"

    def _grade(self, answer) -> Verdict:
        unit = f" {self.unit}" if self.unit else ""
        if isinstance(answer, torch.Tensor) and answer.numel() == 1:
            answer = answer.item()
        if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)):
            return self.wrong(f"expected {self.quantity} as a number, got {describe(answer)}")
        got, want = float(answer), float(self.value())
        if math.isfinite(got) and abs(got - want) <= self.tolerance:
            return Verdict(self.id, CORRECT, details=[f"{self.quantity}: {got:.4g}{unit} (checked to ±{self.tolerance:g}{unit})"])
        for mistake in self.mistakes:
            if abs(got - mistake.answer) <= self.tolerance:
                return self.wrong(mistake.says, [f"your answer: {got:.4g}{unit}"])
        side = "too large" if got > want else "too small" if got < want else "not a number"
        return self.wrong(f"{self.quantity} {got:.4g}{unit} is {side} (tolerance ±{self.tolerance:g}{unit})")


# ---------------------------------------------------------------- an experiment the learner designs
@dataclass(frozen=True)
class Design(Exercise):
    """An experiment the learner designs as a dict of ``fields``. ``validate(design)`` returns the
    first problem (a mistake's ``says``) or None; a valid design is run by ``run(design)``, which
    returns the lines that report its result. Each mistake's answer is a design with that flaw."""

    fields: tuple[str, ...] = ()
    validate: Callable | None = None
    run: Callable | None = None
    kind = "design"

    def _grade(self, answer) -> Verdict:
        if not isinstance(answer, Mapping):
            return self.wrong(f"expected a dict with the keys {list(self.fields)}, got {describe(answer)}")
        if all(_is_placeholder(answer.get(f)) for f in self.fields):
            raise Unanswered
        if missing := [f for f in self.fields if _is_placeholder(answer.get(f))]:
            return self.wrong(f"fill in {', '.join(repr(f) for f in missing)}")
        if problem := self.validate(answer):
            return self.wrong(problem)
        return Verdict(self.id, CORRECT, details=["a valid design; it ran:", *self.run(answer)])

