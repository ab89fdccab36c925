"""The course commands behind the CLI: ``collect`` and ``override`` (cli.py parses them)."""

from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path

from . import collect as lms
from .course_file import Course, CourseError, load
from .overrides import Override, OverrideError, put

COURSE_FILE = "course.toml"


def find_course(explicit: Path | None, beside: Path | None) -> Course | None:
    """The course file: ``--course FILE``, else ``course.toml`` in the folder holding
    ``beside`` (the course folder that holds ``submitted/``, as nbgrader's course root
    holds its config), else none."""
    if explicit is not None:
        if not explicit.is_file():
            raise CourseError(f"the course file {explicit} does not exist")
        return load(explicit)
    if beside is not None:
        candidate = beside.resolve().parent / COURSE_FILE
        if candidate.is_file():
            return load(candidate)
    return None


def collect(args) -> int:
    """``collect DOWNLOAD --roster FILE [--out DIR]``: place the files, list the rest."""
    from ..source import find_assignments
    try:
        course = find_course(args.course, args.out)
        roster_path = args.roster or (course.roster if course else None)
        if roster_path is None:
            raise lms.CollectError("--roster FILE is needed (or a course.toml naming one)")
        roster = lms.read_roster(roster_path)
        zone = course.timezone if course else UTC
        worksheet = lms.read_worksheet(args.worksheet, zone) if args.worksheet else None
        assignments = find_assignments(args.chapters)
        if args.assignment and args.assignment not in assignments:
            raise lms.CollectError(f"--assignment {args.assignment}: no such chapter in "
                                   f"{args.chapters} (known: {', '.join(assignments)})")
        notebooks = {nb.name: a.id for a in assignments.values() for nb in a.notebooks}
        collection = lms.collect(args.download, roster, notebooks, args.assignment, worksheet)
        log = lms.write(args.out, collection, args.download, force=args.force)
    except (lms.CollectError, CourseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    placed = collection.placed
    students = {p.student_id for p in placed}
    unknown = sum(p.submitted is None for p in placed)
    late = sum(p.lms_late for p in placed)
    print(f"{collection.lms} download: {len({(p.student_id, p.assignment_id) for p in placed})} "
          f"submissions placed ({len(placed)} notebooks, {len(students)} students) in "
          f"{args.out}; {unknown} with the submission time unknown"
          + (f" ({late} marked late by Canvas)" if late else ""), file=sys.stderr)
    missing = sorted({s.student_id for s in roster} - students)
    if missing:
        print(f"{len(missing)} roster students submitted nothing: {', '.join(missing)}",
              file=sys.stderr)
    if collection.unplaced:
        print(f"{len(collection.unplaced)} files not placed (listed in {log}):", file=sys.stderr)
        for u in sorted(collection.unplaced, key=lambda u: u.source):
            print(f"  {u.source}: {u.reason}", file=sys.stderr)
    return 0


def override(args) -> int:
    """``override STUDENT ASSIGNMENT EXERCISE POINTS --comment TEXT``: one row of the
    overrides file, checked for form now and against the exercises by the next ``grade``."""
    try:
        course = find_course(args.course, Path.cwd() / "submitted")
        path = args.file or (course.overrides if course else Path("overrides.csv"))
        if not args.points >= 0:
            raise OverrideError(f"points must not be negative ({args.points:g})")
        if not args.comment.strip():
            raise OverrideError("--comment must say why (the student reads it)")
        replaced = put(path, Override(args.student, args.assignment, args.exercise,
                                      args.points, args.comment.strip()))
    except (OverrideError, CourseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    was = f" (was {replaced.points:g}: {replaced.comment})" if replaced else ""
    print(f"{path}: {args.student}/{args.assignment}/{args.exercise} = {args.points:g}{was}; "
          "run grade to apply it", file=sys.stderr)
    return 0
