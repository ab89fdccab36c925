"""Which sandbox grades here: resolved once per process, by name or by what this machine allows.

:func:`choose` picks the first jail that works here; :func:`named` resolves a name given
on the command line (``--jail``, ``--no-sandbox``) into the :class:`~.base.Sandbox` object
that the grader passes on.
"""

from __future__ import annotations

import sys
import warnings
from functools import cache

from .base import Sandbox
from .bubblewrap import BubblewrapJail
from .machine import jail_mode
from .namespaces import NamespaceJail
from .unsandboxed import Unsandboxed

UNSANDBOXED_WARNING = (
    "WARNING: NOT SANDBOXED. Student code runs with YOUR rights and can read and change your "
    "files (including solutions/ and the gradebook). The sandbox needs Linux namespaces: "
    "as root, or as an ordinary user where unprivileged user namespaces are allowed.")


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


def unsandboxed_warning() -> None:
    warnings.warn(UNSANDBOXED_WARNING, RuntimeWarning, stacklevel=2)
    print(UNSANDBOXED_WARNING, file=sys.stderr, flush=True)
