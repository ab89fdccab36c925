"""The kernel's world, the same in every jail: what it sees of the system, its environment,
and where its two dirs are.

:func:`visible_system` is the read-only part of the jail's filesystem (the interpreter and
only the packages a graded kernel may import: :data:`KERNEL_PACKAGES` with everything they
depend on; the grader's own packages are masked however they got onto a visible path).
:func:`kernel_env` is the kernel's whole environment. Both jails (namespaces.py,
bubblewrap.py) build their mounts from these, so they cannot drift apart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from . import syscall_filter

KERNEL_DIR = "/sandbox"  # the kernel's work dir inside the jail
JAILED_GRADER_DIR = "/grader"  # recorder and cases (read-only), out/ (the student's)


def visible_system() -> tuple[list[str], dict[str, str], list[str]]:
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
    masks = list(packages_not_for_kernels())
    for package in ("solutions", "autograder"):  # however they got onto a visible path
        spec = find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            if any(location.startswith(b + "/") for b in binds) and location not in masks:
                masks.append(location)
    return binds, links, masks


# What a graded kernel may import: what the chapters' narrative and convlab use, with everything
# they depend on (scikit-learn: 09_training's digits). A graded *answer* that calls any library
# but numpy still scores 0 for its exercise (checks/answers.py).
KERNEL_PACKAGES = ("numpy", "scipy", "matplotlib", "ipywidgets", "ipykernel", "anywidget",
                   "scikit-learn")
HARMLESS = {"pip", "setuptools", "wheel"}  # .pth files at start-up import from these


@lru_cache(maxsize=1)
def packages_not_for_kernels() -> tuple[str, ...]:
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


def kernel_env(work: str) -> dict[str, str]:
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


@lru_cache(maxsize=1)
def kernel_filter() -> bytes:
    """The seccomp filter every jail installs on the kernel (syscall_filter.py)."""
    return syscall_filter.program()
