"""Paste tests: an answer assembled from the book's own cells must lose its exercise.

DESIGN.md's measurable rule: an exercise is *copyable* when an answer made of the book's
narrative code cells and displayed formulas, plus at most five lines of glue, passes its hidden
check. A chapter's paste test lists, per graded exercise, the answer a student would assemble
that way (:class:`Paste`) and asserts that the hidden check refuses it, with the notebook's
cases and with the cases of several students.

A paste names the narrative cells it takes by a phrase each contains (``("01", "def
corr2d")``), so the test reads the cells from the notebooks as they stand: when the text
changes, the paste changes with it, and a cell that no longer exists fails the test instead of
silently passing it. The cells run in one namespace, in the order given, after the chapter's
import cell; then the glue, which must define the exercise's function. The glue is where a
displayed formula is transcribed; it is held to five lines, counted as a plain writing of it
would take them (:func:`glue_lines`: statements, lambdas, ``:=`` and tuple assignments each
count), so packing several lines into one with ``;``, lambdas in a tuple or walruses does not
stretch the rule.

What glue may hold: the book's displayed formulas transcribed, the cells wired together, and
any *mechanical* search around them (brute force over a forward formula, bisection, a grid
search, probing the book's code with unit impulses, a cell edited in place). A formula the
text does not display is a derivation, and a paste that needs one shows understanding: it is
not a paste. Each paste's ``what`` names the mechanical trick it tries.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from mutants import CHAPTERS, hidden_calls, parts, verdict

GLUE_LINES = 5
LINE_WIDTH = 88  # black's and ruff's default: what "a line" holds when written plainly


@dataclass(frozen=True)
class Paste:
    """The answer a copying student assembles: the book's cells (chapter, phrase in the cell),
    at most five lines of glue, and the name the glue defines (the exercise's function)."""

    what: str
    cells: tuple[tuple[str, str], ...]
    glue: str
    name: str


def narrative_cells(chapter: str) -> list[str]:
    """The code cells of a chapter's text: every code cell that is not an nbgrader cell."""
    path, = CHAPTERS.glob(f"{chapter}_*/{chapter}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells
            if c["cell_type"] == "code" and "nbgrader" not in c.get("metadata", {})]


def cell(chapter: str, phrase: str) -> str:
    """The one narrative cell of ``chapter`` that contains ``phrase``."""
    found = [source for source in narrative_cells(chapter) if phrase in source]
    assert len(found) == 1, f"{chapter}: {len(found)} narrative cells contain {phrase!r}"
    return found[0]


def glue_lines(glue: str) -> int:
    """The glue's length in the lines it would take written plainly: one per statement
    (``a = 1; b = 2`` is two), plus one per ``lambda`` and per ``:=`` (each is a definition
    or an assignment that a plain line would hold), plus one per extra target of a tuple
    assignment (``a, b = f(), g()`` is two). A comprehension stays one line. A statement
    wider than :data:`LINE_WIDTH`, written as ``ast.unparse`` writes it (no comments, single
    spaces), takes as many lines as that width goes into it: one 1,500-character
    expression chaining a chapter's cells is seventeen lines, not one."""
    count = 0
    for node in ast.walk(ast.parse(glue)):
        count += isinstance(node, (ast.Lambda, ast.NamedExpr))
        if isinstance(node, ast.stmt):
            count += -(-len(_own_text(node)) // LINE_WIDTH) or 1
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            count += sum(max(0, len(t.elts) - 1) for t in node.targets
                         if isinstance(t, ast.Tuple))
    return count


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _own_text(statement: ast.stmt) -> str:
    """A statement as one plain line, without the statements nested in it: a compound
    statement's header (``for i in range(n):``, decorators left out), a simple one whole."""
    lines = ast.unparse(statement).splitlines()
    if any(getattr(statement, field, None) for field in _BODIES):
        return next(line for line in lines if not line.startswith("@"))
    return " ".join(line.strip() for line in lines)


def pasted(paste: Paste, chapter: str | None = None) -> Callable:
    """The function the paste defines, after running its cells and glue as a kernel would:
    the import cell of ``chapter`` (the exercise's own, as in the student's notebook) and of
    every chapter it takes cells from run first, so a paste of glue alone has ``np``."""
    namespace: dict = {"__name__": "__main__"}
    chapters = dict.fromkeys([*([chapter] if chapter else []),
                              *(c for c, _ in paste.cells)])
    sources = [narrative_cells(chapter)[0] for chapter in chapters]  # each chapter's imports
    sources += [cell(chapter, phrase) for chapter, phrase in paste.cells]
    with contextlib.redirect_stdout(io.StringIO()):
        for source in [*sources, paste.glue]:
            exec(compile(source, paste.what, "exec"), namespace)  # noqa: S102 - the book's code
    return namespace[paste.name]


def reader_answer(path: Path, name: str):
    """The function ``name`` a reader's file defines (tests/fixtures/reader_pastes: the book's
    cells copied verbatim, each edited line and each glue line marked), its output silenced."""
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    return namespace[name]


def refused_test(pastes: dict[str, list[Paste]], seeds: tuple[int | None, ...] = (None, 1, 2),
                 verdict: Callable = verdict):
    """A chapter's test that every paste loses its exercise, with the notebook's cases and with
    those of students holding ``seeds``; and that every graded exercise has a paste. Used as
    ``test_pasted_answer_loses_the_exercise = refused_test(PASTES)``."""
    params = [pytest.param(check_id, p, id=f"{check_id}:{p.what}")
              for check_id, ps in pastes.items() for p in ps]

    @pytest.mark.parametrize("seed", seeds, ids=lambda s: "notebook" if s is None else f"seed{s}")
    @pytest.mark.parametrize(("check_id", "paste"), params)
    def test(check_id, paste, seed):
        fn = pasted(paste, chapter=check_id[2:4])
        complaints = [c for part in parts(check_id) if (c := verdict(part, fn, seed)) is not None]
        assert complaints, f"{check_id}: the pasted answer '{paste.what}' passed"
        # refused for a name the paste lacks proves nothing about the exercise
        assert not any("NameError" in c for c in complaints), complaints

    return test


def coverage_test(pastes: dict[str, list[Paste]], longer: dict[str, str] | None = None):
    """A chapter's test that every graded exercise has at least one paste within the rule's
    five lines. Longer pastes may stand beside it: a refused answer is worth keeping refused
    (a reader's 9-line attempt, a packed one-liner unpacked), it just does not prove the rule.

    ``longer`` names the exercises whose shortest honest paste needs more than five lines
    (check id -> why, e.g. a training loop); each still needs a paste, of any length."""
    longer = longer or {}

    def test():
        chapter = next(iter(pastes))[2:4]
        covered = {part for check_id, ps in pastes.items() for part in parts(check_id)
                   if check_id in longer or any(glue_lines(p.glue) <= GLUE_LINES for p in ps)}
        assert covered == set(hidden_calls(chapter)), (
            f"every graded exercise needs a paste of at most {GLUE_LINES} lines of glue")
        assert all(longer[c] and pastes.get(c) for c in longer), "say why, and keep a paste"

    return test
