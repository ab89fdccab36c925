"""The roster (autograder/course/roster.py): what a usable roster is, decided once for
``collect`` and ``export``; a bad one is refused with the file, the line and the fix, and
neither command writes anything. The roster, Moodle's worksheet and the overrides file are
read one way (autograder/course/csv_table.py)."""

from __future__ import annotations

from datetime import UTC

import pytest
from grading_corpus import FIXTURE_CHAPTERS, run_cli

from autograder.course import collect, overrides
from autograder.course.roster import RosterError, read

GOOD = "student_id,ID,Full name\nalice,101,Alice Liddell\nbob,102,\n"


def _roster(tmp_path, data: bytes | str):
    path = tmp_path / "roster.csv"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_a_good_roster_is_read_stripped_with_blanks_filled_and_lines_kept(tmp_path):
    # a spreadsheet's byte-order mark, padded cells, a short row and a trailing blank line
    path = _roster(tmp_path, b"\xef\xbb\xbfstudent_id , ID,Full name\r\n alice ,101, Alice\r\n"
                             b"\r\nbob,102\r\n,,\r\n")
    roster = read(path)
    assert roster.columns == ["student_id", "ID", "Full name"]
    assert roster.rows == [{"student_id": "alice", "ID": "101", "Full name": "Alice"},
                           {"student_id": "bob", "ID": "102", "Full name": ""}]
    assert roster.lines == {"alice": 2, "bob": 4}


@pytest.mark.parametrize("data, message", [
    ("student,ID\na,1\n", "has no column 'student_id' (the submission folders' names); "
                          "its columns are: student, ID"),
    ("", "is empty: it needs a header row with 'student_id'"),
    ("student_id,ID,ID\na,1,2\n", "has the column(s) 'ID' twice in its header"),
    ("student_id,ID\nalice,1\nbob,2\nalice,3\n",
     "line 4: student_id 'alice' appears twice (first on line 2)"),
    ("student_id,ID\n,1\n", "line 2: student_id '' cannot be a folder name"),
    ("student_id,ID\n../eve,1\n", "line 2: student_id '../eve' cannot be a folder name"),
    ("student_id,ID\n.hidden,1\n", "cannot be a folder name (empty, hidden, or with a slash)"),
    ("student_id,Student\nalice,Liddell, Alice\n",
     "line 2: 3 cells but the header has 2 columns (a comma inside a name needs quotes)"),
    ("student_id,Full name\nalice,Zo\xeb\n".encode("latin-1"),
     "line 2: not UTF-8 text (byte 0xeb): save it as 'CSV UTF-8'"),
    ('student_id,ID\nalice,"1\n', "line 2: unexpected end of data"),
])
def test_a_bad_roster_is_refused_naming_the_problem(tmp_path, data, message):
    path = _roster(tmp_path, data)
    with pytest.raises(RosterError) as error:
        read(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_a_missing_roster_names_the_file(tmp_path):
    with pytest.raises(RosterError, match="cannot read the roster .*absent.csv"):
        read(tmp_path / "absent.csv")


@pytest.mark.parametrize("data, message", [
    ("student_id,ID\nalice,1\nalice,2\n", "appears twice"),
    ("student_id,ID\nalice,1\n".encode("utf-16"), "not UTF-8 text"),
])
def test_collect_and_export_refuse_a_bad_roster_and_write_nothing(tmp_path, data, message):
    roster = _roster(tmp_path, data)
    (tmp_path / "download").mkdir()
    out = tmp_path / "submitted"
    done = run_cli("collect", str(tmp_path / "download"), "--roster", str(roster),
                   "--out", str(out), "--chapters", str(FIXTURE_CHAPTERS))
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not out.exists()
    graded = tmp_path / "graded"
    graded.mkdir()
    (graded / "grades.csv").write_text("student_id,assignment,score,max_score\nalice,a,1,2\n")
    done = run_cli("export", str(graded), "--format", "canvas", "--roster", str(roster),
                   "--out", str(tmp_path / "canvas.csv"))
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download", "graded", "roster.csv"]
    assert sorted(p.name for p in graded.iterdir()) == ["grades.csv"]


@pytest.mark.parametrize("reader, error, header", [
    (read, RosterError, "student_id,Full name"),
    (lambda path: collect.read_worksheet(path, UTC), collect.CollectError,
     "Identifier,Full name,Last modified (submission)"),
    (overrides.load, overrides.OverrideError, "student_id,assignment,exercise,points,comment"),
])
def test_every_instructor_csv_is_read_the_same_way(tmp_path, reader, error, header):
    """Each refuses another encoding, an open quote and a row longer than its header."""
    width, name = header.count(",") + 1, "Zo\xeb,"
    for data, message in [
        (f"{header}\n{name * width}\n".encode("latin-1"), "line 2: not UTF-8 text"),
        (f'{header}\n"a{"," * width}\n', "line 2: unexpected end of data"),
        (f"{header}\n{'a,' * width}b\n", f"line 2: {width + 1} cells but the header has"),
    ]:
        path = _roster(tmp_path, data)
        with pytest.raises(error) as found:
            reader(path)
        assert message in str(found.value) and str(path) in str(found.value)
