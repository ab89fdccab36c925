"""The course roster: a CSV with a header row, one student a row, checked in one place.

``collect`` (matching an LMS download's files to students) and ``export`` (writing grades in
an LMS's import layout) both read it; what each needs from the LMS columns is theirs, what a
roster is, is decided here. A roster's ``student_id`` names the student's submission folder,
so it must be usable as one, and it is unique. The file is read as every instructor CSV is
(:mod:`.csv_table`: UTF-8, whole, before anything is written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import csv_table

STUDENT_ID = "student_id"


class RosterError(ValueError):
    """The roster cannot be used: the message names the file, the line and what to fix."""


@dataclass(frozen=True)
class Roster:
    columns: list[str]  # student_id and the LMS identity columns, as in the file
    rows: list[dict[str, str]]  # every column of ``columns``, stripped; "" where blank
    lines: dict[str, int] = field(default_factory=dict)  # student_id -> its line, for messages


def read(path: Path) -> Roster:
    table = csv_table.read(path, "the roster", RosterError)
    if not table.columns:
        raise RosterError(f"the roster {path} is empty: it needs a header row with "
                          f"'{STUDENT_ID}'")
    if STUDENT_ID not in table.columns:
        raise RosterError(f"the roster {path} has no column '{STUDENT_ID}' (the submission "
                          f"folders' names); its columns are: {', '.join(table.columns)}")
    rows, seen = [], {}
    for line, row in table.rows:
        student = row[STUDENT_ID]
        if not student or student.startswith((".", "_")) or "/" in student:
            raise RosterError(f"the roster {path}, line {line}: {STUDENT_ID} {student!r} cannot "
                              "be a folder name (empty, hidden, or with a slash)")
        if student in seen:
            raise RosterError(f"the roster {path}, line {line}: {STUDENT_ID} {student!r} "
                              f"appears twice (first on line {seen[student]})")
        seen[student] = line
        rows.append(row)
    return Roster(table.columns, rows, seen)
