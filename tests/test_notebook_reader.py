"""Malformed notebooks: every one is the student's problem ("unreadable notebook", with the
reason), never an error of the grader's. The reader (assemble.read_cells) either raises
NotANotebook or returns cells of plain text; grading such a notebook records the reason
and runs no kernel."""

from __future__ import annotations

import json

import pytest
from grading_corpus import GOOD, SOURCE, notebook

from autograder.course.submissions import MAX_NOTEBOOK_BYTES, NotebookJob
from autograder.grade import Job, grade_submission
from autograder.kernel.assemble import MAX_CELLS, NotANotebook, read_cells
from autograder.sandbox import named

WELL_FORMED = json.dumps(notebook(GOOD))


def _cells_with(value) -> bytes:
    return json.dumps({"cells": [value], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


def _code(**fields) -> dict:
    return {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
            "execution_count": None, **fields}


UNREADABLE = {
    "nested_20MiB": b"[" * (MAX_NOTEBOOK_BYTES - 1),
    "nested_in_a_cell": _cells_with(None).replace(b"null", b"[" * 100_000 + b"]" * 100_000),
    "nested_objects": b'{"cells": []' + b', "m": {"a":' * 5000 + b"1" + b"}" * 5001,
    "huge_integer": _cells_with(_code(execution_count=1)).replace(
        b'"execution_count": 1', b'"execution_count": ' + b"9" * 5000),
    "lone_surrogate_in_markdown": _cells_with(
        {"cell_type": "markdown", "source": "\ud800", "metadata": {}}),
    "lone_surrogate_in_a_source_list": _cells_with(_code(source=["ok\n", "\udfff"])),
    "lone_surrogate_in_grade_id": _cells_with(_code(metadata={"nbgrader": {
        "grade_id": "a\udc00", "solution": True}})),
    "lone_surrogate_in_id": _cells_with(_code(id="\ud834")),
    "not_utf8": b'{"cells": ["\xff\xfe"]}',
    "utf16": WELL_FORMED.encode("utf-16"),
    "bom": b"\xef\xbb\xbf" + WELL_FORMED.encode(),
    "nan_and_junk": b'{"cells": [NaN, ]}',
    "top_level_list": b"[]",
    "top_level_string": b'"cells"',
    "top_level_number": b"4",
    "top_level_null": b"null",
    "cells_missing": b'{"metadata": {}, "nbformat": 4}',
    "cells_a_dict": b'{"cells": {"0": {}}}',
    "cells_a_string": b'{"cells": "[]"}',
    "cells_null": b'{"cells": null}',
    "nbformat3_worksheets": b'{"worksheets": [{"cells": []}], "nbformat": 3}',
    "too_big": b"{}" + b" " * MAX_NOTEBOOK_BYTES,
    "one_cell_too_many": json.dumps({"cells": [{}] * (MAX_CELLS + 1)}).encode(),
    "empty": b"",
    "truncated": WELL_FORMED.encode()[:-10],
}

# Each wrong type at each level of a cell: the cell is skipped (or its field ignored),
# the rest of the notebook is read.
WRONG_TYPES = [1, 1.5, True, None, "text", [], ["a", 1], {}, {"nested": {"deeper": []}}]
READABLE = {
    **{f"cell_{i}": _cells_with(v) for i, v in enumerate(WRONG_TYPES)},
    **{f"cell_type_{i}": _cells_with(_code(cell_type=v)) for i, v in enumerate(WRONG_TYPES)},
    **{f"source_{i}": _cells_with(_code(source=v)) for i, v in enumerate(WRONG_TYPES)},
    **{f"metadata_{i}": _cells_with(_code(metadata=v)) for i, v in enumerate(WRONG_TYPES)},
    **{f"nbgrader_{i}": _cells_with(_code(metadata={"nbgrader": v}))
       for i, v in enumerate(WRONG_TYPES)},
    **{f"grade_id_{i}": _cells_with(_code(metadata={"nbgrader": {"grade_id": v}}))
       for i, v in enumerate(WRONG_TYPES)},
    **{f"id_{i}": _cells_with(_code(id=v)) for i, v in enumerate(WRONG_TYPES)},
    "keys_missing": _cells_with({"cell_type": "code"}),
    "huge_exponent": b'{"cells": [], "x": 1e' + b"9" * 5000 + b"}",  # inf: still JSON
    "no_keys": _cells_with({}),
    "huge_string": _cells_with({"cell_type": "markdown", "metadata": {},
                                "source": "x" * (MAX_NOTEBOOK_BYTES - 200)}),
    "huge_key": b'{"cells": [], "' + b"k" * (MAX_NOTEBOOK_BYTES - 100) + b'": 1}',
    "cells_at_the_limit": json.dumps({"cells": [
        {"cell_type": "markdown", "source": "", "metadata": {}}] * MAX_CELLS}).encode(),
    "nul_and_controls": _cells_with(_code(source="\x00\x1b[2J\u202e\ufffe")),
    "escaped_pair_is_text": _cells_with(_code(source="\ud83d\ude00")),  # a real emoji
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_notebooks_raise_not_a_notebook_with_a_reason(name):
    with pytest.raises(NotANotebook) as error:
        read_cells(UNREADABLE[name])
    assert str(error.value)


@pytest.mark.parametrize("name", sorted(READABLE))
def test_readable_oddities_give_plain_text_cells(name):
    for cell in read_cells(READABLE[name]):
        assert set(cell) == {"cell_type", "source", "id", "grade_id"}
        assert cell["cell_type"] in ("code", "markdown", "raw")
        for key in ("source", "id", "grade_id"):
            assert cell[key] is None or isinstance(cell[key], str)
            (cell[key] or "").encode("utf-8")  # no lone surrogate got through


def test_the_limits_are_where_they_say():
    assert len(read_cells(READABLE["cells_at_the_limit"])) == MAX_CELLS
    assert "cells" in str(pytest.raises(NotANotebook, read_cells,
                                        UNREADABLE["one_cell_too_many"]).value)


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_grading_an_unreadable_notebook_is_a_student_problem(name):
    """The whole unit of work, as a worker runs it: no kernel is started (sandbox "none" is
    never reached), no grader error, and the reason is on the student's page."""
    job = Job("s1", "01_convolution", (NotebookJob(SOURCE.stem, SOURCE.read_text(),
                                                    UNREADABLE[name]),),
              support="", timeout=5, wall_clock=5, case_seed=1, code="c", jail="none")
    graded = grade_submission(job, named("none"))
    assert not graded.record.internal_error
    (nb,) = graded.record.notebooks
    assert nb.score == 0
    failures = {c.failure for e in nb.exercises for c in e.checks}
    assert failures == {"unreadable notebook"}
    page = graded.feedback[SOURCE.stem]
    assert "could not be read" in page and "Traceback" not in page


def test_a_grader_bug_shows_the_student_no_traceback_and_no_path(monkeypatch):
    """The instructor's record keeps the traceback; the student's page says what happened."""
    from autograder import grade
    from autograder.outputs.feedback import host_paths

    def broken(job, nb, sandbox):
        raise RuntimeError(f"bug at {host_paths()[0][0]}/autograder/grade.py")
    monkeypatch.setattr(grade, "_grade_notebook", broken)
    job = Job("s1", "01_convolution", (NotebookJob(SOURCE.stem, SOURCE.read_text(), b"{}"),),
              support="", timeout=5, wall_clock=5, case_seed=1, code="c", jail="none")
    graded = grade_submission(job, named("none"))
    assert graded.record.internal_error
    assert "Traceback" in graded.record.notebooks[0].problems[-1]
    page = graded.feedback[SOURCE.stem]
    assert "grader failed on this notebook" in page
    assert "Traceback" not in page and "RuntimeError" not in page
    assert not [p for p, _ in host_paths() if p in page]
