"""The hidden check of an exercise: random cases, the trusted answer, and named mistakes.

A :class:`Check` knows how to draw argument tuples, what the right answer is
(from ``solutions``), and which wrong answers students commonly give, each
as a function with a name and an explanation. :func:`judge` compares plain
arrays only, so the verdict never depends on objects the student's code built:
student outputs go through :func:`to_plain` (or arrive already plain from a
sandboxed kernel through ``np.load(..., allow_pickle=False)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

# Outputs are compared with this tolerance: students may sum in any order.
RTOL, ATOL = 1e-6, 1e-8


class NotPlain(TypeError):
    """A student output that is not a plain number, tuple or ``numpy.ndarray``."""


def to_plain(value) -> np.ndarray:
    """Convert a student's return value to a plain float/int ``ndarray``, refusing anything else.

    Exact type checks (``type(x) is ...``), not ``isinstance``: an ndarray subclass or
    an int subclass can override comparison and equality, so it is rejected.
    """
    if type(value) is np.ndarray:
        if value.dtype.kind not in "biuf":
            raise NotPlain(f"returned an array of dtype {value.dtype}, expected numbers")
        return np.array(value, copy=True)
    if type(value) in (int, float, bool) or type(value) in _NUMPY_SCALARS:
        return np.array(value)
    if type(value) in (tuple, list):
        return np.array([to_plain(v) for v in value]) if value else np.array([])
    raise NotPlain(f"returned {_type_name(value)}, expected a numpy array or a number")


def _type_name(value) -> str:
    kind = type(value)
    if value is None:
        return "None"
    return f"a {kind.__qualname__}" if kind.__module__ == "builtins" else \
        f"a {kind.__module__}.{kind.__qualname__}"


_NUMPY_SCALARS = {np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
                  np.uint8, np.uint16, np.uint32, np.uint64, np.bool_}


@dataclass(frozen=True)
class Mistake:
    """A wrong answer worth naming: how it is computed and what to tell the student."""

    name: str
    answer: Callable[..., object]
    advice: str


@dataclass(frozen=True)
class Check:
    """The hidden, randomized check of one exercise."""

    id: str
    function: str  # the name the student's function has in the notebook
    cases: Callable[[np.random.Generator], list[tuple]]
    reference: Callable[..., object]
    mistakes: Sequence[Mistake] = field(default_factory=tuple)

    def expected(self, args: tuple) -> np.ndarray:
        return to_plain(self.reference(*args))


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    # the name of the Mistake that explains every wrong answer, when one does; otherwise
    # the kind of failure ("raises IndexError", "wrong shape"). The class report counts
    # these, so it never has to parse the message, which is written for the student.
    mistake: str | None = None
    failure: str = ""


def same(got: np.ndarray, expected: np.ndarray) -> bool:
    """Equal shapes and values within tolerance (integers must match exactly)."""
    if got.shape != expected.shape:
        return False
    if expected.dtype.kind in "biu":
        return bool(np.array_equal(got, expected))
    return bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


def describe(args: tuple) -> str:
    """Arguments as a student can read them: arrays by shape, small values in full."""
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(f"<array of shape {a.shape}>" if a.size > 9 else np.array2string(
                a, separator=", ").replace("\n", ""))
        else:
            parts.append(repr(a))
    return ", ".join(parts)


def judge(check: Check, cases: list[tuple], outputs: list) -> Verdict:
    """Compare outputs (plain arrays, or text saying what went wrong) with the reference."""
    wrong = []
    for args, got in zip(cases, outputs):
        if isinstance(got, str):  # the student's function raised: got is the error text
            wrong.append((args, got))
        elif not same(got, check.expected(args)):
            wrong.append((args, got))
    if not wrong:
        return Verdict(True, f"{check.function}: correct on all {len(cases)} random cases")
    return _explain(check, cases, outputs, wrong)


def _explain(check: Check, cases, outputs, wrong) -> Verdict:
    args, got = wrong[0]
    head = f"{check.function}: wrong on {len(wrong)} of {len(cases)} random cases."
    call = f"{check.function}({describe(args)})"
    if isinstance(got, str):
        kind = failure_kind(got)
        if kind.startswith(("uses ", "calls ")):  # its values may be right: the means are not
            head = f"{check.function}: not accepted on {len(wrong)} of {len(cases)} random cases."
        return Verdict(False, f"{head} For example {call} {got}", failure=kind)
    expected = check.expected(args)
    shape = got.shape != expected.shape
    detail = (f"expected shape {expected.shape}, got shape {got.shape}" if shape else
              f"expected {_short(expected)}, got {_short(got)}")
    for mistake in check.mistakes:
        if _explains(mistake, [(a, o) for a, o in zip(cases, outputs) if not isinstance(o, str)],
                     wrong):
            return Verdict(False, f"{head} For example {call}: {detail}. Likely mistake: "
                                  f"{mistake.name} — {mistake.advice}", mistake.name)
    return Verdict(False, f"{head} For example {call}: {detail}.",
                   failure="wrong shape" if shape else "wrong values")


def failure_kind(error: str) -> str:
    """The kind of an answer that is not an array, from the text the recorder (or
    :func:`run_cases`) wrote for it: "raised IndexError: ..." is "raises IndexError"."""
    verb, _, rest = error.partition(" ")
    name = rest.split(":", 1)[0].split(" (", 1)[0].split(",", 1)[0]
    if verb == "raised":
        return f"raises {name}"
    if verb == "used":
        return f"uses {name}"  # a library other than numpy
    if verb == "called":
        return f"calls {name}"  # a thread, a process, the profiler: see call_numpy_only
    if verb == "returned":
        return f"returns {name}"
    return "no usable output"


def _explains(mistake: Mistake, answered, wrong) -> bool:
    """A mistake explains the result when it reproduces every wrong answer given."""
    for args, got in answered:
        if not any(args is w for w, _ in wrong):
            continue
        try:
            predicted = to_plain(mistake.answer(*args))
        except Exception:  # the mistaken formula may not apply to this case
            return False
        if not same(got, predicted):
            return False
    return True


def _short(a: np.ndarray) -> str:
    if a.size <= 6:
        return np.array2string(a, precision=4, separator=", ").replace("\n", "")
    return f"array{a.shape} starting {np.array2string(a.ravel()[:3], precision=4)}"


def run_cases(fn, cases: list[tuple]) -> list:
    """Call the student's function on each case: a plain array, or the error as text."""
    outputs = []
    for args in cases:
        copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        try:
            result, misuse = call_numpy_only(fn, copies)
        except Exception as error:  # noqa: BLE001 - any error is the student's answer
            outputs.append(f"raised {type(error).__name__}: {error}")
            continue
        if misuse:
            outputs.append(misuse)
            continue
        try:
            outputs.append(to_plain(result))
        except NotPlain as error:
            outputs.append(str(error))
    return outputs


def call_numpy_only(fn, args: tuple):
    """``fn(*args)`` and what it did that a numpy-only answer may not do (or None).

    Graded functions are numpy only: the chapters teach how a convolution is computed, and
    ``scipy.signal.correlate2d`` or ``torch.nn.functional.conv2d`` would skip exactly that.
    The grader's kernel has no torch or other numerical library installed; scipy is
    there (the chapters' narrative uses it), so every call the function makes is watched
    (``sys.setprofile``): a Python frame or builtin of a library below, a new thread or
    process (which the watch would not follow), or switching the watch off, is reported.
    """
    import sys
    import threading

    libraries = {"scipy", "torch", "tensorflow", "jax", "jaxlib", "keras", "cupy", "numba",
                 "sklearn", "skimage", "cv2", "numexpr", "mxnet", "paddle", "tinygrad"}
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
            seen.append(f"used {top} ({what}): graded functions must use numpy only")
        elif (module, name) in escapes:
            seen.append(f"called {module}.{name}, which a graded function may not do")

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    threading.setprofile(watch)
    sys.setprofile(watch)
    try:
        result = fn(*args)
    finally:
        # read before the calls below, which the watch still sees
        found = seen[:1] or (["switched off the grader's watch (sys.setprofile)"]
                             if sys.getprofile() is not watch else [])
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
    return result, (found[0] if found else None)
