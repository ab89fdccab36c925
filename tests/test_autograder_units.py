"""The grader's trusted pieces without a kernel: recorder protocol, output loading, assembly."""

from __future__ import annotations

import ast
import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from grading_corpus import GOOD, SOURCE, notebook, released

from autograder import grade
from autograder.checks import CHECKS, cases_for, judge
from autograder.checks.answers import Failure
from autograder.course.source import SourceError, hidden_checks, parse_template
from autograder.kernel.assemble import NotANotebook, assemble, read_cells
from autograder.kernel.recorder import KERNEL_FILE, UNUSABLE, load_outputs, write_cases

TEMPLATE = parse_template(SOURCE.read_text(), CHECKS)


def _load(folder: Path, name: str, count: int):
    """load_outputs as the grader calls it: relative to a directory descriptor."""
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return load_outputs(directory, name, count)
    finally:
        os.close(directory)


def _record(tmp_path, check_id, function):
    """Run the kernel-side recorder in this process (as the kernel would) and load its file."""
    cases = cases_for(check_id)
    write_cases(cases, tmp_path / "cases")
    record = runpy.run_path(str(KERNEL_FILE))["record"]  # as recorder_call loads it
    record(str(tmp_path / "cases"), str(tmp_path / "out.npz"), lambda: function)
    return cases, _load(tmp_path, "out.npz", len(cases))


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_recorder_round_trip_gives_the_in_process_verdict(tmp_path, check_id):
    check = CHECKS[check_id]
    cases, outputs = _record(tmp_path, check_id, check.reference)
    assert judge(check, cases, outputs).passed
    for mistake in check.mistakes[:1]:
        cases, outputs = _record(tmp_path, check_id, mistake.answer)
        assert f"Likely mistake: {mistake.name}" in judge(check, cases, outputs).message


def test_recorder_reports_a_missing_function(tmp_path):
    write_cases(cases_for("ch01.output_size"), tmp_path / "cases")
    record = runpy.run_path(str(KERNEL_FILE))["record"]
    record(str(tmp_path / "cases"), str(tmp_path / "out.npz"),
           lambda: undefined_name)  # noqa: F821 - the student never defined it
    assert "NameError" in _load(tmp_path, "out.npz", 60)


def _bad(tmp_path, make):
    path = tmp_path / "out.npz"
    make(path)
    return _load(path.parent, path.name, 2)


def test_hostile_output_files_are_refused_not_trusted(tmp_path):
    assert _load(tmp_path, "absent.npz", 2) is None
    os.symlink("/etc/hostname", tmp_path / "link.npz")
    assert "is a symbolic link" in _load(tmp_path, "link.npz", 2)[0].detail
    os.mkfifo(tmp_path / "fifo.npz")  # opened without O_NONBLOCK, this would hang forever
    assert "not a regular file" in _load(tmp_path, "fifo.npz", 2)[0].detail
    (tmp_path / "dir.npz").mkdir()
    assert "not a regular file" in _load(tmp_path, "dir.npz", 2)[0].detail
    # a decompression bomb: tiny on disk, 800 MB once unpacked
    bomb = _bad(tmp_path, lambda p: np.savez_compressed(p, a0=np.zeros(10**8)))
    assert "malformed" in bomb[0].detail
    pickled = _bad(tmp_path, lambda p: np.savez(p, a0=np.array([object()], dtype=object)))
    assert "malformed" in pickled[0].detail
    text = _bad(tmp_path, lambda p: np.savez(p, a0=np.array(["7"]), e1=np.array(5)))
    assert "dtype <U1" in text[0].detail and "malformed" in text[1].detail
    forged = _bad(tmp_path, lambda p: np.savez(p, k0=np.array("raises\x1b[2J"), e0=np.array("x"),
                                               k1=np.array(["raises X"]), e1=np.array("y")))
    assert forged == [Failure(UNUSABLE, "the recorded error was malformed")] * 2
    garbage = _bad(tmp_path, lambda p: p.write_bytes(b"PK\x03\x04 not a zip"))
    assert "malformed" in garbage[0].detail
    empty = _bad(tmp_path, lambda p: zipfile.ZipFile(p, "w").close())
    assert empty == [Failure(UNUSABLE, "no output was recorded for this case")] * 2


def test_the_recorder_is_a_module_of_numpy_and_the_standard_library_only():
    """The kernel loads it from the grader dir, where the autograder package is not."""
    tree = ast.parse(KERNEL_FILE.read_text())
    imported = {alias.name.partition(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.partition(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert imported <= set(sys.stdlib_module_names) | {"numpy"}, imported


def test_the_recorder_runs_where_the_grader_cannot_be_imported(tmp_path):
    """As in a jail: a fresh interpreter, the file alone in a folder, no autograder on the path."""
    shutil.copyfile(KERNEL_FILE, tmp_path / "recorder.py")
    write_cases([(1.0,), (2.0,)], tmp_path / "cases")
    code = ("import runpy, sys\n"
            "sys.modules['autograder'] = sys.modules['solutions'] = None  # unimportable\n"
            "def stub(x):\n    raise NotImplementedError()\n"
            f"runpy.run_path({str(tmp_path / 'recorder.py')!r})['record']("
            f"{str(tmp_path / 'cases')!r}, {str(tmp_path / 'out.npz')!r}, lambda: stub)\n")
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _load(tmp_path, "out.npz", 2) == [
        Failure("not answered", "raised NotImplementedError: ")] * 2


def _student(nb: dict) -> list[dict]:
    return read_cells(json.dumps(nb).encode())


def test_assembly_restores_locked_cells_and_keeps_answers_and_helpers():
    nb = notebook(GOOD, drop=("output_size_tests",), edit={"layer_cost_tests": "pass"})
    nb["cells"].insert(3, {"cell_type": "code", "source": "def helper():\n    return 1",
                           "metadata": {}, "outputs": [], "execution_count": None})
    nb["cells"].append(dict(nb["cells"][4]))  # a second copy of an answer cell
    cells, notes = assemble(TEMPLATE, _student(nb))
    sources = [c.source for c in cells]
    for t in TEMPLATE.cells:
        if t.role in ("test", "locked", "plain"):
            assert t.source in sources
    assert GOOD["output_size"] in sources
    assert sources.index("def helper():\n    return 1") == 3  # after the cell it followed
    assert sum("was deleted" in n for n in notes) == 1
    assert sum("was edited" in n for n in notes) == 1
    assert sum("second copy" in n for n in notes) == 1


def test_assembly_of_an_empty_notebook_runs_the_given_stubs():
    cells, notes = assemble(TEMPLATE, [])
    assert [c.origin for c in cells if c.template.role == "solution"] == ["restored"] * 3
    assert len(notes) == 3 + 3 + 1  # answers missing, test cells and the locked intro deleted


def test_released_notebook_needs_no_restoring():
    _, notes = assemble(TEMPLATE, _student(released()))
    assert notes == []


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'{"cells": 3}', "é".encode("latin-1"),
                                 b"{}" + b" " * (21 * 2**20)])
def test_unreadable_notebooks_are_refused_with_a_reason(raw):
    with pytest.raises(NotANotebook):
        read_cells(raw)


def test_hidden_region_may_only_call_known_checks():
    ok = "### BEGIN HIDDEN TESTS\nfrom autograder.checks import check\ncheck('ch01.conv2d', f)\n" \
         "### END HIDDEN TESTS"
    assert [c.check_id for c in hidden_checks(ok, "t", CHECKS)] == ["ch01.conv2d"]
    with pytest.raises(SourceError, match="only hold"):
        hidden_checks(ok.replace("check('ch01.conv2d', f)", "assert f(1) == 2"), "t", CHECKS)
    with pytest.raises(SourceError, match="unknown check"):
        hidden_checks(ok.replace("conv2d", "nope"), "t", CHECKS)



def test_scratch_left_by_a_killed_grader_is_swept_once_and_only_if_its_owner_is_gone():
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    base = Path(tempfile.gettempdir())
    stale = base / f"{grade.SCRATCH_PREFIX}{dead}-test"
    alive = base / f"{grade.SCRATCH_PREFIX}{os.getppid()}-test"  # pytest's parent lives on
    for folder in (stale, alive):
        (folder / "stage").mkdir(parents=True, exist_ok=True)
    try:
        grade._swept.cache_clear()
        assert grade._swept() == os.getpid()
        assert not stale.exists() and alive.exists()
    finally:
        for folder in (stale, alive):
            shutil.rmtree(folder, ignore_errors=True)


def test_every_setting_of_a_job_but_the_listed_few_changes_its_key():
    """A new field of Job is in the key unless NOT_IN_KEY names it (with its reason)."""
    import dataclasses

    from autograder.course.submissions import NotebookJob
    from autograder.sandbox import Limits
    job = grade.Job("ana", "01_x", (NotebookJob("01_x", "{}", b"answer"),), "/a/convlab",
                    timeout=30.0, wall_clock=600.0, case_seed=7, code="abc", jail="namespaces")
    changed = {"student_id": "bo", "assignment_id": "02_y", "support": "/b/convlab",
               "notebooks": (NotebookJob("01_x", "{}", b"other"),), "timeout": 31.0,
               "wall_clock": 601.0, "case_seed": 8, "code": "abd", "jail": "bubblewrap",
               "limits": Limits(cpu_seconds=1)}
    assert set(changed) == {f.name for f in dataclasses.fields(grade.Job)}
    for name, value in changed.items():
        other = dataclasses.replace(job, **{name: value})
        assert (other.key == job.key) == (name in grade.NOT_IN_KEY), name
    assert dataclasses.replace(job, jail="none").key != job.key  # sandboxed or not counts
    assert grade.NOT_IN_KEY == {"student_id", "assignment_id", "support", "jail"}
