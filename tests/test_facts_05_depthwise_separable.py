"""Chapter 05 (depthwise separable): every formula and number in its text, checked with
`solutions` and torch.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pytorch_box import run_pytorch_box
from single_channel import corr

import solutions as S
from convlab.channel_frames import _depthwise_values, _pointwise_values

# The numbers of the depthwise animation and its worked example
X = np.stack([(np.arange(16) + 3 * c) % 10 for c in range(3)]).reshape(3, 4, 4).astype(float)
K = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[1, 1], [0, 1]]], dtype=float)
# ... and of the pointwise animation
X_PW = (np.arange(27) % 7).reshape(3, 3, 3).astype(float)
W_PW = np.array([[1.0, 0.0, 2.0], [1.0, -1.0, 0.0]])


def _torch(fn, *arrays, **kwargs):
    return fn(*(None if a is None else torch.from_numpy(a) for a in arrays), **kwargs).numpy()


def test_ch05_depthwise_worked_example():
    """Section "Depthwise convolution": 0·1+1·0+4·0+5·1 = 5, then 11 and 14; no channel sum."""
    assert 0 * 1 + 1 * 0 + 4 * 0 + 5 * 1 == 5
    assert 3 * 0 + 4 * 1 + 7 * 1 + 8 * 0 == 11
    assert 6 * 1 + 7 * 1 + 0 * 0 + 1 * 1 == 14
    y = S.depthwise_conv2d(X, K[:, None])
    np.testing.assert_array_equal(y[:, 0, 0], [5, 11, 14])
    for c in range(3):  # output channel c is input channel c with kernel c, nothing else
        np.testing.assert_array_equal(y[c], corr(X[c], K[c]))
    # the animation shows exactly these numbers when given them (the book passes them)
    x_default, k_default = _depthwise_values(True, 3, 4, 2)
    np.testing.assert_array_equal(x_default, X)
    np.testing.assert_array_equal(k_default, K)


@pytest.mark.parametrize("c, m", [(1, 1), (3, 1), (3, 2), (4, 3)])
def test_ch05_depthwise_is_groups_equal_channels_with_multiplier(c, m):
    """Section "Channel multiplier": weight (mC, 1, k, k), output o reads channel o // m."""
    rng = np.random.default_rng(c * 10 + m)
    x = rng.standard_normal((c, 7, 6))
    w = rng.standard_normal((c * m, 1, 3, 3))
    bias = rng.standard_normal(c * m)
    ours = S.depthwise_conv2d(x, w, bias, padding=1)
    np.testing.assert_allclose(ours, _torch(F.conv2d, x, w, bias, padding=1, groups=c),
                               atol=1e-12)
    for o in range(c * m):
        np.testing.assert_allclose(ours[o], corr(x[o // m], w[o, 0], padding=1) + bias[o],
                                   atol=1e-12)
    # The dense weight that is zero except at W[o, o // m] computes the same.
    dense = np.zeros((c * m, c, 3, 3))
    for o in range(c * m):
        dense[o, o // m] = w[o, 0]
    np.testing.assert_allclose(S.conv2d(x, dense, bias, padding=1), ours, atol=1e-12)
    # m*C*k^2 weights (+ m*C biases); the dense weight has C times as many entries
    assert S.conv_params(c, c * m, 3, groups=c, bias=False) == m * c * 9 == w.size
    assert S.conv_params(c, c * m, 3, groups=c) == m * c * 9 + m * c
    assert dense.size == c * w.size
    # ... and the dense route costs C times the multiply-adds
    assert S.conv_macs(c, c * m, 3, 5) == c * S.conv_macs(c, c * m, 3, 5, groups=c)


def test_ch05_pointwise_worked_example_and_matrix_form():
    """Section "Pointwise": pixel (1, 1) has (4, 6, 1); outputs 1·4+0·6+2·1 = 6 and -2."""
    assert X_PW[:, 1, 1].tolist() == [4, 6, 1]
    assert 1 * 4 + 0 * 6 + 2 * 1 == 6 and 1 * 4 - 1 * 6 + 0 * 1 == -2
    y = S.pointwise_conv2d(X_PW, W_PW)
    np.testing.assert_array_equal(y[:, 1, 1], [6, -2])
    np.testing.assert_allclose(y, (W_PW @ X_PW.reshape(3, -1)).reshape(2, 3, 3))
    np.testing.assert_allclose(y, np.einsum("oc,chw->ohw", W_PW, X_PW))
    np.testing.assert_allclose(y, _torch(F.conv2d, X_PW, W_PW[:, :, None, None]), atol=1e-12)
    x_default, w_default = _pointwise_values(True, 3, 2, 3)
    np.testing.assert_array_equal(x_default, X_PW)
    np.testing.assert_array_equal(w_default, W_PW)


def test_ch05_pointwise_costs():
    """Section "Pointwise": C_out·C_in weights + C_out biases; C_out·C_in MACs per pixel."""
    for c_in, c_out in [(3, 2), (32, 64), (512, 1024)]:
        assert S.conv_params(c_in, c_out, 1) == c_out * c_in + c_out
        assert S.conv_macs(c_in, c_out, 1, 1) == c_out * c_in
        assert S.conv_macs(c_in, c_out, 1, (7, 9)) == c_out * c_in * 63


def test_ch05_block_linear_part_is_a_standard_conv_with_factorised_weight():
    """Section "The depthwise separable block": W[o, c] = P[o, c] K[c]; each W[:, c] rank 1."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8, 8))
    k_dw = rng.standard_normal((4, 3, 3))
    p = rng.standard_normal((6, 4))
    linear = S.depthwise_separable_conv2d(x, k_dw[:, None], p, padding=1)
    w_eff = p[:, :, None, None] * k_dw[None]
    np.testing.assert_allclose(linear, _torch(F.conv2d, x, w_eff, padding=1), atol=1e-12)
    for c in range(4):
        assert np.linalg.matrix_rank(w_eff[:, c].reshape(6, 9)) == 1
    # The block with ReLUs keeps the 8x8 size with one zero of padding (3x3 kernels).
    block = np.maximum(S.pointwise_conv2d(np.maximum(S.depthwise_conv2d(x, k_dw[:, None],
                                                                        padding=1), 0), p), 0)
    assert block.shape == (6, 8, 8)


def test_ch05_batch_norm_folds_into_the_convolution_before_it():
    """Section "The depthwise separable block": at inference BN is a per-channel scale and
    shift that folds into the preceding convolution's weight and bias."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 5, 9, 9))
    w = rng.standard_normal((5, 1, 3, 3))
    bn = torch.nn.BatchNorm2d(5).double().eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.from_numpy(rng.standard_normal(5)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2, 5)))
        bn.weight.copy_(torch.from_numpy(rng.standard_normal(5)))
        bn.bias.copy_(torch.from_numpy(rng.standard_normal(5)))
        expected = bn(F.conv2d(torch.from_numpy(x), torch.from_numpy(w), groups=5)).numpy()
    gamma, beta = bn.weight.detach().numpy(), bn.bias.detach().numpy()
    mean, var = bn.running_mean.numpy(), bn.running_var.numpy()
    scale = gamma / np.sqrt(var + bn.eps)
    folded = S.depthwise_conv2d(x, w * scale[:, None, None, None], beta - scale * mean)
    np.testing.assert_allclose(folded, expected, atol=1e-10)


def test_ch05_real_image_luma_and_order_of_linear_steps():
    """Section "On a real image": RGB->grey is a 1x1 conv with (0.299, 0.587, 0.114); with the
    same depthwise kernel on every channel, depthwise-then-pointwise = filter of the grey image."""
    rng = np.random.default_rng(3)
    rgb = rng.uniform(size=(3, 20, 20))
    luma = np.array([[0.299, 0.587, 0.114]])
    assert np.isclose(luma.sum(), 1.0)  # grey stays grey: the weights sum to 1
    sobel = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
    mixed = S.depthwise_separable_conv2d(rgb, np.stack([sobel] * 3)[:, None], luma)
    grey = S.pointwise_conv2d(rgb, luma)
    np.testing.assert_allclose(mixed, S.conv2d(grey, sobel[None, None]), atol=1e-12)
    # with different kernels per channel the order matters
    kernels = rng.standard_normal((3, 1, 3, 3))
    assert not np.allclose(S.depthwise_separable_conv2d(rgb, kernels, luma),
                           S.conv2d(grey, kernels[:1]))


@pytest.mark.parametrize("c_in, c_out, k, hw", [(3, 2, 2, (3, 3)), (32, 64, 3, (112, 112)),
                                                (256, 256, 3, (14, 14)), (17, 5, 7, (9, 4)),
                                                (512, 1024, 5, (7, 7))])
def test_ch05_cost_derivation(c_in, c_out, k, hw):
    """Section "What it costs": the three MAC counts and their ratio 1/C_out + 1/k^2."""
    h, w = hw
    standard = S.conv_macs(c_in, c_out, k, hw)
    depthwise = S.conv_macs(c_in, c_in, k, hw, groups=c_in)
    pointwise = S.conv_macs(c_in, c_out, 1, hw)
    assert standard == k * k * c_in * c_out * h * w
    assert depthwise == k * k * c_in * h * w
    assert pointwise == c_in * c_out * h * w
    ratio = (depthwise + pointwise) / standard
    assert np.isclose(ratio, 1 / c_out + 1 / k**2)
    assert np.isclose(ratio, S.depthwise_separable_cost_ratio(c_out, k))
    # weights without bias: the same ratio
    weights = (S.conv_params(c_in, c_in, k, groups=c_in, bias=False)
               + S.conv_params(c_in, c_out, 1, bias=False))
    assert np.isclose(weights / S.conv_params(c_in, c_out, k, bias=False), ratio)
    # biases: C_out for the standard layer, C_in + C_out for the pair
    assert S.conv_params(c_in, c_out, k) - S.conv_params(c_in, c_out, k, bias=False) == c_out
    assert (S.conv_params(c_in, c_in, k, groups=c_in) + S.conv_params(c_in, c_out, 1)
            - weights) == c_in + c_out


def test_ch05_cost_numbers():
    """Section "What it costs": >1/9 for k=3; 0.115 (8.7x) at 256, 0.127 (7.9x) at 64,
    0.112 (8.9x) at 1024; 8 to 9 times for C_out >= 128; 589,824 / 590,080 vs 67,840 / 68,352."""
    for c_out in range(1, 2049):
        assert S.depthwise_separable_cost_ratio(c_out, 3) > 1 / 9
    for c_out, ratio, speedup in [(256, 0.115, 8.7), (64, 0.127, 7.9), (1024, 0.112, 8.9)]:
        r = S.depthwise_separable_cost_ratio(c_out, 3)
        assert round(r, 3) == ratio and round(1 / r, 1) == speedup
    assert np.isclose(1 / 256 + 1 / 9, 0.1150, atol=5e-5)
    for c_out in (128, 256, 512, 1024):
        assert 8 < 1 / S.depthwise_separable_cost_ratio(c_out, 3) < 9
    assert S.conv_params(256, 256, 3, bias=False) == 589_824
    assert S.conv_params(256, 256, 3) == 590_080
    assert 9 * 256 == 2_304 and 256 * 256 == 65_536 and 2_304 + 65_536 == 67_840
    assert S.conv_params(256, 256, 3, groups=256) + S.conv_params(256, 256, 1) == 68_352


def _mobilenet():
    """(weights, MACs) of MobileNet 1.0-224 as standard and as separable, and the 1x1 share."""
    blocks = ([(32, 64, 112), (64, 128, 56), (128, 128, 56), (128, 256, 28), (256, 256, 28),
               (256, 512, 14)] + [(512, 512, 14)] * 5 + [(512, 1024, 7), (1024, 1024, 7)])
    first = np.array([S.conv_params(3, 32, 3, bias=False), S.conv_macs(3, 32, 3, 112)])
    head = np.array([1024 * 1000 + 1000, 1024 * 1000])
    standard, separable, pointwise = first + head, first + head, np.zeros(2)
    for c_in, c_out, size in blocks:
        dw = np.array([S.conv_params(c_in, c_in, 3, groups=c_in, bias=False),
                       S.conv_macs(c_in, c_in, 3, size, groups=c_in)])
        pw = np.array([S.conv_params(c_in, c_out, 1, bias=False), S.conv_macs(c_in, c_out, 1,
                                                                              size)])
        standard = standard + [S.conv_params(c_in, c_out, 3, bias=False),
                               S.conv_macs(c_in, c_out, 3, size)]
        separable, pointwise = separable + dw + pw, pointwise + pw
    return len(blocks), standard, separable, pointwise


def test_ch05_mobilenet_table():
    """Section "What it costs": 13 blocks; 569 M MACs and 4.2 M parameters; standard version
    29.3 M parameters and 4,867 M MACs (paper: 4,866 M); 1x1 share about 95% and 75%."""
    count, standard, separable, pointwise = _mobilenet()
    assert count == 13
    assert round(separable[1] / 1e6) == 569 and round(separable[0] / 1e6, 1) == 4.2
    assert round(standard[0] / 1e6, 1) == 29.3 and round(standard[1] / 1e6) == 4_867
    assert abs(standard[1] / 1e6 - 4_866) < 2
    assert round(pointwise[1] / separable[1], 2) == 0.95
    assert round(pointwise[0] / separable[0], 2) == 0.75
    # the paper's Table 2 gives the 1x1 layers 94.86% of the Mult-Adds and 74.59% of the
    # parameters; the recount agrees to the hundredth of a percent on the Mult-Adds and within
    # 0.05 points on the parameters (rounding of the paper's own count)
    assert round(100 * pointwise[1] / separable[1], 2) == 94.86
    assert abs(100 * pointwise[0] / separable[0] - 74.59) < 0.05


def test_ch05_spatially_separable_depthwise_costs_2k():
    """Section "Depthwise separable is not spatially separable": a rank-1 depthwise kernel
    is a k x 1 then a 1 x k pass: 2k instead of k^2 multiply-adds per pixel and channel."""
    rng = np.random.default_rng(4)
    col, row = rng.standard_normal(5), rng.standard_normal(5)
    x = rng.standard_normal((3, 12, 12))
    np.testing.assert_allclose(S.spatially_separable_conv2d(x, col, row),
                               S.conv2d(x, np.tile(np.outer(col, row), (3, 1, 1, 1)), groups=3),
                               atol=1e-12)
    k = 5
    assert S.conv_macs(3, 3, (k, 1), 1, groups=3) + S.conv_macs(3, 3, (1, k), 1, groups=3) \
        == 3 * 2 * k
    assert S.conv_macs(3, 3, k, 1, groups=3) == 3 * k * k


def test_ch05_libraries_have_depthwise_kernels():
    """Section "Channel multiplier": PyTorch writes depthwise as groups = C_in and has
    dedicated depthwise backends (CudaDepthwise2d, MiopenDepthwise, Winograd3x3Depthwise)."""
    backends = set(dir(torch._C._ConvBackend))
    assert {"CudaDepthwise2d", "MiopenDepthwise", "Winograd3x3Depthwise"} <= backends
    layer = torch.nn.Conv2d(4, 8, 3, groups=4)
    assert tuple(layer.weight.shape) == (8, 1, 3, 3)


def _memory(c_in, c_out, k, groups, size_in, size_out):
    return S.memory_access(c_in, c_out, k, size_in, size_out, groups=groups)


def test_ch05_memory_access_numbers():
    """Section "MACs are not latency": the standard layer's memory = HW(C_in + C_out) +
    k^2 C_in C_out; 512 -> 512 pointwise on 14x14: 51,380,224 MACs, 462,848 values, 111 per
    value; 3x3 depthwise on 512 channels: 903,168 MACs and < k^2/2 = 4.5 per value."""
    for c_in, c_out, k, n in [(3, 5, 3, 7), (64, 128, 1, 56), (512, 512, 3, 14)]:
        assert _memory(c_in, c_out, k, 1, n, n) == n * n * (c_in + c_out) + k * k * c_in * c_out
    assert S.conv_macs(512, 512, 1, 14) == 51_380_224
    assert _memory(512, 512, 1, 1, 14, 14) == 462_848
    assert round(51_380_224 / 462_848) == 111
    assert S.conv_macs(512, 512, 3, 14, groups=512) == 903_168
    for c in (1, 32, 512, 1024):
        for n in (7, 14, 112):
            for k in (3, 5, 7):
                per_value = S.conv_macs(c, c, k, n, groups=c) / _memory(c, c, k, c, n, n)
                assert per_value < k * k / 2
    assert round(903_168 / _memory(512, 512, 3, 512, 14, 14), 1) == 4.4


def test_ch05_mobilenet_memory_traffic():
    """Section "MACs are not latency": over MobileNet's 13 blocks the depthwise layers do
    3.1% of the MACs and cause 39% of the memory access; 1.7 to 4.5 MACs per value moved
    for depthwise, 21 to 111 for pointwise (stride 2 where a block halves the size)."""
    blocks = ([(32, 64, 112), (64, 128, 56), (128, 128, 56), (128, 256, 28), (256, 256, 28),
               (256, 512, 14)] + [(512, 512, 14)] * 5 + [(512, 1024, 7), (1024, 1024, 7)])
    size_in, dw, pw, dw_ratio, pw_ratio = 112, np.zeros(2), np.zeros(2), [], []
    for c_in, c_out, size in blocks:
        stride = size_in // size
        assert S.conv_output_size(size_in, 3, stride, 1) == size
        d = np.array([S.conv_macs(c_in, c_in, 3, size, groups=c_in),
                      _memory(c_in, c_in, 3, c_in, size_in, size)])
        p = np.array([S.conv_macs(c_in, c_out, 1, size), _memory(c_in, c_out, 1, 1, size, size)])
        dw, pw = dw + d, pw + p
        dw_ratio.append(d[0] / d[1])
        pw_ratio.append(p[0] / p[1])
        size_in = size
    assert round(dw[0] / (dw[0] + pw[0]), 3) == 0.031
    assert round(dw[1] / (dw[1] + pw[1]), 2) == 0.39
    assert (round(min(dw_ratio), 1), round(max(dw_ratio), 1)) == (1.7, 4.5)
    assert (round(min(pw_ratio)), round(max(pw_ratio))) == (21, 111)


def test_ch05_pytorch_box():
    """The "In PyTorch" box: nn.Conv2d(groups=C_in) with multiplier 2, then a 1x1 nn.Conv2d,
    equals the chapter's depthwise separable pair with the same weights and biases."""
    box = run_pytorch_box("05_depthwise_separable")
    dw, pw = box["depthwise"], box["pointwise"]
    assert tuple(dw.weight.shape) == (8, 1, 3, 3) and dw.groups == 4
    ours = S.depthwise_separable_conv2d(
        box["x"].numpy(), dw.weight.detach().numpy(), pw.weight.detach().numpy(),
        dw.bias.detach().numpy(), pw.bias.detach().numpy(), padding=1)
    np.testing.assert_allclose(box["y"].detach().numpy(), ours, atol=1e-10)


def test_ch05_fold_batch_norm_reference():
    """The text's folding: conv then BN (eval) = the folded conv, for dense, depthwise
    and pointwise weights; wrong statistics are refused by name."""
    rng = np.random.default_rng(5)
    for groups, c_in, c_out in [(1, 3, 4), (3, 3, 6), (1, 5, 2)]:
        w = rng.standard_normal((c_out, c_in // groups, 3, 3))
        b = rng.standard_normal(c_out)
        bn = torch.nn.BatchNorm2d(c_out, eps=1e-3).double().eval()
        with torch.no_grad():
            bn.running_mean.copy_(torch.from_numpy(rng.standard_normal(c_out)))
            bn.running_var.copy_(torch.from_numpy(rng.uniform(0.1, 3, c_out)))
            bn.weight.copy_(torch.from_numpy(rng.standard_normal(c_out)))
            bn.bias.copy_(torch.from_numpy(rng.standard_normal(c_out)))
        x = rng.standard_normal((1, c_in, 7, 7))
        with torch.no_grad():
            expected = bn(F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                                   groups=groups)).numpy()
        stats = (bn.weight.detach().numpy(), bn.bias.detach().numpy(), bn.running_mean.numpy(),
                 bn.running_var.numpy())
        fw, fb = S.fold_batch_norm(w, b, *stats, eps=1e-3)
        np.testing.assert_allclose(S.conv2d(x, fw, fb, groups=groups), expected, atol=1e-10)
        pw, pb = S.fold_batch_norm(w[:, :, 0, 0], None, *stats, eps=1e-3)
        assert pw.shape == (c_out, c_in // groups) and pb.shape == (c_out,)
    with pytest.raises(ValueError, match="gamma"):
        S.fold_batch_norm(np.ones((2, 3)), None, np.ones(3), np.ones(2), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="eps"):
        S.fold_batch_norm(np.ones((2, 3)), None, *[np.ones(2)] * 4, eps=-1.0)


def test_ch05_visible_check_literals():
    """The literal expectations of the exercise check cells."""
    two = np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))])
    np.testing.assert_array_equal(
        S.depthwise_conv2d(two, np.ones((4, 1, 1, 1)), np.array([0.0, 1.0, 0.0, 1.0]))[:, 0, 0],
        [1, 2, 2, 3])
    np.testing.assert_array_equal(
        S.depthwise_conv2d(np.arange(16.0).reshape(1, 4, 4), np.ones((1, 1, 2, 2)), stride=2),
        [[[10, 18], [42, 50]]])
    assert (0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15) == (10, 18, 42, 50)
    np.testing.assert_array_equal(
        S.depthwise_conv2d(np.ones((1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2, padding=1),
        [[[4, 4], [4, 4]]])

    # exercise 2: the error of the best pair within a budget is the least, over every way
    # of sharing the filters among the channels, of the channels' Eckart-Young tails; a pair
    # built from the SVD with that share attains it (its W_pair written filter by filter)
    import itertools

    from autograder.checks.ch05_depthwise_separable import (
        _fewest_slices,
        _fold_padding,
        _separable_error,
    )

    p_demo, k_demo = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[[1.0, 0.0], [2.0, 1.0]]] * 2)
    text_pair = p_demo[:, :, None, None] * k_demo[None]
    assert np.isclose(_separable_error(text_pair, 12), 0.0)
    assert np.isclose(_separable_error(text_pair, 11), 30.0)   # keeps channel 0's 10 * 6 = 60
    two = np.array([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])
    assert _separable_error(two, 4) == 1.0 and np.isclose(_separable_error(two, 8), 0.0)
    assert np.isclose(_separable_error(np.array([[[[3.0, 0.0]], [[1.0, 0.0]]],
                                                 [[[0.0, 3.0]], [[0.0, 1.0]]]]), 8), 2.0)
    rng = np.random.default_rng(5)
    for c_out, c, kh, kw in [(3, 3, 2, 2), (4, 2, 3, 3), (2, 4, 1, 3)]:
        w = rng.standard_normal((c_out, c, kh, kw)) * 10 ** rng.uniform(-1, 1, (1, c, 1, 1))
        rank, cost = min(c_out, kh * kw), kh * kw + c_out
        svds = [np.linalg.svd(w[:, ch].reshape(c_out, -1)) for ch in range(c)]
        for filters in range(c * rank + 1):
            best, share = min((sum((svds[ch][1][m:] ** 2).sum() for ch, m in enumerate(ms)), ms)
                              for ms in itertools.product(range(rank + 1), repeat=c)
                              if sum(ms) <= filters)
            for budget in (filters * cost, filters * cost + cost - 1):
                assert np.isclose(_separable_error(w, budget), best)
            pair = np.zeros_like(w)
            for ch, m in enumerate(share):
                u, sigma, vt = svds[ch]
                for j in range(m):   # filter j of channel ch: kernel vt[j], column sigma_j u_j
                    pair[:, ch] += np.outer(sigma[j] * u[:, j], vt[j]).reshape(c_out, kh, kw)
            assert np.isclose(((w - pair) ** 2).sum(), best)
    # exercise 3: with the pad values, the folded layer (W s, b + sum W shift) computes
    # BN-then-zero-padded-conv exactly; a switched-off channel with a shift cannot be fixed
    def bn_then_conv(x, w, b, g, be, mu, var, p, eps=1e-5):
        normed = g[:, None, None] * (x - mu[:, None, None]) / np.sqrt(var[:, None, None] + eps) \
            + be[:, None, None]
        return S.conv2d(normed, w, b, padding=p)

    def folded(x, w, b, g, be, mu, var, p, pad, eps=1e-5):
        s = g / np.sqrt(var + eps)
        xp = np.broadcast_to(pad[:, None, None], (len(x), x.shape[1] + 2 * p,
                                                   x.shape[2] + 2 * p)).copy()
        xp[:, p:p + x.shape[1], p:p + x.shape[2]] = x
        return S.conv2d(xp, w * s[None, :, None, None],
                        b + np.einsum("ocab,c->o", w, be - s * mu))

    for p, k in [(1, 3), (2, 3), (1, 2), (2, 5)]:
        x, w, b = rng.standard_normal((4, 6, 7)), rng.standard_normal((3, 4, k, k)), \
            rng.standard_normal(3)
        g, be, mu, var = rng.standard_normal(4), rng.standard_normal(4), \
            rng.standard_normal(4), rng.uniform(0.5, 2, 4)
        g[1], be[1] = 0.0, 0.0                      # switched off, no shift: any pad value
        pad = _fold_padding(g, be, mu, var)
        assert pad[1] == 0 and np.isfinite(pad).all()
        np.testing.assert_allclose(folded(x, w, b, g, be, mu, var, p, pad),
                                   bn_then_conv(x, w, b, g, be, mu, var, p), atol=1e-10)
        # zero padding is not exact at the border (the interior is)
        wrong = folded(x, w, b, g, be, mu, var, p, np.zeros(4))
        right = bn_then_conv(x, w, b, g, be, mu, var, p)
        assert not np.allclose(wrong, right)
        np.testing.assert_allclose(wrong[:, p:-p, p:-p], right[:, p:-p, p:-p], atol=1e-10)
        # a switched-off channel with a shift: no pad value helps (its folded weight is 0)
        g[2], be[2] = 0.0, 0.7
        assert _fold_padding(g, be, mu, var)[2] == np.inf
        outs = [folded(x, w, b, g, be, mu, var, p, np.where(np.arange(4) == 2, u,
                                                               _fold_padding(g, be, mu, var)))
                for u in (-5.0, 0.0, 3.0)]
        assert np.allclose(outs[0], outs[1]) and np.allclose(outs[1], outs[2])
        assert not np.allclose(outs[0], bn_then_conv(x, w, b, g, be, mu, var, p))
    np.testing.assert_allclose(_fold_padding(np.array([2.0, -1.0]), np.array([1.0, 0.5]),
                                             np.array([3.0, 0.0]), np.array([4.0, 1.0]),
                                             eps=0.0), [2, 0.5])
    np.testing.assert_allclose(_fold_padding(np.ones(1), np.ones(1), np.zeros(1),
                                             np.array([1.0 - 1e-5])), [-1])
    # the text's block counts (cell 39's formula, and Table 2's first stride-2 block at 28x28)
    def block_macs(c_in, c_out, h, w, s, t):
        out = S.conv_output_size(h, 3, s, 1) * S.conv_output_size(w, 3, s, 1)
        return h * w * c_in * t * c_in + out * t * c_in * 9 + out * t * c_in * c_out

    assert block_macs(96, 96, 14, 14, 1, 6) == 22_692_096 == 14 * 14 * 96 * 6 * (96 + 9 + 96)
    assert block_macs(64, 96, 28, 28, 2, 6) == 27_170_304
    # exercise 4: the slice schedule simulated tensor by tensor (each held from the step that
    # computes it to the last step that reads it; input and output throughout): the reference
    # is the fewest n whose simulated peak fits, for every budget around the peaks
    def simulated_peak(c_in, c_out, t, h, w, s, n):
        inner = S.conv_output_size(h, 3, s, 1) * S.conv_output_size(w, 3, s, 1)
        sizes = [len(part) for part in np.array_split(np.arange(t * c_in), n)]
        held, peak = c_in * h * w + c_out * inner, 0
        for q in sizes:
            peak = max(peak, held + q * h * w)                  # expansion written
            peak = max(peak, held + q * h * w + q * inner)      # depthwise reads and writes
            peak = max(peak, held + q * inner)                  # projection adds into B
        return peak

    for block in [(2, 2, 3, 2, 2, 1), (3, 3, 3, 2, 2, 1), (4, 4, 6, 4, 4, 2), (3, 5, 2, 5, 3, 2)]:
        peaks = [simulated_peak(*block, n) for n in range(1, block[0] * block[2] + 1)]
        for memory in range(min(peaks) - 3, max(peaks) + 3):
            fits = [n for n, peak in enumerate(peaks, 1) if peak <= memory]
            assert _fewest_slices(*block, memory) == (fits[0] if fits else 0), (block, memory)
    assert [_fewest_slices(2, 2, 3, 2, 2, 1, m) for m in (64, 63, 39, 23)] == [1, 2, 3, 0]
    assert _fewest_slices(3, 3, 3, 2, 2, 1, 63) == 3 and _fewest_slices(4, 4, 6, 4, 4, 2, 300) == 3
    assert _fewest_slices(96, 96, 6, 14, 14, 1, 100_000) == 4
    text_block = (96, 96, 6, 14, 14, 1)
    assert simulated_peak(*text_block, 4) <= 100_000 < simulated_peak(*text_block, 3)


def test_ch05_inverted_residual_block():
    """Section "The inverted residual block": the paper's count h w d' t (d' + k^2 + d'') is the
    sum of its three convolutions at stride 1; 96 -> 576 -> 96 at 14x14 costs 22,692,096 MACs,
    43% of MobileNet's 512 -> 512 block there (52,283,392), and hands on 5.3 times fewer values;
    a block from 64 to 128 channels works on 384 inside (t = 6)."""
    for d_in, d_out, t, hw in [(96, 96, 6, 196), (16, 24, 6, 112 * 112), (5, 7, 3, 9)]:
        parts = (S.conv_macs(d_in, t * d_in, 1, 1) + S.conv_macs(t * d_in, t * d_in, 3, 1,
                                                                 groups=t * d_in)
                 + S.conv_macs(t * d_in, d_out, 1, 1)) * hw
        assert parts == hw * d_in * t * (d_in + 9 + d_out)
    v2 = 196 * 96 * 6 * (96 + 9 + 96)
    v1 = 196 * (9 * 512 + 512 * 512)
    assert (v2, v1) == (22_692_096, 52_283_392)
    assert round(v2 / v1, 2) == 0.43 and round(512 / 96, 1) == 5.3
    assert 64 * 6 == 384


def test_ch05_inverted_residual_forward():
    """The text's numpy block equals torch-semantics convolutions: 1x1, depthwise 3x3 with
    padding 1, 1x1, ReLU6 after the first two, shortcut."""
    rng = np.random.default_rng(3)
    d, t = 3, 4
    x = rng.standard_normal((1, d, 6, 6))
    e, k, p = rng.standard_normal((t * d, d)), rng.standard_normal((t * d, 3, 3)), \
        rng.standard_normal((d, t * d))
    wide = np.clip(S.pointwise_conv2d(x, e), 0, 6)
    filtered = np.clip(S.depthwise_conv2d(wide, k[:, None], padding=1), 0, 6)
    y = x + S.pointwise_conv2d(filtered, p)
    wide2 = np.clip(np.einsum("ec,chw->ehw", e, x[0]), 0, 6)
    padded = np.pad(wide2, ((0, 0), (1, 1), (1, 1)))
    dw = sum(k[:, a, b, None, None] * padded[:, a:a + 6, b:b + 6] for a in range(3)
             for b in range(3))
    np.testing.assert_allclose(y[0], x[0] + np.einsum("oe,ehw->ohw", p, np.clip(dw, 0, 6)))


def test_ch05_exercise_prompt_sizes_hold_for_every_student():
    """Exercise 4's prompt promises blocks of up to 10^6 channels and t up to 10^3 (answers in
    the hundreds of millions, beyond a loop over n); exercise 2's hidden weights include
    many channels whose sharings cannot be enumerated."""
    from chapter_text import markdown

    from autograder.checks import cases_for
    from autograder.checks.ch05_depthwise_separable import _fewest_slices

    text = markdown("05_depthwise_separable")
    assert "The hidden blocks have up to $10^6$ channels and $t$ up to $10^3$." in text
    for seed in (None, 1, 2, 3):
        def cases(check_id, seed=seed):
            return cases_for(check_id) if seed is None else cases_for(check_id, seed)
        blocks = cases("ch05.fewest_slices")
        assert max(max(b[0], b[1]) for b in blocks) < 10**6 and max(b[2] for b in blocks) < 10**3
        assert max(_fewest_slices(*b) for b in blocks) > 10**8
        assert max(w.shape[1] for w, _budget in cases("ch05.separable_error")) == 64
