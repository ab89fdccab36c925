"""The student version of every chapter, made by nbgrader's own GenerateAssignment converter.

nbgrader runs in a throwaway course folder whose ``source/<id>`` points at
``chapters/<id>``, so its gradebook and bookkeeping never touch the project. Each
released assignment gets its own copy of ``convlab`` and a zip; then every text file is
scanned for anything that must not reach a student.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from .course.source import PROJECT, find_assignments, nbgrader_config
from .course.submissions import InstructorError

FORBIDDEN = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "autograder.checks",
             "import solutions", "from solutions")
# A MyST target line such as `(convolution)=`: the book's cross-reference label, which
# JupyterLab and Notebook 7 would show to the student as literal text above the title.
MYST_TARGET = re.compile(r"^\([\w.:-]+\)=[ \t]*(\n|$)", re.MULTILINE)


def release(chapters: Path, out: Path) -> list[Path]:
    """Write ``out/<id>/`` and ``out/<id>.zip`` for every chapter; return the zips."""
    assignments = find_assignments(chapters)
    if not assignments:
        raise InstructorError(f"no chapters (folders with a notebook) in {chapters}")
    out.mkdir(parents=True, exist_ok=True)
    zips = []
    with tempfile.TemporaryDirectory(prefix="convlab-release-") as course:
        course = Path(course)
        (course / "source").mkdir()
        config = Config(nbgrader_config())
        config.merge(Config({"CourseDirectory": {
            "root": str(course), "source_directory": "source", "release_directory": "release",
            "db_url": f"sqlite:///{course / 'gradebook.db'}"}}))
        for assignment_id, assignment in assignments.items():
            (course / "source" / assignment_id).symlink_to(assignment.path.resolve())
            coursedir = CourseDirectory(config=config)
            coursedir.assignment_id = assignment_id
            converter = GenerateAssignment(coursedir=coursedir, config=config)
            converter.force = True
            converter.start()
            target = out / assignment_id
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(course / "release" / assignment_id, target)
            for notebook in target.glob("*.ipynb"):
                _drop_book_labels(notebook)
            shutil.copytree(PROJECT / "convlab", target / "convlab",
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            check_clean(target)
            zips.append(_zip(target))
    return zips


def _drop_book_labels(path: Path) -> None:
    """Remove MyST target lines from markdown cells; all else stays as nbgrader wrote it."""
    nb = nbformat.read(path, as_version=4)
    # nbgrader's own cells keep their source: a locked cell's checksum covers it
    labelled = [c for c in nb.cells if c.cell_type == "markdown" and "nbgrader" not in c.metadata
                and MYST_TARGET.search(c.source)]
    for cell in labelled:
        cell.source = MYST_TARGET.sub("", cell.source)
    if labelled:
        nbformat.write(nb, path)


def check_clean(folder: Path) -> None:
    """Refuse a release that carries solutions, hidden tests or the instructor packages."""
    for path in folder.rglob("*"):
        if path.is_dir() and path.name in ("solutions", "autograder"):
            raise InstructorError(f"{path} must not be released")
        if path.is_file() and path.suffix in (".ipynb", ".py", ".md", ".txt", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            leaks = [marker for marker in FORBIDDEN if marker in text]
            if leaks:
                raise InstructorError(f"{path} would give students {leaks}; fix the source")


def _zip(folder: Path) -> Path:
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder.parent))
    return archive
