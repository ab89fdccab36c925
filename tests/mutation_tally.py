"""Run plausible wrong answers ("mutants") of an exercise through its hidden check.

Each mutant is written the way a student would write it. The tally says how many the check
rejects and how many of those it names ("Likely mistake: ..."), so a test can assert both.
"""

from __future__ import annotations

from autograder.checks import check


def tally(check_id: str, mutants) -> tuple[int, int, list[str]]:
    """(rejected, named, names of the mutants that passed) for ``mutants`` of one check."""
    rejected = named = 0
    survivors = []
    for mutant in mutants:
        try:
            check(check_id, mutant)
        except AssertionError as verdict:
            rejected += 1
            named += "Likely mistake:" in str(verdict)
        else:
            survivors.append(mutant.__name__)
    return rejected, named, survivors


def assert_tally(check_id: str, mutants, named_expected: int) -> None:
    """At least six mutants, every one rejected, exactly ``named_expected`` named."""
    rejected, named, survivors = tally(check_id, mutants)
    assert len(mutants) >= 6
    assert survivors == [] and rejected == len(mutants)
    assert named == named_expected
