"""Grades of a graded folder in a learning management system's gradebook import format.

Reads ``GRADED_DIR/grades.csv`` (one row per student and graded assignment, as ``grade``
writes it) and writes one row per student with one column per assignment, in the layout
the target system imports:

``canvas``
    Canvas's gradebook CSV, the layout its own gradebook export has (Canvas Instructor
    Guide, "How do I import grades in the Gradebook?", and "How do I export grades in the
    Gradebook?"): the columns ``Student, ID, SIS User ID, SIS Login ID, Section``, then one
    column per assignment, and a second row ``Points Possible`` that gives each
    assignment's maximum. Canvas matches a student by ``ID``, ``SIS User ID`` or ``SIS Login
    ID``; an assignment column with no Canvas id in parentheses is matched by name in the
    import preview or created with the Points Possible given.
``moodle``
    Moodle's "Import grades from CSV" (MoodleDocs, "Grade import"): a header row, a column
    identifying the user that the import page maps to a user field (``Email address`` to
    email, ``ID number`` to idnumber, ``Username`` to username), and one column per grade
    item, mapped to a grade item on the same page. A grade item's maximum lives in Moodle,
    so there is no points row.
``csv``
    A plain wide table: ``student_id``, the roster's other columns, one column per
    assignment, and ``total``.

When ``grade`` applied a course file or overrides, grades.csv's ``score`` is the final score
and its columns ``raw_score, late_penalty, override`` say how it was reached. Then ``csv``
carries them as ``<assignment> raw``, ``<assignment> late penalty`` and ``<assignment>
override`` columns; ``moodle`` carries them as text in a ``<assignment> feedback`` column,
which Moodle's import page maps to that grade item's feedback (MoodleDocs, "Grade import":
feedback is imported by mapping its column); ``canvas`` keeps its import file to the final
scores, since every unknown column of a Canvas grades import becomes a new assignment (Ohio
State's CarmenCanvas guide, "Import CSV File for Carmen Grades"), and writes the breakdown
beside it as ``<out>.breakdown.csv``.

nbgrader's ``nbgrader export`` (CsvExportPlugin) and otter-grader's CSV output write one
row per student and assignment; LMS imports want the wide layout above, so this reshapes.

A roster (CSV, UTF-8) maps the grader's ``student_id`` (the submission folder's name) to
the LMS's identity columns, named as the LMS's own export names them. With a roster,
every roster student gets a row: an assignment they did not submit scores 0 in Canvas and
Moodle (a blank cell would leave whatever grade the LMS had) and is left blank in ``csv``.
Submissions from students not on the roster are not written to an LMS file, whose import
would reject or misfile them: they are returned so the caller lists them, and written
beside the output as ``<out>.not-on-roster.csv``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..course import roster as roster_csv
from ..course.atomic import atomic_write
from ..course.results import HEAD
from ..course.roster import Roster

FORMATS = ("canvas", "moodle", "csv")
CANVAS_HEAD = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_IDENTITY = ["ID", "SIS User ID", "SIS Login ID"]
CANVAS_POINTS = "    Points Possible"  # as Canvas's own export writes the row (indented)
MOODLE_IDENTITY = ["ID number", "Email address", "Username"]
MOODLE_NAMES = ["First name", "Last name"]
DETAILS = ["raw_score", "late_penalty", "override"]  # grades.csv's, with a course (shown.py)


class ExportError(ValueError):
    """An instructor's mistake in the export's inputs: the message says which and how."""


@dataclass
class Grades:
    """The graded folder's scores: assignment -> maximum, student -> assignment -> score."""

    maximum: dict[str, float] = field(default_factory=dict)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    # (student, assignment) -> raw_score, late_penalty, override (when grade applied a course)
    details: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


@dataclass
class Export:
    text: str  # the file to write
    not_on_roster: list[tuple[str, str, float, float]]  # student, assignment, score, max
    students: int  # rows written


def read_grades(graded_dir: Path) -> Grades:
    if not graded_dir.is_dir():
        raise ExportError(f"GRADED_DIR {graded_dir} does not exist or is not a folder")
    path = graded_dir / "grades.csv"
    if not path.is_file():
        raise ExportError(f"no grades.csv in {graded_dir}: grade the submissions first "
                          "(python -m autograder grade SUBMISSIONS --out GRADED_DIR)")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in HEAD if c not in (reader.fieldnames or [])]
        if missing:
            raise ExportError(f"{path} lacks the column(s) {', '.join(missing)}: it was not "
                              "written by `python -m autograder grade`")
        grades = Grades()
        for line, row in enumerate(reader, start=2):
            student, assignment = row["student_id"], row["assignment"]
            score, top = _number(row["score"], path, line), _number(row["max_score"], path, line)
            if assignment in grades.scores.get(student, {}):
                raise ExportError(f"{path}, line {line}: {student} has two rows for "
                                  f"{assignment}")
            grades.scores.setdefault(student, {})[assignment] = score
            if all(c in row for c in DETAILS):
                grades.details[student, assignment] = {c: row[c] for c in DETAILS}
            # a notebook that could not be read has maximum 0; the template's is the real one
            grades.maximum[assignment] = max(top, grades.maximum.get(assignment, 0.0))
    return grades


def _number(text: str, path: Path, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise ExportError(f"{path}, line {line}: {text!r} is not a number") from None


def read_roster(path: Path, fmt: str) -> Roster:
    """The roster (:mod:`autograder.course.roster`), checked to have what ``fmt`` needs to
    identify each student."""
    roster = roster_csv.read(path)
    identity = _IDENTITY.get(fmt, [])
    if identity and not any(c in roster.columns for c in identity):
        raise ExportError(f"the roster {path} needs at least one of the columns "
                          f"{', '.join(repr(c) for c in identity)} to identify students in "
                          f"{fmt}; its columns are: {', '.join(roster.columns)}")
    for row in roster.rows:
        if identity and not any(row.get(c) for c in identity):
            student = row["student_id"]
            raise ExportError(f"the roster {path}, line {roster.lines[student]}: {student!r} has "
                              f"none of {', '.join(identity)} filled in")
    return roster


_IDENTITY = {"canvas": CANVAS_IDENTITY, "moodle": MOODLE_IDENTITY}


def default_roster(grades: Grades, fmt: str) -> Roster:
    """Without a roster, the submission folder's name is the LMS identity: the Canvas login
    (SIS Login ID, shown as the name too) or the Moodle username."""
    column = {"canvas": ["Student", "SIS Login ID"], "moodle": ["Username"]}.get(fmt, [])
    return Roster(["student_id", *column],
                  [dict.fromkeys(["student_id", *column], s) for s in sorted(grades.scores)])


def export(grades: Grades, fmt: str, roster: Roster | None) -> Export:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    assignments = sorted(grades.maximum)
    roster = roster if roster is not None else default_roster(grades, fmt)
    on_roster = {r["student_id"] for r in roster.rows}
    unknown = [(s, a, score, grades.maximum[a]) for s in sorted(grades.scores)
               if s not in on_roster for a, score in sorted(grades.scores[s].items())]
    if fmt == "canvas":
        head = list(CANVAS_HEAD)
    elif fmt == "moodle":
        head = [c for c in MOODLE_NAMES + MOODLE_IDENTITY if c in roster.columns]
    else:
        head = roster.columns
    missing = None if fmt == "csv" else 0.0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends, as both LMS write
    extra = _extra_columns(fmt) if grades.details else []
    writer.writerow(head + [name.format(a) for a in assignments for name in ["{}", *extra]]
                    + (["total"] if fmt == "csv" else []))
    if fmt == "canvas":
        writer.writerow([CANVAS_POINTS, *[""] * (len(head) - 1),
                         *(_cell(grades.maximum[a]) for a in assignments)])
    for student in roster.rows:
        sid = student["student_id"]
        scores = grades.scores.get(sid, {})
        total = [_cell(sum(scores.values()))] if fmt == "csv" else []
        writer.writerow([student.get(c, "") for c in head]
                        + [cell for a in assignments for cell in [
                            _cell(scores.get(a, missing)),
                            *(_extra_cells(fmt, grades.details.get((sid, a)), scores.get(a),
                                           grades.maximum[a]) if extra else [])]] + total)
    return Export(out.getvalue(), unknown, len(roster.rows))


def _cell(value) -> str:
    return "" if value is None else f"{value:g}"


def _extra_columns(fmt: str) -> list[str]:
    """The breakdown's columns after each assignment's, as the format carries it."""
    return {"csv": ["{} raw", "{} late penalty", "{} override"],
            "moodle": ["{} feedback"]}.get(fmt, [])


def _extra_cells(fmt: str, details: dict | None, score, top: float) -> list[str]:
    if details is None:  # not submitted
        return [""] * len(_extra_columns(fmt))
    if fmt == "csv":
        return [details[c] for c in DETAILS]
    parts = [f"autograded {details['raw_score']}/{top:g}"]
    if details["override"]:
        parts.append(f"override {details['override']}")
    if details["late_penalty"] not in ("", "0"):
        parts.append(f"late penalty -{details['late_penalty']}")
    return ["; ".join(parts + [f"final {_cell(score)}"])]


def _breakdown(grades: Grades) -> str:
    """Every graded submission's raw score, penalty, override and final score."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["student_id", "assignment", *DETAILS, "score", "max_score"])
    for (student, assignment), d in sorted(grades.details.items()):
        writer.writerow([student, assignment, *(d[c] for c in DETAILS),
                         _cell(grades.scores[student][assignment]),
                         _cell(grades.maximum[assignment])])
    return table.getvalue()


def write(graded_dir: Path, fmt: str, roster_path: Path | None, out: Path | None) -> tuple:
    """Export and write atomically; return (output path, the export)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    grades = read_grades(graded_dir)
    roster = read_roster(roster_path, fmt) if roster_path is not None else None
    result = export(grades, fmt, roster)
    out = out if out is not None else graded_dir / f"export-{fmt}.csv"
    if out.is_dir():
        raise ExportError(f"--out {out} is a folder; give a file name")
    note = out.with_name(out.name + ".not-on-roster.csv")
    if result.not_on_roster:
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(HEAD)
        writer.writerows([s, a, _cell(v), _cell(m)] for s, a, v, m in result.not_on_roster)
        atomic_write(note, table.getvalue())
    elif note.exists():  # left by an earlier export whose roster lacked someone
        note.unlink()
    breakdown = out.with_name(out.name + ".breakdown.csv")
    if fmt == "canvas" and grades.details:
        atomic_write(breakdown, _breakdown(grades))
    elif breakdown.exists():  # left by an export of an earlier grading with a course file
        breakdown.unlink()
    atomic_write(out, result.text)
    return out, result
