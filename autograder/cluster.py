"""Grading on a Dask cluster (``grade --scheduler ADDRESS``): batch.py's contract, remotely.

Each submission is one task carrying its notebooks (:class:`grade.Job` holds their bytes)
and returning its trusted result. Workers only compute; this process saves each result
as it completes and writes the tables, gradebook and report afterwards, exactly as with
the local pool, so nothing about the results depends on where the work ran.

What differs on a remote machine is decided there, never assumed from the client:

* the code: a worker grades with its *own* installation of the project, so before any
  work the client compares its code fingerprint (and Python, numpy) with each worker's
  and refuses a worker that differs; the task checks again (a worker may join later);
* ``Job.support`` (convlab, copied into each sandbox) is a path on the client's disk:
  the task swaps in the worker's own convlab, which the fingerprint has just vouched for;
* the sandbox: a worker that cannot jail kernels (``Job.jail`` names the jail, resolved
  once per worker process into the Sandbox object the grader gets; see sandbox.named) or
  that runs
  several grading threads in one process (the sandbox's per-process user slot would be
  shared, and with it one kernel's process limit) is refused, and a task sent there
  fails rather than grading unsandboxed.

A worker that dies mid-task has its tasks rescheduled by the scheduler; a task whose
workers keep dying (more than ``distributed.scheduler.allowed-failures`` times) ends as
``KilledWorker``: reported as not graded (no result is saved, so the next run retries
it), while the batch goes on. Only this process writes, so nothing is lost or doubled.
"""

from __future__ import annotations

import collections
import logging
import sys
from concurrent.futures import CancelledError
from dataclasses import replace
from pathlib import Path

from distributed import Client, as_completed, get_worker
from distributed.comm.addressing import parse_address
from distributed.comm.registry import get_backend
from distributed.scheduler import KilledWorker

from . import PROJECT, batch
from .course.submissions import InstructorError, code_fingerprint
from .grade import Graded, Job, grade_submission
from .sandbox import named, sandbox_problem

MAX_IN_FLIGHT = 512 * 2**20  # notebook bytes submitted but not yet graded
WAIT_FOR_WORKERS = 120.0  # seconds for a first worker to join (a batch system may queue it)
NO_SANDBOX_HINT = ("run the workers where they may create the jail's namespaces (root, or "
                   "an ordinary user with user namespaces or bubblewrap), or pass --no-sandbox "
                   "(unsafe: student code then runs with the worker's rights)")

class UnfitWorker(RuntimeError):
    """Raised in a task on a worker that must not grade it (other code, no sandbox)."""


def identity() -> dict:
    """What this process grades with; equal identities give equal grades."""
    import numpy
    return {"code": code_fingerprint(), "python": "{}.{}".format(*sys.version_info[:2]),
            "numpy": numpy.__version__}


def worker_report(jail: str = "auto", dask_worker=None) -> dict:
    """Run on every worker by the client (``client.run``, which passes ``dask_worker``)
    before anything is submitted; ``jail`` names the sandbox the jobs will ask for."""
    try:
        return {"name": str(dask_worker.name), "identity": identity(),
                "sandbox": sandbox_problem(jail) if jail != "none" else "",
                "threads": dask_worker.state.nthreads}
    except Exception as error:  # noqa: BLE001 - reported to the client as this worker's flaw
        return {"name": str(dask_worker.name), "error": f"{type(error).__name__}: {error}"}


def release_slot_users(dask_worker=None) -> list[str]:
    """Run on every worker by the client once the batch has ended (``client.run``): as
    root, delete the per-worker system users (``convlab-grader<k>``, sandbox.machine) no
    grading process holds any more, as a local batch does; the names removed. A worker
    process keeps no user between batches: its next task creates one again."""
    from .sandbox import machine
    return machine.remove_slot_users() if machine.jail_mode() == "root" else []


def end_batch(client: Client) -> list[str]:
    """After the batch: each worker removes the slot users it made; what could not be
    asked (a worker that left) is returned as a warning, never an error."""
    try:
        client.run(release_slot_users)
    except Exception as error:  # noqa: BLE001 - the grades are written: only say so
        return [f"could not ask the workers to remove their sandbox users "
                f"(README: Grading on a Dask cluster): {_one_line(error)}"]
    return []


def refusals(report: dict, expected: dict, sandboxed: bool) -> list[str]:
    """Why a worker (described by ``report``) must not grade for this client."""
    if "error" in report:
        return [f"it could not describe itself ({report['error']})"]
    why = []
    for field, mine in expected.items():
        theirs = report["identity"].get(field)
        if theirs != mine:
            what = "grading code (autograder, solutions, convlab)" if field == "code" else field
            why.append(f"its {what} differs from the client's ({_short(theirs)} vs "
                       f"{_short(mine)}): install the same project commit on every worker")
    if sandboxed and report["sandbox"]:
        why.append(f"{report['sandbox']}: {NO_SANDBOX_HINT}")
    if sandboxed and report["threads"] != 1:
        why.append(f"it runs {report['threads']} threads; sandboxed grading needs one per "
                   "worker process (dask worker --nthreads 1 --nworkers N)")
    return why


def _short(value) -> str:
    text = str(value)
    return text[:12] + "…" if len(text) > 16 else text


def grade_task(job: Job, expected: dict) -> Graded:
    """One submission, on a worker: the same checks as up front, then the local grader."""
    worker = get_worker()
    sandbox = named(job.jail)  # resolved once per worker process (named is cached)
    report = {"identity": identity(), "sandbox": sandbox.problem() if job.sandboxed else "",
              "threads": worker.state.nthreads}
    why = refusals(report, expected, job.sandboxed)
    if why:
        raise UnfitWorker(f"worker {worker.address} ({worker.name}): {'; '.join(why)}")
    return grade_submission(replace(job, support=str(PROJECT / "convlab")), sandbox)


def task_key(job: Job) -> tuple[str, str, str]:
    """A key that names the submission and its inputs (``Job.key`` covers notebooks, code
    and settings). Submitting the same inputs again, from this client or another, joins
    the task already there instead of grading twice (what ``pure=True`` would give, with a
    readable key); different inputs never share a key. Once no client holds it, the
    scheduler forgets the key, so a failed task is tried afresh by the next run. A tuple,
    so that the dashboard groups every task as "grade" whatever the student ids hold.
    """
    return ("grade", f"{job.student_id}/{job.assignment_id}", job.key[:32])


def connect(address: str, expected: dict, jail: str) -> Client:
    """A client of the scheduler at ``address`` whose workers may grade for us in the
    sandbox ``jail`` names (``"none"``: unsandboxed).

    Raises :class:`InstructorError` (one clear message, nothing written yet) if the
    scheduler cannot be reached, has no worker, or has a worker that must not grade.
    """
    try:  # a malformed address half-builds a Client, which then dies noisily: check first
        scheme, location = parse_address(address, strict=False)
        get_backend(scheme).get_address_host_port(location)
    except (ValueError, NotImplementedError) as error:
        raise InstructorError(f"{address!r} is not a Dask scheduler address like "
                              f"tcp://10.0.0.5:8786: {_one_line(error)}") from None
    # Everything that goes wrong reaches the instructor as our own one-line error or
    # "not graded" line; the client library's tracebacks (e.g. while it tries to
    # reconnect to a scheduler that died) would only bury them.
    for name in ["distributed", *logging.root.manager.loggerDict]:  # dask sets some levels
        if name.split(".")[0] == "distributed":                    # on child loggers too
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        client = Client(address, set_as_default=False)
    except Exception as error:  # noqa: BLE001 - refused, unknown host, timeout: one answer
        raise InstructorError(f"cannot connect to the Dask scheduler at {address}: "
                              f"{_one_line(error)}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError:
            raise InstructorError(f"the Dask scheduler at {address} has no worker (none "
                                  f"joined within {WAIT_FOR_WORKERS:g} s)") from None
        try:
            reports = client.run(worker_report, jail)
        except Exception as error:  # noqa: BLE001 - e.g. a worker left while asked
            raise InstructorError(f"could not ask the workers of {address} what they run: "
                                  f"{_one_line(error)}") from None
        unfit = [f"worker {worker} ({report['name']}): {why}"
                 for worker, report in sorted(reports.items())
                 for why in refusals(report, expected, jail != "none")]
        if unfit:
            raise InstructorError("refusing to grade on this cluster:\n  " + "\n  ".join(unfit))
    except BaseException:
        client.close()
        raise
    return client


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) < 300 else text[:300] + "…"


def run(client: Client, jobs: list[Job], out: Path, expected: dict,
        meanwhile=None) -> list[str]:
    """Grade ``jobs`` on the cluster: batch.drive's loop (the meanwhile thread, the
    progress bar, the save step), with results arriving from the scheduler."""

    def outcomes(started, errors: list[str]):
        waiting = collections.deque(jobs)
        futures: dict = {}  # submitted and not yet handled -> its job
        in_flight = [0]  # notebook bytes held by the scheduler for them

        def submit_more() -> list:
            # Every task's notebooks wait in the scheduler's memory until a worker takes it:
            # a big class is fed in portions (still far more tasks than workers, for
            # adaptive clusters to scale on).
            more = []
            while waiting and (not futures or in_flight[0] + _size(waiting[0]) <= MAX_IN_FLIGHT):
                job = waiting.popleft()
                future = client.submit(grade_task, job, expected, key=task_key(job), pure=False)
                futures[future] = job
                in_flight[0] += _size(job)
                more.append(future)
            return more

        try:
            done = as_completed(submit_more(), loop=client.loop)
            started()
            for future in done:
                job = futures.pop(future)
                in_flight[0] -= _size(job)
                yield (job, *_outcome(future, job))
                future.release()  # the result is on disk: the cluster may forget it
                for more in submit_more():
                    done.add(more)
        except (KeyboardInterrupt, GeneratorExit):
            client.cancel(list(futures))
            raise

    return batch.drive(len(jobs), out, outcomes, meanwhile)


def _size(job: Job) -> int:
    return sum(len(nb.source) + len(nb.submitted or b"") for nb in job.notebooks)


def _outcome(future, job: Job) -> tuple[Graded | None, str]:
    """The task's result, or why there is none (then the next run grades it again)."""
    who, again = f"{job.student_id}/{job.assignment_id}", "it will be retried on the next run"
    try:
        return future.result(), ""
    except KilledWorker as error:
        return None, (f"{who}: not graded (the worker grading it died, "
                      f"{error.allowed_failures + 1} time(s) in a row; {again})")
    except CancelledError as error:  # e.g. the connection to the scheduler was lost
        why = getattr(error, "reason", "") or "unknown reason"
        return None, f"{who}: not graded (its task was cancelled: {why}; {again})"
    except Exception as error:  # noqa: BLE001 - an unfit worker, a lost result
        return None, f"{who}: not graded ({type(error).__name__}: {_one_line(error)}; {again})"
