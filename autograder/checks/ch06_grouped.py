"""Hidden checks of chapter 06 (grouped): grouped conv2d with stride and dilation, the cost
of a ShuffleNet unit, memory access at fixed FLOPs, undoing the channel shuffle, and what a
stack of grouped layers can see."""

from __future__ import annotations

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


def _unit(c, m, g, h, w):
    params = (solutions.conv_params(c, m, 1, groups=g, bias=False)
              + solutions.conv_params(m, m, 3, groups=m, bias=False)
              + solutions.conv_params(m, c, 1, groups=g, bias=False))
    macs = (solutions.conv_macs(c, m, 1, (h, w), groups=g)
            + solutions.conv_macs(m, m, 3, (h, w), groups=m)
            + solutions.conv_macs(m, c, 1, (h, w), groups=g))
    return params, macs


def _unit_cases(rng):
    cases = []
    for i in range(40):
        g = int(rng.choice([1, 2, 3, 4, 8]))  # g = 1 is ShuffleNet's first configuration
        m = g * int(rng.integers(1, 65))
        c = g * int(rng.integers(1, 257)) if i % 3 else 4 * m
        cases.append((c, m, g, int(rng.integers(1, 57)), int(rng.integers(1, 57))))
    return cases


def _unit_with(pointwise, depthwise):
    """A wrong unit cost: weights per position of the 1x1 pair and of the 3x3 depthwise."""
    def cost(c, m, g, h, w):
        weights = pointwise(c, m, g) + depthwise(c, m, g)
        return weights, weights * h * w
    return cost


def _c2(h, w, c1, flops, g):
    """The output width that makes hw c1 c2 / g multiply-accumulates equal ``flops``."""
    return flops * g // (h * w * c1)


def _fixed_flops(h, w, c1, flops, g):
    c2 = _c2(h, w, c1, flops, g)
    return solutions.memory_access(c1, c2, 1, (h, w), (h, w), groups=g)


def _flops_cases(rng):
    cases = []
    for _ in range(40):
        g = int(rng.choice([1, 2, 4, 8, 16, 32]))
        h, w, c1 = int(rng.integers(1, 57)), int(rng.integers(1, 57)), g * int(rng.integers(1, 65))
        c2 = g * int(rng.integers(1, 65))
        cases.append((h, w, c1, h * w * c1 * c2 // g, g))
    return cases


def _unshuffle(x, g):
    return solutions.channel_shuffle(np.asarray(x)[None], np.shape(x)[0] // g)[0]


def _unshuffle_cases(rng):
    cases = []
    while len(cases) < 30:
        g, m = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        if g == m and len(cases) % 5:  # g = C/g: the shuffle is its own inverse
            continue
        shape = (g * m, int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        x = rng.integers(-9, 10, shape) if len(cases) % 4 == 0 else rng.standard_normal(shape)
        cases.append((x, g))
    return cases


def _connectivity(channels, g):
    ones = np.ones((channels, channels // g, 1, 1))
    return (solutions.block_diagonal_weight(ones, g)[:, :, 0, 0] != 0).astype(int)


def _paths(channels, g, layers, shuffle, shuffle_groups=None, shuffle_last=False):
    """Number of paths from input c to output o through the stack (>0: a dependency)."""
    layer = _connectivity(channels, g)
    order = solutions.channel_shuffle(np.eye(channels, dtype=int)[None], shuffle_groups or g)[0]
    reach = layer
    for _ in range(layers - 1):
        reach = layer @ (order @ reach if shuffle else reach)
    return order @ reach if shuffle and shuffle_last else reach


def _stacked(channels, g, layers, shuffle):
    return (_paths(channels, g, layers, shuffle) > 0).astype(int)


def _stack_cases(rng):
    cases = []
    for _ in range(30):
        g, m = int(rng.integers(2, 5)), int(rng.integers(1, 5))
        cases.append((g * m, g, int(rng.integers(1, 5)), bool(rng.integers(0, 4))))
    return cases


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
        id="ch06.shufflenet_unit_cost", function="shufflenet_unit_cost", cases=_unit_cases,
        reference=_unit,
        mistakes=[
            Mistake("1x1 layers not grouped",
                    _unit_with(lambda c, m, g: 2 * c * m, lambda c, m, g: 9 * m),
                    "both 1x1 layers have g groups: c*m/g weights each."),
            Mistake("depthwise counted as a full 3x3 convolution",
                    _unit_with(lambda c, m, g: 2 * c * m // g, lambda c, m, g: 9 * m * m),
                    "the 3x3 layer is depthwise: one 3x3 filter per bottleneck channel, 9m "
                    "weights."),
            Mistake("depthwise grouped like the 1x1 layers",
                    _unit_with(lambda c, m, g: 2 * c * m // g, lambda c, m, g: 9 * m * m // g),
                    "the 3x3 layer is depthwise (groups = m), not grouped with g: 9m weights."),
            Mistake("only one 1x1 layer counted",
                    _unit_with(lambda c, m, g: c * m // g, lambda c, m, g: 9 * m),
                    "the unit has two grouped 1x1 layers: into the bottleneck and back out."),
            Mistake("1x1 layers divided by g twice",
                    _unit_with(lambda c, m, g: 2 * c * m // (g * g), lambda c, m, g: 9 * m),
                    "a grouped 1x1 layer has g blocks of (c/g)(m/g) weights: c*m/g in all."),
            Mistake("biases counted",
                    _unit_with(lambda c, m, g: 2 * c * m // g + m + c,
                               lambda c, m, g: 9 * m + m),
                    "the convolutions have no bias (batch norm follows each of them)."),
        ]),
    Check(
        id="ch06.fixed_flops_memory", function="fixed_flops_memory", cases=_flops_cases,
        reference=_fixed_flops,
        mistakes=[
            Mistake("output width not adjusted to the FLOPs",
                    lambda h, w, c1, f, g: solutions.memory_access(c1, c1, 1, (h, w), (h, w),
                                                                   groups=g),
                    "c2 is whatever makes hw*c1*c2/g equal the given FLOPs: c2 = FLOPs*g/(hw*c1)."),
            Mistake("c2 computed without the groups",
                    lambda h, w, c1, f, g: h * w * (c1 + f // (h * w * c1))
                    + c1 * (f // (h * w * c1)) / g,
                    "a grouped 1x1 layer does hw*c1*c2/g MACs, so keeping them fixed needs "
                    "c2 = FLOPs*g/(hw*c1): g times wider."),
            Mistake("weights not divided by g",
                    lambda h, w, c1, f, g: h * w * (c1 + _c2(h, w, c1, f, g))
                    + c1 * _c2(h, w, c1, f, g),
                    "each output channel reads c1/g inputs: the weights are c1*c2/g."),
            Mistake("only the output map counted",
                    lambda h, w, c1, f, g: h * w * _c2(h, w, c1, f, g)
                    + c1 * _c2(h, w, c1, f, g) // g,
                    "the input map (hw*c1 values) is read as well as the output map (hw*c2) "
                    "written: hw*(c1 + c2)."),
            Mistake("weights left out",
                    lambda h, w, c1, f, g: h * w * (c1 + _c2(h, w, c1, f, g)),
                    "the weights are read too: + c1*c2/g."),
            Mistake("FLOPs added instead of the weights",
                    lambda h, w, c1, f, g: h * w * (c1 + _c2(h, w, c1, f, g)) + f,
                    "memory access counts values moved, not multiply-accumulates: the weights "
                    "are c1*c2/g values."),
        ]),
    Check(
        id="ch06.channel_unshuffle", function="channel_unshuffle", cases=_unshuffle_cases,
        reference=_unshuffle,
        mistakes=[
            Mistake("shuffled again instead of undone",
                    lambda x, g: solutions.channel_shuffle(np.asarray(x)[None], g)[0],
                    "shuffling by g twice is not the identity unless g*g = C: the inverse "
                    "reads the channels as (C/g, g), transposes and flattens."),
            Mistake("no transpose", lambda x, g: np.asarray(x).copy(),
                    "reshaping to (C/g, g) and back changes nothing: swap the two axes "
                    "before flattening."),
            Mistake("pixels moved too",
                    lambda x, g: np.asarray(x).reshape(np.shape(x)[0] // g, -1).T.reshape(
                        np.shape(x)).copy(),
                    "keep each channel's H×W image together: reshape to (C/g, g, H, W) and "
                    "swap only the first two axes."),
            Mistake("channel order reversed",
                    lambda x, g: np.asarray(x)[::-1].copy(),
                    "the inverse of the shuffle is another shuffle (by C/g), not a reversal."),
        ]),
    Check(
        id="ch06.stacked_connectivity", function="stacked_connectivity", cases=_stack_cases,
        reference=_stacked,
        mistakes=[
            Mistake("shuffle ignored", lambda c, g, n, s: _stacked(c, g, n, False),
                    "when shuffle is true, permute the channels between consecutive layers: "
                    "the dependency of the stack is D · S · D · S · ... · D."),
            Mistake("path counts instead of 0/1",
                    lambda c, g, n, s: _paths(c, g, n, s),
                    "the matrix product counts the paths from input c to output o; return 1 "
                    "where there is at least one path: (product > 0).astype(int)."),
            Mistake("shuffle transposed the wrong way: C/g rows instead of g",
                    lambda c, g, n, s: (_paths(c, g, n, s, shuffle_groups=c // g) > 0)
                    .astype(int),
                    "shuffle by g: reshape the channels to (g, C/g), transpose, flatten."),
            Mistake("shuffled after the last layer too",
                    lambda c, g, n, s: (_paths(c, g, n, s, shuffle_last=True) > 0).astype(int),
                    "the shuffle goes *between* layers: layers - 1 shuffles, none after the "
                    "last layer."),
        ]),
]
