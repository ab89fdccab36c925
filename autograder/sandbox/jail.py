"""Root launcher: run one command (a student's kernel) in a private, unprivileged sandbox.

Usage: ``python jail.py SPEC.json``; ``python jail.py --probe MODE`` says whether this
machine can build it. Standard library only and run by path, so it needs nothing from the
project to be importable (the sandbox hides the project).

Three processes, because each namespace step has a different owner:

* ``A`` (this process, host namespaces) writes B's host pid for the grader once B is in
  its new root, forwards
  SIGINT (a kernel interrupt) to B and exits with B's status. It is the grader's handle.
* ``B`` is pid 1 of a fresh pid namespace, in fresh mount/net/ipc/uts namespaces. As root
  it builds a new root on tmpfs holding only read-only binds of the interpreter, the
  sandbox's own work dir and the grader dir (root's and read-only but for its ``out``),
  chroots into it, forks C, then only reaps zombies and forwards
  SIGINT. When B dies the kernel destroys the namespace: every process the student
  started dies with it (fork bombs, daemons).
* ``C`` drops to the slot's uid/gid with no supplementary groups and no new privileges,
  applies the rlimits and execs the kernel.

Warm start (``python jail.py --serve``): importing numpy, scipy, matplotlib and ipykernel
costs a fresh kernel about 2.5 s of CPU, more than most chapters' own code. So each grading
worker keeps one *launcher*: a clean interpreter (started with a kernel's environment, not
the grader's, and never given student code) that imports those libraries once and
then, per kernel, forks ``A``. Everything from ``A`` on is the same jail as above; only
``C`` runs the kernel in the already-initialised interpreter instead of exec'ing a new
one. A fork of a process that only ever imported public libraries holds nothing a fresh
interpreter would not.

Both start in a *world* (:func:`enter_world`): the host's tree in a mount namespace of
its own with the interpreter added at neutral paths (``/python``, see world.interpreter),
where this script execs that interpreter on its own copy at ``/launcher/jail.py``. So the
launcher imports, and every process from ``A`` on runs, with no host path in its modules,
command line or environment; ``B`` builds the kernel's root from the world's ``/python``.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUSER = 0x20000000, 0x40000000, 0x10000000
CLONE_NEWCGROUP = 0x02000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
# statvfs f_flag bits -> the mount flags a bind in a user namespace must keep (the kernel
# locks them: a remount that drops one fails with EPERM)
LOCKED_FLAGS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME,
                2048: MS_NODIRATIME, 4096: MS_RELATIME}
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECCOMP = 1, 38, 24, 22
SECCOMP_MODE_FILTER = 2
KEYCTL = {"x86_64": 250, "aarch64": 219}  # keyctl(2)'s number (syscall_filter's tables)
KEYCTL_JOIN_SESSION_KEYRING, ENOSYS = 1, 38
ALLOW_ALL = (6).to_bytes(2, sys.byteorder) + bytes(2) + (0x7FFF0000).to_bytes(4, sys.byteorder)
LINUX_CAPABILITY_VERSION_3, LAST_CAPABILITY = 0x20080522, 63
MNT_DETACH = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
STUDENT_ID = 1000  # the kernel's uid and gid in its own user namespace (userns mode)
DEVICES = ("null", "zero", "full", "random", "urandom")

libc = ctypes.CDLL(None, use_errno=True)


def _call(ret: int, what: str) -> None:
    if ret != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def die_with_parent() -> None:
    """SIGKILL this process when the thread that started it dies: nothing outlives the grader."""
    _call(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")


def mount(source, target, fstype, flags, data=None) -> None:
    _call(libc.mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags),
                     _bytes(data)), f"mount {source} on {target}")


def bind(source: str, target: str, readonly: bool = True, nodev: bool = True) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    elif not os.path.isfile(target):  # an existing file may be on a read-only mount
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (MS_RDONLY if readonly else 0)
    kept = os.statvfs(source).f_flag  # flags the source mount has, which we may not drop
    flags |= sum(flag for bit, flag in LOCKED_FLAGS.items() if kept & bit)
    mount(None, target, None, flags | (MS_NODEV if nodev else 0))


def tmpfs(target: str, options: str) -> None:
    os.makedirs(target, exist_ok=True)
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def hide_package(path: str) -> None:
    """Replace a package dir by one whose import fails as if it were not installed."""
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=755")
    with open(path + "/__init__.py", "w") as f:
        f.write(masked_init(os.path.basename(path)))
    mount("tmpfs", path, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=755")


def masked_init(name: str) -> str:
    """The ``__init__.py`` of a hidden package (an empty dir would import as a namespace
    package and fool ``try: import x except ImportError``). ModuleNotFoundError: some
    optional imports catch only it."""
    return (f"raise ModuleNotFoundError('{name} is not available when grading', "
            f"name='{name}')\n")


def build_root(spec: dict) -> None:
    """A new root with only what the kernel needs; everything else of the host is absent."""
    root = spec["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the host
    tmpfs(root, "mode=755,size=8m")
    # /tmp first: the interpreter or the venv may live under the host's /tmp (a CI clone),
    # and their binds must land on top of the private /tmp, not be hidden by it.
    tmpfs(root + "/tmp", f"mode=1777,size={spec['tmp_bytes']},nr_inodes=10000")
    for path in spec["ro_binds"]:
        bind(path, root + path)
    for link, target in spec["symlinks"].items():
        os.symlink(target, root + link)
    for path in spec["masks"]:  # e.g. torch, or an installed copy of solutions
        if os.path.isdir(root + path):
            hide_package(root + path)
    for path in spec["blanks"]:
        blank(root + path)
    tmpfs(root + "/dev", "mode=755,size=64k")
    for dev in DEVICES:
        bind("/dev/" + dev, f"{root}/dev/{dev}", readonly=False, nodev=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    tmpfs(root + "/dev/shm", f"mode=1777,size={spec['tmp_bytes']},nr_inodes=1000")
    os.makedirs(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mask_proc(root + "/proc")
    work = root + spec["workdir"]
    tmpfs(work, f"mode=700,size={spec['work_bytes']},nr_inodes=20000")
    shutil.copytree(spec["stage"], work, dirs_exist_ok=True, symlinks=False)
    for dirpath, dirnames, filenames in os.walk(work):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.chown(name, spec["uid"], spec["gid"])
    grader_dir(spec)
    mount("tmpfs", root, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=755")
    enter_root(root)


# What Docker masks and makes read-only in a container's /proc: kernel-global state a
# pid namespace does not hide (the keys the uid can see, timers, the scheduler's debug
# view, the kernel's memory), and the sysctls (read-only: a write would reach the host).
PROC_HIDDEN_FILES = ("keys", "key-users", "kcore", "timer_list", "sched_debug",
                     "latency_stats", "timer_stats", "sysrq-trigger")
PROC_HIDDEN_DIRS = ("acpi", "asound", "scsi")
PROC_READ_ONLY = ("sys", "bus", "fs", "irq")


def mask_proc(proc: str) -> None:
    """Mask and write-protect the parts of ``proc`` that Docker does (PROC_*)."""
    for name in PROC_HIDDEN_FILES:
        if os.path.isfile(f"{proc}/{name}"):
            mount("/dev/null", f"{proc}/{name}", None, MS_BIND)
    for name in PROC_HIDDEN_DIRS:
        if os.path.isdir(f"{proc}/{name}"):
            mount("tmpfs", f"{proc}/{name}", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                  "size=4k,mode=555")
    for name in PROC_READ_ONLY:
        if os.path.isdir(f"{proc}/{name}"):
            bind(f"{proc}/{name}", f"{proc}/{name}")


def enter_root(root: str) -> None:
    """Make ``root`` the root of this mount namespace and drop the host's tree from it.

    pivot_root, not chroot: in a chroot the kernel refuses new user namespaces (userns
    mode gives the kernel one), and the host's tree would still be in the namespace.
    ``pivot_root(".", ".")`` then detaching "." is pivot_root(2)'s way to do it without
    a directory for the old root.
    """
    number = PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(f"pivot_root: unknown syscall number on {os.uname().machine}")
    os.chdir(root)
    _call(libc.syscall(number, b".", b"."), "pivot_root")
    _call(libc.umount2(b".", MNT_DETACH), "detach the host's root")
    os.chdir("/")


WORLD_TOPS = ("python", "launcher", "sandbox")  # what a world adds at its top level


def enter_world(world: dict) -> None:
    """Give this process the host's tree with the interpreter at its neutral paths (and
    the warm launcher's own files at theirs), in a mount namespace of its own.

    The kernel's jail (B's root) is built from here, and the warm launcher imports here:
    a kernel it forks then holds only neutral paths (sys.path, module files, its
    interpreter, its command line), none of the host's. The host's top-level dirs are
    recursive binds, so the grader's own paths (scratch, cgroups, /proc) still work.
    As an ordinary user this needs a user namespace of its own (uid 0 in it, the grader's
    uid outside): :func:`launch` then nests one more, as it does from the host.
    """
    if world["mode"] == "userns":
        enter_user_namespace(0, 0)
    _call(libc.unshare(CLONE_NEWNS), "unshare mount")
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the host
    root = world["root"]
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m")
    for entry in sorted(os.listdir("/")):
        path = "/" + entry
        if entry in WORLD_TOPS:
            continue
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            os.mkdir(root + path)
            mount(path, root + path, None, MS_BIND | MS_REC)
            if root.startswith(path + "/"):  # the copy of our own root in that bind
                _call(libc.umount2(_bytes(root + root), MNT_DETACH), "detach the copy")
    tmpfs(root + "/python", "mode=755,size=1m")
    for _, target in world["binds"]:
        os.makedirs(root + target)
    for path, target in world["links"]:
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        os.symlink(target, root + path)
    for path, text in world["files"]:
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        with open(root + path, "w") as f:
            f.write(text)
        os.chmod(root + path, 0o644)
    for target, source in world["copies"]:
        if os.path.isdir(source):
            shutil.copytree(source, root + target, symlinks=False)
        else:
            os.makedirs(os.path.dirname(root + target), exist_ok=True)
            shutil.copyfile(source, root + target)
    os.makedirs(root + EMPTY_LAYER)
    enter_root(root)  # the host's dirs are still here, at their own paths
    for source, target in world["binds"]:
        mount_read_only(source, target)
    for path in world["blanks"]:
        blank(path)
    mount("tmpfs", "/python", "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
          "mode=755")


EMPTY_LAYER = "/launcher/.empty"  # overlayfs wants two lower layers when it has no upper


def mount_read_only(source: str, target: str) -> None:
    """``source`` at ``target``, read-only: as an overlay whose only layers are ``source``
    and an empty dir, both named by neutral paths (``source`` as ``.``, from inside it).

    A bind mount would do, but ``/proc/self/mountinfo`` shows the path of a bind's root
    inside its filesystem: the host path. An overlay is a filesystem of its own, whose
    root is ``/``, and it shows its layers as they were named. Where overlayfs is refused
    (an old kernel, a lower filesystem it does not take), a bind.
    """
    here = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.chdir(source)
        mount("overlay", target, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV,
              f"lowerdir=.:{EMPTY_LAYER}")
    except OSError:
        bind(source, target)
    finally:
        os.fchdir(here)
        os.close(here)


def blank(path: str) -> None:
    """``path`` (a file) reads as empty: an editable install's finder, which names the
    project's host path."""
    if os.path.isfile(path):
        bind("/dev/null", path, nodev=False)


def exec_in_world(world: dict, args: list[str], stdin: bytes | None = None) -> None:
    """Enter ``world`` and exec its neutral interpreter on the jail script copied into
    it: the process's command line and environment then name no host path (the kernel
    sees them as its pid 1's). ``stdin`` (the spec) is handed over on descriptor 0."""
    enter_world(world)
    if stdin is not None:
        spec = os.memfd_create("spec")
        os.write(spec, stdin)
        os.lseek(spec, 0, os.SEEK_SET)
        os.dup2(spec, 0)
        os.close(spec)
    os.execve(world["python"], [world["python"], *args], world["env"])


def grader_dir(spec: dict) -> None:
    """The recorder and the hidden cases, read-only and root's, outside the student's work dir
    (which the student may rearrange); only its ``out`` dir is the student's to write."""
    grader = spec["root"] + spec["grader_dir"]
    tmpfs(grader, f"mode=755,size={spec['grader_bytes']},nr_inodes=10000")
    shutil.copytree(spec["grader_stage"], grader, dirs_exist_ok=True, symlinks=False)
    for dirpath, _dirnames, filenames in os.walk(grader):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    out = grader + "/out"
    tmpfs(out, f"mode=700,uid={spec['uid']},gid={spec['gid']},size={spec['out_bytes']},"
          "nr_inodes=1000")
    mount("tmpfs", grader, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=755")


def become_student(spec: dict) -> None:
    """Irreversibly drop to the sandbox user with the resource limits applied.

    Root mode: the slot's own system user. User-namespace mode (an ordinary user grades):
    there is only one id to be, the grader's own, so the kernel gets a nested user
    namespace in which it is uid 1000 with no capabilities: it owns no mount namespace,
    so it can undo none of the jail's mounts, and outside it is the grader's uid.
    """
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if spec["mode"] == "userns":
        enter_user_namespace(STUDENT_ID, STUDENT_ID)
        drop_capabilities()
    else:
        os.setgroups([])
        os.setresgid(spec["gid"], spec["gid"], spec["gid"])
        os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    _call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    # Set after the uid change, which clears it: the kernel dies with its init.
    die_with_parent()
    os.umask(0o077)
    os.chdir(spec["workdir"])
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.closerange(3, 65536)
    join_new_session_keyring()  # before the filter, which denies keyctl
    apply_syscall_filter(bytes.fromhex(spec["syscall_filter"]))


def join_new_session_keyring() -> None:
    """Leave the keyring this process was started in (an ordinary user's login session
    keyring, with the instructor's own credentials in it) for a new, empty one of its own.

    Done before :func:`apply_syscall_filter`, which then denies every keyring call, so no
    key can be added to any keyring (the uid's user keyring outlives the kernel: as root,
    every kernel of a worker slot has the same uid).
    """
    number = KEYCTL.get(os.uname().machine)
    if number is None:
        raise OSError(f"keyctl: unknown syscall number on {os.uname().machine}")
    if libc.syscall(number, KEYCTL_JOIN_SESSION_KEYRING, None) < 0 \
            and ctypes.get_errno() != ENOSYS:  # ENOSYS: a kernel without keyrings
        _call(-1, "join a new session keyring")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_syscall_filter(program: bytes) -> None:
    """Install the seccomp filter ``program`` (syscall_filter.program()) on this process and
    all it starts. Needs no_new_privs (or root); it cannot be removed."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _call(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0),
          "seccomp filter")


def enter_user_namespace(uid: int, gid: int) -> None:
    """A new user namespace in which this process is ``uid``/``gid`` (its only ids)."""
    outer_uid, outer_gid = os.geteuid(), os.getegid()
    _call(libc.unshare(CLONE_NEWUSER), "unshare user")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {outer_uid} 1"),
                       ("gid_map", f"{gid} {outer_gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Give up every capability, for good (an exec would not bring any back either)."""
    for cap in range(LAST_CAPABILITY + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            _call(-1, f"drop capability {cap}")  # EINVAL: no such capability on this kernel
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    _call(libc.capset(ctypes.byref(header), (_CapData * 2)()), "capset")


def init(spec: dict, ready: int) -> None:
    """Process B: pid 1 of the sandbox. Writes to ``ready`` once it is inside its new root."""
    die_with_parent()
    _call(libc.unshare(_namespaces(spec["no_network"])), "unshare")
    build_root(spec)
    os.write(ready, b"1")
    os.close(ready)
    kernel = os.fork()
    if kernel == 0:
        try:
            become_student(spec)
            if spec.get("warm"):
                os._exit(run_kernel_here(spec))
            os.execve(spec["argv"][0], spec["argv"], spec["env"])
        except BaseException as error:  # noqa: BLE001 - report, never return into init's code
            print(f"sandbox: cannot start the kernel: {error!r}", file=sys.stderr, flush=True)
        os._exit(127)
    signal.signal(signal.SIGINT, lambda *_: interrupt(kernel))
    while True:  # pid 1 must reap orphans, or zombies keep counting against RLIMIT_NPROC
        pid, status = os.wait()
        if pid == kernel:
            os._exit(_shell_status(status))


def interrupt(kernel: int) -> None:
    """A timed-out cell: interrupt the kernel and kill whatever else the student started."""
    os.kill(kernel, signal.SIGINT)
    kill_strays(lambda: [int(e) for e in os.listdir("/proc")
                         if e.isdigit() and int(e) not in (1, kernel)])


def kill_strays(strays) -> None:
    """SIGKILL every pid ``strays()`` lists, again until it lists none (they may fork while
    we kill)."""
    for _ in range(100):
        pids = strays()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _namespaces(no_network: bool) -> int:
    """What process B unshares (A has unshared the pid namespace)."""
    return CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | (
        CLONE_NEWNET if no_network else 0)


def probe(mode: str) -> None:
    """``jail.py --probe MODE``: exit 0 if this process can build the jail's namespaces and
    mount in them as :func:`launch` and :func:`init` do; else exit saying what failed."""
    try:
        if mode == "userns":
            enter_user_namespace(0, 0)
        _call(libc.unshare(CLONE_NEWPID | _namespaces(True)), "unshare")
        mount(None, "/", None, MS_REC | MS_PRIVATE)  # the probe's mount stays in here
        tmpfs("/tmp", "size=4k")
        _call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        apply_syscall_filter(ALLOW_ALL)  # the kernel takes seccomp filters
    except OSError as error:
        sys.exit(str(error))
    sys.exit(0)


def launch(spec: dict) -> None:
    """Process A: start the sandbox, tell the grader its init's pid, exit with its status."""
    if spec.get("cgroup"):  # joined before forking: B, C and all they start are capped
        with open(spec["cgroup"] + "/cgroup.procs", "w") as f:
            f.write(str(os.getpid()))
        del f  # its name is a host path, and a warm kernel's stack holds this frame
    if spec["mode"] == "userns":  # root of a user namespace of our own: B may then mount
        enter_user_namespace(0, 0)
    _call(libc.unshare(CLONE_NEWPID), "unshare pid")
    wait_for, ready = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(wait_for)
        try:
            init(spec, ready)
        except BaseException as error:  # noqa: BLE001 - report any setup failure, then die
            print(f"sandbox setup failed: {error!r}", file=sys.stderr, flush=True)
        os._exit(126)
    os.close(ready)
    # The pid is published only once B is inside its new root: until then /proc/B/root is
    # the host's root, and the grader's paths through it would lead outside the jail.
    if os.read(wait_for, 1) != b"1":
        _, status = os.waitpid(child, 0)
        os._exit(_shell_status(status))
    os.close(wait_for)
    tmp = spec["pidfile"] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(child))
    os.replace(tmp, spec["pidfile"])
    signal.signal(signal.SIGINT, lambda *_: os.kill(child, signal.SIGINT))
    signal.signal(signal.SIGTERM, lambda *_: os.kill(child, signal.SIGKILL))
    _, status = os.waitpid(child, 0)
    os._exit(_shell_status(status))


def run_kernel_here(spec: dict) -> int:
    """Process C of a warm start: what ``python -m ipykernel_launcher ARGS`` would do."""
    env, argv = spec["env"], spec["argv"]
    # Every frame below this one holds the spec, which names the grader's scratch dirs:
    # emptied, the kernel's stack holds none of them.
    spec.clear()
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["ipykernel_launcher", *argv[3:]]  # argv: python -m ipykernel_launcher
    sys.dont_write_bytecode = True
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh interpreter
    numpy = sys.modules.get("numpy")
    if numpy is not None:  # a fresh interpreter seeds numpy's global generator from the OS
        numpy.random.seed()
    from ipykernel import kernelapp  # already imported by serve()

    try:
        kernelapp.launch_new_instance()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def serve(config: dict) -> None:
    """The warm launcher: import once, then fork one ``A`` per line ``SPEC_PATH`` on stdin.

    The grader starts it with a kernel's environment (read by numpy, matplotlib at import).

    Replies on stdout, one line each: ``ready``, ``started PID`` (in answer to a request)
    and ``exit PID CODE`` (when an ``A`` ends, as a shell reports its status).
    """
    import select
    import threading

    die_with_parent()
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # run by path: the kernels must not see the grader's package dir
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    requests = os.dup(0)
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # a stray print must not land in the replies
    for name in config["modules"]:
        try:
            __import__(name)
        except ImportError:
            pass  # not installed: the kernel imports it cold, if it ever does
    for path in [p for p in sys.path_importer_cache if p not in sys.path]:
        del sys.path_importer_cache[path]  # e.g. a listing of this script's dir
    if threading.active_count() != 1:  # a fork would copy a thread's locks, not the thread
        print(f"threads after import: {threading.enumerate()}", file=sys.stderr, flush=True)
        os._exit(3)
    reply.write("ready\n")
    pending = b""
    while True:
        ready, _, _ = select.select([requests], [], [], 0.02)
        while True:  # report every A that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            reply.write(f"exit {pid} {_shell_status(status)}\n")
        if not ready:
            continue
        chunk = os.read(requests, 65536)
        if not chunk:  # the grader is gone: its kernels go with us (their pdeathsig)
            os._exit(0)
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            pid = os.fork()
            if pid == 0:  # the request's path (a host path) must not stay in our frame
                request, line, chunk, pending = [line.decode()], b"", b"", b""
                _forked_launch(request)
            reply.write(f"started {pid}\n")


def _forked_launch(request: list[str]) -> None:
    """In a fresh fork of the launcher: become a clean process A and launch (never returns).
    ``request`` holds the spec's path, taken out of it (no frame keeps a host path)."""
    try:
        os.setsid()  # its own process group, which the grader kills as one
        die_with_parent()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        with open(request.pop()) as f:
            spec = json.load(f)
        del f
        log = os.open(spec["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, 65536)  # the launcher's pipes to the grader
        launch(spec)
    except BaseException as error:  # noqa: BLE001 - report, never return into the server loop
        print(f"sandbox launch failed: {error!r}", file=sys.stderr, flush=True)
    os._exit(125)


def main() -> None:
    if sys.argv[1] == "--serve":
        config = json.loads(sys.argv[2])
        world = config.pop("world", None)
        if world is not None:  # from the host: into the world, where it imports
            exec_in_world(world, ["-E", "-s", "-B", f"/launcher/{os.path.basename(__file__)}",
                                  "--serve", json.dumps(config)])
        serve(config)
    if sys.argv[1] == "--probe":
        probe(sys.argv[2])
    if sys.argv[1] == "--probe-world":  # the world builds, and its interpreter runs in it
        try:
            exec_in_world(json.loads(sys.argv[2]), ["-I", "-c", "import numpy"])
        except OSError as error:
            sys.exit(str(error))
    if sys.argv[1] == "-":  # a cold start, in its world: the spec is on stdin
        spec = json.loads(sys.stdin.read())
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        launch(spec)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    exec_in_world(spec.pop("world"), ["-I", f"/launcher/{os.path.basename(__file__)}", "-"],
                  json.dumps(spec).encode())


def _shell_status(wait_status: int) -> int:
    """Exit code as a shell reports it: 128 + N when killed by signal N."""
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    main()
