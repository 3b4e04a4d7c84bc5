"""Self-checking exercises: compare a learner's answer with a reference and print a verdict.

A check never raises for a wrong or unfinished answer (the notebook keeps running); it prints
what is wrong and a hint, and returns True only for a correct answer, so a solution cell can
``assert check(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch


def _as_array(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=float)


def _verdict(name: str, ok: bool, message: str, hint: str) -> bool:
    print(f"✅ {name}: correct. {message}".rstrip() if ok else f"❌ {name}: {message}\n   Hint: {hint}")
    return ok


def _mismatch(got, want, rtol: float, atol: float) -> str | None:
    """What is wrong with ``got`` as an answer for ``want`` (None when it is right, within tolerance)."""
    try:
        got_a, want_a = _as_array(got), _as_array(want)
    except (TypeError, ValueError):
        return f"expected a number or array, got {type(got).__name__}."
    if got_a.shape != want_a.shape:
        return f"expected shape {want_a.shape}, got {got_a.shape}."
    if np.allclose(got_a, want_a, rtol=rtol, atol=atol, equal_nan=True):
        return None
    if (np.isnan(got_a) != np.isnan(want_a)).any():
        return "some values are NaN where a number is expected (or the other way round)."
    worst = float(np.nanmax(np.abs(got_a - want_a))) if got_a.size else 0.0
    return f"not the expected value (largest difference {worst:.3g})."


def check(answer, expected, *, hint: str, name: str = "Exercise", rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Is ``answer`` equal to ``expected`` (numbers, arrays or tensors, within tolerance)?"""
    if answer is None or answer is Ellipsis:
        return _verdict(name, False, "not answered yet (replace the ... with your answer).", hint)
    problem = _mismatch(answer, expected, rtol, atol)
    return _verdict(name, problem is None, problem or "", hint)


def check_function(function: Callable | None, reference: Callable, inputs: Sequence[tuple], *, hint: str,
                   name: str = "Exercise", rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Does ``function(*args)`` equal ``reference(*args)`` for every ``args`` in ``inputs``?

    The learner's function is run on the same inputs as the reference, so the check tests
    behaviour, not a memorised number; an exception in it is reported, not raised. The
    reference runs first, so a learner's function that modifies its inputs cannot change it.
    """
    if function is None or function is Ellipsis:
        return _verdict(name, False, "not answered yet (write the function).", hint)
    for args in inputs:
        want = reference(*args)
        try:
            got = function(*args)
        except Exception as err:  # the learner's code: report any failure, keep the notebook running
            return _verdict(name, False, f"calling it raised {type(err).__name__}: {err}", hint)
        if got is None or got is Ellipsis:
            return _verdict(name, False, "the function returns nothing yet.", hint)
        problem = _mismatch(got, want, rtol, atol)
        if problem is not None:
            return _verdict(name, False, f"wrong result for one of the {len(inputs)} test inputs: {problem}", hint)
    return _verdict(name, True, f"(checked on {len(inputs)} inputs)", hint)
