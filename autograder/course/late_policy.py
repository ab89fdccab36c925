"""The late penalty: pure arithmetic on a due date, a submission time and a maximum score.

Every *started* unit (hour or day) late costs the penalty, so one second late costs one
unit: a rule a student can read off a clock. Boundaries, exactly:

- submitted at the due instant or before: on time, no penalty;
- ``due < submitted <= due + n units``: n units late;
- the penalty is ``min(units * penalty, cap)`` percent of the assignment's *maximum* (so a
  weak and a strong submission lose the same points), never more than the score itself;
- ``cutoff`` units after the due date is still accepted (with the penalty); one second
  after that the score is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

UNIT_SECONDS = {"hour": 3600, "day": 86400}


@dataclass(frozen=True)
class LatePolicy:
    unit: str = "day"  # "hour" or "day"
    penalty: float = 0.0  # percent of the maximum per started unit late
    cap: float = 100.0  # percent: the penalty never exceeds this
    cutoff: float | None = None  # units after the due date; later than that scores 0

    def __post_init__(self):
        if self.unit not in UNIT_SECONDS:
            raise ValueError(f"unit must be one of {', '.join(UNIT_SECONDS)}, not {self.unit!r}")
        for name in ("penalty", "cap"):
            value = getattr(self, name)
            if not 0 <= value <= 100:
                raise ValueError(f"{name} must be a percentage from 0 to 100, not {value}")
        if self.cutoff is not None and self.cutoff < 0:
            raise ValueError(f"cutoff must not be negative, not {self.cutoff}")


@dataclass(frozen=True)
class Late:
    seconds: float  # how late (0 when on time)
    units: int  # started units late
    percent: float  # of the maximum, after the cap
    past_cutoff: bool  # then the score is 0

    @property
    def on_time(self) -> bool:
        return self.seconds <= 0

    def final(self, score: float, max_score: float) -> float:
        """The score after the penalty (never below 0)."""
        if self.past_cutoff:
            return 0.0
        return max(0.0, round(score - self.percent / 100 * max_score, 6))

    def describe(self, unit: str) -> str:
        if self.on_time:
            return "on time"
        late = f"{_duration(self.seconds)} late ({self.units} {unit}{'s' * (self.units != 1)})"
        if self.past_cutoff:
            return f"{late}: after the cutoff, scored 0"
        return f"{late}: penalty {self.percent:g}% of the maximum"


def assess(policy: LatePolicy, due: datetime, submitted: datetime) -> Late:
    """How late ``submitted`` is against ``due`` (both timezone-aware), under ``policy``."""
    if due.tzinfo is None or submitted.tzinfo is None:
        raise ValueError("due and submitted must carry a timezone")
    seconds = (submitted - due).total_seconds()
    if seconds <= 0:
        return Late(0.0, 0, 0.0, False)
    unit = UNIT_SECONDS[policy.unit]
    units = math.ceil(seconds / unit)
    past = policy.cutoff is not None and seconds > policy.cutoff * unit
    return Late(seconds, units, min(units * policy.penalty, policy.cap), past)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")) if n]
    return " ".join(parts[:2]) or "0s"
