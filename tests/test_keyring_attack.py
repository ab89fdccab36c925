"""The keyring attack of issue 21, through the real CLI: student A's answer cell adds a key
(``add_key`` via ctypes) to every keyring it can name, student B's, graded next on the
same worker (``--jobs 1``), looks for it. As root, as an ordinary user, and in bubblewrap,
A's calls fail with PermissionError and B finds nothing; both still score on their
answers."""

from __future__ import annotations

import json

import ordinary_user
import pytest
from grading_corpus import ASSIGNMENT, GOOD, good, grade_args, grades, run_cli, write

from autograder import sandbox
from autograder.sandbox import syscall_filter

CALL = f"""import ctypes
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_NR = {syscall_filter.numbers()!r}
_RINGS = {{"thread": -1, "process": -2, "session": -3, "user": -4, "user_session": -5}}

def _call(name, *args):
    ctypes.set_errno(0)
    if _libc.syscall(ctypes.c_long(_NR[name]), *args) >= 0:
        return "ok"
    try:
        raise OSError(ctypes.get_errno(), name)
    except OSError as error:
        return type(error).__name__
"""
STASH = CALL + """
print("ADDED", sorted({_call("add_key", b"user", b"stash-for-b", b"payload", ctypes.c_size_t(7),
                              ctypes.c_int(ring)) for ring in _RINGS.values()}))
"""
LOOK = CALL + """
print("FOUND", sorted({_call("keyctl", 10, ctypes.c_int(ring), b"user", b"stash-for-b", 0)
                       for ring in _RINGS.values()}
                      | {_call("request_key", b"user", b"stash-for-b", None, 0)}))
"""


@pytest.fixture(params=["root", "ordinary user", "bubblewrap"])
def grader(request, tmp_path):
    """(a folder the grading user can write, the argv prefix, extra grade arguments)."""
    extra = ("--jail", "bubblewrap") if request.param == "bubblewrap" else ()
    if extra and sandbox.sandbox_problem("bubblewrap"):
        pytest.skip("bubblewrap cannot jail a kernel here")
    who = "current" if extra else request.param  # bubblewrap: as whoever runs the tests
    with ordinary_user.grading_as(who, tmp_path) as (folder, prefix):
        yield folder, prefix, extra


def test_a_key_left_by_student_a_is_not_found_by_student_b(grader):
    folder, prefix, extra = grader
    submissions, out = folder / "submitted", folder / "graded"
    entries = {"a_stash": (json.dumps(good(output_size=STASH + GOOD["output_size"])).encode(),
                           f"{ASSIGNMENT}.ipynb", 6),
               "b_look": (json.dumps(good(output_size=LOOK + GOOD["output_size"])).encode(),
                          f"{ASSIGNMENT}.ipynb", 6)}
    write(submissions, entries)
    if prefix:
        ordinary_user.hand_over(folder)
    done = run_cli(*grade_args(submissions, out, *extra, jobs=1), prefix=prefix)
    assert done.returncode == 0, done.stderr[-3000:]
    assert {s: float(r["score"]) for s, r in grades(out).items()} == {"a_stash": 6, "b_look": 6}
    page = {s: (out / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
            for s in entries}
    assert "ADDED [&#x27;PermissionError&#x27;]" in page["a_stash"]
    assert "FOUND [&#x27;PermissionError&#x27;]" in page["b_look"]
    assert "payload" not in page["b_look"]
