"""The feedback page of one graded notebook: what ran, what it printed, what the checks said.

Built from trusted pieces only: the source notebook's text (test cells without their
hidden region), the student's own code, the kernel's outputs already reduced to inert
kinds by the executor, and the verdicts of the hidden checks. The hidden test source and
the recorder call are never part of it.
"""

from __future__ import annotations

import html
import os
import re
import sys

import nbformat

from ..course.records import CheckResult, Exercise
from . import mathml

HIDDEN_NOTE = "# Hidden checks of this exercise ran here; their results are below."


def verdict_output(checks: list[CheckResult], points: float, max_points: float) -> dict:
    """The trusted result block under a test cell."""
    rows = "".join(
        f"<li style='color:{'#1a7f37' if c.passed else '#cf222e'}'>"
        f"{'&#10004;' if c.passed else '&#10008;'} {html.escape(c.message)}</li>"
        for c in checks)
    text = "\n".join(f"{'PASS' if c.passed else 'FAIL'}: {c.message}" for c in checks)
    head = f"Hidden checks: {points:g} of {max_points:g} points"
    return nbformat.from_dict({
        "output_type": "display_data", "metadata": {},
        "data": {"text/html": f"<div><b>{head}</b><ul>{rows}</ul></div>",
                 "text/plain": f"{head}\n{text}"}})


def header(title: str, score: float, max_score: float, exercises: list[Exercise],
           problems: list[str], sandboxed: bool) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(e.name)}</td><td>{e.points:g} / {e.max_points:g}</td>"
        f"<td>{'<br>'.join(html.escape(c.message) for c in e.checks)}</td></tr>"
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
    """A self-contained HTML page of (cell_type, source, outputs) cells under a trusted header.

    cell_type "raw" is HTML the grader built (escaped); "markdown" is the instructor's.
    Outputs are the executor's inert kinds (text, tracebacks, checked PNGs) plus the
    grader's own verdict blocks. Written directly rather than through nbconvert, whose
    templates cost most of a second per page and link MathJax and require.js from CDNs:
    the page loads nothing, and the instructor's formulas arrive typeset as MathML.
    """
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{_CSS}</style></head><body>", header_html]
    for cell_type, source, outputs in cells:
        if cell_type == "raw":
            parts.append(source)
        elif cell_type == "markdown":
            parts.append(f"<div class='md'>{mathml.render(source)}</div>")
        else:
            parts.append(f"<pre class='code'>{html.escape(source)}</pre>")
            parts += [_output(nbformat.from_dict(o)) for o in outputs]
    parts.append("</body></html>")
    return "".join(parts)


def host_paths() -> list[tuple[str, str]]:
    """The grading machine's paths a page could show (the project, the interpreter), longest
    first, each with the neutral name a page shows instead."""
    from .. import PROJECT  # the grader's own checkout or install
    named = {}
    for path, name in ((sys.base_prefix, "<python>"), (sys.prefix, "<python-env>"),
                       (str(PROJECT), "<project>")):
        for form in (path, os.path.realpath(path)):
            if len(form) > 1:
                named[form] = name
    return sorted(named.items(), key=lambda item: -len(item[0]))


def without_host_paths(page: str) -> str:
    """``page`` with every host path of :func:`host_paths` replaced by its neutral name: a
    student's page shows no path of the grading machine (from a kernel's traceback through
    numpy, say), whatever printed it."""
    for path, name in host_paths():
        page = page.replace(html.escape(path), html.escape(name)).replace(path, html.escape(name))
    return page


_CSS = ("body{font-family:sans-serif;max-width:58em;margin:2em auto;line-height:1.45}"
        ".admonition{border-left:4px solid #0072b2;background:#f4f8fb;padding:.1em .9em}"
        ".admonition-title{font-weight:bold}"
        "pre{padding:.6em;overflow-x:auto;white-space:pre-wrap}"
        "pre.code{background:#f6f8fa;border-left:3px solid #2f6f4f}"
        "pre.out{margin-top:-.6em}pre.err{background:#fff0f0;color:#8a1f11}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;"
        "text-align:left;vertical-align:top}"
        "math{font-size:1.1em;font-family:'STIX Two Math','Latin Modern Math',"
        "'DejaVu Math TeX Gyre',math}"
        "math[display=block]{margin:.6em 0}")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _output(output) -> str:
    if output.output_type == "stream":
        kind = "err" if output.name == "stderr" else "out"
        return f"<pre class='{kind}'>{html.escape(output.text)}</pre>"
    if output.output_type == "error":
        return f"<pre class='err'>{html.escape(_ANSI.sub('', output.traceback[0]))}</pre>"
    data = output.data
    if "image/png" in data:  # re-encoded from checked PNG bytes by the executor
        return f"<img alt='figure' src='data:image/png;base64,{data['image/png']}'>"
    if "text/html" in data:  # only the grader's verdict blocks carry HTML
        return data["text/html"]
    return f"<pre class='out'>{html.escape(data.get('text/plain', ''))}</pre>"
