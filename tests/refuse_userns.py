"""``python refuse_userns.py COMMAND...``: run COMMAND on a machine that refuses user
namespaces, as ``user.max_user_namespaces=0`` does for everyone (setuid programs included).

A seccomp filter, inherited by everything COMMAND starts: ``unshare`` and ``clone`` with
CLONE_NEWUSER fail with EPERM, and ``clone3`` (whose flags a filter cannot read) with
ENOSYS, so that glibc and Python fall back to ``clone``. Installed as root without
no_new_privs, it leaves setuid programs working: a setuid bwrap then builds its jail as
it does on such a machine. x86_64 only (the syscall numbers below).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

CLONE_NEWUSER = 0x10000000
UNSHARE, CLONE, CLONE3 = 272, 56, 435  # x86_64
AUDIT_ARCH_X86_64 = 0xC000003E
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO, RET_KILL = 0x7FFF0000, 0x00050000, 0x80000000
# classic BPF opcodes
LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
# struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low 32 bits on little-endian)
NR, ARCH, ARG0 = 0, 4, 16


def _program() -> list[tuple[int, int, int, int]]:
    """(code, jump if true, jump if false, k) per instruction."""
    return [
        (LD_W_ABS, 0, 0, ARCH),
        (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (RET_K, 0, 0, RET_KILL),
        (LD_W_ABS, 0, 0, NR),
        (JEQ_K, 5, 0, CLONE3),
        (JEQ_K, 1, 0, UNSHARE),
        (JEQ_K, 0, 4, CLONE),
        (LD_W_ABS, 0, 0, ARG0),
        (JSET_K, 0, 2, CLONE_NEWUSER),
        (RET_K, 0, 0, RET_ERRNO | errno.EPERM),
        (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),
        (RET_K, 0, 0, RET_ALLOW),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def refuse_user_namespaces() -> None:
    if platform.machine() != "x86_64":
        raise OSError("refuse_userns.py knows only x86_64's syscall numbers")
    code = b"".join(struct.pack("HBBI", *insn) for insn in _program())
    buffer = ctypes.create_string_buffer(code)
    program = _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter")


if __name__ == "__main__":
    refuse_user_namespaces()
    os.execvp(sys.argv[1], sys.argv[1:])
