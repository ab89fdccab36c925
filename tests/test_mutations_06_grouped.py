"""Chapter 06's hidden checks against wrong answers written as students write them."""

from __future__ import annotations

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


def unit(pointwise, depthwise):
    def shufflenet_unit_cost(c, m, g, h, w):
        weights = pointwise(c, m, g) + depthwise(c, m, g)
        return weights, weights * h * w
    return shufflenet_unit_cost


def memory(c2_of, weights_of=lambda c1, c2, g: c1 * c2 // g, maps=lambda c1, c2: c1 + c2):
    def fixed_flops_memory(h, w, c1, flops, groups):
        c2 = c2_of(h, w, c1, flops, groups)
        return h * w * maps(c1, c2) + weights_of(c1, c2, groups)
    return fixed_flops_memory


def right_c2(h, w, c1, flops, g):
    return flops * g // (h * w * c1)


def shuffle(x, g):
    c, h, w = x.shape
    return x.reshape(g, c // g, h, w).swapaxes(0, 1).reshape(c, h, w)


def stack(channels, groups, layers, shuffle_on, *, by=None, last=False, first=False,
          counts=False, transposed=False):
    block = channels // groups
    same = np.arange(channels) // block
    layer = (same[:, None] == same[None, :]).astype(int)
    order = np.arange(channels).reshape(by or groups, channels // (by or groups)).T.ravel()
    p = np.eye(channels, dtype=int)[order]
    reach = layer @ p if (shuffle_on and first) else layer
    for _ in range(layers - 1):
        reach = layer @ (p @ reach if shuffle_on else reach)
    if shuffle_on and last:
        reach = p @ reach
    if transposed:
        reach = reach.T
    return reach if counts else (reach > 0).astype(int)


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
    "ch06.shufflenet_unit_cost": [
        Mutant("1x1 layers not grouped", unit(lambda c, m, g: 2 * c * m, lambda c, m, g: 9 * m),
               True),
        Mutant("3x3 as a full convolution",
               unit(lambda c, m, g: 2 * c * m // g, lambda c, m, g: 9 * m * m), True),
        Mutant("3x3 grouped with g",
               unit(lambda c, m, g: 2 * c * m // g, lambda c, m, g: 9 * m * m // g), True),
        Mutant("one 1x1 layer", unit(lambda c, m, g: c * m // g, lambda c, m, g: 9 * m), True),
        Mutant("divided by g twice",
               unit(lambda c, m, g: 2 * c * m // g // g, lambda c, m, g: 9 * m), True),
        Mutant("biases counted",
               unit(lambda c, m, g: 2 * c * m // g + c + m, lambda c, m, g: 9 * m + m), True),
        Mutant("depthwise on the unit's channels",
               unit(lambda c, m, g: 2 * c * m // g, lambda c, m, g: 9 * c), False),
    ],
    "ch06.fixed_flops_memory": [
        Mutant("c2 = c1", memory(lambda h, w, c1, f, g: c1), True),
        Mutant("c2 without g", memory(lambda h, w, c1, f, g: f // (h * w * c1),
                                      weights_of=lambda c1, c2, g: c1 * c2 / g), True),
        Mutant("weights not divided by g", memory(right_c2, weights_of=lambda c1, c2, g: c1 * c2),
               True),
        Mutant("input map not counted", memory(right_c2, maps=lambda c1, c2: c2), True),
        Mutant("weights left out", memory(right_c2, weights_of=lambda c1, c2, g: 0), True),
        Mutant("FLOPs instead of weights",
               lambda h, w, c1, f, g: h * w * (c1 + right_c2(h, w, c1, f, g)) + f, True),
        Mutant("weights multiplied by g",
               memory(right_c2, weights_of=lambda c1, c2, g: c1 * c2 * g), False),
    ],
    "ch06.channel_unshuffle": [
        Mutant("shuffled again", shuffle, True),
        Mutant("reshaped without a transpose",
               lambda x, g: x.reshape(x.shape[0] // g, g, *x.shape[1:]).reshape(x.shape), True),
        Mutant("pixels moved with the channels",
               lambda x, g: x.reshape(x.shape[0] // g, -1).T.reshape(x.shape), True),
        Mutant("channels reversed", lambda x, g: x[::-1], True),
        Mutant("transposed the wrong axes",
               lambda x, g: x.reshape(x.shape[0] // g, g, *x.shape[1:]).swapaxes(1, 2).reshape(
                   x.shape), False),
        Mutant("argsort of the wrong permutation",
               lambda x, g: x[np.argsort(np.arange(x.shape[0]).reshape(
                   x.shape[0] // g, g).T.ravel())], True),
    ],
    "ch06.stacked_connectivity": [
        Mutant("shuffle ignored", lambda c, g, n, s: stack(c, g, n, False), True),
        Mutant("path counts", lambda c, g, n, s: stack(c, g, n, s, counts=True), True),
        Mutant("shuffled by C/g", lambda c, g, n, s: stack(c, g, n, s, by=c // g), True),
        Mutant("shuffled after the last layer", lambda c, g, n, s: stack(c, g, n, s, last=True),
               True),
        Mutant("shuffled before the first layer", lambda c, g, n, s: stack(c, g, n, s, first=True),
               False),
        Mutant("one layer too many", lambda c, g, n, s: stack(c, g, n + 1, s), False),
        Mutant("transposed", lambda c, g, n, s: stack(c, g, n, s, transposed=True), True),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch06.grouped_conv2d": (10, 9), "ch06.shufflenet_unit_cost": (7, 6),
    "ch06.fixed_flops_memory": (7, 6), "ch06.channel_unshuffle": (6, 5),
    "ch06.stacked_connectivity": (7, 5),
})
