"""Finding the submissions: ``<student_id>/<assignment_id>/<notebook>.ipynb``, nbgrader's layout."""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import PROJECT
from .assemble import MAX_NOTEBOOK_BYTES
from .grade import NotebookJob
from .source import Assignment


class InstructorError(Exception):
    """A mistake in the command or the course folders: stop before grading anything."""


def find_submissions(root: Path, assignments: dict[str, Assignment]) -> list[tuple[str, str, Path]]:
    """(student_id, assignment_id, folder) of every submission, sorted."""
    if not root.is_dir():
        raise InstructorError(f"submissions folder {root} does not exist")
    found, unknown = [], set()
    for student in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        for folder in sorted(p for p in student.iterdir() if p.is_dir() and _visible(p)):
            if folder.name in assignments:
                found.append((student.name, folder.name, folder))
            else:
                unknown.add(folder.name)
    if unknown:
        raise InstructorError(
            f"unknown assignment(s) {', '.join(sorted(unknown))} in {root}; known: "
            f"{', '.join(assignments) or 'none'}. Expected {root}/<student_id>/<assignment_id>/")
    return found


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def notebook_jobs(folder: Path, assignment: Assignment) -> tuple[NotebookJob, ...]:
    """Match submitted files to the source notebooks, tolerating a renamed single notebook."""
    present = {p.name: p for p in sorted(folder.glob("*.ipynb")) if _visible(p)}
    wanted = [nb.name for nb in assignment.notebooks]
    jobs = []
    for source in assignment.notebooks:
        path, note = present.get(source.name), ""
        if path is None:
            spare = [p for name, p in present.items() if name not in wanted]
            if len(wanted) == 1 and len(spare) == 1:
                path = spare[0]
                note = f"graded {path.name} as {source.name} (the notebook was renamed)"
            else:
                found = ", ".join(present) or "no notebook"
                note = f"{source.name} was not submitted (found: {found})"
        jobs.append(NotebookJob(source.stem, source.read_text(encoding="utf-8"),
                                _read(path) if path else None, note))
    return tuple(jobs)


def _read(path: Path) -> bytes:
    with open(path, "rb") as f:  # no more than the grader would accept, plus one byte
        return f.read(MAX_NOTEBOOK_BYTES + 1)


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
