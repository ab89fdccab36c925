"""The student version of a source notebook, and the one list of what must never reach a
student: used by ``release``, by the book build and by the grader's template alike.

The notebook is made with nbgrader's own preprocessors, in the order of nbgrader's
``GenerateAssignment`` less the steps that need a gradebook database (``SaveCells``) or
course files (``IncludeHeaderFooter``, ``InstantiateTests``), so the grader, the release,
the book and plain ``nbgrader generate_assignment`` agree on what a student was given. Two
differences of medium are options: the release drops the book's MyST labels (JupyterLab
would show them as text), the book tags exercise cells so that its build does not run the
stubs.

:data:`LEAK_MARKERS` is the union of what the release and the book refused before they
shared it: nbgrader's solution, hidden-test and mark-scheme delimiters, and the imports of
the instructor packages (``autograder.checks`` in a hidden test, ``solutions`` anywhere).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = Path(__file__).parents[1] / "nbgrader_config.py"
PREPROCESSORS = (
    LockCells,
    ClearSolutions,
    ClearOutput,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
)
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME",
                "autograder.checks", "import solutions", "from solutions")
# MyST-NB (through nbclient) shows these cells but does not run them: on the stubs they
# would only raise NotImplementedError, and the build treats a failing cell as an error.
SKIP_TAG = "skip-execution"
# A MyST target line such as `(convolution)=`: the book's cross-reference label, which
# JupyterLab and Notebook 7 would show to the student as literal text above the title.
MYST_TARGET = re.compile(r"^\([\w.:-]+\)=[ \t]*(\n|$)", re.MULTILINE)


@lru_cache(maxsize=1)
def nbgrader_config() -> Config:
    """The course's nbgrader config: the delimiters and stubs of every student version."""
    return PyFileConfigLoader(CONFIG_FILE.name, str(CONFIG_FILE.parent)).load_config()


class LeakError(ValueError):
    """Instructor-only text would reach a student."""


def markers_in(data: bytes | str) -> list[str]:
    """The :data:`LEAK_MARKERS` that ``data`` contains."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return [m for m in LEAK_MARKERS if m.encode() in data]


def is_exercise(cell) -> bool:
    """An answer cell or a check cell: both need the student's code to run."""
    return cell.cell_type == "code" and (utils.is_solution(cell) or utils.is_grade(cell))


def given_source(cell, config: Config | None = None) -> str:
    """The text of one source cell as the student version has it (solutions stubbed,
    hidden tests removed): what the grader restores when a student deletes the cell."""
    config = config if config is not None else nbgrader_config()
    given = nbformat.from_dict(json.loads(json.dumps(cell)))
    ClearSolutions(config=config)._replace_solution_region(given, "python")
    ClearHiddenTests(config=config)._remove_hidden_test_region(given)
    return given.source


def student_notebook(nb, config: Config | None = None, *, for_book: bool = False):
    """``nb`` as students get it; raise :class:`LeakError` if instructor text is left.

    ``for_book``: exercise cells are tagged to skip execution and MyST labels stay (the
    book's cross-references); otherwise the labels are dropped (a notebook for JupyterLab).
    """
    config = config if config is not None else nbgrader_config()
    resources: dict = {}
    preprocessors = [cls(config=config) for cls in PREPROCESSORS]
    try:
        for preprocessor in preprocessors:
            nb, resources = preprocessor.preprocess(nb, resources)
    except RuntimeError as error:  # nbgrader's word for a region it cannot clear
        raise LeakError(f"nbgrader cannot make the student version: {error}") from error
    for cell in nb.cells:
        if for_book and is_exercise(cell):
            tags = cell.metadata.setdefault("tags", [])
            if SKIP_TAG not in tags:
                tags.append(SKIP_TAG)
        elif not for_book and _labelled(cell):
            cell.source = MYST_TARGET.sub("", cell.source)
    _refuse_leftovers(nb, preprocessors)
    return nb


def _labelled(cell) -> bool:
    # nbgrader's own cells keep their source: a locked cell's checksum covers it
    return (cell.cell_type == "markdown" and "nbgrader" not in cell.metadata
            and MYST_TARGET.search(cell.source) is not None)


def _refuse_leftovers(nb, preprocessors) -> None:
    """Fail loudly if a delimiter survived (e.g. a typo such as `### BEGIN SOLUTON` above it)
    or a cell still names an instructor package."""
    delimiters = [getattr(p, name) for p in preprocessors for name in dir(type(p))
                  if name.endswith("_delimeter")]
    for index, cell in enumerate(nb.cells):
        found = [m for m in delimiters if m in cell.source] + markers_in(cell.source)
        if found:
            raise LeakError(f"cell {index} still contains {sorted(set(found))} in the student "
                            "version")


def student_version(source: Path, config: Config | None = None, *, for_book: bool = False
                    ) -> bytes:
    """The student version of the notebook file at ``source``, as nbformat 4 JSON bytes."""
    nb = nbformat.read(source, as_version=4)
    try:
        nb = student_notebook(nb, config, for_book=for_book)
    except Exception as error:  # nbgrader's errors do not name the notebook
        raise LeakError(f"{source}: cannot make the student version: {error}") from error
    return (nbformat.writes(nb) + "\n").encode()


def leaks(root: Path, suffixes: tuple[str, ...] | None = None) -> list[str]:
    """``path: marker`` for every file under ``root`` (of ``suffixes``, or any) holding a
    marker: a last scan of whatever is given out, since a file may also quote one from
    elsewhere (a copied file, a cell output)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if suffixes is None or path.suffix in suffixes:
            found.extend(f"{path.relative_to(root)}: {m}" for m in markers_in(path.read_bytes()))
    return found
