"""Mutation tests of the hidden checks: plausible wrong answers must each lose the exercise.

A chapter's mutation test lists, per exercise, wrong functions written the way students
write them. Each must fail ``autograder.checks.check``; the ones marked ``named`` must be
diagnosed with a "Likely mistake:" line, and most of an exercise's variants must be named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from autograder.checks import check


@dataclass(frozen=True)
class Mutant:
    """One wrong answer: what it gets wrong, the function, and whether a Mistake names it."""

    what: str
    fn: Callable
    named: bool


def verdict(check_id: str, fn) -> str | None:
    """The check's complaint about ``fn``, or ``None`` if it passed."""
    try:
        check(check_id, fn)
    except AssertionError as error:
        return str(error)
    return None


def params(mutants: dict[str, list[Mutant]]):
    """pytest parameters (check id, mutant), with readable ids."""
    return [pytest.param(check_id, m, id=f"{check_id}:{m.what}")
            for check_id, ms in mutants.items() for m in ms]


def assert_caught(check_id: str, mutant: Mutant) -> None:
    message = verdict(check_id, mutant.fn)
    assert message is not None, f"{check_id}: the wrong answer '{mutant.what}' passed"
    if mutant.named:
        assert "Likely mistake:" in message, f"{mutant.what} was not named: {message}"


def tally(mutants: dict[str, list[Mutant]]) -> dict[str, tuple[int, int, int]]:
    """Per exercise: (variants, caught, named as the check reports them)."""
    result = {}
    for check_id, ms in mutants.items():
        messages = [verdict(check_id, m.fn) for m in ms]
        result[check_id] = (len(ms), sum(m is not None for m in messages),
                            sum(m is not None and "Likely mistake:" in m for m in messages))
    return result


def assert_tally(mutants: dict[str, list[Mutant]], exercises: set[str]) -> None:
    """Every exercise has >= 6 variants, all caught, and more than half named."""
    assert set(mutants) == exercises
    for check_id, (variants, caught, named) in tally(mutants).items():
        assert variants >= 6, check_id
        assert caught == variants, check_id
        assert named * 2 > variants, (check_id, named, variants)
        assert named == sum(m.named for m in mutants[check_id]), check_id
