"""The notebook that gets graded: the instructor's cells around the student's answers.

Cell order and every non-answer cell come from the source notebook, so a deleted or
edited test cell, a changed kernelspec or a reordered notebook changes nothing. From the
student's file only the solution cells (matched by nbgrader ``grade_id``) and code cells
the student added (helpers, scratch work) are taken; an added cell runs after the source
cell it followed in the student's notebook.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..course.source import Template, TemplateCell
from ..course.submissions import MAX_NOTEBOOK_BYTES

MAX_CELLS = 10_000  # a chapter has a few hundred; more is not a submission of it


class NotANotebook(ValueError):
    """The submitted file cannot be read as a notebook at all."""


@dataclass(frozen=True)
class GradedCell:
    cell_type: str
    source: str  # what runs (code) or is shown (markdown)
    template: TemplateCell | None  # None: a cell the student added
    origin: str  # "source", "student", or "restored" (a deleted solution cell, as given)


def read_cells(raw: bytes) -> list[dict]:
    """The cells of a submitted notebook, leniently: a broken cell is skipped, not fatal.

    Whatever the bytes are, this returns cells of plain, encodable text or raises
    :class:`NotANotebook` with the reason: a notebook is the student's, and nothing in it
    may become an error of the grader's (deep nesting, integers Python refuses to read,
    lone surrogates, wrong types at any level).
    """
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise NotANotebook(f"the file is {len(raw) // 2**20} MiB; more than "
                           f"{MAX_NOTEBOOK_BYTES // 2**20} MiB is not graded")
    try:
        nb = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise NotANotebook(f"not valid notebook JSON (not UTF-8 text: {error.reason} at "
                           f"byte {error.start})") from None
    except RecursionError:
        raise NotANotebook("not valid notebook JSON (nested too deeply to read)") from None
    except ValueError as error:  # JSONDecodeError, or an integer of more than 4300 digits
        raise NotANotebook(f"not valid notebook JSON ({str(error)[:200]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotANotebook("not a Jupyter notebook (version 4): it has no list of cells")
    if len(nb["cells"]) > MAX_CELLS:
        raise NotANotebook(f"it has {len(nb['cells'])} cells; more than {MAX_CELLS} is not "
                           "graded")
    cells = []
    for number, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
        cell_type = cell.get("cell_type")
        if isinstance(source, str) and isinstance(cell_type, str) and \
                cell_type in ("code", "markdown", "raw"):
            found = {"cell_type": cell_type, "source": source,
                     "id": cell.get("id") if isinstance(cell.get("id"), str) else None,
                     "grade_id": grade_id if isinstance(grade_id, str) else None}
            _check_text(number, found)
            cells.append(found)
    return cells


def _check_text(number: int, cell: dict) -> None:
    """Refuse a cell holding a lone surrogate: valid JSON, but not text (it cannot be
    sent to the kernel, hashed or written)."""
    for key in ("source", "id", "grade_id"):
        try:
            (cell[key] or "").encode("utf-8")
        except UnicodeEncodeError as error:
            raise NotANotebook(f"cell {number} holds something that is not text in its "
                               f"{key} (a lone surrogate, U+{ord(error.object[error.start]):04X})"
                               ) from None


def assemble(template: Template, student: list[dict]) -> tuple[list[GradedCell], list[str]]:
    """The cells to run, and notes on what was restored or ignored."""
    by_grade_id = {c.grade_id: c for c in template.cells if c.grade_id}
    by_id = {c.cell_id: c for c in template.cells if c.cell_id}
    by_text = {c.given: c for c in template.cells if c.role == "plain"}
    answers: dict[str, str] = {}
    added: dict[int, list[dict]] = {}
    seen: set[str] = set()
    notes = []
    anchor = -1
    for cell in student:
        match = by_grade_id.get(cell["grade_id"]) or by_id.get(cell["id"]) or \
            by_text.get(cell["source"])
        if match is None:
            if cell["cell_type"] == "code" and cell["source"].strip():
                added.setdefault(anchor, []).append(cell)
            continue
        anchor = match.index
        if match.grade_id in seen:
            notes.append(f"a second copy of cell {match.grade_id!r} was ignored")
            continue
        if match.grade_id:
            seen.add(match.grade_id)
        if match.role == "solution":
            answers[match.grade_id] = cell["source"]
        elif match.role in ("test", "locked") and cell["source"] != match.given:
            notes.append(f"locked cell {match.grade_id!r} was edited; the original was restored")
    cells = [GradedCell("code", c["source"], None, "student") for c in added.get(-1, [])]
    for t in template.cells:
        if t.role == "solution" and t.grade_id in answers:
            cells.append(GradedCell(t.cell_type, answers[t.grade_id], t, "student"))
        elif t.role == "solution":
            notes.append(f"answer cell {t.grade_id!r} is missing; graded as given (unanswered)")
            cells.append(GradedCell(t.cell_type, t.source, t, "restored"))
        else:
            if t.role in ("test", "locked") and t.grade_id not in seen:
                notes.append(f"locked cell {t.grade_id!r} was deleted; the original was restored")
            cells.append(GradedCell(t.cell_type, t.source, t, "source"))
        cells.extend(GradedCell("code", c["source"], None, "student")
                     for c in added.get(t.index, []))
    return cells, notes
