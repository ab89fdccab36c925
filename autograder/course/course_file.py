"""``course.toml``: the course around the chapters, read with tomllib and checked key by key.

::

    [course]
    timezone = "Europe/Zurich"   # due dates written without an offset are in this zone
    roster = "roster.csv"        # paths are relative to this file
    secret = ".course-secret"
    overrides = "overrides.csv"  # default: overrides.csv beside this file

    [late_policy]
    unit = "day"                 # "day" or "hour"
    penalty = 10                 # percent of the maximum per started unit late
    cap = 30                     # percent: the penalty never exceeds it
    cutoff = 7                   # units after the due date; later scores 0

    [assignments.01_convolution]
    due = 2026-10-09T23:59:00
    extensions = { alice = 2026-10-12T23:59:00, bob = 2 }  # a new due date, or days added

Every mistake is a :class:`CourseError` naming the file and the key (``assignments.
01_convolution.due``), never a KeyError later in grading. An assignment that the course
file does not list has no due date: it is never late.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .late_policy import LatePolicy

OVERRIDES_DEFAULT = "overrides.csv"
_KEYS = {
    "": {"course", "late_policy", "assignments"},
    "course": {"timezone", "roster", "secret", "overrides"},
    "late_policy": {"unit", "penalty", "cap", "cutoff"},
    "assignment": {"due", "extensions"},
}


class CourseError(ValueError):
    """A mistake in the course file: the message names the file and the key."""


@dataclass(frozen=True)
class AssignmentDates:
    due: datetime  # timezone-aware
    extensions: dict[str, datetime] = field(default_factory=dict)  # student -> new due date

    def due_for(self, student_id: str) -> datetime:
        return self.extensions.get(student_id, self.due)


@dataclass(frozen=True)
class Course:
    path: Path
    timezone: ZoneInfo
    late_policy: LatePolicy
    assignments: dict[str, AssignmentDates]
    roster: Path | None = None
    secret: Path | None = None
    overrides: Path | None = None  # the overrides file (it may not exist yet)


def load(path: Path) -> Course:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CourseError(f"cannot read the course file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{path} is not valid TOML: {error}") from None
    return parse(data, path)


def parse(data: dict, path: Path) -> Course:
    where = _Where(path)
    where.keys(data, "", _KEYS[""])
    course = where.table(data, "course")
    where.keys(course, "course", _KEYS["course"])
    zone_name = course.get("timezone", "UTC")
    if not isinstance(zone_name, str):
        raise where.error("course.timezone", "must be a text such as \"Europe/Zurich\"")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.error("course.timezone", f"{zone_name!r} is not an IANA time zone "
                                             "(e.g. \"Europe/Zurich\", \"UTC\")") from None
    paths = {k: where.file(course, k) for k in ("roster", "secret", "overrides")}
    if paths["overrides"] is None:
        paths["overrides"] = path.parent / OVERRIDES_DEFAULT
    return Course(path, zone, _policy(where, where.table(data, "late_policy")),
                  _assignments(where, where.table(data, "assignments"), zone), **paths)


def _policy(where: _Where, table: dict) -> LatePolicy:
    where.keys(table, "late_policy", _KEYS["late_policy"])
    values = {}
    for key in ("penalty", "cap", "cutoff"):
        if key in table:
            values[key] = where.number(table[key], f"late_policy.{key}")
    if "unit" in table:
        values["unit"] = table["unit"]
    try:
        return LatePolicy(**values)
    except ValueError as error:
        key = str(error).split(" ", 1)[0]
        raise where.error(f"late_policy.{key}", str(error).split(" ", 1)[1]) from None


def _assignments(where: _Where, table: dict, zone: ZoneInfo) -> dict[str, AssignmentDates]:
    found = {}
    for assignment_id, entry in table.items():
        key = f"assignments.{assignment_id}"
        if not isinstance(entry, dict):
            raise where.error(key, "must be a table ([assignments.ID] with a due date)")
        where.keys(entry, key, _KEYS["assignment"])
        if "due" not in entry:
            raise where.error(f"{key}.due", "is missing")
        due = where.moment(entry["due"], f"{key}.due", zone)
        extensions = {}
        for student, value in where.table(entry, "extensions", key).items():
            name = f"{key}.extensions.{student}"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if value < 0:
                    raise where.error(name, f"an extension cannot be negative ({value} days)")
                extensions[student] = due + timedelta(days=value)
            else:
                extensions[student] = where.moment(value, name, zone)
                if extensions[student] < due:
                    raise where.error(name, "is before the assignment's due date")
        found[assignment_id] = AssignmentDates(due, extensions)
    return found


@dataclass
class _Where:
    path: Path

    def error(self, key: str, problem: str) -> CourseError:
        return CourseError(f"{self.path}: {key} {problem}")

    def keys(self, table: dict, name: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            where = f"[{name}]" if name else "the top level"
            raise CourseError(f"{self.path}: unknown key(s) {', '.join(unknown)} in {where}; "
                              f"allowed: {', '.join(sorted(allowed))}")

    def table(self, data: dict, key: str, parent: str = "") -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(f"{parent}.{key}".lstrip("."), "must be a table")
        return value

    def number(self, value, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"must be a number, not {value!r}")
        return float(value)

    def file(self, table: dict, key: str) -> Path | None:
        if key not in table:
            return None
        if not isinstance(table[key], str) or not table[key]:
            raise self.error(f"course.{key}", "must be a file name")
        return (self.path.parent / table[key]).resolve()

    def moment(self, value, key: str, zone: ZoneInfo) -> datetime:
        """A TOML date-time; one without an offset is in the course's zone, a bare date
        means the end of that day (23:59:59)."""
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=zone)
        if isinstance(value, date):
            return datetime.combine(value, time(23, 59, 59), tzinfo=zone)
        raise self.error(key, f"must be a TOML date-time such as 2026-10-09T23:59:00, not "
                              f"{value!r} (no quotes around it)")
