"""What this machine allows a jail: the jail mode (root or user namespaces), the worker's
slot user, and a probe runner for a jail's own test of its namespaces.

Each grading worker holds one *slot*: its own system user (``convlab-grader<k>``), so the
process limit (RLIMIT_NPROC counts per user) of one kernel's fork bomb never starves a
kernel of another worker or of another grading batch on the same machine.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

SLOT_DIR = Path("/run/convlab-autograder")
USER = "convlab-grader{}"
MAX_SLOTS = 64


def jail_mode() -> str:
    """How the namespace jail runs here: ``"root"`` (a system user per worker slot),
    ``"userns"`` (an ordinary user: unprivileged user namespaces), or ``""`` (not on Linux)."""
    if sys.platform != "linux":
        return ""
    if os.geteuid() == 0 and _initial_user_namespace() and shutil.which("useradd") is not None:
        return "root"
    return "userns"  # also "root" inside a container's user namespace: its root is not ours


def _initial_user_namespace() -> bool:
    try:
        return Path("/proc/self/uid_map").read_text().split() == ["0", "0", "4294967295"]
    except OSError:
        return False


def run_probe(argv: list[str], preexec_fn=None, env: dict[str, str] | None = None) -> str:
    """Run a sandbox's probe: ``""`` if it succeeded, else the end of what it said."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          preexec_fn=preexec_fn, env=env)
    return "" if done.returncode == 0 else (done.stderr.strip()[-200:] or f"exit {done.returncode}")


_slot: tuple[int, int, int] | None = None  # (uid, gid, lock fd), held for the process's life




def slot_user() -> tuple[int, int]:
    """This process's sandbox user, created (``useradd --system``) on first use."""
    global _slot
    if _slot is None:
        SLOT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        for k in range(MAX_SLOTS):
            fd = os.open(SLOT_DIR / f"slot{k}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            user = _ensure_user(USER.format(k))
            _slot = (user.pw_uid, user.pw_gid, fd)
            break
        else:
            raise RuntimeError(f"all {MAX_SLOTS} sandbox slots are busy")
    return _slot[0], _slot[1]


def remove_slot_users() -> list[str]:
    """Delete the system user of every slot that no grading process holds, this process's
    own included (call it once no kernel of this process runs); the names removed.

    A batch creates them as it needs them, so a machine keeps none between batches. A slot
    another batch holds is left alone (its lock says so), and so is a user that still
    runs a process (``userdel`` refuses).
    """
    global _slot
    if _slot is not None:
        os.close(_slot[2])  # our own slot: free, like any other
        _slot = None
    removed = []
    for k in range(MAX_SLOTS) if SLOT_DIR.is_dir() else ():
        name = USER.format(k)
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        fd = os.open(SLOT_DIR / f"slot{k}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if subprocess.run(["userdel", name], capture_output=True).returncode == 0:
                removed.append(name)
        except BlockingIOError:
            pass
        finally:
            os.close(fd)
    return removed


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                       capture_output=True)  # a concurrent batch may have won the race
        return pwd.getpwnam(name)
