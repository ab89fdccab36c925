"""Finding the submissions: ``<student_id>/<assignment_id>/<notebook>.ipynb``, nbgrader's layout."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .. import PROJECT
from ..sandbox.hostile_fs import UnsafeFile, open_directory, read_regular
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


def find_submissions(root: Path, assignments: dict[str, Assignment]) -> list[tuple[str, str, Path]]:
    """(student_id, assignment_id, folder) of every submission, sorted.

    A student's or assignment folder that is a symbolic link is listed too (names only,
    known assignments only): :func:`notebook_jobs` refuses it with the reason.
    """
    if not root.is_dir():
        raise InstructorError(f"submissions folder {root} does not exist")
    found, unknown = [], set()
    for student in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        linked = student.is_symlink()
        for folder in sorted(p for p in student.iterdir() if p.is_dir() and _visible(p)):
            if folder.name in assignments:
                found.append((student.name, folder.name, folder))
            elif not linked:  # a linked folder's other names are not the instructor's
                unknown.add(folder.name)
    if unknown:
        raise InstructorError(
            f"unknown assignment(s) {', '.join(sorted(unknown))} in {root}; known: "
            f"{', '.join(assignments) or 'none'}. Expected {root}/<student_id>/<assignment_id>/")
    return found


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def notebook_jobs(folder: Path, assignment: Assignment) -> tuple[NotebookJob, ...]:
    """Match submitted files to the source notebooks, tolerating a renamed single notebook.

    Nothing is read through a symbolic link (a link to the instructor's source notebook
    would grade the solutions as the student's): a linked folder or notebook is refused,
    and so is anything that is not a regular file.
    """
    refusal = _linked(folder)
    present = {} if refusal else {p.name: p for p in sorted(folder.glob("*.ipynb"))
                                  if _visible(p)}
    wanted = [nb.name for nb in assignment.notebooks]
    jobs = []
    for source in assignment.notebooks:
        path, note = present.get(source.name), refusal
        if path is None and not refusal:
            spare = [p for name, p in present.items() if name not in wanted]
            if len(wanted) == 1 and len(spare) == 1:
                path = spare[0]
                note = f"graded {path.name} as {source.name} (the notebook was renamed)"
            else:
                found = ", ".join(present) or "no notebook"
                note = f"{source.name} was not submitted (found: {found})"
        data = None
        if path is not None:
            data, problem = _read(folder, path.name)
            note = "; ".join(n for n in (note, problem) if n)
        jobs.append(NotebookJob(source.stem, source.read_text(encoding="utf-8"), data, note))
    return tuple(jobs)


def _linked(folder: Path) -> str:
    for path in (folder.parent, folder):
        if path.is_symlink():
            return f"refused: {path.name}/ is a symbolic link, not a folder of the submission"
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
        return None, f"refused: {name} {error}"
    except OSError as error:
        return None, f"refused: {name} could not be read ({error.strerror})"
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


def digest(notebooks: tuple[NotebookJob, ...], *settings) -> str:
    h = hashlib.sha256(repr(settings).encode())
    for nb in notebooks:
        h.update(nb.source.encode())
        h.update(nb.submitted if nb.submitted is not None else b"\0missing")
        h.update(nb.note.encode())
    return h.hexdigest()
