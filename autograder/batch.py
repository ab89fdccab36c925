"""Grading many submissions: workers compute, one writer (this process) saves.

:func:`drive` is the one batch loop, whatever runs the jobs: it starts the ``meanwhile``
thread, shows the progress bar and saves each result as it arrives. A backend only says
how results arrive, as a generator of outcomes: :func:`run` here (a local process pool),
``cluster.run`` for a Dask cluster. Workers only compute (:func:`grade.grade_submission`);
every file, the tables and the gradebook are written here, so no two processes ever write
the same thing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm import tqdm

from .course import results
from .grade import Graded, Job, grade_submission
from .sandbox import Sandbox

MAX_POOL_RESTARTS = 2
tqdm.monitor_interval = 0  # no monitor thread: the pool forks after the bar exists


# A backend's outcomes: called with ``started`` (to call once its workers exist: the
# meanwhile thread may start then) and ``errors`` (for notes that are not one job's), it
# yields (job, its result or None, why there is none) as each job finishes.
Outcomes = Callable[[Callable[[], None], list[str]], Iterator[tuple[Job, Graded | None, str]]]


def drive(total: int, out: Path, outcomes: Outcomes, meanwhile=None) -> list[str]:
    """Run a backend's ``total`` jobs, saving each result as it arrives; return errors
    worth showing.

    ``meanwhile`` runs in a thread of this process while the workers grade (the parent is
    otherwise idle: it only waits and writes).
    """
    errors: list[str] = []
    thread = threading.Thread(target=meanwhile or (lambda: None), name="meanwhile")

    def start() -> None:
        if thread.ident is None:
            thread.start()

    try:
        with progress(total) as bar, contextlib.closing(outcomes(start, errors)) as arriving:
            for job, graded, error in arriving:
                if graded is not None:
                    accept(out, job, graded, errors)
                else:
                    errors.append(error)
                bar.update()
        start()  # if there was nothing to grade
    finally:
        if thread.ident is not None:
            thread.join()
    return errors


def progress(total: int) -> tqdm:
    """The progress bar of a batch."""
    return tqdm(total=total, file=sys.stderr, unit="submission", desc="grading",
                disable=not total)


def accept(out: Path, job: Job, graded: Graded, errors: list[str]) -> None:
    """Save one trusted result, noting a grader error."""
    if graded.record.internal_error:
        errors.append(f"{job.student_id}/{job.assignment_id}: grader error, see "
                      "problems.csv (it will be retried on the next run)")
    results.save(out, graded)


def run(jobs: list[Job], out: Path, sandbox: Sandbox, workers: int, meanwhile=None
        ) -> list[str]:
    """Grade ``jobs`` in ``sandbox`` on a pool of ``workers`` local processes (see
    :func:`drive`). A pool whose worker died is restarted for the jobs it lost."""

    def outcomes(started, errors: list[str]):
        pending = list(jobs)
        for _ in range(MAX_POOL_RESTARTS + 1):
            if not pending:
                break
            pending = yield from _pool(pending, sandbox, workers, started, errors)
        for job in pending:
            yield job, None, (f"{job.student_id}/{job.assignment_id}: not graded (the "
                              "worker pool kept failing)")

    return drive(len(jobs), out, outcomes, meanwhile)


def _pool(jobs: list[Job], sandbox: Sandbox, workers: int, started, errors: list[str]):
    """One pool's worth of outcomes; returns the jobs lost if a worker process died."""
    # fork: workers inherit the imported grader instead of importing it again (seconds
    # each). The pool forks all its workers at the first submit, before any thread of ours
    # starts (tqdm's monitor thread is switched off below).
    context = multiprocessing.get_context("fork")
    sandbox.prepare()  # once here, not once per worker
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {pool.submit(grade_submission, job, sandbox): job for job in jobs}
        left = dict(futures)
        started()
        try:
            for future in as_completed(futures):
                graded = future.result()
                del left[future]
                yield futures[future], graded, ""
        except BrokenProcessPool:
            errors.append("a grading worker died; restarting the pool for the rest")
        except (KeyboardInterrupt, GeneratorExit):
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return list(left.values())
