"""Student submissions for the autograder tests, made from the fixture chapter.

Each submission starts from what students receive (the source with solutions stubbed
and hidden tests removed, via the grader's own reading of the source) and replaces
answer cells. ``EXPECTED`` is the exact score each must get (max 6: output_size 2,
layer_cost 3, effective_kernel_size 1).
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from autograder.course.source import parse_template

FIXTURE_CHAPTERS = Path(__file__).parent / "fixtures" / "chapters"
ASSIGNMENT = "00_fixture"
SOURCE = FIXTURE_CHAPTERS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

GOOD = {
    "output_size": "def output_size(n, k, s=1, p=0):\n    return (n + 2 * p - k) // s + 1",
    "layer_cost": "def layer_cost(c_in, c_out, k, h_out, w_out):\n"
                  "    params = c_out * c_in * k * k + c_out\n"
                  "    return params, c_out * c_in * k * k * h_out * w_out",
    "effective_kernel_size": "def effective_kernel_size(k, d):\n    return k + (k - 1) * (d - 1)",
}


def released() -> dict:
    """The notebook as a student receives it."""
    nb = json.loads(SOURCE.read_text())
    template = parse_template(SOURCE.read_text())
    for cell, t in zip(nb["cells"], template.cells):
        cell["source"] = t.given
    return nb


def notebook(answers: dict[str, str], drop=(), edit=None, metadata=None) -> dict:
    """The released notebook with answer cells replaced (by exercise name)."""
    nb = released()
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        name = grade_id.removesuffix("_solution")
        if grade_id.endswith("_solution") and name in answers:
            cell["source"] = answers[name]
        if edit and grade_id in edit:
            cell["source"] = edit[grade_id]
    nb["cells"] = [c for c in nb["cells"]
                   if c["metadata"].get("nbgrader", {}).get("grade_id") not in drop]
    nb["metadata"].update(metadata or {})
    return nb


def good(**changes) -> dict:
    return notebook({**GOOD, **changes})


LIAR = """import numpy as np

class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
    __hash__ = None

class LyingInt(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__

def output_size(n, k, s=1, p=0):
    return np.zeros(()).view(Liar)
"""

MONKEYPATCH = """import builtins, sys
import numpy as np

np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
class Never(Exception):
    pass
builtins.AssertionError = Never
sys.excepthook = lambda *a: None
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
ip._showtraceback = lambda *a, **k: None
sys.displayhook = lambda value: print("all tests passed")

def output_size(n, k, s=1, p=0):
    return 0
"""

SYMLINKED_OUTPUT = """import os
import numpy as np

_real_savez = np.savez

def _fake_savez(path, **arrays):  # sabotages the first recording only
    np.savez = _real_savez
    os.symlink("/etc/shadow", path)

np.savez = _fake_savez
""" + GOOD["output_size"]


# The recorder's np.savez made to create a FIFO: a grader that opened it blocking would hang.
FIFO_TRAP = """import os
import numpy as np

_real_savez = np.savez

def _fifo_savez(path, **arrays):  # sabotages the first recording only
    np.savez = _real_savez
    os.mkfifo(path)

np.savez = _fifo_savez
""" + GOOD["output_size"]

# FIFOs waiting under every name the recorder will write, in whichever out dir is reachable.
FIFO_EVERYWHERE = """import os

for _out in ("/grader/out", ".grader/out"):
    for _i in range(40):
        for _j in range(3):
            try:
                os.mkfifo(f"{_out}/{_i}_{_j}.npz")
            except OSError:
                pass
""" + GOOD["output_size"]

# The directories above the files the grader reads, swapped for links to elsewhere.
SWAPPED_DIRS = """import os

for _grader in ("/grader", ".grader"):
    for _old, _new in ((_grader + "/out", "/etc"), (_grader, "/")):
        try:
            os.rename(_old, _old + ".moved")
            os.symlink(_new, _old)
        except OSError:
            pass
for _socket in ("k-1", "k-2"):  # the kernel's own sockets, where the grader reconnects
    try:
        os.rename(_socket, _socket + ".moved")
        os.symlink("/run/convlab-autograder/slot0.lock", _socket)
    except OSError:
        pass
""" + GOOD["output_size"]

# One huge message with the kernel's output bound undone: ZeroMQ drops the connection.
HUGE_MESSAGE = """import sys

for _stream in (sys.stdout, sys.stderr):
    _stream.__dict__.pop("write", None)  # the grader's bounded write
print("x" * 20_000_000, flush=True)
print("still here")
""" + GOOD["effective_kernel_size"]

# Four processes of 1 GB each (written, so really resident): each within its own address-space
# limit, 4 GB together. With a memory cgroup per kernel the OOM killer stops some of them.
MEMORY_HOG = """import os
import time

for _ in range(4):
    if os.fork() == 0:
        try:
            _block = bytearray(b"x") * (1000 * 2**20)
            time.sleep(120)
        finally:
            os._exit(0)
""" + GOOD["layer_cost"]

SCIPY_ANSWER = """import numpy as np
from scipy.signal import correlate

def output_size(n, k, s=1, p=0):
    return correlate(np.ones(n + 2 * p), np.ones(k), mode="valid")[::s].size
"""

TORCH_ANSWER = """import torch

def output_size(n, k, s=1, p=0):
    x = torch.ones(1, 1, n + 2 * p)
    return torch.nn.functional.conv1d(x, torch.ones(1, 1, k), stride=s).shape[-1]
"""


def snoop(secrets: list[str], targets: list[str]) -> str:
    """An answer that is right only if the sandbox hides every secret and blocks every write."""
    return f"""import importlib.util, os

def _leaks():
    found = []
    for path in {secrets!r}:
        try:
            os.stat(path)
            found.append(path)
        except OSError:
            pass
    for name in ("solutions", "autograder" + ".checks", "autograder"):
        try:
            if importlib.util.find_spec(name) is not None:
                found.append(name)
        except Exception:
            pass
    for path in {targets!r}:
        try:
            with open(path, "a") as f:
                f.write("pwned")
            found.append("wrote " + path)
        except OSError:
            pass
    spec = importlib.util.find_spec("convlab")  # ships with the release: must be there
    if spec is None:
        found.append("convlab missing")
    return found

LEAKS = _leaks()
print("leaks:", LEAKS)

def output_size(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1 + len(LEAKS)
"""


KILL_SELF = "\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
LOOP = "def output_size(n, k, s=1, p=0):\n    while True:\n        pass"
IGNORE_SIGINT = ("\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                 "while True:\n    pass")
MEMORY_BOMB = "hoard = []\nwhile True:\n    hoard.append(bytearray(2**26))\n"
FORK_BOMB = ("import os\nwhile True:\n    try:\n        os.fork()\n"
             "    except OSError:\n        pass\n")
FLOOD = "for i in range(100000):\n    print('spam' * 50)\nprint('x' * 30_000_000)\n"
LYING_COST = LIAR.replace("def output_size(n, k, s=1, p=0):\n    return np.zeros(()).view(Liar)",
                          "def layer_cost(c_in, c_out, k, h_out, w_out):\n"
                          "    return LyingInt(0), LyingInt(0)")


def corpus(secrets: list[str], targets: list[str]) -> dict[str, tuple[bytes, str, float]]:
    """student_id -> (file bytes, file name, expected score)."""
    g = GOOD
    notebooks = {
        "good": (good(), 6),
        "blank": (released(), 0),
        "off_by_one": (good(output_size=g["output_size"].replace(" + 1", "")), 4),
        "loop_in_function": (good(output_size=LOOP), 4),
        "loop_ignoring_sigint": (good(output_size=g["output_size"] + IGNORE_SIGINT), 4),
        "memory_bomb": (good(output_size=MEMORY_BOMB + g["output_size"]), 4),
        "fork_bomb": (good(layer_cost=FORK_BOMB + g["layer_cost"]), 3),
        "output_flood": (good(effective_kernel_size=FLOOD + g["effective_kernel_size"]), 6),
        "os_exit": (good(output_size=g["output_size"] + "\nimport os\nos._exit(0)"), 4),
        "exit_call": (good(layer_cost=g["layer_cost"] + "\nexit()"), 3),
        "kill_self": (good(layer_cost=g["layer_cost"] + KILL_SELF), 3),
        "tampered_tests": (notebook(g, drop=("output_size_tests",),
                                    edit={"layer_cost_tests": "pass  # nothing to check"}), 6),
        "monkeypatch": (good(output_size=MONKEYPATCH), 4),
        "lying_subclass": (good(output_size=LIAR, layer_cost=LYING_COST), 1),
        "symlinked_output": (good(output_size=SYMLINKED_OUTPUT), 4),
        "kernelspec": (notebook(g, metadata={"kernelspec": {
            "name": "evil", "display_name": "Evil", "language": "bash"}}), 6),
        "renamed": (good(), 6),
        "snoop": (good(output_size=snoop(secrets, targets)), 6),
        "fifo_trap": (good(output_size=FIFO_TRAP), 4),
        "fifo_everywhere": (good(output_size=FIFO_EVERYWHERE), 6),
        "swapped_dirs": (good(output_size=SWAPPED_DIRS), 6),
        "huge_message": (good(effective_kernel_size=HUGE_MESSAGE), 6),
        "memory_hog": (good(layer_cost=MEMORY_HOG), 6),
        "scipy_answer": (good(output_size=SCIPY_ANSWER), 4),
        "torch_answer": (good(output_size=TORCH_ANSWER), 4),
        "off_by_one_twin": (good(output_size=g["output_size"].replace(" + 1", "")), 4),
    }
    name = f"{ASSIGNMENT}.ipynb"
    entries = {student: (json.dumps(nb).encode(), name, score)
               for student, (nb, score) in notebooks.items()}
    entries["renamed"] = (entries["renamed"][0], "my copy of the assignment.ipynb", 6)
    entries["invalid_json"] = (b'{"cells": [ this is not json', name, 0)
    entries["symlinked_notebook"] = (LINK_TO_SOURCE, name, 0)
    entries["symlinked_folder"] = (LINK_TO_GOOD_FOLDER, name, 0)
    return entries


# Submissions that are links: to the instructor's source notebook (which earns full marks),
# and a whole folder linked to another student's.
LINK_TO_SOURCE = b"symlink:source"
LINK_TO_GOOD_FOLDER = b"symlink:good"


def write(submissions: Path, entries: dict[str, tuple[bytes, str, float]]) -> None:
    for student, (data, filename, _) in entries.items():
        folder = submissions / student / ASSIGNMENT
        if data == LINK_TO_GOOD_FOLDER:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.symlink_to(submissions / "good" / ASSIGNMENT, target_is_directory=True)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if data == LINK_TO_SOURCE:
            (folder / filename).symlink_to(SOURCE)
        else:
            (folder / filename).write_bytes(data)


PROJECT = Path(__file__).resolve().parents[1]
# hidden test text, then the solution marker (which only an instructor's copy may carry)
HIDDEN_TEXT = ("check(", "autograder.checks", "HIDDEN TESTS", "BEGIN SOLUTION")


def file_hashes(root: Path) -> dict[Path, str]:
    """Every file below ``root`` -> its sha256, through links too: a test takes them before
    grading and after, and a changed target shows as a changed file."""
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
            if p.is_file()}


def run_cli(*args: str, timeout: float = 900, prefix: tuple[str, ...] = ()
            ) -> subprocess.CompletedProcess:
    """``python -m autograder ...`` as the instructor runs it (``prefix``: as another user,
    see ordinary_user.py)."""
    return subprocess.run([*prefix, sys.executable, "-m", "autograder", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=PROJECT)


def grade_args(submissions: Path, out: Path, *extra: str, timeout: float = 5,
               jobs: int = 2) -> list[str]:
    return ["grade", str(submissions), "--out", str(out), "--chapters", str(FIXTURE_CHAPTERS),
            "--timeout", str(timeout), "--jobs", str(jobs),
            "--secret", str(out.parent / "course-secret"), *extra]


def grades(out: Path) -> dict[str, dict[str, str]]:
    """grades.csv by student id (the fixture has one assignment); fails on doubled rows."""
    rows = list(csv.DictReader((out / "grades.csv").open()))
    students = [r["student_id"] for r in rows]
    assert len(students) == len(set(students)), f"doubled rows: {students}"
    return {r["student_id"]: r for r in rows}


def assert_no_grader_internals(out: Path) -> int:
    """No feedback page under ``out`` shows a path of this machine's project or interpreter,
    or a grader's traceback; returns how many pages were searched."""
    from autograder.outputs.feedback import host_paths
    pages = sorted((out / "feedback").rglob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        leaked = [path for path, _ in host_paths() if path in text]
        assert not leaked, (page, leaked)
        assert "internal grader error" not in text, page
    return len(pages)
