"""Chapter 01 (convolution): every formula and number in its text, checked with `solutions`.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from single_channel import corr

import solutions as S

X3 = np.arange(9.0).reshape(3, 3)
K2 = np.array([[0.0, 1.0], [2.0, 3.0]])


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
