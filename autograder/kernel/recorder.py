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
import zipfile
from pathlib import Path

import numpy as np

from ..checks import core
from ..sandbox.hostile_fs import UnsafeFile, read_regular

MAX_OUTPUT_BYTES = 64 * 2**20
MAX_ERROR_CHARS = 2000


def _kernel_source() -> str:
    """The recorder module as it runs in the kernel: core's own conversion code, verbatim."""
    scalars = sorted(np.dtype(t).name for t in core._NUMPY_SCALARS)
    parts = [
        "import json\nimport os\n\nimport numpy as np\n",
        f"MAX_ERROR_CHARS = {MAX_ERROR_CHARS}\n",
        f"_NUMPY_SCALARS = {{np.dtype(n).type for n in {scalars!r}}}\n",
        *(inspect.getsource(obj) for obj in (core.NotPlain, core._type_name, core.to_plain,
                                             core.run_cases, core.call_numpy_only)),
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
    # Whatever the student left under this name (a FIFO, a link) goes; O_EXCL makes a new file.
    if os.path.lexists(out_path):
        os.unlink(out_path)
    with os.fdopen(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                           0o600), "wb") as f:
        np.savez(f, **saved)
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


def recorder_call(grader_dir: str, name: str, expr: str) -> str:
    """The code run in the kernel for one hidden check (``expr`` is the instructor's)."""
    return (f"__import__('runpy').run_path({grader_dir + '/recorder.py'!r})['record']("
            f"{grader_dir + '/cases/' + name!r}, {grader_dir + '/out/' + output_name(name)!r}, "
            f"lambda: ({expr}))")


def output_name(name: str) -> str:
    """The file (in the grader dir's ``out``) where the recorder saves check ``name``."""
    return f"{name}.npz"


def load_outputs(directory: int, name: str, count: int) -> list | str | None:
    """The recorded outputs (plain arrays or error texts), a reason string, or None if absent.

    ``directory`` is the kernel's output dir, opened before any student code ran (see
    hostile_fs). A reason string means the function could not even be found (e.g. never
    defined).
    """
    try:
        data = read_regular(directory, name, MAX_OUTPUT_BYTES)
    except FileNotFoundError:
        return None
    except UnsafeFile as error:  # a symlink, a FIFO, a huge file: the student's loss
        return [f"the recorded output {error}"] * count
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
