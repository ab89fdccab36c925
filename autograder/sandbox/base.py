"""The contract between the grader and a jail: the :class:`Sandbox` every jail implements,
the :class:`Kernel` it runs, and the :class:`Limits` of one kernel.

One :class:`Sandbox` per process owns the boundary between the grader and a kernel's
world: the stage layout (where the work dir and the grader dir are, as the kernel sees
them), the kernel's start and interruption, every path by which the grader reaches into
the kernel's world, and the resource policy. A new jail is a new subclass (namespaces.py,
bubblewrap.py, unsandboxed.py); :class:`Kernel` asks its sandbox for each of these.

The grader talks to the kernel over ZeroMQ *ipc* sockets (Unix socket files in the
kernel's own work dir), so the jailed kernel needs no network at all. The jail's files
are reached from the host through ``/proc/<init pid>/root`` — the kernel's private root —
so nothing in the sandbox is writable on the host's disk.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import memory_cap, world
from .hostile_fs import open_directory, open_path, read_regular
from .world import JAILED_GRADER_DIR, KERNEL_DIR, interpreter

SOCKET_PORTS = (1, 2, 3, 4, 5)  # shell, iopub, stdin, control, heartbeat (ipc "ports")


@dataclass(frozen=True)
class Limits:
    """Resources of one student kernel."""

    cpu_seconds: int = 900
    memory_bytes: int = 2 * 2**30  # each process's address space, and all of them together
    processes: int = 128  # threads count too: ipykernel alone uses about 10
    file_bytes: int = 64 * 2**20
    work_bytes: int = 256 * 2**20  # the kernel's work dir, /tmp and /dev/shm are RAM-backed
    tmp_bytes: int = 64 * 2**20
    grader_bytes: int = 128 * 2**20  # the recorder and every check's cases
    out_bytes: int = 128 * 2**20  # what the recorder writes back
    open_files: int = 1024

    def rlimits(self) -> dict[str, int]:
        return {"RLIMIT_CPU": self.cpu_seconds, "RLIMIT_AS": self.memory_bytes,
                "RLIMIT_FSIZE": self.file_bytes, "RLIMIT_NOFILE": self.open_files,
                "RLIMIT_CORE": 0, "RLIMIT_NPROC": self.processes}


class Process(Protocol):
    """What the grader uses of a kernel's process A: a :class:`subprocess.Popen`, or the
    warm launcher's handle of a process it forked (namespaces.WarmProcess)."""

    pid: int

    def poll(self) -> int | None: ...

    def wait(self) -> int: ...


class Sandbox:
    """Where a student's kernel runs: the boundary between the kernel's world and the grader.

    It owns the stage layout (where the work dir and the grader dir are, as the kernel sees
    them), the kernel's start and interruption, every path by which the grader reaches
    into the kernel's world, and the resource policy. :class:`Kernel` is one kernel's
    lifecycle; it asks its sandbox for each of these.
    """

    name = ""  # what a Job carries (see :func:`named`)
    jailed = True
    warm = False  # whether the warm launcher may fork its kernels
    # whether concurrent kernels would share a process limit (one's fork bomb would
    # starve the others)
    one_kernel_at_a_time = False

    def describe(self) -> str:
        """The jail and memory cap in force, for the instructor and the report."""
        return f"sandbox: {self.label()}; memory cap per kernel: {memory_cap.mode()}"

    _problem: str | None = None
    fallback = ""  # what else :func:`choose` tried, when this is its last resort

    def label(self) -> str:
        raise NotImplementedError

    def problem(self) -> str:
        """Why this machine cannot run kernels in this sandbox, or ``""`` if it can."""
        if self._problem is None:
            self._problem = self.find_problem()  # once: it starts a process
        if self._problem and self.fallback:
            return f"{self._problem}; {self.fallback}"
        return self._problem

    def find_problem(self) -> str:
        raise NotImplementedError

    def prepare(self) -> None:
        """Before a batch forks its workers: compute here what each kernel start would
        otherwise compute again in every worker."""
        if self.jailed:
            world.prepare()

    def work_dir(self, scratch: Path) -> str:
        """The kernel's work dir as the kernel sees it."""
        return KERNEL_DIR

    def grader_dir(self, scratch: Path) -> str:
        """The recorder's dir as the kernel sees it."""
        return JAILED_GRADER_DIR

    def rlimits(self, limits: Limits) -> dict[str, int]:
        return limits.rlimits()

    def python(self) -> str:
        """The kernel's interpreter as the kernel sees it (a jail's: at a neutral path)."""
        return interpreter().python

    def start(self, kernel: Kernel, argv: list[str], log) -> None:
        """Start ``argv`` (the kernel) for ``kernel``; set its process and init_pid."""
        raise NotImplementedError

    def host_path(self, kernel: Kernel, path: str) -> str:
        """A path of the kernel's filesystem, as the grader reaches it: through the
        private root of a process of the jail (nothing in the jail is on the host's disk)."""
        return f"/proc/{kernel.root_pid}/root{path}"

    def interrupt(self, kernel: Kernel) -> None:
        """SIGINT to the kernel (the jail's init forwards it and kills strays)."""
        os.kill(kernel.process.pid, signal.SIGINT)


class Kernel:
    """One student kernel, started in its :class:`Sandbox`.

    ``stage`` becomes the kernel's work dir (the student's to change); ``grader_stage``
    becomes :attr:`grader_dir` (the recorder and the cases; read-only in a jail) with
    an empty ``out`` dir for what the recorder writes. Before any student code runs, the
    grader pins the kernel's sockets and its ``out`` dir by descriptor (see hostile_fs):
    whatever the student then renames, links or replaces, the grader talks to the same
    sockets and reads from the same directory.
    """

    def __init__(self, stage: Path, grader_stage: Path, limits: Limits, sandbox: Sandbox,
                 scratch: Path, warm: bool = True):
        self.stage, self.grader_stage = stage, grader_stage
        self.limits, self.sandbox, self.scratch = limits, sandbox, scratch
        self.warm = warm and sandbox.warm
        self.process: Process | None = None
        self.init_pid: int | None = None  # the jail's pid 1: all its processes die with it
        self.root_pid: int | None = None  # whose /proc/PID/root is the kernel's world
        self.key = secrets.token_hex(16)
        self.pinned: list[int] = []  # descriptors held for the kernel's life
        self.out_dir: int | None = None
        self.cgroup: Path | None = None  # the memory cap of all its processes together

    @property
    def work(self) -> str:
        return self.sandbox.work_dir(self.scratch)

    @property
    def grader_dir(self) -> str:
        return self.sandbox.grader_dir(self.scratch)

    def host_path(self, path: str) -> str:
        """A path of the kernel's filesystem, as the grader reaches it."""
        return self.sandbox.host_path(self, path)

    def connection_info(self) -> dict:
        """How the grader connects: through its own links to the pinned socket files."""
        return {"transport": "ipc", "ip": str(self.scratch / "sockets" / "k"), "key": self.key,
                "signature_scheme": "hmac-sha256", "shell_port": 1, "iopub_port": 2,
                "stdin_port": 3, "control_port": 4, "hb_port": 5}

    def read_output(self, name: str, max_bytes: int) -> bytes:
        """A file the recorder wrote (see hostile_fs.read_regular for what it refuses)."""
        return read_regular(self.out_dir, name, max_bytes)

    def start(self) -> None:
        argv = [self.sandbox.python(), "-m", "ipykernel_launcher", "-f", f"{self.work}/kernel.json",
                "--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]
        info = dict(self.connection_info(), ip=f"{self.work}/k")  # where the kernel binds
        (self.stage / "kernel.json").write_text(json.dumps(info))
        self.cgroup = memory_cap.create(self.limits.memory_bytes)
        with open(self.scratch / "kernel.log", "ab") as log:
            self.sandbox.start(self, argv, log)
        try:
            self._pin()
        except BaseException:
            self.kill()
            raise

    def _pin(self, timeout: float = 60) -> None:
        """Hold the kernel's sockets and the recorder's out dir by descriptor.

        Runs before the grader sends the kernel any code, so the paths still are what
        the grader made them. Later connections (ZeroMQ reconnects) go through links in
        the grader's own scratch dir to these descriptors, never through the kernel's dir.
        """
        work = open_directory(self.host_path(self.work))
        self.pinned.append(work)
        self.out_dir = open_directory(self.host_path(f"{self.grader_dir}/out"))
        self.pinned.append(self.out_dir)
        links = self.scratch / "sockets"
        links.mkdir(mode=0o700, exist_ok=True)
        deadline = time.monotonic() + timeout
        for port in SOCKET_PORTS:
            while True:
                try:
                    fd = open_path(work, f"k-{port}")
                    break
                except FileNotFoundError:
                    if not self.alive() or time.monotonic() > deadline:
                        raise RuntimeError("the kernel did not open its sockets: "
                                           f"{self.log_tail()}") from None
                    time.sleep(0.005)
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                raise RuntimeError(f"the kernel's k-{port} is not a socket")
            self.pinned.append(fd)
            link = links / f"k-{port}"
            link.unlink(missing_ok=True)
            link.symlink_to(f"/proc/{os.getpid()}/fd/{fd}")

    def log_tail(self, chars: int = 1500) -> str:
        try:
            with open(self.scratch / "kernel.log", "rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - chars))
                return f.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_reason(self) -> str:
        code = self.process.poll() if self.process else None
        if code is None:
            return "the kernel stopped responding"
        if code < 0 or code >= 128:
            number = -code if code < 0 else code - 128
            name = signal.Signals(number).name if number in signal.valid_signals() else number
            hint = {"SIGKILL": " (memory, CPU-time or process limit?)",
                    "SIGXCPU": " (CPU-time limit)"}.get(name, "")
            return f"the kernel was killed by {name}{hint}"
        return f"the kernel exited (exit code {code})"

    def interrupt(self) -> None:
        if self.alive():
            self.sandbox.interrupt(self)

    def kill(self) -> None:
        """Kill the kernel and everything it started (the whole pid namespace)."""
        for fd in self.pinned:
            os.close(fd)
        self.pinned, self.out_dir = [], None
        if self.process is not None:
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait()
            if self.init_pid:
                self._wait_for_teardown()
        memory_cap.remove(self.cgroup)
        self.cgroup = None

    def _wait_for_teardown(self, seconds: float = 20) -> None:
        """Return once the jail's init is dead, i.e. every process of its namespace is gone.

        The next kernel runs as the same user: leftovers of a fork bomb would still count
        against its process limit.
        """
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{self.init_pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                        return
            except (FileNotFoundError, ProcessLookupError, IndexError):
                return
            time.sleep(0.01)


def wait_for_pidfile(kernel: Kernel, pidfile: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pidfile.exists():
            return int(pidfile.read_text())
        if kernel.process.poll() is not None:
            break
        time.sleep(0.01)
    raise RuntimeError(f"the sandbox did not start: {kernel.log_tail()}")
