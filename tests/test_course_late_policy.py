"""Late-policy arithmetic at its boundaries: on time, one second late, the cap, the cutoff,
an extension (autograder/course/late_policy.py, course_file.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autograder.course.course_file import CourseError, parse
from autograder.course.late_policy import LatePolicy, assess

DUE = datetime(2026, 10, 9, 23, 59, tzinfo=UTC)
DAILY = LatePolicy(unit="day", penalty=10, cap=30, cutoff=7)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize("delay, units, percent, final", [
    (-DAY, 0, 0, 6.0),                  # early
    (timedelta(0), 0, 0, 6.0),          # exactly at the due instant: on time
    (SECOND, 1, 10, 5.4),               # one second late: one started day, 10% of 6
    (DAY, 1, 10, 5.4),                  # exactly one day late: still one day
    (DAY + SECOND, 2, 20, 4.8),         # the second day has started
    (3 * DAY, 3, 30, 4.2),              # three days: 30%, at the cap
    (4 * DAY, 4, 30, 4.2),              # four days: 40% capped at 30%
    (7 * DAY, 7, 30, 4.2),              # exactly at the cutoff: accepted, capped
    (7 * DAY + SECOND, 8, 30, 0.0),     # one second past the cutoff: 0
])
def test_penalty_at_the_boundaries(delay, units, percent, final):
    late = assess(DAILY, DUE, DUE + delay)
    assert (late.units, late.percent) == (units, percent)
    assert late.final(6.0, 6.0) == pytest.approx(final)


def test_penalty_is_a_share_of_the_maximum_and_never_below_zero():
    late = assess(DAILY, DUE, DUE + 2 * DAY)  # 20% of the maximum 10 = 2 points
    assert late.final(7.0, 10.0) == 5.0
    assert late.final(1.5, 10.0) == 0.0  # not negative


def test_hourly_policy_counts_started_hours():
    hourly = LatePolicy(unit="hour", penalty=5, cap=100)
    assert assess(hourly, DUE, DUE + SECOND).units == 1
    assert assess(hourly, DUE, DUE + timedelta(hours=2, seconds=1)).percent == 15
    assert not assess(hourly, DUE, DUE + 100 * DAY).past_cutoff  # no cutoff set


def test_times_without_a_zone_are_refused():
    with pytest.raises(ValueError, match="timezone"):
        assess(DAILY, DUE.replace(tzinfo=None), DUE)


def _course(text: str):
    import tomllib
    return parse(tomllib.loads(text), Path("/course/course.toml"))


COURSE = """
[course]
timezone = "Europe/Zurich"
[late_policy]
unit = "day"
penalty = 10
cap = 30
cutoff = 7
[assignments.00_fixture]
due = 2026-10-09T23:59:00
extensions = { alice = 2026-10-12T23:59:00, bob = 2 }
"""


def test_an_extension_moves_the_due_date_for_that_student_only():
    course = _course(COURSE)
    dates = course.assignments["00_fixture"]
    zurich = dates.due.tzinfo
    assert dates.due == datetime(2026, 10, 9, 23, 59, tzinfo=zurich)  # local time of the course
    assert dates.due_for("alice") == datetime(2026, 10, 12, 23, 59, tzinfo=zurich)
    assert dates.due_for("bob") == dates.due + 2 * DAY
    assert dates.due_for("carol") == dates.due
    on_time_for_alice = dates.due + 3 * DAY
    assert assess(course.late_policy, dates.due_for("alice"), on_time_for_alice).on_time
    assert assess(course.late_policy, dates.due_for("alice"), on_time_for_alice + SECOND).units == 1
    assert assess(course.late_policy, dates.due_for("carol"), on_time_for_alice).units == 3


@pytest.mark.parametrize("change, message", [
    (("penalty = 10", "penalty = 110"), "late_policy.penalty must be a percentage"),
    (("penalty = 10", "penalty = \"10%\""), "late_policy.penalty must be a number"),
    (("unit = \"day\"", "unit = \"week\""), "late_policy.unit must be one of hour, day"),
    (("due = 2026-10-09T23:59:00", "due = \"Friday\""), "assignments.00_fixture.due must be a "
                                                        "TOML date-time"),
    (("due = 2026-10-09T23:59:00\n", ""), "assignments.00_fixture.due is missing"),
    (("bob = 2", "bob = -1"), "assignments.00_fixture.extensions.bob an extension cannot be "
                              "negative"),
    (("alice = 2026-10-12T23:59:00", "alice = 2026-10-01T23:59:00"),
     "assignments.00_fixture.extensions.alice is before the assignment's due date"),
    (("Europe/Zurich", "Mars/Olympus"), "course.timezone 'Mars/Olympus' is not an IANA"),
    (("cutoff = 7", "cutof = 7"), "unknown key(s) cutof in [late_policy]"),
])
def test_course_file_mistakes_name_the_key(change, message):
    with pytest.raises(CourseError) as error:
        _course(COURSE.replace(*change))
    assert message in str(error.value) and "/course/course.toml" in str(error.value)


def test_paths_are_relative_to_the_course_file_and_overrides_has_a_default():
    course = _course(COURSE.replace("[course]", "[course]\nroster = \"people.csv\""))
    assert course.roster == Path("/course/people.csv")
    assert course.overrides == Path("/course/overrides.csv")
    assert course.secret is None
