"""The hidden check of an exercise: random cases, the trusted answer, and named mistakes.

A :class:`Check` knows how to draw argument tuples, what the right answer is
(from ``solutions``), and which wrong answers students commonly give, each
as a function with a name and an explanation. :func:`judge` compares plain
arrays only, so the verdict never depends on objects the student's code built:
student outputs go through :func:`to_plain` (or arrive already plain from a
sandboxed kernel through ``np.load(..., allow_pickle=False)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from convlab.selfcheck import off_by_one

from .answers import NOT_ANSWERED, Failure, NotPlain, call_numpy_only, run_cases, to_plain

__all__ = ["Check", "Failure", "Mistake", "NotPlain", "Verdict", "call_numpy_only", "judge",
           "run_cases", "same", "to_plain"]

# Outputs are compared with this tolerance: students may sum in any order.
RTOL, ATOL = 1e-6, 1e-8


@dataclass(frozen=True)
class Mistake:
    """A wrong answer worth naming: how it is computed and what to tell the student."""

    name: str
    answer: Callable[..., object]
    advice: str


@dataclass(frozen=True)
class Check:
    """The hidden, randomized check of one exercise."""

    id: str
    function: str  # the name the student's function has in the notebook
    cases: Callable[[np.random.Generator], list[tuple]]
    reference: Callable[..., object]
    mistakes: Sequence[Mistake] = field(default_factory=tuple)
    # The tolerance of :func:`same` for this check's float answers. The default suits sums
    # in any order; an exercise whose answer is one closed-form number may ask for more, so
    # that a numerical search that only gets near it is told apart (ch07.richardson_step).
    rtol: float = RTOL
    atol: float = ATOL

    def expected(self, args: tuple) -> np.ndarray:
        return to_plain(self.reference(*args))


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    # the name of the Mistake that explains every wrong answer, when one does; otherwise
    # the kind of failure ("raises IndexError", "wrong shape"). The class report counts
    # these, so it never has to parse the message, which is written for the student.
    mistake: str | None = None
    failure: str = ""


def same(got: np.ndarray, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Equal shapes and values within tolerance (integers must match exactly)."""
    if got.shape != expected.shape:
        return False
    if expected.dtype.kind in "biu":
        return bool(np.array_equal(got, expected))
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def describe(args: tuple) -> str:
    """Arguments as a student can read them: arrays by shape, small values in full."""
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(f"<array of shape {a.shape}>" if a.size > 9 else np.array2string(
                a, separator=", ").replace("\n", ""))
        else:
            parts.append(repr(a))
    return ", ".join(parts)


def judge(check: Check, cases: list[tuple], outputs: list) -> Verdict:
    """Compare outputs (plain arrays, or text saying what went wrong) with the reference."""
    wrong = []
    for args, got in zip(cases, outputs):
        if isinstance(got, Failure):  # no usable array: raised, refused, not answered
            wrong.append((args, got))
        elif not same(got, check.expected(args), check.rtol, check.atol):
            wrong.append((args, got))
    if not wrong:
        return Verdict(True, f"{check.function}: correct on all {len(cases)} random cases")
    return _explain(check, cases, outputs, wrong)


def _explain(check: Check, cases, outputs, wrong) -> Verdict:
    args, got = wrong[0]
    head = f"{check.function}: wrong on {len(wrong)} of {len(cases)} random cases."
    call = f"{check.function}({describe(args)})"
    if isinstance(got, Failure):
        if all(isinstance(g, Failure) and g.kind == NOT_ANSWERED for _, g in wrong):
            return Verdict(False, f"{check.function}: not answered yet (it still raises "
                                  "NotImplementedError, as given)", failure=NOT_ANSWERED)
        if got.kind.startswith(("uses ", "calls ")):  # its values may be right: the means not
            head = f"{check.function}: not accepted on {len(wrong)} of {len(cases)} random cases."
        return Verdict(False, f"{head} For example {call} {got.detail}", failure=got.kind)
    expected = check.expected(args)
    shape = got.shape != expected.shape
    detail = (f"expected shape {expected.shape}, got shape {got.shape}" if shape else
              f"expected {_short(expected)}, got {_short(got)}")
    if not shape and expected.dtype.kind == "f" and expected.size <= 6 \
            and _short(expected) == _short(got):
        # printed alike, but not within tolerance: say so rather than print more digits
        # (the full value of one case would let an answer be calibrated on the feedback)
        detail += f" (alike to the digits shown, not within a relative {check.rtol:.0e})"
    for mistake in check.mistakes:
        answered = [(a, o) for a, o in zip(cases, outputs) if not isinstance(o, Failure)]
        if _explains(mistake, answered, wrong, check):
            return Verdict(False, f"{head} For example {call}: {detail}. Likely mistake: "
                                  f"{mistake.name} — {mistake.advice}", mistake.name)
    if shape and (slip := off_by_one(got.shape, expected.shape)):
        return Verdict(False, f"{head} For example {call}: {detail}. Off by one: {slip}.",
                       failure="output size off by one")
    return Verdict(False, f"{head} For example {call}: {detail}.",
                   failure="wrong shape" if shape else "wrong values")


def _explains(mistake: Mistake, answered, wrong, check: Check) -> bool:
    """A mistake explains the result when it reproduces every wrong answer given."""
    for args, got in answered:
        if not any(args is w for w, _ in wrong):
            continue
        try:
            predicted = to_plain(mistake.answer(*args))
        except Exception:  # the mistaken formula may not apply to this case
            return False
        if not same(got, predicted, check.rtol, check.atol):
            return False
    return True


def _short(a: np.ndarray) -> str:
    if a.size <= 6:
        return np.array2string(a, precision=4, separator=", ").replace("\n", "")
    return f"array{a.shape} starting {np.array2string(a.ravel()[:3], precision=4)}"


