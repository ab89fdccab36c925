"""What grading produces, as typed records: one :class:`Submission` per student and assignment.

A record is built by the trusted side of the grader only (grade.py, from verdicts of the
hidden checks) and read by everything downstream: the result files, the tables, the
gradebook, the class report. The report counts :attr:`CheckResult.mistake` (a named
mistake) and :attr:`CheckResult.failure` (the kind of any other failure): it never parses
message text, which is written for the student.

On disk a record is JSON (``to_json``); ``from_json`` rebuilds it and refuses anything
that is not a record of this :data:`FORMAT` with :class:`RecordError`, so a result file
from an older grader, or a damaged one, is graded again rather than half read.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass

# Bumped when a field changes meaning or the cases change (3: every check's random stream
# comes from a digest of its whole id): older files are regraded.
FORMAT = 3


class RecordError(ValueError):
    """A result file that is not a record this grader wrote."""


@dataclass(frozen=True)
class CheckResult:
    id: str  # the hidden check's id, e.g. "ch01.output_size"
    passed: bool
    message: str  # for the student: what was wrong, with an example case
    mistake: str | None = None  # the named Mistake that explains every wrong answer
    failure: str = ""  # otherwise what kind of failure: "raises IndexError", "timed out", ...


@dataclass(frozen=True)
class Exercise:
    grade_id: str
    name: str
    points: float
    max_points: float
    checks: tuple[CheckResult, ...]
    untrusted: bool = False  # no hidden check: scored on the kernel's word alone

    @property
    def full_marks(self) -> bool:
        return self.points >= self.max_points


@dataclass(frozen=True)
class Notebook:
    name: str  # the source notebook's name, without .ipynb
    score: float
    max_score: float
    exercises: tuple[Exercise, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    notebook: str
    problem: str


@dataclass(frozen=True)
class Submission:
    student_id: str
    assignment_id: str
    digest: str  # of the inputs it was graded from (grade.Job.key)
    sandboxed: bool
    sandbox: str  # which jail and memory cap held the kernels, or "none"
    notebooks: tuple[Notebook, ...]
    internal_error: bool = False  # a grader bug: retried on the next run
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(nb.score for nb in self.notebooks)

    @property
    def max_score(self) -> float:
        return sum(nb.max_score for nb in self.notebooks)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(Problem(nb.name, p) for nb in self.notebooks for p in nb.problems)

    @property
    def percent(self) -> float:
        return 100 * self.score / self.max_score if self.max_score else 0.0

    def to_json(self) -> str:
        # score and max_score are derived, written only for a person reading the file
        return json.dumps({"format": FORMAT, **asdict(self), "score": self.score,
                           "max_score": self.max_score}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Submission:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise RecordError(f"not a result of format {FORMAT}")
            return _build(cls, data)
        except RecordError:
            raise
        except ValueError as error:  # not JSON at all
            raise RecordError(f"not a valid result record: {error}") from None


# Each record's nested records, and the simple type every other field must have: a typed
# rebuild, so a damaged file fails here and not somewhere in the report.
_NESTED = {Submission: {"notebooks": Notebook}, Notebook: {"exercises": Exercise},
           Exercise: {"checks": CheckResult}, CheckResult: {}}
_SIMPLE = {"str": str, "bool": bool, "float": (int, float), "str | None": (str, type(None))}


def _build(cls, data):
    if not isinstance(data, dict):
        raise RecordError(f"a {cls.__name__} must be an object, not {type(data).__name__}")
    values = {}
    for name, spec in cls.__dataclass_fields__.items():
        if name not in data:
            if spec.default is MISSING:
                raise RecordError(f"{cls.__name__} has no {name!r}")
            continue
        value = data[name]
        if name in _NESTED[cls] or spec.type == "tuple[str, ...]":
            if not isinstance(value, list):
                raise RecordError(f"{cls.__name__}.{name} must be a list")
            if name in _NESTED[cls]:
                values[name] = tuple(_build(_NESTED[cls][name], item) for item in value)
            elif all(isinstance(item, str) for item in value):
                values[name] = tuple(value)
            else:
                raise RecordError(f"{cls.__name__}.{name} must hold text only")
        elif isinstance(value, _SIMPLE[spec.type]) and not (
                spec.type == "float" and isinstance(value, bool)):
            values[name] = value
        else:
            raise RecordError(f"{cls.__name__}.{name} is {type(value).__name__}")
    return cls(**values)


@dataclass(frozen=True)
class Graded:
    """What grading one submission gives: its record and a feedback page per notebook (the
    caller saves both, pages first: see results.save)."""

    record: Submission
    feedback: dict[str, str]
