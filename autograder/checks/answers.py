"""Calling a student's function on a check's cases: plain numbers back, or a typed
:class:`Failure` per case. The one file of the grader that also runs in the student's
kernel, as its recorder.

This file is copied, as it is, into the grader dir of every jail (read-only to the
kernel), and the kernel loads it from there with ``runpy.run_path`` (see
``autograder.kernel.recorder.recorder_call``): the autograder package itself is hidden in the jail.
So it imports numpy and the standard library only, and nothing of the grader, and
defines no dataclass (``run_path`` gives it no module of its own). In-process grading
(``autograder.checks.check``) uses the same functions, so a sandboxed verdict and an
in-process one are computed by the same code.

Nothing here is trusted by the grader: what :func:`record` writes is read like any
hostile file (``autograder.kernel.recorder.load_outputs``), numbers only, and the failure kinds
are bounded strings that only ever reach a report as text.
"""

import json
import os
import sys
import threading
from typing import NamedTuple

import numpy as np

MAX_ERROR_CHARS = 2000
MAX_KIND_CHARS = 100
# What run_cases calls an answer that is the notebook's stub, untouched.
NOT_ANSWERED = "not answered"


class Failure(NamedTuple):
    """A case for which the student's function gave no usable array.

    ``kind`` is what the class report counts ("raises IndexError", "uses scipy", "not
    answered"); ``detail`` is what the student reads ("raised IndexError: index 5 ...").
    """

    kind: str
    detail: str


class NotPlain(TypeError):
    """A student output that is not a plain number, tuple or ``numpy.ndarray``."""

    def __init__(self, returned: str, expected: str):
        super().__init__(f"returned {returned}, expected {expected}")
        self.kind = f"returns {returned}"


_NUMPY_SCALARS = {np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
                  np.uint8, np.uint16, np.uint32, np.uint64, np.bool_}


def to_plain(value) -> np.ndarray:
    """Convert a student's return value to a plain float/int ``ndarray``, refusing anything else.

    Exact type checks (``type(x) is ...``), not ``isinstance``: an ndarray subclass or
    an int subclass can override comparison and equality, so it is rejected.
    """
    if type(value) is np.ndarray:
        if value.dtype.kind not in "biuf":
            raise NotPlain(f"an array of dtype {value.dtype}", "numbers")
        return np.array(value, copy=True)
    if type(value) in (int, float, bool) or type(value) in _NUMPY_SCALARS:
        return np.array(value)
    if type(value) in (tuple, list):
        return np.array([to_plain(v) for v in value]) if value else np.array([])
    raise NotPlain(_type_name(value), "a numpy array or a number")


def _type_name(value) -> str:
    kind = type(value)
    if value is None:
        return "None"
    return f"a {kind.__qualname__}" if kind.__module__ == "builtins" else \
        f"a {kind.__module__}.{kind.__qualname__}"


def raised(error: BaseException) -> Failure:
    """The failure of a call that raised ``error``; the notebook's stub is "not answered"."""
    name = type(error).__name__
    kind = NOT_ANSWERED if isinstance(error, NotImplementedError) else f"raises {name}"
    return Failure(kind, f"raised {name}: {error}")


def run_cases(fn, cases: list[tuple]) -> list:
    """Call the student's function on each case: a plain array, or a :class:`Failure`."""
    outputs = []
    for args in cases:
        copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        try:
            result, misuse = call_numpy_only(fn, copies)
        except Exception as error:  # noqa: BLE001 - any error is the student's answer
            outputs.append(raised(error))
            continue
        if misuse:
            outputs.append(misuse)
            continue
        try:
            outputs.append(to_plain(result))
        except NotPlain as error:
            outputs.append(Failure(error.kind, str(error)))
    return outputs


def call_numpy_only(fn, args: tuple):
    """``fn(*args)`` and what it did that a numpy-only answer may not do (a
    :class:`Failure`, or None).

    Graded functions are numpy only: the chapters teach how a convolution is computed, and
    ``scipy.signal.correlate2d`` or ``torch.nn.functional.conv2d`` would skip exactly that.
    The grader's kernel has no torch or other numerical library installed; scipy is
    there (the chapters' narrative uses it), so every call the function makes is watched
    (``sys.setprofile``): a Python frame or builtin of a library below, a new thread or
    process (which the watch would not follow), or switching the watch off, is reported.
    """
    # sympy and mpmath too (torch's dependencies, so in a dev venv): the jails hide them
    # from the kernel, an unsandboxed grade (--jail none) does not
    libraries = {"scipy", "torch", "tensorflow", "jax", "jaxlib", "keras", "cupy", "numba",
                 "sklearn", "skimage", "cv2", "numexpr", "mxnet", "paddle", "tinygrad",
                 "sympy", "mpmath"}
    escapes = {("sys", "setprofile"), ("sys", "settrace"), ("threading", "setprofile"),
               ("threading", "settrace"), ("_thread", "start_new_thread"),
               ("_thread", "start_joinable_thread"), ("posix", "fork"), ("posix", "system"),
               ("posix", "posix_spawn"), ("posix", "execv"), ("posix", "execve"),
               ("_posixsubprocess", "fork_exec"), ("_ctypes", "call_function")}
    seen = []

    def watch(frame, event, arg):
        if seen or event not in ("call", "c_call"):
            return
        if event == "call":
            module, name = frame.f_globals.get("__name__") or "", frame.f_code.co_name
        else:
            module = getattr(arg, "__module__", None) or ""
            name = getattr(arg, "__name__", "")
        top = module.partition(".")[0]
        if top in libraries:
            what = f"import of {module}" if name == "<module>" else f"{module}.{name}"
            seen.append(Failure(f"uses {top}", f"used {top} ({what}): graded functions must "
                                               "use numpy only"))
        elif (module, name) in escapes:
            seen.append(Failure(f"calls {module}.{name}", f"called {module}.{name}, which a "
                                                          "graded function may not do"))

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    threading.setprofile(watch)
    sys.setprofile(watch)
    try:
        result = fn(*args)
    finally:
        # read before the calls below, which the watch still sees
        found = seen[:1] or ([Failure("no usable output", "switched off the grader's watch "
                                                          "(sys.setprofile)")]
                             if sys.getprofile() is not watch else [])
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
    return result, (found[0] if found else None)


def _decode(item, arrays):
    kind, value = item
    if kind == "a":
        return arrays[value]
    if kind in ("t", "l"):
        items = [_decode(i, arrays) for i in value]
        return tuple(items) if kind == "t" else items
    return value


def record(cases_path: str, out_path: str, get_function) -> None:
    """Run one hidden check in the kernel: ``out_path`` gets ``a<i>`` (an array) or ``k<i>``
    and ``e<i>`` (a failure's kind and detail) per case, or ``missing`` (why the function
    could not even be found)."""
    with open(cases_path + ".json") as f:
        spec = json.load(f)
    with np.load(cases_path + ".npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    cases = [tuple(_decode(a, arrays) for a in case) for case in spec]
    saved = {}
    try:
        function = get_function()
    except Exception as error:  # noqa: BLE001 - e.g. a NameError: never defined
        saved["missing"] = np.array(f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS])
    else:
        try:
            outputs = run_cases(function, cases)
        except Exception as error:  # noqa: BLE001 - e.g. a ragged tuple numpy cannot stack
            outputs = [Failure("returns a value that is not a number or array",
                               f"returned a value that is not a number or array ({error})")
                       ] * len(cases)
        for i, out in enumerate(outputs):
            if isinstance(out, Failure):
                saved[f"k{i}"] = np.array(out.kind[:MAX_KIND_CHARS])
                saved[f"e{i}"] = np.array(out.detail[:MAX_ERROR_CHARS])
            else:
                saved[f"a{i}"] = out
    # Whatever the student left under this name (a FIFO, a link) goes; O_EXCL makes a new file.
    if os.path.lexists(out_path):
        os.unlink(out_path)
    with os.fdopen(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                           0o600), "wb") as f:
        np.savez(f, **saved)
