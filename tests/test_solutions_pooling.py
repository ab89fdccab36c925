"""max_pool2d / avg_pool2d against torch: same outputs, and an error exactly where torch errs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_solutions_torch import one_torch_thread  # noqa: F401 (autouse)

import solutions

SEEDS = range(8)
CASES_PER_SEED = 200  # 8 x 200 = 1,600 random calls per pooling function


def _int_or_pair(rng, low, high):
    if rng.random() < 0.5:
        return int(rng.integers(low, high + 1))
    return (int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1)))


def pool_case(rng, dtype=np.float64):
    """Pooling arguments drawn broadly: about one call in eight breaks one of torch's rules."""
    kernel = _int_or_pair(rng, 1, 4)
    k = np.broadcast_to(kernel, 2)
    stride = None if rng.random() < 0.3 else _int_or_pair(rng, 1, 3)
    # Mostly legal padding (p <= k // 2), sometimes one more.
    padding = tuple(int(rng.integers(0, kk // 2 + 1 + (rng.random() < 0.1))) for kk in k)
    if padding[0] == padding[1] and rng.random() < 0.5:
        padding = padding[0]
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 4)),
             int(rng.integers(1, 9)), int(rng.integers(1, 9))]
    x = rng.standard_normal(shape[1:] if rng.random() < 0.2 else shape).astype(dtype)
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding,
                  ceil_mode=bool(rng.random() < 0.5))
    return x, kwargs


def _compare(ours, oracle, x, kwargs, rtol=1e-12):
    try:
        expected = oracle(torch.from_numpy(x), **kwargs).numpy()
    except RuntimeError as error:
        with pytest.raises(ValueError):
            ours(x, **kwargs)
        return str(error)
    got = ours(x, **kwargs)
    assert got.dtype == x.dtype
    assert got.shape == expected.shape, kwargs
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol, err_msg=str(kwargs))
    return None


@pytest.mark.parametrize("seed", SEEDS)
def test_max_pool2d_matches_torch(seed):
    rng = np.random.default_rng(900 + seed)
    refused = 0
    for _ in range(CASES_PER_SEED):
        x, kwargs = pool_case(rng)
        kwargs["dilation"] = _int_or_pair(rng, 1, 3)
        refused += _compare(solutions.max_pool2d, F.max_pool2d, x, kwargs) is not None
    assert refused < CASES_PER_SEED // 2  # most cases are legal and compared


@pytest.mark.parametrize("seed", SEEDS)
def test_avg_pool2d_matches_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    refused = 0
    for _ in range(CASES_PER_SEED):
        x, kwargs = pool_case(rng)
        kwargs["count_include_pad"] = bool(rng.random() < 0.5)
        refused += _compare(solutions.avg_pool2d, F.avg_pool2d, x, kwargs) is not None
    assert refused < CASES_PER_SEED // 2


def test_float32_in_float32_out():
    rng = np.random.default_rng(11)
    for _ in range(100):
        x, kwargs = pool_case(rng, dtype=np.float32)
        _compare(solutions.max_pool2d, F.max_pool2d, x, kwargs, rtol=1e-6)
        _compare(solutions.avg_pool2d, F.avg_pool2d, x, kwargs, rtol=1e-5)


def test_ceil_mode_keeps_a_partial_window_only_if_it_starts_inside():
    """5 rows, k=2, s=2: ceil adds a third window at row 4; with p=1 a fourth would start
    at row 5, in the right padding, and is dropped (3 windows, not 4)."""
    x = np.arange(25.0).reshape(1, 5, 5)
    assert solutions.max_pool2d(x, 2, ceil_mode=False).shape == (1, 2, 2)
    np.testing.assert_array_equal(solutions.max_pool2d(x, 2, ceil_mode=True)[0, :, 2],
                                  [9, 19, 24])
    assert solutions.max_pool2d(x, 2, padding=1, ceil_mode=True).shape == (1, 3, 3)


def test_count_include_pad_changes_only_the_border_divisor():
    x = np.ones((1, 1, 3, 3))
    with_pad = solutions.avg_pool2d(x, 3, stride=1, padding=1)
    without = solutions.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    np.testing.assert_allclose(with_pad[0, 0], [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1, 6 / 9],
                                                [4 / 9, 6 / 9, 4 / 9]])
    np.testing.assert_array_equal(without, np.ones((1, 1, 3, 3)))


def test_nan_propagates_through_max_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = np.nan
    expected = F.max_pool2d(torch.from_numpy(x), 2).numpy()
    np.testing.assert_array_equal(solutions.max_pool2d(x, 2), expected)
