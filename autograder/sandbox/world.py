"""The kernel's world, the same in every jail: what it sees of the system, its environment,
and where its two dirs are.

:func:`visible_system` is the read-only part of the jail's filesystem (the system dirs, and
only the packages a graded kernel may import: :data:`KERNEL_PACKAGES` with everything they
depend on; the grader's own packages are masked however they got onto a visible path).
:func:`interpreter` puts the interpreter at neutral paths (:data:`INTERPRETER_DIR`), so
no path of the grading machine (the project, the venv, a home dir) is in the kernel's world.
:func:`kernel_env` is the kernel's whole environment. Both jails (namespaces.py,
bubblewrap.py) build their mounts from these, so they cannot drift apart.
"""

from __future__ import annotations

import glob
import os
import platform
import site
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from . import syscall_filter

KERNEL_DIR = "/sandbox"  # the kernel's work dir inside the jail
JAILED_GRADER_DIR = "/grader"  # recorder and cases (read-only), out/ (the student's)
# The interpreter, wherever it lives on the host (a pyenv under a home dir, a venv in the
# project, a CI clone under /tmp): the base install at BASE_DIR, a venv at ENV_DIR.
INTERPRETER_DIR = "/python"
BASE_DIR, ENV_DIR = f"{INTERPRETER_DIR}/base", f"{INTERPRETER_DIR}/env"
# What the warm launcher's world adds at its top level (jail.enter_world); the jail script
# is copied there, so the launcher's own frames name no host path either.
LAUNCHER_DIR = "/launcher"


def _system() -> tuple[list[str], dict[str, str]]:
    binds, links = ["/usr", "/etc"], {}
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            links[top] = os.readlink(top)
        elif os.path.isdir(top):
            binds.append(top)
    return binds, links


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


@dataclass(frozen=True)
class Interpreter:
    """The interpreter at neutral paths: what each jail mounts where, and what it makes.

    ``binds`` are read-only (host path, neutral path); ``files`` and ``links`` are made in
    the neutral tree (a venv's ``pyvenv.cfg`` naming the neutral base, its ``bin/python3``);
    ``blanks`` are files replaced by empty ones (an editable install's finder and ``.pth``,
    ``direct_url.json``: they name the project's host path); ``python`` is the kernel's
    interpreter and ``library_path`` where its ``libpython`` is (its RUNPATH names the host).
    """

    binds: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str], ...]
    links: tuple[tuple[str, str], ...]
    blanks: tuple[str, ...]
    python: str
    library_path: str
    aliases: tuple[tuple[str, str], ...]  # host prefixes (as found and resolved) -> neutral

    def neutral(self, path: str) -> str | None:
        """Where the host ``path`` is in the kernel's world (None: not there)."""
        for host, inside in self.aliases:
            if _under(path, host):
                return inside + path[len(host.rstrip("/")):] if host != "/" else path
        return None


@lru_cache(maxsize=1)
def interpreter() -> Interpreter:
    """The interpreter's neutral layout (see :class:`Interpreter`)."""
    system, _ = _system()
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base_real = os.path.realpath(sys.base_prefix)
    aliases: list[tuple[str, str]] = [(top, top) for top in system]
    binds, files, links = [], [], []
    if any(_under(base_real, top) for top in system):
        base = base_real
    else:
        base = BASE_DIR
        binds.append((base_real, BASE_DIR))
        aliases += [(base_real, BASE_DIR), (sys.base_prefix, BASE_DIR)]
    base_python = _translated(os.path.realpath(getattr(sys, "_base_executable", "") or
                                               sys.executable), aliases)
    if not base_python:  # no interpreter binary under the base prefix: use the usual name
        base_python = f"{base}/bin/{version}"
    python = base_python
    if os.path.realpath(sys.prefix) != base_real:  # a venv: its site-packages, its config
        for found in site.getsitepackages():
            if _under(found, sys.prefix) and os.path.isdir(found):
                inside = ENV_DIR + found[len(sys.prefix):]
                real = os.path.realpath(found)
                if all(real != host for host, _ in binds):
                    binds.append((real, inside))
                aliases += [(real, inside), (found, inside)]
        aliases += [(os.path.realpath(sys.prefix), ENV_DIR), (sys.prefix, ENV_DIR)]
        files.append((f"{ENV_DIR}/pyvenv.cfg",
                      f"home = {os.path.dirname(base_python)}\n"
                      f"include-system-site-packages = {_system_site()}\n"
                      f"version = {platform.python_version()}\n"))
        python = f"{ENV_DIR}/bin/python3"
        links += [(python, base_python), (f"{ENV_DIR}/bin/python", "python3"),
                  (f"{ENV_DIR}/bin/{version}", "python3")]
    library = ""
    if base == BASE_DIR and glob.glob(f"{base_real}/lib/libpython*.so*"):
        library = f"{BASE_DIR}/lib"
    aliases.sort(key=lambda pair: -len(pair[0]))  # the longest prefix first
    seen, unique = set(), []
    for pair in aliases:
        if pair[0] not in seen:
            seen.add(pair[0])
            unique.append(pair)
    layout = Interpreter(tuple(binds), tuple(files), tuple(links), (), python, library,
                         tuple(unique))
    blanks = tuple(sorted(filter(None, (layout.neutral(p) for p in _naming_files(binds)))))
    return Interpreter(layout.binds, layout.files, layout.links, blanks, python, library,
                       layout.aliases)


def _translated(path: str, aliases: list[tuple[str, str]]) -> str:
    for host, inside in sorted(aliases, key=lambda pair: -len(pair[0])):
        if _under(path, host):
            return inside + path[len(host.rstrip("/")):]
    return ""


def _system_site() -> str:
    try:
        with open(os.path.join(sys.prefix, "pyvenv.cfg")) as f:
            for line in f:
                key, _, value = line.partition("=")
                if key.strip() == "include-system-site-packages":
                    return value.strip()
    except OSError:
        pass
    return "false"


def _naming_files(binds) -> list[str]:
    """Files in the interpreter's site dirs that name where a package came from: an
    editable install's finder and ``.pth`` (the project's host path), ``direct_url.json``,
    ``.egg-link``, and any ``.pth`` that adds an absolute path to sys.path."""
    found = []
    dirs = [host for host, _ in binds] + [p for p in site.getsitepackages() if os.path.isdir(p)]
    for folder in dict.fromkeys(dirs):
        for name in glob.glob(f"{folder}/__editable__*") + glob.glob(f"{folder}/*.egg-link") + \
                glob.glob(f"{folder}/*.dist-info/direct_url.json"):
            found.append(os.path.realpath(name))
        for name in glob.glob(f"{folder}/*.pth"):
            try:
                with open(name) as f:
                    if any(line.startswith("/") for line in f):
                        found.append(os.path.realpath(name))
            except OSError:
                pass
    return found


def visible_system() -> tuple[list[str], dict[str, str], list[str]]:
    """The system's read-only binds and symlinks, and the package dirs to mask (at their
    paths in the kernel's world; the interpreter itself is :func:`interpreter`)."""
    binds, links = _system()
    layout = interpreter()
    masks = []
    for location in packages_not_for_kernels():
        inside = layout.neutral(location)
        if inside and inside not in masks:
            masks.append(inside)
    for package in ("solutions", "autograder"):  # however they got onto a visible path
        spec = find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            inside = layout.neutral(os.path.realpath(location)) or layout.neutral(location)
            if inside and inside not in masks:
                masks.append(inside)
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
        # each top-level dir once (a package lists thousands of files): resolving every
        # file's dir was 31,000 realpath calls, 2.6 s at each worker's first kernel
        tops = {file.parts[0] for file in dist.files or () if len(file.parts) > 1}
        for top in sorted(tops):
            if not top.endswith((".dist-info", ".egg-info", ".data")) and \
                    top not in ("..", "__pycache__", "bin"):
                path = os.path.realpath(dist.locate_file(top))
                if os.path.isdir(path):
                    hidden.add(path)
    return tuple(sorted(hidden))


@lru_cache(maxsize=1)
def matplotlib_cache() -> Path:
    """Matplotlib's font cache, built once per machine: else every kernel rebuilds it (s).

    It lives in the grader's own cache folder (not /tmp, where another user could plant
    one); kernels get a copy of it, and the warm launcher reads it when importing. It
    names matplotlib's own fonts relative to its data dir, so it holds in the jail too.
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


def kernel_env(work: str, jailed: bool = True) -> dict[str, str]:
    python = interpreter().python if jailed else sys.executable
    library = {"LD_LIBRARY_PATH": interpreter().library_path} if (
        jailed and interpreter().library_path) else {}
    return {
        "PATH": f"{os.path.dirname(python)}:/usr/local/bin:/usr/bin:/bin", **library,
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


def prepare() -> None:
    """Work out, once in this process, what every jailed kernel's start reads from here:
    a batch's workers fork after it and inherit the answers (each worker used to spend
    about 0.5 s on the package metadata and the filter before its first kernel)."""
    visible_system()
    kernel_filter()
    matplotlib_cache()
