"""Each chapter is a working nbgrader assignment: its solutions earn full marks, its stubs zero.

Runs nbgrader itself (generate_assignment, then autograde) on a temporary course
whose source is a copy of the chapter, exactly as an instructor using plain
nbgrader would. The hidden tests judge in-process here (autograder.checks.check).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.name for p in (ROOT / "chapters").iterdir() if any(p.glob("*.ipynb")))

pytestmark = pytest.mark.slow


def _course(tmp_path: Path, chapter: str) -> tuple[NbGraderAPI, str]:
    shutil.copytree(ROOT / "chapters" / chapter, tmp_path / "source" / chapter)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    config.ExecutePreprocessor.timeout = 600
    return NbGraderAPI(config=config), f"sqlite:///{tmp_path / 'gradebook.db'}"


def _submit(tmp_path: Path, step: str, chapter: str, student: str) -> None:
    """Copy the chapter's notebook from ``step`` (source or release) as a student's submission."""
    target = tmp_path / "submitted" / student / chapter
    target.mkdir(parents=True)
    for notebook in (tmp_path / step / chapter).glob("*.ipynb"):
        shutil.copy(notebook, target / notebook.name)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_earn_full_marks_and_stubs_earn_zero(tmp_path, chapter):
    api, db_url = _course(tmp_path, chapter)
    generated = api.generate_assignment(chapter)
    assert generated["success"], generated.get("error") or generated.get("log")
    released = "".join(p.read_text() for p in (tmp_path / "release" / chapter).glob("*.ipynb"))
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "autograder.checks", "check(\""):
        assert secret not in released

    _submit(tmp_path, "source", chapter, "solver")
    _submit(tmp_path, "release", chapter, "blank")
    for student in ("solver", "blank"):
        graded = api.autograde(chapter, student, force=True, create=True)
        assert graded["success"], graded.get("error") or graded.get("log")

    with Gradebook(db_url) as gradebook:
        solver = gradebook.find_submission(chapter, "solver")
        blank = gradebook.find_submission(chapter, "blank")
        assert solver.max_score >= 8
        assert solver.score == solver.max_score, _failed_cells(tmp_path, chapter, "solver")
        assert blank.score == 0


def _failed_cells(tmp_path: Path, chapter: str, student: str) -> str:
    """The errors of an autograded notebook, to say which exercise lost points."""
    messages = []
    for path in (tmp_path / "autograded" / student / chapter).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    messages.append(f"{output['ename']}: {output['evalue']}")
    return "\n".join(messages)


def test_every_graded_exercise_has_solution_visible_checks_and_hidden_check():
    """The anatomy DESIGN.md asks for, cell by cell."""
    from autograder.checks import CHECKS

    for chapter in CHAPTERS:
        notebook = nbformat.read(next((ROOT / "chapters" / chapter).glob("*.ipynb")), 4)
        graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
        solutions = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert len(graded) >= 3 and len(solutions) >= 3, chapter  # ch06, ch09: three larger ones
        for cell in graded:
            visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
            assert "expect(" in visible, cell.metadata.nbgrader.grade_id
            ids = [line.split('"')[1] for line in hidden.splitlines()
                   if line.startswith("check(")]
            assert ids and all(i in CHECKS for i in ids), cell.metadata.nbgrader.grade_id
        for cell in notebook.cells:
            assert cell.get("outputs", []) == [], f"{chapter}: notebooks are stored without outputs"
