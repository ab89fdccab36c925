"""The release: every chapter's student version, with its own ``convlab``, the student's
``requirements.txt`` and ``README.md`` (:mod:`.course.handout`), the named mistakes its
visible checks can recognise (:mod:`.course.visible_mistakes`), and a zip.

The notebooks are made by :mod:`.course.student` (nbgrader's own preprocessors, the same
as the book's); any other file of a chapter folder is copied as nbgrader's
``generate_assignment`` would copy it. Then every text file of the release is scanned for
:data:`~.course.student.LEAK_MARKERS` before it is zipped.
"""

from __future__ import annotations

import fnmatch
import shutil
import zipfile
from pathlib import Path

from .course import handout, student, visible_mistakes
from .course.source import PROJECT, find_assignments
from .course.student import nbgrader_config
from .course.submissions import InstructorError

TEXT_SUFFIXES = (".ipynb", ".py", ".md", ".txt", ".json")


def release(chapters: Path, out: Path) -> list[Path]:
    """Write ``out/<id>/`` and ``out/<id>.zip`` for every chapter; return the zips."""
    assignments = find_assignments(chapters)
    if not assignments:
        raise InstructorError(f"no chapters (folders with a notebook) in {chapters}")
    out.mkdir(parents=True, exist_ok=True)
    config = nbgrader_config()
    ignore = list(config.CourseDirectory.ignore)
    zips = []
    for assignment_id, assignment in assignments.items():
        target = out / assignment_id
        shutil.rmtree(target, ignore_errors=True)
        for path in sorted(p for p in assignment.path.rglob("*") if p.is_file()):
            relpath = path.relative_to(assignment.path)
            if any(fnmatch.fnmatch(part, pattern) for part in relpath.parts for pattern in ignore):
                continue
            (target / relpath).parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".ipynb":
                try:
                    (target / relpath).write_bytes(student.student_version(path, config))
                except student.LeakError as error:
                    raise InstructorError(f"{error}; fix the source") from None
            else:
                shutil.copy2(path, target / relpath)
        shutil.copytree(PROJECT / "convlab", target / "convlab",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        handout.write(target, target / "convlab", PROJECT / "constraints.txt")
        visible_mistakes.write(assignment.notebooks, target / "convlab")
        check_clean(target)
        zips.append(_zip(target))
    return zips


def check_clean(folder: Path) -> None:
    """Refuse a release that carries solutions, hidden tests or the instructor packages."""
    for path in folder.rglob("*"):
        if path.is_dir() and path.name in ("solutions", "autograder"):
            raise InstructorError(f"{path} must not be released")
    if found := student.leaks(folder, TEXT_SUFFIXES):
        raise InstructorError(f"the release in {folder} would give students {found}; "
                              "fix the source")


def _zip(folder: Path) -> Path:
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder.parent))
    return archive
