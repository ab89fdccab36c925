"""One student version for the release, the book and the grader: the same markers refused.

Each marker is planted twice: in a released or built file (the last scans of
``autograder release`` and ``python -m bookbuild``), and in a notebook cell (the student
version itself refuses it, before anything is written).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course import student
from autograder.course.submissions import InstructorError
from autograder.release import check_clean

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bookbuild is the project's build tool, not an installed package
from bookbuild.__main__ import check as check_book  # noqa: E402


def _refused_by_release(tmp_path: Path, text: str) -> bool:
    folder = tmp_path / "release" / "01_x"
    folder.mkdir(parents=True)
    (folder / "notes.md").write_text(text)
    try:
        check_clean(folder)
    except InstructorError:
        return True
    return False


def _refused_by_book(tmp_path: Path, text: str) -> bool:
    html = tmp_path / "html"
    html.mkdir()
    (html / "page.html").write_text(f"<p>{text}</p>")
    return check_book(html) > 0


@pytest.mark.parametrize("marker", student.LEAK_MARKERS)
def test_release_and_book_refuse_every_marker(tmp_path, marker):
    text = f"a page that quotes {marker} by mistake"
    assert _refused_by_release(tmp_path, text)
    assert _refused_by_book(tmp_path, text)


def test_release_and_book_pass_what_students_may_see(tmp_path):
    text = "raise NotImplementedError()  # YOUR CODE HERE; import convlab"
    assert not _refused_by_release(tmp_path, text)
    assert not _refused_by_book(tmp_path, text)


def test_the_list_is_at_least_what_release_and_book_refused_before():
    before = {"BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "autograder.checks",
              "import solutions", "from solutions", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
              "BEGIN MARK SCHEME", "END MARK SCHEME"}
    assert all(student.markers_in(m) for m in before)


@pytest.mark.parametrize("for_book", [False, True])
@pytest.mark.parametrize("marker", student.LEAK_MARKERS)
def test_a_marker_left_in_a_cell_never_reaches_the_student_version(marker, for_book):
    """Refused, or (a lone END SOLUTION line) dropped by nbgrader with the region it ends."""
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell(f"A note: {marker}.")])
    try:
        made = student.student_notebook(nb, for_book=for_book)
    except student.LeakError:
        return
    assert marker not in nbformat.writes(made)
    assert marker == "END SOLUTION"  # every other marker is refused outright


def test_release_and_book_differ_only_in_labels_and_skip_tags():
    grade = {"grade_id": "double", "solution": True, "grade": False, "locked": False,
             "schema_version": 3}
    source = new_notebook(cells=[
        new_markdown_cell("(double)=\n# Doubling"),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                      "    ### END SOLUTION", metadata={"nbgrader": grade})])
    copy = nbformat.from_dict
    released = student.student_notebook(copy(source), for_book=False)
    book = student.student_notebook(copy(source), for_book=True)
    assert released.cells[0].source == "# Doubling"
    assert book.cells[0].source == "(double)=\n# Doubling"
    assert released.cells[1].source == book.cells[1].source == student.given_source(
        source.cells[1])
    assert "return 2 * x" not in released.cells[1].source
    assert student.SKIP_TAG in book.cells[1].metadata["tags"]
    assert "tags" not in released.cells[1].metadata
