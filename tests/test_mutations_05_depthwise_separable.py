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


def gains_of(weight, square=True):
    """The singular values of every channel's (C_out, kh*kw) slice W[:, c], squared."""
    return [np.linalg.svd(weight[:, c].reshape(weight.shape[0], -1), compute_uv=False)
            ** (2 if square else 1) for c in range(weight.shape[1])]


def budget_error(per_filter=lambda c_out, kk: kk + c_out, allocate=None, square=True,
                 rounding=lambda budget, cost: budget // cost):
    """A student's error within a budget: the cost of one filter, how the filters are shared
    among the channels (``allocate(gains, filters)`` -> filters per channel; None: the largest
    gains of all channels), whether the singular values are squared, how filters are counted."""
    def separable_error(weight, budget):
        c_out, _c, kh, kw = weight.shape
        filters = int(rounding(budget, per_filter(c_out, kh * kw)))
        gains = gains_of(weight, square)
        if allocate is None:
            return float(np.sort(np.concatenate(gains))[::-1][filters:].sum())
        return float(sum(g[m:].sum() for g, m in zip(gains, allocate(gains, filters))))
    return separable_error


def same_multiplier(gains, filters):
    return [filters // len(gains)] * len(gains)


def remainder_to_the_first(gains, filters):
    m, r = divmod(filters, len(gains))
    return [m + (c < r) for c in range(len(gains))]


def to_the_strongest_channel(gains, filters):
    """All filters to the channel with the most energy, then the next, ..."""
    order, share = np.argsort([-g.sum() for g in gains]), [0] * len(gains)
    for c in order:
        share[c] = min(filters, len(gains[c]))
        filters -= share[c]
    return share


def fold_pad(live, off=lambda beta: np.where(beta == 0, 0.0, np.inf)):
    """A student's pad values: ``live(gamma, beta, mean, sd)`` where gamma != 0, ``off(beta)``
    on the channels that batch norm switched off."""
    def fold_padding(gamma, beta, mean, var, eps=1e-5):
        sd = np.sqrt(var + eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = live(gamma, beta, mean, sd)
        return np.where(gamma != 0, values, off(beta))
    return fold_padding


def root(gamma, beta, mean, sd):
    return mean - beta * sd / gamma


def slices(room=lambda ci, co, full, inner, memory: memory - ci * full - co * inner,
           per=lambda full, inner: full + inner, inner_map=None, count=None):
    """A student's fewest slices: the room left beside the held tensors, the values per wide
    channel of a slice, the strided map, and how n follows from the largest slice q."""
    def fewest_slices(c_in, c_out, t, h, w, stride, memory):
        full = h * w
        inner = inner_map(h, w, stride) if inner_map else strided(h, w, stride)
        left = room(c_in, c_out, full, inner, memory)
        q = left // per(full, inner) if left > 0 else 0
        if q < 1:
            return 0
        return count(t * c_in, q, left, per(full, inner)) if count else -(-(t * c_in) // q)
    return fewest_slices


def full(h, w, s):
    return h * w


def strided(h, w, s):
    return ((h - 1) // s + 1) * ((w - 1) // s + 1)


def slices_with_weights(c_in, c_out, t, h, w, stride, memory):
    """Cell 42's memory access cost of each layer of a slice (maps and weights), the largest
    of the three within the budget, searched by bisection over n."""
    full_, inner, wide = h * w, strided(h, w, stride), t * c_in

    def peak(n):
        q = -(-wide // n)
        return max(c_in * full_ + q * full_ + q * c_in, q * (full_ + inner) + 9 * q,
                   q * inner + c_out * inner + c_out * q)

    if peak(wide) > memory:
        return 0
    lo, hi = 1, wide
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if peak(mid) <= memory else (mid + 1, hi)
    return lo


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
    "ch05.separable_error": [
        Mutant("the same multiplier for every channel", budget_error(allocate=same_multiplier),
               True),
        Mutant("a kernel's weights only per filter",
               budget_error(per_filter=lambda c_out, kk: kk), True),
        Mutant("the budget rounded up to a whole filter",
               budget_error(rounding=lambda budget, cost: -(-budget // cost)), True),
        Mutant("singular values not squared", budget_error(square=False), True),
        Mutant("the whole weight as one matrix",
               lambda w, budget: float((np.linalg.svd(w.reshape(w.shape[0], -1),
                                                      compute_uv=False)[
                   budget // (w.shape[2] * w.shape[3] + w.shape[0]):] ** 2).sum()), True),
        Mutant("shared out evenly, the remainder to the first channels (round-robin)",
               budget_error(allocate=remainder_to_the_first), True),
        Mutant("filters to the channel with the most energy first",
               budget_error(allocate=to_the_strongest_channel), False),
        Mutant("square root of the error (Frobenius norm)",
               lambda w, budget: float(np.sqrt(budget_error()(w, budget))), False),
    ],
    "ch05.fold_padding": [
        Mutant("zero padding kept", lambda g, be, mu, v, eps=1e-5: np.zeros_like(mu), True),
        Mutant("padded with the mean", fold_pad(lambda g, be, mu, sd: mu), True),
        Mutant("mean + beta / s", fold_pad(lambda g, be, mu, sd: mu + be * sd / g), True),
        Mutant("mean - beta * s", fold_pad(lambda g, be, mu, sd: mu - be * g / sd), True),
        Mutant("eps left out", lambda g, be, mu, v, eps=1e-5: fold_pad(root)(g, be, mu, v, 0.0),
               True),
        Mutant("gamma = 0 given the formula's signed infinity",
               fold_pad(root, lambda be: np.where(be == 0, 0.0, -np.inf * np.sign(be))), True),
        Mutant("gamma = 0 always exact", fold_pad(root, lambda be: 0 * be), True),
        Mutant("gamma = 0 never exact", fold_pad(root, lambda be: np.inf + 0 * be), True),
        Mutant("divided by the variance, not the standard deviation",
               fold_pad(lambda g, be, mu, sd: mu - be * sd ** 2 / g), False),
        Mutant("gamma = 0 channels given nan", fold_pad(root, lambda be: np.nan * be), False),
    ],
    "ch05.fewest_slices": [
        Mutant("the continuous bound T (hw + h'w') / room, rounded up",
               slices(count=lambda wide, q, left, per: -(-(wide * per) // left)), True),
        Mutant("expanded channels freed before the depthwise runs",
               slices(per=lambda full, inner: full), True),
        Mutant("input and output not counted",
               slices(room=lambda ci, co, full, inner, memory: memory), True),
        Mutant("stride ignored", slices(inner_map=full), True),
        Mutant("the output held at the input's size",
               slices(room=lambda ci, co, full, inner, memory: memory - (ci + co) * full), False),
        Mutant("floor instead of ceiling",
               slices(count=lambda wide, q, left, per: max(1, wide // q)), False),
        Mutant("h // stride for the strided map",
               slices(inner_map=lambda h, w, s: max(1, h // s) * max(1, w // s)), False),
        Mutant("cell 42's memory access cost per layer, weights included",
               slices_with_weights, True),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch05.depthwise_conv2d": (9, 7), "ch05.separable_error": (8, 6),
    "ch05.fold_padding": (10, 8), "ch05.fewest_slices": (8, 5),
})
