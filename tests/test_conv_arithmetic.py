"""Every relationship of Dumoulin & Visin, *A guide to convolution arithmetic* (2016).

Sizes are checked with our helpers; the transposed relationships are also
checked numerically: a transposed convolution equals a direct (stride-1)
convolution of the zero-inserted, padded input with the flipped kernel, which
is the guide's central construction.
"""

from __future__ import annotations

import numpy as np
import pytest

import solutions
from solutions import conv_output_size as out
from solutions import conv_transpose_output_size as out_t

SIZES = [(i, k) for i in range(1, 12) for k in range(1, 6) if k <= i]


@pytest.mark.parametrize("i, k", SIZES)
def test_relationships_1_to_4_unit_strides(i, k):
    assert out(i, k) == i - k + 1  # 1: no padding
    for p in range(4):
        assert out(i, k, padding=p) == i - k + 2 * p + 1  # 2: zero padding
    if k % 2:
        assert out(i, k, padding=k // 2) == i  # 3: half (same) padding
    assert out(i, k, padding=k - 1) == i + k - 1  # 4: full padding


@pytest.mark.parametrize("i, k", SIZES)
@pytest.mark.parametrize("s", [1, 2, 3])
def test_relationships_5_6_and_15_strides_and_dilation(i, k, s):
    assert out(i, k, s) == (i - k) // s + 1  # 5
    for p in range(3):
        assert out(i, k, s, p) == (i + 2 * p - k) // s + 1  # 6
        for d in (1, 2, 3):
            if i + 2 * p >= k + (k - 1) * (d - 1):
                assert out(i, k, s, p, d) == (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1  # 15


def _transposed_as_direct(y, w, s, p, op):
    """Relationships 8-14: insert s-1 zeros, pad k-p-1 (+op at the end), flip, stride 1."""
    k = w.shape[-1]
    spread = solutions.insert_zeros(y, s - 1)
    q = k - p - 1
    padded = np.pad(spread, ((0, 0), (q, q + op), (q, q + op)))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()
    return solutions.conv2d(padded, flipped)


@pytest.mark.parametrize("i, k", [(i, k) for i, k in SIZES if i <= 8])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_relationships_8_to_14_transposed(i, k, s):
    rng = np.random.default_rng(i * 100 + k * 10 + s)
    w = rng.standard_normal((1, 2, k, k))
    for p in range(k):  # p <= k - 1 keeps the direct-conv padding k - p - 1 non-negative
        if i + 2 * p < k:
            continue
        o = out(i, k, s, p)
        a = (i + 2 * p - k) % s  # 14: the remainder output_padding restores
        assert out_t(o, k, s, p, output_padding=a) == i
        if s == 1:
            assert out_t(o, k, 1, p) == o + (k - 1) - 2 * p  # 8 (p = 0), 9
            if p == 0:
                assert out_t(o, k) == o + k - 1  # 8
            if k % 2 and p == k // 2:
                assert out_t(o, k, 1, p) == o  # 10: half padding
            if p == k - 1:
                assert out_t(o, k, 1, p) == o - (k - 1)  # 11: full padding
        else:
            assert out_t(o, k, s, p, output_padding=a) == s * (o - 1) + a + k - 2 * p  # 12-14
        y = rng.standard_normal((1, o, o))
        np.testing.assert_allclose(
            solutions.conv_transpose2d(y, w, stride=s, padding=p, output_padding=a),
            _transposed_as_direct(y, w, s, p, a), atol=1e-12)


def test_several_input_sizes_map_to_one_output_size():
    """Strided conv rounds down, so s inputs share one output size; output_padding picks one."""
    assert {out(n, 3, 2, 1) for n in (7, 8)} == {4}
    assert [out_t(4, 3, 2, 1, output_padding=a) for a in (0, 1)] == [7, 8]
