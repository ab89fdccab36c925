"""The shared mistake builders compute exactly the slip they name."""

from __future__ import annotations

import numpy as np

from autograder.checks.common_mistakes import flipped_kernel, ignored, integer_cast, with_argument


def _layer(x, w, stride, padding):
    """A tiny stand-in reference: records the arguments it was called with."""
    return np.asarray(x, dtype=float).sum() * 0 + np.array([w.sum(), w[0, 0], stride, padding])


def test_a_setting_left_out_is_the_reference_at_its_neutral_value():
    x, w = np.ones((2, 2), dtype=np.int64), np.arange(4.0).reshape(2, 2)
    assert ignored("stride", _layer, 2, "advice").name == "stride ignored"
    assert list(ignored("stride", _layer, 2, "advice").answer(x, w, 3, 2)) == [6, 0, 1, 2]
    assert list(ignored("padding", _layer, 3, "a", neutral=0).answer(x, w, 3, 2)) == [6, 0, 3, 0]
    assert list(with_argument(_layer, 3, 5)(x, w, 3, 2)) == [6, 0, 3, 5]


def test_the_flipped_kernel_is_rotated_by_half_a_turn_and_the_cast_takes_the_input_dtype():
    x, w = np.ones((2, 2), dtype=np.int64), np.arange(4.0).reshape(2, 2)
    assert list(flipped_kernel(_layer).answer(x, w, 1, 0)) == [6, 3, 1, 0]
    cast = integer_cast(lambda x, w: np.asarray(x) * 0.5 + w)
    assert cast.answer(x, 0.25).dtype == np.int64
    assert cast.name == "result cast to the input's integer dtype"
