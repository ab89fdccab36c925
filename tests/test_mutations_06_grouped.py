"""Chapter 06's hidden checks against wrong answers written as students write them."""

from __future__ import annotations

import math

import numpy as np
from mutants import Mutant, caught_test, tally_test


def grouped(x, weight, bias, groups, stride=1, dilation=1, *, out_group=None, in_block=None,
            flip=False, cast=False, use_bias=True, plus_one=1):
    """A student's grouped convolution; the keywords switch on one mistake each."""
    s, d = stride, dilation
    c_out, per_in, kh, kw = weight.shape
    per_out = c_out // groups
    oh = (x.shape[1] - d * (kh - 1) - 1) // s + plus_one
    ow = (x.shape[2] - d * (kw - 1) - 1) // s + plus_one
    y = np.zeros((c_out, oh, ow))
    w = weight[:, :, ::-1, ::-1] if flip else weight
    for o in range(c_out):
        j = out_group(o, per_out, groups) if out_group else o // per_out
        channels = in_block(j, per_in, groups) if in_block else range(j * per_in, (j + 1) * per_in)
        for n, c in enumerate(channels):
            for a in range(kh):
                for b in range(kw):
                    y[o] += w[o, n % per_in, a, b] * x[c, d * a:d * a + s * (oh - 1) + 1:s,
                                                       d * b:d * b + s * (ow - 1) + 1:s]
        if use_bias:
            y[o] += bias[o]
    return y.astype(x.dtype) if cast else y


def gc(**mistake):
    return lambda x, w, b, g, s=1, d=1: grouped(x, w, b, g, s, d, **mistake)


def reached(c, units, channel, *, move=lambda p: 2 * p, spread=None, floor=False, late=0):
    """A student's count of the outputs one channel reaches in a ShuffleNet V2 stack; the
    keywords switch on one mistake each."""
    half, pos = c // 2, channel
    for u in range(min(units, 200)):
        if pos >= half:
            left = units - u - late
            if spread:
                return spread(c, left)
            if left <= 0:
                return c // 2
            kept = c >> min(left, 99) if floor else max(1, -(-c // 2 ** min(left, 99)))
            return c - kept
        if pos == 0:
            return 1
        pos = move(pos)
    return 1


def depth(c, g, grow, depthwise=0):
    """A student's depth count: the reach after n layers is ``grow(n, C/g)``."""
    if g == 1:
        return 1
    if c == g:
        return depthwise
    n = 1
    while grow(n, c // g) < c:
        n += 1
    return n


MUTANTS = {
    "ch06.grouped_conv2d": [
        Mutant("every group reads every channel",
               gc(in_block=lambda j, per_in, g: range(per_in * g)), True),
        Mutant("output group o % g", gc(out_group=lambda o, per_out, g: o % g), True),
        Mutant("input channels x[j::g]", gc(in_block=lambda j, per_in, g: range(j, per_in * g, g)),
               True),
        Mutant("stride ignored", lambda x, w, b, g, s=1, d=1: grouped(x, w, b, g, 1, d), True),
        Mutant("dilation ignored", lambda x, w, b, g, s=1, d=1: grouped(x, w, b, g, s, 1), True),
        Mutant("stride and dilation swapped",
               lambda x, w, b, g, s=1, d=1: grouped(x, w, b, g, d, s), True),
        Mutant("kernel flipped", gc(flip=True), True),
        Mutant("result cast back to x.dtype", gc(cast=True), True),
        Mutant("bias forgotten", gc(use_bias=False), True),
        Mutant("output size without the + 1", gc(plus_one=0), False),
    ],
    "ch06.outputs_reached": [
        Mutant("unchanged channels stay put", lambda c, u, ch: reached(c, u, ch, move=lambda p: p),
               True),
        Mutant("unchanged channel p moves to 2p + 1",
               lambda c, u, ch: reached(c, u, ch, move=lambda p: 2 * p + 1), True),
        Mutant("the branch outputs only", lambda c, u, ch: reached(c, u, ch,
                                                                 spread=lambda c, n: c // 2), True),
        Mutant("all outputs one unit after the branch",
               lambda c, u, ch: reached(c, u, ch, spread=lambda c, n: c // 2 if n == 1 else c),
               True),
        Mutant("c // 2**n untouched outputs", lambda c, u, ch: reached(c, u, ch, floor=True), True),
        Mutant("the entering unit not counted", lambda c, u, ch: reached(c, u, ch, late=1), True),
        Mutant("channel 0 doubled like the others (from position 1)",
               lambda c, u, ch: reached(c, u, max(ch, 1)), True),
        Mutant("everything but output 0 one unit after the branch",
               lambda c, u, ch: reached(c, u, ch, spread=lambda c, n: c // 2 if n == 1 else c - 1),
               False),
        Mutant("the reach as a fraction of the channels",
               lambda c, u, ch: reached(c, u, ch) / c, False),
    ],
    "ch06.layers_to_mix": [
        Mutant("always two layers", lambda c, g: depth(c, g, lambda n, b: c if n > 1 else b), True),
        Mutant("reach grows by C/g per layer: g layers",
               lambda c, g: 1 if g == 1 else 0 if c == g else g, True),
        Mutant("counts the shuffles", lambda c, g: depth(c, g, lambda n, b: b ** (n + 1)), True),
        Mutant("depthwise stacks mix in one layer",
               lambda c, g: depth(c, g, lambda n, b: b ** n, depthwise=1), True),
        Mutant("reach grows by g per layer", lambda c, g: depth(c, g, lambda n, b: g ** n), True),
        Mutant("one layer too many", lambda c, g: depth(c, g, lambda n, b: b ** (n - 1)), False),
        Mutant("the depth from a floating-point logarithm, log C / log(C/g) rounded up",
               lambda c, g: (1 if g == 1 else 0 if c == g
                             else math.ceil(math.log(c) / math.log(c // g))),
               False),
        Mutant("the text's D S D product on C x C matrices",
               lambda c, g: (lambda d: int((d @ d > 0).all()) + 1)(
                   np.kron(np.eye(g), np.ones((c // g, c // g)))), False),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch06.grouped_conv2d": (10, 9),
    "ch06.outputs_reached": (9, 7), "ch06.layers_to_mix": (8, 5),
})
