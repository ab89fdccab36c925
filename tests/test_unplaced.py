"""Nothing under SUBMISSIONS is silently skipped, and nothing inside a student's folder stops
the batch: files at the wrong depth, unknown assignment folders, stray files, two notebooks
for one assignment, names that are not UTF-8 or hold terminal escapes. Each is listed in
problems.csv and on stderr, shown safely, its raw bytes recoverable; everyone else is
graded."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pwd
import re
from pathlib import Path

import pytest
from grading_corpus import ASSIGNMENT, FIXTURE_CHAPTERS, good, grade_args, grades, run_cli

from autograder.course.safe_text import raw
from autograder.course.source import find_assignments
from autograder.course.submissions import InstructorError, find_submissions, unplaced
from autograder.sandbox import machine

GOOD = json.dumps(good()).encode()
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
ESCAPES = b"\x1b[2J\x1b]0;owned\x07"


def _make(root: Path, relative: bytes, data: bytes | None = GOOD) -> None:
    """A file (or, with data None, a folder) at a path given as raw bytes."""
    path = Path(os.fsdecode(bytes(root) + b"/" + relative))
    if data is None:
        path.mkdir(parents=True, exist_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _class(root: Path) -> dict[bytes, str]:
    """A class with every kind of misplaced thing; each one's raw path -> a word of its why."""
    a = ASSIGNMENT.encode()
    _make(root, b"alice/" + a + b"/" + NOTEBOOK.encode())
    _make(root, b"bob/" + a + b"/" + NOTEBOOK.encode())
    _make(root, b"carol/" + a + b"/h3-\xff\xfe.ipynb")  # graded, as a renamed notebook
    _make(root, b"frank/" + a + b"/a.ipynb")
    strays = {
        b"bob/" + a + b"/copy.ipynb": "another notebook",
        b"bob/" + a + b"/data.csv": "not a notebook",
        b"bob/" + a + b"/sub/": "folder inside the assignment folder",
        b"bob/" + a + b" (old copy)/": "not a known assignment",
        b"bob/" + a + b".ipynb": "not in an assignment folder",
        b"bob/.ipynb_checkpoints/": "hidden",
        b"dave" + ESCAPES + b"/": "not usable as a student id",
        b"\xff\xfeeve/": "not usable as a student id",
        ESCAPES + b".txt": "top level",
        b"frank/" + a + b"/a.ipynb": "another notebook",
        b"frank/" + a + b"/b.ipynb": "another notebook",
    }
    for path in strays:
        _make(root, path.rstrip(b"/"), None if path.endswith(b"/") else GOOD)
    _make(root, b"dave" + ESCAPES + b"/" + a + b"/" + NOTEBOOK.encode())
    _make(root, b"\xff\xfeeve/" + a + b"/" + NOTEBOOK.encode())
    return strays


def test_every_misplaced_thing_is_listed_and_the_rest_is_found(tmp_path):
    strays = _class(tmp_path)
    assignments = find_assignments(FIXTURE_CHAPTERS)
    found = find_submissions(tmp_path, assignments)
    assert [s for s, *_ in found] == ["alice", "bob", "carol", "frank"]
    listed = {raw(u.path): u for u in unplaced(tmp_path, assignments)}
    assert set(listed) == set(strays)
    for path, word in strays.items():
        assert word in listed[path].why, (path, listed[path])
        for text in (listed[path].path, listed[path].student_id, listed[path].why):
            assert all(c.isprintable() for c in text)


def test_only_a_folder_that_cannot_be_the_layout_stops_the_batch(tmp_path):
    assignments = find_assignments(FIXTURE_CHAPTERS)
    _make(tmp_path / "by_assignment", ASSIGNMENT.encode() + b"/alice/" + NOTEBOOK.encode())
    with pytest.raises(InstructorError, match="where student folders belong"):
        find_submissions(tmp_path / "by_assignment", assignments)
    _make(tmp_path / "none_known", b"alice/99_nope/x.ipynb")
    with pytest.raises(InstructorError, match="unknown assignment"):
        find_submissions(tmp_path / "none_known", assignments)


def test_the_batch_grades_everyone_else_and_lists_each_problem(tmp_path):
    """The real CLI, sandboxed: carol's notebook name is not UTF-8, dave's folder name holds
    terminal escapes, eve's is not UTF-8, and there are stray files all around."""
    strays = _class(tmp_path / "subs")
    out = tmp_path / "out"
    done = run_cli(*grade_args(tmp_path / "subs", out))
    assert done.returncode == 0, done.stderr[-3000:]
    table = grades(out)
    assert {s: float(r["score"]) for s, r in table.items()} == {
        "alice": 6, "bob": 6, "carol": 6, "frank": 0}
    text = (out / "problems.csv").read_text(encoding="utf-8")
    for output in (text, done.stderr):
        assert "\x1b" not in output and "\x07" not in output
    rows = list(csv.DictReader(text.splitlines()))
    listed = {raw(r["notebook"]): r for r in rows if r["problem"].startswith("not graded:")}
    assert set(listed) == set(strays)
    for path in strays:
        shown_path = next(r["notebook"] for r in rows if raw(r["notebook"]) == path)
        assert f"not graded: {tmp_path / 'subs'}/{shown_path}" in done.stderr
    carol = [r["problem"] for r in rows if r["student_id"] == "carol"]
    assert carol == ["graded h3-\\xff\\xfe.ipynb as 00_fixture.ipynb (the notebook was renamed)"]
    frank = [r["problem"] for r in rows if r["student_id"] == "frank" and
             not r["problem"].startswith("not graded")]
    assert any("was not submitted (found: a.ipynb, b.ipynb)" in p for p in frank)
    if machine.jail_mode() == "root":  # its system users are gone (others' batches may
        for user in pwd.getpwall():    # still hold theirs: their slot lock says so)
            if re.fullmatch(r"convlab-grader(\d+)", user.pw_name):
                lock = os.open(machine.SLOT_DIR / f"slot{user.pw_name[14:]}.lock", os.O_RDWR)
                try:
                    with pytest.raises(BlockingIOError):
                        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                finally:
                    os.close(lock)
