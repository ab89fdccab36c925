"""The visible checks students run: a tick when right, else what differs and the likely why."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.selfcheck import CheckFailed, expect, off_by_one


def _failure(got, expected) -> str:
    with pytest.raises(CheckFailed) as caught:
        expect(got, expected, "the case")
    return str(caught.value)


def test_a_right_answer_prints_a_tick(capsys):
    expect(np.array([[1.0, 2.0]]), [[1, 2]], "two values")
    expect(3, 3.0000001, "close enough")
    assert capsys.readouterr().out == "✓ two values\n✓ close enough\n"


@pytest.mark.parametrize("got, expected, why", [
    (None, 3, "the function returned None: did you forget `return`?"),
    (np.zeros((2, 3)), np.zeros((3, 2)), "shape (2, 3) but (3, 2) was expected"),
    (np.array([1.0, 2.0, 5.0]), [1, 2, 3], "1 of 3 values differ, first at index (2,): "
                                           "5 instead of 3"),
    (4, 3, "the value differs"),
    ("three", 3, "could not read the result as numbers (it is a str)"),
])
def test_a_wrong_answer_says_what_differs(got, expected, why):
    message = _failure(got, expected)
    assert message.startswith("✗ the case\n  expected: ")
    assert message.endswith(why)


def test_jupyter_shows_the_message_not_the_checking_code():
    with pytest.raises(AssertionError) as caught:  # still an AssertionError for nbgrader
        expect(None, 3, "n=5, k=3")
    shown = caught.value._render_traceback_()
    assert "CheckFailed" in shown[0] and "✗ n=5, k=3" in shown[0]
    assert shown[-1].strip() == "the function returned None: did you forget `return`?"
    assert not any("selfcheck" in line for line in shown)


@pytest.mark.parametrize("got, expected, slip", [
    ((6, 7), (6, 6), "one too many in position 1"),
    (np.zeros((1, 2, 5, 5)), np.zeros((1, 2, 6, 6)),
     "one too few in position 2, one too few in position 3"),
])
def test_an_output_size_off_by_one_is_named(got, expected, slip):
    message = _failure(got, expected)
    assert f"Off by one: {slip}: an off-by-one in counting window positions" in message


@pytest.mark.parametrize("got, expected", [((6, 8), (6, 6)), ((0.5, 6), (1, 6)),
                                           ((6, 6, 1), (6, 6)), ((6, 6), (6, 6)),
                                           ((2, 3), (3, 2))])
def test_only_a_slip_of_exactly_one_whole_position_is_named_off_by_one(got, expected):
    assert off_by_one(got, expected) == ""


def test_the_hidden_check_names_the_same_slip_in_the_same_words():
    from autograder.checks import Check, judge  # the grader's side of the one wording

    def reference(n):
        return np.zeros((n, n))

    check = Check("t.size", "layer", lambda rng: [(4,)], reference)
    verdict = judge(check, [(4,)], [np.zeros((4, 5))])
    assert not verdict.passed and verdict.failure == "output size off by one"
    assert f"Off by one: {off_by_one((4, 5), (4, 4))}." in verdict.message
