"""Visible self-checks for the exercises: say what was expected, what came back, and why.

The expected values live in the notebook cell as literals a student can verify
by hand; this module only compares and explains, so it holds no answer.

    >>> expect(output_size(5, 3), 3, "n=5, k=3: windows start at 0, 1, 2")
    ✓ n=5, k=3: windows start at 0, 1, 2
"""

from __future__ import annotations

import numpy as np


class CheckFailed(AssertionError):
    """A visible check that did not hold; its message says what, and the likely why.

    Jupyter (IPython) shows an exception's ``_render_traceback_`` instead of a traceback:
    the student sees the check line of their cell and the message, not this module's code.
    """

    def _render_traceback_(self) -> list[str]:
        red, plain = "\x1b[0;31m", "\x1b[0m"
        lines = str(self).splitlines() or [""]
        return [f"{red}{type(self).__name__}{plain}: {lines[0]}", *lines[1:]]


def expect(got, expected, why: str, atol: float = 1e-6) -> None:
    """Print a tick when ``got`` equals ``expected`` (within ``atol``), else raise with a diff."""
    problem = _difference(got, expected, atol)
    if problem:
        raise CheckFailed(f"✗ {why}\n  expected: {_show(expected)}\n  got:      "
                          f"{_show(got)}\n  {problem}")
    print(f"✓ {why}")


def _difference(got, expected, atol: float) -> str:
    """Empty when equal; otherwise one sentence on how ``got`` differs."""
    if got is None:
        return "the function returned None: did you forget `return`?"
    try:
        got_a, expected_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return f"could not read the result as numbers (it is a {type(got).__name__})"
    if got_a.shape != expected_a.shape:
        return f"shape {got_a.shape} but {expected_a.shape} was expected"
    wrong = ~np.isclose(got_a, expected_a, atol=atol, rtol=0)
    if not wrong.any():
        return ""
    if got_a.ndim == 0:
        return "the value differs"
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    return (f"{int(wrong.sum())} of {wrong.size} values differ, first at index {first}: "
            f"{got_a[first]:g} instead of {expected_a[first]:g}")


def _show(value) -> str:
    text = np.array2string(np.asarray(value), separator=", ") if isinstance(
        value, (np.ndarray, list)) else repr(value)
    return text.replace("\n", "\n            ")
