"""Run the grader as an ordinary user, as an instructor without root does.

Run by root, the tests create one (``convlab-tester``, a system user with no home) and run
commands as it with ``runuser``; run by an ordinary user, they run as that user. Either
way the command gets a work folder it owns, and its own HOME and caches.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

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
