"""The bubblewrap jail: for machines that refuse our own user namespaces but let ``bwrap``
create them.

That is a setuid ``bwrap`` on a system with ``user.max_user_namespaces=0`` or Debian's old
``kernel.unprivileged_userns_clone=0``, or Ubuntu with AppArmor's user-namespace
restriction *and* the ``bwrap-userns-restrict`` profile loaded (shipped, not loaded, with
24.04's apparmor-profiles; loaded by default from 25.04). Ubuntu 24.04's packaged,
non-setuid bwrap without that profile is refused like our jail is (its net namespace
setup fails: "loopback: Failed RTM_NEWADDR: Operation not permitted"), so there
:func:`sandbox.choose` explains what to enable instead.

The same world as the namespace jail (the visible system and package masks come from
sandbox.py): a read-only root holding the interpreter, a private ``/tmp`` and ``/dev/shm``,
the work dir on a tmpfs with the stage copied in, the grader dir read-only but for its
``out`` dir, no network, a pid namespace (bwrap's pid 1 dies with the grader, and every
process of the namespace with it), uid and gid 1000 with no capabilities, the rlimits
and the memory cgroup. The kernel starts cold: the warm launcher forks only into the
namespace jail, so each kernel pays its imports (about 2.5 s of CPU).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from .jail import STUDENT_ID, die_with_parent, masked_init
from .sandbox import (
    JAILED_GRADER_DIR,
    KERNEL_DIR,
    Kernel,
    Sandbox,
    _kernel_env,
    _visible_system,
    jail_mode,
    run_probe,
    slot_user,
)

STARTUP_SECONDS = 30
# bwrap's namespaces, with a user namespace of its own (uid 1000 in it, nothing mapped
# but the grader's or the slot's uid) or, only for a setuid bwrap where user namespaces
# are off, without: then the kernel keeps the grader's uid (never root: see _setuid).
OWN_USER = ["--unshare-user", "--disable-userns", "--uid", str(STUDENT_ID),
            "--gid", str(STUDENT_ID)]
COMMON = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
LIMITED = ("import json, os, resource, sys\n"
           "for name, value in json.loads(sys.argv[1]).items():\n"
           "    resource.setrlimit(getattr(resource, name), (value, value))\n"
           "os.umask(0o077)\n"
           "os.closerange(3, 65536)\n"
           "os.environ.pop('PWD', None)\n"  # bwrap's --chdir sets it; jail.py does not
           "os.execv(sys.argv[2], sys.argv[2:])\n")


class BubblewrapJail(Sandbox):
    name = "bubblewrap"

    def __init__(self):
        self.bwrap = shutil.which("bwrap")
        self.namespaces = [*COMMON, *OWN_USER]

    def label(self) -> str:
        return "bubblewrap (cold kernel starts: no warm launcher)"

    def find_problem(self) -> str:
        if self.bwrap is None:
            return ("it cannot sandbox with bubblewrap: bwrap is not installed "
                    "(apt-get install bubblewrap)")
        why = ""
        for namespaces in ([*COMMON, *OWN_USER], COMMON)[:2 if _setuid(self.bwrap) else 1]:
            failed = run_probe([self.bwrap, *namespaces, "--ro-bind", "/", "/", "--proc",
                                "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--", "true"],
                               preexec_fn=_runner(None))
            if not failed:
                self.namespaces = namespaces
                return ""
            why = why or failed
        return f"it cannot sandbox with bubblewrap: bwrap fails here ({why})"

    def start(self, kernel: Kernel, argv: list[str], log) -> None:
        files: list[int] = []
        try:
            args = self._arguments(kernel, argv, files)
            info_read, info_write = os.pipe()
            files.append(info_write)
            kernel.process = subprocess.Popen(
                [self.bwrap, "--info-fd", str(info_write), *args], pass_fds=files,
                env=_kernel_env(KERNEL_DIR), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=_runner(kernel.cgroup))
        finally:
            for fd in files:
                os.close(fd)
        try:
            kernel.init_pid = _inside(kernel, info_read)
        finally:
            os.close(info_read)

    def _arguments(self, kernel: Kernel, argv: list[str], files: list[int]) -> list[str]:
        """bwrap's arguments: the jail's world, built in the order jail.build_root builds it."""
        limits = kernel.limits
        binds, links, masks = _visible_system()
        args = [*self.namespaces, *_tmpfs("/tmp", limits.tmp_bytes, 0o1777)]
        for path in binds:
            args += ["--ro-bind", path, path]
        for link, target in links.items():
            args += ["--symlink", target, link]
        for path in masks:
            if any(path.startswith(b + "/") for b in binds):
                args += _hide_package(path, files)
        args += ["--dev", "/dev", *_tmpfs("/dev/shm", limits.tmp_bytes, 0o1777),
                 "--proc", "/proc", *_tmpfs(KERNEL_DIR, limits.work_bytes, 0o700)]
        args += _copy(kernel.stage, KERNEL_DIR, files)
        args += _tmpfs(JAILED_GRADER_DIR, limits.grader_bytes, 0o755)
        args += _copy(kernel.grader_stage, JAILED_GRADER_DIR, files, file_mode=0o644,
                      dir_mode=0o755)
        args += _tmpfs(f"{JAILED_GRADER_DIR}/out", limits.out_bytes, 0o700)
        args += ["--remount-ro", JAILED_GRADER_DIR, "--remount-ro", "/", "--chdir", KERNEL_DIR]
        return [*args, "--", *_limited(self.rlimits(limits), argv)]

    def interrupt(self, kernel: Kernel) -> None:
        """What the namespace jail's init does on SIGINT, from outside: interrupt the kernel
        (pid 2 of the namespace) and kill whatever else the student started."""
        init = kernel.init_pid
        main = next((p for p in _children(init) if _namespace_pid(p) == 2), None)
        if main is None:
            return
        os.kill(main, signal.SIGINT)
        for _ in range(100):  # strays may fork while we kill: repeat until none is left
            strays = [p for p in _descendants(init) if p != main]
            if not strays:
                break
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _setuid(path: str) -> bool:
    """A setuid-root bwrap may build the jail without a user namespace of its own; any
    other bwrap without one would leave the kernel with our uid (root's, if we are root
    in a container's namespace)."""
    info = os.stat(path)
    return bool(info.st_mode & stat.S_ISUID) and info.st_uid == 0 and os.geteuid() != 0


def _runner(cgroup: Path | None):
    """bwrap's preexec: into the kernel's memory cgroup; as root, down to the worker
    slot's system user first (a root bwrap would map the kernel's uid to root)."""
    ids = slot_user() if jail_mode() == "root" else None

    def run() -> None:
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        if ids is not None:
            os.setgroups([])
            os.setresgid(ids[1], ids[1], ids[1])
            os.setresuid(ids[0], ids[0], ids[0])
        die_with_parent()  # after the uid change, which clears it

    return run


def _tmpfs(path: str, size: int, mode: int) -> list[str]:
    return ["--size", str(size), "--perms", f"{mode:04o}", "--tmpfs", path]


def _hide_package(path: str, files: list[int]) -> list[str]:
    """What jail.hide_package does: a read-only tmpfs over the package dir, holding only an
    ``__init__.py`` whose import fails (bwrap reads it from a descriptor: as root, bwrap
    runs as the slot's user, who may reach none of the grader's files)."""
    init = os.memfd_create("masked_init")
    os.write(init, masked_init(os.path.basename(path)).encode())
    os.lseek(init, 0, os.SEEK_SET)
    files.append(init)
    return [*_tmpfs(path, 4096, 0o755), "--perms", "0644", "--file", str(init),
            f"{path}/__init__.py", "--remount-ro", path]


def _copy(source: Path, target: str, files: list[int], file_mode: int | None = None,
          dir_mode: int | None = None) -> list[str]:
    """bwrap arguments that copy the tree ``source`` to ``target`` (a tmpfs): bwrap reads
    each file from a descriptor we open, so nothing of the host's disk is mounted."""
    args = []
    for dirpath, dirnames, filenames in os.walk(source):
        inside = target + dirpath[len(str(source)):]
        for name in sorted(dirnames):
            mode = dir_mode or (os.stat(os.path.join(dirpath, name)).st_mode & 0o777)
            args += ["--perms", f"{mode:04o}", "--dir", f"{inside}/{name}"]
        for name in sorted(filenames):
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            files.append(fd)
            mode = file_mode or (os.fstat(fd).st_mode & 0o777)
            args += ["--perms", f"{mode:04o}", "--file", str(fd), f"{inside}/{name}"]
    return args


def _limited(rlimits: dict[str, int], argv: list[str]) -> list[str]:
    """``argv`` as jail.become_student leaves the kernel: under the rlimits (set inside
    bwrap's user namespace, so RLIMIT_NPROC counts only the kernel's processes), umask 077,
    none of the descriptors bwrap read the copied files from (it leaves them open), and
    the environment the kernel was given."""
    return [sys.executable, "-I", "-S", "-c", LIMITED, json.dumps(rlimits), *argv]


def _inside(kernel: Kernel, info: int) -> int:
    """The host pid of bwrap's pid 1, once it is in its new root.

    bwrap reports the pid before building the root (until then ``/proc/PID/root`` is the
    host's): the kernel's staged ``kernel.json`` at the work dir shows the root is built.
    """
    deadline, text = time.monotonic() + STARTUP_SECONDS, b""
    while time.monotonic() < deadline and kernel.alive():
        if select.select([info], [], [], 0.05)[0]:
            text += os.read(info, 4096)
        try:
            pid = json.loads(text)["child-pid"]
        except (ValueError, KeyError):
            continue
        if os.path.exists(f"/proc/{pid}/root{KERNEL_DIR}/kernel.json"):
            return pid
    raise RuntimeError(f"the sandbox did not start: {kernel.log_tail()}")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    found, todo = [], _children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += _children(child)
    return found


def _namespace_pid(pid: int) -> int | None:
    """``pid``'s number in its own (innermost) pid namespace."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except OSError:
        pass
    return None

