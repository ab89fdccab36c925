"""The likely mistakes a visible check can name, computed from the hidden catalogue.

A visible check (``convlab.selfcheck.expect``) holds its cases as literals, and the answer
it expects; it cannot hold the hidden check's named mistakes (each is a function of the
reference solution). So the release runs each test cell's visible part once per named
mistake of its hidden check, with the exercise's function replaced by the mistake's
answer, and writes what each ``expect`` would have received into the release's
``convlab/likely_mistakes.json``: per check (its ``why`` text), the mistake's name, its
advice and that wrong answer. When a student's answer fails a visible check and equals one
of them, ``expect`` names the mistake in the words the hidden check uses. The catalogue in
``autograder/checks`` stays the one source: nothing is written by hand twice.

Only the wrong answers are written, never the reference's: the expected values are already
literals in the cell, and a table of named wrong answers reveals no method.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convlab.selfcheck import agrees

from ..checks import CHECKS
from ..checks.core import to_plain
from .source import parse_template

FILE = "likely_mistakes.json"  # read by convlab/selfcheck.py, beside it in the package
MAX_VALUES = 10_000  # a visible case is small; a bigger answer is not worth shipping


class _Stop(Exception):
    """Raised by a mistake's answer or the cell after it: the rest of the cell is skipped."""


@dataclass(frozen=True)
class VisibleCheck:
    """One hidden check's test cell, as the release runs its visible part: the chapter's
    import cell first, the student's function ``name`` called as its stub's ``signature``."""

    check_id: str
    name: str
    visible: str
    imports: str
    signature: inspect.Signature

    def received(self, answer) -> dict[str, object]:
        """What each ``expect`` of the visible part receives when the student's function
        computes ``answer`` from the case's arguments in order (defaults filled in):
        ``{why: plain value}``; an ``expect`` the cell never reaches is missing."""
        got: dict[str, object] = {}

        def expect(value, expected, why, atol=1e-6):
            del expected, atol
            try:
                plain = to_plain(value)
            except Exception:  # noqa: BLE001 - a value the table cannot hold is left out
                return
            if isinstance(plain, np.ndarray) and plain.size <= MAX_VALUES:
                got[why] = plain.tolist()

        def function(*args, **kwargs):
            try:
                bound = self.signature.bind(*args, **kwargs)
                bound.apply_defaults()
                return answer(*bound.arguments.values())
            except Exception as error:  # noqa: BLE001 - this mistake has no answer here
                raise _Stop from error

        namespace = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compile(self.imports, "imports", "exec"), namespace)  # noqa: S102
                namespace.update({self.name: function, "expect": expect})
                exec(compile(self.visible, "visible check", "exec"), namespace)  # noqa: S102
            except Exception:  # noqa: BLE001 - _Stop, or a cell that needs an earlier cell
                pass
        return got


def visible_checks(notebook: Path) -> list[VisibleCheck]:
    """Every hidden check of a source notebook whose test cell can run alone, with the
    student's function called directly (a wrapped one gets other arguments than the case's)."""
    template = parse_template(notebook.read_text(encoding="utf-8"), CHECKS)
    imports = next((c.source for c in template.cells if c.cell_type == "code"), "")
    stubs = _stubs(imports, "\n".join(c.given for c in template.cells if c.role == "solution"))
    return [VisibleCheck(hidden.check_id, hidden.expr, cell.given, imports,
                         inspect.signature(stubs[hidden.expr]))
            for cell in template.tests for hidden in cell.checks
            if callable(stubs.get(hidden.expr))]


def table(notebook: Path) -> dict[str, list[list]]:
    """``{why: [[mistake name, advice, wrong answer], ...]}`` for a source notebook."""
    found: dict[str, list[list]] = {}
    for visible in visible_checks(notebook):
        check = CHECKS[visible.check_id]
        right = visible.received(check.reference)
        for mistake in check.mistakes:
            for why, value in visible.received(mistake.answer).items():
                if why in right and not agrees(value, right[why]):
                    found.setdefault(why, []).append([mistake.name, mistake.advice, value])
    return found


def write(assignment_notebooks, convlab_dir: Path) -> None:
    """The table of every notebook of an assignment, as ``convlab_dir/likely_mistakes.json``."""
    merged: dict[str, list[list]] = {}
    for notebook in assignment_notebooks:
        merged.update(table(notebook))
    (convlab_dir / FILE).write_text(json.dumps(merged, sort_keys=True) + "\n", encoding="utf-8")


def _stubs(imports: str, stubs: str) -> dict:
    """The names the solution cells' stubs define (once per notebook), or none if they
    need an earlier cell."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(compile(imports + "\n" + stubs, "stubs", "exec"), namespace)  # noqa: S102
        except Exception:  # noqa: BLE001 - a stub that needs an earlier cell
            return {}
    return namespace


def whys(visible: str) -> list[str]:
    """The ``why`` texts of a visible part's ``expect`` calls (third argument, a string)."""
    whys = []
    for node in ast.walk(ast.parse(visible)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "expect" and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)):
            whys.append(node.args[2].value)
    return whys
