"""The recorder protocol: how a hidden check runs without trusting the student's kernel.

Trusted side: the check's argument tuples are written into the sandbox as JSON (structure)
plus ``.npz`` (arrays). In the kernel, the recorder (code injected in place of the hidden
region; it is never shown to the student) calls the student's function on them with the
same ``run_cases``/``to_plain`` as in-process grading and ``np.savez``-es the plain
results. Trusted side again: :func:`load_outputs` reads that file like any hostile input
(no symlinks, bounded size, ``allow_pickle=False``, numbers only) and ``judge`` compares it
with ``solutions`` in the grader's process. Whatever the kernel does, it can only hand
over numbers, and only numbers it computed.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from .checks import core

MAX_OUTPUT_BYTES = 64 * 2**20
MAX_ERROR_CHARS = 2000


def _kernel_source() -> str:
    """The recorder module as it runs in the kernel: core's own conversion code, verbatim."""
    scalars = sorted(np.dtype(t).name for t in core._NUMPY_SCALARS)
    parts = [
        "import json\n\nimport numpy as np\n",
        f"MAX_ERROR_CHARS = {MAX_ERROR_CHARS}\n",
        f"_NUMPY_SCALARS = {{np.dtype(n).type for n in {scalars!r}}}\n",
        *(inspect.getsource(obj) for obj in (core.NotPlain, core._type_name, core.to_plain,
                                             core.run_cases)),
        '''
def _decode(item, arrays):
    kind, value = item
    if kind == "a":
        return arrays[value]
    if kind in ("t", "l"):
        items = [_decode(i, arrays) for i in value]
        return tuple(items) if kind == "t" else items
    return value


def record(cases_path, out_path, get_function):
    with open(cases_path + ".json") as f:
        spec = json.load(f)
    with np.load(cases_path + ".npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    cases = [tuple(_decode(a, arrays) for a in case) for case in spec]
    saved = {}
    try:
        function = get_function()
    except Exception as error:
        saved["missing"] = np.array(f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS])
    else:
        try:
            outputs = run_cases(function, cases)
        except Exception as error:  # e.g. a ragged tuple that numpy cannot stack
            outputs = [f"returned a value that is not a number or array ({error})"] * len(cases)
        for i, out in enumerate(outputs):
            if isinstance(out, str):
                saved[f"e{i}"] = np.array(out[:MAX_ERROR_CHARS])
            else:
                saved[f"a{i}"] = out
    np.savez(out_path, **saved)
''',
    ]
    return "\n".join(parts)


KERNEL_SOURCE = _kernel_source()


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


def recorder_call(kernel_dir: str, name: str, expr: str) -> str:
    """The code run in the kernel for one hidden check (``expr`` is the instructor's)."""
    return (f"__import__('runpy').run_path({kernel_dir + '/recorder.py'!r})['record']("
            f"{kernel_dir + '/cases/' + name!r}, {kernel_dir + '/out/' + name + '.npz'!r}, "
            f"lambda: ({expr}))")


def load_outputs(path: str, count: int) -> list | str | None:
    """The recorded outputs (plain arrays or error texts), a reason string, or None if absent.

    A reason string means the function could not even be found (e.g. never defined).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as error:  # a symlink or other trick where a file should be
        return [f"the recorded output was unreadable ({error.strerror})"] * count
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_OUTPUT_BYTES:
            return [f"the recorded output is not a file under {MAX_OUTPUT_BYTES} bytes"] * count
        data = f.read(MAX_OUTPUT_BYTES + 1)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:  # refuse a decompression bomb up front
            if sum(i.file_size for i in z.infolist()) > MAX_OUTPUT_BYTES:
                raise ValueError("too large once unpacked")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            if "missing" in z.files:
                return _text(z["missing"])
            return [_one(z, i) for i in range(count)]
    except Exception as error:  # noqa: BLE001 - any malformed file is the student's loss
        return [f"the recorded output was malformed ({type(error).__name__})"] * count


def _one(z, i: int):
    if f"a{i}" in z.files:
        out = z[f"a{i}"]
        if type(out) is np.ndarray and out.dtype.kind in "biuf" and not out.dtype.fields:
            return out
        return f"returned an array of dtype {out.dtype}, expected numbers"
    if f"e{i}" in z.files:
        return _text(z[f"e{i}"])
    return "no output was recorded for this case"


def _text(a: np.ndarray) -> str:
    if a.dtype.kind != "U" or a.ndim != 0:
        return "the recorded error was malformed"
    return str(a)[:MAX_ERROR_CHARS]
