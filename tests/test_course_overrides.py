"""Overrides (form, checks against the exercises, replacing one) and the final score they
make with the late penalty (autograder/course/overrides.py, final.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autograder.course.course_file import AssignmentDates, Course
from autograder.course.final import final
from autograder.course.late_policy import LatePolicy
from autograder.course.overrides import Override, OverrideError, check, load, parse, put
from autograder.course.records import CheckResult, Exercise, Notebook, Submission

PATH = Path("overrides.csv")
HEAD = "student_id,assignment,exercise,points,comment\n"
EXERCISES = {"00_fixture": {"output_size": 2.0, "layer_cost": 3.0, "effective_kernel_size": 1.0}}


@pytest.mark.parametrize("row, message", [
    ("alice,00_fixture,output_size,2,", "line 2: empty comment (say why"),
    ("alice,00_fixture,output_size,two,ok", "line 2: points 'two' is not a number"),
    ("alice,00_fixture,output_size,-1,ok", "must not be negative"),
    ("alice,00_fixture,output_size,1,a\nalice,00_fixture,output_size,2,b",
     "line 3: a second override of alice/00_fixture/output_size (the first is on line 2)"),
])
def test_bad_rows_name_the_line(row, message):
    with pytest.raises(OverrideError, match=None) as error:
        parse(HEAD + row + "\n", PATH)
    assert message in str(error.value)


def test_missing_columns_are_named():
    with pytest.raises(OverrideError, match="missing column.s. comment"):
        parse("student_id,assignment,exercise,points\n", PATH)


def test_an_override_of_an_exercise_that_no_longer_exists_names_it():
    overrides = parse(HEAD + "alice,00_fixture,conv3d,1,regraded by hand\n", PATH)
    with pytest.raises(OverrideError) as error:
        check(overrides, EXERCISES, PATH)
    assert "line 2: 00_fixture has no exercise 'conv3d'" in str(error.value)
    assert "output_size" in str(error.value)  # what it has instead


@pytest.mark.parametrize("row, message", [
    ("alice,99_gone,total,1,x", "'99_gone' is not an assignment"),
    ("alice,00_fixture,layer_cost,4,x", "4 points for 00_fixture/layer_cost, which is worth 3"),
    ("alice,00_fixture,total,7,x", "7 points for 00_fixture/total, which is worth 6"),
])
def test_overrides_are_checked_against_the_assignments(row, message):
    with pytest.raises(OverrideError) as error:
        check(parse(HEAD + row + "\n", PATH), EXERCISES, PATH)
    assert message in str(error.value)


def test_put_adds_and_replaces_atomically(tmp_path):
    path = tmp_path / "overrides.csv"
    assert load(path) == []
    assert put(path, Override("alice", "00_fixture", "layer_cost", 2, "partial credit")) is None
    old = put(path, Override("alice", "00_fixture", "layer_cost", 3, "full, on appeal"))
    assert old.points == 2
    put(path, Override("bob", "00_fixture", "total", 5, "oral exam"))
    rows = [(o.student_id, o.exercise, o.points, o.comment) for o in load(path)]
    assert rows == [("alice", "layer_cost", 3.0, "full, on appeal"), ("bob", "total", 5.0,
                                                                        "oral exam")]


def _record(points: dict[str, float]) -> Submission:
    top = {"output_size": 2.0, "layer_cost": 3.0, "effective_kernel_size": 1.0}
    exercises = tuple(Exercise(f"{n}_tests", n, p, top[n], (CheckResult(f"ch00.{n}", p > 0, ""),))
                      for n, p in points.items())
    nb = Notebook("00_fixture", sum(points.values()), 6.0, exercises)
    return Submission("alice", "00_fixture", "d", True, "jail", (nb,))


DUE = datetime(2026, 10, 9, 23, 59, tzinfo=UTC)
COURSE = Course(Path("course.toml"), UTC, LatePolicy("day", 10, 30, 7),
                {"00_fixture": AssignmentDates(DUE)})


def test_exercise_override_comes_before_the_late_penalty():
    record = _record({"output_size": 2, "layer_cost": 0, "effective_kernel_size": 1})
    override = Override("alice", "00_fixture", "layer_cost", 3, "typo in the check")
    f = final(record, COURSE, [override], DUE + timedelta(days=1, seconds=1))  # 2 days: 20%
    assert (f.raw, f.adjusted, f.penalty, f.score) == (3.0, 6.0, pytest.approx(1.2), 4.8)
    assert f.exercises["layer_cost"] == 3 and f.autograded["layer_cost"] == 0
    assert f.override_text() == "layer_cost 0 → 3 (typo in the check)"
    assert "2 days" in f.timing() and "penalty 20%" in f.timing()


def test_total_override_is_the_final_score():
    record = _record({"output_size": 2, "layer_cost": 3, "effective_kernel_size": 1})
    override = Override("alice", "00_fixture", "total", 5, "agreed on appeal")
    f = final(record, COURSE, [override], DUE + timedelta(days=30))  # past the cutoff
    assert (f.score, f.penalty) == (5, 0.0)


def test_no_course_no_time_and_other_students_change_nothing():
    record = _record({"output_size": 2, "layer_cost": 0, "effective_kernel_size": 1})
    theirs = Override("bob", "00_fixture", "layer_cost", 3, "not alice's")
    assert final(record, None, [theirs], None).score == 3.0
    unknown = final(record, COURSE, [], None)
    assert unknown.score == 3.0 and unknown.late is None
    assert "submission time unknown" in unknown.timing()


def test_the_feedback_box_is_replaced_not_stacked_and_removed_when_nothing_applies():
    from autograder.course.shown import annotate
    record = _record({"output_size": 2, "layer_cost": 0, "effective_kernel_size": 1})
    page = "<!DOCTYPE html><html><body><h1>Feedback</h1></body></html>"
    late = final(record, COURSE, [], DUE + timedelta(hours=1))
    once = annotate(page, late)
    assert once.index("Final score: 2.4 / 6") < once.index("<h1>Feedback")  # 3 - 10% of 6
    on_time = final(record, COURSE, [], DUE)
    twice = annotate(once, on_time)
    assert twice.count("Final score") == 1 and "Final score: 3 / 6" in twice
    assert annotate(twice, None) == page
    assert annotate(page, final(record, None, [], None)) == page  # no course: no box


def test_grade_finds_overrides_beside_the_submissions_without_a_course_file(tmp_path):
    from autograder.course.commands import Setting
    (tmp_path / "submitted").mkdir()
    assert not Setting.load(None, None, tmp_path / "submitted", {}, {}).active  # nothing there
    (tmp_path / "overrides.csv").write_text(HEAD + "alice,00_fixture,total,5,oral exam\n")
    with pytest.raises(OverrideError, match="'00_fixture' is not an assignment"):
        Setting.load(None, None, tmp_path / "submitted", {}, {})  # read, and checked
