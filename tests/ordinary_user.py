"""Run the grader as an ordinary user, as an instructor without root does.

Run by root, the tests create one (``convlab-tester``, a system user with no home) and run
commands as it with ``runuser``; run by an ordinary user, they run as that user. Either
way the command gets a work folder it owns, and its own HOME and caches.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "convlab-tester"


def _user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/usr/sbin/nologin", USER],
                       capture_output=True)  # a concurrent test may have won the race
        return pwd.getpwnam(USER)


def _let_others_reach(path: Path) -> None:
    """o+x (traverse, not list) on each dir above ``path`` that lacks it: e.g. /root, where
    pyenv puts the interpreter the venv links to."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def workspace() -> tuple[Path, list[str]]:
    """(a folder the user owns, the argv prefix that runs a command as the user)."""
    folder = Path(tempfile.mkdtemp(prefix="convlab-user-"))
    (folder / "home").mkdir()
    env = ["env", f"HOME={folder / 'home'}", f"XDG_CACHE_HOME={folder / 'home' / '.cache'}",
           f"PATH={Path(sys.executable).parent}:/usr/bin:/bin"]
    if os.geteuid() != 0:
        return folder, env
    user = _user()
    _let_others_reach(Path(os.path.realpath(sys.executable)))
    _let_others_reach(Path(__file__).resolve())
    for path in (folder, *folder.rglob("*")):
        os.chown(path, user.pw_uid, user.pw_gid)
    return folder, ["runuser", "-u", USER, "--", *env]


def hand_over(folder: Path) -> None:
    """Give everything in ``folder`` (made by root meanwhile) to the folder's owner."""
    owner = folder.stat()
    for path in folder.rglob("*"):
        os.lchown(path, owner.st_uid, owner.st_gid)


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def grading_as(who: str, tmp_path: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """(a folder the grading user can write, the argv prefix that runs a command as that
    user), for ``who``: "root" (skipped unless the tests run as root), "ordinary user" (the
    test user, in a workspace of its own, removed after), or "current" (whoever runs the
    tests)."""
    if who in ("root", "current"):
        if who == "root" and os.geteuid() != 0:
            pytest.skip("needs root")
        yield tmp_path, ()
        return
    if who != "ordinary user":
        raise ValueError(f"grading_as: unknown user {who!r}")
    folder, prefix = workspace()
    try:
        yield folder, tuple(prefix)
    finally:
        remove(folder)


# A test file that reruns itself as the ordinary user does so from root's run only: the
# ordinary user's own run of the file is the rerun.
rerun_by_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="run as root, this file runs itself again as an ordinary user; "
                              "that user's own run is this one")


def rerun(test_file: str, summary: str, timeout: float) -> None:
    """Run ``test_file`` again as the ordinary user (one process, no xdist) and assert it
    passes with the pytest ``summary`` line given (e.g. "2 passed, 1 skipped"), so that no
    test silently skips for an instructor without root."""
    folder, prefix = workspace()
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider",
             "-q", "-rs", f"--basetemp={folder / 'tmp'}", test_file],
            capture_output=True, text=True, timeout=timeout, cwd=Path(__file__).parents[1])
    finally:
        remove(folder)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(rf"^{re.escape(summary)}\b", done.stdout, re.M), done.stdout[-2000:]
