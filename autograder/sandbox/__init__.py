"""The jails: where a student's kernel runs, and everything that crosses its boundary.

Interface (what the rest of the grader uses, importable from here):

- :func:`named` (``"auto"``, ``"namespaces"``, ``"bubblewrap"``, ``"none"``) resolves the
  sandbox once per process into a :class:`Sandbox` object; :data:`JAILS` is what
  ``--jail`` accepts, :func:`sandbox_problem` says why a jail cannot run here.
- :class:`Kernel` (one kernel's start, interrupt and kill in its sandbox) and its
  :class:`Limits`.
- :func:`matplotlib_cache`, :func:`startup_file` (the output bound, run at the kernel's
  start) and :mod:`.hostile_fs` (reading files the student controls).

Inside, arrows go down: ``choice`` picks one of the jails (``namespaces``: our own,
``bubblewrap``, ``unsandboxed``); each jail builds on ``base`` (the Sandbox/Kernel
contract), ``world`` (what the kernel sees), ``machine`` (what this machine allows) and
``jail.py`` (the script that builds our namespaces, run by path in a fresh interpreter).
``memory_cap``, ``hostile_fs`` and ``bound_output`` depend on nothing of the grader.
"""

from .base import Kernel, Limits, Sandbox
from .bound_output import startup_file
from .choice import (
           JAILS,
           can_sandbox,
           choose,
           describe,
           named,
           sandbox_problem,
           unsandboxed_warning,
)
from .world import matplotlib_cache

__all__ = ["JAILS", "Kernel", "Limits", "Sandbox", "can_sandbox", "choose", "describe",
           "matplotlib_cache", "named", "sandbox_problem", "startup_file", "unsandboxed_warning"]
