"""The course roster: a CSV with a header row, one student a row, read and checked in one place.

``collect`` (matching an LMS download's files to students) and ``export`` (writing grades in
an LMS's import layout) both read it; what each needs from the LMS columns is theirs, what a
roster is, is decided here. A roster's ``student_id`` names the student's submission folder,
so it must be usable as one, and is unique. The file is read whole and checked before any
caller writes anything, so a bad roster leaves no output half-written.

Spreadsheets save CSV with a byte-order mark ("CSV UTF-8" in Excel): it is skipped. Any other
encoding is refused with the byte where it stops being UTF-8, rather than guessed: a guess
that mangles one accented name would misfile that student's submission.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

STUDENT_ID = "student_id"


class RosterError(ValueError):
    """The roster cannot be used: the message names the file, the line and what to fix."""


@dataclass(frozen=True)
class Roster:
    columns: list[str]  # student_id and the LMS identity columns, as in the file
    rows: list[dict[str, str]]  # every column of ``columns``, stripped; "" where blank
    lines: dict[str, int] = field(default_factory=dict)  # student_id -> its line, for messages


def read(path: Path) -> Roster:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RosterError(f"cannot read the roster {path}: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise RosterError(f"the roster {path}, line {line}: not UTF-8 text (byte "
                          f"{data[error.start]:#04x}): save it as 'CSV UTF-8'") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # an open quote would
    # otherwise swallow the rest of the file, and its students, into one cell
    try:
        table = list(reader)
    except csv.Error as error:
        raise RosterError(f"the roster {path}, line {reader.line_num}: {error}") from None
    if not table:
        raise RosterError(f"the roster {path} is empty: it needs a header row with "
                          f"'{STUDENT_ID}'")
    columns = [c.strip() for c in table[0]]
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise RosterError(f"the roster {path} has the column(s) {', '.join(map(repr, twice))} "
                          "twice in its header")
    if STUDENT_ID not in columns:
        raise RosterError(f"the roster {path} has no column '{STUDENT_ID}' (the submission "
                          f"folders' names); its columns are: "
                          f"{', '.join(c for c in columns if c) or 'none'}")
    rows, seen = [], {}
    for line, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line, as spreadsheets leave at the end
        if len(cells) > len(columns):
            raise RosterError(f"the roster {path}, line {line}: {len(cells)} cells but the "
                              f"header has {len(columns)} columns (a comma inside a name "
                              "needs quotes)")
        row = {c: v.strip() for c, v in zip(columns, cells, strict=False) if c}
        row = {c: row.get(c, "") for c in columns if c}
        student = row[STUDENT_ID]
        if not student or student.startswith((".", "_")) or "/" in student:
            raise RosterError(f"the roster {path}, line {line}: {STUDENT_ID} {student!r} cannot "
                              "be a folder name (empty, hidden, or with a slash)")
        if student in seen:
            raise RosterError(f"the roster {path}, line {line}: {STUDENT_ID} {student!r} "
                              f"appears twice (first on line {seen[student]})")
        seen[student] = line
        rows.append(row)
    return Roster([c for c in columns if c], rows, seen)
