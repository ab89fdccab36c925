"""The hidden checks: the reference passes, each named mistake is recognised, lies are refused."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import CHECKS, cases_for, check, judge, run_cases, to_plain
from autograder.checks.core import NotPlain

MISTAKES = [(c.id, m) for c in CHECKS.values() for m in c.mistakes]


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_reference_answer_passes(check_id):
    cases = cases_for(check_id)
    verdict = judge(CHECKS[check_id], cases, run_cases(CHECKS[check_id].reference, cases))
    assert verdict.passed, verdict.message
    assert check(check_id, CHECKS[check_id].reference) is None


@pytest.mark.parametrize("check_id, mistake", MISTAKES,
                         ids=[f"{c}:{m.name}" for c, m in MISTAKES])
def test_each_mistake_is_caught_and_named(check_id, mistake):
    with pytest.raises(AssertionError, match=f"Likely mistake: {mistake.name}"):
        check(check_id, mistake.answer)


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_cases_are_deterministic_and_varied(check_id):
    first, second = cases_for(check_id), cases_for(check_id)
    assert len(first) >= 30
    assert repr(first) == repr(second)
    assert len({repr(c) for c in first}) > len(first) // 2


def test_errors_and_non_plain_returns_are_reported_not_crashing():
    def boom(*args):
        raise IndexError("index 5 is out of bounds")

    with pytest.raises(AssertionError, match=r"raised IndexError: index 5 is out of bounds"):
        check("ch01.im2col", boom)
    with pytest.raises(AssertionError, match="returned None, expected a numpy array"):
        check("ch01.im2col", lambda *args: None)


class Liar(np.ndarray):
    """An array that claims to equal everything."""

    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True


class LyingInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("value", [np.zeros(3).view(Liar), LyingInt(3), "7", None, object(),
                                   np.array(["a"]), [np.zeros(2).view(Liar)],
                                   np.ma.masked_array([1.0])])
def test_to_plain_refuses_anything_but_plain_numbers_and_arrays(value):
    with pytest.raises(NotPlain):
        to_plain(value)


def test_to_plain_copies_and_accepts_plain_values():
    a = np.arange(3.0)
    plain = to_plain(a)
    a[0] = 99
    assert plain[0] == 0 and type(plain) is np.ndarray
    assert to_plain((3, 4.5)).tolist() == [3.0, 4.5]
    assert to_plain(np.int64(7)) == 7


def test_student_cannot_mutate_the_cases_to_change_the_reference():
    def vandal(x, kh, kw, *rest):
        x[...] = 0
        return np.zeros((kh * kw, (x.shape[0] - kh + 1) * (x.shape[1] - kw + 1)))

    cases = cases_for("ch01.im2col")
    verdict = judge(CHECKS["ch01.im2col"], cases, run_cases(vandal, cases))
    assert not verdict.passed
