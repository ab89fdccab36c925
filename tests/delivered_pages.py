"""What grading hands to people, built from records instead of by grading notebooks.

Feedback pages are made by the grader's own ``feedback`` module from a chapter's source
(prompts, given code) and real verdicts of its hidden checks (the reference answer, or a
named mistake); class batches are result records as ``grade_submission`` returns them.
Pages are opened in headless Chromium (Debian's, through Playwright) at 1280 x 900 with
every request off the loopback server refused.
"""

from __future__ import annotations

import json
import random
from contextlib import contextmanager
from pathlib import Path

from book_browser import CHROMIUM, CHROMIUM_ARGS, serve

from autograder.checks import CHECKS, cases_for, judge, run_cases
from autograder.course import results
from autograder.course.records import CheckResult, Exercise, Graded, Notebook, Submission
from autograder.course.source import parse_template
from autograder.outputs import feedback

PROJECT = Path(__file__).resolve().parents[1]
CHAPTER_SOURCES = sorted((PROJECT / "chapters").glob("*/*.ipynb"))
WIDTH = 1280


def _verdict(check_id: str, wrong: bool) -> CheckResult:
    check = CHECKS[check_id]
    cases = cases_for(check_id)
    answer = check.mistakes[0].answer if wrong and check.mistakes else check.reference
    verdict = judge(check, cases, run_cases(answer, cases))
    return CheckResult(check_id, verdict.passed, verdict.message, verdict.mistake,
                       verdict.failure)


def chapter_feedback(source: Path, wrong_exercise: int | None = None) -> str:
    """The feedback page of a chapter graded with its own answers, but one exercise answered
    with that check's first named mistake (``wrong_exercise``, counted from 0)."""
    text = source.read_text(encoding="utf-8")
    template = parse_template(text, CHECKS)
    raw = [c["source"] for c in json.loads(text)["cells"]]
    shown, exercises = [], []
    cells = template.cells
    for position, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            if _prompt(cells, position):
                shown.append(("markdown", cell.source, []))
        elif cell.role == "solution":  # the instructor's answer stands for the student's
            answer = "".join(raw[cell.index])
            if len(exercises) == wrong_exercise:
                answer += "\n# (graded as if answered with the check's first named mistake)"
            shown.append(("code", answer, []))
        elif cell.role == "test":
            wrong = len(exercises) == wrong_exercise
            checks = [_verdict(c.check_id, wrong) for c in cell.checks]
            points = cell.points if all(c.passed for c in checks) else 0.0
            exercises.append(Exercise(cell.grade_id, cell.grade_id.removesuffix("_tests"),
                                      points, cell.points, tuple(checks)))
            shown.append(("code", f"{cell.given.rstrip()}\n\n{feedback.HIDDEN_NOTE}",
                          [feedback.verdict_output(checks, points, cell.points)]))
    title = f"student / {source.parent.name} / {source.stem}"
    score = sum(e.points for e in exercises)
    return feedback.render(title, feedback.header(title, score, template.max_score, exercises,
                                                  [], True), shown)


def _prompt(cells, position: int) -> bool:
    """As the grader shows them: the run of markdown cells right before an answer cell."""
    for cell in cells[position + 1:]:
        if cell.cell_type == "code":
            return cell.role == "solution"
    return False


def class_batch(assignments: int, students: int, seed: int = 0) -> list[Graded]:
    """Result records of a class: varied scores, named and unnamed failures, problems, one
    assignment with two notebooks, one student who skipped an assignment."""
    rng = random.Random(seed)
    names = [f"{i + 1:02d}_assignment_with_a_long_name" for i in range(assignments)]
    batch = []
    for s in range(students):
        student = f"student{s:03d}"
        for a, assignment in enumerate(names):
            if s == 0 and a == assignments - 1:
                continue  # never submitted
            notebooks = [assignment] if a != 1 else [f"{assignment}_part1",
                                                     f"{assignment}_part2"]
            batch.append(_result(rng, student, assignment, notebooks))
    return batch


MISTAKES = ["flipped kernel", "off by one in the output size", "padding applied twice",
            "groups mixing channels"]


def _result(rng, student: str, assignment: str, notebooks: list[str]) -> Graded:
    records, pages = [], {}
    for name in notebooks:
        exercises = []
        for e in range(4):
            mistake = rng.choice(MISTAKES + [None, None])
            passed = rng.random() < 0.6
            message = "conv: correct on all 50 random cases" if passed else \
                "conv: wrong on 50 of 50 random cases. For example conv(...): expected 1, got 2."
            check = CheckResult("chXX.conv", passed, message, None if passed else mistake,
                                "" if passed or mistake else "wrong values")
            exercises.append(Exercise(f"ex{e}_tests", f"ex{e}", 2.0 if passed else 0.0, 2.0,
                                      (check,)))
        problems = []
        if rng.random() < 0.15:
            problems.append("cell 'ex1_solution': timed out after 30 s")
        if rng.random() < 0.03:
            problems.append("internal grader error:\nTraceback (most recent call last):\n"
                            + "  File \"x.py\", line 1, in <module>\n" * 5 + "KeyError: 'a'")
        score = sum(e.points for e in exercises)
        title = f"{student} / {assignment} / {name}"
        pages[name] = feedback.render(title, feedback.header(
            title, score, 8.0, exercises, problems, True), [])
        records.append(Notebook(name, score, 8.0, tuple(exercises), tuple(problems)))
    return Graded(Submission(student, assignment, "d", True, "user namespaces", tuple(records)),
                  pages)


def save_batch(out: Path, batch: list[Graded]) -> list[Submission]:
    """Write feedback pages and result files as a grading run does; return what it reloads."""
    for graded in batch:
        results.save(out, graded)
    return [results.load(out, g.record.student_id, g.record.assignment_id) for g in batch]


@contextmanager
def browser_pages(directory: Path):
    """Yield open(path) -> a Playwright page of that file, served from `directory`."""
    from playwright.sync_api import sync_playwright  # test-only dependency

    with serve(directory) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        offsite: list[str] = []

        def route(r):
            if r.request.url.startswith(base):
                r.continue_()
            else:
                offsite.append(r.request.url)
                r.abort()

        def open_page(path: str):
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.route("**/*", route)
            page.goto(base + path, wait_until="load")
            return page
        try:
            yield open_page, offsite
        finally:
            browser.close()
