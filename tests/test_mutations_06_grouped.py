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


def order_of(c, g):
    return np.arange(c).reshape(g, c // g).T.ravel()


def rewired(index):
    """A student's rewiring: the weight's input axis indexed by ``index(C, g)``."""
    return lambda weight, g: weight[:, index(weight.shape[1], g)]


def pairs(h, w, flops, g, multiples=True):
    """Every (c1, c2), c1 <= c2, that does ``flops`` MACs; multiples of g when asked."""
    product = flops * g // (h * w)
    step = g if multiples else 1
    return [(c1, product // c1) for c1 in range(step, math.isqrt(product) + 1, step)
            if product % c1 == 0 and (product // c1) % step == 0]


def widest_pair(**options):
    return lambda h, w, f, g: max(pairs(h, w, f, g, **options))


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
    "ch06.rewire_weight": [
        Mutant("weight left as it is", lambda weight, g: weight, True),
        Mutant("weight[:, order]: shuffled like the input", rewired(order_of), True),
        Mutant("weight[:, wrong]: the port's permutation once",
               rewired(lambda c, g: order_of(c, c // g)), True),
        Mutant("weight[:, np.argsort(order)]: the inverse of the shuffle",
               rewired(lambda c, g: np.argsort(order_of(c, g))), True),
        Mutant("weight[:, order[order]]", rewired(lambda c, g: order_of(c, g)[order_of(c, g)]),
               True),
        Mutant("kernel pixels moved with the channels",
               lambda weight, g: weight.reshape(weight.shape[0], g, -1).swapaxes(1, 2).reshape(
                   weight.shape), False),
        Mutant("the right permutation, weights rounded to integers",
               lambda weight, g: rewired(lambda c, g: np.argsort(order_of(c, g))[
                   order_of(c, c // g)])(weight, g).astype(int), False),
    ],
    "ch06.balanced_widths": [
        Mutant("isqrt(flops / hw)", lambda h, w, f, g: (math.isqrt(f // (h * w)),) * 2, True),
        Mutant("isqrt(flops * g / hw)", lambda h, w, f, g: (math.isqrt(f * g // (h * w)),) * 2,
               True),
        Mutant("narrowest c1", lambda h, w, f, g: min(pairs(h, w, f, g)), True),
        Mutant("any divisors, not multiples of g", widest_pair(multiples=False), True),
        Mutant("(c2, c1)", lambda h, w, f, g: max(pairs(h, w, f, g))[::-1], True),
        Mutant("the root itself left out of the search",
               lambda h, w, f, g: max(pairs(h, w, f, g)[:-1] or pairs(h, w, f, g)), False),
        Mutant("returns M instead of the widths",
               lambda h, w, f, g: h * w * sum(max(pairs(h, w, f, g))) + f // (h * w), False),
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
        Mutant("the text's D S D product on C x C matrices",
               lambda c, g: (lambda d: int((d @ d > 0).all()) + 1)(
                   np.kron(np.eye(g), np.ones((c // g, c // g)))), False),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch06.grouped_conv2d": (10, 9),
    "ch06.rewire_weight": (7, 5), "ch06.balanced_widths": (7, 5),
    "ch06.layers_to_mix": (7, 5),
})
