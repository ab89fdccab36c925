"""convlab's channel pictures and cost panel agree with the reference arithmetic.

Depthwise and pointwise frames show the numbers `solutions` computes, the shuffle
picture shows `torch.nn.ChannelShuffle`'s order, and the cost panel's counts are
`conv_params` / `conv_macs`.
"""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports matplotlib

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import convlab  # noqa: E402
import solutions  # noqa: E402
from convlab.channel_frames import (  # noqa: E402
    depthwise_frame,
    depthwise_frames,
    pointwise_frame,
    pointwise_frames,
    shuffle_frame,
)
from convlab.cost_panel import SeparableCostPanel  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _grids(frame, prefix):
    return [g for g in frame.grids if g.label.startswith(prefix)]


@pytest.mark.parametrize("channels, n, k", [(3, 4, 2), (2, 5, 3), (1, 3, 3), (4, 3, 1)])
def test_depthwise_frames_show_the_reference_outputs(channels, n, k):
    rng = np.random.default_rng(channels * n + k)
    x = rng.integers(-3, 4, (channels, n, n)).astype(float)
    w = rng.integers(-2, 3, (channels, k, k)).astype(float)
    frames = depthwise_frames(channels, n, k, values=(x, w))
    assert len(frames) == channels * (n - k + 1) ** 2
    expected = solutions.depthwise_conv2d(x, w[:, None])
    last = _grids(frames[-1], "output")
    np.testing.assert_array_equal(np.stack([g.values for g in last]), expected)
    for frame in frames:
        assert len(frame.taps) == k * k and frame.caption.startswith("output[")
        assert sum((g.kinds == "current").sum() for g in frame.grids) == 1


def test_depthwise_frame_fills_outputs_channel_by_channel():
    frame = depthwise_frame(3, 4, 2, channel=1, position=4)
    filled = [int(np.isfinite(g.values).sum()) for g in _grids(frame, "output")]
    assert filled == [9, 5, 0]
    assert "output[1, 1, 1] = 8×0 + 9×1 + 2×1 + 3×0 = 11" == frame.caption


@pytest.mark.parametrize("c_in, c_out, n", [(3, 2, 3), (2, 3, 3), (5, 6, 2), (1, 1, 1)])
def test_pointwise_frames_show_the_reference_outputs(c_in, c_out, n):
    frames = pointwise_frames(c_in, c_out, n)
    assert len(frames) == n * n
    x = np.stack([g.values for g in _grids(frames[0], "input channel")])
    w = _grids(frames[0], "weight")[0].values
    last = np.stack([g.values for g in _grids(frames[-1], "output channel")])
    np.testing.assert_array_equal(last, solutions.pointwise_conv2d(x, w))
    for p, frame in enumerate(frames):
        r, c = divmod(p, n)
        np.testing.assert_array_equal(_grids(frame, "pixel")[0].values[0], x[:, r, c])
        np.testing.assert_array_equal(_grids(frame, "W·v")[0].values[:, 0], w @ x[:, r, c])


@pytest.mark.parametrize("channels, groups", [(6, 2), (6, 3), (8, 4), (12, 3), (5, 1), (4, 4)])
def test_shuffle_frame_shows_torch_channel_shuffle(channels, groups):
    frame = shuffle_frame(channels, groups)
    shown = _grids(frame, "shuffled")[0].values[0]
    order = torch.nn.ChannelShuffle(groups)(torch.arange(channels).reshape(1, channels, 1, 1))
    np.testing.assert_array_equal(shown, order.ravel().numpy())
    assert len(frame.links) == channels


def test_channel_frames_refuse_bad_arguments():
    with pytest.raises(ValueError, match="kernel_size=4 is larger"):
        depthwise_frame(2, 3, 4)
    with pytest.raises(ValueError, match="channel must be below"):
        depthwise_frame(2, 3, 2, channel=2)
    with pytest.raises(ValueError, match="outside"):
        pointwise_frame(2, 2, 3, position=9)
    with pytest.raises(ValueError, match="must divide"):
        shuffle_frame(6, 4)
    with pytest.raises(ValueError, match="values must be"):
        depthwise_frame(2, 3, 2, values=(np.zeros((3, 3, 3)), np.zeros((2, 2, 2))))


def test_channel_frames_draw_and_animate():
    for frame in (depthwise_frame(), pointwise_frame(), shuffle_frame()):
        assert convlab.frame_png(frame).startswith(PNG)
    assert len(convlab.animate(depthwise_frames(2, 3, 2))) == 8


def test_cost_panel_settings_are_synced_traits():
    # its counts are computed in the browser: tests/test_convlab_panels.py checks them
    panel = SeparableCostPanel(64, 128, 3, 56)
    assert {k: panel.get_state()[k] for k in ("in_channels", "out_channels", "kernel_size",
                                              "size")} == {"in_channels": 64,
                                                           "out_channels": 128,
                                                           "kernel_size": 3, "size": 56}
    panel.out_channels = 256
    assert panel.get_state()["out_channels"] == 256
