"""Every formula and number stated in the chapters' text, checked against `solutions`.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import solutions as S


def corr(x, k, **kwargs):
    """Single-channel 2-D helper on top of the reference conv2d."""
    return S.conv2d(np.asarray(x, float)[None, None], np.asarray(k, float)[None, None],
                    **kwargs)[0, 0]


X3 = np.arange(9.0).reshape(3, 3)
K2 = np.array([[0.0, 1.0], [2.0, 3.0]])


# ---- 01_convolution ------------------------------------------------------------------------

def test_ch01_sliding_kernel_worked_example():
    """Section "Sliding a kernel": 0·0+1·1+3·2+4·3 = 19, then 25, 37, 43; size n-k+1."""
    assert 0 * 0 + 1 * 1 + 3 * 2 + 4 * 3 == 19
    assert 1 * 0 + 2 * 1 + 4 * 2 + 5 * 3 == 25
    assert 3 * 0 + 4 * 1 + 6 * 2 + 7 * 3 == 37
    assert 4 * 0 + 5 * 1 + 7 * 2 + 8 * 3 == 43
    np.testing.assert_array_equal(corr(X3, K2), [[19, 25], [37, 43]])


def test_ch01_convolution_is_correlation_with_flipped_kernel():
    """Section "Convolution or cross-correlation?": true convolution flips the kernel."""
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    true_conv = np.array([[np.sum(x[i:i + 3, j:j + 2] * k[::-1, ::-1]) for j in range(6)]
                          for i in range(4)])
    np.testing.assert_allclose(corr(x, k[::-1, ::-1]), true_conv, atol=1e-12)
    assert not np.allclose(corr(x, k), true_conv)


@pytest.mark.parametrize("n, k, s, p", [(n, k, s, p) for n in range(1, 12) for k in range(1, 6)
                                        for s in (1, 2, 3) for p in range(3) if k <= n + 2 * p])
def test_ch01_output_size_formula(n, k, s, p):
    """Section "Output size": o = floor((n + 2p - k)/s) + 1, windows at 0, s, 2s, ..."""
    starts = [t for t in range(0, n + 2 * p) if t % s == 0 and t + k <= n + 2 * p]
    assert S.conv_output_size(n, k, s, p) == len(starts) == (n + 2 * p - k) // s + 1


def test_ch01_output_size_worked_example_and_padding_table():
    assert S.conv_output_size(5, 3, 2, 1) == 3  # positions 0, 2, 4
    assert S.conv_output_size(224, 7, 2, 3) == 112  # ResNet's first layer (exercise 1)
    for n in range(3, 12):
        for k in range(1, 4):
            assert S.conv_output_size(n, k, padding="valid") == n - k + 1
            assert S.conv_output_size(n, k, padding=k - 1) == n + k - 1  # full
            if k % 2:
                assert S.conv_output_size(n, k, padding=(k - 1) // 2) == n  # same
            assert S.conv_output_size(n, k, padding="same") == n


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
def test_ch01_same_padding_even_kernel_extra_zero_bottom_right_and_no_stride():
    x = np.random.default_rng(1).standard_normal((1, 1, 6, 6))
    w = np.random.default_rng(2).standard_normal((1, 1, 4, 4))
    ours = S.conv2d(x, w, padding="same")
    explicit = S.conv2d(np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 2))), w)
    np.testing.assert_allclose(ours, explicit, atol=1e-12)
    np.testing.assert_allclose(ours, F.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                              padding="same").numpy(), atol=1e-12)
    with pytest.raises(RuntimeError):
        F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="same", stride=2)
    with pytest.raises(ValueError):
        S.conv2d(x, w, padding="same", stride=2)


def test_ch01_strided_output_is_every_sth_stride1_output():
    """Section "Output size": the stride-s windows are a subset of the stride-1 windows."""
    x = np.arange(25.0).reshape(5, 5)
    padded = np.pad(x, 1)
    np.testing.assert_array_equal(corr(padded, np.ones((3, 3)))[::2, ::2],
                                  corr(x, np.ones((3, 3)), stride=2, padding=1))
    np.testing.assert_array_equal(corr(x, np.ones((3, 3)), stride=2, padding=1),
                                  [[12, 27, 24], [63, 108, 81], [72, 117, 84]])


def test_ch01_channels_worked_example():
    """Section "Channels": 19 + 37 = 56; the output [[56, 72], [104, 120]]."""
    x = np.stack([X3, np.arange(1.0, 10.0).reshape(3, 3)])
    w = np.stack([K2, np.array([[1.0, 2.0], [3.0, 4.0]])])[None]
    assert 1 * 1 + 2 * 2 + 4 * 3 + 5 * 4 == 37
    np.testing.assert_array_equal(S.conv2d(x, w)[0], [[56, 72], [104, 120]])
    np.testing.assert_array_equal(S.conv2d(x, w, np.array([1.0]))[0], [[57, 73], [105, 121]])


def test_ch01_layer_cost_numbers():
    """Section "What a layer costs": 432 weights / 448 parameters; 73,856 and 231,211,008."""
    assert S.conv_params(3, 16, 3, bias=False) == 432
    assert S.conv_params(3, 16, 3) == 448
    assert S.conv_params(64, 128, 3) == 73_856
    assert S.conv_macs(64, 128, 3, 56) == 231_211_008
    assert S.conv_macs(3, 16, 3, 1) == 432
    # "Doubling the kernel size from 3 to 6 makes both four times larger."
    assert S.conv_params(64, 128, 6, bias=False) == 4 * S.conv_params(64, 128, 3, bias=False)
    assert S.conv_macs(64, 128, 6, 56) == 4 * S.conv_macs(64, 128, 3, 56)


def test_ch01_im2col_matrix_of_the_text():
    """Section "im2col": the 4x4 column matrix and vec(K)^T X_col = [19, 25, 37, 43]."""
    cols = S.im2col(X3[None], 2)
    np.testing.assert_array_equal(cols, [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])
    np.testing.assert_array_equal(K2.reshape(-1) @ cols, [19, 25, 37, 43])
    # "each input value is copied into up to k_h k_w columns"
    big = S.im2col(np.arange(49.0).reshape(1, 7, 7), 3)
    counts = np.bincount(big.astype(int).ravel())
    assert counts.max() == 9


def test_ch01_visible_check_literals():
    """The literal expectations of the exercise check cells."""
    ones = np.ones((1, 1, 4, 4))
    np.testing.assert_array_equal(S.conv2d(ones, np.ones((1, 1, 3, 3)), padding=1)[0, 0],
                                  [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])
    assert S.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=2).shape[-2:] == (2, 2)
    assert S.im2col(np.arange(12.0).reshape(1, 3, 4), (1, 2)).shape == (2, 9)


# ---- 02_dilated ----------------------------------------------------------------------------

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
