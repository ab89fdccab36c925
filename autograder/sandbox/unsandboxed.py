"""``--no-sandbox``: no jail at all, for debugging on one's own machine."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from .base import Kernel, Limits, Sandbox
from .jail import die_with_parent
from .world import kernel_env


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

    def python(self) -> str:
        return sys.executable

    def start(self, kernel: Kernel, argv: list[str], log) -> None:
        work = Path(kernel.work)
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(kernel.stage, work)
        shutil.copytree(kernel.grader_stage, kernel.grader_dir)
        Path(kernel.grader_dir, "out").mkdir()
        env = dict(kernel_env(str(work), jailed=False), PYTHONPATH="")
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
