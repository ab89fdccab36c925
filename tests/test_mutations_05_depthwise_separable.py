"""Chapter 05's hidden checks against wrong answers written as students write them."""

from __future__ import annotations

import numpy as np
from mutants import Mutant, caught_test, tally_test


def depthwise(x, weight, bias, stride=1, padding=0, *, source=lambda o, c, m: o // m,
              sum_channels=False, start=0, flip=False, one_side=False, cast=False,
              plus_one=1, use_bias=True):
    """A student's depthwise convolution; the keywords switch on one mistake each."""
    c = x.shape[0]
    c_out, _, k, _ = weight.shape
    m = c_out // c
    before = (padding, 0) if one_side else (padding, padding)
    xp = np.pad(x, ((0, 0), before, before))
    oh = (xp.shape[1] - k) // stride + plus_one
    ow = (xp.shape[2] - k) // stride + plus_one
    y = np.zeros((c_out, oh, ow))
    kernel = weight[:, 0, ::-1, ::-1] if flip else weight[:, 0]
    for o in range(c_out):
        channels = range(c) if sum_channels else [source(o, c, m)]
        for ch in channels:
            for i in range(oh):
                for j in range(ow):
                    r, q = start + i * stride, start + j * stride
                    window = xp[ch, r:r + k, q:q + k]
                    if window.shape == (k, k):
                        y[o, i, j] += np.sum(window * kernel[o])
        if use_bias:
            y[o] += bias[o]
    return y.astype(x.dtype) if cast else y


def dw(**mistake):
    return lambda x, w, b, s=1, p=0: depthwise(x, w, b, s, p, **mistake)


def combined(dw_w, pw_w, in_channels, *, source=lambda q, c, m: q // m, reduce=np.add,
             only_first=False):
    m = dw_w.shape[0] // in_channels
    out = np.zeros((pw_w.shape[0], in_channels, *dw_w.shape[2:]))
    first = np.zeros(out.shape, dtype=bool)
    for q in range(dw_w.shape[0]):
        c = source(q, in_channels, m)
        if only_first and q % m:
            continue
        term = pw_w[:, q, None, None] * dw_w[q, 0]
        if reduce is np.multiply:
            out[:, c] = np.where(first[:, c], out[:, c] * term, term)
            first[:, c] = True
        else:
            out[:, c] += term
    return out


def fold(scale, bias_of, *, bias_first=False):
    def fold_batch_norm(weight, bias, gamma, beta, mean, var, eps=1e-5):
        w = weight * scale(gamma, var, eps)[:, None]
        b = bias_of(bias, gamma, beta, mean, var, eps)
        return np.column_stack([b, w] if bias_first else [w, b])
    return fold_batch_norm


def scale(gamma, var, eps):
    return gamma / np.sqrt(var + eps)


def cost(*, size=lambda h, k, s: (h + 2 * ((k - 1) // 2) - k) // s + 1, mid=lambda ci, m: m * ci,
         pw_in=None, biases=True, full_dw=False, macs_bias=False):
    def separable_cost(c_in, c_out, k, m, s, h, w):
        ch = mid(c_in, m)
        reads = ch if pw_in is None else pw_in(c_in, m)
        dw_weights = ch * (c_in if full_dw else 1) * k * k
        params = dw_weights + reads * c_out + ((ch + c_out) if biases else 0)
        per_pixel = dw_weights + reads * c_out + ((ch + c_out) if macs_bias else 0)
        return params, per_pixel * size(h, k, s) * size(w, k, s)
    return separable_cost


MUTANTS = {
    "ch05.depthwise_conv2d": [
        Mutant("stride ignored", lambda x, w, b, s=1, p=0: depthwise(x, w, b, 1, p), True),
        Mutant("o % C for the multiplier", dw(source=lambda o, c, m: o % c), True),
        Mutant("summed over all channels", dw(sum_channels=True), True),
        Mutant("windows start at stride - 1",
               lambda x, w, b, s=1, p=0: depthwise(x, w, b, s, p, start=s - 1,
                                                   plus_one=1 - (s > 1)), False),
        Mutant("kernel flipped", dw(flip=True), True),
        Mutant("padding before only", dw(one_side=True), True),
        Mutant("result cast back to x.dtype", dw(cast=True), True),
        Mutant("bias forgotten", dw(use_bias=False), True),
        Mutant("output size without the + 1", dw(plus_one=0), False),
    ],
    "ch05.separable_weight": [
        Mutant("filters assigned round-robin", lambda d, p, c: combined(
            d, p, c, source=lambda q, c_, m: q % c_), True),
        Mutant("reshaped (C_out, m, C) before summing",
               lambda d, p, c: (p[:, :, None, None] * d[None, :, 0]).reshape(
                   p.shape[0], -1, c, *d.shape[2:]).sum(axis=1), True),
        Mutant("only the first filter of each channel",
               lambda d, p, c: combined(d, p, c, only_first=True), True),
        Mutant("paths multiplied", lambda d, p, c: combined(d, p, c, reduce=np.multiply), True),
        Mutant("multiplier ignored: the first C filters",
               lambda d, p, c: p[:, :c, None, None] * d[None, :c, 0], False),
        Mutant("not summed over the multiplier",
               lambda d, p, c: p[:, :, None, None] * d[None, :, 0], False),
    ],
    "ch05.fold_batch_norm": [
        Mutant("mean subtracted after scaling",
               fold(scale, lambda b, g, be, mu, v, e: b * scale(g, v, e) - mu + be), True),
        Mutant("divided by the variance",
               fold(lambda g, v, e: g / (v + e), lambda b, g, be, mu, v, e: (b - mu) * g / (v + e)
                    + be), True),
        Mutant("eps left out",
               fold(lambda g, v, e: g / np.sqrt(v), lambda b, g, be, mu, v, e: (b - mu) * g
                    / np.sqrt(v) + be), True),
        Mutant("bias not scaled",
               fold(scale, lambda b, g, be, mu, v, e: b - mu * scale(g, v, e) + be), True),
        Mutant("beta forgotten", fold(scale, lambda b, g, be, mu, v, e: (b - mu) * scale(g, v, e)),
               True),
        Mutant("weight left as it was",
               fold(lambda g, v, e: np.ones_like(g), lambda b, g, be, mu, v, e: (b - mu)
                    * scale(g, v, e) + be), True),
        Mutant("bias as the first column",
               fold(scale, lambda b, g, be, mu, v, e: (b - mu) * scale(g, v, e) + be,
                    bias_first=True), False),
    ],
    "ch05.separable_cost": [
        Mutant("stride ignored", cost(size=lambda h, k, s: h), True),
        Mutant("h // stride", cost(size=lambda h, k, s: h // s), True),
        Mutant("multiplier ignored", cost(mid=lambda ci, m: ci), True),
        Mutant("pointwise reads C_in", cost(pw_in=lambda ci, m: ci), True),
        Mutant("biases forgotten", cost(biases=False), True),
        Mutant("depthwise as a full convolution", cost(full_dw=True), True),
        Mutant("bias additions counted as MACs", cost(macs_bias=True), False),
        Mutant("no padding assumed", cost(size=lambda h, k, s: (h - k) // s + 1), False),
    ],
    "ch05.max_multiplier": [
        Mutant("rounded", lambda co, k: round(k * k * co / (k * k + co)), True),
        Mutant("strict inequality", lambda co, k: next(m for m in range(10**6)
                                                       if (m + 1) * (k * k + co) >= k * k * co),
               True),
        Mutant("pointwise cost not scaled by m",
               lambda co, k: max((k * k * co - co) // (k * k), 0), True),
        Mutant("k, not k squared", lambda co, k: (k * co) // (k + co), True),
        Mutant("ceiling", lambda co, k: int(np.ceil(k * k * co / (k * k + co))), True),
        Mutant("pointwise term forgotten", lambda co, k: co, False),
        Mutant("the limit 1 / (1/C_out + 1/k^2) as a float", lambda co, k: 1 / (1 / co + 1 / k**2),
               False),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch05.depthwise_conv2d": (9, 7), "ch05.separable_weight": (6, 4),
    "ch05.fold_batch_norm": (7, 6), "ch05.separable_cost": (8, 6),
    "ch05.max_multiplier": (7, 5),
})
