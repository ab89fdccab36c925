"""The copyable share of the book (DESIGN.md, Chapters): at most 10% of its graded points.

The chapters' paste tests (tests/test_pastes_*.py) hold the answers we and the independent
readers assembled from the book's cells that their exercises *refuse*. This file holds the
other side: the exercises a paste within five lines of glue still passes, each with that
paste. The test runs every one of them, so the list is what the book is now, not what it
was: a paste that stops passing (its exercise was reworked) fails here until it is moved
to its chapter's refused pastes. Their points must stay within a tenth of the book's.
"""

# The glue is held to five lines, so a paste packs into one line what a student would: E501 off.
# ruff: noqa: E501

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mutants import CHAPTERS, parts, verdict
from pastes import GLUE_LINES, Paste, glue_lines, pasted, reader_answer

READERS = Path(__file__).parent / "fixtures" / "reader_pastes"

SHARE = 0.10  # DESIGN.md: at most 10% of all graded points copyable

# check id -> the paste that passes: a Paste (cells by phrase, then the glue), or a reader's
# file where a book cell is edited in place (the file marks each edited line and its glue).
COPYABLE = {
    # Round 6 (independent reader, student release only): an offline search over the 32
    # ways to split each kr axis into (k, r) or (r, k) and flip the four split axes, each
    # candidate checked against the book's own cells (ch03 trans_conv summed over channels
    # and cropped, against ch06 conv2d then ch03 pixel_shuffle); the winner is pasted. A
    # mechanical search, so the exercise counts as copyable (2 points since: a rearrangement
    # a search finds is a smaller idea than Exercise 3's projection, now 3).
    "ch03.transposed_as_subpixel": Paste(
        "the expression an offline search over reshape/flip candidates found (round 6)", (),
        """def transposed_as_subpixel(weight, upscale_factor):
    k = weight.shape[2] // upscale_factor
    return np.flip(weight.reshape(*weight.shape[:2], k, upscale_factor, k, upscale_factor), (2, 4)).transpose(1, 3, 5, 0, 2, 4).reshape(-1, weight.shape[0], k, k)
""", "transposed_as_subpixel"),
    # The chapter's one transcription exercise (1 point): chapter 09's conv_forward (groups,
    # padding, bias) with one line edited to keep every stride-th window.
    "ch05.depthwise_conv2d": READERS / "round6" / "05_depthwise_conv2d.py",
    # Likewise chapter 06's (1 point since round 6): conv_forward's window view edited for
    # stride and dilation. A layer's forward pass, once a later chapter vectorises it, is a
    # transcription: these two are worth a point each, the ideas the rest.
    "ch06.grouped_conv2d": READERS / "round6" / "06_grouped_conv2d.py",
    # And chapter 07's (1 point since round 6): the input gradient is chapter 03's `spread`
    # (cell 11, verbatim) of each tap's product, shifted by (d a, d b) and cropped by p, the
    # scatter this chapter displays: one comprehension. (Round 10 found the chapter's two other
    # exercises of then, input_reached and transposed_grad_weight, copyable too: tap
    # combinations enumerated, the displayed dW with x and dY exchanged. They were replaced by
    # trained_taps and per_example_grad_norms, whose pastes test_pastes_07 refuses.)
    "ch07.grad_input": READERS / "round6" / "grad_input.py",
    # Round 11 (two readers, release only, both the same route): the squared norm written as
    # the displayed dW formula twice in one einsum, "noij,ncijab,nokl,ncklab->n", with
    # optimize=True: numpy's contraction-order search finds the Gram order itself, so the
    # identity is never written. Any quantity that is one contraction falls to that search,
    # so the exercise's idea (the order of the sums) is mechanical: 2 points, not 3 (the point
    # went to trained_taps, whose two-regime count both readers could only derive).
    "ch07.per_example_grad_norms": READERS / "round11" / "07_backward" / "per_example_grad_norms.py",
}

_CHECK_CALL = re.compile(r'check\("(ch\d\d\.[a-z0-9_]+)"')


def graded_points() -> dict[str, tuple[str, int]]:
    """check id -> (grade id, points) of the graded cell that calls it: a cell grading several
    checks is named by each, and the share below counts each cell once by its grade id."""
    points = {}
    for path in sorted(CHAPTERS.glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and meta.get("points"):
                for check_id in _CHECK_CALL.findall("".join(cell["source"])):
                    points[check_id] = (meta["grade_id"], meta["points"])
    return points


def _function(check_id: str):
    """The function the listed paste defines (warnings of the book's cells silenced)."""
    paste = COPYABLE[check_id]
    if isinstance(paste, Paste):
        assert glue_lines(paste.glue) <= GLUE_LINES, paste.what
        return pasted(paste, chapter=check_id[2:4])
    return reader_answer(paste, check_id.split(".")[1])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # nanmean of a row with no known tap yet
@pytest.mark.parametrize("check_id", sorted(COPYABLE))
def test_each_listed_paste_still_passes_within_five_lines(check_id):
    fn = _function(check_id)
    for seed in (None, 1, 2):
        complaints = [c for part in parts(check_id) if (c := verdict(part, fn, seed)) is not None]
        assert not complaints, (f"{check_id} now refuses its listed paste (seed {seed}): "
                                f"move it to the chapter's refused pastes", complaints)


def test_the_copyable_points_are_at_most_a_tenth_of_the_book():
    points = graded_points()
    cells = {cell: value for cell, value in points.values()}
    copyable = {points[part] for check_id in COPYABLE for part in parts(check_id)}
    share = sum(value for _, value in copyable) / sum(cells.values())
    assert sum(cells.values()) >= 80  # the whole book was read (89 points in nine chapters)
    assert share <= SHARE, (sorted(copyable), f"{share:.1%}")
