"""No path of the grading machine in the kernel's world: a student cannot print where the
project, the venv, the interpreter, the grader's home or its scratch dirs are.

A kernel, staged as the grader stages one (convlab in its work dir, the recorder in the
grader dir), collects everything it can reach that names a path: its interpreter's
paths, every module's file, a traceback from inside convlab and numpy, the recorder's
file, every live frame of its own stack, the strings of every object the garbage
collector tracks, and for every process it can see the command line, environment,
links, maps and mounts. It then reports which of them hold one of the host's paths.
Run in each jail (warm and cold in ours), as root and, through this file run again as an
ordinary user, in user namespaces and an unprivileged bwrap.

The one exception is named, not hidden: in bubblewrap, mountinfo's fourth field, the path
*inside its filesystem* of a bind mount's source, is the interpreter's host path (a bind
cannot change it; our jail mounts the interpreter as overlays instead, jail.py's
mount_read_only), so there :data:`BIND_SOURCE` leaves that field out, and a test shows
it is the only one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import ordinary_user
import pytest

from autograder.kernel.execute import Runner
from autograder.kernel.recorder import KERNEL_FILE, KERNEL_NAME
from autograder.sandbox import Kernel, Limits, matplotlib_cache, named, sandbox_problem

PROJECT = Path(__file__).resolve().parents[1]
CASES = [pytest.param(jail, warm, id=f"{jail}-{'warm' if warm else 'cold'}",
                      marks=pytest.mark.skipif(bool(sandbox_problem(jail)),
                                               reason=f"{jail} cannot jail a kernel here"))
         for jail, warm in (("namespaces", True), ("namespaces", False), ("bubblewrap", False))]


def host_paths(tmp_path: Path) -> list[str]:
    """The paths no kernel may see: the project, the venv (and the project it sits in),
    the interpreter's install, the grader's home and its scratch dirs."""
    venv = os.path.realpath(sys.prefix)
    paths = {str(PROJECT), sys.prefix, venv, os.path.realpath(sys.base_prefix),
             str(Path.home()), str(tmp_path), str(tmp_path.resolve())}
    if (Path(venv).parent / "pyproject.toml").exists():
        paths.add(str(Path(venv).parent))
    return sorted(p for p in paths if p not in ("", "/"))


# mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": ROOT is left out in bubblewrap only
# (module docstring); the pattern that matches nothing leaves it in
BIND_SOURCE = {"bubblewrap": r"^(\d+ \d+ \d+:\d+) (\S+) "}
NOTHING = r"(?!)()"  # matches nothing; its group is for the replacement

PROBE = r'''
import gc, json, os, re, runpy, site, sys, traceback, types
import numpy, convlab
# hex, and skipped below: the probe's own copies of the paths are not leaks
FORBIDDEN = [bytes.fromhex(h).decode() for h in {forbidden!r}]
found, counts = [], {{}}
def look(where, value):
    text = value if isinstance(value, str) else repr(value)
    for path in FORBIDDEN:
        if path in text and len(found) < 50:
            i = text.index(path)
            found.append([where, path, text[max(0, i - 80):i + len(path) + 40]])
OURS = ("FORBIDDEN", "found", "look", "text", "path", "item", "items", "obj", "value", "kv")
def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as error:
        return type(error).__name__
look("sys", [sys.path, sys.executable, sys.prefix, sys.base_prefix, sys.exec_prefix,
             sys.base_exec_prefix, getattr(sys, "_base_executable", ""), sys.orig_argv,
             sys.argv, site.getsitepackages(), os.getcwd(), dict(os.environ),
             os.path.realpath("/proc/self/exe"), list(sys.path_importer_cache)])
for name, module in list(sys.modules.items()):
    look(f"module {{name}}", [getattr(module, "__file__", None), getattr(module, "__path__", None),
                              getattr(getattr(module, "__spec__", None), "origin", None)])
counts["modules"] = len(sys.modules)
for call in (lambda: convlab.named_kernel("no such kernel"),
             lambda: numpy.reshape(numpy.zeros(3), 5)):
    try:
        call()
    except Exception:
        text = traceback.format_exc()
        counts.setdefault("tracebacks", []).append(text.count("File "))
        look("traceback", text)
recorder = runpy.run_path({recorder!r})
look("recorder", [recorder.get("__file__"), recorder["record"].__code__.co_filename])
frame, depth = sys._getframe(), 0
while frame is not None:
    look(f"frame {{depth}}", [frame.f_code.co_filename, {{k: repr(v)[:2000] for k, v in
                                                        frame.f_locals.items() if k not in OURS}}])
    frame, depth = frame.f_back, depth + 1
counts["frames"] = depth
objects = 0
for obj in gc.get_objects():
    objects += 1
    if obj is FORBIDDEN or obj is found or any(obj is f for f in found):
        continue
    if isinstance(obj, dict) and ("FORBIDDEN" in obj or "found" in obj):
        obj = {{k: v for k, v in obj.items() if k not in OURS}}
    if isinstance(obj, dict):
        items = [x for kv in obj.items() for x in kv]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(obj)
    elif isinstance(obj, types.FunctionType):
        items = [obj.__code__.co_filename]
    else:
        continue
    for item in items:
        if isinstance(item, (str, bytes)) and len(item) < 100000:
            look("object", item if isinstance(item, str) else item.decode("latin-1"))
counts["objects"] = objects
pids = [p for p in os.listdir("/proc") if p.isdigit()]
counts["pids"] = len(pids)
for pid in [*pids, "self", "thread-self"]:
    for name in ("cmdline", "environ", "maps", "mounts", "mountstats", "status", "stat"):
        look(f"/proc/{{pid}}/{{name}}", read(f"/proc/{{pid}}/{{name}}"))
    mountinfo = read(f"/proc/{{pid}}/mountinfo")
    look(f"/proc/{{pid}}/mountinfo", re.sub({bind_source!r}, r"\1 ", mountinfo, flags=re.M))
    for link in ("cwd", "exe", "root"):
        try:
            look(f"/proc/{{pid}}/{{link}}", os.readlink(f"/proc/{{pid}}/{{link}}"))
        except OSError:
            pass
counts["mountinfo_lines"] = read("/proc/self/mountinfo").count("\n")
print(json.dumps({{"found": found[:20], "leaks": len(found), "counts": counts}}))
'''


def _probe(tmp_path: Path, jail: str, warm: bool, forbidden: list[str]) -> dict:
    scratch = tmp_path / "k"
    stage, grader = scratch / "stage", scratch / "grader"
    stage.mkdir(parents=True)
    grader.mkdir()
    # as grade._stage stages a kernel
    shutil.copytree(PROJECT / "convlab", stage / "convlab",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(matplotlib_cache(), stage / ".matplotlib",
                    ignore=shutil.ignore_patterns("*.lock"))
    shutil.copyfile(KERNEL_FILE, grader / KERNEL_NAME)
    sandbox = named(jail)
    runner = Runner(lambda: Kernel(stage, grader, Limits(), sandbox, scratch, warm=warm), 120)
    code = PROBE.format(forbidden=[p.encode().hex() for p in forbidden],
                        bind_source=BIND_SOURCE.get(jail, NOTHING),
                        recorder=f"{sandbox.grader_dir(scratch)}/{KERNEL_NAME}")
    try:
        step = runner.run(code)
        if warm and jail == "namespaces":
            assert runner.kernel.process.__class__.__name__ == "WarmProcess"
    finally:
        runner.shutdown()
    assert step.status == "ok", (step.reason, step.outputs)
    text = "".join(o.get("text", "") for o in step.outputs if o["output_type"] == "stream")
    return json.loads(text.strip().splitlines()[-1])


@pytest.mark.parametrize(("jail", "warm"), CASES)
def test_the_kernel_sees_no_host_path(tmp_path, jail, warm):
    seen = _probe(tmp_path, jail, warm, host_paths(tmp_path))
    assert seen["leaks"] == 0, seen["found"]
    counts = seen["counts"]  # it looked where it says it did
    assert counts["modules"] > 200 and counts["objects"] > 10000 and counts["pids"] >= 2
    assert counts["frames"] >= 2 and counts["mountinfo_lines"] > 5
    assert all(n >= 2 for n in counts["tracebacks"]) and len(counts["tracebacks"]) == 2


def test_the_probe_finds_host_paths_where_there_are_some(tmp_path):
    """Unsandboxed, the kernel runs from the host's interpreter: the probe must say so."""
    seen = _probe(tmp_path, "none", False, host_paths(tmp_path))
    assert seen["leaks"] > 0
    places = {where.split()[0] for where, _, _ in seen["found"]}
    assert {"sys"} <= places, places


@pytest.mark.skipif(bool(sandbox_problem("bubblewrap")), reason="no bubblewrap here")
def test_the_only_host_path_in_bubblewraps_mountinfo_is_a_bind_sources_root(tmp_path):
    """What BIND_SOURCE leaves out: the roots of the interpreter's binds, nothing else."""
    runner = Runner(lambda: Kernel(_empty(tmp_path, "stage"), _empty(tmp_path, "grader"),
                                   Limits(), named("bubblewrap"), tmp_path), 60)
    try:
        step = runner.run("print(open('/proc/self/mountinfo').read())")
    finally:
        runner.shutdown()
    lines = "".join(o.get("text", "") for o in step.outputs).splitlines()
    forbidden = host_paths(tmp_path)
    leaking = [line for line in lines if any(p in line for p in forbidden)]
    pattern = BIND_SOURCE["bubblewrap"]
    assert leaking  # what the exception is for
    assert not any(p in re.sub(pattern, r"\1 ", line) for line in leaking for p in forbidden)
    roots = {line.split()[3] for line in leaking}
    assert roots <= {os.path.realpath(sys.base_prefix), *[
        os.path.realpath(p) for p in __import__("site").getsitepackages()]}, roots


def _empty(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir(exist_ok=True)
    return tmp_path / name


@pytest.mark.skipif(os.geteuid() != 0, reason="run as root, this file runs itself again as an "
                                              "ordinary user; that user's own run is this one")
def test_no_host_path_for_an_ordinary_user_either():
    folder, prefix = ordinary_user.workspace()
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider",
             "-q", "-rs", f"--basetemp={folder / 'tmp'}", __file__],
            capture_output=True, text=True, timeout=1200, cwd=PROJECT)
    finally:
        ordinary_user.remove(folder)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"^5 passed, 1 skipped", done.stdout, re.M), done.stdout[-2000:]
