"""pixel_shuffle and pixel_unshuffle against torch.nn.functional (the oracle), and their
bad-argument messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import solutions as S


@pytest.mark.parametrize("seed", range(40))
def test_pixel_shuffle_and_unshuffle_match_torch(seed):
    rng = np.random.default_rng(seed)
    r = int(rng.integers(1, 5))
    batch = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(0, 3))))
    c, h, w = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    dtype = [np.float64, np.float32, np.int64][seed % 3]
    x = rng.standard_normal((*batch, c * r * r, h, w)).astype(dtype) * 5
    y = S.pixel_shuffle(x, r)
    expected = F.pixel_shuffle(torch.from_numpy(x), r).numpy()
    assert y.dtype == x.dtype and y.shape == expected.shape
    np.testing.assert_array_equal(y, expected)
    back = S.pixel_unshuffle(y, r)
    np.testing.assert_array_equal(back, F.pixel_unshuffle(torch.from_numpy(y), r).numpy())
    np.testing.assert_array_equal(back, x)


def test_the_cell_rule():
    """Channel c r^2 + i r + j of cell (h, w) lands at (h r + i, w r + j) of channel c."""
    x = np.arange(2 * 9 * 2 * 3).reshape(2 * 9, 2, 3)
    y = S.pixel_shuffle(x, 3)
    for c in range(2):
        for i in range(3):
            for j in range(3):
                np.testing.assert_array_equal(y[c, i::3, j::3], x[c * 9 + i * 3 + j])


BAD = [
    (lambda: S.pixel_shuffle(np.zeros((1, 6, 2, 2)), 2), ValueError,
     "divisible by upscale_factor"),
    (lambda: S.pixel_shuffle(np.zeros((4, 2)), 2), ValueError, "at least 3 dimensions"),
    (lambda: S.pixel_shuffle(np.zeros((1, 4, 2, 2)), 0), ValueError,
     "upscale_factor must be positive"),
    (lambda: S.pixel_shuffle(np.zeros((1, 4, 2, 2)), 2.0), TypeError,
     "upscale_factor must be an int"),
    (lambda: S.pixel_shuffle([[[1.0]]], 1), TypeError, "input must be a numpy array"),
    (lambda: S.pixel_unshuffle(np.zeros((1, 1, 4, 3)), 2), ValueError,
     "downscale_factor=2 must divide"),
    (lambda: S.pixel_unshuffle(np.zeros((1, 1, 4, 4)), -1), ValueError,
     "downscale_factor must be positive"),
    (lambda: S.pixel_unshuffle(np.zeros((1, 1, 4, 4)), True), TypeError,
     "downscale_factor must be an int"),
]


@pytest.mark.parametrize(("call", "error", "words"), BAD)
def test_bad_arguments_name_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
