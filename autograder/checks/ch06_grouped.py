"""Hidden checks of chapter 06 (grouped): grouped conv2d with stride and dilation, how many
outputs of a ShuffleNet V2 stack one input channel reaches, and the depth at which a shuffled
stack of grouped layers mixes every channel."""

from __future__ import annotations

import numpy as np

import solutions

from .common_mistakes import flipped_kernel, ignored, integer_cast
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


def _ceil_shift(c, n):
    """ceil(c / 2**n) for c >= 1 and any n >= 0, without building 2**n for huge n."""
    return 1 if n > c.bit_length() else -(-c >> n)


def _reached(c, units, channel, *, step=lambda p: 2 * p, after=None, entered=None):
    """Output channels of a stack of ``units`` stride-1 ShuffleNet V2 units on ``c`` channels
    that depend on input ``channel`` (the keywords make the wrong versions).

    A unit passes positions 0..c/2-1 unchanged and feeds c/2..c-1 to the branch, whose c/2
    outputs depend on all its inputs; the concatenation is shuffled by 2, which moves
    unchanged position p to 2p and branch output i to 2i + 1. So the channel doubles its
    position until it reaches c/2 (channel 0 never does) and enters the branch. From then on
    every output depends on it except those that have passed unchanged through every unit
    since: after n units, the positions below c / 2**n, which are ceil(c / 2**n)."""
    half, pos = c // 2, channel
    for u in range(min(units, 2 * c.bit_length() + 2)):
        if pos >= half:
            n = units - u
            return entered(c, n) if entered else c - (after or _ceil_shift)(c, n)
        if pos == 0:
            break
        pos = step(pos)
    return 1


def _reached_cases(rng):
    """Channel counts up to 2^50: a dependency matrix, or even one boolean per channel and
    unit, does not fit; the units up to 60, so the count must come from the positions."""
    cases = []
    for i in range(40):
        c = 2 * int(rng.integers(2, 20)) if i < 8 else 2 * int(2 ** rng.uniform(10, 49))
        units = int(rng.integers(1, 8)) if i < 8 else int(rng.integers(1, 61))
        kind = i % 5
        if kind == 0:
            channel = 0
        elif kind == 1:  # a channel that enters the branch a few units in
            channel = max(1, (c // 2) >> int(rng.integers(0, min(units, 6) + 1)))
        elif kind == 2:
            channel = int(rng.integers(c // 2, c))
        else:
            channel = int(rng.integers(1, c))
        cases.append((c, units, channel))
    return cases


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
    """(channels, groups). Most cases have 10^10 groups or more, of 10 to 10^5 channels
    each, up to 10^15 channels: not one flag per channel, nor one per group,
    fits in memory, so neither the text's D S D product nor a probe pushed through the
    shuffle layer by layer can answer; the depth has to come from how the reach grows. Their
    group counts sit on a power of the block width, or one below or above it, where a
    floating-point logarithm or an off-by-one in the depth goes wrong. The other cases are
    the special ones: the text's stacks, one group, blocks of one channel (depthwise, with
    up to 10^15 channels), blocks at least as wide as the groups (one shuffle is enough),
    and exact powers C = (C/g)^L whose float logarithms come out above L."""
    cases = [(12, 3), (8, 4), (16, 8), (5, 1), (6, 6), (10**15, 1), (10**15, 10**15),
             (2**48, 2**24), (3**15 * (3**15 + 1), 3**15 + 1), (10**15, 10**5), (7**17, 7**16),
             (19**10, 19**9), (47**7, 47**6), (131**6, 131**5)]  # log(C) / log(C/g) > L
    while len(cases) < 40:
        b = int(10 ** rng.uniform(1, 5))
        power = b ** next(n for n in range(1, 64) if b ** n >= 10**10)
        if (power + 1) * b > 10**15:          # 10^15 channels at most
            continue
        g = power + int(rng.integers(-1, 2)) if len(cases) % 3 else int(
            rng.integers(10**10, 10**15 // b + 1))
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
            ignored("stride", _grouped, 4,
                    "keep every stride-th output position: output (i, j) starts at input "
                    "(s*i, s*j)."),
            ignored("dilation", _grouped, 5,
                    "with dilation d, tap (a, b) reads the input at (s*i + d*a, s*j + d*b)."),
            Mistake("stride and dilation swapped",
                    lambda x, w, b, g, s, d: _grouped(x, w, b, g, d, s),
                    "stride is the step between output positions, dilation the gap between "
                    "kernel taps."),
            Mistake("bias missing", lambda x, w, b, g, s, d: _grouped(x, w, None, g, s, d),
                    "add bias[o] to every value of output channel o."),
            flipped_kernel(_grouped),
            integer_cast(_grouped),
        ]),
    Check(
        id="ch06.outputs_reached", function="outputs_reached", cases=_reached_cases,
        reference=_reached,
        mistakes=[
            Mistake("unchanged channels kept at their position",
                    lambda c, u, ch: _reached(c, u, ch, step=lambda p: p),
                    "your channel never moves while it is in the unchanged half: the shuffle by 2"
                    " after each unit moves that half too (the text's order for g = 2)."),
            Mistake("unchanged channels moved to odd positions",
                    lambda c, u, ch: _reached(c, u, ch, step=lambda p: 2 * p + 1),
                    "the concatenation puts the unchanged half first: where does the shuffle by 2"
                    " put its channels?"),
            Mistake("only the branch outputs counted",
                    lambda c, u, ch: _reached(c, u, ch, entered=lambda c, n: c // 2),
                    "you count only the outputs of the first branch that reads the channel: what "
                    "do the later units do with them?"),
            Mistake("everything reached one unit after the branch",
                    lambda c, u, ch: _reached(c, u, ch,
                                              entered=lambda c, n: c // 2 if n == 1 else c),
                    "some outputs never met a branch since the channel entered one: those that "
                    "passed unchanged through every later unit."),
            Mistake("the untouched outputs rounded down",
                    lambda c, u, ch: _reached(c, u, ch, after=lambda c, n: c >> min(n, 99)),
                    "your count is one short when the positions do not halve evenly: follow them "
                    "by hand through the units for 12 channels."),
            Mistake("counted from one unit too late",
                    lambda c, u, ch: _reached(c, u, ch, after=lambda c, n: _ceil_shift(c, n - 1)
                                              if n > 1 else c),
                    "the unit whose branch reads the channel already counts: its c/2 branch "
                    "outputs depend on it."),
            Mistake("channel 0 said to reach the branch",
                    lambda c, u, ch: _reached(c, u, max(ch, 1)),
                    "check channel 0 by hand: where does the shuffle by 2 put it, unit after "
                    "unit?"),
        ]),
    Check(
        id="ch06.layers_to_mix", function="layers_to_mix", cases=_mix_cases,
        reference=_layers_to_mix,
        mistakes=[
            Mistake("two layers always enough",
                    lambda c, g: 1 if g == 1 else 0 if c == g else 2,
                    "one shuffle is enough only when a block holds at least g channels, as the "
                    "text showed; with narrower blocks follow the text's 8 channels in 4 groups: "
                    "how many inputs does one output reach after each layer?"),
            Mistake("as many layers as groups",
                    lambda c, g: 1 if g == 1 else 0 if c == g else g,
                    "your depth grows too fast with the groups: count the inputs one output "
                    "reaches after 1, 2 and 3 layers of 16 channels in 8 groups."),
            Mistake("counted the shuffles instead of the layers",
                    lambda c, g: max(_layers_to_mix(c, g) - 1, 0),
                    "L grouped layers have L - 1 shuffles between them; the answer counts "
                    "layers (a single layer with g = 1 already mixes)."),
            Mistake("depthwise stacks said to mix",
                    lambda c, g: 1 if c == g else _layers_to_mix(c, g),
                    "with C/g = 1 every layer keeps each channel on its own: no number of "
                    "layers mixes them (answer 0)."),
            Mistake("the depth counted from the number of groups",
                    lambda c, g: _mix_count(c, g, lambda n, b: g ** n) if g > 1 else 1,
                    "your depth follows the number of groups: count the inputs one output reaches"
                    " after each layer of 16 channels in 8 groups, and of 16 in 2."),
        ]),
]
