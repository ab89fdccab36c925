"""One real grading run of the fixture chapter, then what it hands over: the named mistake
travels from the verdict to the result file and the report, every student row links to a
feedback page that exists, and the graded folder exports to Canvas with a roster."""

from __future__ import annotations

import csv
import json
import re
from urllib.parse import unquote

from grading_corpus import ASSIGNMENT, good, grade_args, run_cli, write


def test_a_graded_folder_reports_named_mistakes_links_students_and_exports(tmp_path):
    right = json.dumps(good()).encode()
    wrong = right.replace(b"// s + 1", b"// s")  # the "off by one" mistake of output_size
    write(tmp_path / "subs", {"alice": (right, f"{ASSIGNMENT}.ipynb", 6),
                              "bob": (wrong, f"{ASSIGNMENT}.ipynb", 4)})
    out = tmp_path / "out"
    done = run_cli(*grade_args(tmp_path / "subs", out, "--no-sandbox"))
    assert done.returncode == 0, done.stderr[-2000:]

    bob = json.loads((out / "results" / "bob" / f"{ASSIGNMENT}.json").read_text())
    checks = [c for nb in bob["notebooks"] for e in nb["exercises"] for c in e["checks"]]
    assert [c["mistake"] for c in checks if not c["passed"]] == ["off by one"]
    assert all(c["mistake"] is None for c in checks if c["passed"])

    report = (out / "report.html").read_text()
    assert "off by one (1)" in report
    links = re.findall(r"<tr class='student'><td>(\w+)</td>.*?href='([^']+)'", report)
    assert sorted(s for s, _ in links) == ["alice", "bob"]
    for student, href in links:
        page = out / unquote(href)
        assert page.is_file() and f"{student} / {ASSIGNMENT}" in page.read_text()

    (tmp_path / "roster.csv").write_text("student_id,SIS Login ID,Section\n"
                                         "alice,alice01,A\ncarol,carol03,B\n")
    done = run_cli("export", str(out), "--format", "canvas", "--roster",
                   str(tmp_path / "roster.csv"))
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader((out / "export-canvas.csv").open(newline="")))
    assert rows == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT],
                    ["    Points Possible", "", "", "", "", "6"],
                    ["", "", "", "alice01", "A", "6"],
                    ["", "", "", "carol03", "B", "0"]]
    assert "bob" in done.stderr and "not on the roster" in done.stderr
