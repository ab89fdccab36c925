"""No channel between two kernels, and none from a kernel to the grader's own keys: the
kernel-global objects namespaces do not isolate (sandbox docstring) are closed in every jail.

Student A's kernel tries to leave data behind (a key in every keyring, a SysV segment),
student B's kernel, started on the same worker while A still runs and again after it,
looks for it. Both run real kernels in each jail; as root this file runs itself again as
an ordinary user (user-namespace mode and an unprivileged bwrap).
"""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import ordinary_user
import pytest

from autograder import sandbox
from autograder.kernel.execute import Runner
from autograder.sandbox import Kernel, Limits, named, syscall_filter

JAILS = [pytest.param(name, marks=pytest.mark.skipif(
    bool(sandbox.sandbox_problem(name)), reason=f"{name} cannot jail a kernel here"))
    for name in ("namespaces", "bubblewrap")]
KEYRINGS = {"thread": -1, "process": -2, "session": -3, "user": -4, "user_session": -5}
SHM_KEY = 0xC0DE
INSTRUCTOR_KEY = b"convlab-test-instructor"

PRELUDE = f"""
import ctypes, errno, json, os
NR = {syscall_filter.numbers()!r}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(name, *args):
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(NR[name]), *args)
    return errno.errorcode.get(ctypes.get_errno(), "ok") if result < 0 else "ok"
def shm(flags):
    ctypes.set_errno(0)
    libc.shmget.restype = ctypes.c_int
    r = libc.shmget(ctypes.c_int({SHM_KEY}), ctypes.c_size_t(4096), ctypes.c_int(flags))
    return errno.errorcode.get(ctypes.get_errno(), "ok") if r < 0 else "ok"
def text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as error:
        return type(error).__name__
"""

STUDENT_A = PRELUDE + f"""
print(json.dumps({{
    "add_key": {{ring: call("add_key", b"user", b"convlab-stash", b"from A", ctypes.c_size_t(6),
                           ctypes.c_int(serial)) for ring, serial in {KEYRINGS!r}.items()}},
    "shm_create": shm(0o1000 | 0o666),  # IPC_CREAT
}}))
"""

STUDENT_B = PRELUDE + f"""
import fcntl, socket
def python_error(action):
    try:
        action()
    except OSError as error:
        return type(error).__name__
    return "allowed"
found = {{ring: call("keyctl", 10, ctypes.c_int(serial), b"user", b"convlab-stash", 0)
          for ring, serial in {KEYRINGS!r}.items()}}  # KEYCTL_SEARCH
found["request_key"] = call("request_key", b"user", b"convlab-stash", None, 0)
found["instructor"] = call("request_key", b"user", {INSTRUCTOR_KEY!r}, None, 0)
print(json.dumps({{
    "found": found, "proc_keys": text("/proc/keys"), "proc_key_users": text("/proc/key-users"),
    "shm_find": shm(0),
    "cgroup": text("/proc/self/cgroup"),
    # (not the IPC sysctls: bwrap lets the kernel set those of its own IPC namespace)
    "proc_sys_written": [p for p in ("/proc/sys/kernel/hostname", "/proc/sys/net/ipv4/ip_forward",
                                     "/proc/sys/vm/drop_caches") if python_error(
        lambda: open(p, "w").write("1")) == "allowed"],
    "sys": os.path.exists("/sys/kernel") or os.path.exists("/sys/fs/cgroup"),
    "denied": {{name: call(name, *args) for name, args in [
        ("inotify_init1", (0,)), ("ptrace", (0, 0, 0, 0)), ("bpf", (0, 0, 0)),
        ("perf_event_open", (0, 0, 0, 0, 0)), ("userfaultfd", (0,)),
        ("io_uring_setup", (1, 0)), ("mount", (b"none", b"/tmp", b"tmpfs", 0, None)),
        ("umount2", (b"/tmp", 0)), ("unshare", (0x10000000,)), ("setns", (0, 0)),
        ("kexec_load", (0, 0, 0, 0)), ("keyctl", (0, ctypes.c_int(-3), 0)),
        ("clock_settime", (0, 0)), ("process_vm_readv", (1, 0, 0, 0, 0, 0)),
    ] if name in NR}},
    "flock": python_error(lambda: fcntl.flock(os.open("/etc/passwd", os.O_RDONLY),
                                              fcntl.LOCK_SH)),
    "vsock": python_error(lambda: socket.socket(40, socket.SOCK_STREAM)),
}}))
"""


def _runner(tmp_path: Path, name: str, jail: str) -> Runner:
    scratch = tmp_path / name
    (scratch / "stage").mkdir(parents=True)
    (scratch / "grader").mkdir()
    return Runner(lambda: Kernel(scratch / "stage", scratch / "grader", Limits(), named(jail),
                                 scratch), 60)


def _seen(runner: Runner, code: str) -> dict:
    step = runner.run(code)
    assert step.status == "ok", step.reason
    text = "".join(o.get("text", "") for o in step.outputs if o["output_type"] == "stream")
    return json.loads(text.strip().splitlines()[-1])


def _instructor_key() -> None:
    """A key in this process's session keyring, like an instructor's cached credentials."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.syscall(syscall_filter.numbers()["add_key"], b"user", INSTRUCTOR_KEY, b"secret",
                 ctypes.c_size_t(6), ctypes.c_int(KEYRINGS["session"]))


@pytest.mark.parametrize("jail", JAILS)
def test_what_student_a_leaves_student_b_cannot_find(tmp_path, jail):
    _instructor_key()
    first = _runner(tmp_path, "a", jail)
    try:
        left = _seen(first, STUDENT_A)
        during = _seen(_keep(_runner(tmp_path, "b1", jail)), STUDENT_B)
    finally:
        first.shutdown()
    after = _seen(_keep(_runner(tmp_path, "b2", jail)), STUDENT_B)
    assert set(left["add_key"].values()) == {"EPERM"}
    assert left["shm_create"] == "ok"  # its own IPC namespace: allowed, and seen by no one
    for seen in (during, after):
        assert set(seen["found"].values()) == {"EPERM"}, seen["found"]
        # masked: an empty file (our jail), or a /dev/null bwrap mounts nodev
        assert {seen["proc_keys"], seen["proc_key_users"]} <= {"", "PermissionError"}
        assert seen["shm_find"] == "ENOENT"
        assert all(line.endswith(":/") for line in seen["cgroup"].splitlines())  # its own
        assert seen["proc_sys_written"] == [] and not seen["sys"]
        assert set(seen["denied"].values()) == {"EPERM"}, seen["denied"]
        assert len(seen["denied"]) >= 13
        assert seen["flock"] == seen["vsock"] == "PermissionError"


_KEPT: list[Runner] = []


def _keep(runner: Runner) -> Runner:
    _KEPT.append(runner)
    return runner


@pytest.fixture(autouse=True)
def _shut_kept_runners():
    yield
    while _KEPT:
        _KEPT.pop().shutdown()


@ordinary_user.rerun_by_root
def test_the_channels_stay_closed_for_an_ordinary_user_too():
    ordinary_user.rerun(__file__, "2 passed, 1 skipped", timeout=900)


