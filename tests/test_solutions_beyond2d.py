"""conv1d and conv3d in float32, and against conv2d where they must agree.

The float64 sweeps against torch are in test_solutions_torch.py, with conv2d's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as F
from test_solutions_torch import _torch, conv_case, one_torch_thread  # noqa: F401 (autouse)

import solutions

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

SWEEPS = {"conv1d": (solutions.conv1d, F.conv1d, 1), "conv3d": (solutions.conv3d, F.conv3d, 3)}


@pytest.mark.parametrize("name", SWEEPS)
def test_float32_in_float32_out(name):
    fn, oracle, spatial = SWEEPS[name]
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
