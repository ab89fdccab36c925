"""Hidden checks of chapter 06 (grouped): grouped conv2d with stride and dilation, rewiring a
weight after the wrong shuffle, the widths of least memory access at fixed FLOPs (groups and
whole channels), and the depth at which a shuffled stack mixes every channel."""

from __future__ import annotations

import math

import numpy as np

import solutions

from .core import Check, Mistake


def _grouped(x, w, b, g, s=1, d=1):
    return solutions.conv2d(np.asarray(x, dtype=np.float64), w, b, stride=s, dilation=d, groups=g)


def _grouped_cases(rng):
    cases = []
    while len(cases) < 40:
        g, per_in, per_out = (int(rng.integers(1, 5)), int(rng.integers(1, 4)),
                              int(rng.integers(1, 4)))
        k, s, d = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        if max(s, d) * (k - 1) + 1 > min(h, w):  # room for s and d swapped too
            continue
        x = rng.integers(-9, 10, (g * per_in, h, w)) if len(cases) % 4 == 0 else \
            rng.standard_normal((g * per_in, h, w))
        cases.append((x, rng.standard_normal((g * per_out, per_in, k, k)),
                      rng.standard_normal(g * per_out), g, s, d))
    # A dilation of 1,000 on a layer of 40,000 filters: the kernel with its zeros filled in
    # would be 320 GB, so the dilation has to go into the indexing (as the prompt says).
    d = int(rng.integers(900, 1100))
    cases.append((rng.standard_normal((2, d + 1, d + 1)), rng.standard_normal((40_000, 1, 2, 2)),
                  rng.standard_normal(40_000), 2, 1, d))
    return cases


def _dense(w, g, out_group, in_channels):
    """A dense weight where output o reads the input channels ``in_channels(group, C_in)``."""
    c_out, per_in = w.shape[:2]
    c_in = per_in * g
    dense = np.zeros((c_out, c_in, *w.shape[2:]))
    for o in range(c_out):
        dense[o, in_channels(out_group(o, c_out, g), c_in, g)] = w[o]
    return dense


def _blocks(j, c_in, g):
    return np.arange(j * (c_in // g), (j + 1) * (c_in // g))


def _by_block(o, c_out, g):
    return o // (c_out // g)


def _round_robin(o, c_out, g):
    return o % g


def _with_dense(dense):
    def conv(x, w, b, g, s, d):
        return solutions.conv2d(np.asarray(x, dtype=np.float64), dense(w, g), b, stride=s,
                                dilation=d)
    return conv


def _order(c, g):
    """The shuffle by ``g`` as an index array: position p holds old channel order[p]."""
    return solutions.channel_shuffle(np.arange(c).reshape(1, c, 1), g).ravel()


def _rewired(weight, g):
    """W' with conv(shuffle_{C/g}(x), W') == conv(shuffle_g(x), W): the port's weight.

    Input channel c meets W[:, order^-1[c]] in the trained model and W'[:, wrong^-1[c]] in
    the port, so W'[:, q] = W[:, order^-1[wrong[q]]]."""
    c = weight.shape[1]
    inverse = np.argsort(_order(c, g))
    return np.asarray(weight)[:, inverse[_order(c, c // g)]]


def _permuted_inputs(index):
    """A wrong rewiring: the weight's input axis indexed by ``index(C, g)``."""
    return lambda weight, g: np.asarray(weight)[:, index(weight.shape[1], g)]


def _rewire_cases(rng):
    cases = []
    while len(cases) < 30:
        g, m = int(rng.integers(2, 7)), int(rng.integers(2, 7))
        if g == m:  # g * g = C: both shuffles are their own inverse, nothing to rewire
            continue
        shape = (int(rng.integers(1, 4)), g * m, *rng.integers(1, 3, 2))
        w = rng.integers(-9, 10, shape) if len(cases) % 4 == 0 else rng.standard_normal(shape)
        cases.append((w, g))
    return cases


def _balanced(h, w, flops, g):
    """(c1, c2), multiples of g, c1 <= c2, hw c1 c2 / g = flops, least memory access.

    M = hw (c1 + c2) + c1 c2 / g and c1 c2 / g = flops / hw is fixed, so the pair with the
    least c1 + c2: c1 = g a, c2 = g b with a b = flops / (hw g), a the divisor nearest below
    its square root."""
    a, b = _divisor_pair(flops // (h * w * g))
    return g * a, g * b


def _balanced_cases(rng):
    cases = []
    for i in range(40):
        g = int(rng.choice([1, 2, 3, 4, 8, 16]))
        a, b = int(rng.integers(1, 97)), int(rng.integers(1, 97))
        if i % 5 == 0:
            b = a  # a square: the text's c1 = c2 is reachable
        h, w = int(rng.integers(1, 57)), int(rng.integers(1, 57))
        cases.append((h, w, h * w * g * a * b, g))
    return cases


def _nearest_square(h, w, flops, g, with_groups=True):
    c = math.isqrt(flops * (g if with_groups else 1) // (h * w))
    return c, c


def _divisor_pair(product):
    """The divisor pair (a, b), a <= b, of ``product`` with the least sum."""
    a = max(d for d in range(1, math.isqrt(product) + 1) if product % d == 0)
    return a, product // a


def _by_pairs(key):
    """A wrong choice among the pairs (c1, c2) of multiples of g doing ``flops`` MACs."""
    def choose(h, w, flops, g):
        product = flops // (h * w * g)
        pairs = [(g * a, g * (product // a)) for a in range(1, product + 1)
                 if product % a == 0 and a <= product // a]
        return min(pairs, key=lambda pair: key(h, w, g, *pair))
    return choose


def _layers_to_mix(c, g):
    """Grouped layers (shuffle between each pair) until every output sees every input.

    One layer reaches its block of b = C/g inputs; each further layer multiplies the reach by
    b (a block of the next layer holds b consecutive shuffled positions, from b different
    groups, whose reaches are adjacent), so L layers reach min(C, b^L). Never for b = 1."""
    b = c // g
    if g == 1:
        return 1
    if b == 1:
        return 0
    layers, reach = 1, b
    while reach < c:
        layers, reach = layers + 1, reach * b
    return layers


def _mix_cases(rng):
    """Channel counts of 2^19 and more: a C x C dependency matrix (2 TB of float64) does not
    fit in memory, so the answer has to come from the block structure, not from the text's
    D S D product. The group counts are either small (g <= 1024) or themselves 2^19 and more,
    so that even a g x g matrix is either cheap or refused at once, never half-allocated."""
    cases = []
    for i in range(30):
        if i % 3:
            g = 2 ** 19 + int(rng.integers(0, 2 ** 16))
            b = int(rng.integers(1, 4)) if i % 5 == 1 else int(2 ** rng.uniform(0, 6))
        else:
            g = 1 if i % 9 == 0 else int(2 ** rng.uniform(1, 10))
            b = -(-2 ** 19 // g) + int(rng.integers(0, 2 ** 10))
        cases.append((g * b, g))
    return cases


def _mix_count(c, g, reach_of):
    """The layers a wrong reach rule ``reach_of(layers, b)`` needs (0 if it never gets there
    within 64 layers)."""
    b = c // g
    return next((n for n in range(1, 65) if reach_of(n, b) >= c), 0)


CHECKS = [
    Check(
        id="ch06.grouped_conv2d", function="grouped_conv2d", cases=_grouped_cases,
        reference=_grouped,
        mistakes=[
            Mistake("groups mixing channels",
                    _with_dense(lambda w, g: np.tile(w, (1, g, 1, 1))),
                    "output channels of group j read only input channels j·C_in/g to "
                    "(j+1)·C_in/g − 1; here every group read all input channels."),
            Mistake("output channels grouped round-robin",
                    _with_dense(lambda w, g: _dense(w, g, _round_robin, _blocks)),
                    "groups are contiguous blocks: output channel o belongs to group "
                    "o // (C_out/g), not o % g."),
            Mistake("input channels grouped round-robin",
                    _with_dense(lambda w, g: _dense(w, g, _by_block,
                                                    lambda j, c_in, g: np.arange(j, c_in, g))),
                    "group j reads the contiguous block x[j*C_in/g:(j+1)*C_in/g], "
                    "not x[j::g]."),
            Mistake("stride ignored", lambda x, w, b, g, s, d: _grouped(x, w, b, g, 1, d),
                    "keep every stride-th output position: output (i, j) starts at input "
                    "(s*i, s*j)."),
            Mistake("dilation ignored", lambda x, w, b, g, s, d: _grouped(x, w, b, g, s, 1),
                    "with dilation d, tap (a, b) reads the input at (s*i + d*a, s*j + d*b)."),
            Mistake("stride and dilation swapped",
                    lambda x, w, b, g, s, d: _grouped(x, w, b, g, d, s),
                    "stride is the step between output positions, dilation the gap between "
                    "kernel taps."),
            Mistake("bias missing", lambda x, w, b, g, s, d: _grouped(x, w, None, g, s, d),
                    "add bias[o] to every value of output channel o."),
            Mistake("flipped kernel",
                    lambda x, w, b, g, s, d: _grouped(x, w[:, :, ::-1, ::-1].copy(), b, g, s, d),
                    "do not flip the kernel: this is cross-correlation."),
            Mistake("result cast to the input's integer dtype",
                    lambda x, w, b, g, s, d: _grouped(x, w, b, g, s, d).astype(np.asarray(x).dtype),
                    "the weights are floats: return a float array even for an integer x (do "
                    "not cast back to x.dtype, nor accumulate in np.zeros_like(x))."),
        ]),
    Check(
        id="ch06.rewire_weight", function="rewire_weight", cases=_rewire_cases,
        reference=_rewired,
        mistakes=[
            Mistake("weight left as it is", lambda weight, g: np.asarray(weight).copy(),
                    "the port feeds the next layer the channels in another order, so the "
                    "weight's input channels must follow them."),
            Mistake("weight shuffled like the input",
                    _permuted_inputs(lambda c, g: _order(c, g)),
                    "shuffling the weight's input axis by g puts W[:, order[q]] at q; the "
                    "port needs W[:, order^-1[wrong[q]]] - follow one input channel through "
                    "both models."),
            Mistake("weight permuted once by the wrong shuffle",
                    _permuted_inputs(lambda c, g: _order(c, c // g)),
                    "one permutation is not enough: the trained model moved the channels "
                    "one way, the port moves them the other way, and the weight has to "
                    "make up for both."),
            Mistake("weight shuffled twice by g",
                    _permuted_inputs(lambda c, g: _order(c, g)[_order(c, g)]),
                    "two permutations, but the wrong way round: W'[:, q] multiplies old "
                    "channel wrong[q]; in the trained model that channel met "
                    "W[:, order^-1[wrong[q]]]."),
        ]),
    Check(
        id="ch06.balanced_widths", function="balanced_widths", cases=_balanced_cases,
        reference=_balanced,
        mistakes=[
            Mistake("square root of the FLOPs per position, groups left out",
                    lambda h, w, f, g: _nearest_square(h, w, f, g, with_groups=False),
                    "with g groups a 1x1 layer does hw*c1*c2/g MACs, so c1*c2 = FLOPs*g/(hw); "
                    "and the widths must be whole multiples of g."),
            Mistake("c1 = c2 = the rounded square root",
                    lambda h, w, f, g: _nearest_square(h, w, f, g),
                    "G1's c1 = c2 needs c1*c2 to be a square of a multiple of g; otherwise the "
                    "MACs would change. Among the pairs of multiples of g with the right "
                    "product, take the one with the least c1 + c2."),
            Mistake("the narrowest c1",
                    _by_pairs(lambda h, w, g, c1, c2: c1),
                    "the narrowest input makes the output widest and moves the most values: "
                    "M = hw(c1 + c2) + c1*c2/g is least when c1 + c2 is."),
            Mistake("widths not multiples of g",
                    lambda h, w, f, g: _divisor_pair(f * g // (h * w)),
                    "with g groups both widths must be multiples of g (each group has "
                    "c1/g inputs and c2/g outputs): c1 = g a, c2 = g b."),
            Mistake("pair returned the wrong way round",
                    lambda h, w, f, g: _balanced(h, w, f, g)[::-1],
                    "return (c1, c2) with c1 <= c2."),
        ]),
    Check(
        id="ch06.layers_to_mix", function="layers_to_mix", cases=_mix_cases,
        reference=_layers_to_mix,
        mistakes=[
            Mistake("two layers always enough",
                    lambda c, g: 1 if g == 1 else 0 if c == g else 2,
                    "one shuffle mixes everything only when a block holds at least g channels "
                    "(C/g >= g); with narrower blocks each layer multiplies the reach by C/g."),
            Mistake("reach grows by C/g per layer, not by a factor",
                    lambda c, g: 1 if g == 1 else 0 if c == g else g,
                    "a block of the next layer reads C/g channels from C/g different groups, "
                    "each of which already reaches its own inputs: the reach multiplies."),
            Mistake("counted the shuffles instead of the layers",
                    lambda c, g: max(_layers_to_mix(c, g) - 1, 0),
                    "L grouped layers have L - 1 shuffles between them; the answer counts "
                    "layers (a single layer with g = 1 already mixes)."),
            Mistake("depthwise stacks said to mix",
                    lambda c, g: 1 if c == g else _layers_to_mix(c, g),
                    "with C/g = 1 every layer keeps each channel on its own: no number of "
                    "layers mixes them (answer 0)."),
            Mistake("log base g instead of C/g",
                    lambda c, g: _mix_count(c, g, lambda n, b: g ** n) if g > 1 else 1,
                    "each layer multiplies the reach by the width of a block, C/g, not by the "
                    "number of groups."),
        ]),
]
