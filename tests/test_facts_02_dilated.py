"""Chapter 02 (dilated): every formula and number in its text, checked with `solutions`.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import numpy as np
import pytest
from single_channel import corr

import solutions as S

X5 = np.arange(25.0).reshape(5, 5)
KD = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_ch02_worked_example_and_zero_filled_kernel():
    """Section "Spreading the kernel": 1·0 + 2·2 + 3·10 + 4·12 = 82; a 3x3 output."""
    assert 1 * 0 + 2 * 2 + 3 * 10 + 4 * 12 == 82
    y = corr(X5, KD, dilation=2)
    np.testing.assert_array_equal(y, [[82, 92, 102], [132, 142, 152], [182, 192, 202]])
    holes = np.array([[1.0, 0, 2], [0, 0, 0], [3, 0, 4]])
    np.testing.assert_array_equal(S.dilate_kernel(KD, 2), holes)
    np.testing.assert_array_equal(corr(X5, holes), y)


@pytest.mark.parametrize("k", range(1, 7))
@pytest.mark.parametrize("d", range(1, 6))
def test_ch02_effective_kernel_size_two_forms(k, d):
    assert S.effective_kernel_size(k, d) == d * (k - 1) + 1 == k + (k - 1) * (d - 1)
    assert S.dilate_kernel(np.ones((k, k)), d).shape == (d * (k - 1) + 1,) * 2


def test_ch02_effective_size_examples_and_same_padding():
    assert [S.effective_kernel_size(3, d) for d in (1, 2, 4)] == [3, 5, 9]
    for d, p in ((2, 2), (4, 4)):
        assert p == d * (3 - 1) // 2
        assert S.conv_output_size(17, 3, 1, p, d) == 17
    assert S.conv_output_size(9, 3, dilation=3) == 3  # exercise 3's literal check
    for n, k, s, p, d in [(7, 3, 1, 2, 2), (20, 3, 2, 1, 3), (11, 5, 3, 0, 2)]:
        assert S.conv_output_size(n, k, s, p, d) == (n + 2 * p - d * (k - 1) - 1) // s + 1


def test_ch02_dilation_spreads_taps_not_windows():
    """Consecutive windows start one cell apart: dilation is not stride."""
    assert not np.array_equal(corr(X5, KD, dilation=2), corr(X5, KD, stride=2))
    assert corr(X5, KD, dilation=2).shape != corr(X5, KD, stride=2).shape


def test_ch02_receptive_fields():
    """Section "Receptive field": 7 and 15; 2^(L+1) - 1 vs 2L + 1; WaveNet's 1,024."""
    assert S.receptive_field([3, 3, 3]) == 1 + 2 + 2 + 2 == 7
    assert S.receptive_field([3, 3, 3], dilations=[1, 2, 4]) == 1 + 2 + 4 + 8 == 15
    for layers in range(1, 11):
        assert S.receptive_field([3] * layers) == 2 * layers + 1
        assert S.receptive_field([3] * layers,
                                 dilations=[2**i for i in range(layers)]) == 2**(layers + 1) - 1
    assert (S.receptive_field([3] * 10), S.receptive_field(
        [3] * 10, dilations=[2**i for i in range(10)])) == (21, 2047)
    assert S.receptive_field([2] * 10, dilations=[2**i for i in range(10)]) == 1024


def _footprint(dilations, size=33):
    """Which input pixels reach the centre output of a 'same'-padded stack of 3x3 layers."""
    reach = np.zeros((size, size), bool)
    rng = np.random.default_rng(3)
    ws = [rng.random((1, 1, 3, 3)) + 0.5 for _ in dilations]
    for i in range(size):
        probe = np.zeros((1, 1, size, size))
        probe[0, 0, i, size // 2] = 1.0
        out = probe
        for w, d in zip(ws, dilations):
            out = S.conv2d(out, w, padding=d, dilation=d)
        reach[i, size // 2] = out[0, 0, size // 2, size // 2] != 0
    return reach[:, size // 2]


def test_ch02_gridding_footprints():
    """Section "gridding": (2, 2, 2) reaches 7 of 13 offsets per axis (49 of 169), (1, 2, 3) all."""
    lattice = _footprint((2, 2, 2))
    assert lattice.sum() == 7 and np.ptp(np.flatnonzero(lattice)) + 1 == 13
    assert lattice.sum() ** 2 == 49
    dense = _footprint((1, 2, 3))
    assert dense.sum() == 13 and np.ptp(np.flatnonzero(dense)) + 1 == 13


def test_ch02_aspp_spans_and_cost():
    """Sections "Atrous pyramids" and "What dilation costs"."""
    assert [S.effective_kernel_size(3, d) for d in (1, 6, 12, 18)] == [3, 13, 25, 37]
    for d in (1, 6, 12, 18):
        assert S.conv_output_size(65, 3, 1, d, d) == 65
    assert S.conv_macs(1, 1, 3, 1) == 9 and S.conv_macs(1, 1, 5, 1) == 25
    assert round(9 / 25 * 100) == 36
    # A dilated kernel reads k*k taps per output, like the undilated one: same MACs.
    x = np.zeros((1, 20, 20))
    assert S.im2col(x, 3, dilation=2).shape[0] == S.im2col(x, 3).shape[0] == 9


def test_ch02_two_dilated_layers_are_one_dilated_layer_with_the_full_convolution_kernel():
    """Further exercise 3: stacking two 3x3 d=2 layers = one 5x5 d=2 layer."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    x = rng.standard_normal((15, 15))
    full = corr(np.pad(a, 2), b[::-1, ::-1])  # full 2-D convolution of a and b: 5 x 5
    np.testing.assert_allclose(corr(corr(x, a, dilation=2), b, dilation=2),
                               corr(x, full, dilation=2), atol=1e-10)
