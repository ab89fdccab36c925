"""``collect``: Canvas and Moodle downloads in their documented naming -> the submitted layout,
with every file it could not place listed (autograder/course/collect.py and the CLI)."""

from __future__ import annotations

import csv
import zipfile
from datetime import UTC
from pathlib import Path

import pytest
from grading_corpus import FIXTURE_CHAPTERS, run_cli

from autograder.course.collect import (
    CollectError,
    collect,
    read_roster,
    read_worksheet,
    write,
)
from autograder.course.timestamps import read as read_time

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
ROSTER = """student_id,Student,ID,SIS Login ID,Participant,Full name,Email address
alice,"Liddell, Alice",101,,Participant 5551,Alice Liddell,alice@uni.edu
bob,"Hatter, Bob",102,,,Bob Hatter,bob@uni.edu
carol,"Queen, Carol",103,,,Carol Queen,carol@uni.edu
"""
# Canvas "Download Submissions": login_userid_fileid_name, "late" after the login, "-N"
# before the extension for a file uploaded again under the same name.
CANVAS = {
    "liddellalice_101_9001_00_fixture.ipynb": NOTEBOOK,
    "hatterbob_late_102_9002_00_fixture-1.ipynb": NOTEBOOK,  # late and resubmitted
    "queencarol_103_9003_00_fixture.ipynb": b'{"old": 1}',  # superseded by the -1 upload
    "queencarol_103_9004_00_fixture-1.ipynb": NOTEBOOK,
    "liddellalice_101_9005_notes.pdf": b"%PDF-1.4",  # not a notebook
    "liddellalice_101_9006_scratch.ipynb": NOTEBOOK,  # no chapter has this notebook
    "strangerdan_999_9007_00_fixture.ipynb": NOTEBOOK,  # not on the roster
}
# Moodle "Download all submissions": a folder per student and plugin.
MOODLE = {
    "Alice Liddell_5551_assignsubmission_file_/00_fixture.ipynb": NOTEBOOK,  # by participant
    "Alice Liddell_5551_assignsubmission_onlinetext_/onlinetext.html": b"<p>hi</p>",
    "Bob Hatter_5552_assignsubmission_file_/00_fixture.ipynb": NOTEBOOK,  # by full name
    "Bob Hatter_5552_assignsubmission_file_/plot.png": b"\x89PNG",
    "Carol Queen_5553_assignsubmission_file_00_fixture.ipynb": NOTEBOOK,  # flat, older Moodle
    "Eve Unknown_5559_assignsubmission_file_/00_fixture.ipynb": NOTEBOOK,
}
WORKSHEET = """Identifier,Full name,Email address,Status,Grade,Last modified (submission)
Participant 5551,Alice Liddell,alice@uni.edu,Submitted,,"Friday, 9 October 2026, 11:58 PM"
Participant 5552,Bob Hatter,bob@uni.edu,Submitted,,"Saturday, 10 October 2026, 2:05 AM"
Participant 5553,Carol Queen,carol@uni.edu,Submitted,,-
"""
NOTEBOOKS = {"00_fixture.ipynb": "00_fixture"}


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def _reasons(collection) -> dict[str, str]:
    return {u.source: u.reason for u in collection.unplaced}


def test_canvas_download(tmp_path, roster):
    download = _zip(tmp_path / "submissions.zip", CANVAS)
    collection = collect(download, read_roster(roster), NOTEBOOKS)
    assert collection.lms == "canvas"
    placed = {(p.student_id, p.notebook, p.source, p.lms_late, p.submitted)
              for p in collection.placed}
    assert placed == {
        ("alice", "00_fixture.ipynb", "liddellalice_101_9001_00_fixture.ipynb", False, None),
        ("bob", "00_fixture.ipynb", "hatterbob_late_102_9002_00_fixture-1.ipynb", True, None),
        ("carol", "00_fixture.ipynb", "queencarol_103_9004_00_fixture-1.ipynb", False, None)}
    reasons = _reasons(collection)
    assert reasons == {
        "queencarol_103_9003_00_fixture.ipynb":
            "carol: superseded by queencarol_103_9004_00_fixture-1.ipynb",
        "liddellalice_101_9005_notes.pdf": "alice: not a notebook (.pdf)",
        "liddellalice_101_9006_scratch.ipynb":
            "alice: scratch.ipynb is no chapter's notebook; pass --assignment ID to place it",
        "strangerdan_999_9007_00_fixture.ipynb":
            "no roster student with Canvas ID 999 or login strangerdan (roster columns ID, "
            "SIS Login ID, Student)"}
    # every file is accounted for
    assert len(collection.placed) + len(collection.unplaced) == len(CANVAS)


def test_canvas_with_an_assignment_places_any_notebook_name(tmp_path, roster):
    download = _zip(tmp_path / "submissions.zip", CANVAS)
    collection = collect(download, read_roster(roster), NOTEBOOKS, assignment="00_fixture")
    assert ("alice", "scratch.ipynb") in {(p.student_id, p.notebook) for p in collection.placed}


def test_moodle_download_with_its_worksheet(tmp_path, roster):
    download = _zip(tmp_path / "CS101-Fixture-12345.zip", MOODLE)
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text(WORKSHEET)
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Europe/Zurich")
    collection = collect(download, read_roster(roster), NOTEBOOKS,
                         worksheet=read_worksheet(sheet, zone))
    assert collection.lms == "moodle"
    placed = {p.student_id: (p.notebook, p.submitted) for p in collection.placed}
    assert placed == {
        "alice": ("00_fixture.ipynb", __import__("datetime").datetime(2026, 10, 9, 23, 58,
                                                                      tzinfo=zone)),
        "bob": ("00_fixture.ipynb", __import__("datetime").datetime(2026, 10, 10, 2, 5,
                                                                    tzinfo=zone)),
        "carol": ("00_fixture.ipynb", None)}  # "-" in the worksheet: unknown
    reasons = _reasons(collection)
    assert reasons["Bob Hatter_5552_assignsubmission_file_/plot.png"] == \
        "bob: not a notebook (.png)"
    assert "onlinetext submission, not a file upload" in \
        reasons["Alice Liddell_5551_assignsubmission_onlinetext_/onlinetext.html"]
    assert "no roster student for participant 5559 (Eve Unknown)" in \
        reasons["Eve Unknown_5559_assignsubmission_file_/00_fixture.ipynb"]
    assert len(collection.placed) + len(collection.unplaced) == len(MOODLE)


def test_written_layout_times_and_list_and_no_overwrite_without_force(tmp_path, roster):
    download = tmp_path / "moodle"  # an unpacked download (a folder) works too
    for name, data in MOODLE.items():
        (download / name).parent.mkdir(parents=True, exist_ok=True)
        (download / name).write_bytes(data)
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text(WORKSHEET)
    collection = collect(download, read_roster(roster), NOTEBOOKS,
                         worksheet=read_worksheet(sheet, UTC))
    out = tmp_path / "submitted"
    log = write(out, collection, download)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "alice/00_fixture/00_fixture.ipynb", "alice/00_fixture/timestamp.txt",
        "bob/00_fixture/00_fixture.ipynb", "bob/00_fixture/timestamp.txt",
        "carol/00_fixture/00_fixture.ipynb", "collections/moodle.csv"]
    assert read_time(out / "bob" / "00_fixture").isoformat() == "2026-10-10T02:05:00+00:00"
    rows = list(csv.DictReader(log.open()))
    assert len(rows) == len(MOODLE)  # every file, placed or not
    assert {r["submitted"] for r in rows if r["student_id"] == "carol"} == {"unknown"}
    assert sum(r["placed"] == "no" for r in rows) == 3
    with pytest.raises(CollectError, match="already holds an earlier collection.*--force"):
        write(out, collection, download)
    (out / "alice" / "00_fixture" / "00_fixture.ipynb").write_bytes(b"edited")
    write(out, collection, download, force=True)
    assert (out / "alice" / "00_fixture" / "00_fixture.ipynb").read_bytes() == NOTEBOOK
    assert not [p for p in out.iterdir() if p.name.startswith(".collect-")]  # staging removed


def test_not_a_download(tmp_path, roster):
    _zip(tmp_path / "x.zip", {"essay.docx": b"x"})
    with pytest.raises(CollectError, match="no file in the download is named as Canvas"):
        collect(tmp_path / "x.zip", read_roster(roster), NOTEBOOKS)


def test_cli_collect_lists_what_it_could_not_place(tmp_path, roster):
    download = _zip(tmp_path / "submissions.zip", CANVAS)
    out = tmp_path / "submitted"
    args = ["collect", str(download), "--roster", str(roster), "--out", str(out),
            "--chapters", str(FIXTURE_CHAPTERS)]
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert "3 submissions placed" in done.stderr and "4 files not placed" in done.stderr
    assert "liddellalice_101_9005_notes.pdf: alice: not a notebook (.pdf)" in done.stderr
    assert "time unknown" in done.stderr  # Canvas records none
    assert (out / "bob" / "00_fixture" / "00_fixture.ipynb").exists()
    again = run_cli(*args)
    assert again.returncode == 2 and "--force" in again.stderr
    assert run_cli(*args, "--force").returncode == 0
    assert "collect" in run_cli("--help").stdout
