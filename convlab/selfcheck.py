"""Visible self-checks for the exercises: say what was expected, what came back, and why.

The expected values live in the notebook cell as literals a student can verify
by hand; this module only compares and explains, so it holds no answer. A released
chapter's ``convlab`` also holds ``likely_mistakes.json``, written by the release from the
hidden checks' catalogue of named mistakes (autograder/course/visible_mistakes.py): the
wrong answer each named mistake gives in each visible check. A failed check whose answer is
one of them names the mistake, in the hidden check's words.

    >>> expect(output_size(5, 3), 3, "n=5, k=3: windows start at 0, 1, 2")
    ✓ n=5, k=3: windows start at 0, 1, 2
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

LIKELY_MISTAKES = Path(__file__).with_name("likely_mistakes.json")


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
                          f"{_show(got)}\n  {problem}{_likely(got, why, atol)}")
    print(f"✓ {why}")


def agrees(got, expected, atol: float = 1e-6) -> bool:
    """Whether :func:`expect` would tick ``got`` against ``expected``."""
    return not _difference(got, expected, atol)


def _likely(got, why: str, atol: float) -> str:
    """"Likely mistake: ..." when ``got`` is the answer a named mistake gives to this check."""
    for name, advice, wrong in _catalogue().get(why, ()):
        if agrees(got, wrong, atol):
            return f"\n  Likely mistake: {name} — {advice}"
    return ""


@functools.cache
def _catalogue() -> dict:
    """The release's table of named wrong answers, by check; empty outside a release."""
    try:
        return json.loads(LIKELY_MISTAKES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _difference(got, expected, atol: float) -> str:
    """Empty when equal; otherwise one sentence on how ``got`` differs."""
    if got is None:
        return "the function returned None: did you forget `return`?"
    try:
        got_a, expected_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return f"could not read the result as numbers (it is a {type(got).__name__})"
    if got_a.shape != expected_a.shape:
        return f"shape {got_a.shape} but {expected_a.shape} was expected" + _slip(
            off_by_one(got_a.shape, expected_a.shape))
    wrong = ~np.isclose(got_a, expected_a, atol=atol, rtol=0)
    if not wrong.any():
        return ""
    if got_a.ndim == 1 and (slip := off_by_one(got_a, expected_a)):
        return f"{int(wrong.sum())} of {wrong.size} sizes differ" + _slip(slip)
    if got_a.ndim == 0:
        return "the value differs"
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    return (f"{int(wrong.sum())} of {wrong.size} values differ, first at index {first}: "
            f"{got_a[first]:g} instead of {expected_a[first]:g}")


def off_by_one(got, expected) -> str:
    """Where two shapes (or tuples of sizes) differ by exactly one, say so, else ``""``.

    The hidden checks use this too (autograder/checks/core.py), so a student sees the same
    words for the classic slip, one window position too many or too few, in either check.
    """
    try:
        got_t, expected_t = tuple(int(g) for g in got), tuple(int(e) for e in expected)
    except (TypeError, ValueError, OverflowError):
        return ""
    if len(got_t) != len(expected_t) or sorted(got_t) == sorted(expected_t) or any(
            abs(g - e) > 1 for g, e in zip(got_t, expected_t)) or any(
            float(g) != int(g) for g in np.asarray(got, dtype=float).ravel()):
        return ""
    axes = [f"{'one too many' if g > e else 'one too few'} in position {i}"
            for i, (g, e) in enumerate(zip(got_t, expected_t)) if g != e]
    return (", ".join(axes) + ": an off-by-one in counting window positions (does the count "
            "include the window at the start, and does padding count on both sides?)")


def _slip(words: str) -> str:
    return f". Off by one: {words}" if words else ""


def _show(value) -> str:
    text = np.array2string(np.asarray(value), separator=", ") if isinstance(
        value, (np.ndarray, list)) else repr(value)
    return text.replace("\n", "\n            ")
