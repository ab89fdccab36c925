"""The autograder CLI: release, instructor mistakes, resuming a killed batch, --force."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest
from grading_corpus import (
    ASSIGNMENT,
    FIXTURE_CHAPTERS,
    HIDDEN_TEXT,
    PROJECT,
    good,
    grade_args,
    grades,
    run_cli,
    write,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root")


def _good_corpus(names):
    import json
    return {n: (json.dumps(good()).encode(), f"{ASSIGNMENT}.ipynb", 6) for n in names}


def test_help_lists_both_commands():
    done = run_cli("--help")
    assert done.returncode == 0 and "release" in done.stdout and "grade" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["grade", "{tmp}/nowhere"], "does not exist"),
    (["grade", "{tmp}/subs", "--jobs", "0"], "must be at least 1"),
    (["grade", "{tmp}/subs", "--timeout", "-1"], "must be positive"),
    (["grade", "{tmp}/wrong_assignment"], "unknown assignment(s) 99_nope"),
    (["grade", "{tmp}/subs", "--chapters", "{tmp}/empty"], "no chapters"),
])
def test_instructor_mistakes_exit_nonzero_with_a_clear_message(tmp_path, args, message):
    (tmp_path / "subs").mkdir()
    (tmp_path / "wrong_assignment" / "alice" / "99_nope").mkdir(parents=True)
    (tmp_path / "empty").mkdir()
    args = [a.format(tmp=tmp_path) for a in args]
    if "--chapters" not in args:
        args += ["--chapters", str(FIXTURE_CHAPTERS)]
    done = run_cli(*args, "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert message in done.stderr


@needs_root
def test_root_without_namespaces_refuses_instead_of_grading_unjailed(tmp_path, monkeypatch,
                                                                    capsys):
    from autograder import cli, sandbox
    monkeypatch.setattr(sandbox, "sandbox_problem", lambda jail: "no namespaces in this container")
    write(tmp_path / "subs", _good_corpus(["alice"]))
    code = cli.main(grade_args(tmp_path / "subs", tmp_path / "out"))
    assert code == 2
    assert "cannot grade sandboxed: no namespaces in this container" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written


def test_release_is_clean_and_complete(tmp_path):
    done = run_cli("release", "--chapters", str(FIXTURE_CHAPTERS), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    folder = tmp_path / ASSIGNMENT
    text = (folder / f"{ASSIGNMENT}.ipynb").read_text()
    assert "raise NotImplementedError()" in text and "assert output_size(5, 3, 1, 0) == 3" in text
    assert not [t for t in HIDDEN_TEXT if t in text]
    assert (folder / "convlab" / "__init__.py").exists()
    names = zipfile.ZipFile(tmp_path / f"{ASSIGNMENT}.zip").namelist()
    assert f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb" in names
    assert f"{ASSIGNMENT}/convlab/__init__.py" in names
    assert not [n for n in names if "solutions" in n or "autograder" in n]


@pytest.mark.skipif(not (PROJECT / "chapters").is_dir(), reason="no chapters yet")
def test_release_of_the_real_chapters_is_clean(tmp_path):
    done = run_cli("release", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]


def test_unsandboxed_grading_works_and_says_so_loudly(tmp_path):
    write(tmp_path / "subs", {"alice": _good_corpus(["x"])["x"],
                              "bob": (_good_corpus(["x"])["x"][0].replace(
                                  b"// s + 1", b"// s"), f"{ASSIGNMENT}.ipynb", 4)})
    done = run_cli(*grade_args(tmp_path / "subs", tmp_path / "out", "--no-sandbox"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "NOT SANDBOXED" in done.stderr
    table = grades(tmp_path / "out")
    assert (table["alice"]["score"], table["bob"]["score"]) == ("6", "4")
    assert "WITHOUT the sandbox" in (tmp_path / "out" / "report.html").read_text()


@needs_root
def test_a_killed_batch_resumes_without_lost_or_doubled_rows(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    students = [f"s{i}" for i in range(3)]
    write(subs, _good_corpus(students))
    batch = subprocess.Popen([sys.executable, "-m", "autograder",
                              *grade_args(subs, out, jobs=1)], cwd=PROJECT,
                             start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list((out / "results").rglob("*.json")) and time.monotonic() < deadline:
        assert batch.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.1)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    assert 1 <= len(list((out / "results").rglob("*.json"))) < 3

    resumed = run_cli(*grade_args(subs, out))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "already graded" in resumed.stderr
    assert {s: r["score"] for s, r in grades(out).items()} == dict.fromkeys(students, "6")

    again = run_cli(*grade_args(subs, out))
    assert "0 to grade, 3 already graded" in again.stderr
    assert len(grades(out)) == 3

    s0 = subs / "s0" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    s0.write_text(s0.read_text().replace("return k + (k - 1) * (d - 1)", "return k"))
    changed = run_cli(*grade_args(subs, out))
    assert "1 to grade, 2 already graded" in changed.stderr
    assert grades(out)["s0"]["score"] == "5"

    forced = run_cli(*grade_args(subs, out, "--force"))
    assert "3 to grade, 0 already graded" in forced.stderr
    assert len(grades(out)) == 3


@needs_root
@pytest.mark.skipif(not (PROJECT / "chapters").is_dir(), reason="no chapters yet")
def test_every_real_chapter_gives_its_own_solutions_full_marks(tmp_path):
    from nbgrader.preprocessors import ClearHiddenTests

    from autograder.course.student import nbgrader_config
    clear = ClearHiddenTests(config=nbgrader_config())
    for source in sorted((PROJECT / "chapters").glob("*/*.ipynb")):
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            clear._remove_hidden_test_region(cell)
        folder = tmp_path / "subs" / "teacher" / source.parent.name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / source.name)
    done = run_cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open()))
    problems = (tmp_path / "out" / "problems.csv").read_text()
    assert {r["assignment"]: r["score"] for r in rows} == \
        {r["assignment"]: r["max_score"] for r in rows}, problems
    for page in (tmp_path / "out" / "feedback").rglob("*.html"):  # its answers keep their
        assert not [t for t in HIDDEN_TEXT[:3] if t in page.read_text()], page  # markers
