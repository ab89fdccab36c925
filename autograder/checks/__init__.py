"""Instructor-side hidden checks of every graded exercise (never shipped to students).

A notebook's hidden test cell says ``check("ch01.im2col", im2col)``. Run plainly
(nbgrader autograde on the instructor's machine) it judges in-process and
raises ``AssertionError`` with the diagnosis. The sandboxed grader instead
records the student's outputs as plain arrays and judges them outside the
student's kernel with the same :class:`Check`.

``answers.py`` (calling the student's function, its answers made plain or typed as
failures) is the one module that also runs in the student's kernel: it imports numpy and
the standard library only. ``core.py`` judges; the ``chNN_*.py`` modules are the
catalogue. The package imports nothing else of the grader.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil

import numpy as np

from .core import Check, Verdict, judge, run_cases, to_plain


def _collect() -> dict[str, Check]:
    """Every ``CHECKS`` list of the chapter modules ``chNN_<chapter>.py`` in this package."""
    found: dict[str, Check] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name[:2] == "ch"):
        for item in importlib.import_module(f"{__name__}.{module}").CHECKS:
            if item.id in found:
                raise ValueError(f"check id {item.id!r} is defined twice")
            found[item.id] = item
    return found


CHECKS: dict[str, Check] = _collect()

# In-process checks (the source notebooks, nbgrader's own autograde) draw from this seed;
# the sandboxed grader draws each student's cases from a seed of their own (course_secret).
SEED = 20261125


def cases_for(check_id: str, seed: int = SEED) -> list[tuple]:
    """The random argument tuples of one check (deterministic for a given seed)."""
    return CHECKS[check_id].cases(np.random.default_rng([seed, hash_id(check_id)]))


def hash_id(check_id: str) -> int:
    """A stable (not salted, unlike ``hash``) integer for a check id: the SHA-256 digest of
    the whole id, so no two checks share a random stream (numpy's SeedSequence takes the
    256-bit integer whole). Keeping only a prefix of the id gave ch07.grad_weight and
    ch07.grad_input one stream."""
    return int.from_bytes(hashlib.sha256(check_id.encode()).digest(), "little")


def check(check_id: str, fn) -> None:
    """Judge ``fn`` in this process; raise ``AssertionError`` with the diagnosis if wrong.

    Returns nothing, so that a passing hidden check leaves no output in the notebook.
    """
    if check_id not in CHECKS:
        raise KeyError(f"unknown check {check_id!r}; known: {sorted(CHECKS)}")
    cases = cases_for(check_id)
    verdict = judge(CHECKS[check_id], cases, run_cases(fn, cases))
    if not verdict.passed:
        raise AssertionError(verdict.message)


__all__ = ["CHECKS", "Check", "Verdict", "cases_for", "check", "judge", "run_cases", "to_plain"]
