"""Where a student's kernel runs: the :class:`Sandbox` interface and our own jail.

One :class:`Sandbox` per machine owns the boundary between the grader and a kernel's
world: :class:`NamespaceJail` (jail.py: as root, a system user per worker slot; as an
ordinary user, in user namespaces), :class:`bubblewrap.BubblewrapJail` where only bwrap
may create namespaces, or :class:`Unsandboxed` (``--no-sandbox``). :func:`choose` picks
the first that works here; a Job carries its name and :func:`named` resolves it where
the kernels run.

The grader talks to the kernel over ZeroMQ *ipc* sockets (Unix socket files in the
kernel's own work dir), so the jailed kernel needs no network at all. The jail's files
are reached from the host through ``/proc/<init pid>/root`` — the kernel's private root —
so nothing in the sandbox is writable on the host's disk.

Each grading worker holds one *slot*: its own system user (``convlab-grader<k>``), so the
process limit (RLIMIT_NPROC counts per user) of one kernel's fork bomb never starves a
kernel of another worker or of another grading batch on the same machine.

Each worker also keeps a warm :class:`Launcher` (``jail.py --serve``, see jail.py): kernels
are forked from an interpreter that has already imported numpy, scipy, matplotlib and
ipykernel, then jailed exactly as a cold start is. It saves about 2.5 s of CPU per kernel.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import resource
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path

from . import memory_cap, syscall_filter
from .hostile_fs import open_directory, open_path, read_regular
from .jail import (
    die_with_parent,
)

JAIL = Path(__file__).with_name("jail.py")
SLOT_DIR = Path("/run/convlab-autograder")
USER = "convlab-grader{}"
MAX_SLOTS = 64
KERNEL_DIR = "/sandbox"  # the kernel's work dir inside the jail
JAILED_GRADER_DIR = "/grader"  # recorder and cases (read-only), out/ (the student's)
SOCKET_PORTS = (1, 2, 3, 4, 5)  # shell, iopub, stdin, control, heartbeat (ipc "ports")
# What the warm launcher imports once for every kernel it forks: what nearly every chapter
# imports first (about 2.5 s of CPU per kernel, measured with python -X importtime). Not
# matplotlib_inline.backend_inline: importing it hooks figures into the running IPython
# shell, so it must happen in the kernel (pyplot imports it there at the first figure).
WARM_MODULES = ("numpy", "scipy.signal", "matplotlib.pyplot", "ipywidgets", "ipykernel.kernelapp")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel sets at start
LAUNCHER_TIMEOUT = 120  # seconds for the launcher's imports on a loaded machine

UNSANDBOXED_WARNING = (
    "WARNING: NOT SANDBOXED. Student code runs with YOUR rights and can read and change your "
    "files (including solutions/ and the gradebook). The sandbox needs Linux namespaces: "
    "as root, or as an ordinary user where unprivileged user namespaces are allowed.")


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

    def work_dir(self, scratch: Path) -> str:
        """The kernel's work dir as the kernel sees it."""
        return KERNEL_DIR

    def grader_dir(self, scratch: Path) -> str:
        """The recorder's dir as the kernel sees it."""
        return JAILED_GRADER_DIR

    def rlimits(self, limits: Limits) -> dict[str, int]:
        return limits.rlimits()

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


class NamespaceJail(Sandbox):
    """Our own jail (jail.py): as root, or as an ordinary user in user namespaces."""

    name, warm = "namespaces", True

    def __init__(self, mode: str):
        self.mode = mode  # "root", "userns" or "" (no namespaces on this system)

    def label(self) -> str:
        return {"root": "root (a system user per worker slot)",
                "userns": "user namespaces (an ordinary user)"}[self.mode]

    def find_problem(self) -> str:
        """Being root is not enough (a container may forbid the namespaces jail.py creates),
        and an ordinary user may be refused user namespaces: jail.py tries its own code."""
        if not self.mode:
            return "it cannot sandbox (the sandbox needs Linux namespaces)"
        why = run_probe([sys.executable, "-I", str(JAIL), "--probe", self.mode])
        if not why:
            return ""
        if self.mode == "root":
            return f"it cannot sandbox: root cannot create the jail's namespaces here ({why})"
        return (f"it cannot sandbox: this user cannot create the jail's namespaces here "
                f"({why}); {_userns_hint()}")

    def start(self, kernel: Kernel, argv: list[str], log) -> None:
        uid, gid = slot_user() if self.mode == "root" else (0, 0)  # userns: ids inside it
        binds, links, masks = _visible_system()
        root = kernel.scratch / "root"
        root.mkdir(exist_ok=True)
        pidfile = kernel.scratch / "init.pid"
        pidfile.unlink(missing_ok=True)
        limits = kernel.limits
        spec = dict(mode=self.mode, root=str(root), ro_binds=binds, symlinks=links, masks=masks,
                    workdir=KERNEL_DIR, stage=str(kernel.stage), uid=uid, gid=gid,
                    no_network=True, rlimits=self.rlimits(limits), argv=argv,
                    env=_kernel_env(KERNEL_DIR), pidfile=str(pidfile),
                    work_bytes=limits.work_bytes, tmp_bytes=limits.tmp_bytes,
                    grader_stage=str(kernel.grader_stage), grader_dir=JAILED_GRADER_DIR,
                    grader_bytes=limits.grader_bytes, out_bytes=limits.out_bytes,
                    cgroup=str(kernel.cgroup) if kernel.cgroup else None,
                    log=str(kernel.scratch / "kernel.log"), warm=kernel.warm,
                    syscall_filter=kernel_filter().hex())
        kernel.process = self._launch(kernel, spec, log)
        kernel.init_pid = kernel.root_pid = _wait_for_pidfile(kernel, pidfile)

    @staticmethod
    def _launch(kernel: Kernel, spec: dict, log) -> subprocess.Popen | WarmProcess:
        """Process A of the jail: forked by the warm launcher, or a fresh interpreter."""
        spec_path = kernel.scratch / "jail.json"
        spec_path.write_text(json.dumps(spec))
        if kernel.warm:
            try:
                return launcher().spawn(spec_path)
            except LauncherError as error:  # a cold start still grades, only slower
                log.write(f"{error}; starting cold\n".encode())
                log.flush()
                spec_path.write_text(json.dumps(dict(spec, warm=False)))
        return subprocess.Popen(
            [sys.executable, "-I", str(JAIL), str(spec_path)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            preexec_fn=die_with_parent)


@cache
def kernel_filter() -> bytes:
    """The seccomp filter every jail installs on the kernel (syscall_filter.py)."""
    return syscall_filter.program()


class Unsandboxed(Sandbox):
    """``--no-sandbox``: a plain subprocess with the grader's rights (debugging only)."""

    name, jailed = "none", False

    def describe(self) -> str:
        return "none"

    def find_problem(self) -> str:
        return ""

    def work_dir(self, scratch: Path) -> str:
        return str(scratch / "work")

    def grader_dir(self, scratch: Path) -> str:
        return f"{self.work_dir(scratch)}/.grader"

    def rlimits(self, limits: Limits) -> dict[str, int]:
        # NPROC would count all of the grader's own processes
        return {k: v for k, v in limits.rlimits().items() if k != "RLIMIT_NPROC"}

    def host_path(self, kernel: Kernel, path: str) -> str:
        return path

    def start(self, kernel: Kernel, argv: list[str], log) -> None:
        work = Path(kernel.work)
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(kernel.stage, work)
        shutil.copytree(kernel.grader_stage, kernel.grader_dir)
        Path(kernel.grader_dir, "out").mkdir()
        env = dict(_kernel_env(str(work)), PYTHONPATH="")
        rlimits, cgroup = self.rlimits(kernel.limits), kernel.cgroup

        def limit() -> None:
            die_with_parent()
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))
            for name, value in rlimits.items():
                resource.setrlimit(getattr(resource, name), (value, value))

        kernel.process = subprocess.Popen(
            argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, preexec_fn=limit)


JAILS = ("auto", "namespaces", "bubblewrap")  # what --jail accepts


@cache
def named(name: str) -> Sandbox:
    """The sandbox a Job names, as this machine runs it: ``"auto"`` (:func:`choose`),
    ``"namespaces"`` (root or user-namespace mode, whichever this process is in),
    ``"bubblewrap"`` or ``"none"``. Resolved where the kernels run (a Dask worker)."""
    if name == "auto":
        return choose()
    if name == "namespaces":
        return NamespaceJail(jail_mode())
    if name == "bubblewrap":
        from .bubblewrap import BubblewrapJail
        return BubblewrapJail()
    if name == "none":
        return Unsandboxed()
    raise ValueError(f"sandbox name must be one of {(*JAILS, 'none')}, not {name!r}")


def choose() -> Sandbox:
    """The jail for this machine: our namespaces where the OS allows them, else bubblewrap
    where it works (a setuid bwrap, or an AppArmor profile that lets only bwrap create user
    namespaces), else the namespace jail, whose :meth:`~Sandbox.problem` then says why
    neither works and what to enable."""
    ours = NamespaceJail(jail_mode())
    if not ours.mode or not ours.problem():
        return ours
    from .bubblewrap import BubblewrapJail
    bwrap = BubblewrapJail()
    if not bwrap.problem():
        return bwrap
    ours.fallback = f"nor can bubblewrap: {bwrap.problem()}"
    return ours


def can_sandbox() -> bool:
    return jail_mode() != ""


def sandbox_problem(jail: str = "auto") -> str:
    """Why this machine cannot grade in the sandbox ``jail`` names, or ``""`` if it can."""
    return named(jail).problem()


def describe(jail: str = "auto") -> str:
    return named(jail).describe()


def _userns_hint() -> str:
    """What to enable for unprivileged user namespaces (or bubblewrap), by what this machine
    says. Ubuntu 24.04's packaged bwrap is refused like our jail unless the AppArmor profile
    it ships in apparmor-profiles is loaded (loaded by default from Ubuntu 25.04)."""
    if _sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1":
        return ("AppArmor restricts unprivileged user namespaces (Ubuntu 23.10 and later): "
                "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or install "
                "bubblewrap and load the AppArmor profile that lets bwrap create them (Ubuntu "
                "24.04: `sudo apt install apparmor-profiles bubblewrap && sudo cp /usr/share/"
                "apparmor/extra-profiles/bwrap-userns-restrict /etc/apparmor.d/ && sudo "
                "apparmor_parser -r /etc/apparmor.d/bwrap-userns-restrict`), or grade as root")
    setuid_bwrap = "or install bubblewrap setuid root (`sudo chmod u+s /usr/bin/bwrap`)"
    if _sysctl("kernel/unprivileged_userns_clone") == "0":
        return f"`sudo sysctl kernel.unprivileged_userns_clone=1`, {setuid_bwrap}, or grade as root"
    if _sysctl("user/max_user_namespaces") == "0":
        return f"`sudo sysctl user.max_user_namespaces=15000`, {setuid_bwrap}, or grade as root"
    return "grade as root, or on a machine that allows unprivileged user namespaces"


def _sysctl(name: str) -> str:
    try:
        return Path("/proc/sys", name).read_text().strip()
    except OSError:
        return ""


def run_probe(argv: list[str], preexec_fn=None) -> str:
    """Run a sandbox's probe: ``""`` if it succeeded, else the end of what it said."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          preexec_fn=preexec_fn)
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


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                       capture_output=True)  # a concurrent batch may have won the race
        return pwd.getpwnam(name)


def _visible_system() -> tuple[list[str], dict[str, str], list[str]]:
    """Read-only binds, symlinks and masked dirs that make up the jail's filesystem."""
    binds, links = ["/usr", "/etc"], {}
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            links[top] = os.readlink(top)
        elif os.path.isdir(top):
            binds.append(top)
    for prefix in {sys.base_prefix, os.path.realpath(sys.base_prefix), sys.prefix}:
        if not any(prefix == b or prefix.startswith(b + "/") for b in binds):
            binds.append(prefix)
    masks = list(_packages_not_for_kernels())
    for package in ("solutions", "autograder"):  # however they got onto a visible path
        spec = find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            if any(location.startswith(b + "/") for b in binds) and location not in masks:
                masks.append(location)
    return binds, links, masks


# What a graded kernel may import: what the chapters' code and convlab use, with everything
# they depend on. The rest of the grader's environment (torch from the dev extra, the book
# and grading tools, an installed copy of solutions/autograder) is hidden in the jail.
KERNEL_PACKAGES = ("numpy", "scipy", "matplotlib", "ipywidgets", "ipykernel", "anywidget")
HARMLESS = {"pip", "setuptools", "wheel"}  # .pth files at start-up import from these


@lru_cache(maxsize=1)
def _packages_not_for_kernels() -> tuple[str, ...]:
    """Installed package dirs outside :data:`KERNEL_PACKAGES`' dependency closure."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    needed, todo = set(HARMLESS), list(KERNEL_PACKAGES)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in needed:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        needed.add(name)
        for line in dist.requires or ():
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    hidden = set()
    for dist in metadata.distributions():
        if canonicalize_name(dist.metadata["Name"] or "") in needed:
            continue
        for file in dist.files or ():
            top = file.parts[0] if len(file.parts) > 1 else ""
            if top and not top.endswith((".dist-info", ".egg-info", ".data")) and \
                    top not in ("..", "__pycache__", "bin"):
                path = os.path.realpath(dist.locate_file(top))
                if os.path.isdir(path):
                    hidden.add(path)
    return tuple(sorted(hidden))


@lru_cache(maxsize=1)
def matplotlib_cache() -> Path:
    """Matplotlib's font cache, built once per machine: else every kernel rebuilds it (s).

    It lives in the grader's own cache folder (not /tmp, where another user could plant
    one); kernels get a copy of it, and the warm launcher reads it when importing.
    """
    import matplotlib
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "convlab-autograder" / f"matplotlib-{matplotlib.__version__}"
    if not list(path.glob("fontlist*.json")):
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                       env={"MPLCONFIGDIR": str(path), "PATH": "/usr/bin:/bin"},
                       capture_output=True)
    return path


def _kernel_env(work: str) -> dict[str, str]:
    return {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": work, "TMPDIR": "/tmp" if work == KERNEL_DIR else work, "LANG": "C.UTF-8",
        "MPLCONFIGDIR": f"{work}/.matplotlib", "IPYTHONDIR": f"{work}/.ipython",
        "JUPYTER_CONFIG_DIR": f"{work}/.jupyter", "JUPYTER_DATA_DIR": f"{work}/.jupyter",
        "JUPYTER_RUNTIME_DIR": f"{work}/.jupyter", "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        # one thread each: the grader runs one kernel per core, and fewer threads fit the
        # process and address-space limits
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


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
        self.process: subprocess.Popen | WarmProcess | None = None
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
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", f"{self.work}/kernel.json",
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


def _wait_for_pidfile(kernel: Kernel, pidfile: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pidfile.exists():
            return int(pidfile.read_text())
        if kernel.process.poll() is not None:
            break
        time.sleep(0.01)
    raise RuntimeError(f"the sandbox did not start: {kernel.log_tail()}")


class LauncherError(RuntimeError):
    pass


class Launcher:
    """This process's warm launcher: a root ``jail.py --serve`` that forks jailed kernels.

    It starts with an environment of its own (a kernel's, not the grader's), imports
    :data:`WARM_MODULES` and answers one spawn request at a time over a pipe. It dies with
    this process (parent-death signal), and every kernel it forked dies with it.
    """

    def __init__(self):
        env = dict(_kernel_env(KERNEL_DIR), MPLCONFIGDIR=str(matplotlib_cache()),
                   MPLBACKEND=INLINE_BACKEND)
        self.log = tempfile.TemporaryFile()  # its stderr, for the error if it fails
        self.process = subprocess.Popen(
            # Not -I: it implies -P (safe_path), and IPython then leaves the work dir off
            # sys.path, so `import convlab` would fail. serve() drops the script's dir.
            [sys.executable, "-E", "-s", "-B", str(JAIL), "--serve",
             json.dumps({"modules": list(WARM_MODULES)})],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env,
            cwd="/", start_new_session=True, preexec_fn=die_with_parent)
        os.set_blocking(self.process.stdout.fileno(), False)
        self.buffer = b""
        self.exits: dict[int, int] = {}
        self.lock = threading.Lock()
        self._expect("ready", LAUNCHER_TIMEOUT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, spec_path: Path) -> WarmProcess:
        """Fork a process A for ``spec_path`` (see jail.py); its handle."""
        with self.lock:
            try:
                self.process.stdin.write(f"{spec_path}\n".encode())
                self.process.stdin.flush()
            except OSError as error:
                raise LauncherError(f"the warm launcher is gone ({error})") from None
            return WarmProcess(self, int(self._expect("started", 30)))

    def returncode(self, pid: int) -> int | None:
        """Exit status of a process A, as a shell reports it; None while it runs."""
        with self.lock:
            self._drain()
            if pid in self.exits:  # asked once: WarmProcess keeps the answer
                return self.exits.pop(pid)
            if not self.alive() and not os.path.exists(f"/proc/{pid}"):
                return 128 + signal.SIGKILL  # died with the launcher (its parent-death signal)
            return None

    def _drain(self) -> list[str]:
        """Read what the launcher said; record exits, return the other lines."""
        try:
            chunk = self.process.stdout.read()
        except OSError:
            chunk = None
        self.buffer += chunk or b""
        lines = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            word, *rest = line.decode().split()
            if word == "exit":
                self.exits[int(rest[0])] = int(rest[1])
            else:
                lines.append(" ".join([word, *rest]))
        return lines

    def _expect(self, word: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self._drain():
                if line.split()[0] == word:
                    return line.partition(" ")[2]
            if not self.alive():
                break
            select.select([self.process.stdout], [], [], 0.05)
        self.close()
        self.log.seek(0)
        tail = self.log.read().decode("utf-8", "replace")[-1500:]
        raise LauncherError(f"the warm launcher did not answer {word!r}: {tail}")

    def close(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class WarmProcess:
    """The part of :class:`subprocess.Popen` the grader uses, for a process the launcher forked."""

    def __init__(self, owner: Launcher, pid: int):
        self.owner, self.pid, self.returncode = owner, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.owner.returncode(self.pid)
        return self.returncode

    def wait(self) -> int:
        while self.poll() is None:
            time.sleep(0.005)
        return self.returncode


_launcher: Launcher | None = None
_launcher_lock = threading.Lock()


def launcher() -> Launcher:
    """This process's warm launcher, (re)started when needed."""
    global _launcher
    with _launcher_lock:
        if _launcher is None or not _launcher.alive():
            _launcher = Launcher()
        return _launcher


def _forget_launcher() -> None:
    global _launcher, _launcher_lock
    _launcher, _launcher_lock = None, threading.Lock()  # a forked child starts its own


os.register_at_fork(after_in_child=_forget_launcher)


def unsandboxed_warning() -> None:
    warnings.warn(UNSANDBOXED_WARNING, RuntimeWarning, stacklevel=2)
    print(UNSANDBOXED_WARNING, file=sys.stderr, flush=True)
