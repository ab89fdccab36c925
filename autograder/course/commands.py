"""The course side of the CLI: `collect`, `override`, and what `grade` applies (Setting)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import UTC
from pathlib import Path

from . import collect as lms
from . import shown, timestamps
from .course_file import Course, CourseError, load
from .final import Final, final
from .overrides import Override, OverrideError, check, put
from .overrides import load as load_overrides
from .roster import RosterError

COURSE_FILE = "course.toml"
OVERRIDES_FILE = "overrides.csv"


class SelectionError(ValueError):
    """``--only`` or ``--student`` names nothing that exists."""


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
    from .source import find_assignments
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
    except (lms.CollectError, CourseError, RosterError) as error:
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
        path = args.file or (course.overrides if course else Path(OVERRIDES_FILE))
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


def exercise_maxima(templates: dict) -> dict[str, dict[str, float]]:
    """assignment -> exercise name (as overrides and grades.csv name it) -> points."""
    notebooks: dict[str, list] = {}
    for (assignment, notebook), template in templates.items():
        notebooks.setdefault(assignment, []).append((notebook, template))
    found = {}
    for assignment, items in notebooks.items():
        several = len(items) > 1
        found[assignment] = {
            (f"{nb}:{c.grade_id.removesuffix('_tests')}" if several
             else c.grade_id.removesuffix("_tests")): c.points
            for nb, t in items for c in t.tests}
    return found


def selected_exercises(only: str, templates: dict) -> dict[tuple[str, str], set[str]]:
    """``--only``: (assignment, notebook) -> the grade_ids of the test cells it names, by
    grade_id, exercise name or hidden check id (``ch01.conv2d``)."""
    found: dict[tuple[str, str], set[str]] = {}
    for key, template in templates.items():
        for cell in template.tests:
            names = {cell.grade_id, cell.grade_id.removesuffix("_tests"),
                     *(c.check_id for c in cell.checks)}
            if only in names:
                found.setdefault(key, set()).add(cell.grade_id)
    if not found:
        exercises = sorted({c.grade_id.removesuffix("_tests") for t in templates.values()
                            for c in t.tests})
        checks = sorted({c.check_id for t in templates.values() for cell in t.tests
                         for c in cell.checks})
        raise SelectionError(f"--only {only}: no exercise or hidden check of that name; exercises: "
                          f"{', '.join(exercises)}; checks: {', '.join(checks)}")
    return found


@dataclass
class Setting:
    """What ``grade`` applies on top of the autograded records: the course file (due dates,
    late policy) and the overrides. Neither present: nothing is applied, nothing shown."""

    course: Course | None
    overrides: list[Override]
    overrides_path: Path | None

    @classmethod
    def load(cls, course_file: Path | None, overrides_file: Path | None, submissions: Path,
             assignments: dict, templates: dict) -> Setting:
        course = find_course(course_file, submissions)
        if course is not None:
            unknown = sorted(set(course.assignments) - set(assignments))
            if unknown:
                raise CourseError(f"{course.path}: assignments.{unknown[0]} is not a chapter "
                                  f"(known: {', '.join(assignments)})")
        beside = submissions.resolve().parent / OVERRIDES_FILE  # the course root's, as course.toml
        path = overrides_file or (course.overrides if course else
                                  beside if beside.is_file() else None)
        if overrides_file is not None and not overrides_file.is_file():
            raise OverrideError(f"the overrides file {overrides_file} does not exist")
        overrides = load_overrides(path) if path is not None else []
        check(overrides, exercise_maxima(templates), path)
        return cls(course, overrides, path)

    @property
    def active(self) -> bool:
        return self.course is not None or bool(self.overrides)

    def finals(self, graded: list, folders: dict) -> dict[tuple[str, str], Final] | None:
        """(student, assignment) -> final score, for every graded record; None when inactive.

        ``folders``: (student, assignment) -> the submission folder (its timestamp.txt).
        """
        if not self.active:
            return None
        zone = self.course.timezone if self.course else UTC
        found = {}
        for r in graded:
            key = (r.student_id, r.assignment_id)
            try:
                submitted = timestamps.read(folders[key], zone) if self.course else None
            except timestamps.TimestampError as error:
                raise CourseError(str(error)) from None
            found[key] = final(r, self.course, self.overrides, submitted)
        unused = sorted({f"{o.student_id}/{o.assignment}" for o in self.overrides
                         if (o.student_id, o.assignment) not in found})
        if unused:
            print(f"warning: {self.overrides_path}: override(s) for {', '.join(unused)}, which "
                  "has no graded submission; not applied", file=sys.stderr)
        return found


def chosen(found: list, students: list[str] | None) -> list:
    """``--student``: only these students' submissions (each must have one)."""
    if not students:
        return found
    missing = sorted(set(students) - {s for s, _, _ in found})
    if missing:
        raise SelectionError(f"--student {', '.join(missing)}: no submission of theirs in the "
                             "submissions folder")
    return [f for f in found if f[0] in students]


def keep_others(notebooks: tuple, only: dict, assignment_id: str, old) -> tuple | None:
    """The notebooks to grade for ``--only``: each carries the exercises it keeps as they
    were graded (all but the selected ones); None when the assignment has none selected.
    Without an earlier record there is nothing to keep: all is graded."""
    picked = {nb: ids for (a, nb), ids in only.items() if a == assignment_id}
    if not picked:
        return None
    if old is None:
        return notebooks
    before = {nb.name: nb for nb in old.notebooks}
    return tuple(replace(nb, keep=tuple(
        e for e in before[nb.name].exercises if e.grade_id not in picked.get(nb.name, set())))
        if nb.name in before else nb for nb in notebooks)


def annotate_feedback(out: Path, graded: list, finals: dict | None) -> None:
    """Put the final-score box on every feedback page (or take a stale one off)."""
    from .atomic import atomic_write
    for r in graded:
        f = finals.get((r.student_id, r.assignment_id)) if finals else None
        for nb in r.notebooks:
            page_path = out / "feedback" / r.student_id / r.assignment_id / f"{nb.name}.html"
            try:
                page = page_path.read_text(encoding="utf-8")
            except OSError:
                continue  # a page that was never written (a grader error) has no box to carry
            new = shown.annotate(page, f)
            if new != page:
                atomic_write(page_path, new)
