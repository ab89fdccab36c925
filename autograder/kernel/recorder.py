"""The recorder protocol: how a hidden check runs without trusting the student's kernel.

Trusted side: the check's argument tuples are written into the sandbox as JSON (structure)
plus ``.npz`` (arrays). In the kernel, the recorder (``checks/answers.py``, copied into the
read-only grader dir and run in place of the hidden region; it is never shown to the
student) calls the student's function on them with the same ``run_cases``/``to_plain`` as
in-process grading and ``np.savez``-es the plain results, or each failure's kind and
detail. Trusted side again: :func:`load_outputs` reads that file like any hostile input
(no symlinks, bounded size, ``allow_pickle=False``, numbers only) and ``judge`` compares it
with ``solutions`` in the grader's process. Whatever the kernel does, it can only hand
over numbers, and only numbers it computed.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ..checks import answers
from ..checks.answers import Failure
from ..sandbox.hostile_fs import UnsafeFile, read_regular

MAX_OUTPUT_BYTES = 64 * 2**20


# The recorder the kernel runs: checks/answers.py, copied as it is into the grader dir.
KERNEL_FILE = Path(answers.__file__)
KERNEL_NAME = "recorder.py"  # its name in the grader dir


def _encode(value, arrays: dict) -> list:
    if isinstance(value, np.ndarray):
        key = f"x{len(arrays)}"
        arrays[key] = value
        return ["a", key]
    if isinstance(value, (tuple, list)):
        return ["t" if isinstance(value, tuple) else "l", [_encode(v, arrays) for v in value]]
    if isinstance(value, np.generic):
        return _encode(np.asarray(value), arrays)
    if value is None or type(value) in (bool, int, float, str):
        return ["v", value]
    raise TypeError(f"cannot send a {type(value).__name__} to the recorder")


def write_cases(cases: list[tuple], path: Path) -> None:
    """``path.json`` + ``path.npz``: the argument tuples, without pickle."""
    arrays: dict[str, np.ndarray] = {}
    spec = [[_encode(a, arrays) for a in case] for case in cases]
    Path(f"{path}.json").write_text(json.dumps(spec))
    np.savez(f"{path}.npz", **arrays)


def recorder_call(grader_dir: str, name: str, expr: str) -> str:
    """The code run in the kernel for one hidden check (``expr`` is the instructor's)."""
    return (f"__import__('runpy').run_path({grader_dir + '/' + KERNEL_NAME!r})['record']("
            f"{grader_dir + '/cases/' + name!r}, {grader_dir + '/out/' + output_name(name)!r}, "
            f"lambda: ({expr}))")


def output_name(name: str) -> str:
    """The file (in the grader dir's ``out``) where the recorder saves check ``name``."""
    return f"{name}.npz"


def load_outputs(directory: int, name: str, count: int) -> list | str | None:
    """The recorded outputs (plain arrays or :class:`Failure` s), a reason string, or None
    if absent.

    ``directory`` is the kernel's output dir, opened before any student code ran (see
    hostile_fs). A reason string means the function could not even be found (e.g. never
    defined).
    """
    try:
        data = read_regular(directory, name, MAX_OUTPUT_BYTES)
    except FileNotFoundError:
        return None
    except UnsafeFile as error:  # a symlink, a FIFO, a huge file: the student's loss
        return [Failure(UNUSABLE, f"the recorded output {error}")] * count
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:  # refuse a decompression bomb up front
            if sum(i.file_size for i in z.infolist()) > MAX_OUTPUT_BYTES:
                raise ValueError("too large once unpacked")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            if "missing" in z.files:
                return (_text(z["missing"], answers.MAX_ERROR_CHARS)
                        or "the recorded reason was malformed")
            return [_one(z, i) for i in range(count)]
    except Exception as error:  # noqa: BLE001 - any malformed file is the student's loss
        return [Failure(UNUSABLE, f"the recorded output was malformed ({type(error).__name__})")
                ] * count


UNUSABLE = "no usable output"


def _one(z, i: int):
    if f"a{i}" in z.files:
        out = z[f"a{i}"]
        if type(out) is np.ndarray and out.dtype.kind in "biuf" and not out.dtype.fields:
            return out
        return Failure(f"returns an array of dtype {out.dtype}",
                       f"returned an array of dtype {out.dtype}, expected numbers")
    if f"e{i}" in z.files:
        kind = _text(z[f"k{i}"], answers.MAX_KIND_CHARS) if f"k{i}" in z.files else None
        detail = _text(z[f"e{i}"], answers.MAX_ERROR_CHARS)
        if kind is None or detail is None or not kind.isprintable():
            return Failure(UNUSABLE, "the recorded error was malformed")
        return Failure(kind, detail)
    return Failure(UNUSABLE, "no output was recorded for this case")


def _text(a: np.ndarray, limit: int) -> str | None:
    """A 0-d string array's text, cut to ``limit``; None if ``a`` is anything else."""
    if a.dtype.kind != "U" or a.ndim != 0:
        return None
    return str(a)[:limit]
