"""Attacks of the hostile corpus, graded through the real CLI in the bubblewrap jail
(``--jail bubblewrap``), as root and as an ordinary user: exact scores, nothing leaks.

The namespace jail runs the whole corpus (test_autograder_corpus.py); here the attacks
that test the jail itself rather than the grader: endless loops, fork bombs, memory,
snooping on the instructor's files, the network, and links swapped in for the dirs the
grader reads from. Then the case bubblewrap is for: a machine that refuses user
namespaces (simulated by a seccomp filter) with a setuid bwrap, where the grader must
choose bubblewrap by itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
from pathlib import Path

import ordinary_user
import pytest
from grading_corpus import (
    ASSIGNMENT,
    GOOD,
    PROJECT,
    assert_no_grader_internals,
    corpus,
    file_hashes,
    good,
    grade_args,
    grades,
    run_cli,
    write,
)

from autograder import sandbox

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(sandbox.sandbox_problem("bubblewrap")),
                                 reason="bubblewrap cannot jail a kernel here")]

ATTACKS = ("good", "loop_in_function", "loop_ignoring_sigint", "fork_bomb", "memory_bomb",
           "memory_hog", "snoop", "symlinked_output", "swapped_dirs", "fifo_trap")

# Right only without a network: no route out, and no interface but loopback.
NETWORK = """import socket

def _online():
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=3).close()
        return True
    except OSError:
        pass
    return [name for _, name in socket.if_nameindex()] != ["lo"]

ONLINE = _online()
""" + GOOD["output_size"].replace("+ 1", "+ 1 + ONLINE")


@pytest.fixture(params=["root", "ordinary user", "no user namespaces, setuid bwrap"])
def grader(request, tmp_path):
    """(a folder the grading user can write, the argv prefix that runs as that user, the
    CLI's jail arguments)."""
    with ordinary_user.grading_as("root" if request.param == "root" else "ordinary user",
                                  tmp_path) as (folder, prefix):
        if request.param != "no user namespaces, setuid bwrap":
            yield folder, prefix, ("--jail", "bubblewrap")
            return
        with _refused_user_namespaces(list(prefix)) as prefix:
            yield folder, prefix, ()  # the grader's own choice must be bubblewrap


@contextlib.contextmanager
def _refused_user_namespaces(prefix: list[str]):
    """An ordinary user on a machine where user namespaces are off and bwrap is setuid
    root (see refuse_userns.py): what a setuid bwrap is for."""
    if os.geteuid() != 0 or platform.machine() != "x86_64":
        pytest.skip("needs root (a seccomp filter, a setuid bwrap) on x86_64")
    bin_dir = Path(tempfile.mkdtemp(prefix="convlab-suid-"))
    try:
        bin_dir.chmod(0o755)
        shutil.copy2(shutil.which("bwrap"), bin_dir / "bwrap")
        (bin_dir / "bwrap").chmod(0o4755)
        env = [f"PATH={bin_dir}:{a.removeprefix('PATH=')}" if a.startswith("PATH=") else a
               for a in prefix]
        yield (sys.executable, str(Path(__file__).with_name("refuse_userns.py")), *env)
    finally:
        shutil.rmtree(bin_dir)


def test_attacks_on_the_jail_fail_in_bubblewrap(grader):
    tmp_path, prefix, jail = grader
    submissions, out = tmp_path / "submitted", tmp_path / "graded"
    other = submissions / "good" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    canary = tmp_path / "canary.txt"
    canary.write_text("instructor's file")
    secrets = [str(PROJECT / "solutions"), str(PROJECT / "autograder" / "checks"),
               str(PROJECT / ".git"), str(other), str(out), str(canary)]
    everything = corpus(secrets, targets=[str(other), str(canary)])
    entries = {s: everything[s] for s in ATTACKS}
    entries["network"] = (json.dumps(good(output_size=NETWORK)).encode(),
                          f"{ASSIGNMENT}.ipynb", 6)
    write(submissions, entries)
    if prefix:
        ordinary_user.hand_over(tmp_path)
    before = file_hashes(submissions)

    done = run_cli(*grade_args(submissions, out, *jail, timeout=10),
                   prefix=prefix)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "sandbox: bubblewrap (cold kernel starts" in done.stderr
    # setuid bwrap, no user namespace: a fork bomb would starve a concurrent kernel
    assert ("one submission at a time (--jobs 1)" in done.stderr) == (not jail)
    table = grades(out)
    got = {s: float(table[s]["score"]) if s in table else None for s in entries}
    assert got == {s: float(score) for s, (_, _, score) in entries.items()}, \
        (out / "problems.csv").read_text()
    assert file_hashes(submissions) == before
    assert canary.read_text() == "instructor's file"
    assert assert_no_grader_internals(out) == len(entries)  # no host path, no grader traceback
    problems = (out / "problems.csv").read_text()
    for student, reason in [("loop_in_function", "timed out"),
                            ("loop_ignoring_sigint", "restarted")]:
        assert re.search(f"^{student},.*{reason}", problems, re.M), (student, reason)
