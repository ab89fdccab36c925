"""Every hidden check draws its cases from a random stream of its own, stable across runs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from autograder.checks import CHECKS, SEED, cases_for, hash_id
from autograder.course.records import FORMAT, RecordError, Submission


def _first_draws(check_id: str, seed: int = SEED) -> tuple[int, ...]:
    return tuple(np.random.default_rng([seed, hash_id(check_id)]).integers(0, 2**63, 4))


def test_every_check_id_gets_its_own_stream():
    draws = {check_id: _first_draws(check_id) for check_id in CHECKS}
    assert len(set(hash_id(c) for c in CHECKS)) == len(CHECKS)
    assert len(set(draws.values())) == len(CHECKS), "two checks share a random stream"


def test_ids_that_share_a_long_prefix_get_different_streams():
    # ch07.grad_weight and ch07.grad_input shared one when only the first 8 bytes counted
    assert _first_draws("ch07.grad_weight") != _first_draws("ch07.grad_input")
    assert hash_id("ch07.grad_weight") != hash_id("ch07.grad_input")


def test_the_stream_is_stable_across_processes():
    """Not Python's salted hash(): another interpreter draws the same cases."""
    check_id = sorted(CHECKS)[0]
    code = ("import json; from autograder.checks import hash_id; "
            f"print(json.dumps(str(hash_id({check_id!r}))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert int(json.loads(done.stdout)) == hash_id(check_id)
    assert repr(cases_for(check_id, 7)) == repr(cases_for(check_id, 7))


def test_records_of_the_old_streams_are_regraded():
    old = {"format": FORMAT - 1}
    try:
        Submission.from_json(json.dumps(old))
    except RecordError:
        return
    raise AssertionError("a record of an older format was read, so it would not be regraded")
