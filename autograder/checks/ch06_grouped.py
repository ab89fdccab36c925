"""Hidden checks of chapter 06 (grouped): grouped conv2d, its cost, channel shuffle, the
block-diagonal weight, and what a stack of grouped layers can see."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake


def _grouped(x, w, b, g):
    return solutions.conv2d(x, w, b, groups=g)


def _grouped_cases(rng):
    cases = []
    for _ in range(30):
        g, per_in, per_out = (int(rng.integers(1, 5)), int(rng.integers(1, 4)),
                              int(rng.integers(1, 4)))
        k = int(rng.integers(1, 4))
        h, w = int(rng.integers(k, 9)), int(rng.integers(k, 9))
        cases.append((rng.standard_normal((g * per_in, h, w)),
                      rng.standard_normal((g * per_out, per_in, k, k)),
                      rng.standard_normal(g * per_out), g))
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


def _every_group_reads_everything(x, w, b, g):
    return solutions.conv2d(x, np.tile(w, (1, g, 1, 1)), b)


def _outputs_round_robin(x, w, b, g):
    return solutions.conv2d(x, _dense(w, g, _round_robin, _blocks), b)


def _inputs_round_robin(x, w, b, g):
    return solutions.conv2d(x, _dense(w, g, _by_block, lambda j, c_in, g: np.arange(j, c_in, g)),
                            b)


def _cost(c_in, c_out, k, g, h, w):
    return solutions.conv_params(c_in, c_out, k, groups=g), \
        solutions.conv_macs(c_in, c_out, k, (h, w), groups=g)


def _cost_cases(rng):
    cases = []
    for _ in range(40):
        g = int(rng.choice([2, 3, 4, 8, 16, 32]))
        cases.append((g * int(rng.integers(1, 33)), g * int(rng.integers(1, 33)),
                      int(rng.choice([1, 3, 5])), g, int(rng.integers(1, 57)),
                      int(rng.integers(1, 57))))
    return cases


def _shuffle(x, g):
    return solutions.channel_shuffle(x[None], g)[0]


def _shuffle_cases(rng):
    cases = []
    for _ in range(30):
        g, m = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        cases.append((rng.standard_normal((g * m, int(rng.integers(1, 4)),
                                           int(rng.integers(1, 4)))), g))
    return cases


def _weight_cases(rng):
    cases = []
    for _ in range(30):
        g, per_in, per_out = (int(rng.integers(1, 5)), int(rng.integers(1, 4)),
                              int(rng.integers(1, 4)))
        k = int(rng.integers(1, 4))
        cases.append((rng.standard_normal((g * per_out, per_in, k, k)), g))
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
            Mistake("groups mixing channels", _every_group_reads_everything,
                    "output channels of group j read only input channels j·C_in/g to "
                    "(j+1)·C_in/g − 1; here every group read all input channels."),
            Mistake("output channels grouped round-robin", _outputs_round_robin,
                    "groups are contiguous blocks: output channel o belongs to group "
                    "o // (C_out/g), not o % g."),
            Mistake("input channels grouped round-robin", _inputs_round_robin,
                    "group j reads the contiguous block x[j*C_in/g:(j+1)*C_in/g], "
                    "not x[j::g]."),
            Mistake("bias missing", lambda x, w, b, g: _grouped(x, w, None, g),
                    "add bias[o] to every value of output channel o."),
            Mistake("flipped kernel",
                    lambda x, w, b, g: _grouped(x, w[:, :, ::-1, ::-1].copy(), b, g),
                    "do not flip the kernel: this is cross-correlation."),
        ]),
    Check(
        id="ch06.grouped_cost", function="grouped_cost", cases=_cost_cases, reference=_cost,
        mistakes=[
            Mistake("groups ignored", lambda ci, co, k, g, h, w: _cost(ci, co, k, 1, h, w),
                    "each filter reads C_in/g channels: divide the weights and the MACs by g."),
            Mistake("one group counted",
                    lambda ci, co, k, g, h, w: ((co // g) * (ci // g) * k * k + co,
                                                (co // g) * (ci // g) * k * k * h * w),
                    "there are g groups of (C_out/g)·(C_in/g)·k² weights each: "
                    "C_out·(C_in/g)·k² in all."),
            Mistake("bias divided by g",
                    lambda ci, co, k, g, h, w: (co * (ci // g) * k * k + co // g,
                                                _cost(ci, co, k, g, h, w)[1]),
                    "every output channel keeps its own bias: + C_out, whatever g is."),
            Mistake("MACs not divided by g",
                    lambda ci, co, k, g, h, w: (_cost(ci, co, k, g, h, w)[0],
                                                _cost(ci, co, k, 1, h, w)[1]),
                    "each output value sums over C_in/g channels only: MACs = "
                    "C_out·H·W·(C_in/g)·k²."),
        ]),
    Check(
        id="ch06.channel_shuffle", function="channel_shuffle", cases=_shuffle_cases,
        reference=_shuffle,
        mistakes=[
            Mistake("shuffle transposed the wrong way: C/g rows instead of g",
                    lambda x, g: _shuffle(x, x.shape[0] // g),
                    "reshape the channels to (g, C/g) — one row per group — then transpose; "
                    "reshaping to (C/g, g) first gives the inverse permutation."),
            Mistake("no transpose", lambda x, g: x.copy(),
                    "reshaping to (g, C/g) and back changes nothing: swap the two axes "
                    "before flattening."),
            Mistake("pixels shuffled too",
                    lambda x, g: x.reshape(g, -1).T.reshape(x.shape).copy(),
                    "keep each channel's H×W image together: reshape to (g, C/g, H, W) and "
                    "swap only the first two axes."),
        ]),
    Check(
        id="ch06.block_diagonal_weight", function="block_diagonal_weight",
        cases=_weight_cases, reference=solutions.block_diagonal_weight,
        mistakes=[
            Mistake("off-diagonal blocks not zero", lambda w, g: np.tile(w, (1, g, 1, 1)),
                    "output block j connects to input block j only: every other block of the "
                    "dense weight is zero."),
            Mistake("output channels grouped round-robin",
                    lambda w, g: _dense(w, g, _round_robin, _blocks),
                    "output channel o belongs to group o // (C_out/g): its filter goes into "
                    "columns (o // (C_out/g))·C_in/g onward."),
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
