"""``python -m autograder release|collect|grade|override|export``: the instructor's commands."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import os
import sys
from pathlib import Path

from . import PROJECT
from .sandbox import JAILS

# The heavy modules (nbformat, nbgrader, nbconvert, the checks) are imported by the
# commands that need them: `--help` and argument errors answer at once.


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder", description=(
        "Release the chapters to students, grade their submissions in a sandbox, and "
        "export the grades for a learning management system."))
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("release", help="write the student version of every chapter (+ zips)")
    r.add_argument("--out", type=Path, default=PROJECT / "build" / "release",
                   help="output folder (default: build/release/)")
    g = sub.add_parser("grade", help="grade SUBMISSIONS/<student_id>/<assignment_id>/*.ipynb")
    g.add_argument("submissions", type=Path, metavar="SUBMISSIONS")
    g.add_argument("--out", type=Path, default=PROJECT / "build" / "grading",
                   help="output folder (default: build/grading/)")
    g.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1,
                   help="submissions graded in parallel (default: the number of cores)")
    g.add_argument("--timeout", type=_positive_float, default=30.0,
                   help="seconds each cell may run (default: 30)")
    g.add_argument("--wall-clock", type=_positive_float, metavar="SEC",
                   help="seconds a whole submission may take, restarts and hidden checks "
                        "included; then it is scored with what finished (default: 20 x "
                        "--timeout, at least 120)")
    g.add_argument("--secret", type=Path, metavar="FILE",
                   help="the course secret each student's hidden cases are drawn from "
                        "(created on first use; default: the course file's, else "
                        ".course-secret, git-ignored)")
    g.add_argument("--force", action="store_true", help="regrade what is already graded")
    g.add_argument("--overrides", type=Path, metavar="FILE",
                   help="points set by hand (default: the course file's, else overrides.csv "
                        "beside SUBMISSIONS, if there is one)")
    g.add_argument("--only", metavar="EXERCISE",
                   help="regrade only this exercise (its name, grade_id or hidden check id, "
                        "e.g. ch01.conv2d); every other score is kept")
    g.add_argument("--student", action="append", metavar="ID",
                   help="grade only this student (repeatable); the others are kept")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run student code as yourself, unjailed (debugging only)")
    g.add_argument("--jail", choices=JAILS, default="auto",
                   help="how kernels are jailed: our own namespaces, bubblewrap, or the "
                        "first of them that works here (default: auto)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the Dask cluster of this scheduler (e.g. "
                        "tcp://10.0.0.5:8786) instead of local processes; --jobs is unused")
    e = sub.add_parser("export", help="write a graded folder's grades in Canvas's or "
                                      "Moodle's gradebook import format, or as a wide CSV")
    e.add_argument("graded", type=Path, metavar="GRADED_DIR",
                   help="a folder `grade` wrote (it holds grades.csv)")
    e.add_argument("--format", required=True, choices=["canvas", "moodle", "csv"],
                   help="the import format")
    e.add_argument("--roster", type=Path, metavar="FILE",
                   help="CSV: student_id and the LMS's identity columns (see README); every "
                        "roster student gets a row, missing submissions score 0 (blank in csv)")
    e.add_argument("--out", type=Path, metavar="FILE",
                   help="output file (default: GRADED_DIR/export-FORMAT.csv)")
    c = sub.add_parser("collect", help="turn a Canvas or Moodle submissions download (zip or "
                                       "folder) into SUBMISSIONS/<student_id>/<assignment_id>/")
    c.add_argument("download", type=Path, metavar="DOWNLOAD",
                   help="Canvas's 'Download Submissions' or Moodle's 'Download all "
                        "submissions' zip, or the folder it unpacks to")
    c.add_argument("--roster", type=Path, metavar="FILE",
                   help="CSV: student_id and the LMS identities (see README; default: the "
                        "course file's roster)")
    c.add_argument("--out", type=Path, default=Path("submitted"),
                   help="the submissions folder to write (default: submitted/)")
    c.add_argument("--assignment", metavar="ID",
                   help="the assignment every notebook is for (default: told by the "
                        "notebook's name)")
    c.add_argument("--worksheet", type=Path, metavar="FILE",
                   help="Moodle's grading worksheet (CSV): each submission's time")
    c.add_argument("--force", action="store_true",
                   help="replace what an earlier collection wrote")
    o = sub.add_parser("override", help="set an exercise's or a total's points by hand, with "
                                        "a comment; kept across regrades")
    o.add_argument("student", metavar="STUDENT_ID")
    o.add_argument("assignment", metavar="ASSIGNMENT_ID")
    o.add_argument("exercise", metavar="EXERCISE", help="an exercise's name, or 'total'")
    o.add_argument("points", type=float, metavar="POINTS")
    o.add_argument("--comment", required=True, help="why (shown to the student)")
    o.add_argument("--file", type=Path, metavar="FILE",
                   help="the overrides file (default: the course file's, or overrides.csv)")
    for q in (g, c, o):
        q.add_argument("--course", type=Path, metavar="FILE",
                       help="the course file: due dates, extensions, late policy, roster "
                            "(default: course.toml beside the submissions folder, if there is "
                            "one)")
    for q in (r, g, c):
        q.add_argument("--chapters", type=Path, default=PROJECT / "chapters",
                       help="the source assignments (default: chapters/)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "export":
        return export(args)
    if args.command in ("collect", "override"):
        from .course import commands
        return getattr(commands, args.command)(args)
    # nbgrader creates a gradebook by running the `alembic` script next to our interpreter.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    from .course.commands import SelectionError
    from .course.course_file import CourseError
    from .course.course_secret import SecretError
    from .course.overrides import OverrideError
    from .course.source import SourceError
    from .course.submissions import InstructorError
    try:
        if args.command == "release":
            from .release import release
            for path in release(args.chapters, args.out):
                print(path)
            return 0
        return grade(args)
    except (InstructorError, SourceError, SecretError, CourseError, OverrideError,
            SelectionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def export(args) -> int:
    from .course.roster import RosterError
    from .outputs.export import ExportError, write
    try:
        out, result = write(args.graded, args.format, args.roster, args.out)
    except (ExportError, RosterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({result.students} students, {args.format} format)", file=sys.stderr)
    if result.not_on_roster:
        students = sorted({s for s, *_ in result.not_on_roster})
        print(f"warning: {len(students)} graded student(s) not on the roster, not in {out}: "
              f"{', '.join(students)}; their grades are in {out}.not-on-roster.csv",
              file=sys.stderr)
    return 0


def _templates(chapters: Path):
    from .checks import CHECKS
    from .course.source import SourceError, find_assignments, parse_template
    from .course.submissions import InstructorError
    assignments = find_assignments(chapters)
    if not assignments:
        raise InstructorError(f"no chapters (folders with a notebook) in {chapters}")
    templates = {}
    for a in assignments.values():
        for path in a.notebooks:
            try:
                template = parse_template(path.read_text(encoding="utf-8"), CHECKS)
            except SourceError as error:
                raise InstructorError(f"{path}: {error}") from None
            for cell in template.tests:
                if not cell.checks:
                    print(f"warning: {path.name}: test cell {cell.grade_id!r} has no hidden "
                          "check; its points rest on the kernel's word", file=sys.stderr)
            templates[a.id, path.stem] = template
    return assignments, templates


def _meanwhile(db, templates) -> None:
    """What the parent does while its workers grade: the gradebook's tables, and the
    report's import (matplotlib: about a second before the first fork, otherwise)."""
    from .outputs import gradebook, report  # noqa: F401 - the import is the point

    gradebook.prepare(db, templates)


def grade(args) -> int:
    with contextlib.ExitStack() as stack:
        return _grade(args, stack)


def _grade(args, stack: contextlib.ExitStack) -> int:
    from . import batch, sandbox
    from .course import commands as course
    from .course import results
    from .course.course_secret import case_seed, load_or_create
    from .course.safe_text import safe
    from .course.submissions import (
        InstructorError,
        code_fingerprint,
        find_submissions,
        notebook_jobs,
        unplaced,
    )
    from .grade import Job
    from .outputs import gradebook
    from .sandbox import Limits, machine, unsandboxed_warning

    assignments, templates = _templates(args.chapters)
    found = find_submissions(args.submissions, assignments)
    setting = course.Setting.load(args.course, args.overrides, args.submissions, assignments,
                                  templates)
    selected = course.chosen(found, args.student)
    only = course.selected_exercises(args.only, templates) if args.only else None
    strays = unplaced(args.submissions, assignments)
    for u in strays:
        print(f"not graded: {args.submissions}/{u.path}: {u.why}", file=sys.stderr)
    code = code_fingerprint()
    if args.scheduler:  # dask is imported only here: it takes a while
        from . import cluster
        # How kernels are jailed is decided where they run: each worker must be able to.
        jail = "none" if args.no_sandbox else args.jail
        expected = cluster.identity()
        client = stack.enter_context(cluster.connect(args.scheduler, expected, jail))
        run = functools.partial(cluster.run, client, expected=expected)
    else:
        jail = "none" if args.no_sandbox or not sandbox.can_sandbox() else args.jail
        if problem := sandbox.sandbox_problem(jail):  # root, but e.g. in a container
            raise InstructorError(f"this machine cannot grade sandboxed: {problem}; pass "
                                  "--no-sandbox to run student code unjailed (unsafe)")
        chosen = sandbox.named(jail)  # once, here, for every job of this process's pool
        jail = chosen.name
        jobs = args.jobs
        if chosen.one_kernel_at_a_time and jobs > 1:
            print(f"note: {chosen.label()}: kernels share one process limit, so one "
                  "submission at a time (--jobs 1)", file=sys.stderr)
            jobs = 1
        run = functools.partial(batch.run, sandbox=chosen, workers=jobs)
        if chosen.jailed:
            print(chosen.describe(), file=sys.stderr)
    if jail == "none":
        unsandboxed_warning()
    default_secret = setting.course.secret if setting.course and setting.course.secret else None
    secret = load_or_create(args.secret or default_secret or PROJECT / ".course-secret")
    wall_clock = args.wall_clock or max(120.0, 20 * args.timeout)
    jobs, skipped = [], 0
    for student_id, assignment_id, folder in selected:
        job = Job(student_id, assignment_id, notebook_jobs(folder, assignments[assignment_id]),
                  support=str(PROJECT / "convlab"), timeout=args.timeout, wall_clock=wall_clock,
                  case_seed=case_seed(secret, student_id, assignment_id), code=code, jail=jail,
                  limits=Limits())
        if only is not None:  # that exercise again, every other one as it was graded
            notebooks = course.keep_others(job.notebooks, only, assignment_id,
                                           results.load(args.out, student_id, assignment_id))
            if notebooks is None:  # the exercise is not in this assignment
                continue
            job = dataclasses.replace(job, notebooks=notebooks)  # same key: keep is not in it
        elif not args.force and results.is_done(args.out, student_id, assignment_id, job.key):
            skipped += 1
            continue
        jobs.append(job)
    print(f"{len(selected)} submissions: {len(jobs)} to grade, {skipped} already graded"
          + (" (use --force to regrade)" if skipped else ""), file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "gradebook.db"
    errors = run(jobs, args.out, meanwhile=lambda: _meanwhile(db, templates))
    if args.scheduler and jail != "none":  # the system users the workers made (README)
        errors += cluster.end_batch(client)
    graded = [r for s, a, _ in found if (r := results.load(args.out, s, a)) is not None]
    finals = setting.finals(graded, {(s, a): f for s, a, f in found})
    results.write_tables(args.out, graded, finals, strays)
    course.annotate_feedback(args.out, graded, finals)
    gradebook.record(db, graded)
    from .outputs import report  # imported by _meanwhile already, while the workers ran
    results.atomic_write(args.out / "report.html", report.build(graded, jail != "none", finals))
    for line in errors:
        print(f"warning: {safe(line)}", file=sys.stderr)
    if not args.scheduler and jail != "none" and machine.jail_mode() == "root":
        machine.remove_slot_users()  # the system users this batch made (README: Grading)
    problems = sum(len(r.problems) for r in graded) + len(strays)
    print(f"wrote {args.out / 'grades.csv'} ({len(graded)} rows), feedback/, problems.csv "
          f"({problems} problems), report.html, gradebook.db", file=sys.stderr)
    return 0
