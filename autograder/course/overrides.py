"""The instructor's overrides: points set by hand, kept apart from the autograded records.

An overrides file is a CSV with the columns ``student_id, assignment, exercise, points,
comment``. ``exercise`` is an exercise's name as in grades.csv's columns (``conv2d``; in an
assignment of several notebooks ``<notebook>:<exercise>``) or ``total``. The comment is
required: it is what the student reads next to the changed points.

- an exercise override replaces that exercise's autograded points; the late penalty then
  applies to the new total;
- a ``total`` override sets the final score itself: no late penalty applies on top of it.

Because the file is never written by ``grade``, an override outlives every regrade
(``--force``, ``--only``); because it is checked against the assignment's exercises, an
override whose exercise no longer exists stops grading with an error naming it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from . import csv_table

COLUMNS = ["student_id", "assignment", "exercise", "points", "comment"]
TOTAL = "total"


class OverrideError(ValueError):
    """A mistake in the overrides file: the message names the file, the line and the key."""


@dataclass(frozen=True)
class Override:
    student_id: str
    assignment: str
    exercise: str  # an exercise's column name, or TOTAL
    points: float
    comment: str
    line: int = 0  # where it is in the file, for messages

    @property
    def is_total(self) -> bool:
        return self.exercise == TOTAL


def load(path: Path) -> list[Override]:
    """The overrides in ``path`` (none when it does not exist), each checked for form."""
    if not path.exists():
        return []
    return _overrides(csv_table.read(path, "the overrides file", OverrideError), path)


def parse(text: str, path: Path) -> list[Override]:
    return _overrides(csv_table.parse(text, path, "the overrides file", OverrideError), path)


def _overrides(table: csv_table.Table, path: Path) -> list[Override]:
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise OverrideError(f"{path}: missing column(s) {', '.join(missing)}; an overrides file "
                            f"has the columns {', '.join(COLUMNS)}")
    found: dict[tuple[str, str, str], Override] = {}
    for line, row in table.rows:
        for column in ("student_id", "assignment", "exercise", "comment"):
            if not row[column]:
                why = " (say why: the student reads it)" if column == "comment" else ""
                raise OverrideError(f"{path}, line {line}: empty {column}{why}")
        try:
            points = float(row["points"])
        except ValueError:
            raise OverrideError(f"{path}, line {line}: points {row['points']!r} is not a "
                                "number") from None
        if not points >= 0:
            raise OverrideError(f"{path}, line {line}: points must not be negative ({points:g})")
        override = Override(row["student_id"], row["assignment"], row["exercise"], points,
                            row["comment"], line)
        key = (override.student_id, override.assignment, override.exercise)
        if key in found:
            raise OverrideError(f"{path}, line {line}: a second override of {'/'.join(key)} "
                                f"(the first is on line {found[key].line})")
        found[key] = override
    return list(found.values())


def check(overrides: list[Override], exercises: dict[str, dict[str, float]], path: Path
          ) -> None:
    """Every override names an assignment and one of its exercises, within its points.

    ``exercises``: assignment -> exercise column name -> maximum points (from the sources).
    """
    for o in overrides:
        where = f"{path}, line {o.line}"
        if o.assignment not in exercises:
            raise OverrideError(f"{where}: {o.assignment!r} is not an assignment (known: "
                                f"{', '.join(exercises) or 'none'})")
        known = exercises[o.assignment]
        if o.is_total:
            top = sum(known.values())
        elif o.exercise not in known:
            raise OverrideError(f"{where}: {o.assignment} has no exercise {o.exercise!r} "
                                f"(it has: {', '.join(known)}, or '{TOTAL}')")
        else:
            top = known[o.exercise]
        if o.points > top:
            raise OverrideError(f"{where}: {o.points:g} points for {o.assignment}/{o.exercise}, "
                                f"which is worth {top:g}")


def put(path: Path, override: Override) -> Override | None:
    """Add ``override`` to the file, or replace the one of the same student, assignment and
    exercise; return the replaced one. The file is rewritten atomically."""
    from .atomic import atomic_write  # the one atomic writer of the grader's outputs
    current = load(path)  # refuses to add to a file that is already wrong
    key = (override.student_id, override.assignment, override.exercise)
    replaced = next((o for o in current if (o.student_id, o.assignment, o.exercise) == key), None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for o in [o for o in current if o is not replaced] + [override]:
        writer.writerow([o.student_id, o.assignment, o.exercise, f"{o.points:g}", o.comment])
    atomic_write(path, out.getvalue())
    return replaced
