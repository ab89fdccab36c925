"""The class report: one HTML page an instructor reads on a laptop, plots embedded as PNG.

Laid out to fit a 1280-pixel window whatever the number of assignments: one small
histogram per assignment in a grid that wraps, then a table per exercise (share of full
marks, most frequent named mistakes), then the students, each score linking to that
student's feedback page, with the grader's problems beside them. It loads nothing and
runs no script. Links are relative: the page sits at the top of the grading folder, next
to ``feedback/``.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter, defaultdict
from urllib.parse import quote

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the headless backend
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..course.records import CheckResult, Submission  # noqa: E402

MISTAKES_SHOWN = 3  # per exercise: the report is read at a glance, the feedback has the rest


def failure_label(check: CheckResult) -> str:
    """A failed check without a named mistake, as a kind of failure many students share:
    "conv2d: raises IndexError". Read from the record's fields, never from its message."""
    return f"{check.id.partition('.')[2] or check.id}: {check.failure or 'failed'}"


def feedback_href(student_id: str, assignment_id: str, notebook: str) -> str:
    """Where ``results.save`` put this feedback page, relative to the report."""
    return "feedback/" + "/".join(quote(p) for p in (student_id, assignment_id,
                                                     f"{notebook}.html"))


def build(results: list[Submission], sandboxed: bool) -> str:
    """The report page for these results."""
    assignments = sorted({r.assignment_id for r in results})
    students = sorted({r.student_id for r in results})
    problems = [(r.student_id, r.assignment_id, p.notebook, p.problem)
                for r in results for p in r.problems]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Class report</title>"
             f"<style>{_CSS}</style></head><body><h1>Class report</h1>"]
    if not sandboxed:
        parts.append("<p class='warn'>WARNING: these submissions were graded WITHOUT the "
                     "sandbox.</p>")
    modes = sorted({r.sandbox for r in results if r.sandbox != "none"})
    if modes:  # which jail and memory cap held the kernels (per machine, on a cluster)
        parts.append("".join(f"<p class='mode'>{html.escape(m)}</p>" for m in modes))
    parts.append(f"<p>{len(students)} students, {len(assignments)} assignments, "
                 f"{len(results)} graded submissions, {len(problems)} problems.</p>")
    if results:
        parts += ["<h2>Scores per assignment</h2><div class='cards'>",
                  *(_assignment_card(a, [r for r in results if r.assignment_id == a])
                    for a in assignments),
                  "</div><h2>Exercises</h2>", _exercise_table(results)]
    parts += ["<div class='row'><section class='students'>",
              f"<h2>Students ({len(students)})</h2>", _student_table(results, assignments),
              "</section><section class='problems'>",
              f"<h2>Problems ({len(problems)})</h2>", _problem_list(problems),
              "</section></div></body></html>"]
    return "".join(parts)


_CSS = ("*{box-sizing:border-box}body{font-family:sans-serif;margin:1.5em;line-height:1.35}"
        "h1{margin-top:0}.warn{color:#a40000;font-weight:bold}"
        ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:1em}"
        ".card{border:1px solid #ccc;border-radius:6px;padding:.5em .8em}"
        ".card h3{margin:.2em 0;overflow-wrap:anywhere}"
        ".card img{width:100%;height:auto;display:block}.card p{margin:.3em 0;font-size:.9em}"
        "table{border-collapse:collapse}.exercises{width:100%}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:#f3f3f3}td.num,th.num{text-align:right;white-space:nowrap}"
        "td.text{overflow-wrap:anywhere}"
        ".bar{display:inline-block;height:.8em;background:#55a868;margin-right:.4em}"
        ".row{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}"
        ".row>section{min-width:0}.students{flex:0 1 auto}.problems{flex:1 1 320px}"
        ".students td:first-child{white-space:nowrap}.students a.nb{font-size:.8em}"
        ".problems li{margin-bottom:.4em;overflow-wrap:anywhere}"
        ".problems pre{white-space:pre-wrap;font-size:.85em;margin:.2em 0}"
        "ul.mistakes{margin:0;padding-left:1.2em}")


def _assignment_card(assignment: str, results: list[Submission]) -> str:
    scores = [r.score for r in results]
    top = max(r.max_score for r in results)
    spread = statistics.pstdev(scores) if len(scores) > 1 else 0.0
    return (f"<div class='card'><h3>{_breakable(assignment)}</h3>"
            f"{_histogram([r.percent for r in results])}"
            f"<p>n = {len(scores)}; mean {statistics.fmean(scores):.1f}, median "
            f"{statistics.median(scores):g} of {top:g} points</p>"
            f"<p>spread: SD {spread:.1f}, range {min(scores):g}–{max(scores):g}</p></div>")


def _breakable(name: str) -> str:
    """An id such as 05_depthwise_separable, allowed to wrap after its underscores."""
    return html.escape(name).replace("_", "_<wbr>")


def _histogram(percents: list[float]) -> str:
    fig = _histogram_figure(percents)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f"<img alt='histogram of scores' src='data:image/png;base64,{data}'>"


def _histogram_figure(percents: list[float]):
    fig, ax = plt.subplots(figsize=(3.4, 1.9))
    ax.hist(percents, bins=range(0, 101, 10), color="#4c72b0", edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count of students is whole
    ax.set(xlim=(0, 100), xlabel="score (%)", ylabel="students")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _exercise_table(results: list[Submission]) -> str:
    """Per exercise: how many got full marks, and what the others most often got wrong."""
    full: dict[tuple, list[bool]] = defaultdict(list)
    named: dict[tuple, Counter] = defaultdict(Counter)
    other: dict[tuple, Counter] = defaultdict(Counter)
    for r in results:
        several = len(r.notebooks) > 1
        for nb in r.notebooks:
            for e in nb.exercises:
                key = (r.assignment_id, f"{_part(nb.name, r.assignment_id)}: {e.name}"
                       if several else e.name)
                full[key].append(e.full_marks)
                failed = [c for c in e.checks if not c.passed]
                named[key].update({c.mistake for c in failed if c.mistake})
                other[key].update({failure_label(c) for c in failed if not c.mistake})
    rows = []
    keys = sorted(full, key=lambda k: k[0])  # stable: exercises stay in notebook order
    for i, key in enumerate(keys):
        share = 100 * sum(full[key]) / len(full[key])
        span = sum(k[0] == key[0] for k in keys)
        first = i == 0 or keys[i - 1][0] != key[0]
        rows.append(
            "<tr>" + (f"<td rowspan='{span}'>{_breakable(key[0])}</td>" if first else "")
            + f"<td>{_breakable(key[1])}</td>"
            f"<td class='num'><span class='bar' style='width:{share * 0.6:.0f}px'></span>"
            f"{share:.0f}% of {len(full[key])}</td>"
            f"<td class='text'>{_counts(named[key])}</td>"
            f"<td class='text'>{_counts(other[key])}</td></tr>")
    return ("<table class='exercises'><tr><th>assignment</th><th>exercise</th><th>full marks</th>"
            "<th>most frequent named mistakes</th><th>other failures</th></tr>"
            + "".join(rows) + "</table>")


def _counts(counter: Counter) -> str:
    if not counter:
        return ""
    items = "".join(f"<li>{html.escape(name)} ({n})</li>"
                    for name, n in counter.most_common(MISTAKES_SHOWN))
    rest = len(counter) - MISTAKES_SHOWN
    return f"<ul class='mistakes'>{items}</ul>" + (f"and {rest} more" if rest > 0 else "")


def _student_table(results: list[Submission], assignments: list[str]) -> str:
    by_student: dict[str, dict[str, Submission]] = defaultdict(dict)
    for r in results:
        by_student[r.student_id][r.assignment_id] = r
    head = "".join(f"<th class='num'><abbr title='{html.escape(a)}'>"
                   f"{html.escape(label)}</abbr></th>"
                   for a, label in zip(assignments, _short_labels(assignments)))
    rows = []
    for student in sorted(by_student):
        graded = by_student[student]
        cells = "".join(f"<td class='num'>{_score_links(graded[a])}</td>" if a in graded
                        else "<td class='num'>–</td>" for a in assignments)
        total = sum(r.score for r in graded.values())
        top = sum(r.max_score for r in graded.values())
        rows.append(f"<tr class='student'><td>{html.escape(student)}</td>{cells}"
                    f"<td class='num'>{total:g} / {top:g}</td></tr>")
    return (f"<table><tr><th>student</th>{head}<th class='num'>total</th></tr>" + "".join(rows)
            + "</table>")


def _score_links(result: Submission) -> str:
    """The score, linking to the feedback page; one link per notebook when there are several."""
    names = [nb.name for nb in result.notebooks]
    score = f"{result.score:g}/{result.max_score:g}"

    def link(name: str, text: str, kind: str = "") -> str:
        href = feedback_href(result.student_id, result.assignment_id, name)
        return f"<a{kind} href='{html.escape(href)}'>{html.escape(text)}</a>"

    if len(names) == 1:
        return link(names[0], score)
    return score + "".join(f"<br>{link(n, _part(n, result.assignment_id), ' class=nb')}"
                           for n in names)


def _part(notebook: str, assignment: str) -> str:
    """A notebook's name without its assignment's, as a short label: "part1" (or the name)."""
    return notebook.removeprefix(assignment).strip("_-. ") or notebook


def _short_labels(assignments: list[str]) -> list[str]:
    """Column heads: the ids' leading numbers ("01") when those tell them apart."""
    prefixes = [a.split("_", 1)[0] for a in assignments]
    distinct = len(set(prefixes)) == len(prefixes) and all(p.isdigit() for p in prefixes)
    return prefixes if distinct else assignments


def _problem_list(problems: list[tuple]) -> str:
    if not problems:
        return "<p>None.</p>"
    items = []
    for student, assignment, notebook, problem in problems:
        place = assignment if notebook == assignment else \
            f"{assignment} / {_part(notebook, assignment)}"
        where = f"<b>{html.escape(student)}</b>, {_breakable(place)}: "
        first, _, rest = problem.partition("\n")
        if rest.strip():  # a grader error's traceback: folded, the first line says enough
            items.append(f"<li><details><summary>{where}{html.escape(first)}</summary>"
                         f"<pre>{html.escape(rest)}</pre></details></li>")
        else:
            items.append(f"<li>{where}{html.escape(first)}</li>")
    return "<ul>" + "".join(items) + "</ul>"
