"""The whole hostile corpus through the real CLI: exact scores, and nothing leaks or breaks.

One batch (about 30 submissions, two workers) backs every assertion here, so each run is a
single test: under ``pytest -n auto`` a shared fixture would grade it once per worker. It
runs twice: as root (a system user per slot, a memory cgroup) and as an ordinary user
(unprivileged user namespaces; created by the test when run as root). Only the sandbox
makes fork bombs and file snooping safe to run on a developer's machine.
"""

from __future__ import annotations

import os
import re

import ordinary_user
import pytest
from grading_corpus import (
    ASSIGNMENT,
    HIDDEN_TEXT,
    PROJECT,
    assert_no_grader_internals,
    corpus,
    file_hashes,
    grade_args,
    grades,
    run_cli,
    write,
)
from nbgrader.api import Gradebook

pytestmark = pytest.mark.slow  # the whole corpus through the CLI, as root and ordinary user


@pytest.fixture(params=["root", "ordinary user"])
def grader(request, tmp_path):
    """(a folder the grading user can write, the argv prefix that runs as that user)."""
    with ordinary_user.grading_as(request.param, tmp_path) as found:
        yield found


def test_hostile_corpus_is_graded_exactly_and_safely(grader):
    tmp_path, prefix = grader
    submissions, out = tmp_path / "submitted", tmp_path / "graded"
    other = submissions / "good" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    canary = tmp_path / "canary.txt"
    canary.write_text("instructor's file")
    secrets = [str(PROJECT / "solutions"), str(PROJECT / "autograder" / "checks"),
               str(PROJECT / "autograder" / "nbgrader_config.py"), str(PROJECT / ".git"),
               str(other), str(submissions), str(out), str(canary)]
    entries = corpus(secrets, targets=[str(other), str(canary), str(out / "gradebook.db")])
    write(submissions, entries)
    if prefix:  # the grading user owns what students sent, as an instructor would
        ordinary_user.hand_over(tmp_path)
    before = file_hashes(submissions)  # through links too: a link's target must not change

    # 10 s per cell: generous on a loaded CI machine; each infinite loop costs it once
    done = run_cli(*grade_args(submissions, out, timeout=10), prefix=prefix)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "NOT SANDBOXED" not in done.stderr
    table = grades(out)
    got = {s: float(table[s]["score"]) if s in table else None for s in entries}
    expected = {s: float(score) for s, (_, _, score) in entries.items()}
    assert got == expected, (out / "problems.csv").read_text()
    assert all(table[s]["max_score"] == "6" for s in table)

    # Nobody's files changed, the snoop wrote nothing, and the gradebook holds the scores.
    assert file_hashes(submissions) == before
    assert canary.read_text() == "instructor's file"
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        recorded = {s: gb.find_submission(ASSIGNMENT, s).score for s in entries}
    assert recorded == expected

    # Feedback for everyone, with the checks' diagnoses but never the hidden test source.
    for student in entries:
        page = (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert not [t for t in HIDDEN_TEXT if t in page], student
        assert "recorder" not in page
    off = (out / "feedback" / "off_by_one" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Likely mistake: off by one" in off
    flood = (out / "feedback" / "output_flood" / ASSIGNMENT / f"{ASSIGNMENT}.html")
    assert "spamspam" in flood.read_text()  # what a student printed first is kept
    assert "output truncated by the grader" in flood.read_text()
    assert flood.stat().st_size < 2_000_000
    huge = (out / "feedback" / "huge_message" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "[output lost: the kernel sent a message over" in huge
    assert assert_no_grader_internals(out) == len(entries)  # no host path, no grader traceback

    # The same wrong answer, two students: each is shown a case of their own.
    def example(student):
        page = (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        return re.search(r"For example (output_size\([^)]*\))", page).group(1)
    assert example("off_by_one") != example("off_by_one_twin")
    for student in ("scipy_answer", "torch_answer"):
        page = (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert re.search("used scipy|torch is not available|No module named .torch", page), \
            student

    # The problems list names each broken submission and why.
    problems = (out / "problems.csv").read_text()
    for student, reason in [("invalid_json", "not valid notebook JSON"),
                            ("renamed", "renamed"), ("tampered_tests", "was deleted"),
                            ("tampered_tests", "was edited"), ("os_exit", "exited"),
                            ("kill_self", "SIGKILL"), ("exit_call", "exit()"),
                            ("loop_in_function", "timed out"),
                            ("loop_ignoring_sigint", "restarted"),
                            ("symlinked_notebook", "is a symbolic link"),
                            ("symlinked_folder", "is a symbolic link")]:
        assert re.search(f"^{student},.*{reason}", problems, re.M), (student, reason)

    mode = "user namespaces" if prefix or os.geteuid() else "root"
    assert f"sandbox: {mode}" in done.stderr

    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 1  # the one assignment's histogram
    assert "off by one" in report and "invalid_json" in report
