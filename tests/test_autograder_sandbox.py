"""Warm kernels (forked by the launcher) must be indistinguishable from cold ones, and
kernels in bubblewrap from kernels in our own namespace jail.

A student's code sees the same files, paths, user, limits, environment and display
behaviour either way; only the start-up time differs. Then the limits a Runner enforces
on a real kernel, in each jail: interrupts, the submission's wall clock, output floods.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

import ordinary_user
import pytest

from autograder import sandbox
from autograder.kernel.execute import KERNEL_OUTPUT_CHARS, Runner
from autograder.sandbox import Kernel, Limits, machine, named, namespaces
from autograder.sandbox.bound_output import startup_file

needs_namespaces = pytest.mark.skipif(bool(sandbox.sandbox_problem("namespaces")),
                                      reason="this machine cannot create the jail's namespaces")
needs_bubblewrap = pytest.mark.skipif(bool(sandbox.sandbox_problem("bubblewrap")),
                                      reason="bubblewrap cannot jail a kernel here")
JAILS = [pytest.param("namespaces", marks=needs_namespaces),
         pytest.param("bubblewrap", marks=needs_bubblewrap)]

# What a kernel can observe of its world, as one JSON line.
PROBE = """
import json, os, resource, signal, sys, importlib.util
import matplotlib, matplotlib.pyplot as plt
print(json.dumps({
    "path": sys.path, "cwd": os.getcwd(), "ids": [os.getuid(), os.getgid(), os.getgroups()],
    "env": dict(os.environ), "root": sorted(os.listdir("/")), "work": sorted(os.listdir(".")),
    "helper": importlib.util.find_spec("helper") is not None,
    "limits": {n: resource.getrlimit(getattr(resource, n)) for n in dir(resource)
               if n.startswith("RLIMIT_")},
    "sigint": str(signal.getsignal(signal.SIGINT)), "backend": matplotlib.get_backend(),
    "grader": sorted(m for m in sys.modules if m.split(".")[0] in
                     ("autograder", "solutions", "jail", "grading_corpus")),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
}))
"""
FIGURE = "plt.plot([1, 2, 3])"
RANDOM = "import numpy as np; print(np.random.randint(2**62))"


def _runner(tmp_path, name: str, warm: bool, jail: str = "namespaces") -> Runner:
    scratch = tmp_path / name
    (scratch / "stage").mkdir(parents=True)
    (scratch / "stage" / "helper.py").write_text("X = 1\n")  # like convlab next to the notebook
    shutil.copytree(sandbox.matplotlib_cache(), scratch / "stage" / ".matplotlib")  # as graded
    (scratch / "grader").mkdir()
    return Runner(lambda: Kernel(scratch / "stage", scratch / "grader", Limits(), named(jail),
                                 scratch, warm=warm), 60)


def _text(step) -> str:
    return "".join(o.get("text", "") for o in step.outputs if o["output_type"] == "stream")


def _world(tmp_path, name: str, warm: bool, jail: str = "namespaces") -> dict:
    runner = _runner(tmp_path, name, warm, jail)
    try:
        probe = runner.run(PROBE)
        figure = runner.run(FIGURE)
    finally:
        runner.shutdown()
    assert probe.status == "ok", probe.reason
    seen = json.loads(_text(probe))
    seen["figure"] = sorted(k for o in figure.outputs for k in o.get("data", {}))
    return seen


@needs_namespaces
def test_warm_and_cold_kernels_see_the_same_world(tmp_path):
    seen = {warm: _world(tmp_path, f"warm{warm}", warm) for warm in (False, True)}
    assert seen[True] == seen[False]
    assert seen[True]["helper"] and seen[True]["grader"] == []
    assert seen[True]["figure"] == ["image/png", "text/plain"]
    assert seen[True]["ids"][0] != 0 and seen[True]["pids"] == [1, 2]


@needs_namespaces
@needs_bubblewrap
def test_kernels_in_bubblewrap_see_the_namespace_jails_world(tmp_path):
    """Same files, paths, limits, environment, pids; uid and gid 1000 in bwrap's own user
    namespace (the namespace jail's userns mode has the same, root mode a slot's user)."""
    ours = _world(tmp_path, "ours", False)
    theirs = _world(tmp_path, "bwrap", False, "bubblewrap")
    ids = theirs.pop("ids")
    assert ids[:2] == [1000, 1000] and set(ids[2]) <= {1000, 65534}  # 65534: unmapped
    if machine.jail_mode() == "userns":
        assert ours["ids"] == ids
    ours.pop("ids")
    assert theirs == ours
    assert theirs["pids"] == [1, 2] and theirs["grader"] == [] and theirs["helper"]


@pytest.mark.parametrize("jail", JAILS)
def test_kernels_are_interruptible_and_draw_fresh_random_numbers(tmp_path, jail):
    numbers = []
    for k in range(2):
        runner = _runner(tmp_path, f"k{k}", warm=True, jail=jail)
        runner.timeout = 3
        try:
            assert runner.run("while True: pass").status == "timeout"
            step = runner.run(RANDOM)  # the interrupted kernel lives on
            assert step.status == "ok" and runner.restarts == 0
            numbers.append(_text(step))
        finally:
            runner.shutdown()
    assert numbers[0] != numbers[1]  # a fork must not hand every student the same seed


@needs_namespaces
def test_a_dead_launcher_is_replaced_and_its_kernels_reported_dead(tmp_path):
    first = _runner(tmp_path, "first", warm=True)
    try:
        assert first.run("x = 1").status == "ok"
        old = namespaces.launcher()
        os.killpg(old.process.pid, signal.SIGKILL)
        old.process.wait()
        deadline = time.monotonic() + 30  # parent-death signals travel down A, B, C
        while first.kernel.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.run("x").status == "died"
        step = first.run("x")  # restarted by a new launcher, `x = 1` replayed
        assert step.status == "ok" and first.restarts == 1
        assert namespaces.launcher() is not old
    finally:
        first.shutdown()


@pytest.mark.parametrize("jail", JAILS)
def test_the_submission_wall_clock_stops_everything_after_it(tmp_path, jail):
    runner = _runner(tmp_path, "clock", warm=True, jail=jail)
    runner.timeout = 60
    try:
        assert runner.run("import time").status == "ok"  # starts the clock's kernel
        runner.deadline = time.monotonic() + 3  # as if the submission had 3 s left
        runner.wall_clock = 3
        step = runner.run("time.sleep(30)")  # within the cell's 60 s, beyond the 3 s left
        assert step.status == "timeout"
        assert "ran out of the submission's time limit (3 s)" in step.reason
        after = runner.run("print('never')")
        assert after.status == "skipped" and "time limit (3 s) ran out" in after.reason
    finally:
        runner.shutdown()


@needs_namespaces
def test_a_flood_faster_than_ipykernel_flushes_keeps_its_start_and_says_where_it_stopped(
        tmp_path):
    """The 2-core flood bug: ipykernel sends what was printed in 0.2 s as one message; 50 MB
    in one message was refused by ZeroMQ and the whole output silently lost."""
    runner = _runner(tmp_path, "flood", warm=True)
    bound = tmp_path / "flood" / "stage" / ".ipython" / "profile_default" / "startup"
    bound.mkdir(parents=True)
    (bound / "00-bound-output.py").write_text(startup_file(KERNEL_OUTPUT_CHARS))
    try:
        # one write, 50 MB: no flush interval can split it
        step = runner.run("import sys\nsys.stdout.write('spam' * 12_500_000)\nprint('end')")
        text = _text(step)
        assert step.status == "ok" and text.startswith("spamspam")
        assert "[output truncated by the grader]" in text and "end" not in text
        # the bound is per cell: every later cell prints again, however much came before
        for cell in range(3):
            step = runner.run(f"print('{cell}' * 60_000)\nprint('done {cell}')")
            assert _text(step).startswith(str(cell) * 100), cell
        assert "done 2" in _text(runner.run("print('done 2')"))
        # With the bound undone, the refused message is reported, the kernel lives on, and
        # the next cells' output arrives on the reconnected channel.
        undone = runner.run("sys.stdout.__dict__.pop('write')\nprint('x' * 20_000_000)\n"
                            "y = 42")
        assert "[output lost: the kernel sent a message over" in _text(undone)
        after = runner.run("assert y == 42\nprint('after')")
        assert after.status == "ok" and _text(after) == "after\n" and runner.restarts == 0
    finally:
        runner.shutdown()


@ordinary_user.rerun_by_root
def test_every_jail_holds_these_properties_for_an_ordinary_user_too():
    """The tests above, as an instructor without root runs them: user-namespace mode of our
    jail and an unprivileged bwrap. None may be skipped: each jail must work there."""
    ordinary_user.rerun(__file__, "8 passed, 1 skipped", timeout=1200)
