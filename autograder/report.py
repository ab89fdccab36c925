"""The class report: one self-contained HTML page with the plots embedded as base64 PNG."""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the headless backend


def diagnosis(message: str) -> str:
    """A failed check's message reduced to what many students can share.

    The full message names one random case; the report counts kinds of mistakes.
    """
    function = message.split(":", 1)[0].split(" ", 1)[0]
    named = re.search(r"Likely mistake: (.+?) —", message)
    if named:
        return f"{function}: {named.group(1)}"
    for pattern, label in ((r"raised (\w+)", "raises {}"), (r"returned (None|an? [\w.]+)",
                                                            "returns {}")):
        found = re.search(pattern, message)
        if found:
            return f"{function}: " + label.format(found.group(1))
    for needle, label in (("could not be called", "not defined"), ("timed out", "timed out"),
                          ("kernel", "kernel died"), ("expected shape", "wrong shape"),
                          ("not run", "not run"), ("could not be read", "unreadable notebook"),
                          ("not submitted", "not submitted")):
        if needle in message:
            return f"{function}: {label}"
    return f"{function}: wrong values"


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f"<img src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>"


def _score_plot(results: list[dict]) -> str:
    by_assignment: dict[str, list[float]] = {}
    for r in results:
        by_assignment.setdefault(r["assignment_id"], []).append(
            100 * r["score"] / r["max_score"] if r["max_score"] else 0.0)
    fig, axes = plt.subplots(1, len(by_assignment), figsize=(4 * len(by_assignment), 3),
                             squeeze=False)
    for ax, (assignment, scores) in zip(axes[0], sorted(by_assignment.items())):
        ax.hist(scores, bins=range(0, 101, 10), color="#4c72b0", edgecolor="white")
        ax.set(title=f"{assignment} (n={len(scores)})", xlabel="score (%)", ylabel="students")
    return _png(fig)


def _exercise_plot(results: list[dict]) -> str:
    full: dict[str, list[float]] = {}
    for r in results:
        for nb in r["notebooks"]:
            for e in nb["exercises"]:
                label = f"{r['assignment_id']}: {e['name']}"
                full.setdefault(label, []).append(e["points"] / e["max_points"]
                                                  if e["max_points"] else 0.0)
    labels = list(full)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(labels) + 1))
    ax.barh(labels, [100 * sum(v) / len(v) for v in full.values()], color="#55a868")
    ax.invert_yaxis()
    ax.set(xlim=(0, 100), xlabel="students with full points (%)", title="per exercise")
    return _png(fig)


def _diagnosis_plot(counts: Counter) -> str:
    top = counts.most_common(12)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(top) + 1))
    ax.barh([t for t, _ in top], [n for _, n in top], color="#c44e52")
    ax.invert_yaxis()
    ax.set(xlabel="submissions", title="most frequent diagnoses")
    return _png(fig)


def build(results: list[dict], sandboxed: bool) -> str:
    """The report page for these results."""
    counts: Counter = Counter()
    for r in results:
        for nb in r["notebooks"]:
            for e in nb["exercises"]:
                counts.update({diagnosis(c["message"]) for c in e["checks"] if not c["passed"]})
    problems = [(r["student_id"], r["assignment_id"], p["notebook"], p["problem"])
                for r in results for p in r["problems"]]
    parts = ["<html><head><meta charset='utf-8'><title>Class report</title><style>"
             "body{font-family:sans-serif;margin:2em} td,th{border:1px solid #ccc;padding:4px}"
             "table{border-collapse:collapse}</style></head><body><h1>Class report</h1>"]
    if not sandboxed:
        parts.append("<p><b>WARNING: these submissions were graded WITHOUT the sandbox.</b></p>")
    if results:
        parts += ["<h2>Scores per assignment</h2>", _score_plot(results),
                  "<h2>Scores per exercise</h2>", _exercise_plot(results)]
    if counts:
        parts += ["<h2>Most frequent diagnostic messages</h2>", _diagnosis_plot(counts),
                  _table(["diagnosis", "submissions"], counts.most_common())]
    parts += [f"<h2>Problems ({len(problems)})</h2>",
              _table(["student", "assignment", "notebook", "what went wrong"], problems)]
    return "".join(parts) + "</body></html>"


def _table(head: list[str], rows) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                    for row in rows)
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{cells}</table>"
