"""Hidden checks of chapter 08 (beyond 2-D): causal 1-D convolution, the input window of a
stack, pooling sizes, max pooling, 3-D convolution, the cost of a bottleneck block."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake


def _causal(x, weight, bias, dilation):
    k = weight.shape[-1]
    return solutions.conv1d(np.pad(x, ((0, 0), (0, 0), ((k - 1) * dilation, 0))), weight, bias,
                            dilation=dilation)


def _padded_conv1d(x, weight, bias, dilation, before, after):
    return solutions.conv1d(np.pad(x, ((0, 0), (0, 0), (before, after))), weight, bias,
                            dilation=dilation)


def _causal_cases(rng):
    cases = []
    for _ in range(30):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, 3))
        k, d = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        length = int(rng.integers(k * d, k * d + 12))
        cases.append((rng.standard_normal((n, c_in, length)),
                      rng.standard_normal((c_out, c_in, k)), rng.standard_normal(c_out), d))
    return cases


def _stack_cases(rng):
    cases = []
    for _ in range(40):
        layers = []
        for _ in range(int(rng.integers(1, 6))):
            k = int(rng.integers(1, 8))
            d = int(rng.choice([1, 1, 2, 3]))
            layers.append((k, int(rng.integers(1, 4)), int(rng.integers(0, k)), d))
        cases.append((tuple(layers), int(rng.integers(0, 6))))
    return cases


def _window(layers, index, *, jump_first=False, dilate=True, pad=True, pad_jump=True,
            index_jump=True):
    """The input window under one model of the stack (the flags switch off the right parts)."""
    first, field, jump = 0, 1, 1
    for k, s, p, d in layers:
        if jump_first:
            jump *= s
        field += (d if dilate else 1) * (k - 1) * jump
        first -= p * (jump if pad_jump else 1) if pad else 0
        if not jump_first:
            jump *= s
    first += index * (jump if index_jump else 1)
    return first, first + field - 1


def _pool_size_cases(rng):
    cases = []
    while len(cases) < 60:
        k = int(rng.integers(1, 6))
        s = None if rng.random() < 0.2 else int(rng.integers(1, 5))
        d = 1 if rng.random() < 0.3 else int(rng.integers(2, 4))
        p = int(rng.integers(0, k // 2 + 1)) if rng.random() < 0.7 else 0
        n = int(rng.integers(1, 20))
        ceil = bool(rng.random() < 0.6)
        try:
            solutions.pool_output_size(n, k, s, p, d, ceil_mode=ceil)
        except ValueError:
            continue
        cases.append((n, k, s, p, d, ceil))
    # windows torch drops: a ceil-mode window starting in (or past) the right padding
    cases += [(4, 2, 3, 1, 1, True), (6, 3, 4, 1, 1, True), (2, 1, 2, 0, 1, True),
              (5, 3, 6, 1, 1, True), (8, 2, 3, 1, 2, True), (6, 2, 4, 1, 3, True)]
    return cases


def _pool_size(n, k, s, p, d, ceil, *, default=None, round_up=lambda a, s: -(-a // s),
               rule=True, sides=2, span=lambda k, d: d * (k - 1) + 1):
    """The pooled length under one model (the keywords swap in a student's version of a step)."""
    s = (k if default is None else default) if s is None else s
    room = n + sides * p - span(k, d)
    size = (round_up(room, s) if ceil else room // s) + 1
    if rule and ceil and (size - 1) * s >= n + p:
        size -= 1
    return size


def _max_pool_cases(rng):
    cases = []
    while len(cases) < 30:
        k = int(rng.integers(1, 5))
        s = int(rng.integers(1, 4))
        p = int(rng.integers(0, k // 2 + 1))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 11)),
                 int(rng.integers(k, 11)))
        # mostly negative values: zero padding then wins windows on the border
        x = rng.standard_normal(shape) - (1.5 if rng.random() < 0.5 else 0.0)
        cases.append((x, k, s, p))
    cases.append((-np.arange(1.0, 17.0).reshape(1, 1, 4, 4), 2, 2, 1))
    return cases


def _pool_with(x, k, s, p, fill, reduce):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    oh, ow = (xp.shape[2] - k) // s + 1, (xp.shape[3] - k) // s + 1
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(xp[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return out


def _conv3d(x, weight, bias, stride):
    return solutions.conv3d(x[None], weight, bias, stride=stride)[0]


def _conv3d_short(x, weight, bias, stride):
    """The right values on an output one position short per axis: the size's "+ 1" forgotten."""
    od, oh, ow = ((n - k) // stride for n, k in zip(x.shape[1:], weight.shape[2:]))
    return _conv3d(x, weight, bias, stride)[:, :od, :oh, :ow]


def _conv3d_per_frame(x, weight, bias, stride):
    """Every frame filtered in 2-D by the kernel's middle depth slice, depth neither summed nor
    strided: depth handled like a batch of images."""
    mid = weight.shape[2] // 2
    return solutions.conv3d(x[None], weight[:, :, mid:mid + 1], bias, stride=(1, stride, stride))[0]


def _conv3d_cases(rng):
    cases = []
    for _ in range(30):
        c_in, c_out = (int(v) for v in rng.integers(1, 4, 2))
        kernel = tuple(int(v) for v in rng.integers(1, 4, 3))
        size = tuple(k + int(rng.integers(0, 5)) for k in kernel)
        cases.append((rng.standard_normal((c_in, *size)),
                      rng.standard_normal((c_out, c_in, *kernel)), rng.standard_normal(c_out),
                      int(rng.integers(1, 4))))
    return cases


def _bottleneck(c_in, width, c_out, size, stride, *, first_size=None, mid_size=None,
                last_size=None, taps=9):
    o = (size - 1) // stride + 1
    first = size if first_size is None else first_size(size, stride)
    mid = o if mid_size is None else mid_size(size, stride)
    last = o if last_size is None else last_size(size, stride)
    return (c_in * width * first**2 + width * width * taps * mid**2 + width * c_out * last**2)


def _bottleneck_cases(rng):
    cases = []
    for _ in range(40):
        width = int(rng.choice([16, 32, 64, 128]))
        c_in = int(rng.choice([width, 2 * width, 4 * width]))
        cases.append((c_in, width, 4 * width, int(rng.integers(3, 60)), int(rng.integers(1, 3))))
    return cases + [(256, 64, 256, 56, 1), (256, 128, 512, 56, 2), (512, 128, 512, 7, 2)]


CHECKS = [
    Check(
        id="ch08.causal_conv1d", function="causal_conv1d", cases=_causal_cases,
        reference=_causal,
        mistakes=[
            Mistake("padding that ignores the dilation",
                    lambda x, w, b, d: _padded_conv1d(x, w, b, d, w.shape[-1] - 1, 0),
                    "the taps span (k - 1)·d cells, so causal padding is (k - 1)·d zeros on the "
                    "left, not k - 1."),
            Mistake("no padding",
                    lambda x, w, b, d: _padded_conv1d(x, w, b, d, 0, 0),
                    "pad (k - 1)·d zeros on the left so that the output has one value per "
                    "input time step."),
            Mistake("padding on both sides, 'same' instead of causal",
                    lambda x, w, b, d: _padded_conv1d(x, w, b, d, (w.shape[-1] - 1) * d // 2,
                                                      (w.shape[-1] - 1) * d
                                                      - (w.shape[-1] - 1) * d // 2),
                    "centred padding lets y[t] read x[t + 1], x[t + 2], ...: the future. All "
                    "(k - 1)·d zeros go on the left."),
            Mistake("padding on the right, anti-causal",
                    lambda x, w, b, d: _padded_conv1d(x, w, b, d, 0, (w.shape[-1] - 1) * d),
                    "with the zeros on the right, y[t] reads x[t .. t + (k-1)d], the future; "
                    "put them on the left."),
            Mistake("kernel flipped",
                    lambda x, w, b, d: _causal(x, w[..., ::-1], b, d),
                    "deep-learning convolution does not flip: the last tap w[k - 1] meets "
                    "x[t] and w[0] meets x[t - (k-1)d]."),
            Mistake("bias missing", lambda x, w, b, d: _causal(x, w, None, d),
                    "add bias[o] to every value of output channel o."),
            Mistake("dilation ignored", lambda x, w, b, d: _causal(x, w, b, 1),
                    "dilation d places the taps d time steps apart: x[t - (k-1-a)·d]."),
        ]),
    Check(
        id="ch08.input_window", function="input_window", cases=_stack_cases,
        reference=solutions.receptive_window,
        mistakes=[
            Mistake("strides of earlier layers ignored",
                    lambda layers, i: _window([(k, 1, p, d) for k, _, p, d in layers], i),
                    "one step of layer l's input is J = s_1 ... s_(l-1) input cells: its "
                    "d(k - 1) and its padding count J times, and output i starts at i·J_L."),
            Mistake("a layer's own stride counted in its jump",
                    lambda layers, i: _window(layers, i, jump_first=True),
                    "layer l's taps are one step of *its input* apart: multiply by the strides "
                    "before it, s_1 ... s_(l-1), not including s_l."),
            Mistake("dilation ignored", lambda layers, i: _window(layers, i, dilate=False),
                    "a dilated layer spans d(k - 1) + 1 cells of its input, not k."),
            Mistake("padding ignored", lambda layers, i: _window(layers, i, pad=False),
                    "padding shifts every window left: layer l's p_l zeros are p_l·J cells of "
                    "the input, so the window starts at i·J_L - sum p_l·J_(l-1)."),
            Mistake("padding not scaled by the jump",
                    lambda layers, i: _window(layers, i, pad_jump=False),
                    "layer l's padding is p_l cells of *its* input, p_l·(s_1 ... s_(l-1)) "
                    "cells of the network input."),
            Mistake("output index not scaled by the total stride",
                    lambda layers, i: _window(layers, i, index_jump=False),
                    "neighbouring outputs of the last layer are s_1 ... s_L input cells apart, "
                    "so output i starts i·J_L cells after output 0."),
        ]),
    Check(
        id="ch08.pool_output_size", function="pool_output_size", cases=_pool_size_cases,
        reference=lambda n, k, s, p, d, ceil: solutions.pool_output_size(n, k, s, p, d, ceil),
        mistakes=[
            Mistake("dilation ignored",
                    lambda n, k, s, p, d, ceil: _pool_size(n, k, s, p, 1, ceil),
                    "a dilated window covers d(k - 1) + 1 cells, not k: use that span where "
                    "the formula has k."),
            Mistake("dilated span taken as d·k",
                    lambda n, k, s, p, d, ceil: _pool_size(n, k, s, p, d, ceil,
                                                           span=lambda k, d: d * k),
                    "k taps d apart cover d(k - 1) + 1 cells: there are k - 1 gaps between "
                    "taps, not k."),
            Mistake("stride defaults to 1",
                    lambda n, k, s, p, d, ceil: _pool_size(n, k, s, p, d, ceil, default=1),
                    "for pooling, stride=None means stride = kernel_size (torch's default), "
                    "whatever the dilation."),
            Mistake("ceil_mode ignored",
                    lambda n, k, s, p, d, ceil: _pool_size(n, k, s, p, d, False),
                    "ceil_mode=True rounds (n + 2p - span)/s up: a last, partial window is "
                    "kept."),
            Mistake("ceil without torch's rule for the last window",
                    lambda n, k, s, p, d, ceil: _pool_size(n, k, s, p, d, ceil, rule=False),
                    "in ceil mode torch drops a last window that would start in the right "
                    "padding: keep it only if (o - 1)·s < n + p."),
            Mistake("ceil computed as floor plus one",
                    lambda n, k, s, p, d, ceil: _pool_size(n, k, s, p, d, ceil,
                                                           round_up=lambda a, s: a // s + 1),
                    "when s divides n + 2p - span exactly, rounding up changes nothing; "
                    "a // s + 1 is one too many. Use -(-a // s) or (a + s - 1) // s."),
            Mistake("padding on one side only",
                    lambda n, k, s, p, d, ceil: _pool_size(n, k, s, p, d, ceil, sides=1),
                    "padding p adds p cells on *each* side: n + 2p."),
        ]),
    Check(
        id="ch08.max_pool2d", function="max_pool2d", cases=_max_pool_cases,
        reference=lambda x, k, s, p: solutions.max_pool2d(x, k, s, p),
        mistakes=[
            Mistake("zero padding",
                    lambda x, k, s, p: _pool_with(x, k, s, p, 0.0, np.max),
                    "pad with -inf (or skip padded cells): a zero would win every window whose "
                    "values are all negative."),
            Mistake("stride taken equal to the kernel size",
                    lambda x, k, s, p: solutions.max_pool2d(x, k, k, p),
                    "windows start s cells apart, whatever the kernel size."),
            Mistake("stride 1", lambda x, k, s, p: solutions.max_pool2d(x, k, 1, p),
                    "move the window s cells per step."),
            Mistake("padding ignored", lambda x, k, s, p: solutions.max_pool2d(x, k, s, 0),
                    "the input is padded by p on every side before the windows are placed."),
            Mistake("average instead of maximum",
                    lambda x, k, s, p: _pool_with(x, k, s, p, 0.0, np.mean),
                    "max pooling keeps the largest value of each window."),
        ]),
    Check(
        id="ch08.conv3d", function="conv3d", cases=_conv3d_cases, reference=_conv3d,
        mistakes=[
            Mistake("kernel flipped",
                    lambda x, w, b, s: _conv3d(x, w[..., ::-1, ::-1, ::-1].copy(), b, s),
                    "deep-learning convolution is cross-correlation: no flip, on any axis."),
            Mistake("bias missing", lambda x, w, b, s: _conv3d(x, w, None, s),
                    "add bias[o] to every value of output channel o."),
            Mistake("depth not strided",
                    lambda x, w, b, s: solutions.conv3d(x[None], w, b, stride=(1, s, s))[0],
                    "the stride applies along depth too: output depth (D - kd) // s + 1."),
            Mistake("only the first depth slice of the kernel used",
                    lambda x, w, b, s: _conv3d(x[:, :x.shape[1] - w.shape[2] + 1],
                                               w[:, :, :1].copy(), b, s),
                    "sum over all kd depth taps: x[c, t·s + a, ...]·w[o, c, a, ...] for "
                    "a = 0 .. kd - 1."),
            Mistake("kernel flipped in height and width only",
                    lambda x, w, b, s: _conv3d(x, w[..., ::-1, ::-1].copy(), b, s),
                    "a 2-D routine that flips (a true convolution, like scipy's convolve2d) "
                    "flips each slice; deep-learning convolution flips nothing."),
            Mistake("only the first input channel read",
                    lambda x, w, b, s: _conv3d(x[:1], w[:, :1].copy(), b, s),
                    "every output sums over all C_in input channels as well as the kd×kh×kw "
                    "taps: window x[:, ...] against w[o, :, ...]."),
            Mistake("one output position too few per axis",
                    _conv3d_short,
                    "each axis has (n - k) // s + 1 positions: the first window starts at 0, "
                    "the last at ((n - k) // s)·s."),
            Mistake("only depth strided",
                    lambda x, w, b, s: solutions.conv3d(x[None], w, b, stride=(s, 1, 1))[0],
                    "the stride applies along height and width too: every axis moves s cells "
                    "per output step."),
            Mistake("depth treated as a batch of frames", _conv3d_per_frame,
                    "a 3-D kernel also slides along depth: output frame t sums frames "
                    "t·s .. t·s + kd - 1, each against its own kernel slice w[:, :, a]."),
        ]),
    Check(
        id="ch08.bottleneck_macs", function="bottleneck_macs", cases=_bottleneck_cases,
        reference=_bottleneck,
        mistakes=[
            Mistake("stride ignored",
                    lambda ci, wd, co, n, s: _bottleneck(ci, wd, co, n, 1),
                    "the 3×3 layer's stride shrinks its output to (n - 1) // s + 1, and the "
                    "last 1×1 runs on that smaller map."),
            Mistake("stride on the first 1×1",
                    lambda ci, wd, co, n, s: _bottleneck(
                        ci, wd, co, n, s, first_size=lambda n, s: (n - 1) // s + 1),
                    "here the stride sits on the 3×3 (as in torchvision's ResNet); the first "
                    "1×1 runs on the full n×n input."),
            Mistake("3×3 counted as 3 taps",
                    lambda ci, wd, co, n, s: _bottleneck(ci, wd, co, n, s, taps=3),
                    "a 3×3 kernel has 9 taps per channel pair."),
            Mistake("last 1×1 on the input size",
                    lambda ci, wd, co, n, s: _bottleneck(ci, wd, co, n, s,
                                                         last_size=lambda n, s: n),
                    "the last 1×1 sees the 3×3 layer's output, (n - 1) // s + 1 on a side."),
            Mistake("3×3 output size n // s",
                    lambda ci, wd, co, n, s: _bottleneck(
                        ci, wd, co, n, s, mid_size=lambda n, s: n // s,
                        last_size=lambda n, s: n // s),
                    "with padding 1 a 3×3 layer gives floor((n + 2 - 3)/s) + 1 = (n - 1) // s + 1;"
                    " for odd n that is one more than n // s."),
            Mistake("parameters instead of MACs",
                    lambda ci, wd, co, n, s: ci * wd + 9 * wd * wd + wd * co,
                    "each weight is used once per output position: multiply by the output "
                    "area of its layer."),
        ]),
]
