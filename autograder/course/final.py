"""The final score of one submission: autograded points, the overrides, then the late penalty.

Computed afresh from the trusted record on every ``grade`` run, never stored in it: change
the course file or an override and the outputs follow without regrading anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .course_file import Course
from .late_policy import Late, assess
from .overrides import Override
from .records import Submission


@dataclass(frozen=True)
class Final:
    student_id: str
    assignment_id: str
    raw: float  # the autograded score
    max_score: float
    autograded: dict[str, float]  # exercise name -> the autograded points
    exercises: dict[str, float]  # exercise name -> points, overrides applied
    overrides: tuple[Override, ...]  # the ones applied, in file order
    submitted: datetime | None  # None: the time is unknown
    due: datetime | None  # None: no due date (the course file does not list it)
    late: Late | None  # None: not assessed (no due date, or time unknown)
    late_rule: str  # the policy's unit, for the description
    score: float  # the final score

    @property
    def adjusted(self) -> float:
        """After the exercise overrides, before the late penalty."""
        return round(sum(self.exercises.values()), 6)

    @property
    def total_override(self) -> Override | None:
        return next((o for o in self.overrides if o.is_total), None)

    @property
    def penalty(self) -> float:
        """Points the late policy took (0 when a total override set the score)."""
        if self.total_override is not None or self.late is None:
            return 0.0
        return round(self.adjusted - self.score, 6)

    @property
    def changed(self) -> bool:
        return bool(self.overrides) or self.penalty > 0

    def timing(self) -> str:
        """When it came in, against its due date, in words."""
        if self.due is None:
            return "no due date"
        if self.submitted is None:
            return f"due {_when(self.due)}; submission time unknown, so not marked late"
        local = self.submitted.astimezone(self.due.tzinfo)  # both in the course's zone
        return (f"submitted {_when(local)}, due {_when(self.due)}: "
                f"{self.late.describe(self.late_rule)}")

    def override_text(self) -> str:
        """The overrides as one line: "conv2d 0 → 2 (comment); ..."."""
        return "; ".join(f"{o.exercise} {self.was(o):g} → {o.points:g} ({o.comment})"
                         for o in self.overrides)

    def was(self, o: Override) -> float:
        """The points an override replaced."""
        return self.adjusted if o.is_total else self.autograded.get(o.exercise, 0.0)


def exercise_points(result: Submission) -> dict[str, float]:
    """Exercise name -> points, named as overrides name them (notebook:exercise when an
    assignment has several notebooks)."""
    several = len(result.notebooks) > 1
    return {(f"{nb.name}:{e.name}" if several else e.name): e.points
            for nb in result.notebooks for e in nb.exercises}


def final(result: Submission, course: Course | None, overrides: list[Override],
          submitted: datetime | None) -> Final:
    raw_points = exercise_points(result)
    mine = [o for o in overrides
            if (o.student_id, o.assignment) == (result.student_id, result.assignment_id)]
    points = dict(raw_points)
    for o in mine:
        if not o.is_total and o.exercise in points:
            points[o.exercise] = o.points
    adjusted = round(sum(points.values()), 6)
    dates = course.assignments.get(result.assignment_id) if course else None
    due = dates.due_for(result.student_id) if dates else None
    late = assess(course.late_policy, due, submitted) if due and submitted else None
    score = late.final(adjusted, result.max_score) if late else adjusted
    total = next((o for o in mine if o.is_total), None)
    if total is not None:
        score = total.points
    return Final(result.student_id, result.assignment_id, result.score, result.max_score,
                 raw_points, points, tuple(mine), submitted, due, late,
                 course.late_policy.unit if course else "day", score)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
