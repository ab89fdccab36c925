"""Our own jail (jail.py): as root, a system user per worker slot; as an ordinary user, in
user namespaces.

Each worker also keeps a warm :class:`Launcher` (``jail.py --serve``, see jail.py): kernels
are forked from an interpreter that has already imported numpy, scipy, matplotlib and
ipykernel, then jailed exactly as a cold start is. It saves about 2.5 s of CPU per kernel.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .base import Kernel, Sandbox, wait_for_pidfile
from .jail import die_with_parent
from .machine import jail_mode, run_probe, slot_user
from .world import (
    INTERPRETER_DIR,
    JAILED_GRADER_DIR,
    KERNEL_DIR,
    LAUNCHER_DIR,
    interpreter,
    kernel_env,
    kernel_filter,
    matplotlib_cache,
    visible_system,
)

JAIL = Path(__file__).with_name("jail.py")
# What the warm launcher imports once for every kernel it forks: what nearly every chapter
# imports first (about 2.5 s of CPU per kernel, measured with python -X importtime). Not
# matplotlib_inline.backend_inline: importing it hooks figures into the running IPython
# shell, so it must happen in the kernel (pyplot imports it there at the first figure).
# Not ipykernel's debugger either (debugpy, 0.4 s of each start): imported before the fork,
# it made warm kernels slow to restart under load (a restart after exit() timed out in the
# hostile corpus), and it sets PYDEVD_* variables a warm kernel's fresh environment loses.
WARM_MODULES = ("numpy", "scipy.signal", "matplotlib.pyplot", "ipywidgets", "ipykernel.kernelapp")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel sets at start
LAUNCHER_TIMEOUT = 120  # seconds for the launcher's imports on a loaded machine


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
            with tempfile.TemporaryDirectory() as root:  # empty on the host: a mount point
                why = run_probe([sys.executable, "-I", str(JAIL), "--probe-world",
                                 json.dumps(world_spec(self.mode, Path(root)))], env=BOOT_ENV)
            if why:
                return ("it cannot sandbox: the interpreter does not run at its neutral "
                        f"paths in the jail's world ({why})")
        if not why:
            return ""
        if self.mode == "root":
            return f"it cannot sandbox: root cannot create the jail's namespaces here ({why})"
        return (f"it cannot sandbox: this user cannot create the jail's namespaces here "
                f"({why}); {_userns_hint()}")

    def start(self, kernel: Kernel, argv: list[str], log) -> None:
        uid, gid = slot_user() if self.mode == "root" else (0, 0)  # userns: ids inside it
        binds, links, masks = visible_system()
        if interpreter().binds:  # the world holds the interpreter there (world_spec)
            binds = [*binds, INTERPRETER_DIR]
        root = kernel.scratch / "root"
        root.mkdir(exist_ok=True)
        pidfile = kernel.scratch / "init.pid"
        pidfile.unlink(missing_ok=True)
        limits = kernel.limits
        spec = dict(mode=self.mode, root=str(root), ro_binds=binds, symlinks=links, masks=masks,
                    blanks=list(interpreter().blanks),
                    workdir=KERNEL_DIR, stage=str(kernel.stage), uid=uid, gid=gid,
                    no_network=True, rlimits=self.rlimits(limits), argv=argv,
                    env=kernel_env(KERNEL_DIR), pidfile=str(pidfile),
                    work_bytes=limits.work_bytes, tmp_bytes=limits.tmp_bytes,
                    grader_stage=str(kernel.grader_stage), grader_dir=JAILED_GRADER_DIR,
                    grader_bytes=limits.grader_bytes, out_bytes=limits.out_bytes,
                    cgroup=str(kernel.cgroup) if kernel.cgroup else None,
                    log=str(kernel.scratch / "kernel.log"), warm=kernel.warm,
                    syscall_filter=kernel_filter().hex())
        kernel.process = self._launch(kernel, spec, log)
        kernel.init_pid = kernel.root_pid = wait_for_pidfile(kernel, pidfile)

    @staticmethod
    def _launch(kernel: Kernel, spec: dict, log) -> subprocess.Popen | WarmProcess:
        """Process A of the jail: forked by the warm launcher, or a fresh interpreter."""
        spec_path = kernel.scratch / "jail.json"
        spec_path.write_text(json.dumps(spec))
        if kernel.warm:
            try:
                return launcher(spec["mode"]).spawn(spec_path)
            except LauncherError as error:  # a cold start still grades, only slower
                log.write(f"{error}; starting cold\n".encode())
                log.flush()
        world = kernel.scratch / "world"
        world.mkdir(exist_ok=True)
        spec_path.write_text(json.dumps(dict(spec, warm=False,
                                             world=world_spec(spec["mode"], world))))
        return subprocess.Popen(
            [sys.executable, "-I", str(JAIL), str(spec_path)], env=BOOT_ENV,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            preexec_fn=die_with_parent)


BOOT_ENV = {"PATH": "/usr/bin:/bin"}  # jail.py's until it execs in its world


def world_spec(mode: str, root: Path, env: dict[str, str] | None = None,
               copies: tuple[tuple[str, str], ...] = ()) -> dict:
    """What jail.enter_world builds at ``root`` (an empty dir): the host's tree with the
    interpreter at its neutral paths (world.interpreter), this script at LAUNCHER_DIR, and
    ``copies`` (neutral path, host path); ``env`` is the environment it execs with."""
    layout = interpreter()
    return dict(mode=mode, root=str(root), binds=[list(b) for b in layout.binds],
                links=[list(link) for link in layout.links],
                files=[list(f) for f in layout.files], blanks=list(layout.blanks),
                python=layout.python, env=env or kernel_env(KERNEL_DIR),
                copies=[[f"{LAUNCHER_DIR}/{JAIL.name}", str(JAIL)], *map(list, copies)])


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


class LauncherError(RuntimeError):
    pass


class Launcher:
    """This process's warm launcher: a root ``jail.py --serve`` that forks jailed kernels.

    It starts with an environment of its own (a kernel's, not the grader's), imports
    :data:`WARM_MODULES` and answers one spawn request at a time over a pipe. It dies with
    this process (parent-death signal), and every kernel it forked dies with it.
    """

    def __init__(self, mode: str):
        env = dict(kernel_env(KERNEL_DIR), MPLBACKEND=INLINE_BACKEND)
        # The launcher's world: where it imports, so what it imports has neutral paths.
        # The dir stays empty on the host (the world is a mount namespace of its own);
        # named like a scratch dir, grade._swept removes it once this process is gone.
        root = tempfile.mkdtemp(prefix=f"convlab-grade-{os.getpid()}-world-")
        world = world_spec(mode, Path(root), env, copies=(
            (env["MPLCONFIGDIR"], str(matplotlib_cache())),))  # matplotlib reads it once
        self.log = tempfile.TemporaryFile()  # its stderr, for the error if it fails
        self.process = subprocess.Popen(
            # Not -I: it implies -P (safe_path), and IPython then leaves the work dir off
            # sys.path, so `import convlab` would fail. serve() drops the script's dir.
            [sys.executable, "-E", "-s", "-B", str(JAIL), "--serve",
             json.dumps({"modules": list(WARM_MODULES), "world": world})],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=BOOT_ENV,
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


def launcher(mode: str = "") -> Launcher:
    """This process's warm launcher, (re)started when needed (``mode``: jail_mode's)."""
    global _launcher
    with _launcher_lock:
        if _launcher is None or not _launcher.alive():
            _launcher = Launcher(mode or jail_mode())
        return _launcher


def _forget_launcher() -> None:
    global _launcher, _launcher_lock
    _launcher, _launcher_lock = None, threading.Lock()  # a forked child starts its own


os.register_at_fork(after_in_child=_forget_launcher)
