"""Chapter 08 (beyond 2-D): every formula and number in its text, checked with `solutions`.

Each test names the chapter section whose claim it checks. Numbers a page computes
itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose, and the
step-through picture's agreement with the arithmetic.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pytorch_box import run_pytorch_box
from single_channel import corr

import convlab
import solutions as S

X = np.array([1.0, 2, 4, 7, 11])
W = np.array([-1.0, 1])


def conv1(x, w, **kwargs):
    """1-D cross-correlation of one channel with one kernel."""
    return S.conv1d(np.asarray(x, float)[None, None], np.asarray(w, float)[None, None],
                    **kwargs)[0, 0]


def causal(x, w, d=1):
    return conv1(np.pad(x, ((len(w) - 1) * d, 0)), w, dilation=d)


def test_ch08_1d_formula_example_and_output_size():
    """Section "1-D convolution": differences [1, 2, 3, 4]; the output-size formula."""
    rng = np.random.default_rng(1)
    np.testing.assert_array_equal(conv1(X, W), [1, 2, 3, 4])
    for _ in range(200):
        n, k = int(rng.integers(1, 30)), int(rng.integers(1, 6))
        s, p, d = int(rng.integers(1, 4)), int(rng.integers(0, 4)), int(rng.integers(1, 4))
        if n + 2 * p < d * (k - 1) + 1:
            continue
        y = conv1(rng.standard_normal(n), rng.standard_normal(k), stride=s, padding=p, dilation=d)
        assert len(y) == (n + 2 * p - d * (k - 1) - 1) // s + 1 == S.conv_output_size(n, k, s, p, d)


def test_ch08_1d_is_2d_with_one_axis_left_out():
    """y_{o,t} = b_o + sum_c sum_a x_{c, ts + ad} w_{o,c,a}: a 1-row 2-D convolution."""
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 17)), rng.standard_normal((4, 3, 3))
    b = rng.standard_normal(4)
    for s, p, d in [(1, 0, 1), (2, 1, 2), (3, 2, 1)]:
        np.testing.assert_allclose(
            S.conv1d(x, w, b, stride=s, padding=p, dilation=d),
            S.conv2d(x[:, :, None], w[:, :, None], b, stride=(1, s), padding=(0, p),
                     dilation=(1, d))[:, :, 0], atol=1e-12)


def test_ch08_causal_examples_and_causality():
    """Section "Causal padding": [1, 1, 2, 3, 4], with d = 2 [1, 2, 3, 5, 7]; no future, same
    padding sees (k-1)d/2 steps ahead; np.convolve with the flipped kernel is the same."""
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(causal(X, W), [1, 1, 2, 3, 4])
    np.testing.assert_array_equal(causal(X, W, 2), [1, 2, 3, 5, 7])
    np.testing.assert_array_equal(np.convolve(X, W[::-1])[:5], causal(X, W))
    np.testing.assert_array_equal(np.convolve(X, np.array([-1.0, 0, 1])[::-1])[:5], causal(X, W, 2))
    for k, d in [(2, 1), (3, 2), (4, 3)]:
        w = rng.random(k) + 0.5
        x = rng.standard_normal(20)
        y = causal(x, w, d)
        assert len(y) == len(x)
        for t in range(20):
            future = x.copy()
            future[t + 1:] += 1.0
            assert causal(future, w, d)[t] == y[t]          # nothing after t
            if t >= (k - 1) * d:
                past = x.copy()
                past[t - (k - 1) * d] += 1.0
                assert causal(past, w, d)[t] != y[t]        # the oldest tap reaches y_t
        np.testing.assert_allclose(np.convolve(x, S.dilate_kernel(w[None], d)[0][::-1])[:20], y)
        # centred padding: y_t reads (k - 1)d / 2 steps ahead
        if (k - 1) * d % 2 == 0:
            same = conv1(x, w, padding=(k - 1) * d // 2, dilation=d)
            nudged = x.copy()
            nudged[5 + (k - 1) * d // 2] += 1.0
            assert conv1(nudged, w, padding=(k - 1) * d // 2, dilation=d)[5] != same[5]


def _causal_stack_reach(length, k, dilations, t):
    """Input steps that change output t of a causal stack with positive weights."""
    w = np.ones(k)
    reach = []
    for i in range(length):
        h = np.eye(length)[i]
        for d in dilations:
            h = causal(h, w, d)
        if h[t] != 0:
            reach.append(i)
    return reach


def test_ch08_wavenet_fields_and_the_animation():
    """Section "WaveNet": 16 for dilations 1, 2, 4, 8; 1,024 per block, 2,047 and 3,070 for two
    and three; 1,023 undilated layers for 1,024; the picture shows exactly the reach."""
    assert S.receptive_field([2] * 4, dilations=[1, 2, 4, 8]) == 1 + 1 + 2 + 4 + 8 == 16
    block = [2**i for i in range(10)]
    assert block[-1] == 512
    assert [S.receptive_field([2] * 10 * b, dilations=block * b) for b in (1, 2, 3)] == [
        1024, 2047, 3070]
    assert S.receptive_field([2] * 1023) == 1024
    assert _causal_stack_reach(40, 2, block[:5], 39) == list(range(40 - 32, 40))
    for t in (0, 3, 9, 15):
        frame = convlab.causal_stack_frame(16, 2, (1, 2, 4, 8), position=t)
        bottom = max(y for _, y, _ in frame.taps)
        drawn = sorted(int(x) - 8 for x, y, _ in frame.taps if y == bottom and x >= 8)
        assert drawn == _causal_stack_reach(16, 2, (1, 2, 4, 8), t), t
    assert len(convlab.causal_stack_frames(16, 2, (1, 2, 4, 8))) == 16
    with pytest.raises(ValueError, match="position"):
        convlab.causal_stack_frame(4, 2, (1, 2), position=4)
    with pytest.raises(ValueError, match="dilations"):
        convlab.causal_stack_frame(4, 2, ())


def test_ch08_3d_hand_example_and_slices():
    """Section "3-D convolution": 52; +72 depth, +24 down, +8 right; a sum of 2-D convolutions
    over the kernel's depth; per-axis output size."""
    rng = np.random.default_rng(4)
    v = np.arange(27.0).reshape(1, 1, 3, 3, 3)
    y = S.conv3d(v, np.ones((1, 1, 2, 2, 2)))[0, 0]
    assert 0 + 1 + 3 + 4 == 8 and 9 + 10 + 12 + 13 == 44 and y[0, 0, 0] == 52
    assert (y[1, 0, 0] - 52, y[0, 1, 0] - 52, y[0, 0, 1] - 52) == (72, 24, 8) == (9 * 8, 3 * 8, 8)
    x, w = rng.standard_normal((5, 6, 7)), rng.standard_normal((3, 2, 3))
    slices = np.stack([sum(corr(x[t + a], w[a]) for a in range(3)) for t in range(3)])
    np.testing.assert_allclose(S.conv3d(x[None, None], w[None, None])[0, 0], slices, atol=1e-12)
    for s, p in [(1, 0), (2, 1), (3, 2)]:
        out = S.conv3d(rng.standard_normal((1, 2, 9, 8, 7)), rng.standard_normal((3, 2, 3, 2, 3)),
                       stride=s, padding=p)
        assert out.shape[2:] == tuple(S.conv_output_size(n, k, s, p)
                                      for n, k in zip((9, 8, 7), (3, 2, 3)))


def test_ch08_multichannel_2d_is_a_3d_kernel_as_deep_as_the_input():
    """Section "A multi-channel 2-D convolution is a 3-D kernel that slides in 2-D"."""
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    as_3d = S.conv3d(x[None, None], w[:, None])         # each filter a 1-channel 3-D kernel
    assert as_3d.shape == (1, 4, 1, 3, 3)               # fits once along depth
    np.testing.assert_allclose(as_3d[:, :, 0], S.conv2d(x[None], w), atol=1e-12)


def test_ch08_c3d_cost_and_i3d_inflation():
    """Section "Video": 5.55 vs 0.116 GMACs, ratio 48 = 3 x 16; inflation answers the 2-D layer
    on a boring video, for kernels N = 1 .. 4 and several channels."""
    rng = np.random.default_rng(6)
    macs_3d = S.conv_macs(64, 64, 3, 56) * 3 * 16
    macs_2d = S.conv_macs(64, 64, 3, 56)
    assert (round(macs_3d / 1e9, 2), round(macs_2d / 1e9, 3)) == (5.55, 0.116)
    assert macs_3d // macs_2d == 48
    for n in range(1, 5):
        image, w = rng.standard_normal((2, 8, 8)), rng.standard_normal((3, 2, n, n))
        boring = np.repeat(image[:, None], 6, axis=1)[None]            # (1, C, T, H, W)
        inflated = np.repeat(w[:, :, None], n, axis=2) / n
        video_out = S.conv3d(boring, inflated)[0]
        for t in range(video_out.shape[1]):
            np.testing.assert_allclose(video_out[:, t], S.conv2d(image, w), atol=1e-12)


def test_ch08_one_by_one_and_bottleneck_counts():
    """Section "1x1 convolutions": a matrix over channels; 69,632 vs 73,728 vs 1,179,648
    weights (about 17x); a ninth of a 3x3; 218,365,952 MACs on 56x56; a strided 1x1 reads one
    pixel in four."""
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((256, 14, 14)), rng.standard_normal((64, 256))
    np.testing.assert_allclose(S.conv2d(x, w[:, :, None, None]),
                               (w @ x.reshape(256, -1)).reshape(64, 14, 14), atol=1e-10)
    bottleneck = sum(S.conv_params(i, o, k, bias=False) for i, o, k in
                     [(256, 64, 1), (64, 64, 3), (64, 256, 1)])
    basic = 2 * S.conv_params(64, 64, 3, bias=False)
    plain = 2 * S.conv_params(256, 256, 3, bias=False)
    assert (bottleneck, basic, plain) == (69_632, 73_728, 1_179_648)
    assert round(plain / bottleneck) == 17
    assert S.conv_macs(64, 64, 3, 56) == 9 * S.conv_macs(64, 64, 1, 56)
    assert sum(S.conv_macs(i, o, k, 56) for i, o, k in
               [(256, 64, 1), (64, 64, 3), (64, 256, 1)]) == 218_365_952
    img = rng.standard_normal((1, 4, 8, 8))
    strided = S.conv2d(img, rng.standard_normal((2, 4, 1, 1)), stride=2)
    read = img.copy()
    read[:, :, 1::2, :] = 0
    read[:, :, :, 1::2] = 0
    assert (read != 0).sum() == img.size // 4
    np.testing.assert_allclose(S.conv2d(read, np.ones((1, 4, 1, 1)), stride=2),
                               S.conv2d(img, np.ones((1, 4, 1, 1)), stride=2))
    assert strided.shape == (1, 2, 4, 4)


def test_ch08_pooling_by_hand_and_linearity():
    """Section "Pooling": [[5, 7], [13, 15]] and [[2.5, 4.5], [10.5, 12.5]]; stride defaults
    to k; the reshape trick; average pooling is a depthwise convolution, max pooling is not
    linear."""
    rng = np.random.default_rng(8)
    x4 = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(S.max_pool2d(x4, 2)[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(S.avg_pool2d(x4, 2)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_array_equal(x4[0, 0].reshape(2, 2, 2, 2).max(axis=(1, 3)),
                                  S.max_pool2d(x4, 2, 2)[0, 0])
    x = rng.standard_normal((2, 3, 9, 9))
    for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 1)]:
        depthwise = S.conv2d(x, np.full((3, 1, k, k), 1 / k**2), stride=s, padding=p, groups=3)
        np.testing.assert_allclose(S.avg_pool2d(x, k, s, p), depthwise, atol=1e-12)
    a, b = rng.standard_normal((1, 1, 4, 4)), rng.standard_normal((1, 1, 4, 4))
    assert not np.allclose(S.max_pool2d(a + b, 2), S.max_pool2d(a, 2) + S.max_pool2d(b, 2))
    assert set(S.max_pool2d(a, 2).ravel()) <= set(a.ravel())   # one of its inputs


def test_ch08_pooling_padding_rules():
    """Padding: -inf for max (all-negative input stays negative), zeros counted by average by
    default: 4/9 in a corner, 1 without; at most half the kernel."""
    neg = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    assert S.max_pool2d(neg, 2, 2, 1).max() == -1
    ones = np.ones((1, 1, 3, 3))
    assert S.avg_pool2d(ones, 3, 1, 1)[0, 0, 0, 0] == pytest.approx(4 / 9)
    assert S.avg_pool2d(ones, 3, 1, 1, count_include_pad=False)[0, 0, 0, 0] == 1
    with pytest.raises(ValueError):
        S.max_pool2d(ones, 3, 1, 2)
    with pytest.raises(ValueError):
        S.pool_output_size(9, 3, 1, 2)


def test_ch08_pooling_output_size_and_ceil_mode():
    """Output size: 5 with k = s = 2 gives 2 (floor) and 3 (ceil, the last window reading column
    4 only); the exercise's cases; the formula equals the pooled shapes."""
    rng = np.random.default_rng(9)
    assert S.pool_output_size(5, 2) == 2 and S.pool_output_size(5, 2, ceil_mode=True) == 3
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    assert S.max_pool2d(x, (1, 2), ceil_mode=True)[0, 0, 0, -1] == 4
    assert S.pool_output_size(112, 3, 2, 1) == 56
    assert S.pool_output_size(4, 2, 3, 1, ceil_mode=True) == 2
    for _ in range(200):
        n, k = int(rng.integers(1, 15)), int(rng.integers(1, 5))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, k // 2 + 1))
        ceil = bool(rng.random() < 0.5)
        try:
            size = S.pool_output_size(n, k, s, p, ceil_mode=ceil)
        except ValueError:
            continue
        pooled = S.max_pool2d(rng.standard_normal((1, 1, n, n)), k, s, p, ceil_mode=ceil)
        assert pooled.shape[2:] == (size, size)
        assert (size - 1) * s < n + p  # every window starts inside the input or left padding


def _footprint(layers, n, index):
    """Input cells that change output `index` of a 1-D stack (positive weights, avg for s > 1)."""
    reach = []
    for i in range(n):
        h = np.eye(n)[i][None, None, None]
        for k, s, p, d in layers:
            h = S.conv2d(h, np.ones((1, 1, 1, k)), stride=(1, s), padding=(0, p), dilation=(1, d))
        if h[0, 0, 0, index] != 0:
            reach.append(i)
    return reach


def test_ch08_receptive_fields_with_strides_and_pooling():
    """Section "Receptive fields": ResNet's stem 7 then 11 with J = 4; VGG-16 after each pooling
    6, 16, 44, 100, 212 and steps 2, 4, 8, 16, 32; the VGG block probe 4..9; random stacks with
    strides, padding, dilation against a numerical probe."""
    rng = np.random.default_rng(10)
    assert S.receptive_field([7]) == 7 and S.receptive_field([7, 3], strides=[2, 2]) == 11
    vgg = []
    for convs in (2, 2, 3, 3, 3):
        vgg += [(3, 1)] * convs + [(2, 2)]
    fields = [S.receptive_field([k for k, _ in vgg[:i + 1]], strides=[s for _, s in vgg[:i + 1]])
              for i in range(len(vgg))]
    assert [f for f, (_, s) in zip(fields, vgg) if s == 2] == [6, 16, 44, 100, 212]
    steps = sorted({b - a for a, b, (k, _) in zip([1] + fields, fields, vgg) if k == 3})
    assert steps == [2, 4, 8, 16, 32] and 32 == 16 * 2
    vgg_block = ((3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 0, 1))
    assert _footprint(vgg_block, 16, 3) == list(range(4, 10)) == list(
        range(S.receptive_window(vgg_block, 3)[0], S.receptive_window(vgg_block, 3)[1] + 1))
    for _ in range(25):
        layers = tuple((int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(0, 2)),
                        int(rng.integers(1, 3))) for _ in range(int(rng.integers(1, 4))))
        index = next(i for i in range(40) if S.receptive_window(layers, i)[0] >= 0)
        first, last = S.receptive_window(layers, index)
        reach = _footprint(layers, last + 8, index)
        # the ends of the window are reached; inside it strides and dilations may leave holes
        assert (reach[0], reach[-1]) == (first, last), layers
        assert last - first + 1 == S.receptive_field([k for k, *_ in layers],
                                                     strides=[s for _, s, *_ in layers],
                                                     dilations=[d for *_, d in layers])


def test_ch08_in_pytorch_box():
    """The "In PyTorch" box computes what the chapter built."""
    pytest.importorskip("torch")
    ns = run_pytorch_box("08_beyond_2d")
    x, conv1d = ns["x"].numpy(), ns["conv1d"]
    w, b = conv1d.weight.detach().numpy(), conv1d.bias.detach().numpy()
    assert ns["y_causal"].shape == (2, 4, 20)
    np.testing.assert_allclose(ns["y_causal"].detach().numpy(),
                               S.conv1d(np.pad(x, ((0, 0), (0, 0), (4, 0))), w, b, dilation=4),
                               atol=1e-12)
    conv3d = ns["conv3d"]
    assert ns["y_video"].shape == (1, 8, 8, 16, 16)
    np.testing.assert_allclose(ns["y_video"].detach().numpy(),
                               S.conv3d(ns["video"].numpy(), conv3d.weight.detach().numpy(),
                                        conv3d.bias.detach().numpy(), padding=1), atol=1e-12)
    image = ns["image"].numpy()
    assert ns["y_max"].shape == (1, 2, 4, 4)
    np.testing.assert_array_equal(ns["y_max"].numpy(), S.max_pool2d(image, 2, ceil_mode=True))
    np.testing.assert_allclose(ns["y_avg"].numpy(),
                               S.avg_pool2d(image, 3, 2, 1, count_include_pad=False), atol=1e-12)


def test_ch08_pool_output_size_is_torch_s_and_refuses_where_torch_does():
    """The reference of exercise 3 against torch on every small configuration."""
    torch = pytest.importorskip("torch")
    for n, k, s, p, d, ceil in itertools.product(range(1, 12), range(1, 5), (None, 1, 2, 3, 4, 6),
                                                 range(3), (1, 2, 3), (False, True)):
        try:
            expected = torch.nn.functional.max_pool1d(
                torch.zeros(1, 1, n), k, s, p, dilation=d, ceil_mode=ceil).shape[-1]
        except RuntimeError:
            expected = None
        try:
            got = S.pool_output_size(n, k, s, p, d, ceil_mode=ceil)
        except ValueError:
            got = None
        assert got == expected, (n, k, s, p, d, ceil)


@pytest.mark.parametrize("call, error, words", [
    (lambda: S.pool_output_size(5, 2, padding=2), ValueError, "padding"),
    (lambda: S.pool_output_size(5, 2.0), TypeError, "kernel_size"),
    (lambda: S.pool_output_size(5, 2, ceil_mode=1), TypeError, "ceil_mode"),
    (lambda: S.pool_output_size(1, 3), ValueError, "no output"),
    (lambda: S.receptive_window([]), ValueError, "layers"),
    (lambda: S.receptive_window([(3, 1, 1)]), ValueError, "layers"),
    (lambda: S.receptive_window([(3, 0, 1, 1)]), ValueError, "stride"),
    (lambda: S.receptive_window([(3, 1, -1, 1)]), ValueError, "padding"),
    (lambda: S.receptive_window([(3, 1, 1, 1)], index=-1), ValueError, "index"),
])
def test_ch08_reference_helpers_name_the_bad_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_ch08_exercise_literals():
    """The visible checks of the exercises, against torch (look-ahead of padding='same', the
    gradient of max pooling with ties, ceil mode's sizes), against brute force (the widest
    stack over all dilations, the outputs seeing a cell over all outputs) and against a
    bottleneck built to the width."""
    import itertools

    import torch
    import torch.nn.functional as F

    from autograder.checks.ch08_beyond_2d import (
        _ahead,
        _ceil_changes,
        _large_pool_case,
        _low_rank_weight,
        _narrowest,
        _pool_backward,
        _seeing,
        _small_pool_cases,
        _widest,
    )

    # 'same' pads d(k - 1) // 2 on the left, the rest on the right: measure the look-ahead
    for k, d in [(2, 1), (3, 1), (3, 2), (4, 3), (5, 2), (2, 5)]:
        weight = torch.ones(1, 1, k, dtype=torch.float64)
        ahead = 0
        for u in range(30):
            x = torch.zeros(1, 1, 30, dtype=torch.float64)
            x[0, 0, u] = 1
            y = F.conv1d(x, weight, padding="same", dilation=d)[0, 0]
            ahead = max([ahead] + [u - t for t in range(30) if y[t] != 0])
        assert _ahead(d, k - 1) == ahead
    # the widest stack within the budget: the closed form against every choice of dilations
    for k, depth, budget in itertools.product(range(1, 7), range(1, 4), range(16)):
        m = k - 1
        fields = [1 + m * sum(ds) for ds in itertools.product(range(1, 34), repeat=depth)
                  if sum(_ahead(d, m) for d in ds) <= budget]
        assert _widest(depth, k, budget) == (1 if m == 0 else max(fields, default=0))
    assert [_widest(*c) for c in [(1, 3, 1), (1, 3, 4), (2, 2, 1), (5, 1, 0)]] == [3, 9, 0, 1]
    # the outputs seeing a cell: the closed form against every output's window
    rng = np.random.default_rng(6)
    for _ in range(500):
        layers = []
        for _ in range(int(rng.integers(1, 4))):
            k = int(rng.integers(1, 5))
            layers.append((k, int(rng.integers(1, 4)), int(rng.integers(0, k)),
                           int(rng.integers(1, 3))))
        cell = int(rng.integers(0, 30))
        windows = [S.receptive_window(layers, i) for i in range(80)]
        seen = [i for i, (a, b) in enumerate(windows) if a <= cell <= b]
        first, last = _seeing(layers, cell)
        if seen:
            assert (first, last) == (seen[0], seen[-1])
        else:
            assert last == first - 1 and windows[first][0] > cell and windows[last][1] < cell
    stem, vgg = ((7, 2, 3, 1), (3, 2, 1, 1)), ((3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 0, 1))
    assert [_seeing(*c) for c in [(((3, 1, 1, 1),), 0), (stem, 10), (((2, 1, 0, 4),), 5),
                                   (((1, 2, 0, 1),), 3), (vgg, 7)]] == [
        (0, 1), (2, 3), (1, 5), (2, 1), (2, 4)]
    # max pooling's ties go to the first maximum in row-major order, as in torch: the hidden
    # small cases themselves (ties at scales 1, 2^50, 2^-40, one-ulp neighbours) and the
    # large image's kind scaled down (150-200 cells a side, windows of 45-60: plateaus tied
    # within and between them) against autograd
    rng = np.random.default_rng(9)
    scaled = [_large_pool_case(rng, sides=(150, 201), windows=(45, 61)) for _ in range(4)]
    for x, g, k, s, p in _small_pool_cases(np.random.default_rng(9)) + scaled:
        xt = torch.tensor(x, requires_grad=True)
        F.max_pool2d(xt, k, s, p).backward(torch.tensor(g))
        np.testing.assert_array_equal(_pool_backward(x, g, k, s, p), xt.grad.numpy())
    for x, g, k, s, p in scaled:   # ties that only the row-major order settles
        assert not np.array_equal(_pool_backward(x, g, k, s, p, route="columns"),
                                  _pool_backward(x, g, k, s, p))
    tie = _pool_backward(np.full((1, 1, 2, 2), 7.0), np.array([[[[5.0]]]]), 2, 2, 0)
    np.testing.assert_array_equal(tie, [[[[5, 0], [0, 0]]]])
    rows = np.array([[[[0.0, 0, 3], [3, 0, 0], [0, 0, 0]]]])
    xt = torch.tensor(rows, requires_grad=True)
    F.max_pool2d(xt, 3).backward(torch.tensor([[[[5.0]]]], dtype=torch.float64))
    np.testing.assert_array_equal(xt.grad.numpy(), [[[[0, 0, 5], [0, 0, 0], [0, 0, 0]]]])
    # ceil mode: the closed count against the forward sizes, one length at a time, and torch
    literals = [(2, 10, 2, 2, 0, 1), (4, 4, 2, 2, 0, 1), (5, 5, 2, 2, 0, 1), (4, 5, 2, 3, 1, 1),
                (12, 12, 3, 4, 1, 1)]
    assert [_ceil_changes(*c) for c in literals] == [4, 0, 1, 0, 1]
    rng = np.random.default_rng(3)
    for _ in range(400):
        k, d, s = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 12))
        p = int(rng.integers(0, k // 2 + 1))
        lo = max(1, d * (k - 1) + 1 - 2 * p) + int(rng.integers(0, 30))
        hi = lo + int(rng.integers(0, 50))
        assert _ceil_changes(lo, hi, k, s, p, d) == sum(
            S.pool_output_size(n, k, s, p, d, True) != S.pool_output_size(n, k, s, p, d, False)
            for n in range(lo, hi + 1))
    for k, s, p, d in [(3, 2, 1, 1), (2, 3, 1, 1), (4, 5, 2, 2), (3, 7, 1, 3)]:
        lo = max(1, d * (k - 1) + 1 - 2 * p)
        sizes = [[F.max_pool1d(torch.zeros(1, 1, n), k, s, p, d, ceil_mode=c).shape[-1]
                  for c in (False, True)] for n in range(lo, lo + 60)]
        assert _ceil_changes(lo, lo + 59, k, s, p, d) == sum(a != b for a, b in sizes)
    # the narrowest bottleneck: a stack of that width, built from bases of the taps' column and
    # row spaces, computes the layer exactly (and no narrower one can: ranks bound it)
    rng = np.random.default_rng(4)
    for _ in range(30):
        c_out, c_in = (int(v) for v in rng.integers(2, 9, 2))
        weight = _low_rank_weight(rng, c_out, c_in, int(rng.integers(1, c_out + 1)),
                                  int(rng.integers(1, c_in + 1)), 3, 3)
        m = _narrowest(weight)
        u, _, _ = np.linalg.svd(weight.reshape(c_out, -1))
        _, _, vt = np.linalg.svd(weight.swapaxes(0, 1).reshape(c_in, -1).T)
        r1 = np.linalg.matrix_rank(weight.reshape(c_out, -1))
        r2 = np.linalg.matrix_rank(weight.swapaxes(0, 1).reshape(c_in, -1))
        b = np.zeros((c_out, m))
        b[:, :r1] = u[:, :r1]
        a = np.zeros((m, c_in))
        a[:r2] = vt[:r2]
        mid = np.einsum("om,ocxy,nc->mnxy", b, weight, a)  # B^T W_ab A^T, zero-padded to m
        x = rng.standard_normal((1, c_in, 6, 6))
        stack = S.conv2d(S.conv2d(S.conv2d(x, a[:, :, None, None]), mid, padding=1),
                         b[:, :, None, None])
        np.testing.assert_allclose(stack, S.conv2d(x, weight, padding=1), atol=1e-8)
        assert m == max(r1, r2)
    # the gradient of max pooling, against torch's autograd
    rng = np.random.default_rng(8)
    for k, s, p in [(2, 2, 0), (3, 1, 1), (2, 1, 0), (3, 2, 1), (4, 3, 2)]:
        x = torch.tensor(rng.standard_normal((2, 3, 7, 6)) - 1.0, requires_grad=True)
        y = F.max_pool2d(x, k, s, p)
        g = torch.tensor(rng.standard_normal(tuple(y.shape)))
        y.backward(g)
        np.testing.assert_allclose(_pool_backward(x.detach().numpy(), g.numpy(), k, s, p),
                                   x.grad.numpy())
    one = _pool_backward(np.array([[[[1.0, 2], [4, 3]]]]), np.array([[[[5.0]]]]), 2, 2, 0)
    np.testing.assert_array_equal(one, [[[[0, 0], [5, 0]]]])


def test_ch08_citations():
    """VGG's venue and date, and WaveNet's reason for fast training (Sec. 2.1: all time steps
    in parallel because all of the ground truth is known; no recurrence)."""
    from chapter_text import markdown

    text = markdown("08_beyond_2d")
    assert "Simonyan & Zisserman, ICLR 2015" in text and "Zisserman, 2014" not in text
    assert "no recurrence" in text and "teacher forcing" in text and "Sec. 2.1" in text
    assert "in Jupyter" not in text


def test_ch08_ceil_mode_count_on_the_huge_spans():
    """The hidden layers whose stride and window span are both 10^11 to 5 10^12 cells: the closed
    count agrees, length by length, with the size rule in both modes (the rule that torch
    matches on every small layer above), at lengths spread over each range and next to its
    ends, and it adds up over a split of the range."""
    from autograder.checks import cases_for
    from autograder.checks.ch08_beyond_2d import _ceil_changes, _huge_span_cases

    rng = np.random.default_rng(11)
    for seed in (1, 2):
        huge = [c for c in cases_for("ch08.ceil_mode_changes", seed)
                if 10 ** 11 <= min(c[3], c[5] * (c[2] - 1) + 1) < 5 * 10 ** 12]
        assert len(huge) == len(_huge_span_cases(np.random.default_rng(0))) == 16
        for lo, hi, k, s, p, d in huge:
            lengths = {lo, hi, lo + 1, hi - 1} | {int(v) for v in rng.integers(lo, hi + 1, 50)}
            for n in sorted(v for v in lengths if lo <= v <= hi):
                changed = (S.pool_output_size(n, k, s, p, d, True)
                           != S.pool_output_size(n, k, s, p, d, False))
                assert _ceil_changes(n, n, k, s, p, d) == changed, (n, k, s, p, d)
            mid = (lo + hi) // 2
            assert _ceil_changes(lo, hi, k, s, p, d) == (
                _ceil_changes(lo, mid, k, s, p, d) + _ceil_changes(mid + 1, hi, k, s, p, d))


def test_ch08_max_pool_reference_against_the_windows_read_one_by_one():
    """The reference (ranks, a separable minimum by doubling, bincount) against the
    definition read window by window (the first maximum of each, row by row), on every small
    hidden case of two students and on a 60 x 70 image of the large case's kind."""
    from autograder.checks.ch08_beyond_2d import _large_pool_case, _pool_backward, _small_pool_cases

    def by_windows(x, g, k, s, p):
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        out = np.zeros(xp.shape)
        for n, c, i, j in np.ndindex(g.shape):
            window = xp[n, c, i * s:i * s + k, j * s:j * s + k]
            a, b = divmod(int(np.argmax(window)), k)       # argmax: the first maximum
            out[n, c, i * s + a, j * s + b] += g[n, c, i, j]
        return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]

    cases = _small_pool_cases(np.random.default_rng(1)) + _small_pool_cases(
        np.random.default_rng(2))
    cases.append(_large_pool_case(np.random.default_rng(3), sides=(60, 71), windows=(15, 21)))
    for case in cases:
        np.testing.assert_allclose(_pool_backward(*case), by_windows(*case), rtol=0, atol=1e-12)


def test_ch08_max_pool_large_case_as_the_prompt_says():
    """Exercise 4's prompt: an image of 1,100 to 1,300 cells a side, windows of 350 to 450 at
    stride 1, at least 10^11 comparisons read window by window, the 30 s of a graded cell
    (the grader's nbgrader timeout). The least count is at the smallest window with the least
    padding (a quarter of it) on the smallest image; the drawn cases stay in the ranges."""
    import re
    from pathlib import Path

    from chapter_text import markdown

    from autograder.checks import cases_for
    from autograder.checks.ch08_beyond_2d import LARGE_SIDES, LARGE_WINDOWS

    flat = " ".join(markdown("08_beyond_2d").split())
    assert "One hidden image of 1,100 to 1,300 cells a side is pooled at stride 1" in flat
    assert "windows of 350 to 450 cells a side" in flat
    assert "at least $10^{11}$ comparisons, far more than the 30 s a graded cell may run" in flat
    assert (LARGE_SIDES, LARGE_WINDOWS) == ((1100, 1301), (350, 451))
    config = (Path(__file__).resolve().parents[1] / "autograder" / "nbgrader_config.py").read_text()
    assert re.search(r"^c\.Execute\.timeout = 30$", config, re.M)
    least = min((n + 2 * (k // 4) - k + 1) ** 2 * (k * k - 1)
                for n in range(1100, 1301) for k in range(350, 451))
    assert least >= 10 ** 11
    for seed in (None, 1, 2, 3):
        x, g, k, s, p = (cases_for("ch08.max_pool2d_backward") if seed is None else
                         cases_for("ch08.max_pool2d_backward", seed))[-1]
        assert all(1100 <= side <= 1300 for side in x.shape[2:]) and 350 <= k <= 450
        assert s == 1 and k // 4 <= p <= k // 2
        assert g.shape[2] * g.shape[3] * (k * k - 1) >= 10 ** 11
