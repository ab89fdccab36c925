"""A chapter's requirements.txt: what a student's Python needs to run it, each pinned.

Derived, never typed: the modules the released notebook and ``convlab`` (which ships beside
it) import, mapped to the distributions that provide them in this environment, plus the
tools the student opens and validates the notebook with (``STUDENT_TOOLS``); then everything
those need, found from the installed packages' metadata. Every line is pinned to the version
in constraints.txt, the versions CI tested, so a new import in a chapter or in convlab is a
new pinned line at the next release, and a `make lock` changes every chapter's pins at once.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import nbformat
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .submissions import InstructorError

# What a student runs the notebook with: JupyterLab 4 or Notebook 7, nbgrader's Validate
# button and command, and the kernel.
STUDENT_TOOLS = ("jupyterlab", "notebook", "nbgrader", "ipykernel")
# Shipped as a folder next to the notebook, not installed.
SHIPPED = {"convlab"}
# Installer packages that constraints.txt leaves to pip (`make lock` drops setuptools):
# listed without a version when something needs them (nbgrader needs setuptools).
INSTALLERS = {"pip", "setuptools", "wheel"}
# A line of IPython that is not Python (%magic, !shell): left out before parsing.
_IPYTHON_LINE = re.compile(r"^\s*[%!]")


def imported_modules(source: str) -> set[str]:
    """Top-level names of the modules `source` imports (relative imports excluded)."""
    code = "\n".join("" if _IPYTHON_LINE.match(line) else line for line in source.splitlines())
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def chapter_modules(notebooks: list[Path], convlab: Path) -> set[str]:
    """Modules the notebook files' code cells and convlab's modules import, stdlib excluded."""
    return modules_of([nbformat.read(path, as_version=4) for path in notebooks], convlab)


def modules_of(notebooks: list, convlab: Path) -> set[str]:
    """Modules the notebooks' code cells and convlab's modules import, stdlib excluded."""
    sources = [c.source for nb in notebooks for c in nb.cells if c.cell_type == "code"]
    sources += [p.read_text(encoding="utf-8") for p in sorted(convlab.rglob("*.py"))]
    modules = set().union(*(imported_modules(s) for s in sources))
    return {m for m in modules if m not in sys.stdlib_module_names and m not in SHIPPED}


def distributions_of(modules: set[str]) -> set[str]:
    """The installed distributions that provide `modules`; an unknown module is an error."""
    providers = metadata.packages_distributions()
    missing = sorted(m for m in modules if m not in providers)
    if missing:
        raise InstructorError(f"the chapter imports {missing}, which no installed package "
                              f"provides: add it to pyproject.toml or fix the import")
    return {canonicalize_name(d) for m in modules for d in providers[m]}


def closure(names: set[str]) -> set[str]:
    """`names` and every distribution they need here (markers evaluated, extras followed)."""
    visited: set[tuple[str, frozenset]] = set()
    todo = [(canonicalize_name(name), frozenset()) for name in names]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in visited:
            continue
        visited.add((name, extras))
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in ("", *extras)):
                todo.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return {name for name, _ in visited}


def pins(constraints: Path) -> dict[str, str]:
    """Canonical name -> `Name==version` line of constraints.txt."""
    found = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            found[canonicalize_name(Requirement(line).name)] = line
    return found


def requirements_txt(notebooks: list[Path], convlab: Path, constraints: Path) -> str:
    """The pinned requirements.txt of a chapter, from its released `notebooks`."""
    direct = distributions_of(chapter_modules(notebooks, convlab)) | set(STUDENT_TOOLS)
    needed = closure(direct)
    pinned = pins(constraints) | {name: name for name in INSTALLERS & needed}
    unpinned = sorted(needed - set(pinned))
    if unpinned:
        raise InstructorError(f"{constraints.name} has no version for {unpinned}: "
                              f"refresh it with `make lock`")
    lines = [f"# {notebooks[0].parent.name}: pip install -r requirements.txt (Python 3.11+).",
             "# Generated by `python -m autograder release` from the chapter's imports and",
             "# the project's constraints.txt (the versions its tests ran with); do not edit.",
             "# What the chapter imports and the tools to open and validate it:"]
    lines += sorted((pinned[name] for name in direct), key=str.lower)
    lines.append("# What those need:")
    lines += sorted((pinned[name] for name in needed - direct), key=str.lower)
    return "\n".join(lines) + "\n"
