"""``grade`` with a course file and overrides, end to end on the fixture chapter: the late
penalty and an override in grades.csv, feedback, the report and every export; the override
survives ``--force``; ``--only`` changes only its exercise's column; ``--student`` one student.
"""

from __future__ import annotations

import csv
import json

import pytest
from grading_corpus import ASSIGNMENT, good, grade_args, grades, run_cli

pytestmark = pytest.mark.slow

COURSE = f"""
[course]
timezone = "UTC"
[late_policy]
unit = "day"
penalty = 10
cap = 30
cutoff = 7
[assignments.{ASSIGNMENT}]
due = 2026-10-09T23:59:00
"""
WRONG_COST = "def layer_cost(c_in, c_out, k, h_out, w_out):\n    return 0, 0"
WRONG_SIZE = "def output_size(n, k, s=1, p=0):\n    return n"


def _submit(subs, student, notebook, when):
    folder = subs / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook))
    (folder / "timestamp.txt").write_text(when + "\n")


def _grade(course_dir, *extra):
    done = run_cli(*grade_args(course_dir / "submitted", course_dir / "out", *extra, jobs=1))
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _page(course_dir, student):
    return (course_dir / "out" / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
            ).read_text()


def _record(course_dir, student):
    return json.loads((course_dir / "out" / "results" / student / f"{ASSIGNMENT}.json"
                       ).read_text())


def _points(record) -> dict[str, float]:
    return {e["name"]: e["points"] for nb in record["notebooks"] for e in nb["exercises"]}


def test_a_term_late_penalty_override_force_only_student(tmp_path):
    subs = tmp_path / "submitted"
    _submit(subs, "alice", good(), "2026-10-11T12:00:00+00:00")  # 2 started days late: -20%
    _submit(subs, "bob", good(layer_cost=WRONG_COST), "2026-10-09T23:59:00+00:00")  # on time
    (tmp_path / "course.toml").write_text(COURSE)  # beside submitted/: found by default
    (tmp_path / "overrides.csv").write_text(
        "student_id,assignment,exercise,points,comment\n"
        f"bob,{ASSIGNMENT},layer_cost,2,right idea; the parameter count is off by the bias\n")
    _grade(tmp_path)
    out = tmp_path / "out"
    rows = grades(out)
    assert rows["alice"]["score"] == "4.8" and rows["alice"]["raw_score"] == "6"
    assert rows["alice"]["late_penalty"] == "1.2"
    assert rows["bob"]["score"] == "5" and rows["bob"]["raw_score"] == "3"
    assert rows["bob"][f"{ASSIGNMENT}:layer_cost"] == "2"  # the overridden points
    assert rows["bob"]["override"] == "layer_cost 0 → 2 (right idea; the parameter count is " \
                                      "off by the bias)"
    alice_page, bob_page = _page(tmp_path, "alice"), _page(tmp_path, "bob")
    assert "Final score: 4.8 / 6" in alice_page and "Late penalty" in alice_page
    assert "2 days" in alice_page
    assert "Final score: 5 / 6" in bob_page and "off by the bias" in bob_page
    report = (out / "report.html").read_text()
    assert "Late penalties, overrides and unknown times (2)" in report
    assert "late −1.2" in report and "override" in report and "4.8/6" in report

    for fmt in ("csv", "moodle", "canvas"):
        done = run_cli("export", str(out), "--format", fmt)
        assert done.returncode == 0, done.stderr
    wide = {r["student_id"]: r for r in csv.DictReader((out / "export-csv.csv").open())}
    assert (wide["alice"][ASSIGNMENT], wide["alice"][f"{ASSIGNMENT} raw"],
            wide["alice"][f"{ASSIGNMENT} late penalty"]) == ("4.8", "6", "1.2")
    assert "off by the bias" in wide["bob"][f"{ASSIGNMENT} override"]
    moodle = {r["Username"]: r for r in csv.DictReader((out / "export-moodle.csv").open())}
    assert moodle["alice"][f"{ASSIGNMENT} feedback"] == \
        "autograded 6/6; late penalty -1.2; final 4.8"
    assert "override layer_cost 0 → 2" in moodle["bob"][f"{ASSIGNMENT} feedback"]
    canvas = list(csv.reader((out / "export-canvas.csv").open()))
    assert canvas[0][-1] == ASSIGNMENT  # the import file holds the final scores only
    assert {r[0]: r[-1] for r in canvas[2:]} == {"alice": "4.8", "bob": "5"}
    breakdown = {r["student_id"]: r for r in csv.DictReader(
        (out / "export-canvas.csv.breakdown.csv").open())}
    assert breakdown["bob"]["raw_score"] == "3" and breakdown["bob"]["score"] == "5"

    # the override survives a full regrade
    _grade(tmp_path, "--force")
    assert grades(out)["bob"]["score"] == "5"
    assert "Final score: 5 / 6" in _page(tmp_path, "bob")

    # bob fixes layer_cost and breaks output_size; --only regrades output_size alone
    _submit(subs, "bob", good(output_size=WRONG_SIZE), "2026-10-09T23:59:00+00:00")
    before = _points(_record(tmp_path, "bob"))
    done = _grade(tmp_path, "--only", "ch01.output_size")
    after = _points(_record(tmp_path, "bob"))
    assert before == {"output_size": 2, "layer_cost": 0, "effective_kernel_size": 1}
    assert after == {"output_size": 0, "layer_cost": 0, "effective_kernel_size": 1}
    rows = grades(out)
    assert rows["bob"][f"{ASSIGNMENT}:output_size"] == "0"
    assert rows["bob"][f"{ASSIGNMENT}:layer_cost"] == "2"  # still the override
    assert rows["alice"]["score"] == "4.8"

    # --student regrades one student, the other's record is not touched
    alice_file = out / "results" / "alice" / f"{ASSIGNMENT}.json"
    stamp = alice_file.stat().st_mtime_ns
    done = _grade(tmp_path, "--force", "--student", "bob")
    assert "1 submissions: 1 to grade" in done.stderr
    assert alice_file.stat().st_mtime_ns == stamp
    assert _points(_record(tmp_path, "bob"))["layer_cost"] == 3  # now fully regraded
    assert set(grades(out)) == {"alice", "bob"}  # the gradebook keeps both


def test_an_override_of_a_missing_exercise_stops_grading(tmp_path):
    subs = tmp_path / "submitted"
    _submit(subs, "alice", good(), "2026-10-09T12:00:00+00:00")
    (tmp_path / "overrides.csv").write_text(
        f"student_id,assignment,exercise,points,comment\nalice,{ASSIGNMENT},conv3d,1,by hand\n")
    done = run_cli(*grade_args(subs, tmp_path / "out", "--overrides",
                               str(tmp_path / "overrides.csv")))
    assert done.returncode == 2
    assert f"{ASSIGNMENT} has no exercise 'conv3d'" in done.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_without_a_course_file_grades_csv_is_as_before(tmp_path):
    subs = tmp_path / "submitted"
    _submit(subs, "alice", good(), "2026-10-11T12:00:00+00:00")  # a time, but no due date
    _grade(tmp_path)
    head = (tmp_path / "out" / "grades.csv").read_text().splitlines()[0]
    assert head == (f"student_id,assignment,score,max_score,{ASSIGNMENT}:output_size,"
                    f"{ASSIGNMENT}:layer_cost,{ASSIGNMENT}:effective_kernel_size")
    assert "Final score" not in _page(tmp_path, "alice")
