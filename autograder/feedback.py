"""The feedback page of one graded notebook: what ran, what it printed, what the checks said.

Built from trusted pieces only: the source notebook's text (test cells without their
hidden region), the student's own code, the kernel's outputs already reduced to inert
kinds by the executor, and the verdicts of the hidden checks. The hidden test source and
the recorder call are never part of it.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nbformat
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

HIDDEN_NOTE = "# Hidden checks of this exercise ran here; their results are below."


@lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    return HTMLExporter(template_name="lab")


def verdict_output(checks: list[dict], points: float, max_points: float) -> dict:
    """The trusted result block under a test cell."""
    rows = "".join(
        f"<li style='color:{'#1a7f37' if c['passed'] else '#cf222e'}'>"
        f"{'&#10004;' if c['passed'] else '&#10008;'} {html.escape(c['message'])}</li>"
        for c in checks)
    text = "\n".join(f"{'PASS' if c['passed'] else 'FAIL'}: {c['message']}" for c in checks)
    head = f"Hidden checks: {points:g} of {max_points:g} points"
    return nbformat.from_dict({
        "output_type": "display_data", "metadata": {},
        "data": {"text/html": f"<div><b>{head}</b><ul>{rows}</ul></div>",
                 "text/plain": f"{head}\n{text}"}})


def header(title: str, score: float, max_score: float, exercises: list[dict],
           problems: list[str], sandboxed: bool) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(e['name'])}</td><td>{e['points']:g} / {e['max_points']:g}</td>"
        f"<td>{'<br>'.join(html.escape(c['message']) for c in e['checks'])}</td></tr>"
        for e in exercises)
    notes = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    warning = "" if sandboxed else "<p><b>Graded without the sandbox.</b></p>"
    return (f"<div style='border:1px solid #888;padding:1em;margin-bottom:1em'>"
            f"<h1>Feedback: {html.escape(title)}</h1>"
            f"<p><b>Score: {score:g} / {max_score:g}</b></p>{warning}"
            f"<table><tr><th>exercise</th><th>points</th><th>result</th></tr>{rows}</table>"
            + (f"<p>Notes from the grader:</p><ul>{notes}</ul>" if notes else "")
            + "<p>Below: each exercise with your answer and its checks, your own cells, and any "
              "cell that failed. The rest of the chapter ran as in the book.</p></div>")


def render(title: str, header_html: str, cells: list[tuple[str, str, list]]) -> str:
    """HTML of (cell_type, source, outputs) cells under a trusted header.

    cell_type "raw" is HTML the grader built (escaped); "markdown" is the instructor's.
    """
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"},
                                "language_info": {"name": "python"}})
    nb.cells.append(new_raw_cell(header_html, metadata={"format": "text/html"}))
    for cell_type, source, outputs in cells:
        if cell_type == "code":
            nb.cells.append(new_code_cell(source, outputs=[nbformat.from_dict(o) for o in outputs]))
        elif cell_type == "raw":  # HTML the grader escaped itself
            nb.cells.append(new_raw_cell(source, metadata={"format": "text/html"}))
        else:
            nb.cells.append(new_markdown_cell(source))
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body
