"""conv1d and conv3d against torch (float64), and against conv2d where they must agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_solutions_torch import one_torch_thread  # noqa: F401 (autouse)

import solutions

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

SEEDS = range(8)
CASES_PER_SEED = 150  # 8 x 150 = 1,200 random calls per function


def _spatial(rng, spatial, low, high):
    """An int, or (half the time) one independent int per spatial axis."""
    if rng.random() < 0.5:
        return int(rng.integers(low, high + 1))
    return tuple(int(rng.integers(low, high + 1)) for _ in range(spatial))


def conv_case(rng, spatial, dtype=np.float64, max_size=6):
    """One valid call of conv1d (spatial=1) or conv3d (spatial=3), every option drawn."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c_in, c_out = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kernel = np.broadcast_to(_spatial(rng, spatial, 1, 3), spatial)
    stride, dilation = _spatial(rng, spatial, 1, 3), _spatial(rng, spatial, 1, 2)
    roll = rng.random()
    if roll < 0.15 and np.all(np.equal(stride, 1)):
        padding = "same"
    elif roll < 0.25:
        padding = "valid"
    else:
        padding = _spatial(rng, spatial, 0, 2)
    pads = np.broadcast_to(0 if isinstance(padding, str) else padding, spatial)
    size = [max(1, d * (k - 1) + 1 - 2 * p) + int(rng.integers(0, max_size))
            for k, d, p in zip(kernel, np.broadcast_to(dilation, spatial), pads)]
    batch = () if rng.random() < 0.2 else (int(rng.integers(1, 3)),)
    x = rng.standard_normal((*batch, c_in, *size)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype) if rng.random() < 0.5 else None
    return (x, w, b), dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _torch(fn, args, kwargs):
    return fn(*(None if a is None else torch.from_numpy(a) for a in args), **kwargs).numpy()


SWEEPS = {"conv1d": (solutions.conv1d, F.conv1d, 1, 1100),
          "conv3d": (solutions.conv3d, F.conv3d, 3, 1200)}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", SWEEPS)
def test_matches_torch(name, seed):
    fn, oracle, spatial, offset = SWEEPS[name]
    rng = np.random.default_rng(offset + seed)
    for _ in range(CASES_PER_SEED):
        args, kwargs = conv_case(rng, spatial)
        expected = _torch(oracle, args, kwargs)
        got = fn(*args, **kwargs)
        assert got.shape == expected.shape, kwargs
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=str(kwargs))


@pytest.mark.parametrize("name", SWEEPS)
def test_float32_in_float32_out(name):
    fn, oracle, spatial, _ = SWEEPS[name]
    rng = np.random.default_rng(13)
    for _ in range(40):
        args, kwargs = conv_case(rng, spatial, dtype=np.float32)
        got = fn(*args, **kwargs)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, _torch(oracle, args, kwargs), rtol=1e-4, atol=1e-4)


def test_conv3d_with_one_deep_kernel_is_conv2d_per_slice():
    """A kD = 1 kernel never mixes depth slices: conv3d is conv2d applied to each slice."""
    rng = np.random.default_rng(14)
    x, w = rng.standard_normal((2, 4, 5, 6, 7)), rng.standard_normal((6, 2, 1, 3, 2))
    got = solutions.conv3d(x, w, stride=(1, 2, 1), padding=(0, 1, 1), groups=2)
    per_slice = [solutions.conv2d(x[:, :, t], w[:, :, 0], stride=(2, 1), padding=1, groups=2)
                 for t in range(5)]
    np.testing.assert_allclose(got, np.stack(per_slice, axis=2), rtol=1e-12, atol=1e-12)


def test_conv1d_is_conv2d_on_one_row():
    rng = np.random.default_rng(15)
    x, w = rng.standard_normal((3, 4, 11)), rng.standard_normal((5, 4, 3))
    np.testing.assert_allclose(solutions.conv1d(x, w, stride=2, dilation=2),
                               solutions.conv2d(x[:, :, None], w[:, :, None], stride=(1, 2),
                                                dilation=(1, 2))[:, :, 0],
                               rtol=1e-12, atol=1e-12)
