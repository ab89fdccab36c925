"""The nbgrader gradebook (``gradebook.db``), written by one process only.

SQLite through nbgrader's API is not safe for concurrent writers, so workers never touch
it: the parent feeds it the trusted results at the end of a batch. Every write is an
update-or-create, so a re-run updates rows instead of adding them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from ..course.records import Submission
from ..course.source import Template


def prepare(db: Path, templates: dict[tuple[str, str], Template]) -> None:
    """Create the gradebook (slow: nbgrader runs `alembic`) with the assignments' structure."""
    with Gradebook(f"sqlite:///{db}") as gb:
        for (assignment_id, notebook), template in templates.items():
            gb.update_or_create_assignment(assignment_id)
            try:
                gb.find_notebook(notebook, assignment_id)
            except MissingEntry:
                gb.add_notebook(notebook, assignment_id, kernelspec=json.dumps(
                    {"name": "python3", "language": "python", "display_name": "Python 3"}))
            for cell in template.cells:
                if cell.role == "test":
                    gb.update_or_create_grade_cell(cell.grade_id, notebook, assignment_id,
                                                   max_score=cell.points, cell_type="code")
                elif cell.role == "solution":
                    gb.update_or_create_solution_cell(cell.grade_id, notebook, assignment_id)


def record(db: Path, results: list[Submission]) -> None:
    """Every result's scores, as nbgrader's autograde would store them."""
    # nbgrader's add_submission trips SQLAlchemy autoflush warnings; the rows are right.
    warnings.filterwarnings("ignore", category=SAWarning)
    with Gradebook(f"sqlite:///{db}") as gb:
        for r in results:
            gb.update_or_create_student(r.student_id)
            try:
                gb.find_submission(r.assignment_id, r.student_id)
            except MissingEntry:
                gb.add_submission(r.assignment_id, r.student_id)
            for nb in r.notebooks:
                for e in nb.exercises:
                    grade = gb.find_grade(e.grade_id, nb.name, r.assignment_id, r.student_id)
                    grade.auto_score = e.points
                    grade.manual_score = None
                    grade.needs_manual_grade = False
        gb.db.commit()
