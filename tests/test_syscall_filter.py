"""The kernel's seccomp filter and its fresh session keyring (autograder/syscall_filter.py,
jail.apply_syscall_filter, jail.join_new_session_keyring).

A filter cannot be removed, so every check runs in a child process. As root the child first
drops to ``nobody``: a call the filter failed to deny then fails with the kernel's own
EPERM, never does anything, and the test filter's own errno tells the two apart.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.sandbox import syscall_filter

pytestmark = pytest.mark.skipif(os.uname().machine not in syscall_filter.MACHINES,
                                reason="no system-call table for this machine")
ROOT = Path(__file__).resolve().parents[1]
MARK = errno.ENOTRECOVERABLE  # the test filter's errno: no call here fails with it itself
HEADER = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
NAMES_TO_DENY = ("add_key", "keyctl", "request_key", "bpf", "perf_event_open", "userfaultfd",
                 "io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace",
                 "process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load",
                 "mount", "umount2", "inotify_init1", "inotify_add_watch", "flock")

CHILD = """
import ctypes, json, os, sys
from autograder.sandbox import jail, syscall_filter
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def call(number, *args):
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    return 0 if result >= 0 else ctypes.get_errno()

if os.geteuid() == 0:
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
jail._call(jail.libc.prctl(jail.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
"""


def run_child(body: str, timeout: float = 60) -> dict:
    """Run ``body`` after CHILD in a fresh interpreter; the JSON it prints last."""
    done = subprocess.run([sys.executable, "-c", CHILD + textwrap.dedent(body)],
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_call_the_filter_does_not_allow_fails_with_its_errno():
    """All numbers up to past the newest call, and an x32 one, with zero arguments: the
    filter answers before the kernel looks at them. Not clone3 (ENOSYS, below), nor
    x86_64's uretprobe and uprobe, which Linux 6.16 and later pass by every filter (they
    only work from the kernel's own uprobe trampoline and fail otherwise)."""
    result = run_child(f"""
        allowed = syscall_filter.allowed_numbers()
        jail.apply_syscall_filter(syscall_filter.program(errno={MARK}))
        passed_by = {{syscall_filter.numbers()["clone3"]}} | (
            {{335, 336}} if os.uname().machine == "x86_64" else set())
        wrong = {{n: call(n, 0, 0, 0, 0, 0, 0) for n in range(600)
                 if n not in allowed | passed_by}}
        x32 = call(0x40000000 + 39)  # getpid through the x32 entry point
        print(json.dumps({{"wrong": {{n: e for n, e in wrong.items() if e != {MARK}}},
                          "denied": len(wrong), "x32": x32, "getpid": call(39 if
                          os.uname().machine == "x86_64" else 172)}}))
    """)
    assert result["wrong"] == {}
    assert result["denied"] > 250  # the allow list is about 300 of 600
    assert result["getpid"] == 0
    if os.uname().machine == "x86_64":
        assert result["x32"] == MARK


@pytest.mark.parametrize("name", NAMES_TO_DENY)
def test_the_calls_the_issue_names_are_denied(name):
    assert syscall_filter.numbers()[name] not in syscall_filter.allowed_numbers()


def test_calls_allowed_for_some_arguments_only():
    table = syscall_filter.numbers()
    result = run_child(f"""
        import socket
        jail.apply_syscall_filter(syscall_filter.program(errno={MARK}))
        t = syscall_filter.numbers()
        out = {{}}
        out["clone_newuser"] = call(t["clone"], 0x10000000 | 17, 0, 0, 0, 0)
        out["clone_newnet"] = call(t["clone"], 0x40000000 | 17, 0, 0, 0, 0)
        pid = os.fork()  # glibc: clone without namespace flags
        if pid == 0:
            os._exit(7)
        out["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        out["clone3"] = call(t["clone3"], 0, 0)
        out["personality_query"] = call(t["personality"], 0xFFFFFFFF)
        out["personality_no_aslr"] = call(t["personality"], 0x0040000)
        out["socket_vsock"] = call(t["socket"], 40, 1, 0)
        out["socket_alg"] = call(t["socket"], 38, 5, 0)
        a, b = socket.socketpair()
        out["socket_unix"] = 0
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        out["socket_inet"] = 0
        fd = os.open("/etc/hostname" if os.path.exists("/etc/hostname") else "/etc/passwd",
                     os.O_RDONLY)
        out["fcntl_getfd"] = call(t["fcntl"], fd, 1, 0)
        out["fcntl_setlk"] = call(t["fcntl"], fd, 6, 0)
        out["fcntl_ofd_setlkw"] = call(t["fcntl"], fd, 38, 0)
        out["fcntl_notify"] = call(t["fcntl"], fd, 1026, 0)
        print(json.dumps(out))
    """)
    assert table  # the table exists for this machine
    assert result == {
        "clone_newuser": MARK, "clone_newnet": MARK, "fork": 7, "clone3": errno.ENOSYS,
        "personality_query": 0, "personality_no_aslr": MARK, "socket_vsock": MARK,
        "socket_alg": MARK, "socket_unix": 0, "socket_inet": 0, "fcntl_getfd": 0,
        "fcntl_setlk": MARK, "fcntl_ofd_setlkw": MARK, "fcntl_notify": MARK}


def test_a_denied_call_is_an_ordinary_permission_error_and_python_starts_under_it():
    """The production filter (EPERM): what a student's add_key via ctypes sees, and a cold
    kernel start (exec of a new interpreter that imports the kernel's libraries)."""
    result = run_child("""
        import subprocess
        jail.apply_syscall_filter(syscall_filter.program())
        libc.syscall.restype = ctypes.c_long
        ctypes.set_errno(0)
        r = libc.syscall(syscall_filter.numbers()["add_key"], b"user", b"stash", b"secret",
                         ctypes.c_size_t(6), ctypes.c_int(-4))  # KEY_SPEC_USER_KEYRING
        error = OSError(ctypes.get_errno(), "add_key")
        started = subprocess.run([sys.executable, "-c", "import numpy, zmq, ipykernel.kernelapp;"
                                  "import matplotlib.pyplot; print('ok')"],
                                 capture_output=True, text=True, timeout=120)
        print(json.dumps({"result": r, "permission": isinstance(error, PermissionError),
                          "started": started.stdout.strip(), "stderr": started.stderr[-500:]}))
    """, timeout=180)
    assert result["result"] == -1 and result["permission"]
    assert result["started"] == "ok", result["stderr"]


def test_each_process_gets_an_empty_session_keyring_of_its_own():
    result = run_child("""
        t = syscall_filter.numbers()
        libc.syscall.restype = ctypes.c_long
        def session():  # KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, created if need be
            return libc.syscall(t["keyctl"], 0, ctypes.c_int(-3), 1)
        before = session()
        jail.join_new_session_keyring()
        after = session()
        # KEYCTL_READ of the session keyring: the ids of the keys linked in it
        buffer = ctypes.create_string_buffer(64)
        size = libc.syscall(t["keyctl"], 11, ctypes.c_long(after), buffer, 64)
        jail.apply_syscall_filter(syscall_filter.program())
        ctypes.set_errno(0)
        denied = libc.syscall(t["keyctl"], 0, ctypes.c_int(-3), 1)
        print(json.dumps({"before": before, "after": after, "keys": size,
                          "denied": denied, "errno": ctypes.get_errno()}))
    """)
    assert result["after"] > 0 and result["after"] != result["before"]
    assert result["keys"] == 0
    assert (result["denied"], result["errno"]) == (-1, errno.EPERM)


@pytest.mark.skipif(not HEADER.is_file(), reason="no x86_64 kernel headers here")
def test_the_x86_64_numbers_are_the_kernel_headers():
    header = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR_(\w+) (\d+)",
                                                   HEADER.read_text())}
    table = syscall_filter.numbers("x86_64")
    assert {n: table[n] for n in header.keys() & table.keys()} == \
        {n: header[n] for n in header.keys() & table.keys()}
    assert len(header.keys() & table.keys()) > 300


@pytest.mark.skipif(ctypes.util.find_library("seccomp") is None, reason="no libseccomp here")
@pytest.mark.parametrize("machine", sorted(syscall_filter.MACHINES))
def test_the_numbers_are_libseccomps(machine):
    """libseccomp's own tables (it knows every architecture, whatever this machine is)."""
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp"))
    lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    arch = syscall_filter.MACHINES[machine][0]
    table = syscall_filter.numbers(machine)
    known = {n: lib.seccomp_syscall_resolve_name_arch(arch, n.encode()) for n in table}
    known = {n: v for n, v in known.items() if v >= 0}  # an older libseccomp lacks the newest
    assert {n: table[n] for n in known} == known
    assert len(known) > 250


def test_the_program_is_well_formed():
    """Every jump lands inside the program, which ends in a return; the kernel's limit."""
    for machine in syscall_filter.MACHINES:
        code = syscall_filter.program(machine)
        insns = [code[i:i + 8] for i in range(0, len(code), 8)]
        assert len(insns) <= 4096
        for i, raw in enumerate(insns):
            op, jt, jf, _ = struct.unpack("=HBBI", raw)
            if op & 0x07 == 0x05:  # BPF_JMP
                assert i + 1 + max(jt, jf) < len(insns)
        assert struct.unpack("=HBBI", insns[-1])[0] == syscall_filter.RET


# sha256 of program(machine) and program(machine, errno=131), as built before the number
# tables were written as runs (commit a85ab49): rewriting how the tables are spelled must
# not change one instruction. A deliberate change to the filter updates these.
PROGRAM_SHA256 = {
    "x86_64": ("8e87a78324de1611d074401287b430deeeb74274bdbed64a6dfac9ccaee29827",
               "fe62bc9f54c9392f5a73412362d04905dcdd3ed864a553f0c3696221f576c114"),
    "aarch64": ("ba8e0cad54c7270a5d90ec1975ca2654834bf7e92938489e96a052d846afa581",
                "e4ca5b2d9bd98fba01064feb74c430614ea89419843d34b0d545476c22c53cd4"),
}


@pytest.mark.skipif(sys.byteorder != "little", reason="the digests are of little-endian code")
@pytest.mark.parametrize("machine", sorted(PROGRAM_SHA256))
def test_the_program_is_the_one_built_before_the_tables_were_rewritten(machine):
    built = tuple(hashlib.sha256(syscall_filter.program(machine, errno=e)).hexdigest()
                  for e in (syscall_filter.EPERM, 131))
    assert built == PROGRAM_SHA256[machine]
