"""One memory cap for all of a kernel's processes together: a cgroup per kernel.

``RLIMIT_AS`` bounds each process, and a kernel may start many (a fork, a pool): per
process alone, 128 processes of 2 GiB would be 256 GiB. A memory cgroup bounds their sum;
the kernel's own OOM killer then stops the biggest of them, and the grader records it.

Where the machine offers it: cgroup v2 (the unified hierarchy, with the memory controller
enabled for our subtree) or cgroup v1 (the memory hierarchy), each under the grading
process's own cgroup, so container limits still apply above ours. Writing there needs
root or a delegated subtree (systemd's ``Delegate=yes``); otherwise only the per-process
limit holds, and :func:`mode` says so for the report.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PER_PROCESS = "per process only (no writable memory cgroup)"


@lru_cache(maxsize=1)
def _base() -> tuple[str, Path | None]:
    """(mode, the dir our kernels' cgroups go in) for this machine."""
    own = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            own[controllers] = path
    except (OSError, ValueError):
        return PER_PROCESS, None
    candidates = []
    if (CGROUP_ROOT / "cgroup.controllers").exists() and "" in own:  # v2 mounted at the root
        candidates.append(("cgroup v2", CGROUP_ROOT / own[""].lstrip("/"), "memory.max"))
    elif (CGROUP_ROOT / "unified" / "cgroup.controllers").exists() and "" in own:
        candidates.append(("cgroup v2", CGROUP_ROOT / "unified" / own[""].lstrip("/"),
                           "memory.max"))
    v1 = next((p for c, p in own.items() if "memory" in c.split(",")), None)
    if v1 is not None and (CGROUP_ROOT / "memory").is_dir():
        candidates.append(("cgroup v1", CGROUP_ROOT / "memory" / v1.lstrip("/"),
                           "memory.limit_in_bytes"))
    for mode, parent, limit_file in candidates:
        base = parent / "convlab-grader"
        if _usable(base, limit_file):
            return mode, base
    return PER_PROCESS, None


def _usable(base: Path, limit_file: str) -> bool:
    """Whether we can make a cgroup under ``base`` with a memory limit (tried once)."""
    probe = base / f"probe-{secrets.token_hex(4)}"
    try:
        if (base.parent / "cgroup.subtree_control").exists():  # v2: the memory controller
            _enable_memory(base.parent)  # must be on for our subtree (fails if we are not
            base.mkdir(exist_ok=True)  # allowed: then v2 is not ours to use)
            _enable_memory(base)
        else:
            base.mkdir(exist_ok=True)
        probe.mkdir()
        try:
            return (probe / limit_file).exists()
        finally:
            probe.rmdir()
    except OSError:
        return False


def _enable_memory(cgroup: Path) -> None:
    controls = cgroup / "cgroup.subtree_control"
    if "memory" not in controls.read_text().split():
        controls.write_text("+memory")


def mode() -> str:
    """How kernels' memory is capped on this machine (for the report)."""
    return _base()[0]


def create(limit_bytes: int) -> Path | None:
    """A fresh cgroup capped at ``limit_bytes`` (swap included), or None where there is none.

    A process writes its pid to ``<cgroup>/cgroup.procs`` to join; its children follow.
    """
    mode_, base = _base()
    if base is None:
        return None
    for stale in base.glob("kernel-*-*"):  # left by a grading process that was killed
        if not Path(f"/proc/{stale.name.split('-')[1]}").exists():
            remove(stale)
    cgroup = base / f"kernel-{os.getpid()}-{secrets.token_hex(6)}"
    cgroup.mkdir()
    if mode_ == "cgroup v2":
        (cgroup / "memory.max").write_text(str(limit_bytes))
        if (cgroup / "memory.swap.max").exists():
            (cgroup / "memory.swap.max").write_text("0")
    else:
        (cgroup / "memory.limit_in_bytes").write_text(str(limit_bytes))
        if (cgroup / "memory.memsw.limit_in_bytes").exists():  # only if swap accounting is on
            (cgroup / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
    return cgroup


def remove(cgroup: Path | None) -> None:
    """Delete a kernel's cgroup once its processes are gone (a cgroup with members stays)."""
    if cgroup is None:
        return
    try:
        cgroup.rmdir()
    except OSError:
        pass  # a straggler still in it: the next sweep's rmdir takes it
