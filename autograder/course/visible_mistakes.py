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
from pathlib import Path

import numpy as np

from ..checks import CHECKS
from ..checks.core import to_plain
from .source import parse_template

FILE = "likely_mistakes.json"  # read by convlab/selfcheck.py, beside it in the package
MAX_VALUES = 10_000  # a visible case is small; a bigger answer is not worth shipping


class _Stop(Exception):
    """Raised by a mistake's answer or the cell after it: the rest of the cell is skipped."""


def table(notebook: Path) -> dict[str, list[list]]:
    """``{why: [[mistake name, advice, wrong answer], ...]}`` for a source notebook."""
    template = parse_template(notebook.read_text(encoding="utf-8"), CHECKS)
    imports = next((c.source for c in template.cells if c.cell_type == "code"), "")
    stubs = "\n".join(c.given for c in template.cells if c.role == "solution")
    found: dict[str, list[list]] = {}
    for cell in template.tests:
        visible = cell.given
        for hidden in cell.checks:
            check = CHECKS[hidden.check_id]
            signature = _signature(imports, stubs, hidden.expr)
            if signature is None:
                continue  # the student's function is wrapped: its arguments are not the case's
            right = _received(imports, visible, hidden.expr, signature, check.reference)
            for mistake in check.mistakes:
                wrong = _received(imports, visible, hidden.expr, signature, mistake.answer)
                for why, value in wrong.items():
                    if why in right and not _same(value, right[why]):
                        found.setdefault(why, []).append([mistake.name, mistake.advice, value])
    return found


def write(assignment_notebooks, convlab_dir: Path) -> None:
    """The table of every notebook of an assignment, as ``convlab_dir/likely_mistakes.json``."""
    merged: dict[str, list[list]] = {}
    for notebook in assignment_notebooks:
        merged.update(table(notebook))
    (convlab_dir / FILE).write_text(json.dumps(merged, sort_keys=True) + "\n", encoding="utf-8")


def _signature(imports: str, stubs: str, name: str) -> inspect.Signature | None:
    """The signature the student's function ``name`` is given (its stub in the solution
    cells): the hidden check calls it with a case's arguments in that order."""
    if not name.isidentifier():
        return None
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(compile(imports + "\n" + stubs, "stubs", "exec"), namespace)  # noqa: S102
        except Exception:  # noqa: BLE001 - a stub that needs an earlier cell
            return None
    function = namespace.get(name)
    return inspect.signature(function) if callable(function) else None


def _received(imports: str, visible: str, name: str, signature: inspect.Signature,
              answer) -> dict[str, object]:
    """What each ``expect`` of ``visible`` receives when ``name`` (called as ``signature``
    says, defaults filled in) computes ``answer`` from the case's arguments in order:
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
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return answer(*bound.arguments.values())
        except Exception as error:  # noqa: BLE001 - this mistake has no answer here
            raise _Stop from error

    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(imports, "imports", "exec"), namespace)  # noqa: S102 - our source
            namespace.update({name: function, "expect": expect})
            exec(compile(visible, "visible check", "exec"), namespace)  # noqa: S102
        except Exception:  # noqa: BLE001 - _Stop, or a cell that needs an earlier cell
            pass
    return got


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0, atol=1e-9, equal_nan=True))


def coverage(notebook: Path) -> tuple[int, int]:
    """(test cells whose visible checks can name a mistake, test cells with named mistakes)."""
    template = parse_template(notebook.read_text(encoding="utf-8"), CHECKS)
    named = table(notebook)
    cells = [c for c in template.tests if any(CHECKS[h.check_id].mistakes for h in c.checks)]
    return sum(any(why in named for why in _whys(c.given)) for c in cells), len(cells)


def _whys(visible: str) -> list[str]:
    """The ``why`` texts of a visible part's ``expect`` calls (third argument, a string)."""
    whys = []
    for node in ast.walk(ast.parse(visible)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "expect" and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)):
            whys.append(node.args[2].value)
    return whys
