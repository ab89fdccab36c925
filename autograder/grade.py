"""The unit of work: one student's submission of one assignment in, one trusted result out.

:func:`grade_submission` is a pure function of picklable data (:class:`Job` carries the
notebooks' bytes, not paths into a course folder) and the :class:`~.sandbox.Sandbox` its
kernels run in, which the caller resolves once per process (``sandbox.named``: in the
CLI for the local pool, on each worker for Dask), so it runs the same in a local process
pool or on a dask.distributed worker. It returns a :class:`Graded`: the typed
record (records.Submission) and the feedback pages; the caller persists both atomically.
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache
from pathlib import Path

from .checks import CHECKS, Verdict, cases_for, judge
from .course.course_secret import submission_seed
from .course.records import CheckResult, Exercise, Graded, Notebook, Submission
from .course.source import Template, parse_template
from .course.submissions import NotebookJob
from .kernel.assemble import NotANotebook, assemble, read_cells
from .kernel.execute import KERNEL_OUTPUT_CHARS, Runner
from .kernel.recorder import (
    KERNEL_FILE,
    KERNEL_NAME,
    load_outputs,
    output_name,
    recorder_call,
    write_cases,
)
from .outputs import feedback
from .sandbox import Kernel, Limits, Sandbox, matplotlib_cache
from .sandbox.bound_output import startup_file

SCRATCH_PREFIX = "convlab-grade-"  # + the grading process's pid: a kernel's host-side files


@dataclass(frozen=True)
class Job:
    """One submission to grade, with every setting that can change its grade.

    :attr:`key` ("already graded" from the same inputs) is derived from all fields but
    those in :data:`NOT_IN_KEY`, so a new setting is part of it unless it is listed there
    with the reason.
    """

    student_id: str
    assignment_id: str
    notebooks: tuple[NotebookJob, ...]
    support: str  # a directory copied into the sandbox (the student-side convlab package)
    timeout: float  # seconds per cell
    wall_clock: float  # seconds for the whole submission, restarts and hidden checks included
    case_seed: int  # the student's seed (course_secret.case_seed; each submission draws its
    # cases from it and its answer cells: course_secret.submission_seed)
    code: str  # the grading code's fingerprint (submissions.code_fingerprint)
    jail: str  # the sandbox's name; the object is resolved where the job runs (sandbox.named)
    limits: Limits = Limits()

    @property
    def sandboxed(self) -> bool:
        return self.jail != "none"

    @cached_property
    def key(self) -> str:
        """Identifies the inputs: a saved record with this key need not be graded again."""
        settings = {f.name: getattr(self, f.name) for f in fields(self)
                    if f.name not in NOT_IN_KEY and f.name != "notebooks"}
        h = hashlib.sha256(repr(sorted(dict(settings, sandboxed=self.sandboxed).items()))
                           .encode())
        for nb in self.notebooks:
            h.update(nb.source.encode())
            h.update(nb.submitted if nb.submitted is not None else b"\0missing")
            h.update(nb.note.encode("utf-8", "surrogatepass"))  # notes are shown(); be sure
        return h.hexdigest()


# Fields that cannot change a grade, and why: the ids name the record rather than change
# it; ``support`` is a path (its contents are part of ``code``) that a Dask worker swaps
# for its own; ``jail`` says where kernels run, and of that only whether they are
# sandboxed changes a grade (the key has ``sandboxed``): local and Dask runs share records.
NOT_IN_KEY = frozenset({"student_id", "assignment_id", "support", "jail"})


@dataclass(frozen=True)
class _GradedNotebook:
    record: Notebook
    page: str


def grade_submission(job: Job, sandbox: Sandbox) -> Graded:
    """Grade one submission in ``sandbox`` (resolved once per process by the caller, from
    ``job.jail``); never raises (a grader bug is reported in the result)."""
    started = time.monotonic()
    notebooks, pages, internal_error = [], {}, False
    for nb in job.notebooks:
        try:
            graded = _grade_notebook(job, nb, sandbox)
        except Exception:  # noqa: BLE001 - our bug must not stop the batch; it is reported
            internal_error = True
            graded = _failed(job, nb, "internal grader error:\n" + traceback.format_exc(limit=5))
        notebooks.append(graded.record)
        pages[nb.name] = graded.page
    record = Submission(job.student_id, job.assignment_id, job.key, job.sandboxed,
                        sandbox.describe(), tuple(notebooks),
                        internal_error, round(time.monotonic() - started, 2))
    return Graded(record, pages)


@lru_cache(maxsize=16)
def _template(source: str) -> Template:
    return parse_template(source, CHECKS)


def _exercise(cell, points: float, checks: list[CheckResult], untrusted: bool = False
              ) -> Exercise:
    return Exercise(cell.grade_id, cell.grade_id.removesuffix("_tests"), points, cell.points,
                    tuple(checks), untrusted)


def _notebook(job: Job, nb: NotebookJob, max_score: float, exercises: list[Exercise],
              problems: list[str], shown: list) -> _GradedNotebook:
    """The notebook's record and its feedback page, which shows ``shown`` under a header."""
    score = sum(e.points for e in exercises)
    problems = list(dict.fromkeys(problems))
    title = f"{job.student_id} / {job.assignment_id} / {nb.name}"
    page = feedback.without_host_paths(feedback.render(title, feedback.header(
        title, score, max_score, exercises, problems, job.sandboxed), shown))
    return _GradedNotebook(Notebook(nb.name, score, max_score, tuple(exercises),
                                    tuple(problems)), page)


def _unrun(job: Job, nb: NotebookJob, reason: str, kind: str) -> _GradedNotebook:
    """A notebook that could not be run at all: every exercise 0, with the reason."""
    template = _template(nb.source)
    exercises = [_exercise(t, 0.0, [CheckResult(c.check_id, False, reason, failure=kind)
                                    for c in t.checks]) for t in template.tests]
    return _notebook(job, nb, template.max_score, exercises,
                     [p for p in (nb.note, reason) if p], [])


# What a student's page says of a grader bug: its traceback is the instructor's
# (problems.csv), and names the grader's files and the machine's paths.
GRADER_ERROR = ("the grader failed on this notebook (not because of your work); your "
                "instructor has the details, and it is graded again on the next run")


def _failed(job: Job, nb: NotebookJob, reason: str) -> _GradedNotebook:
    """The record keeps ``reason`` (the traceback) for the instructor; the page does not."""
    try:
        record = _unrun(job, nb, reason, "grader error").record
        return _GradedNotebook(record, _unrun(job, nb, GRADER_ERROR, "grader error").page)
    except Exception:  # noqa: BLE001 - even the source is unusable: report without it
        return _GradedNotebook(Notebook(nb.name, 0.0, 0.0, (), (reason,)),
                               f"<pre>{html.escape(GRADER_ERROR)}</pre>")


def _grade_notebook(job: Job, nb: NotebookJob, sandbox: Sandbox) -> _GradedNotebook:
    if nb.submitted is None:
        return _unrun(job, nb, nb.note or "not submitted", "not submitted")
    template = _template(nb.source)
    try:
        student = read_cells(nb.submitted)
    except NotANotebook as error:
        return _unrun(job, nb, f"the notebook could not be read: {error}",
                      "unreadable notebook")
    cells, notes = assemble(template, student)
    problems = [p for p in [nb.note, *notes] if p]
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{_swept()}-") as scratch:
        scratch = Path(scratch)
        stage, grader = scratch / "stage", scratch / "grader"
        seed = submission_seed(job.case_seed, [c.source for c in cells if c.origin == "student"])
        cases = _stage(stage, grader, template, job.support, seed)
        runner = Runner(lambda: Kernel(stage, grader, job.limits, sandbox, scratch),
                        job.timeout, wall_clock=job.wall_clock)
        grader_dir = sandbox.grader_dir(scratch)
        try:
            shown, exercises = _run(runner, cells, cases, problems, grader_dir,
                                    {e.grade_id: e for e in nb.keep})
        finally:
            runner.shutdown()
    return _notebook(job, nb, template.max_score, exercises, problems, shown)


@lru_cache(maxsize=1)
def _swept() -> int:
    """Remove scratch dirs left by grading processes that were killed; return our pid.

    A killed worker (a stopped batch, a lost Dask worker) cannot clean up after itself;
    its successor does, once. Only dirs of processes that no longer exist are touched.
    """
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        owner = path.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists() and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    return os.getpid()


def _stage(stage: Path, grader: Path, template: Template, support: str, seed: int) -> dict:
    """What the kernel starts with: its work dir (convlab, the output bound, matplotlib's
    cache) and the grader dir (the recorder and every check's cases, drawn from ``seed``)."""
    if support:
        shutil.copytree(support, stage / Path(support).name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    startup = stage / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-bound-output.py").write_text(startup_file(KERNEL_OUTPUT_CHARS))
    shutil.copytree(matplotlib_cache(), stage / ".matplotlib",
                    ignore=shutil.ignore_patterns("*.lock"))
    (grader / "cases").mkdir(parents=True)
    shutil.copyfile(KERNEL_FILE, grader / KERNEL_NAME)
    cases = {}
    for cell in template.tests:
        for j, check in enumerate(cell.checks):
            name = f"{cell.index}_{j}"
            cases[name] = cases_for(check.check_id, seed)
            write_cases(cases[name], grader / "cases" / name)
    return cases


def _run(runner: Runner, cells, cases: dict, problems: list[str], grader_dir: str,
         keep: dict[str, Exercise]):
    """Execute the graded cells; return what to show and the exercises' trusted scores.

    An exercise in ``keep`` (``grade --only`` another one) keeps its earlier verdicts: its
    hidden checks are not run again.

    The feedback shows the exercises (prompt, answer, checks), the student's own cells and
    any cell that failed; the chapter's narrative, which ran fine, is in the book.
    """
    shown, exercises = [], []
    for position, cell in enumerate(cells):
        template = cell.template
        if cell.cell_type != "code":
            if cell.origin == "student":  # a student's markdown is shown as text, not HTML
                shown.append(("raw", f"<pre>{html.escape(cell.source)}</pre>", []))
            elif _prompt(cells, position):
                shown.append((cell.cell_type, cell.source, []))
            continue
        step = runner.run(cell.source)
        outputs = list(step.outputs)
        if not step.ran:
            outputs.append(_note(step.reason))
            problems.append(f"cell {_label(cell)}: {step.reason}")
        source = cell.source
        if template is not None and template.role == "test" and template.grade_id in keep:
            exercise = keep[template.grade_id]
            exercises.append(exercise)
            outputs.append(feedback.verdict_output(list(exercise.checks), exercise.points,
                                                   exercise.max_points))
            source = f"{cell.source.rstrip()}\n\n{feedback.HIDDEN_NOTE}"
        elif template is not None and template.role == "test":
            checks = [_hidden_check(runner, grader_dir, f"{template.index}_{j}", c, cases[
                f"{template.index}_{j}"]) for j, c in enumerate(template.checks)]
            if template.checks:
                passed = all(c.passed for c in checks)
                exercise = _exercise(template, template.points if passed else 0.0, checks)
                source = f"{cell.source.rstrip()}\n\n{feedback.HIDDEN_NOTE}"
            else:  # no hidden check: only the kernel's own word, which student code can fake
                exercise = _exercise(template, template.points if step.status == "ok" else 0.0,
                                     [], untrusted=True)
            exercises.append(exercise)
            outputs.append(feedback.verdict_output(checks, exercise.points, template.points))
        elif template is not None and template.role != "solution" and step.status == "ok":
            continue  # narrative code that worked
        shown.append(("code", source, outputs))
    return shown, exercises


def _prompt(cells, position: int) -> bool:
    """A markdown cell in the run of markdown cells right before an answer cell."""
    for cell in cells[position + 1:]:
        if cell.cell_type == "code":
            return cell.template is not None and cell.template.role == "solution"
    return False


def _hidden_check(runner: Runner, grader_dir: str, name: str, check, cases: list
                  ) -> CheckResult:
    """Record the student's outputs on the check's cases in the kernel; judge them here."""
    spec = CHECKS[check.check_id]
    step = runner.run(recorder_call(grader_dir, name, check.expr), replay=False)
    if not step.ran:
        return _verdict(check, Verdict(False, f"{spec.function}: no result, {step.reason}",
                                       failure=_step_failure(step)))
    outputs = None
    if runner.kernel is not None and runner.kernel.out_dir is not None:
        outputs = load_outputs(runner.kernel.out_dir, output_name(name), len(cases))
    if outputs is None:
        why = f"the check stopped with {step.reason}" if step.reason else "nothing was recorded"
        return _verdict(check, Verdict(False, f"{spec.function}: no result, {why}",
                                       failure="nothing recorded"))
    if isinstance(outputs, str):
        return _verdict(check, Verdict(False, f"{spec.function} could not be called ({outputs})",
                                       failure="not defined"))
    return _verdict(check, judge(spec, cases, outputs))


def _step_failure(step) -> str:
    """The kind of a hidden check's step that did not run."""
    return {"timeout": "timed out", "died": "kernel died"}.get(step.status, "not run")


def _verdict(check, verdict: Verdict) -> CheckResult:
    return CheckResult(check.check_id, verdict.passed, verdict.message, verdict.mistake,
                       verdict.failure)


def _note(text: str) -> dict:
    return {"output_type": "stream", "name": "stderr", "text": f"[grader] {text}\n"}


def _label(cell) -> str:
    if cell.template is not None and cell.template.grade_id:
        return repr(cell.template.grade_id)
    return "added by the student" if cell.template is None else f"#{cell.template.index + 1}"
