"""Grading output on disk: one result file per submission, and the tables rebuilt from them.

A result file is written atomically (temporary file, fsync, rename) and only after its
feedback pages, so a batch killed at any moment leaves each submission either fully
graded or not at all. ``grades.csv`` and ``problems.csv`` are always rebuilt from the
result files, never appended to: a re-run can neither lose nor double a row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from . import shown
from .atomic import atomic_write
from .records import Graded, RecordError, Submission
from .safe_text import safe
from .safe_text import shown as safe_name
from .submissions import Unplaced

HEAD = ["student_id", "assignment", "score", "max_score"]


def result_path(out: Path, student_id: str, assignment_id: str) -> Path:
    return out / "results" / student_id / f"{assignment_id}.json"


def load(out: Path, student_id: str, assignment_id: str) -> Submission | None:
    """The saved record; None when there is none, or it is damaged or from an older grader
    (then the submission is graded again)."""
    try:
        return Submission.from_json(result_path(out, student_id, assignment_id).read_text())
    except (OSError, UnicodeDecodeError, RecordError):
        return None


def is_done(out: Path, student_id: str, assignment_id: str, digest: str) -> bool:
    """Graded before from the same inputs (a grader error is always retried)."""
    old = load(out, student_id, assignment_id)
    return old is not None and old.digest == digest and not old.internal_error


def save(out: Path, graded: Graded) -> None:
    """Feedback pages first, then the result file that marks the submission as graded."""
    record = graded.record
    for name, page in graded.feedback.items():
        atomic_write(out / "feedback" / record.student_id / record.assignment_id
                     / f"{name}.html", page)
    atomic_write(result_path(out, record.student_id, record.assignment_id), record.to_json())


def exercise_columns(result: Submission) -> dict[str, float]:
    several = len(result.notebooks) > 1
    return {":".join([result.assignment_id, *([nb.name] if several else []), e.name]):
            e.points for nb in result.notebooks for e in nb.exercises}


def write_tables(out: Path, results: list[Submission], finals: dict | None = None,
                 unplaced: list[Unplaced] = ()) -> None:
    """grades.csv and problems.csv. With ``finals`` (a course file or overrides, see
    course/final.py) ``score`` is the final score, the exercise columns show overridden
    points, and course/shown.py's columns (raw score, late penalty, ...) follow max_score.
    problems.csv holds every graded record's problems, then what under SUBMISSIONS was not
    graded (``unplaced``); every cell of it is made safe (safe_text: much of it is student
    text, file names and a kernel's error messages)."""
    columns: list[str] = []
    for r in results:
        columns += [c for c in exercise_columns(r) if c not in columns]
    grades = io.StringIO()
    writer = csv.writer(grades, lineterminator="\n")
    writer.writerow(HEAD + (shown.COLUMNS if finals is not None else []) + columns)
    for r in results:
        points = exercise_columns(r)
        score, extra = r.score, []
        if finals is not None:
            f = finals[r.student_id, r.assignment_id]
            score, extra = f.score, shown.columns(f)
            points = {f"{r.assignment_id}:{name}": p for name, p in f.exercises.items()}
        writer.writerow([r.student_id, r.assignment_id, f"{score:g}", f"{r.max_score:g}", *extra,
                         *(_cell(points.get(c)) for c in columns)])
    atomic_write(out / "grades.csv", grades.getvalue())
    problems = io.StringIO()
    writer = csv.writer(problems, lineterminator="\n")
    writer.writerow(["student_id", "assignment", "notebook", "problem"])
    for r in results:
        for p in r.problems:
            writer.writerow([safe_name(r.student_id), safe_name(r.assignment_id),
                             safe_name(p.notebook), safe(p.problem)])
    for u in unplaced:
        writer.writerow([u.student_id, u.assignment_id, u.path, f"not graded: {u.why}"])
    atomic_write(out / "problems.csv", problems.getvalue())


def _cell(value) -> str:
    return "" if value is None else f"{value:g}"
