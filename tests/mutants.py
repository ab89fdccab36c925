"""Mutation tests of the hidden checks: plausible wrong answers must each lose the exercise.

A chapter's mutation test lists, per exercise, wrong functions written the way students
write them (``MUTANTS``: check id -> list of :class:`Mutant`). Every one must fail the check;
a mutant marked ``named`` must be diagnosed with a "Likely mistake:" line and one not marked
must not be, so the number of named variants is exact. The chapter's tally table pins how
many variants each exercise has and how many are named, so the catalogue cannot silently
shrink or lose names.

An exercise graded by several checks is keyed ``"chNN.prefix_*"``: a mutant loses it when
it fails any of the checks the chapter's hidden cells call with that prefix.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.checks import CHECKS, cases_for, check, judge, run_cases
from autograder.sandbox.base import Limits

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
_CHECK = re.compile(r'^check\("(?P<id>[^"]+)", (?P<expr>.+)\)$')


@dataclass(frozen=True)
class Mutant:
    """One wrong answer: what it gets wrong, the function, and whether a Mistake names it."""

    what: str
    fn: Callable
    named: bool


def by_name(*fns: Callable, unnamed: tuple[Callable, ...] = ()) -> list[Mutant]:
    """Mutants that are plain functions, each described by its name; all named but ``unnamed``."""
    return [Mutant(fn.__name__, fn, fn not in unnamed) for fn in fns]


def notebook(chapter: str) -> Path:
    """The source notebook of a chapter given by number, like ``"07"``."""
    path, = CHAPTERS.glob(f"{chapter}_*/{chapter}_*.ipynb")
    return path


def notebook_solution(chapter: str, name: str):
    """The function ``name`` as the chapter's solution cell (grade id ``name_solution``)
    defines it, run with numpy."""
    import numpy as np

    namespace = {"np": np}
    for cell in json.loads(notebook(chapter).read_text())["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == f"{name}_solution":
            exec("".join(cell["source"]), namespace)  # noqa: S102 - the chapter's own text
    return namespace[name]


def hidden_calls(chapter: str) -> dict[str, str]:
    """check id -> the expression the chapter's hidden cells grade, e.g. ``"ch07.grad_input"``
    -> ``"grad_input"``, read from the chapter's notebook."""
    calls = {}
    for cell in json.loads(notebook(chapter).read_text())["cells"]:
        source = "".join(cell["source"])
        if "### BEGIN HIDDEN TESTS" in source:
            hidden = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            for line in hidden.splitlines():
                if m := _CHECK.match(line):
                    calls[m["id"]] = m["expr"]
    return calls


def parts(check_id: str) -> list[str]:
    """The check ids an exercise key stands for: itself, or every check a ``*`` key covers."""
    if not check_id.endswith("*"):
        return [check_id]
    return sorted(c for c in CHECKS if c.startswith(check_id[:-1]))


@contextlib.contextmanager
def _address_space(extra: int):
    """At most ``extra`` bytes of address space beyond what this process maps now: over it,
    an allocation raises MemoryError. Only the soft limit moves, so it is restored after."""
    mapped = next(int(line.split()[1]) * 1024 for line in Path("/proc/self/status").open()
                  if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = mapped + extra if hard == resource.RLIM_INFINITY else min(hard, mapped + extra)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def within_the_kernels_memory(fn: Callable) -> Callable:
    """``fn`` with the memory a graded kernel has (autograder/sandbox/base.py Limits), on top of
    what this process already maps. In the grader, an answer that needs more fails with a
    MemoryError; here, without a cap, a paste building a 20 GB matrix would swap the machine
    or have its pytest worker killed by the OOM killer (seen under -n 2)."""
    @functools.wraps(fn)
    def capped(*args, **kwargs):
        with _address_space(Limits().memory_bytes):
            return fn(*args, **kwargs)

    return capped


def student_cases(check_id: str, seed: int | None = None) -> list[tuple]:
    """The cases of one check: the notebook's (no seed), or those the sandboxed grader draws
    for the student holding ``seed``."""
    return cases_for(check_id) if seed is None else cases_for(check_id, seed)


def verdict(check_id: str, fn, seed: int | None = None) -> str | None:
    """The check's complaint about ``fn``, or ``None`` if it passed.

    Without a seed this is exactly what the notebook's ``check`` does; with one, it judges the
    cases the sandboxed grader would draw for the student holding that seed. Either way ``fn``
    runs with a graded kernel's memory.
    """
    fn = within_the_kernels_memory(fn)
    try:
        if seed is None:
            check(check_id, fn)
        else:
            cases = student_cases(check_id, seed)
            result = judge(CHECKS[check_id], cases, run_cases(fn, cases))
            assert result.passed, result.message
    except AssertionError as error:
        return str(error)
    return None


def verdict_small_first(check_id: str, fn, seed: int | None = None, large: int = 1) -> str | None:
    """:func:`verdict`, with the check's small cases judged first, on their own: an answer
    they refuse is refused (with the mistake they name) without being run on the ``large``
    cases a check draws last on purpose, where an answer reading every window would take
    minutes to be refused again; an answer they pass is judged on all the cases."""
    cases = student_cases(check_id, seed)
    capped = within_the_kernels_memory(fn)
    result = judge(CHECKS[check_id], cases[:-large], run_cases(capped, cases[:-large]))
    return result.message if not result.passed else verdict(check_id, fn, seed)


def first_refusal(check_id: str, fn, seed: int | None = None) -> str | None:
    """The check's complaint about the first case ``fn`` gets wrong, or None if it gets every
    case right, with a graded kernel's memory. The cases run in the order the check draws
    them, the large ones last: the verdict of :func:`verdict`, without running a refused
    paste on the cases that are large on purpose, where it would take minutes to be refused
    again. (Its message speaks of that one case; mutation tests, which count the mistakes
    named over all the small cases, use :func:`verdict_small_first`.)"""
    capped = within_the_kernels_memory(fn)
    for case in student_cases(check_id, seed):
        result = judge(CHECKS[check_id], [case], run_cases(capped, [case]))
        if not result.passed:
            return result.message
    return None


def _cell_seconds() -> float:
    """The grader's time limit for one cell, read from its nbgrader config (one source)."""
    config = Path(__file__).resolve().parents[1] / "autograder" / "nbgrader_config.py"
    return float(re.search(r"^c\.Execute\.timeout = (\d+)", config.read_text(), re.M)[1])


CELL_SECONDS = _cell_seconds()


def _answers_in_a_child(fn, cases, conn) -> None:
    """Run ``fn`` on the cases with a kernel's memory and send the outputs back."""
    try:
        conn.send(run_cases(within_the_kernels_memory(fn), cases))
    except BaseException as error:  # noqa: BLE001 - the parent reports whatever happened
        conn.send(repr(error))
    finally:
        conn.close()


def verdict_in_time(check_id: str, fn, seed: int | None = None,
                    seconds: float = CELL_SECONDS) -> str | None:
    """:func:`verdict`, with the grader's cell time limit: ``fn`` answers all the cases in a
    forked child, which is killed after ``seconds`` as the grader kills the kernel (a signal
    would wait for a long numpy call to return). For answers that are right but only by
    reading every window or every length: in-process, nothing else would stop them. The
    reference is judged here, outside the limit, as the grader judges outside the kernel."""
    import multiprocessing

    cases = student_cases(check_id, seed)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_answers_in_a_child, args=(fn, cases, send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(seconds):
            return (f"{check_id}: no answer within the grader's {seconds:.0f} s cell limit "
                    "(the kernel would be stopped)")
        outputs = receive.recv()
    except EOFError:            # the child died without an answer (killed for its memory)
        outputs = "it ended without an answer"
    finally:
        child.kill()
        child.join()
    if isinstance(outputs, str):
        return f"{check_id}: the answer's process failed: {outputs}"
    result = judge(CHECKS[check_id], cases, outputs)
    return None if result.passed else result.message


def assert_right_but_out_of_time(check_id: str, fn, finished: list[tuple]) -> None:
    """``fn`` is right on the cases it can finish (``finished``: all but the large ones), and
    gives no answer within the grader's cell limit on the notebook's cases: refused only
    because it cannot finish."""
    assert judge(CHECKS[check_id], finished, run_cases(fn, finished)).passed
    message = verdict_in_time(check_id, fn)
    assert message is not None and "no answer within the grader's" in message, message


def params(mutants: dict[str, list[Mutant]]):
    """pytest parameters (check id, mutant), with readable ids."""
    return [pytest.param(check_id, m, id=f"{check_id}:{m.what}")
            for check_id, ms in mutants.items() for m in ms]


def assert_caught(check_id: str, mutant: Mutant, seed: int | None = None,
                  verdict: Callable = verdict) -> None:
    """The mutant loses the exercise, and is named exactly when it is marked ``named``.

    ``verdict(check_id, fn, seed)`` may be replaced where a chapter grades something other
    than the student's function itself (chapter 07 grades the hidden cell's expression).
    """
    message = verdict(check_id, mutant.fn, seed)
    assert message is not None, f"{check_id}: the wrong answer '{mutant.what}' passed"
    assert ("Likely mistake:" in message) == mutant.named, (
        f"{mutant.what} was {'not ' * mutant.named}named: {message}")


def tally(mutants: dict[str, list[Mutant]]) -> dict[str, tuple[int, int]]:
    """Per exercise: (variants, named), as declared; ``assert_caught`` holds the checks to it."""
    return {check_id: (len(ms), sum(m.named for m in ms)) for check_id, ms in mutants.items()}


def assert_tally(mutants: dict[str, list[Mutant]], expected: dict[str, tuple[int, int]],
                 most_named_per_exercise: bool = True) -> None:
    """The tally is ``expected``; every graded exercise of the chapter has >= 6 variants, and
    most are named: in every exercise, or (``most_named_per_exercise=False``) in the chapter."""
    counts = tally(mutants)
    assert counts == expected
    chapter = next(iter(mutants))[2:4]
    covered = {part for check_id in mutants for part in parts(check_id)}
    assert covered == set(hidden_calls(chapter)), "every graded exercise needs its mutants"
    assert all(variants >= 6 for variants, _ in counts.values()), counts
    if most_named_per_exercise:
        assert all(named * 2 > variants for variants, named in counts.values()), counts
    else:
        assert sum(n for _, n in counts.values()) * 2 > sum(v for v, _ in counts.values())


def caught_test(mutants: dict[str, list[Mutant]], verdict: Callable = verdict,
                seeds: tuple[int | None, ...] = (None,)):
    """A chapter's test that every mutant loses its exercise (see :func:`assert_caught`),
    with the notebook's own cases (seed ``None``) or with the cases of students holding
    ``seeds``. Used as ``test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)``."""

    @pytest.mark.parametrize("seed", seeds, ids=lambda s: "notebook" if s is None else f"seed{s}")
    @pytest.mark.parametrize(("check_id", "mutant"), params(mutants))
    def test(check_id, mutant, seed):
        assert_caught(check_id, mutant, seed, verdict)

    return test


def tally_test(mutants: dict[str, list[Mutant]], expected: dict[str, tuple[int, int]],
               most_named_per_exercise: bool = True):
    """A chapter's test that its tally is ``expected`` (see :func:`assert_tally`)."""

    def test():
        assert_tally(mutants, expected, most_named_per_exercise)

    return test
