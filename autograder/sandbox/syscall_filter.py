"""The seccomp filter of a graded kernel: the system calls it may make, as a BPF program.

Modelled on Docker's default profile (moby/profiles, ``seccomp/default.json``), the most
widely run one: an allow list, and every other call fails with ``EPERM``, which Python
raises as an ordinary :class:`PermissionError` in the cell that made it (only that
exercise is affected). Like Docker for a container without added capabilities, it denies
the kernel-global objects that namespaces do not isolate and that a kernel never needs:
keyrings (``add_key``, ``keyctl``, ``request_key``: a key added by one student's kernel
would otherwise be read by the next one of the same uid), ``bpf``, ``perf_event_open``,
``userfaultfd``, ``io_uring_*``, ``kexec_*``, modules, ``mount``/``umount2`` and the new
mount API, ``unshare``/``setns`` and namespace flags to ``clone``, swap, clocks, quotas,
reboot, ``personality`` but for its harmless values, and socket families a new network
namespace does not cover (``AF_VSOCK`` among them).

Stricter than Docker, because a graded kernel needs none of them and each would open a
channel between two kernels through what they share (the read-only system files):
``ptrace`` and ``process_vm_*`` (Docker allows them on kernels from 4.8), ``inotify_*``,
``flock``, and ``fcntl``'s record locks, leases and ``F_NOTIFY`` (a lock or a watch on
``/usr/...`` is seen by every kernel that runs at the same time), ``modify_ldt``, and
every call through the x32 and i386 entry points (a 64-bit interpreter never uses them,
and their numbers are not the ones this filter compares).

Written by hand, not with libseccomp: its Python bindings come from the distribution
(Debian's python3-seccomp) for the system interpreter, not for the one grading, and jail.py
must stay standard-library only. The program is small: check the architecture, then one
comparison per allowed call, a few of them looking at one argument.
"""

from __future__ import annotations

import os
import struct
import sys

# Docker's default profile: what it allows unconditionally, on every architecture
# (names a machine does not have are skipped), in the order of the profile.
DOCKER_ALLOWED = (
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "clock_adjtime", "clock_getres", "clock_gettime",
    "clock_nanosleep", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
    "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
    "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex",
    "futex_requeue", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu",
    "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups",
    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrandom", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage",
    "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday",
    "getuid", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "ioprio_get", "ioprio_set", "io_setup", "io_submit", "kill", "landlock_add_rule",
    "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link",
    "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr",
    "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap",
    "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
    "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2",
    "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "pselect6", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
    "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg",
    "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
    "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsuid",
    "setgid", "setgroups", "setitimer", "setpgid", "setpriority", "setregid", "setresgid",
    "setresuid", "setreuid", "setrlimit", "set_robust_list", "setsid", "setsockopt",
    "set_thread_area", "set_tid_address", "setuid", "setxattr", "setxattrat", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "socketpair", "splice", "stat", "statfs", "statmount", "statx", "symlink", "symlinkat",
    "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
    "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask", "uname",
    "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimes", "vfork", "vmsplice",
    "wait4", "waitid", "write", "writev",
    "arch_prctl",  # Docker: amd64 only (the dynamic loader sets up thread-local storage)
)
# Allowed by Docker, denied here (see the module docstring): shared-file channels.
STRICTER = frozenset({"inotify_add_watch", "inotify_init", "inotify_init1",
                      "inotify_rm_watch", "flock"})
ALLOWED = tuple(name for name in DOCKER_ALLOWED if name not in STRICTER)
# Calls that have a rule of their own in :func:`program` (on some of their arguments)
SPECIAL = frozenset({"clone", "clone3", "personality", "socket", "fcntl"})

# Calls allowed for some arguments only (the low 32 bits of one argument: each of these
# arguments is an int or a set of flags that fits in them).
CLONE_NAMESPACES = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
PERSONALITIES = (0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)  # Docker's: query, PER_LINUX variants
SOCKET_FAMILIES = (13, 14, 15, 16, 17, 18, 21, 22, 24, 26, 27, 28, 29, 30, 31, 32, 33, 35,
                   36, 39, 41, 42, 43, 44, 45)  # and every family below 12, as Docker
FCNTL_DENIED = (6, 7, 37, 38, 1024, 1026)  # F_SETLK(W), F_OFD_SETLK(W), F_SETLEASE, F_NOTIFY
ENOSYS = 38  # clone3 (Docker): its flags sit in memory a filter cannot read; glibc then
# falls back to clone, whose flags it can

# System call numbers, from the kernel's uapi headers (tests/test_syscall_filter.py checks
# them against this machine's headers and libseccomp). Each table is written as the kernel's
# own lists it (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h):
# in number order, as runs of consecutive numbers, each run its first number and its names;
# a number between runs is a call this module does not name. Calls added since Linux 5.1
# have one number on every architecture (UNIFIED).


def _numbered(runs: dict[int, str]) -> dict[str, int]:
    """``{first number: "name name ..."}`` -> ``{name: number}``."""
    return {name: first + i for first, names in runs.items()
            for i, name in enumerate(names.split())}


X86_64 = _numbered({
    0: """
        read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction
        rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select
        sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep
        getitimer alarm setitimer getpid sendfile socket connect accept sendto recvfrom sendmsg
        recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt clone
        fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv
        msgctl fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename
        mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown lchown umask
        gettimeofday getrlimit getrusage sysinfo times ptrace getuid
    """,
    104: """
        getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid
        getgroups setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid
        getsid capget capset rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend
        sigaltstack utime mknod
    """,
    135: "personality",
    137: "statfs fstatfs",
    140: """
        getpriority setpriority sched_setparam sched_getparam sched_setscheduler sched_getscheduler
        sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock mlockall
        munlockall
    """,
    154: "modify_ldt",
    157: "prctl arch_prctl adjtimex setrlimit",
    162: "sync",
    165: "mount umount2",
    186: """
        gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr
        llistxattr flistxattr removexattr lremovexattr fremovexattr tkill time futex
        sched_setaffinity sched_getaffinity set_thread_area io_setup io_destroy io_getevents
        io_submit io_cancel get_thread_area
    """,
    213: """
        epoll_create epoll_ctl_old epoll_wait_old remap_file_pages getdents64 set_tid_address
        restart_syscall semtimedop fadvise64 timer_create timer_settime timer_gettime
        timer_getoverrun timer_delete clock_settime clock_gettime clock_getres clock_nanosleep
        exit_group epoll_wait epoll_ctl tgkill utimes
    """,
    240: """
        mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid
        add_key request_key keyctl ioprio_set ioprio_get inotify_init inotify_add_watch
        inotify_rm_watch
    """,
    257: """
        openat mkdirat mknodat fchownat futimesat newfstatat unlinkat renameat linkat symlinkat
        readlinkat fchmodat faccessat pselect6 ppoll unshare set_robust_list get_robust_list splice
        tee sync_file_range vmsplice
    """,
    280: """
        utimensat epoll_pwait signalfd timerfd_create eventfd fallocate timerfd_settime
        timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv
        pwritev rt_tgsigqueueinfo perf_event_open recvmmsg
    """,
    301: "fanotify_mark prlimit64 name_to_handle_at",
    305: "clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv process_vm_writev",
    314: """
        sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create kexec_file_load bpf
        execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect
        pkey_alloc pkey_free statx io_pgetevents rseq uretprobe
    """,
})
AARCH64 = _numbered({
    0: """
        io_setup io_destroy io_submit io_cancel io_getevents setxattr lsetxattr fsetxattr getxattr
        lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr
        getcwd
    """,
    19: """
        eventfd2 epoll_create1 epoll_ctl epoll_pwait dup dup3 fcntl inotify_init1 inotify_add_watch
        inotify_rm_watch ioctl ioprio_set ioprio_get flock mknodat mkdirat unlinkat symlinkat
        linkat renameat umount2 mount
    """,
    43: "statfs fstatfs truncate ftruncate fallocate faccessat chdir fchdir",
    52: "fchmod fchmodat fchownat fchown openat close",
    59: "pipe2",
    61: """
        getdents64 lseek read write readv writev pread64 pwrite64 preadv pwritev sendfile pselect6
        ppoll signalfd4 vmsplice splice tee readlinkat newfstatat fstat sync fsync fdatasync
        sync_file_range timerfd_create timerfd_settime timerfd_gettime utimensat
    """,
    90: """
        capget capset personality exit exit_group waitid set_tid_address unshare futex
        set_robust_list get_robust_list nanosleep getitimer setitimer kexec_load
    """,
    107: """
        timer_create timer_gettime timer_getoverrun timer_settime timer_delete clock_settime
        clock_gettime clock_getres clock_nanosleep
    """,
    117: """
        ptrace sched_setparam sched_setscheduler sched_getscheduler sched_getparam
        sched_setaffinity sched_getaffinity sched_yield sched_get_priority_max
        sched_get_priority_min sched_rr_get_interval restart_syscall kill tkill tgkill sigaltstack
        rt_sigsuspend rt_sigaction rt_sigprocmask rt_sigpending rt_sigtimedwait rt_sigqueueinfo
        rt_sigreturn setpriority getpriority
    """,
    143: """
        setregid setgid setreuid setuid setresuid getresuid setresgid getresgid setfsuid setfsgid
        times setpgid getpgid getsid setsid getgroups setgroups uname
    """,
    163: "getrlimit setrlimit getrusage umask prctl getcpu gettimeofday",
    171: """
        adjtimex getpid getppid getuid geteuid getgid getegid gettid sysinfo mq_open mq_unlink
        mq_timedsend mq_timedreceive mq_notify mq_getsetattr msgget msgctl msgrcv msgsnd semget
        semctl semtimedop semop shmget shmctl shmat shmdt socket socketpair bind listen accept
        connect getsockname getpeername sendto recvfrom setsockopt getsockopt shutdown sendmsg
        recvmsg readahead brk munmap mremap add_key request_key keyctl clone execve mmap fadvise64
    """,
    226: "mprotect msync mlock munlock mlockall munlockall mincore madvise remap_file_pages",
    240: "rt_tgsigqueueinfo perf_event_open accept4 recvmmsg",
    260: "wait4 prlimit64",
    263: "fanotify_mark name_to_handle_at",
    266: "clock_adjtime syncfs setns sendmmsg process_vm_readv process_vm_writev",
    274: """
        sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create bpf execveat
        userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc
        pkey_free statx io_pgetevents rseq kexec_file_load
    """,
})
UNIFIED = _numbered({
    424: "pidfd_send_signal io_uring_setup io_uring_enter io_uring_register",
    434: "pidfd_open clone3 close_range openat2",
    439: "faccessat2",
    441: "epoll_pwait2",
    444: """
        landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret
        process_mrelease futex_waitv
    """,
    451: """
        cachestat fchmodat2 map_shadow_stack futex_wake futex_wait futex_requeue statmount
        listmount
    """,
    462: "mseal setxattrat getxattrat listxattrat removexattrat",
})
# machine -> (AUDIT_ARCH_* of its native calls, its table, the bit that marks another ABI's
# numbers on the same entry point: x32 on x86_64)
MACHINES = {"x86_64": (0xC000003E, X86_64, 0x40000000), "aarch64": (0xC00000B7, AARCH64, 0)}

# classic BPF, as seccomp runs it on struct seccomp_data {int nr; u32 arch; u64 ip;
# u64 args[6];}
LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
NR, ARCH = 0, 4
RET_ERRNO, RET_ALLOW = 0x00050000, 0x7FFF0000
EPERM = 1


class UnsupportedMachine(RuntimeError):
    """No system-call table for this machine: the filter cannot be built."""


def numbers(machine: str | None = None) -> dict[str, int]:
    """The system-call numbers of ``machine`` (default: this one) that this module names."""
    machine = machine or os.uname().machine
    if machine not in MACHINES:
        raise UnsupportedMachine(f"no seccomp system-call table for {machine} (only for "
                                 f"{', '.join(MACHINES)})")
    return {**MACHINES[machine][1], **UNIFIED}


def _argument(index: int) -> int:
    """The offset of the low 32 bits of argument ``index`` in seccomp_data."""
    return 16 + 8 * index + (4 if sys.byteorder == "big" else 0)


def _one_of(values, then: int, otherwise: int) -> list[tuple]:
    """Return ``then`` if the loaded value is one of ``values``, else ``otherwise``."""
    block = [(JEQ, len(values) - i, 0, v) for i, v in enumerate(values)]
    return [*block, (RET, 0, 0, otherwise), (RET, 0, 0, then)]


def program(machine: str | None = None, errno: int = EPERM) -> bytes:
    """The filter as the kernel takes it (an array of struct sock_filter), for ``machine``;
    denied calls fail with ``errno`` (tests pick one the kernel itself would not give)."""
    machine = machine or os.uname().machine
    table = numbers(machine)
    arch, _, other_abi = MACHINES[machine]
    deny = RET_ERRNO | errno
    rules: list[tuple[int, list[tuple]]] = []
    for name in _plainly_allowed(machine):
        if name in table:
            rules.append((table[name], [(RET, 0, 0, RET_ALLOW)]))
    rules += [
        (table["clone"], [(LD_ABS, 0, 0, _argument(0)), (JSET, 1, 0, CLONE_NAMESPACES),
                          (RET, 0, 0, RET_ALLOW), (RET, 0, 0, deny)]),
        (table["clone3"], [(RET, 0, 0, RET_ERRNO | ENOSYS)]),
        (table["personality"], [(LD_ABS, 0, 0, _argument(0)),
                                *_one_of(PERSONALITIES, RET_ALLOW, deny)]),
        (table["socket"], [(LD_ABS, 0, 0, _argument(0)),
                           (JGE, 0, len(SOCKET_FAMILIES) + 1, 12),
                           *_one_of(SOCKET_FAMILIES, RET_ALLOW, deny)]),
        (table["fcntl"], [(LD_ABS, 0, 0, _argument(1)),
                          *_one_of(FCNTL_DENIED, deny, RET_ALLOW)]),
    ]
    code = [(LD_ABS, 0, 0, ARCH), (JEQ, 1, 0, arch), (RET, 0, 0, deny), (LD_ABS, 0, 0, NR)]
    if other_abi:
        code += [(JGE, 0, 1, other_abi), (RET, 0, 0, deny)]
    for number, block in rules:
        code += [(JEQ, 0, len(block), number), *block]
    code.append((RET, 0, 0, deny))
    return b"".join(struct.pack("=HBBI", *insn) for insn in code)


def _plainly_allowed(machine: str) -> list[str]:
    """The allowed calls whose arguments the filter does not look at."""
    return [n for n in ALLOWED if n not in SPECIAL and (n != "arch_prctl" or machine == "x86_64")]


def allowed_numbers(machine: str | None = None) -> set[int]:
    """Every call number the filter lets through for some arguments (the rest: ``errno``)."""
    machine = machine or os.uname().machine
    table = numbers(machine)
    return {table[n] for n in [*_plainly_allowed(machine), *SPECIAL - {"clone3"}]
            if n in table}
