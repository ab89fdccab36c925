"""`python -m autograder export`: Canvas's and Moodle's import layouts, rosters, bad input.

The layouts checked are the documented ones (see autograder/export.py for the sources):
Canvas: ``Student, ID, SIS User ID, SIS Login ID, Section``, one column per assignment and
a ``Points Possible`` row; Moodle: a header row, a user-identifying column to map to a user
field, one column per grade item.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from autograder.cli import parser
from autograder.outputs.export import CANVAS_HEAD

GRADES = """student_id,assignment,score,max_score,01_conv:ex1,02_dil:ex1
alice,01_conv,6,6,6,
alice,02_dil,2.5,4,,2.5
bob,01_conv,3,6,3,
mallory,01_conv,1,6,1,
"""
# carol is on the roster but submitted nothing; mallory submitted but is not on it
ROSTER = """student_id,Student,ID,SIS User ID,SIS Login ID,Section,Email address,ID number
alice,"Liddell, Alice",101,S1,alice,A,alice@uni.edu,1001
bob,"Builder, Bob",102,S2,bob,A,bob@uni.edu,1002
carol,"Danvers, Carol",103,S3,carol,B,carol@uni.edu,1003
"""


@pytest.fixture
def graded(tmp_path):
    (tmp_path / "graded").mkdir()
    (tmp_path / "graded" / "grades.csv").write_text(GRADES)
    (tmp_path / "roster.csv").write_text(ROSTER)
    return tmp_path


def _export(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "export", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(), newline="")))


def test_canvas_with_a_roster_has_the_documented_layout(graded):
    out = graded / "canvas.csv"
    done = _export(graded / "graded", "--format", "canvas", "--roster", graded / "roster.csv",
                   "--out", out)
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    assert rows[0] == CANVAS_HEAD + ["01_conv", "02_dil"]
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "6", "4"]
    assert rows[2:] == [["Liddell, Alice", "101", "S1", "alice", "A", "6", "2.5"],
                        ["Builder, Bob", "102", "S2", "bob", "A", "3", "0"],
                        ["Danvers, Carol", "103", "S3", "carol", "B", "0", "0"]]
    assert out.read_bytes().count(b"\r\n") == 5
    # the student not on the roster is listed, and kept beside the export
    assert "mallory" in done.stderr and "not on the roster" in done.stderr
    note = _rows(graded / "canvas.csv.not-on-roster.csv")
    assert note == [["student_id", "assignment", "score", "max_score"],
                    ["mallory", "01_conv", "1", "6"]]


def test_moodle_with_a_roster_has_an_identifier_and_one_column_per_grade_item(graded):
    out = graded / "moodle.csv"
    done = _export(graded / "graded", "--format", "moodle", "--roster", graded / "roster.csv",
                   "--out", out)
    assert done.returncode == 0, done.stderr
    assert _rows(out) == [["ID number", "Email address", "01_conv", "02_dil"],
                          ["1001", "alice@uni.edu", "6", "2.5"],
                          ["1002", "bob@uni.edu", "3", "0"],
                          ["1003", "carol@uni.edu", "0", "0"]]
    assert "mallory" in done.stderr


def test_without_a_roster_the_folder_name_is_the_lms_login(graded):
    assert _export(graded / "graded", "--format", "canvas").returncode == 0
    rows = _rows(graded / "graded" / "export-canvas.csv")
    assert rows[2] == ["alice", "", "", "alice", "", "6", "2.5"]
    assert [r[0] for r in rows[2:]] == ["alice", "bob", "mallory"]
    assert _export(graded / "graded", "--format", "moodle").returncode == 0
    assert _rows(graded / "graded" / "export-moodle.csv")[:2] == [
        ["Username", "01_conv", "02_dil"], ["alice", "6", "2.5"]]
    assert not (graded / "graded" / "export-canvas.csv.not-on-roster.csv").exists()


def test_plain_csv_is_wide_and_leaves_a_missing_submission_blank(graded):
    out = graded / "wide.csv"
    assert _export(graded / "graded", "--format", "csv", "--roster", graded / "roster.csv",
                   "--out", out).returncode == 0
    rows = _rows(out)
    assert rows[0][0] == "student_id" and rows[0][-3:] == ["01_conv", "02_dil", "total"]
    assert rows[2][-3:] == ["3", "", "3"] and rows[3][-3:] == ["", "", "0"]


@pytest.mark.parametrize("setup, args, message", [
    (None, ["{tmp}/nowhere", "--format", "canvas"], "does not exist"),
    ("empty", ["{tmp}/empty", "--format", "canvas"], "no grades.csv"),
    (None, ["{tmp}/graded", "--format", "blackboard"], "invalid choice: 'blackboard'"),
    ("roster:student,ID\na,1\n", ["{tmp}/graded", "--format", "canvas", "--roster",
                                  "{tmp}/bad.csv"], "no column 'student_id'"),
    ("roster:student_id,Section\nalice,A\n", ["{tmp}/graded", "--format", "canvas",
                                             "--roster", "{tmp}/bad.csv"],
     "needs at least one of the columns 'ID', 'SIS User ID', 'SIS Login ID'"),
    ("roster:student_id,Username\nalice,\n", ["{tmp}/graded", "--format", "moodle",
                                             "--roster", "{tmp}/bad.csv"],
     "line 2: 'alice' has none of"),
    ("roster:student_id,Username\nalice,a\nalice,b\n", ["{tmp}/graded", "--format", "moodle",
                                                        "--roster", "{tmp}/bad.csv"],
     "appears twice"),
    (None, ["{tmp}/graded", "--format", "csv", "--roster", "{tmp}/absent.csv"],
     "cannot read the roster"),
    ("grades:student_id,score\n", ["{tmp}/graded", "--format", "csv"],
     "lacks the column(s) assignment, max_score"),
    ("grades:student_id,assignment,score,max_score\na,x,six,6\n",
     ["{tmp}/graded", "--format", "csv"], "line 2: 'six' is not a number"),
])
def test_bad_input_exits_nonzero_with_a_clear_message_and_writes_nothing(graded, setup, args,
                                                                         message):
    (graded / "empty").mkdir()
    if setup and setup.startswith("roster:"):
        (graded / "bad.csv").write_text(setup.removeprefix("roster:"))
    if setup and setup.startswith("grades:"):
        (graded / "graded" / "grades.csv").write_text(setup.removeprefix("grades:"))
    out = graded / "out.csv"
    done = _export(*[a.format(tmp=graded) for a in args], "--out", out)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not out.exists()
    assert not [p for p in graded.iterdir() if p.name.startswith(".out.csv")]  # no temp left


def test_a_failed_write_leaves_the_old_export_whole(graded, monkeypatch):
    from autograder.course import results
    from autograder.outputs import export
    out = graded / "canvas.csv"
    out.write_text("the previous export\n")

    def crash(fd, *args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(results.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        export.write(graded / "graded", "canvas", None, out)
    assert out.read_text() == "the previous export\n"
    assert [p.name for p in graded.iterdir() if p.name.startswith(".canvas")] == []


def test_help_lists_the_three_commands():
    text = parser().format_help()
    assert all(c in text for c in ("release", "grade", "export"))
