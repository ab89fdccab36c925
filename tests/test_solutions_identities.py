"""Algebraic facts the book states, checked on random cases: naive = fast, adjointness, ..."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from cases import conv2d_case, conv_transpose2d_case
from test_solutions_torch import one_torch_thread  # noqa: F401 (autouse)

import solutions

# (naive, fast, case generator, input size bound, seed offset)
NAIVE_FAST = {
    "conv2d": (solutions.conv2d_naive, solutions.conv2d, conv2d_case, 5, 200),
    "conv_transpose2d": (solutions.conv_transpose2d_naive, solutions.conv_transpose2d,
                         conv_transpose2d_case, 4, 300),
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", NAIVE_FAST)
def test_naive_equals_fast(name, seed):
    naive, fast, case, max_size, offset = NAIVE_FAST[name]
    rng = np.random.default_rng(offset + seed)
    for _ in range(60):
        args, kwargs = case(rng, max_size=max_size)
        np.testing.assert_allclose(naive(*args, **kwargs), fast(*args, **kwargs),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_adjoint_and_gradient(seed):
    """<conv(x), y> = <x, conv_transpose(y)>, and conv_transpose is conv's input gradient."""
    rng = np.random.default_rng(400 + seed)
    for _ in range(40):
        (x, w, _), kwargs = conv2d_case(rng)
        if isinstance(kwargs["padding"], str):
            kwargs["padding"] = 0
        y = rng.standard_normal(solutions.conv2d(x, w, **kwargs).shape)
        # The input size conv2d rounded away is what output_padding gives back; torch's
        # autograd computes exactly that gradient, so ask it for the reference.
        xt = torch.from_numpy(x).requires_grad_()
        F.conv2d(xt, torch.from_numpy(w), **kwargs).backward(torch.from_numpy(y))
        grad = xt.grad.numpy()
        stride, dilation = (np.broadcast_to(kwargs[k], 2) for k in ("stride", "dilation"))
        padding = np.broadcast_to(kwargs["padding"], 2)
        kh, kw = w.shape[2:]
        output_padding = tuple(
            int(n - ((o - 1) * s - 2 * p + d * (k - 1) + 1))
            for n, o, s, p, d, k in zip(x.shape[-2:], y.shape[-2:], stride, padding,
                                        dilation, (kh, kw)))
        z = solutions.conv_transpose2d(y, w, stride=kwargs["stride"], padding=kwargs["padding"],
                                       output_padding=output_padding,
                                       groups=kwargs["groups"], dilation=kwargs["dilation"])
        np.testing.assert_allclose(z, grad, rtol=1e-10, atol=1e-10)
        lhs = np.sum(solutions.conv2d(x, w, **kwargs) * y)
        assert np.isclose(lhs, np.sum(x * z), rtol=1e-10, atol=1e-10)


def test_conv_matrix_is_conv2d_and_its_transpose_is_conv_transpose2d():
    rng = np.random.default_rng(5)
    for stride, padding, dilation, groups in [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 2),
                                              ((2, 1), (0, 1), (1, 2), 2)]:
        w = rng.standard_normal((4, 2 // groups, 3, 3))
        shape = (2, 7, 6)
        c = solutions.conv_matrix(shape, w, stride, padding, dilation, groups)
        x = rng.standard_normal(shape)
        y = solutions.conv2d(x, w, stride=stride, padding=padding, dilation=dilation,
                             groups=groups)
        assert c.shape == (y.size, x.size)
        np.testing.assert_allclose(c @ x.ravel(), y.ravel(), atol=1e-12)
        # C^T y has the input's size; conv_transpose2d gets there with output_padding.
        yy = rng.standard_normal(y.shape)
        back = (c.T @ yy.ravel()).reshape(shape)
        s, p, d = (np.broadcast_to(v, 2) for v in (stride, padding, dilation))
        op = tuple(int(n - ((o - 1) * si - 2 * pi + di * 2 + 1))
                   for n, o, si, pi, di in zip(shape[1:], y.shape[1:], s, p, d))
        np.testing.assert_allclose(
            solutions.conv_transpose2d(yy, w, stride=stride, padding=padding,
                                       output_padding=op, groups=groups, dilation=dilation),
            back, atol=1e-12)


def test_conv_matrix_is_not_invertible_in_general_and_transpose_is_not_inverse():
    """The book's point: transposed conv restores the shape, not the values."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal((1, 1, 3, 3))
    c = solutions.conv_matrix((1, 4, 4), w)
    assert c.shape == (4, 16) and np.linalg.matrix_rank(c) == 4
    x = rng.standard_normal((1, 4, 4))
    back = solutions.conv_transpose2d(solutions.conv2d(x, w), w)
    assert back.shape == x.shape and not np.allclose(back, x)


def test_depthwise_is_groups_equal_channels_and_pointwise_is_per_pixel_matmul():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 5, 8, 7))
    dw = rng.standard_normal((10, 1, 3, 3))
    np.testing.assert_allclose(solutions.depthwise_conv2d(x, dw, padding=1, stride=2),
                               F.conv2d(torch.from_numpy(x), torch.from_numpy(dw), padding=1,
                                        stride=2, groups=5).numpy(), atol=1e-12)
    pw = rng.standard_normal((4, 5))
    expected = np.einsum("oc,nchw->nohw", pw, x)
    np.testing.assert_allclose(solutions.pointwise_conv2d(x, pw), expected, atol=1e-12)
    np.testing.assert_allclose(solutions.pointwise_conv2d(x, pw[:, :, None, None]), expected,
                               atol=1e-12)
    both = solutions.depthwise_separable_conv2d(x, dw, rng.standard_normal((3, 10)), padding=1)
    assert both.shape == (2, 3, 8, 7)


def test_grouped_conv_equals_dense_conv_with_block_diagonal_weight():
    rng = np.random.default_rng(8)
    for g in (1, 2, 3, 6):
        x = rng.standard_normal((2, 6, 6, 6))
        w = rng.standard_normal((12, 6 // g, 3, 3))
        dense = solutions.block_diagonal_weight(w, g)
        assert dense.shape == (12, 6, 3, 3)
        assert np.count_nonzero(dense) == w.size
        np.testing.assert_allclose(solutions.conv2d(x, w, groups=g),
                                   solutions.conv2d(x, dense), atol=1e-12)


def test_channel_shuffle_lets_every_group_see_every_group():
    x = np.arange(6.0).reshape(1, 6, 1, 1)
    assert solutions.channel_shuffle(x, 2).ravel().tolist() == [0, 3, 1, 4, 2, 5]
    assert solutions.channel_shuffle(x, 3).ravel().tolist() == [0, 2, 4, 1, 3, 5]
    # Shuffling by g then by C/g is the identity (the permutation's inverse).
    np.testing.assert_array_equal(
        solutions.channel_shuffle(solutions.channel_shuffle(x, 2), 3), x)


@pytest.mark.parametrize("kernel", ["sobel", "box", "gauss"])
def test_rank1_kernel_equals_two_1d_passes(kernel):
    col, row = {"sobel": ([1.0, 2, 1], [-1.0, 0, 1]), "box": ([1.0] * 3, [1 / 9] * 3),
                "gauss": ([1.0, 4, 6, 4, 1], [1 / 256, 4 / 256, 6 / 256, 4 / 256, 1 / 256])}[kernel]
    k2d = np.outer(col, row)
    c, r = solutions.separable_split(k2d)
    np.testing.assert_allclose(np.outer(c, r), k2d, atol=1e-12)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 12, 10))
    depthwise = np.tile(k2d[None, None], (3, 1, 1, 1))
    for kwargs in (dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2),
                   dict(stride=(1, 2), padding=(2, 0), dilation=(1, 2))):
        np.testing.assert_allclose(solutions.spatially_separable_conv2d(x, c, r, **kwargs),
                                   solutions.conv2d(x, depthwise, groups=3, **kwargs),
                                   atol=1e-12)


def test_non_separable_kernel_is_refused_with_its_error():
    laplacian = np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]])
    with pytest.raises(ValueError, match="not separable.*relative error"):
        solutions.separable_split(laplacian)
    col, row, error = solutions.rank1_approximation(laplacian)
    s = np.linalg.svd(laplacian, compute_uv=False)
    assert np.isclose(error, np.sqrt(np.sum(s[1:] ** 2) / np.sum(s ** 2)))
    assert np.isclose(np.linalg.norm(laplacian - np.outer(col, row)) / np.linalg.norm(laplacian),
                      error)


def test_dilation_spreads_the_kernel_not_the_input():
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal((1, 2, 13, 11)), rng.standard_normal((3, 2, 3, 2))
    for d in (1, 2, 3, (2, 3)):
        np.testing.assert_allclose(solutions.conv2d(x, w, dilation=d),
                                   solutions.conv2d(x, solutions.dilate_kernel(w, d)),
                                   atol=1e-12)
    assert solutions.dilate_kernel(np.ones((3, 3)), 2).shape == (5, 5)
    assert solutions.effective_kernel_size(3, 2) == 5


def test_im2col_times_weight_is_conv2d():
    rng = np.random.default_rng(12)
    x, w = rng.standard_normal((2, 3, 8, 9)), rng.standard_normal((4, 3, 3, 2))
    cols = solutions.im2col(x, (3, 2), stride=2, padding=1, dilation=(1, 2))
    out = w.reshape(4, -1) @ cols
    expected = solutions.conv2d(x, w, stride=2, padding=1, dilation=(1, 2))
    np.testing.assert_allclose(out.reshape(expected.shape), expected, atol=1e-12)
    assert solutions.im2col(x[0], 3).shape == (27, 42)


def test_receptive_field_of_stacks():
    assert solutions.receptive_field([3, 3, 3]) == 7
    assert solutions.receptive_field([3, 3, 3], dilations=[1, 2, 4]) == 15
    assert solutions.receptive_field([7, 3], strides=[2, 1]) == 11
    assert solutions.receptive_field([3] * 4, dilations=[1, 2, 4, 8]) == 31
    # Brute force: which input pixels can change one output pixel of the real stack?
    rng = np.random.default_rng(13)
    layers = [(3, 2, 1), (3, 1, 2), (5, 1, 1)]
    x = np.zeros((1, 1, 64, 64))
    ws = [rng.random((1, 1, k, k)) + 0.1 for k, _, _ in layers]

    def stack(inp):
        for w, (_, s, d) in zip(ws, layers):
            inp = solutions.conv2d(inp, w, stride=s, dilation=d)
        return inp

    reach = []
    for col in range(64):
        probe = x.copy()
        probe[0, 0, 32, col] = 1.0
        reach.append(stack(probe)[0, 0, :, 0].any())
    assert sum(reach) == solutions.receptive_field([3, 3, 5], strides=[2, 1, 1],
                                                    dilations=[1, 2, 1])


def test_mac_counts_and_the_depthwise_separable_ratio():
    k, c_in, c_out, hw = 3, 32, 64, (28, 28)
    standard = solutions.conv_macs(c_in, c_out, k, hw)
    depthwise = solutions.conv_macs(c_in, c_in, k, hw, groups=c_in)
    pointwise = solutions.conv_macs(c_in, c_out, 1, hw)
    assert standard == 28 * 28 * 64 * 32 * 9
    assert np.isclose((depthwise + pointwise) / standard,
                      solutions.depthwise_separable_cost_ratio(c_out, k))
    assert np.isclose(solutions.depthwise_separable_cost_ratio(c_out, k), 1 / 64 + 1 / 9)
    # Groups divide parameters and MACs by g (bias aside).
    for g in (1, 2, 4, 8):
        assert solutions.conv_params(64, 64, 3, groups=g, bias=False) * g == 64 * 64 * 9
        assert solutions.conv_macs(64, 64, 3, 10, groups=g) * g == 64 * 64 * 9 * 100
    # The article's I*O*K is the count without bias.
    assert solutions.conv_params(3, 16, 3, bias=False) == 3 * 16 * 9
    assert solutions.conv_params(3, 16, 3) == 3 * 16 * 9 + 16
