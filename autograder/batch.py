"""Grading many submissions: a process pool of workers, one writer (this process).

Workers only compute (:func:`grade.grade_submission`); every file, the tables and the
gradebook are written here, so no two processes ever write the same thing.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm import tqdm

from .course import results
from .grade import Graded, Job, grade_submission

MAX_POOL_RESTARTS = 2
tqdm.monitor_interval = 0  # no monitor thread: the pool forks after the bar exists


def run(jobs: list[Job], out: Path, workers: int, meanwhile=None) -> list[str]:
    """Grade ``jobs``, saving each result as it arrives; return errors worth showing.

    ``meanwhile`` runs in a thread of this process while the workers grade (the parent is
    otherwise idle: it only waits and writes).
    """
    errors: list[str] = []
    pending = list(jobs)
    threads: list[threading.Thread] = []

    def start_meanwhile() -> None:
        if meanwhile is not None and not threads:
            threads.append(threading.Thread(target=meanwhile, name="meanwhile"))
            threads[0].start()

    with progress(len(jobs)) as bar:
        for _ in range(MAX_POOL_RESTARTS + 1):
            if not pending:
                break
            pending = _run_pool(pending, out, workers, bar, errors, start_meanwhile)
    start_meanwhile()  # if there was nothing to grade
    for thread in threads:
        thread.join()
    errors += [f"{j.student_id}/{j.assignment_id}: not graded (the worker pool kept failing)"
               for j in pending]
    return errors


def progress(total: int) -> tqdm:
    """The progress bar of a batch (also the Dask backend's, see cluster.py)."""
    return tqdm(total=total, file=sys.stderr, unit="submission", desc="grading",
                disable=not total)


def accept(out: Path, job: Job, graded: Graded, errors: list[str]) -> None:
    """Save one trusted result, noting a grader error (shared with cluster.py)."""
    if graded.record.internal_error:
        errors.append(f"{job.student_id}/{job.assignment_id}: grader error, see "
                      "problems.csv (it will be retried on the next run)")
    results.save(out, graded)


def _run_pool(jobs: list[Job], out: Path, workers: int, bar, errors: list[str],
              started) -> list[Job]:
    """One pool's worth of work; returns the jobs lost if a worker process died."""
    # fork: workers inherit the imported grader instead of importing it again (seconds
    # each). The pool forks all its workers at the first submit, before any thread of ours
    # starts (tqdm's monitor thread is switched off below).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {pool.submit(grade_submission, job): job for job in jobs}
        left = dict(futures)
        started()
        try:
            for future in as_completed(futures):
                accept(out, futures[future], future.result(), errors)
                del left[future]
                bar.update()
        except BrokenProcessPool:
            errors.append("a grading worker died; restarting the pool for the rest")
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return list(left.values())
