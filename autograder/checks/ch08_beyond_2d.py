"""Hidden checks of chapter 08 (beyond 2-D): how far a stack of causal and 'same' layers looks
ahead, the input window of a stack, pooling sizes, the gradient of max pooling (chapter 07's
question for chapter 08's layer), and the widest bottleneck within a MAC budget."""

from __future__ import annotations

import math

import numpy as np

import solutions

from .core import Check, Mistake


def _lookahead(layers, *, right=lambda total: total - total // 2):
    """Future steps output t of a stride-1 stack sees: a 'same' layer pads d(k - 1) zeros in
    all, total // 2 on the left and the rest on the right (as torch does), so its output t
    reads up to t + right; a causal layer reads up to t. The stack adds them up."""
    return sum(right(d * (k - 1)) for k, d, mode in layers if mode == "same")


def _lookahead_cases(rng):
    cases = []
    for i in range(40):
        layers = tuple((int(rng.integers(1, 6)), int(rng.integers(1, 9)),
                        "same" if rng.random() < 0.5 else "causal")
                       for _ in range(int(rng.integers(1, 7))))
        if i % 4 == 0:  # an even kernel with an odd dilation: the odd total of 'same'
            layers += ((2, 1 + 2 * int(rng.integers(0, 4)), "same"),)
        cases.append((layers,))
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


def _pool_range_cases(rng):
    """Strides up to 10^9 and lengths up to 10^12: one n at a time is far too slow."""
    cases = []
    for i in range(60):
        k = int(rng.integers(1, 6))
        s = int(rng.integers(1, 6)) if i % 3 == 0 else int(10 ** rng.uniform(1, 9))
        d = 1 if rng.random() < 0.3 else int(rng.integers(2, 4))
        p = int(rng.integers(0, k // 2 + 1)) if rng.random() < 0.7 else 0
        ceil = bool(rng.random() < 0.6)
        n = max(1, d * (k - 1) + 1 - 2 * p) + int(10 ** rng.uniform(0, 12))
        cases.append((_pool_size(n, k, s, p, d, ceil), k, s, p, d, ceil))
    # the text's cases, and windows torch drops in ceil mode
    cases += [(2, 2, 2, 0, 1, False), (3, 2, 2, 0, 1, True), (2, 2, 3, 1, 1, True),
              (56, 3, 2, 1, 1, False), (4, 2, 3, 1, 2, True), (2, 3, 4, 1, 1, True)]
    return cases


def _input_range(forward, out, k, s, p, d, ceil):
    """(smallest, largest) n with forward(n) == out; forward grows with n, by steps of 1."""
    low = max(1, d * (k - 1) + 1 - 2 * p)  # the window must fit in the padded input

    def first_reaching(target):  # the least n >= low with forward(n) >= target
        lo, hi = low, low
        while forward(hi, k, s, p, d, ceil) < target:
            lo, hi = hi + 1, 2 * hi + 1
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (mid + 1, hi) if forward(mid, k, s, p, d, ceil) < target else (lo, mid)
        return lo

    return first_reaching(out), first_reaching(out + 1) - 1


def _range_with(**mistake):
    """The input range a student's forward model (one step of it swapped) gives."""
    return lambda o, k, s, p, d, ceil: _input_range(
        lambda n, k_, s_, p_, d_, c_: _pool_size(n, k_, s_, p_, d_, c_, **mistake),
        o, k, s, p, d, ceil)


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
        s = int(rng.integers(1, 4)) if len(cases) % 3 else int(rng.integers(1, k + 1))
        p = int(rng.integers(0, k // 2 + 1))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 11)),
                 int(rng.integers(k, 11)))
        # mostly negative values: zero padding then wins windows on the border
        x = rng.standard_normal(shape) - (1.5 if rng.random() < 0.5 else 0.0)
        oh = (shape[2] + 2 * p - k) // s + 1
        ow = (shape[3] + 2 * p - k) // s + 1
        cases.append((x, rng.standard_normal((*shape[:2], oh, ow)), k, s, p))
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    cases.append((x, np.ones((1, 1, 3, 3)), 2, 2, 1))
    return cases


def _pool_backward(x, grad, k, s, p, *, fill=-np.inf, route="max", add=True):
    """The gradient of max pooling: each output's gradient goes to the cell of its window that
    won (the first, in row-major order), added up over overlapping windows."""
    x = np.asarray(x, dtype=np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    out = np.zeros_like(xp)
    n, c, oh, ow = grad.shape
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * s:i * s + k, j * s:j * s + k].reshape(n, c, -1)
            g = grad[:, :, i, j]
            if route == "spread":
                share = np.repeat((g / (k * k))[:, :, None], k * k, axis=2)
            elif route == "first":
                share = np.zeros_like(window)
                share[:, :, 0] = g
            else:
                share = np.zeros_like(window)
                np.put_along_axis(share, window.argmax(axis=2)[:, :, None], g[:, :, None], axis=2)
            block = out[:, :, i * s:i * s + k, j * s:j * s + k]
            if add:
                block += share.reshape(n, c, k, k)
            else:
                block[...] = np.where(share.reshape(n, c, k, k) != 0, share.reshape(n, c, k, k),
                                      block)
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def _width_macs(c_in, width, c_out, size, stride):
    o = (size - 1) // stride + 1
    return c_in * width * size**2 + 9 * width * width * o**2 + width * c_out * o**2


def _max_width(c_in, c_out, size, stride, budget, *, a=None, b=None):
    """The largest width w with 9 w^2 o^2 + w (c_in n^2 + c_out o^2) <= budget, exactly."""
    o = (size - 1) // stride + 1
    a = 9 * o * o if a is None else a(size, stride)
    b = c_in * size**2 + c_out * o * o if b is None else b(c_in, c_out, size, stride)
    w = (math.isqrt(b * b + 4 * a * budget) - b) // (2 * a)
    while a * (w + 1) ** 2 + b * (w + 1) <= budget:  # isqrt rounds down: w may be one short
        w += 1
    while w > 0 and a * w * w + b * w > budget:
        w -= 1
    return w


def _width_cases(rng):
    """Budgets up to 10^30 MACs: widths near 10^11, beyond a search one width at a time and
    beyond the precision of a float square root."""
    cases = []
    for i in range(40):
        size = int(rng.integers(3, 113))
        if i % 3 == 0:
            size = 2 * (size // 2) + 1  # odd sizes: (n - 1) // 2 + 1 and n // 2 differ
        stride = int(rng.integers(1, 3))
        c_in, c_out = int(rng.integers(16, 2049)), int(rng.integers(16, 2049))
        budget = int(10 ** rng.uniform(24, 30)) if i % 4 else int(rng.integers(10**6, 10**9))
        cases.append((c_in, c_out, size, stride, budget))
    cases.append((256, 256, 56, 1, 218_365_952))
    return cases


CHECKS = [
    Check(
        id="ch08.lookahead", function="lookahead", cases=_lookahead_cases,
        reference=_lookahead,
        mistakes=[
            Mistake("half the span on each side, as a float",
                    lambda layers: _lookahead(layers, right=lambda total: total / 2),
                    "a layer pads whole cells: d(k - 1) zeros in all, and when that is odd "
                    "torch puts the extra one on the right."),
            Mistake("the extra zero of an odd span put on the left",
                    lambda layers: _lookahead(layers, right=lambda total: total // 2),
                    "torch pads total // 2 zeros on the left and the rest on the right: an odd "
                    "span looks one step further into the future than half of it."),
            Mistake("dilation ignored",
                    lambda layers: _lookahead(tuple((k, 1, m) for k, _, m in layers)),
                    "a dilated layer spans d(k - 1) + 1 input steps: its 'same' padding is "
                    "d(k - 1) zeros in all."),
            Mistake("causal layers counted too",
                    lambda layers: _lookahead(tuple((k, d, "same") for k, d, _ in layers)),
                    "a causal layer pads only on the left: it never looks ahead."),
            Mistake("only the widest look-ahead of one layer",
                    lambda layers: max([_lookahead((layer,)) for layer in layers]),
                    "look-aheads add up: layer 2's output t reads layer 1's outputs up to t + "
                    "r_2, and each of those reads r_1 further ahead."),
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
        id="ch08.pool_input_range", function="pool_input_range", cases=_pool_range_cases,
        reference=lambda o, k, s, p, d, ceil: _input_range(_pool_size, o, k, s, p, d, ceil),
        mistakes=[
            Mistake("dilation ignored", _range_with(span=lambda k, d: k),
                    "a dilated window covers d(k - 1) + 1 cells, not k."),
            Mistake("dilated span taken as d·k", _range_with(span=lambda k, d: d * k),
                    "k taps d apart cover d(k - 1) + 1 cells: there are k - 1 gaps between "
                    "taps, not k."),
            Mistake("the floor formula inverted in ceil mode too",
                    lambda o, k, s, p, d, ceil: _input_range(_pool_size, o, k, s, p, d, False),
                    "ceil mode keeps a last, partial window: the same output comes from "
                    "smaller inputs than in floor mode."),
            Mistake("ceil mode without torch's rule for the last window",
                    _range_with(rule=False),
                    "in ceil mode torch drops a last window that would start in the right "
                    "padding: for some n the output is one smaller than the rounded-up formula."),
            Mistake("ceil taken as floor plus one",
                    _range_with(round_up=lambda a, s: a // s + 1),
                    "rounding up changes nothing when s divides n + 2p - span exactly."),
            Mistake("padding on one side only", _range_with(sides=1),
                    "padding p adds p cells on *each* side: n + 2p."),
            Mistake("largest n one too large",
                    lambda o, k, s, p, d, ceil: (lambda r: (r[0], r[1] + 1))(
                        _input_range(_pool_size, o, k, s, p, d, ceil)),
                    "from the smallest n, the output stays the same for s - 1 more cells at "
                    "most: n_min + s already has one window more (floor mode)."),
        ]),
    Check(
        id="ch08.max_pool2d_backward", function="max_pool2d_backward", cases=_max_pool_cases,
        reference=_pool_backward,
        mistakes=[
            Mistake("gradient assigned, not added, where windows overlap",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, add=False),
                    "a cell that wins several overlapping windows receives the gradient of "
                    "each of them: add, do not overwrite."),
            Mistake("gradient spread over the window, as average pooling does",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="spread"),
                    "max pooling passes each output's gradient to the one cell that won the "
                    "window; the others did not change the output."),
            Mistake("zero padding in the forward pass",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, fill=0.0),
                    "padded cells never win (they hold -inf): in an all-negative border window "
                    "the gradient goes to the largest real cell."),
            Mistake("gradient sent to the first cell of every window",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="first"),
                    "the gradient goes to the cell that won the window (its maximum), not to "
                    "the window's first cell."),
        ]),
    Check(
        id="ch08.max_bottleneck_width", function="max_bottleneck_width", cases=_width_cases,
        reference=_max_width,
        mistakes=[
            Mistake("stride ignored",
                    lambda ci, co, n, s, budget: _max_width(ci, co, n, 1, budget),
                    "with stride 2 the 3x3 layer and the last 1x1 run on the strided map."),
            Mistake("stride on the first 1x1",
                    lambda ci, co, n, s, budget: _max_width(
                        ci, co, n, s, budget, b=lambda ci_, co_, n_, s_: (ci_ + co_)
                        * ((n_ - 1) // s_ + 1) ** 2),
                    "torchvision puts the stride on the 3x3: the first 1x1 runs on the full "
                    "size x size input."),
            Mistake("3x3 counted as 3 taps",
                    lambda ci, co, n, s, budget: _max_width(
                        ci, co, n, s, budget, a=lambda n_, s_: 3 * ((n_ - 1) // s_ + 1) ** 2),
                    "a 3x3 kernel has 9 taps: 9 width^2 MACs per output position."),
            Mistake("strided size taken as size // stride",
                    lambda ci, co, n, s, budget: _max_width(
                        ci, co, n, s, budget, a=lambda n_, s_: 9 * (n_ // s_) ** 2,
                        b=lambda ci_, co_, n_, s_: ci_ * n_ * n_ + co_ * (n_ // s_) ** 2),
                    "a 3x3 layer with padding 1 and stride s has (n - 1) // s + 1 outputs per "
                    "row: 57 gives 29, not 28."),
            Mistake("last 1x1 on the input size",
                    lambda ci, co, n, s, budget: _max_width(
                        ci, co, n, s, budget, b=lambda ci_, co_, n_, s_: (ci_ + co_) * n_ * n_),
                    "the last 1x1 reads the 3x3's output: with stride 2 it runs on the strided "
                    "map."),
        ]),
]
