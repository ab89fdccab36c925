"""conv2d's gradients against torch.nn.grad, finite differences and conv_transpose2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.grad
from cases import conv2d_case
from test_solutions_torch import one_torch_thread  # noqa: F401 (autouse)

import solutions

SEEDS = range(8)
CASES_PER_SEED = 150  # 8 x 150 = 1,200 random calls per gradient


def backward_case(rng, dtype=np.float64, max_size=9):
    """A conv2d call torch.nn.grad accepts (numeric padding) and an upstream gradient."""
    (x, w, _), kwargs = conv2d_case(rng, dtype=dtype, max_size=max_size)
    if isinstance(kwargs["padding"], str):
        # 'same' may pad unevenly, which torch.nn.grad cannot express; 'valid' is 0.
        kwargs["padding"] = 0 if kwargs["padding"] == "valid" else int(rng.integers(0, 2))
        w = w[..., :2 * kwargs["padding"] + 1, :2 * kwargs["padding"] + 1]
    y = solutions.conv2d(x, w, **kwargs)
    return x, w, rng.standard_normal(y.shape).astype(dtype), kwargs


def _batched(a):
    """torch.nn.grad needs a batch axis; we accept unbatched input like every other function."""
    return a if a.ndim == 4 else a[None]


def torch_grads(x, w, g, kwargs):
    xt, wt, gt = (torch.from_numpy(_batched(a) if a is not w else a) for a in (x, w, g))
    dx = torch.nn.grad.conv2d_input(xt.shape, wt, gt, **kwargs).numpy()
    dw = torch.nn.grad.conv2d_weight(xt, wt.shape, gt, **kwargs).numpy()
    return (dx if x.ndim == 4 else dx[0]), dw


@pytest.mark.parametrize("seed", SEEDS)
def test_gradients_match_torch(seed):
    rng = np.random.default_rng(500 + seed)
    for _ in range(CASES_PER_SEED):
        x, w, g, kwargs = backward_case(rng)
        dx, dw = torch_grads(x, w, g, kwargs)
        got_dx = solutions.conv2d_grad_input(x.shape, w, g, **kwargs)
        got_dw = solutions.conv2d_grad_weight(x, w.shape, g, **kwargs)
        assert got_dx.shape == dx.shape and got_dw.shape == dw.shape, kwargs
        np.testing.assert_allclose(got_dx, dx, rtol=1e-10, atol=1e-10, err_msg=str(kwargs))
        np.testing.assert_allclose(got_dw, dw, rtol=1e-10, atol=1e-10, err_msg=str(kwargs))


def test_float32_in_float32_out():
    rng = np.random.default_rng(9)
    for _ in range(60):
        x, w, g, kwargs = backward_case(rng, dtype=np.float32)
        dx, dw = torch_grads(x, w, g, kwargs)
        got_dx = solutions.conv2d_grad_input(list(x.shape), w, g, **kwargs)
        got_dw = solutions.conv2d_grad_weight(x, list(w.shape), g, **kwargs)
        assert got_dx.dtype == got_dw.dtype == np.float32
        np.testing.assert_allclose(got_dx, dx, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(got_dw, dw, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("seed", range(3))
def test_naive_definition_equals_fast(seed):
    rng = np.random.default_rng(600 + seed)
    for _ in range(60):
        x, w, g, kwargs = backward_case(rng, max_size=4)
        dx, dw = solutions.conv2d_backward_naive(x, w, g, **kwargs)
        np.testing.assert_allclose(dx, solutions.conv2d_grad_input(x.shape, w, g, **kwargs),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dw, solutions.conv2d_grad_weight(x, w.shape, g, **kwargs),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_gradients_are_finite_difference_slopes(seed):
    """L = <g, conv2d(x, w)> is linear in x and in w: central differences are exact slopes."""
    rng = np.random.default_rng(700 + seed)
    for _ in range(60):
        x, w, g, kwargs = backward_case(rng)
        def loss(x_, w_, g=g, kwargs=kwargs):
            return np.sum(g * solutions.conv2d(x_, w_, **kwargs))

        vx, vw, h = rng.standard_normal(x.shape), rng.standard_normal(w.shape), 1e-3
        slope_x = (loss(x + h * vx, w) - loss(x - h * vx, w)) / (2 * h)
        slope_w = (loss(x, w + h * vw) - loss(x, w - h * vw)) / (2 * h)
        dx = solutions.conv2d_grad_input(x.shape, w, g, **kwargs)
        dw = solutions.conv2d_grad_weight(x, w.shape, g, **kwargs)
        assert np.isclose(slope_x, np.sum(dx * vx), rtol=1e-7, atol=1e-7)
        assert np.isclose(slope_w, np.sum(dw * vw), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("seed", range(3))
def test_grad_input_is_conv_transpose2d_with_the_lost_rows_as_output_padding(seed):
    """Transposing conv2d gives (o-1)s - 2p + d(k-1) + 1 rows; output_padding restores the rest."""
    rng = np.random.default_rng(800 + seed)
    for _ in range(60):
        x, w, g, kwargs = backward_case(rng)
        pairs = {k: np.broadcast_to(kwargs[k], 2) for k in ("stride", "padding", "dilation")}
        output_padding = tuple(
            int(n - ((o - 1) * s - 2 * p + d * (k - 1) + 1))
            for n, o, k, s, p, d in zip(x.shape[-2:], g.shape[-2:], w.shape[-2:],
                                        pairs["stride"], pairs["padding"], pairs["dilation"]))
        np.testing.assert_allclose(
            solutions.conv2d_grad_input(x.shape, w, g, **kwargs),
            solutions.conv_transpose2d(g, w, output_padding=output_padding, **kwargs),
            rtol=1e-12, atol=1e-12)


def test_stride_ambiguity_is_settled_by_input_size():
    """A 3x3, stride-2 conv maps 7 and 8 rows to 3; the 8th row gets a zero gradient."""
    w, g = np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3))
    seven = solutions.conv2d_grad_input((1, 1, 7, 7), w, g, stride=2)
    eight = solutions.conv2d_grad_input((1, 1, 8, 8), w, g, stride=2)
    np.testing.assert_array_equal(eight[..., :7, :7], seven)
    assert not eight[..., 7, :].any() and not eight[..., :, 7].any()
    # Rows 2 and 4 are shared by two windows: gradient 2 along a row, 4 where both overlap.
    np.testing.assert_array_equal(seven[0, 0, 2], [2, 2, 4, 2, 4, 2, 2])


def test_empty_batch_like_torch():
    w, g = np.ones((2, 3, 3, 3)), np.zeros((0, 2, 4, 4))
    assert solutions.conv2d_grad_input((0, 3, 6, 6), w, g).shape == (0, 3, 6, 6)
    dw = solutions.conv2d_grad_weight(np.zeros((0, 3, 6, 6)), (2, 3, 3, 3), g)
    np.testing.assert_array_equal(dw, np.zeros((2, 3, 3, 3)))


def test_strides_larger_than_the_output_match_torch():
    """Strides and dilations of hundreds, where most stride phases hold no output cell (the
    fast path builds only those that do): still torch's gradient and transposed convolution."""
    rng = np.random.default_rng(77)
    for _ in range(20):
        s, d = (int(v) for v in rng.integers(50, 400, 2))
        p, k = int(rng.integers(0, d // 2)), int(rng.integers(2, 4))
        n = int(rng.integers(1, 3 * s))
        if n + 2 * p < d * (k - 1) + 1:
            continue
        x = rng.standard_normal((2, 3, n, n + 1))
        w = rng.standard_normal((4, 3, k, k))
        g = rng.standard_normal(solutions.conv2d(x, w, stride=s, padding=p, dilation=d).shape)
        kwargs = {"stride": s, "padding": p, "dilation": d}
        dx, _ = torch_grads(x, w, g, kwargs)
        np.testing.assert_allclose(solutions.conv2d_grad_input(x.shape, w, g, **kwargs), dx,
                                   rtol=1e-10, atol=1e-10, err_msg=str(kwargs))
        yt = torch.nn.functional.conv_transpose2d(torch.from_numpy(g), torch.from_numpy(w),
                                                  **kwargs).numpy()
        np.testing.assert_allclose(solutions.conv_transpose2d(g, w, **kwargs), yt,
                                   rtol=1e-10, atol=1e-10, err_msg=str(kwargs))
