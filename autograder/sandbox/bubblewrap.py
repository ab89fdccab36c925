"""The bubblewrap jail: for machines that refuse our own user namespaces but let ``bwrap``
create them.

That is a setuid ``bwrap`` on a system with ``user.max_user_namespaces=0`` or Debian's old
``kernel.unprivileged_userns_clone=0``, or Ubuntu with AppArmor's user-namespace
restriction *and* the ``bwrap-userns-restrict`` profile loaded (shipped, not loaded, with
24.04's apparmor-profiles; loaded by default from 25.04). Ubuntu 24.04's packaged,
non-setuid bwrap without that profile is refused like our jail is (its net namespace
setup fails: "loopback: Failed RTM_NEWADDR: Operation not permitted"), so there
:func:`choice.choose` explains what to enable instead.

The same world as the namespace jail (the visible system, the interpreter at its neutral
paths and the package masks come from world.py; bwrap reads its options, which name host
paths, from a descriptor, so its pid 1's command line names none): a read-only root
holding the interpreter, a private ``/tmp`` and ``/dev/shm``,
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
import time
from pathlib import Path

from .base import Kernel, Sandbox
from .jail import (
    PROC_HIDDEN_FILES,
    STUDENT_ID,
    die_with_parent,
    join_new_session_keyring,
    kill_strays,
    masked_init,
)
from .machine import jail_mode, run_probe, slot_user
from .world import (
    JAILED_GRADER_DIR,
    KERNEL_DIR,
    interpreter,
    kernel_env,
    kernel_filter,
    visible_system,
)

STARTUP_SECONDS = 30
# bwrap's namespaces: all of them, with a user namespace of its own (uid 1000 in it,
# nothing mapped but the grader's or the slot's uid), or, only for a setuid bwrap where
# user namespaces are off, all but that one: then the kernel keeps the grader's uid
# (never root: see _setuid). (--unshare-all would try a user namespace there and fail.)
COMMON = ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
OWN_USER = ["--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(STUDENT_ID),
            "--gid", str(STUDENT_ID), *COMMON]
NO_USER = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", *COMMON]
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
        self.namespaces = OWN_USER

    @property
    def one_kernel_at_a_time(self) -> bool:
        """Without a user namespace, RLIMIT_NPROC counts all tasks of our uid."""
        # ==, not is: the CLI resolves the sandbox once and the pool's workers get a pickled
        # copy of it, whose list is equal but not the same object
        return not self.problem() and self.namespaces == NO_USER

    def label(self) -> str:
        if self.one_kernel_at_a_time:
            return ("bubblewrap (cold kernel starts: no warm launcher; setuid, without a user "
                    "namespace: the kernel keeps the grader's uid, and its tmpfs dirs are "
                    "bounded only by the memory cap)")
        return "bubblewrap (cold kernel starts: no warm launcher)"

    def find_problem(self) -> str:
        if self.bwrap is None:
            return ("it cannot sandbox with bubblewrap: bwrap is not installed "
                    "(apt-get install bubblewrap)")
        why = ""
        for namespaces in (OWN_USER, NO_USER)[:2 if _setuid(self.bwrap) else 1]:
            failed = run_probe([self.bwrap, *namespaces, "--ro-bind", "/", "/", "--proc",
                                "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--", "true"],
                               preexec_fn=_runner(None))
            if not failed:
                self.namespaces = namespaces
                return ""
            why = why or failed
        return f"it cannot sandbox with bubblewrap: bwrap fails here ({why})"

    def start(self, kernel: Kernel, argv: list[str], log) -> None:
        if self.problem():  # also picks the namespaces, in a worker process too
            raise RuntimeError(self.problem())
        info_read, info_write = os.pipe()  # bwrap writes its pid 1's host pid there
        files = [info_write]  # and the descriptors it copies files from
        try:
            # the options name host paths: read from a descriptor, they are not on the
            # command line of bwrap's pid 1, which the kernel can read (bwrap reads only
            # options there; the command, all neutral paths, follows on the command line)
            options, command = self._arguments(kernel, argv, files)
            arguments = _data(files, "".join(f"{option}\0" for option in options))
            kernel.process = subprocess.Popen(
                [self.bwrap, "--info-fd", str(info_write), "--args", str(arguments), "--",
                 *command], pass_fds=files,
                env=kernel_env(KERNEL_DIR), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=_runner(kernel.cgroup))
            for fd in files:
                os.close(fd)
            files = []
            kernel.init_pid, kernel.root_pid = _inside(kernel, info_read)
        finally:
            for fd in [info_read, *files]:
                os.close(fd)

    def _arguments(self, kernel: Kernel, argv: list[str],
                   files: list[int]) -> tuple[list[str], list[str]]:
        """bwrap's options (the jail's world, built in the order jail.build_root builds it)
        and the command it runs."""
        limits, sized = kernel.limits, self.namespaces != NO_USER

        def tmpfs(path: str, size: int, mode: int) -> list[str]:
            # a setuid bwrap refuses --size: there only the memory cgroup bounds them
            return [*(["--size", str(size)] if sized else []), "--perms", f"{mode:04o}",
                    "--tmpfs", path]

        binds, links, masks = visible_system()
        layout = interpreter()  # at its neutral paths, as in jail.enter_world
        args = [*self.namespaces, *tmpfs("/tmp", limits.tmp_bytes, 0o1777)]
        for path in binds:
            args += ["--ro-bind", path, path]
        for source, target in layout.binds:
            args += ["--ro-bind", source, target]
        for link, target in [*links.items(), *layout.links]:
            args += ["--symlink", target, link]
        for path, text in layout.files:
            args += ["--perms", "0644", "--ro-bind-data", str(_data(files, text)), path]
        for path in layout.blanks:
            args += ["--ro-bind-data", str(_data(files, "")), path]
        for path in masks:
            args += _hide_package(path, files, tmpfs)
        args += ["--dev", "/dev", *tmpfs("/dev/shm", limits.tmp_bytes, 0o1777), "--proc", "/proc"]
        for name in PROC_HIDDEN_FILES:  # as jail.mask_proc (bwrap itself write-protects
            if os.path.isfile(f"/proc/{name}"):  # /proc/sys and the rest)
                args += ["--ro-bind", "/dev/null", f"/proc/{name}"]
        args += tmpfs(KERNEL_DIR, limits.work_bytes, 0o700)
        args += _copy(kernel.stage, KERNEL_DIR, files)
        args += tmpfs(JAILED_GRADER_DIR, limits.grader_bytes, 0o755)
        args += _copy(kernel.grader_stage, JAILED_GRADER_DIR, files, file_mode=0o644,
                      dir_mode=0o755)
        args += tmpfs(f"{JAILED_GRADER_DIR}/out", limits.out_bytes, 0o700)
        args += ["--remount-ro", JAILED_GRADER_DIR, "--remount-ro", "/", "--chdir", KERNEL_DIR]
        rlimits = self.rlimits(limits)
        if not sized:  # no user namespace: RLIMIT_NPROC counts all of our uid's tasks
            rlimits["RLIMIT_NPROC"] += _tasks_of(os.getuid())
        return [*args, *_seccomp(files)], _limited(rlimits, argv)

    def interrupt(self, kernel: Kernel) -> None:
        """What the namespace jail's init does on SIGINT, from outside: interrupt the kernel
        and kill whatever else the student started."""
        main = kernel.root_pid
        try:
            os.kill(main, signal.SIGINT)
        except ProcessLookupError:
            return
        kill_strays(lambda: [p for p in _descendants(kernel.init_pid) if p != main])


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
        join_new_session_keyring()  # bwrap's --seccomp filter then denies keyctl

    return run


def _data(files: list[int], text: str) -> int:
    """A descriptor bwrap reads ``text`` from (kept in ``files``, which bwrap inherits)."""
    fd = os.memfd_create("bwrap-data")
    os.write(fd, text.encode())
    os.lseek(fd, 0, os.SEEK_SET)
    files.append(fd)
    return fd


def _seccomp(files: list[int]) -> list[str]:
    """bwrap installs the jails' seccomp filter (sandbox.kernel_filter) right before it
    runs the kernel; it reads the program from a descriptor."""
    program = os.memfd_create("seccomp")
    os.write(program, kernel_filter())
    os.lseek(program, 0, os.SEEK_SET)
    files.append(program)
    return ["--seccomp", str(program)]


def _hide_package(path: str, files: list[int], tmpfs) -> list[str]:
    """What jail.hide_package does: a read-only tmpfs over the package dir, holding only an
    ``__init__.py`` whose import fails (bwrap reads it from a descriptor: as root, bwrap
    runs as the slot's user, who may reach none of the grader's files)."""
    init = os.memfd_create("masked_init")
    os.write(init, masked_init(os.path.basename(path)).encode())
    os.lseek(init, 0, os.SEEK_SET)
    files.append(init)
    return [*tmpfs(path, 4096, 0o755), "--perms", "0644", "--file", str(init),
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
    return [interpreter().python, "-I", "-S", "-c", LIMITED, json.dumps(rlimits), *argv]


def _inside(kernel: Kernel, info: int) -> tuple[int, int]:
    """Host pids of bwrap's pid 1 and of the kernel, once the kernel runs in the
    new root. bwrap reports its pid 1 before building that root; the kernel's own root
    is the one the grader reads through (a setuid bwrap's pid 1 stays unreadable to us).
    """
    deadline, text, init = time.monotonic() + STARTUP_SECONDS, b"", None
    while time.monotonic() < deadline and kernel.alive():
        if init is None:
            if select.select([info], [], [], 0.05)[0]:
                text += os.read(info, 4096)
            try:
                init = json.loads(text)["child-pid"]
            except (ValueError, KeyError):
                continue
        # Before any student code runs, init's only lasting child is the kernel (pid 2, or
        # 3 for a setuid bwrap); strays that init adopts later have higher numbers.
        main = min(_children(init), key=lambda p: _namespace_pid(p) or 2**22, default=None)
        if main is not None and os.path.exists(f"/proc/{main}/root{KERNEL_DIR}/kernel.json"):
            return init, main
        time.sleep(0.01)
    raise RuntimeError(f"the sandbox did not start: {kernel.log_tail()}")


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc: each process's stat is readable
    by all (a setuid bwrap's own children lists are not)."""
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(parent, []).append(int(entry))
    return found


def _children(pid: int) -> list[int]:
    return _children_by_parent().get(pid, [])


def _descendants(pid: int) -> list[int]:
    """All of ``pid``'s descendants, from one pass over /proc (a fork bomb's hundreds of
    processes would otherwise cost one pass each, on every round of kill_strays)."""
    children = _children_by_parent()
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children.get(child, [])
    return found


def _tasks_of(uid: int) -> int:
    """How many tasks (threads count) run as ``uid`` now."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    fields = dict(line.split(":", 1) for line in f if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    count += int(fields["Threads"])
            except (OSError, KeyError, ValueError):
                pass
    return count


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
