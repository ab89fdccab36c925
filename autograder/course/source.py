"""The instructor's source notebooks: where they are and what each cell is for.

A chapter folder ``chapters/<assignment_id>/`` is one nbgrader assignment. Its cells are
read with nbgrader's own metadata rules (``nbgrader.utils``); the student-visible text of
a cell comes from student.py, which makes the release and the book too, so the grader,
the release and the book agree on what a student was given.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader import utils

from .. import PROJECT  # noqa: F401 - re-exported for the modules that read the course
from .student import given_source, nbgrader_config

CHECK_IMPORT = "from autograder.checks import check"


class SourceError(ValueError):
    """The instructor's source notebook breaks a rule the grader relies on."""


@dataclass(frozen=True)
class Assignment:
    id: str
    path: Path
    notebooks: tuple[Path, ...]  # the source notebooks, sorted


def find_assignments(chapters: Path) -> dict[str, Assignment]:
    """Every chapter folder holding at least one notebook, by assignment id."""
    found = {}
    for folder in sorted(p for p in chapters.iterdir() if p.is_dir()) if chapters.is_dir() else []:
        notebooks = tuple(sorted(folder.glob("*.ipynb")))
        if notebooks and not folder.name.startswith((".", "_")):
            found[folder.name] = Assignment(folder.name, folder, notebooks)
    return found


@dataclass(frozen=True)
class HiddenCheck:
    check_id: str
    expr: str  # the instructor's expression for the student's function, e.g. "output_size"


@dataclass(frozen=True)
class TemplateCell:
    """One cell of the source notebook and the role the grader gives it."""

    index: int
    role: str  # "solution" | "test" | "locked" | "plain"
    cell_type: str
    source: str  # what runs when the student's version is not used
    given: str  # what the student was given (solutions stubbed, hidden tests removed)
    grade_id: str | None = None
    cell_id: str | None = None
    points: float = 0.0
    checks: tuple[HiddenCheck, ...] = ()


@dataclass(frozen=True)
class Template:
    cells: tuple[TemplateCell, ...]

    @property
    def tests(self) -> tuple[TemplateCell, ...]:
        return tuple(c for c in self.cells if c.role == "test")

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.tests)


def parse_template(text: str, known_checks=None) -> Template:
    """Read a source notebook (JSON text) into cells with roles; raise SourceError if unusable."""
    nb = nbformat.reads(text, as_version=4)
    config = nbgrader_config()
    cells = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        given = given_source(cell, config)
        common = dict(index=index, cell_type=cell.cell_type, given=given,
                      grade_id=grade_id, cell_id=cell.get("id"))
        if utils.is_solution(cell):
            if utils.is_grade(cell):
                raise SourceError(f"cell {grade_id!r}: manually graded answers are not supported")
            cells.append(TemplateCell(role="solution", source=given, **common))
        elif utils.is_grade(cell):
            if cell.cell_type != "code":
                raise SourceError(f"cell {grade_id!r}: a graded cell must be a code cell")
            checks = hidden_checks(cell.source, grade_id, known_checks)
            cells.append(TemplateCell(role="test", source=given, points=float(
                meta.get("points", 0)), checks=checks, **common))
        elif utils.is_locked(cell):
            cells.append(TemplateCell(role="locked", source=cell.source, **common))
        else:
            cells.append(TemplateCell(role="plain", source=cell.source, **common))
    ids = [c.grade_id for c in cells if c.grade_id]
    if len(ids) != len(set(ids)):
        raise SourceError(f"duplicate grade_id in {sorted(i for i in ids if ids.count(i) > 1)}")
    return Template(tuple(cells))


def hidden_checks(source: str, grade_id, known_checks) -> tuple[HiddenCheck, ...]:
    """The ``check("<id>", <function>)`` calls of a test cell's hidden region, and nothing else.

    The grader replaces the region by a recorder, so anything else there would silently
    not run: refuse it.
    """
    config = nbgrader_config().ClearHiddenTests
    lines, inside = [], False
    for line in source.split("\n"):
        if config.begin_test_delimeter in line:
            inside = True
        elif config.end_test_delimeter in line:
            inside = False
        elif inside:
            lines.append(line)
    checks = []
    for stmt in ast.parse("\n".join(lines)).body:
        if ast.unparse(stmt) == CHECK_IMPORT:
            continue
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "check" and len(call.args) == 2 and not call.keywords
                and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
            raise SourceError(f"test cell {grade_id!r}: the hidden region may only hold "
                              f"`{CHECK_IMPORT}` and check(\"<id>\", <function>) lines, "
                              f"not {ast.unparse(stmt)!r}")
        check_id = call.args[0].value
        if known_checks is not None and check_id not in known_checks:
            raise SourceError(f"test cell {grade_id!r}: unknown check {check_id!r}")
        checks.append(HiddenCheck(check_id, ast.unparse(call.args[1])))
    return tuple(checks)
