"""How a final score shows: the feedback page's box, grades.csv's columns, the report's note.

One place for the wording, so the student's page, the instructor's table and the class
report say the same thing about the same late penalty or override.
"""

from __future__ import annotations

import html

from .final import Final

START = "<!-- course: final score -->"  # the box is replaced whole on every grade run
END = "<!-- /course: final score -->"
COLUMNS = ["raw_score", "late_penalty", "override", "submitted", "due"]  # after max_score


def box(f: Final) -> str:
    """The feedback page's box: final score, then how it was reached."""
    rows = [("Autograded", f"{f.raw:g} / {f.max_score:g}")]
    rows += [(f"Override: {o.exercise}", f"{f.was(o):g} → {o.points:g} — {o.comment}")
             for o in f.overrides]
    if f.due is not None:
        rows.append(("Due date and submission", f.timing()))
    if f.penalty:
        rows.append(("Late penalty", f"−{f.penalty:g} points"))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in rows)
    return (f"{START}<div class='course-final' style='border:2px solid #0072b2;padding:.6em 1em;"
            f"margin-bottom:1em'><p style='font-size:1.2em;margin:.2em 0'><b>Final score: "
            f"{f.score:g} / {f.max_score:g}</b></p><table>{body}</table>"
            "<p style='font-size:.9em'>The table below is the autograder's; this box is the "
            f"grade.</p></div>{END}")


def shows(f: Final) -> bool:
    """Whether a course or an override touches this submission at all."""
    return f.due is not None or bool(f.overrides)


def annotate(page: str, f: Final | None) -> str:
    """``page`` with its final-score box replaced (or removed, for None)."""
    if START in page and END in page:
        before, _, rest = page.partition(START)
        page = before + rest.partition(END)[2]
    if f is None or not shows(f):
        return page
    head, tag, rest = page.partition("<body>")
    return head + tag + box(f) + rest if tag else box(f) + page


def columns(f: Final) -> list[str]:
    """The values of :data:`COLUMNS` for grades.csv."""
    return [f"{f.raw:g}", f"{f.penalty:g}", f.override_text(),
            f.submitted.isoformat() if f.submitted else "unknown",
            f.due.isoformat() if f.due else ""]


def report_note(f: Final) -> str:
    """The report's short note beside a score: "raw 3, late −1.2, override"."""
    parts = []
    if f.score != f.raw:
        parts.append(f"raw {f.raw:g}")
    if f.penalty:
        parts.append(f"late −{f.penalty:g}")
    if f.overrides:
        parts.append("override")
    if f.due is not None and f.submitted is None:
        parts.append("time unknown")
    return ", ".join(parts)
