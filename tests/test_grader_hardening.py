"""The grader's newer defences, one by one and without a kernel: reads that cannot be
steered, per-student cases, numpy-only answers, bounded output, links refused."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from grading_corpus import ASSIGNMENT, GOOD, good

from autograder.checks import cases_for
from autograder.checks.core import Check, call_numpy_only, judge, run_cases
from autograder.course.course_secret import SecretError, case_seed, load_or_create
from autograder.course.source import find_assignments
from autograder.course.submissions import notebook_jobs
from autograder.sandbox import memory_cap
from autograder.sandbox.bound_output import startup_file
from autograder.sandbox.hostile_fs import UnsafeFile, open_directory, read_regular


@pytest.fixture
def folder(tmp_path):
    fd = open_directory(str(tmp_path))
    yield tmp_path, fd
    os.close(fd)


def test_reads_refuse_links_fifos_directories_and_big_files(folder):
    path, fd = folder
    (path / "ok").write_bytes(b"data")
    assert read_regular(fd, "ok", 4) == b"data"
    with pytest.raises(UnsafeFile, match="larger than 3 bytes"):
        read_regular(fd, "ok", 3)
    os.symlink("/etc/hostname", path / "link")
    with pytest.raises(UnsafeFile, match="symbolic link"):
        read_regular(fd, "link", 100)
    os.mkfifo(path / "fifo")  # a blocking open would wait for a writer forever
    with pytest.raises(UnsafeFile, match="not a regular file"):
        read_regular(fd, "fifo", 100)
    with pytest.raises(FileNotFoundError):
        read_regular(fd, "absent", 100)
    with pytest.raises(ValueError, match="single file name"):
        read_regular(fd, "../etc/passwd", 100)


def test_a_directory_swapped_after_opening_does_not_redirect_reads(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "result").write_bytes(b"mine")
    fd = open_directory(str(out))
    try:
        out.rename(tmp_path / "moved")
        out.symlink_to("/etc")  # what a kernel could do between two hidden checks
        assert read_regular(fd, "result", 10) == b"mine"
        with pytest.raises(FileNotFoundError):
            read_regular(fd, "hostname", 100)
    finally:
        os.close(fd)
    with pytest.raises(OSError):
        open_directory(str(out))  # the link itself is refused


def test_case_seeds_are_per_student_reproducible_and_secret(tmp_path):
    secret = load_or_create(tmp_path / "secret")
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert load_or_create(tmp_path / "secret") == secret  # the regrade sees the same cases
    seeds = {case_seed(secret, s, a) for s in ("ann", "bob") for a in ("01", "02")}
    assert len(seeds) == 4
    assert case_seed(b"another course secret, 32 chars+", "ann", "01") not in seeds
    ann, bob = case_seed(secret, "ann", "01"), case_seed(secret, "bob", "01")
    assert repr(cases_for("ch01.output_size", ann)) != repr(cases_for("ch01.output_size", bob))
    assert repr(cases_for("ch01.output_size", ann)) == repr(cases_for("ch01.output_size", ann))
    (tmp_path / "secret").chmod(0o644)
    with pytest.raises(SecretError, match="readable by others"):
        load_or_create(tmp_path / "secret")
    (tmp_path / "short").write_text("abc")
    (tmp_path / "short").chmod(0o600)
    with pytest.raises(SecretError, match="at least 32"):
        load_or_create(tmp_path / "short")
    os.symlink(tmp_path / "secret", tmp_path / "link")
    with pytest.raises(SecretError, match="cannot be read"):
        load_or_create(tmp_path / "link")


def _correlate2d(x, k):
    from scipy.signal import correlate2d
    return correlate2d(x, k, mode="valid")


def _in_a_thread(x, k):
    out = []
    worker = threading.Thread(target=lambda: out.append(_correlate2d(x, k)))
    worker.start()
    worker.join()
    return out[0]


def _watch_switched_off(x, k):
    sys.setprofile(None)
    return _correlate2d(x, k)


def _sympy(x, k):  # an unsandboxed grade's kernel sees a dev venv's sympy (torch needs it)
    import sympy

    sympy.Integer(1)
    return _numpy(x, k)


def _numpy(x, k):
    kh, kw = k.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw))
    return np.einsum("ijab,ab->ij", windows, k)


@pytest.mark.parametrize("answer, why", [
    (_correlate2d, "used scipy ("), (_in_a_thread, "_thread.start"),
    (_watch_switched_off, "sys.setprofile"), (_sympy, "used sympy ("),
    (lambda x, k: os.system("true") and _numpy(x, k), "posix.system"),
])
def test_library_answers_are_refused_with_the_reason(answer, why):
    x, k = np.arange(16.0).reshape(4, 4), np.ones((2, 2))
    result, misuse = call_numpy_only(answer, (x, k))
    assert misuse is not None and why in misuse.detail, misuse
    assert sys.getprofile() is None and threading.getprofile() is None


def test_a_numpy_answer_passes_the_watch_and_scipy_fails_the_check():
    x, k = np.arange(16.0).reshape(4, 4), np.ones((2, 2))
    result, misuse = call_numpy_only(_numpy, (x, k))
    assert misuse is None
    np.testing.assert_allclose(result, _correlate2d(x, k))
    student = "def corr2d(x, k):\n    from scipy.signal import correlate2d\n" \
              "    return correlate2d(x, k, mode='valid')\n"
    namespace: dict = {}
    exec(student, namespace)
    spec = Check(id="test.corr2d", function="corr2d", reference=_numpy, cases=lambda rng: [
        (rng.standard_normal((5, 5)), rng.standard_normal((2, 2))) for _ in range(3)])
    cases = spec.cases(np.random.default_rng(0))
    assert judge(spec, cases, run_cases(_numpy, cases)).passed
    verdict = judge(spec, cases, run_cases(namespace["corr2d"], cases))
    assert not verdict.passed and "graded functions must use numpy only" in verdict.message


def _run_startup(limit: int, code: str) -> str:
    """Run the output bound over a fake ipykernel stream; what reached the stream."""
    program = (
        "import sys\n"
        "class Stream:\n"
        "    parent_header = {'msg_id': 'cell-1', 'msg_type': 'execute_request'}\n"
        "    def __init__(self): self.got = []\n"
        "    def write(self, text): self.got.append(text); return len(text)\n"
        "    def flush(self): pass\n"
        "out = Stream(); sys.stdout = out\n"
        f"{startup_file(limit)}\n{code}\n"
        "sys.__stdout__.write(''.join(out.got))\n")
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          check=True).stdout


def test_the_kernel_bounds_each_cells_output_and_says_where():
    text = _run_startup(100, "print('a' * 70)\nprint('b' * 70)\nprint('c' * 70)")
    assert text.startswith("a" * 70 + "\n" + "b" * 29)
    assert text.count("[output truncated by the grader]") == 1 and "cc" not in text
    # ipykernel's parent_header is the request's header itself (its extract_header)
    fresh = _run_startup(100, "print('a' * 150)\nout.parent_header = {'msg_id': 'cell-2', "
                         "'msg_type': 'execute_request'}\nprint('d' * 10)")
    assert fresh.endswith("d" * 10 + "\n")  # the next cell starts with a full budget


def _assignment():
    return find_assignments(Path(__file__).parent / "fixtures" / "chapters")[ASSIGNMENT]


def test_linked_notebooks_and_folders_are_refused_not_read(tmp_path):
    assignment = _assignment()
    source = assignment.notebooks[0]
    linked = tmp_path / "linked" / ASSIGNMENT
    linked.mkdir(parents=True)
    (linked / source.name).symlink_to(source)
    [job] = notebook_jobs(linked, assignment)
    assert job.submitted is None and "is a symbolic link" in job.note
    real = tmp_path / "real" / ASSIGNMENT
    real.mkdir(parents=True)
    (real / source.name).write_text(str(good()))
    alias = tmp_path / "alias" / ASSIGNMENT
    alias.parent.mkdir()
    alias.symlink_to(real, target_is_directory=True)
    [job] = notebook_jobs(alias, assignment)
    assert job.submitted is None and "is a symbolic link" in job.note
    fifo = tmp_path / "fifo" / ASSIGNMENT
    fifo.mkdir(parents=True)
    os.mkfifo(fifo / source.name)
    [job] = notebook_jobs(fifo, assignment)
    assert job.submitted is None and "not a regular file" in job.note
    [job] = notebook_jobs(real, assignment)
    assert job.submitted is not None and job.note == ""
    assert GOOD  # the corpus' answers are what the real submission holds


def test_memory_cap_mode_is_named():
    assert memory_cap.mode() in ("cgroup v2", "cgroup v1", memory_cap.PER_PROCESS)
    cgroup = memory_cap.create(2**30)
    try:
        if os.geteuid() == 0 and memory_cap.mode() != memory_cap.PER_PROCESS:
            assert cgroup is not None and cgroup.is_dir()
    finally:
        memory_cap.remove(cgroup)
    assert cgroup is None or not cgroup.exists()
