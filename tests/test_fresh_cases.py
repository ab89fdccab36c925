"""Each submission draws fresh hidden cases (course_secret.submission_seed): the same
submission always the same ones, any change to an answer new ones, so a resubmission that
hardcodes the inputs a kernel printed last time scores 0."""

from __future__ import annotations

import ast
import json
import re

import numpy as np
import pytest
from grading_corpus import ASSIGNMENT, GOOD, SOURCE, good

from autograder import sandbox
from autograder.checks import CHECKS, cases_for, judge
from autograder.course.course_secret import case_seed, submission_seed
from autograder.course.source import parse_template
from autograder.course.submissions import NotebookJob
from autograder.grade import Job, grade_submission
from autograder.kernel.assemble import assemble, read_cells
from autograder.sandbox import named

TEMPLATE = parse_template(SOURCE.read_text(), CHECKS)
SECRET = b"x" * 64


def _answers(nb: dict) -> list[str]:
    """What grade.py digests: the student's cells that run, in order."""
    cells, _ = assemble(TEMPLATE, read_cells(json.dumps(nb).encode()))
    return [c.source for c in cells if c.origin == "student"]


def test_the_seed_is_reproducible_and_moves_with_any_change_to_an_answer():
    seed = case_seed(SECRET, "alice", ASSIGNMENT)
    first = submission_seed(seed, _answers(good()))
    assert submission_seed(seed, _answers(good())) == first
    changed = good(output_size=GOOD["output_size"] + " ")
    assert submission_seed(seed, _answers(changed)) != first
    assert submission_seed(case_seed(SECRET, "bob", ASSIGNMENT), _answers(good())) != first
    # where one cell ends and the next begins is part of the digest
    assert submission_seed(seed, ["ab", "c"]) != submission_seed(seed, ["a", "bc"])


def _hardcoded(cases: list[tuple]) -> str:
    """output_size as a table of the answers to ``cases`` (what a kernel could print: the
    inputs it was called with), and a wrong value for anything else."""
    namespace: dict = {}
    exec(GOOD["output_size"], namespace)
    table = {tuple(int(a) for a in case): int(namespace["output_size"](*case)) for case in cases}
    return (f"TABLE = {table!r}\n\ndef output_size(n, k, s=1, p=0):\n"
            "    return TABLE.get((int(n), int(k), int(s), int(p)), -1)")


def _job(nb: dict, seed: int) -> Job:
    return Job("alice", ASSIGNMENT, (NotebookJob(SOURCE.stem, SOURCE.read_text(),
                                                 json.dumps(nb).encode()),),
               support="", timeout=10, wall_clock=120, case_seed=seed, code="c", jail="auto")


def _grade(job: Job):
    return grade_submission(job, named(job.jail))


def _points(graded, name: str) -> float:
    return next(e.points for e in graded.record.notebooks[0].exercises if e.name == name)


# A first submission that prints every input it is called with into its feedback: the
# visible check's 2 calls and the hidden check's 60, then it raises with the list, which
# the feedback quotes. (Correct otherwise.)
SPY = """SEEN = []

def output_size(n, k, s=1, p=0):
    SEEN.append((int(n), int(k), int(s), int(p)))
    if len(SEEN) == 62:
        raise ValueError("INPUTS" + repr(SEEN))
    return (n + 2 * p - k) // s + 1"""


@pytest.mark.skipif(bool(sandbox.sandbox_problem("auto")), reason="cannot sandbox here")
def test_a_resubmission_hardcoded_from_printed_inputs_scores_0():
    seed = case_seed(SECRET, "alice", ASSIGNMENT)
    spied = _grade(_job(good(output_size=SPY), seed))
    message = next(c.message for e in spied.record.notebooks[0].exercises for c in e.checks
                   if c.id == "ch01.output_size")
    printed = ast.literal_eval(re.search(r"INPUTS(\[.*?\])", message).group(1))
    assert len(printed) == 62
    table = _hardcoded(printed)
    # the table answers every case the first submission was graded on (so, given the same
    # cases again, it would score 2: the test can fail) ...
    namespace: dict = {}
    exec(table, namespace)
    hidden = cases_for("ch01.output_size", submission_seed(seed, _answers(good(
        output_size=SPY))))
    assert {tuple(map(int, c)) for c in hidden} <= set(printed)
    assert judge(CHECKS["ch01.output_size"], hidden,
                 [np.asarray(namespace["output_size"](*c)) for c in hidden]).passed
    # ... but the resubmission is graded on cases of its own
    again = _grade(_job(good(output_size=table), seed))
    assert _points(again, "output_size") == 0
    assert _points(_grade(_job(good(), seed)), "output_size") == 2
