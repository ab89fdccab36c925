"""The class report: fits a 1280-pixel window, counts whole students, links every student.

A batch of records (eight assignments, one with two notebooks) is saved as a grading run
saves it, the report is built from what it reloads, and Chromium lays it out.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from book_browser import CHROMIUM
from delivered_pages import WIDTH, browser_pages, class_batch, save_batch

from autograder.checks import CHECKS, cases_for, judge, run_cases
from autograder.course.records import CheckResult, Exercise, Notebook, Submission
from autograder.outputs import report

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")

# Elements and text whose right edge passes the window, and the page's own scroll width.
OVERFLOW = """() => {
  const past = b => b.right > window.innerWidth + 0.5;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => past(e.getBoundingClientRect()))
    .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40));
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(walk.currentNode);
    if (past(range.getBoundingClientRect())) wide.push('text: ' + walk.currentNode.textContent);
  }
  return {scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 10)};
}"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    batch = save_batch(out, class_batch(assignments=8, students=30))
    (out / "report.html").write_text(report.build(batch, sandboxed=True), encoding="utf-8")
    return out, batch


@pytest.mark.slow
@needs_chromium
def test_report_of_eight_assignments_fits_a_1280_pixel_window_and_links_every_student(graded):
    out, batch = graded
    with browser_pages(out) as (open_page, offsite):
        page = open_page("report.html")
        layout = page.evaluate(OVERFLOW)
        assert layout["scroll"] <= WIDTH and not layout["wide"], layout
        rows = page.eval_on_selector_all(
            "tr.student", "rs => rs.map(r => [r.cells[0].textContent, "
                          "[...r.querySelectorAll('a')].map(a => a.getAttribute('href'))])")
        cards = page.locator(".card img").count()
        page.screenshot(path=str(out / "report.png"), full_page=True)
        page.close()
    assert not offsite
    assert cards == 8
    assert sorted(s for s, _ in rows) == sorted({r.student_id for r in batch})
    expected = {(r.student_id, r.assignment_id, nb.name) for r in batch for nb in r.notebooks}
    linked = set()
    for student, hrefs in rows:
        assert hrefs, student
        for href in hrefs:
            path = out / unquote(href)
            assert path.is_file(), href
            linked.add(tuple(path.relative_to(out / "feedback").with_suffix("").parts))
            assert student in path.read_text()  # the student's own page
    assert linked == expected  # every notebook page of every submission, none extra


def test_histograms_count_whole_students():
    fig = report._histogram_figure([0, 12.5, 50, 50, 100])
    ticks = fig.axes[0].get_yticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


def test_per_assignment_statistics_and_per_exercise_mistakes_come_from_the_records(graded):
    _, batch = graded
    html = report.build(batch, sandboxed=True)
    first = [r for r in batch if r.assignment_id == batch[0].assignment_id]
    scores = sorted(r.score for r in first)
    median = (scores[len(scores) // 2] + scores[(len(scores) - 1) // 2]) / 2
    assert f"median {median:g} of 8 points" in html
    assert "most frequent named mistakes" in html and "flipped kernel (" in html


def test_named_mistakes_are_read_from_the_verdict_not_from_its_message():
    check_id = next(c for c in sorted(CHECKS) if CHECKS[c].mistakes)
    check, cases = CHECKS[check_id], cases_for(check_id)
    mistake = check.mistakes[0]
    verdict = judge(check, cases, run_cases(mistake.answer, cases))
    assert verdict.mistake == mistake.name
    assert judge(check, cases, run_cases(check.reference, cases)).mistake is None
    # records whose messages say nothing, or something misleading, are counted by their fields
    checks = [CheckResult("ch01.f", False, "f: wrong.", mistake="kernel flipped"),
              CheckResult("ch01.f", False, "Likely mistake: off by one — x", failure="raises X")]
    record = Submission("s", "a", "d", True, "none", tuple(
        Notebook("a", 0.0, 1.0, (Exercise("e_tests", "e", 0.0, 1.0, (c,)),)) for c in checks))
    html = report.build([record], sandboxed=True)
    assert "kernel flipped (1)" in html and "f: raises X (1)" in html
    assert "off by one" not in html and "wrong values" not in html
