"""Finding the submissions: ``<student_id>/<assignment_id>/<notebook>.ipynb``, nbgrader's layout."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .. import PROJECT
from ..sandbox.hostile_fs import UnsafeFile, open_directory, read_regular
from .records import Exercise
from .safe_text import has_hidden, shown
from .source import Assignment

MAX_NOTEBOOK_BYTES = 20 * 2**20  # a larger file is not graded (see kernel.assemble.read_cells)


class InstructorError(Exception):
    """A mistake in the command or the course folders: stop before grading anything."""


@dataclass(frozen=True)
class NotebookJob:
    name: str  # the source notebook's name (without .ipynb): what it is graded as
    source: str  # the source notebook, JSON text
    submitted: bytes | None  # the student's file; None when there is none to grade
    note: str = ""  # found while collecting: renamed, missing, ambiguous
    keep: tuple[Exercise, ...] = ()  # `grade --only`: exercises kept as graded, not rechecked


def find_submissions(root: Path, assignments: dict[str, Assignment]) -> list[tuple[str, str, Path]]:
    """(student_id, assignment_id, folder) of every submission, sorted.

    Anything else inside a student's folder is that student's problem, never the batch's:
    :func:`unplaced` lists it. A student's or assignment folder that is a symbolic link
    is listed too (names only, known assignments only): :func:`notebook_jobs` refuses it
    with the reason. Only a submissions folder that cannot be the submitted layout stops
    the batch: it does not exist, it holds assignment folders where student folders
    belong, or nothing in it is a known assignment while something looks like one.
    """
    if not root.is_dir():
        raise InstructorError(f"submissions folder {root} does not exist")
    expected = f"Expected {root}/<student_id>/<assignment_id>/"
    students = [p for p in _entries(root) if p.is_dir() and _visible(p)]
    misplaced = sorted(p.name for p in students if p.name in assignments)
    if misplaced:
        raise InstructorError(f"{root} holds assignment folder(s) {', '.join(misplaced)} where "
                              f"student folders belong. {expected}")
    found, unknown = [], set()
    for student in students:
        if not usable_name(student.name):
            continue  # see unplaced()
        for folder in (p for p in _entries(student) if p.is_dir() and _visible(p)):
            if folder.name in assignments:
                found.append((student.name, folder.name, folder))
            elif not student.is_symlink():
                unknown.add(shown(folder.name))
    if unknown and not found:
        raise InstructorError(
            f"unknown assignment(s) {', '.join(sorted(unknown))} in {root}, and no known one; "
            f"known: {', '.join(assignments) or 'none'}. {expected}")
    return found


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def usable_name(name: str) -> bool:
    """A folder name that can be a student id: text, with no control character in it."""
    return not has_hidden(name)


@dataclass(frozen=True)
class Unplaced:
    """Something under SUBMISSIONS that is not graded, and why (names already shown())."""

    student_id: str  # "" for the top level
    assignment_id: str  # "" when not inside an assignment folder
    path: str  # relative to SUBMISSIONS
    why: str


def unplaced(root: Path, assignments: dict[str, Assignment]) -> list[Unplaced]:
    """Every file and folder under ``root`` that grading does not use, with why."""
    layout = "expected <student_id>/<assignment_id>/<notebook>.ipynb"
    found = []

    def note(student: str, assignment: str, path: Path, why: str) -> None:
        relative = path.relative_to(root).as_posix() + ("/" if path.is_dir() else "")
        found.append(Unplaced(shown(student), shown(assignment), shown(relative), why))

    for entry in _entries(root):
        if not _visible(entry):
            note("", "", entry, "hidden (its name starts with . or _), not looked into")
        elif not entry.is_dir():
            note("", "", entry, f"a file at the top level, not in a student's folder: {layout}")
        elif not usable_name(entry.name):
            note(entry.name, "", entry, "the folder name is not usable as a student id (not "
                 "valid UTF-8, or it holds control characters): nothing in it was graded")
        elif not entry.is_symlink():  # a linked student folder is refused as a whole
            for item in _entries(entry):
                _unplaced_in_student(entry.name, item, assignments, layout, note)
    return found


def _unplaced_in_student(student: str, item: Path, assignments: dict[str, Assignment],
                         layout: str, note) -> None:
    if not _visible(item):
        note(student, "", item, "hidden (its name starts with . or _), not looked into")
    elif not item.is_dir():
        where = "a notebook" if item.suffix == ".ipynb" else "a file"
        note(student, "", item, f"{where} in the student's folder, not in an assignment "
             f"folder: {layout}")
    elif item.name not in assignments:
        note(student, "", item, "not a known assignment (known: "
             f"{', '.join(assignments)}): nothing in it was graded")
    elif not item.is_symlink():
        assignment = assignments[item.name]
        chosen = {path.name for path, _ in _matched(item, assignment).values() if path}
        for path in _entries(item):
            if not _visible(path):
                note(student, item.name, path, "hidden (its name starts with . or _), not "
                     "looked into")
            elif path.is_dir():
                note(student, item.name, path, "a folder inside the assignment folder, not "
                     f"looked into: {layout}")
            elif path.suffix != ".ipynb":
                note(student, item.name, path, "not a notebook, not graded")
            elif path.name not in chosen:
                graded = ", ".join(sorted(shown(n) for n in chosen)) or "none"
                wanted = ", ".join(n.name for n in assignment.notebooks)
                note(student, item.name, path, "another notebook for this assignment, not "
                     f"graded (graded: {graded}; expected {wanted})")


def notebook_jobs(folder: Path, assignment: Assignment) -> tuple[NotebookJob, ...]:
    """Match submitted files to the source notebooks, tolerating a renamed single notebook.

    Nothing is read through a symbolic link (a link to the instructor's source notebook
    would grade the solutions as the student's): a linked folder or notebook is refused,
    and so is anything that is not a regular file.
    """
    jobs = []
    for source, (path, note) in _matched(folder, assignment).items():
        data = None
        if path is not None:
            data, problem = _read(folder, path.name)
            note = "; ".join(n for n in (note, problem) if n)
        jobs.append(NotebookJob(source.stem, source.read_text(encoding="utf-8"), data, note))
    return tuple(jobs)


def _matched(folder: Path, assignment: Assignment) -> dict[Path, tuple[Path | None, str]]:
    """Each source notebook's submitted file (or None) and a note on how it was found."""
    refusal = _linked(folder)
    present = {} if refusal else {p.name: p for p in sorted(folder.glob("*.ipynb"))
                                  if _visible(p)}
    wanted = [nb.name for nb in assignment.notebooks]
    matched = {}
    for source in assignment.notebooks:
        path, note = present.get(source.name), refusal
        if path is None and not refusal:
            spare = [p for name, p in present.items() if name not in wanted]
            if len(wanted) == 1 and len(spare) == 1:
                path = spare[0]
                note = f"graded {shown(path.name)} as {source.name} (the notebook was renamed)"
            else:
                found = ", ".join(shown(n) for n in present) or "no notebook"
                note = f"{source.name} was not submitted (found: {found})"
        matched[source] = (path, note)
    return matched


def _linked(folder: Path) -> str:
    for path in (folder.parent, folder):
        if path.is_symlink():
            return (f"refused: {shown(path.name)}/ is a symbolic link, not a folder of the "
                    "submission")
    return ""


def _read(folder: Path, name: str) -> tuple[bytes | None, str]:
    """The file's bytes (no more than the grader accepts, plus one), or why not."""
    try:
        directory = open_directory(str(folder))
    except OSError as error:
        return None, f"refused: the folder could not be opened ({error.strerror})"
    try:
        return read_regular(directory, name, MAX_NOTEBOOK_BYTES + 1), ""
    except UnsafeFile as error:
        return None, f"refused: {shown(name)} {error}"
    except OSError as error:
        return None, f"refused: {shown(name)} could not be read ({error.strerror})"
    finally:
        os.close(directory)


def code_fingerprint(project: Path = PROJECT) -> str:
    """The fingerprint of the grading code installed at ``project`` (by default our own).

    A Dask worker computes it from its own installation: with ``pip install .`` the three
    packages sit side by side in site-packages, just as they do in a checkout.
    """
    return fingerprint(*(project / name for name in ("autograder", "solutions", "convlab")))


def fingerprint(*trees: Path) -> str:
    """A hash of the grading code, the reference and convlab: change them and all is regraded."""
    h = hashlib.sha256()
    for tree in trees:
        for path in sorted(tree.rglob("*.py")):
            h.update(str(path.relative_to(tree)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()
