"""Result records: typed from the verdict to the file and back; anything else is regraded.

The class report counts named mistakes and kinds of failure from the records' fields; these
tests pin where those fields come from (the trusted judge, and the grader's own steps) and
that a result file which is not a record of this grader never reaches the report.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.checks import CHECKS, cases_for, judge, run_cases
from autograder.checks.answers import Failure
from autograder.course import results
from autograder.course.records import (
    FORMAT,
    CheckResult,
    Exercise,
    Graded,
    Notebook,
    RecordError,
    Submission,
)

CHECK = "ch01.conv2d"


def kind_of(answer) -> tuple[str | None, str]:
    cases = cases_for(CHECK)
    verdict = judge(CHECKS[CHECK], cases, run_cases(answer, cases))
    assert not verdict.passed
    return verdict.mistake, verdict.failure


def test_the_judge_names_the_kind_of_every_unnamed_failure():
    def raises(x, w, *args, **kwargs):
        return x[len(x) + 5]

    def half(x, w, *args, **kwargs):
        return CHECKS[CHECK].reference(x, w, *args, **kwargs) / 2

    assert kind_of(raises) == (None, "raises IndexError")
    assert kind_of(lambda *a, **k: None) == (None, "returns None")
    assert kind_of(lambda *a, **k: np.zeros((1, 1, 1, 1))) == (None, "wrong shape")
    assert kind_of(half) == (None, "wrong values")
    cases = cases_for(CHECK)
    verdict = judge(CHECKS[CHECK], cases, [Failure("uses scipy", "used scipy (scipy.signal."
                                                   "correlate): graded functions must use "
                                                   "numpy only")] * len(cases))
    assert verdict.failure == "uses scipy"
    assert verdict.message.startswith(f"conv2d: not accepted on {len(cases)} of {len(cases)}")
    # a named mistake is the mistake's name, with no kind beside it
    mistake = CHECKS[CHECK].mistakes[0]
    assert kind_of(mistake.answer) == (mistake.name, "")


def test_an_untouched_exercise_reads_not_answered():
    def stub(*args, **kwargs):
        raise NotImplementedError()

    cases = cases_for(CHECK)
    verdict = judge(CHECKS[CHECK], cases, run_cases(stub, cases))
    assert (verdict.mistake, verdict.failure) == (None, "not answered")
    assert verdict.message == ("conv2d: not answered yet (it still raises NotImplementedError, "
                               "as given)")


def test_failures_are_typed_where_they_happen_not_parsed_from_text():
    def uses_scipy(*args, **kwargs):
        import scipy.signal
        return scipy.signal.correlate2d(np.ones((2, 2)), np.ones((1, 1)))

    def forks(*args, **kwargs):
        import os
        return os.system("true")

    cases = cases_for(CHECK)[:1]
    assert [f.kind for f in run_cases(uses_scipy, cases)] == ["uses scipy"]
    assert [f.kind for f in run_cases(forks, cases)] == ["calls posix.system"]
    assert run_cases(lambda *a, **k: np.array(["x"]), cases) == [
        Failure("returns an array of dtype <U1", "returned an array of dtype <U1, expected "
                "numbers")]
    assert run_cases(lambda *a, **k: 1 / 0, cases) == [
        Failure("raises ZeroDivisionError", "raised ZeroDivisionError: division by zero")]


def record() -> Submission:
    check = CheckResult("ch01.conv2d", False, "conv2d: wrong", None, "raises IndexError")
    exercise = Exercise("conv2d_tests", "conv2d", 0.0, 3.0, (check,))
    return Submission("ana", "01_convolution", "abc", True, "user namespaces",
                      (Notebook("01_convolution", 0.0, 3.0, (exercise,), ("cell 2: timed out",)),),
                      seconds=1.5)


def test_a_record_survives_its_file_and_its_totals_are_derived(tmp_path):
    results.save(tmp_path, Graded(record(), {"01_convolution": "<p>page</p>"}))
    again = results.load(tmp_path, "ana", "01_convolution")
    assert again == record()
    assert (again.score, again.max_score, again.percent) == (0.0, 3.0, 0.0)
    assert [(p.notebook, p.problem) for p in again.problems] == [
        ("01_convolution", "cell 2: timed out")]
    saved = json.loads(results.result_path(tmp_path, "ana", "01_convolution").read_text())
    assert saved["format"] == FORMAT and saved["score"] == 0.0
    assert (tmp_path / "feedback" / "ana" / "01_convolution" / "01_convolution.html").exists()


def damaged(text: str, change) -> str:
    data = json.loads(text)
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize("change", [
    lambda d: d.update(format=1),  # an older grader's file
    lambda d: d.pop("digest"),
    lambda d: d.update(sandboxed="yes"),
    lambda d: d["notebooks"][0].update(score="3"),
    lambda d: d["notebooks"][0].update(score=True),
    lambda d: d["notebooks"][0]["exercises"][0].update(checks={"id": "x"}),
    lambda d: d["notebooks"][0].update(problems=[1]),
    lambda d: d["notebooks"].append("notebook"),
], ids=["old-format", "no-digest", "bool-as-text", "number-as-text", "bool-as-number",
        "checks-not-a-list", "problem-not-text", "notebook-not-an-object"])
def test_a_file_that_is_not_a_record_is_refused_and_so_regraded(tmp_path, change):
    text = damaged(record().to_json(), change)
    with pytest.raises(RecordError):
        Submission.from_json(text)
    results.atomic_write(results.result_path(tmp_path, "ana", "01_convolution"), text)
    assert results.load(tmp_path, "ana", "01_convolution") is None
    assert not results.is_done(tmp_path, "ana", "01_convolution", "abc")


def test_not_json_at_all_is_refused():
    for text in ("", "not json", "[]", "null"):
        with pytest.raises(RecordError):
            Submission.from_json(text)
