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


def check(answer, expected, *, hint: str, name: str = "Exercise", rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Is ``answer`` equal to ``expected`` (numbers, arrays or tensors, within tolerance)?"""
    if answer is None or answer is Ellipsis:
        return _verdict(name, False, "not answered yet (replace the ... with your answer).", hint)
    try:
        got, want = _as_array(answer), _as_array(expected)
    except (TypeError, ValueError):
        return _verdict(name, False, f"expected a number or array, got {type(answer).__name__}.", hint)
    if got.shape != want.shape:
        return _verdict(name, False, f"expected shape {want.shape}, got {got.shape}.", hint)
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        worst = float(np.nanmax(np.abs(got - want))) if got.size else 0.0
        return _verdict(name, False, f"not the expected value (largest difference {worst:.3g}).", hint)
    return _verdict(name, True, "", hint)


def check_function(function: Callable | None, reference: Callable, inputs: Sequence[tuple], *, hint: str,
                   name: str = "Exercise", rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Does ``function(*args)`` equal ``reference(*args)`` for every ``args`` in ``inputs``?

    The learner's function is run on the same inputs as the reference, so the check tests
    behaviour, not a memorised number; an exception in it is reported, not raised.
    """
    if function is None or function is Ellipsis:
        return _verdict(name, False, "not answered yet (write the function).", hint)
    for args in inputs:
        try:
            got = function(*args)
        except Exception as err:  # the learner's code: report any failure, keep the notebook running
            return _verdict(name, False, f"calling it raised {type(err).__name__}: {err}", hint)
        if got is None or got is Ellipsis:
            return _verdict(name, False, "the function returns nothing yet.", hint)
        want, got_a = _as_array(reference(*args)), _as_array(got)
        if got_a.shape != want.shape or not np.allclose(got_a, want, rtol=rtol, atol=atol, equal_nan=True):
            return _verdict(name, False, f"wrong result for one of the {len(inputs)} test inputs.", hint)
    return _verdict(name, True, f"(checked on {len(inputs)} inputs)", hint)
